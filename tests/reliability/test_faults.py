"""Fault injection on the real engine and the real frontend: every answer is right or refused.

Each test first takes an undisturbed run on the same engine and catalog (the expected allow
lists), then disturbs the service while DIASource requests are in flight and classifies every
answer (reliability.tally): 200 with exactly the undisturbed list, or a non-200 without
``id_allow_list``; anything else is a wrong answer and fails the test.  The figures (answers by
kind, recovery time) are printed; ``docs/reliability.md`` records a run.

Faults: SIGKILL of the engine during a visit's 190 concurrent DIASource requests (then a restart,
as systemd does); SIGSTOP past ``engine.timeout_s``; SIGKILL and restart of the frontend between
a visit request and its DIASource requests; space-track cutting the connection in the middle of
the GP body; a visit cache too small for the night (evicted visits re-registered); a catalog with
10 % corrupt records.  ``make soak`` (SATVETO_SOAK=1) repeats the process faults and uses a
realistic catalog and source counts.

Already covered elsewhere and not repeated here: SIGTERM restarts of each unit under traffic
(test_unit_restarts.py), every row of the fail-safe table one request at a time
(test_api_failsafe.py), space-track's other faults at the client (test_spacetrack_client.py:
401, 429, 500, HTML, a complete but truncated body, a slow body, over-size, TLS) and in the
refresher (test_refresh.py).
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import signal
import ssl
import time
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import trustme
from aiohttp import web

from fake_engine import Frontend, night_site
from fake_spacetrack import COOKIE, FakeSpaceTrack, gp_strings, source_for, write_ca_file
from reliability.scale import report, scaled
from reliability.stack import (
    FrontendProcess,
    LoggedEngine,
    ReferenceEngine,
    demo_records,
    frontend_config,
    https_session,
    install,
    post,
    serve_setup,
    start_app,
    start_engine,
    wait_status,
)
from reliability.tally import Answer, Tally
from reliability.workload import (
    VisitPlan,
    engine_params,
    geo_pointings,
    mjd_of,
    plan_visit,
    visit_body,
)
from satveto.engine.rpc import EngineClient
from satveto.runtime.config import Config, SiteConfig
from satveto.web.app_keys import METRICS, REFRESHER
from support import stop_process

pytest_plugins = ["test_api_fixtures"]  # socket_dir

CATALOG = scaled(2000, 30000)
SOURCES_PER_DETECTOR = scaled(60, 1000)
CYCLES = scaled(1, 5)  # fault cycles per process-fault test
MAX_RECOVERY_ROUNDS = 40


async def make_plan(
    socket_path: Path, records: list[dict[str, Any]], seed: int, visit_id: int, index: int = 0
) -> VisitPlan:
    """A visit pointed at a GEO object, 189 detector requests + the track request; every
    second request embeds the visit.  Each visit id has its own 35 s slot in the last hour:
    the service serves one camera, whose exposures do not overlap."""
    start = mjd_of(time.time() - 120.0 - (visit_id % 60) * 35.0)
    pointings = await geo_pointings(socket_path, records, start, index + 1)
    ra, dec, track = pointings[index]
    rng = random.Random(seed)
    visit = visit_body(visit_id, start, ra, dec, rotation=rng.uniform(0.0, 360.0))
    return plan_visit(rng, visit, track, [SOURCES_PER_DETECTOR] * 189, embed_every=2)


async def one_round(
    session: aiohttp.ClientSession,
    base: str,
    plan: VisitPlan,
    tally: Tally | None = None,
    expected: list[list[int]] | None = None,
) -> list[Answer]:
    """All of the visit's DIASource requests at once (as AP sends them)."""

    async def send(index: int, body: dict[str, Any]) -> Answer:
        answer = await post(session, f"{base}/v1/diasources", body)
        if tally is not None:
            tally.record("diasources", answer, None if expected is None else expected[index])
        return answer

    return await asyncio.gather(*(send(i, body) for i, body in enumerate(plan.requests)))


async def baseline(session: aiohttp.ClientSession, base: str, plan: VisitPlan) -> list[list[int]]:
    answer = await post(session, f"{base}/v1/visits", plan.visit)
    assert answer.status == 200, answer.body
    answers = await one_round(session, base, plan)
    assert all(a.status == 200 for a in answers), [a.body for a in answers if a.status != 200]
    expected = [a.body["id_allow_list"] for a in answers]
    vetoed = plan.sources() - sum(len(allowed) for allowed in expected)
    assert vetoed > 0, "the visit should exercise the veto"
    return expected


async def until_a_clean_round(
    session: aiohttp.ClientSession,
    base: str,
    plan: VisitPlan,
    tally: Tally,
    expected: list[list[int]],
) -> int:
    """Rounds until one is all 200 (bounded); returns how many rounds it took."""
    for rounds in range(1, MAX_RECOVERY_ROUNDS + 1):
        answers = await one_round(session, base, plan, tally, expected)
        if all(a.status == 200 for a in answers):
            return rounds
        await asyncio.sleep(0.1)
    raise AssertionError(f"no clean round in {MAX_RECOVERY_ROUNDS}: {tally.counts}")


async def when_answered(tally: Tally, count: int, timeout_s: float = 60.0) -> None:
    """Waits until `count` answers of the round in flight have arrived."""
    deadline = time.monotonic() + timeout_s
    while len(tally.answers) < count:
        assert time.monotonic() < deadline, "the round did not progress"
        await asyncio.sleep(0.002)


class InProcessRig:
    """A real engine (restartable on the same socket) and an in-process frontend over TLS."""

    def __init__(self, socket_dir: Path, logs: Path, tls_files: tuple[Path, Path]) -> None:
        self.socket_path = socket_dir / "engine.sock"
        self.logs = logs
        self.tls_files = tls_files
        self.engine: LoggedEngine | None = None
        self.front: Frontend | None = None

    async def start(self, engine_args: list[str] | None = None, **sections: Any) -> None:
        self.engine_args = engine_args
        self.engine = await start_engine(self.socket_path, self.logs / "engine.log", engine_args)
        self.config = frontend_config(self.tls_files, self.socket_path, **sections)
        self.front = await start_app(self.config)

    async def restart_engine(self) -> None:
        assert self.engine is not None
        self.engine.stop()
        self.engine = await start_engine(
            self.socket_path, self.logs / "engine.log", self.engine_args
        )

    async def close(self) -> None:
        if self.front is not None:
            await self.front.stop()
        if self.engine is not None:
            self.engine.stop()


@pytest.fixture
async def rig(socket_dir: Path, tmp_path: Path, tls_files: tuple[Path, Path]):  # type: ignore[no-untyped-def]
    the_rig = InProcessRig(socket_dir, tmp_path, tls_files)
    yield the_rig
    await the_rig.close()


# --- the engine killed and restarted during a visit ----------------------------------------


async def test_engine_sigkill_during_189_concurrent_requests(
    rig: InProcessRig, client_tls: ssl.SSLContext
) -> None:
    records = demo_records(CATALOG)
    await rig.start()
    assert rig.front is not None
    assert rig.engine is not None
    await install(rig.front, records, time.time())
    tally = Tally()
    recoveries: list[float] = []
    rounds_needed: list[int] = []
    async with https_session(client_tls) as session:
        base = rig.front.base
        for cycle in range(CYCLES):
            plan = await make_plan(rig.socket_path, records, seed=cycle, visit_id=900 + cycle)
            expected = await baseline(session, base, plan)
            before = len(tally.answers)
            in_flight = asyncio.create_task(one_round(session, base, plan, tally, expected))
            await when_answered(tally, before + 10)
            fault_at = time.monotonic()
            rig.engine.kill()  # SIGKILL: no goodbye, the socket file left behind
            await asyncio.sleep(0.5)  # systemd's RestartSec, shortened
            await rig.restart_engine()
            await in_flight
            rounds_needed.append(await until_a_clean_round(session, base, plan, tally, expected))
            recovery = tally.recovery_s(fault_at)
            if recovery is not None:
                recoveries.append(recovery)
    report(
        f"engine SIGKILL during a visit ({CYCLES} cycle(s), {len(plan.requests)} concurrent "
        f"DIASource requests, {CATALOG} objects)",
        [
            *tally.lines(),
            f"wrong answers: {len(tally.wrong)}",
            f"recovery (kill -> first 200 after the last failure, restart after 0.5 s): "
            f"{', '.join(f'{r:.2f} s' for r in recoveries) or 'no failure seen'}",
            f"rounds until a clean one: {rounds_needed}",
        ],
    )
    assert tally.wrong == []
    assert tally.counts["diasources: no answer"] == 0  # the frontend itself never went away


async def test_engine_sigstop_past_the_timeout(
    rig: InProcessRig, client_tls: ssl.SSLContext
) -> None:
    """A hung engine (SIGSTOP) for three times engine.timeout_s, then SIGCONT: the late
    answers it then writes must never be taken for answers to later requests."""
    timeout_s = 1.0
    records = demo_records(CATALOG)
    await rig.start(engine={"timeout_s": timeout_s, "connections": 8})
    assert rig.front is not None
    assert rig.engine is not None
    await install(rig.front, records, time.time())
    tally = Tally()
    recoveries: list[float] = []
    async with https_session(client_tls) as session:
        base = rig.front.base
        for cycle in range(CYCLES):
            plan = await make_plan(rig.socket_path, records, seed=10 + cycle, visit_id=950 + cycle)
            expected = await baseline(session, base, plan)
            before = len(tally.answers)
            in_flight = asyncio.create_task(one_round(session, base, plan, tally, expected))
            await when_answered(tally, before + 10)
            stop_process(rig.engine.pid)
            stopped_at = time.monotonic()
            await asyncio.sleep(3 * timeout_s)
            # While stopped: every request gets its 503 within the timeout, none hangs.
            second = asyncio.create_task(one_round(session, base, plan, tally, expected))
            await asyncio.sleep(2 * timeout_s)
            os.kill(rig.engine.pid, signal.SIGCONT)
            await asyncio.gather(in_flight, second)
            await until_a_clean_round(session, base, plan, tally, expected)
            recovery = tally.recovery_s(stopped_at)
            if recovery is not None:
                recoveries.append(recovery)
    report(
        f"engine SIGSTOP for {5 * timeout_s:g} s with engine.timeout_s = {timeout_s:g} s "
        f"({CYCLES} cycle(s))",
        [
            *tally.lines(),
            f"wrong answers: {len(tally.wrong)}",
            f"recovery (SIGSTOP -> first 200 after the last failure; SIGCONT at +5 s): "
            f"{', '.join(f'{r:.2f} s' for r in recoveries) or 'no failure seen'}",
            f"longest wait for a 503: {longest(tally, 503):.2f} s, for a 200: "
            f"{longest(tally, 200):.2f} s (the engine timeout does not cover the wait for one of "
            f"the frontend's engine connections)",
        ],
    )
    assert tally.wrong == []
    assert any(kind.startswith("diasources: 503") for kind in tally.counts)
    # Nothing waited for the stopped engine much past the timeout (generous bound).
    slow = [a for a in tally.answers if a.status == 503 and a.answered_at - a.sent_at > 30.0]
    assert slow == []


def longest(tally: Tally, status: int) -> float:
    return max((a.answered_at - a.sent_at for a in tally.answers if a.status == status), default=0)


# --- the frontend killed between a visit request and its DIASource requests ----------------


async def test_frontend_sigkill_and_restart_mid_visit(
    socket_dir: Path, tmp_path: Path, tls_ca: trustme.CA, client_tls: ssl.SSLContext
) -> None:
    setup = serve_setup(socket_dir, tmp_path, tls_ca, CATALOG, engine_timeout_s=10.0)
    records, socket_path, config = setup.records, setup.socket_path, setup.config
    engine = await start_engine(socket_path, tmp_path / "engine.log")
    frontend = FrontendProcess(config, tmp_path / "frontend.log", FrontendProcess.environment())
    base = setup.base
    tally = Tally()
    recoveries: list[float] = []
    reference = await ReferenceEngine.start(
        socket_dir, records, Config(site=SiteConfig(**night_site()))
    )
    try:
        frontend.start()
        async with https_session(client_tls) as session:
            await wait_status(session, f"{base}/v1/ready")
            for cycle in range(CYCLES):
                plan = await make_plan(socket_path, records, 20 + cycle, 980 + cycle, cycle % 2)
                await reference.register(plan.visit)
                expected = [await reference.allowed(engine_params(b)) for b in plan.requests]
                # The visit registered, its DIASource requests in flight, then the crash.
                answer = await post(session, f"{base}/v1/visits", plan.visit)
                assert answer.status == 200, answer.body
                before = len(tally.answers)
                in_flight = asyncio.create_task(one_round(session, base, plan, tally, expected))
                await when_answered(tally, before + 10)
                fault_at = time.monotonic()
                frontend.kill()
                await in_flight
                # While it is down: connections refused (AP's client fails over on those).
                down = await one_round(session, base, plan, tally, expected)
                assert all(a.status is None for a in down)
                frontend.start()
                await wait_status(session, f"{base}/v1/ready")
                # The restarted frontend adopted the engine's catalog; the engine still holds
                # the visit, so requests without the visit embedded are answered too.
                await until_a_clean_round(session, base, plan, tally, expected)
                recoveries.append(tally.recovery_s(fault_at) or 0.0)
    finally:
        frontend.stop()
        engine.stop()
        await reference.close()
    report(
        f"frontend SIGKILL mid-visit, restarted at once ({CYCLES} cycle(s))",
        [
            *tally.lines(),
            f"wrong answers: {len(tally.wrong)}",
            f"recovery (kill -> first 200, including the frontend's start): "
            f"{', '.join(f'{r:.2f} s' for r in recoveries)}",
        ],
    )
    assert tally.wrong == []
    assert frontend.starts == CYCLES + 1


# --- space-track cutting the connection in the middle of the body -----------------------------


class CuttingSpaceTrack(FakeSpaceTrack):
    """The fake, plus fault "cut": headers promising the whole body (Content-Length), half of
    it, then the TCP connection aborted (what a proxy or a crashed server does)."""

    async def _query(self, request: web.Request) -> web.StreamResponse:
        if self.fault != "cut" or request.cookies.get(COOKIE) not in self._sessions:
            return await super()._query(request)
        body = json.dumps(self.records).encode()
        response = web.StreamResponse(headers={"Content-Type": "application/json"})
        response.content_length = len(body)
        await response.prepare(request)
        await response.write(body[: len(body) // 2])
        assert request.transport is not None
        request.transport.abort()
        return response


async def test_spacetrack_cut_mid_body_keeps_the_catalog_in_force(
    socket_dir: Path,
    tmp_path: Path,
    tls_files: tuple[Path, Path],
    tls_ca: trustme.CA,
    client_tls: ssl.SSLContext,
) -> None:
    cert, key = tls_files
    records = demo_records(CATALOG)
    fake = CuttingSpaceTrack(cert, key, [gp_strings(r, i) for i, r in enumerate(records)])
    await fake.start()
    engine = await start_engine(socket_dir / "engine.sock", tmp_path / "engine.log")
    source = source_for(fake, write_ca_file(tls_ca, tmp_path), timeout_s=10.0)
    front = await start_app(frontend_config(tls_files, engine.socket_path), catalog_source=source)
    try:
        refresher = front.app[REFRESHER]
        deadline = time.monotonic() + 60
        while refresher.last_outcome != "ok":
            assert time.monotonic() < deadline, refresher.last_outcome
            await asyncio.sleep(0.05)
        async with https_session(client_tls) as session:
            plan = await make_plan(engine.socket_path, records, seed=40, visit_id=1200)
            expected = await baseline(session, front.base, plan)
            generation = (await engine_call(engine.socket_path, "ping"))["catalog"]["generation"]
            fake.fault = "cut"
            tally = Tally()
            outcomes = []
            for _ in range(scaled(2, 10)):
                refresh = asyncio.create_task(refresher.refresh_once())
                await one_round(session, front.base, plan, tally, expected)
                outcomes.append(await refresh)
            pong = await engine_call(engine.socket_path, "ping")
            metrics = front.app[METRICS].registry
    finally:
        await front.stop()
        engine.stop()
        await fake.stop()
    failed = {
        o: metrics.get_sample_value("satveto_catalog_refreshes_total", {"outcome": o})
        for o in set(outcomes)
    }
    report(
        "space-track cut mid-body during refreshes",
        [*tally.lines(), f"refresh outcomes: {outcomes} (metric: {failed})"],
    )
    assert "ok" not in outcomes
    assert pong["catalog"]["generation"] == generation  # nothing swapped in
    assert pong["catalog"]["objects"] == CATALOG
    assert tally.wrong == []
    assert tally.ok() == tally.total()  # the catalog in force kept answering


# --- a visit cache too small for the night ----------------------------------------------------


async def test_evicted_visits_are_registered_again(
    rig: InProcessRig, tls_files: tuple[Path, Path], client_tls: ssl.SSLContext
) -> None:
    """`--visit-cache-size 2` and five visits: the engine forgets the first three; the frontend
    registers them again from its registry (or from the embedded visit) and answers exactly."""
    records = demo_records(CATALOG)
    await rig.start(["--visit-cache-size", "2"])
    assert rig.front is not None
    await install(rig.front, records, time.time())
    plans = []
    async with https_session(client_tls) as session:
        base = rig.front.base
        expected = []
        for index in range(5):
            plan = await make_plan(rig.socket_path, records, 50 + index, 2000 + index, index)
            plans.append(plan)
            expected.append(await baseline(session, base, plan))  # answered while cached
        stats_before = await engine_stats(rig.socket_path)
        tally = Tally()
        for plan, lists in zip(plans, expected, strict=True):
            await one_round(session, base, plan, tally, lists)
        stats_after = await engine_stats(rig.socket_path)
        # A frontend that never saw the visits (another replica, or restarted) cannot
        # re-register them: without the visit embedded that is a 404, never a list.
        other = await start_app(frontend_config(tls_files, rig.socket_path))
        try:
            await install(other, records, time.time())
            stranger = Tally()
            bare = [dict(b) for b in plans[0].requests if "visit" not in b]
            for body in bare[:5]:
                answer = await post(session, f"{other.base}/v1/diasources", body)
                stranger.record("diasources", answer, None)
        finally:
            await other.stop()
    registered = stats_after["visits"]["registered"] - stats_before["visits"]["registered"]
    report(
        "visit cache of 2 visits, 5 visits replayed",
        [
            *tally.lines(),
            f"wrong answers: {len(tally.wrong)}",
            f"engine evictions: {stats_after['visits']['evictions']}, "
            f"visits computed again during the replay: {registered}",
            f"unknown frontend, visit not embedded: {dict(stranger.counts)}",
        ],
    )
    assert tally.wrong == []
    assert tally.ok() == tally.total()
    assert stats_after["visits"]["evictions"] >= 3
    assert registered >= 3
    assert set(stranger.counts) <= {"diasources: 404 unknown_visit", "diasources: 200"}


async def engine_call(socket_path: Path, method: str) -> Any:
    client = EngineClient(socket_path, timeout_s=10.0, connections=1)
    try:
        return await client.call(method)
    finally:
        await client.close()


async def engine_stats(socket_path: Path) -> dict[str, Any]:
    return await engine_call(socket_path, "stats")


# --- a catalog with 10 % corrupt records -----------------------------------------------------


async def test_catalog_with_ten_percent_corrupt_records(
    socket_dir: Path,
    tmp_path: Path,
    tls_files: tuple[Path, Path],
    tls_ca: trustme.CA,
    client_tls: ssl.SSLContext,
) -> None:
    """space-track serves every tenth record broken (fake_spacetrack's "bad_records": a wrong
    type or an out-of-range value): the rest is installed, the broken ones are counted by
    reason, and the answers are exactly those of an engine given only the good records."""
    cert, key = tls_files
    records = demo_records(CATALOG)
    fake = CuttingSpaceTrack(cert, key, [gp_strings(r, i) for i, r in enumerate(records)])
    fake.fault = "bad_records"
    await fake.start()
    engine = await start_engine(socket_dir / "engine.sock", tmp_path / "engine.log")
    source = source_for(fake, write_ca_file(tls_ca, tmp_path), timeout_s=10.0)
    front = await start_app(frontend_config(tls_files, engine.socket_path), catalog_source=source)
    good = [r for i, r in enumerate(records) if i % 10 != 0]
    reference = await ReferenceEngine.start(
        socket_dir, good, Config(site=SiteConfig(**night_site()))
    )
    tally = Tally()
    try:
        refresher = front.app[REFRESHER]
        deadline = time.monotonic() + 60
        while refresher.last_outcome is None:
            assert time.monotonic() < deadline
            await asyncio.sleep(0.05)
        pong = await engine_call(engine.socket_path, "ping")
        samples = front.app[METRICS].registry.collect()
        rejected = {
            s.labels["reason"]: s.value
            for metric in samples
            if metric.name == "satveto_catalog_records_rejected"
            for s in metric.samples
            if s.name.endswith("_total")
        }
        async with https_session(client_tls) as session:
            plan = await make_plan(engine.socket_path, good, seed=60, visit_id=3000)
            await reference.register(plan.visit)
            expected = [await reference.allowed(engine_params(b)) for b in plan.requests]
            assert (await post(session, f"{front.base}/v1/visits", plan.visit)).status == 200
            await one_round(session, front.base, plan, tally, expected)
    finally:
        await front.stop()
        engine.stop()
        await reference.close()
        await fake.stop()
    report(
        f"catalog of {CATALOG} records, every tenth corrupt",
        [
            f"refresh outcome: {refresher.last_outcome}; engine holds {pong['catalog']['objects']}",
            f"rejected by reason: {rejected}",
            *tally.lines(),
            f"wrong answers: {len(tally.wrong)}",
        ],
    )
    assert refresher.last_outcome == "ok"
    assert pong["catalog"]["objects"] == len(good)
    assert sum(rejected.values()) == CATALOG - len(good)
    assert tally.wrong == []
    assert tally.ok() == tally.total()
