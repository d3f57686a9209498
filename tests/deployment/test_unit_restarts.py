"""The two units restarted one at a time under traffic: no request is ever answered wrongly.

Engine and frontend run as systemd would run them: the units' own ExecStart lines (flags, socket
path under a temporary root instead of /run/satveto, the engine's ExecStartPost), the unit's
process restrictions that apply without systemd (see test_deployment.UNIT_LIKE_LAUNCHER), and
readiness taken from sd_notify READY=1 on a socket this test owns, as systemd takes it.  The
configuration is examples/frontend.toml with local paths and a catalog file of synthetic
(demo) objects, so the frontend's catalog is known and reproducible.

Clients send visit and DIASource requests over HTTPS while first the engine and then the
frontend get SIGTERM and are started again.  Every answer must be either 200 with exactly the
allow list an undisturbed run gave, or a non-200 without an allow list; connections refused
while the frontend restarts count as no answer (the HA client fails over on those).
"""

from __future__ import annotations

import asyncio
import collections
import datetime as dt
import json
import os
import random
import signal
import ssl
import subprocess
import time
from pathlib import Path
from typing import Any

import aiohttp
import trustme

from deployment.test_deployment import (
    NotifyListener,
    engine_args_from_unit,
    free_port,
    frontend_argv,
    issue_cert,
    notify_env,
    unit_like,
    write_frontend_config,
)
from fake_engine import night_site, sample_sources, sample_visit
from satveto.catalog.synthetic import build_demo_catalog
from satveto.engine.rpc import EngineClient
from satveto.runtime.config import Config, SiteConfig
from satveto.tools.demo import sample_requests

CATALOG_OBJECTS = 3000
WORKERS = 4
SECRET = "a-test-secret-of-32-characters!!"


class Unit:
    """One service as systemd runs it: start, wait for READY=1, SIGTERM, start again."""

    def __init__(self, name: str, argv: list[str]) -> None:
        self.name = name
        self.argv = argv
        self.process: subprocess.Popen[bytes] | None = None
        self.listener: NotifyListener | None = None
        self.starts = 0

    async def start(self) -> None:
        self.listener = NotifyListener()
        self.process = await asyncio.to_thread(
            subprocess.Popen,
            unit_like(self.argv),
            env=notify_env(self.listener),
            stdin=subprocess.DEVNULL,
        )
        await asyncio.to_thread(self.listener.wait_for, "READY", "1", 60.0)
        self.starts += 1

    async def stop(self) -> int:
        assert self.process is not None
        assert self.listener is not None
        self.process.send_signal(signal.SIGTERM)
        status = await asyncio.to_thread(self.process.wait, 60)
        self.listener.close()
        return status

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        if self.listener is not None:
            self.listener.close()


class Tally:
    def __init__(self) -> None:
        self.counts: collections.Counter[str] = collections.Counter()
        self.wrong: list[str] = []

    def record(self, kind: str, status: int | None, body: Any, expected: list[int] | None) -> None:
        if status is None:
            self.counts[f"{kind}: no answer (connection refused or reset)"] += 1
        elif status == 200:
            self.counts[f"{kind}: 200"] += 1
            if expected is not None and body.get("id_allow_list") != expected:
                self.wrong.append(f"{kind}: 200 with a different allow list")
        else:
            code = body.get("error", {}).get("code") if isinstance(body, dict) else None
            self.counts[f"{kind}: {status} {code}"] += 1
            if isinstance(body, dict) and "id_allow_list" in body:
                self.wrong.append(f"{kind}: {status} carrying an allow list")

    def ok(self) -> int:
        return sum(n for kind, n in self.counts.items() if kind.endswith(": 200"))


async def served(tally: Tally, count: int, timeout_s: float = 60.0) -> None:
    """Until `count` more requests have been answered 200: the traffic ran in this phase."""
    target = tally.ok() + count
    deadline = time.monotonic() + timeout_s
    while tally.ok() < target:
        assert time.monotonic() < deadline, f"fewer than {count} answers in {timeout_s:g} s"
        await asyncio.sleep(0.02)


async def post(
    session: aiohttp.ClientSession, url: str, body: dict[str, Any]
) -> tuple[int | None, Any]:
    try:
        async with session.post(url, json=body) as response:
            try:
                return response.status, await response.json(content_type=None)
            except (ValueError, aiohttp.ContentTypeError):
                return response.status, None
    except (aiohttp.ClientConnectionError, TimeoutError):
        return None, None


async def wait_ready(session: aiohttp.ClientSession, base: str, timeout_s: float = 60.0) -> None:
    """Until /v1/ready says 200, as a load balancer's health check would."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            async with session.get(f"{base}/v1/ready") as response:
                if response.status == 200:
                    return
        except aiohttp.ClientConnectionError:
            pass
        assert time.monotonic() < deadline, "the service did not become ready"
        await asyncio.sleep(0.1)


def request_set(
    demo_visit: dict[str, Any], demo_sources: dict[str, Any]
) -> list[tuple[str, dict[str, Any]]]:
    """Visit and DIASource requests: on a demo satellite's track (with a WCS) and elsewhere,
    with and without the visit embedded."""
    other = sample_visit(visit_id=demo_visit["visit_id"] + 1, ago_s=100.0)  # no overlap
    requests: list[tuple[str, dict[str, Any]]] = [("visits", demo_visit), ("visits", other)]
    for embed in (False, True):
        track = dict(demo_sources)
        if embed:
            track["visit"] = demo_visit
        requests.append(("diasources", track))
        # Not detector 94 of the demo visit: the track request is its one answer.
        for visit, detector in ((demo_visit, 95), (demo_visit, 40), (other, 94), (other, 150)):
            body = {
                "visit_id": visit["visit_id"],
                "detector_id": detector,
                "diasources": sample_sources(300),
            }
            if embed:
                body["visit"] = visit
            requests.append(("diasources", body))
    return requests


async def test_restart_engine_then_frontend_under_traffic(tmp_path: Path) -> None:
    started = time.monotonic()
    root = tmp_path / "root"
    run_dir = root / "run" / "satveto"  # what RuntimeDirectory=satveto makes, mode 0750
    etc = root / "etc" / "satveto"
    run_dir.mkdir(parents=True, mode=0o750)
    etc.mkdir(parents=True)
    ca = trustme.CA()
    cert, key = issue_cert(ca, etc, "server")
    secret = etc / "secret"
    secret.write_text(SECRET)
    secret.chmod(0o600)
    now = time.time()
    records = build_demo_catalog(dt.datetime.fromtimestamp(now, dt.UTC), CATALOG_OBJECTS)
    catalog_file = tmp_path / "catalog.json"  # synthetic objects only, for the file source
    catalog_file.write_text(json.dumps(records, default=str))
    port = free_port()
    config = etc / "frontend.toml"
    socket_path = run_dir / "engine.sock"
    write_frontend_config(
        config,
        socket_path=socket_path,
        cert=cert,
        key=key,
        port=port,
        source="file",
        catalog_file=catalog_file,
        secret_file=secret,
        site=night_site(),
    )
    # The test runs both programs as one uid; the engine accepts that uid (in production the
    # frontend's, and the engine's own is then refused).
    engine = Unit("engine", engine_args_from_unit(run_dir, os.getuid()))
    frontend = Unit("frontend", frontend_argv(config))
    base = f"https://localhost:{port}"
    context = ssl.create_default_context()
    ca.configure_trust(context)
    tally = Tally()
    try:
        await engine.start()
        await frontend.start()
        async with aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(ssl=context, force_close=True),
            headers={"Authorization": f"Bearer {SECRET}"},
            timeout=aiohttp.ClientTimeout(total=15),
        ) as session:
            await wait_ready(session, base)
            demo_visit, demo_sources = await sample_requests(
                socket_path, records, time.time(), Config(site=SiteConfig(**night_site()))
            )
            requests = request_set(demo_visit, demo_sources)

            # The undisturbed run: the answer every later 200 must repeat.
            expected: dict[int, list[int]] = {}
            for index, (kind, body) in enumerate(requests):
                status, answer = await post(session, f"{base}/v1/{kind}", body)
                assert status == 200, (kind, answer)
                if kind == "diasources":
                    expected[index] = answer["id_allow_list"]
            vetoed = sum(
                len(requests[i][1]["diasources"]) - len(allowed) for i, allowed in expected.items()
            )
            assert vetoed > 0, "the request set should exercise the veto"

            stop = asyncio.Event()

            async def client(seed: int) -> None:
                rng = random.Random(seed)
                while not stop.is_set():
                    index = rng.randrange(len(requests))
                    kind, body = requests[index]
                    status, answer = await post(session, f"{base}/v1/{kind}", body)
                    tally.record(kind, status, answer, expected.get(index))
                    if status is None:
                        await asyncio.sleep(0.05)

            workers = [asyncio.create_task(client(seed)) for seed in range(WORKERS)]
            phases: dict[str, int] = {}
            await served(tally, 50)
            phases["before restarts"] = sum(tally.counts.values())

            assert await engine.stop() == 0  # systemctl restart satveto-engine
            await engine.start()
            await wait_ready(session, base)
            phases["engine restarted, ready again"] = sum(tally.counts.values())
            await served(tally, 50)

            generation = await engine_generation(socket_path)
            assert await frontend.stop() == 0  # systemctl restart satveto-frontend
            await frontend.start()
            await wait_ready(session, base)
            phases["frontend restarted, ready again"] = sum(tally.counts.values())
            # The restarted frontend adopted the engine's catalog instead of fetching again.
            assert await engine_generation(socket_path) == generation
            await served(tally, 50)
            stop.set()
            await asyncio.gather(*workers)
            phases["end"] = sum(tally.counts.values())

        report = "\n".join(f"  {count:6d}  {kind}" for kind, count in sorted(tally.counts.items()))
        print(
            f"\nunit restarts under traffic ({time.monotonic() - started:.1f} s, "
            f"{vetoed} of the baseline's sources vetoed):\n{report}\n"
            f"  requests by phase (cumulative): {phases}\n  wrong answers: {len(tally.wrong)}"
        )
        assert tally.wrong == []
        ok_after = sum(n for kind, n in tally.counts.items() if kind.endswith(": 200"))
        assert ok_after > 0
        assert tally.counts["diasources: 200"] > 0
        assert engine.starts == 2
        assert frontend.starts == 2
        assert await frontend.stop() == 0
        assert await engine.stop() == 0
    finally:
        frontend.kill()
        engine.kill()


async def engine_generation(socket_path: Path) -> str:
    client = EngineClient(socket_path, timeout_s=5.0, connections=1)
    try:
        pong = await client.call("ping")
    finally:
        await client.close()
    return pong["catalog"]["generation"]
