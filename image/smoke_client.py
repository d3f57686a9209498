"""The smoke test's client, run inside the image as the frontend's uid (never installed in it).

``image/smoke.py`` copies this file into a throw-away container's root filesystem and runs it
with the image's own Python and satveto package, so the requests are the ones `satveto demo`
makes (:func:`satveto.tools.demo.load_demo_catalog`, :func:`satveto.tools.demo.sample_requests`),
built by the code that shipped, and keep matching the HTTP API as it changes.

Steps, each reported on stdout as one ``SMOKE {json}`` line for the driver:

1. ``ping`` over the engine's socket (the engine accepts this uid only);
2. ``catalog``: the demo catalog built in memory and installed in the engine, as the demo
   does before it starts its frontend;
3. waits for a line on stdin: the driver has started ``satveto serve`` meanwhile;
4. ``ready``: ``GET /v1/ready`` over TLS, verified against the throw-away CA that signed
   the certificate, until 200;
5. ``visit`` and ``diasources``: the demo's sample requests; every source the demo put on its
   satellite's predicted track must be vetoed and at least one of those it put 80 arcsec off
   the track allowed.

Exit status 0 when every step passed; the driver also checks the lines.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import re
import ssl
import sys
import time
from pathlib import Path
from typing import Any

import aiohttp

from satveto.engine.rpc import EngineClient
from satveto.runtime.config import load_config
from satveto.tools.demo import load_demo_catalog, sample_requests


def report(step: str, **fields: Any) -> None:
    print("SMOKE " + json.dumps({"step": step, **fields}), flush=True)


async def post(session: aiohttp.ClientSession, url: str, body: dict[str, Any]) -> tuple[int, Any]:
    async with session.post(url, json=body) as response:
        return response.status, await response.json(content_type=None)


async def wait_ready(session: aiohttp.ClientSession, base: str, timeout_s: float) -> int:
    """Polls /v1/ready until 200; returns the last status (0: no connection yet)."""
    deadline = time.monotonic() + timeout_s
    status = 0
    while time.monotonic() < deadline:
        try:
            async with session.get(f"{base}/v1/ready") as response:
                status = response.status
            if status == 200:
                return status
        except aiohttp.ClientConnectionError:
            status = 0
        await asyncio.sleep(0.25)
    return status


#: The frontend's configuration (its site: the demo's night site), as the frontend reads it.
CONFIG_FILE = Path("/etc/satveto/frontend.toml")


async def run(socket_path: Path, base: str, cafile: Path, secret: str) -> int:
    engine = EngineClient(socket_path, timeout_s=10.0, connections=1)
    try:
        pong = await engine.call("ping")
    finally:
        await engine.close()
    report("ping", result=pong)

    records = await load_demo_catalog(socket_path)
    report("catalog", objects=len(records))
    if not sys.stdin.readline():  # the driver closes stdin when it gives up
        return 1

    context = ssl.create_default_context(cafile=str(cafile))
    async with aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(ssl=context),
        headers={"Authorization": f"Bearer {secret}"},
        timeout=aiohttp.ClientTimeout(total=30),
    ) as session:
        status = await wait_ready(session, base, timeout_s=60.0)
        report("ready", status=status)
        if status != 200:
            return 1
        announcement = io.StringIO()
        with contextlib.redirect_stdout(announcement):
            visit, diasources = await sample_requests(
                socket_path, records, time.time(), load_config(CONFIG_FILE)
            )
        print(announcement.getvalue(), end="", file=sys.stderr)
        # The demo says which sources it put on the track: the first ones, 1 to on_track.
        said = re.search(r"sources 1-(\d+) lie on its predicted track", announcement.getvalue())
        if said is None:
            report(
                "diasources",
                passed=False,
                error="the demo no longer says which sources "
                "lie on the track: update image/smoke_client.py",
            )
            return 1
        on_track = int(said.group(1))
        status, answer = await post(session, f"{base}/v1/visits", visit)
        report("visit", status=status, answer=answer)
        if status != 200:
            return 1
        status, answer = await post(session, f"{base}/v1/diasources", diasources)
    ids = [source["diasource_id"] for source in diasources["diasources"]]
    allowed = set(answer.get("id_allow_list", [])) if isinstance(answer, dict) else set()
    track, far = ids[:on_track], ids[on_track:]
    # Every source on the demo satellite's track is vetoed, and at least one far source (80
    # arcsec off it) allowed: not all of them, since another demo satellite's track may pass
    # 80 arcsec away (the synthetic GEO belt is dense), and its sources are rightly vetoed.
    passed = (
        status == 200 and len(track) > 0 and not allowed & set(track) and bool(allowed & set(far))
    )
    report(
        "diasources",
        status=status,
        on_track=len(track),
        far=len(far),
        far_allowed=len(allowed & set(far)),
        passed=passed,
    )
    return 0 if passed else 1


def main() -> int:
    socket_path, base, cafile, secret_file = sys.argv[1:5]
    secret = Path(secret_file).read_text().strip()
    return asyncio.run(run(Path(socket_path), base, Path(cafile), secret))


if __name__ == "__main__":
    sys.exit(main())
