"""End-to-end HTTPS benchmark of the veto API, as AP uses it. Not a test.

For each of N visits: one visit request, then one DIASource request per detector (189 by
default, all concurrent) of 1,000 sources each.  Reports the median and p99 latency of the
DIASource requests, of the visit requests, and of a whole visit (visit request + all its
DIASource answers), and the DIASource requests per second.

The frontend (over TLS) runs in a child process and the engine in another, so that the
client's JSON work and the fake engine's Python work do not share the frontend's event loop.
``--engine real`` (the default) starts satveto-engine with the in-memory demo catalog;
``--engine fake`` uses tests/fake_engine.py, whose veto is trivial, to measure the HTTP,
validation and RPC path alone.

    python benchmarks/http_end_to_end.py --visits 5 [--engine real]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import multiprocessing
import os
import shutil
import ssl
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "frontend"))
sys.path.insert(0, str(HERE.parent / "tests"))

MJD_UNIX_EPOCH = 40587.0


def _fake_engine(socket_path: str, ready: Any, stop: Any) -> None:
    """Grandchild process: the fake engine, so its Python work has its own interpreter."""
    from fake_engine import FakeEngine

    async def main() -> None:
        fake = FakeEngine(Path(socket_path))
        await fake.start()
        ready.set()
        await asyncio.get_running_loop().run_in_executor(None, stop.wait)
        await fake.stop()

    asyncio.run(main())


def _serve(engine_kind: str, workdir: str, ports: Any, stop: Any) -> None:
    """Child process: engine (fake or real) + frontend over TLS until ``stop`` is set."""
    from aiohttp import web

    from satveto.runtime.config import Config, EngineConfig, LimitsConfig, ServerConfig
    from satveto.web.app import create_app
    from satveto.web.app_keys import CATALOG
    from satveto.web.tls import server_ssl_context, write_self_signed_certificate

    async def main() -> None:
        directory = Path(workdir)
        cert, key, ca = write_self_signed_certificate(directory)
        socket_path = directory / "engine.sock"
        process = None
        if engine_kind == "fake":
            context = multiprocessing.get_context("spawn")
            ready = context.Event()
            fake = context.Process(target=_fake_engine, args=(str(socket_path), ready, stop))
            fake.start()
            await asyncio.get_running_loop().run_in_executor(None, ready.wait, 60)
            records: list[dict[str, Any]] = [{"NORAD_CAT_ID": n} for n in range(1, 30001)]
        else:
            from satveto.catalog.omm import validate_catalog
            from satveto.catalog.synthetic import build_demo_catalog
            from satveto.engine.process import EngineProcess

            process = EngineProcess(socket_path)
            process.start()
            await process.wait_ready()
            now = dt.datetime.now(dt.UTC)
            records = list(validate_catalog(build_demo_catalog(now), now=now).records)
        from satveto.tools.demo import demo_site

        config = Config(
            server=ServerConfig(tls_cert=cert, tls_key=key),
            site=demo_site(time.time()),  # where it is night: the strict defaults apply
            engine=EngineConfig(socket=socket_path, timeout_s=30.0, connections=8),
            limits=LimitsConfig(rate_per_s=1e6, burst=1_000_000),
        )
        app = create_app(config)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=server_ssl_context(cert, key))
        await site.start()
        await app[CATALOG].install(records, time.time(), source="bench")
        ports.put((runner.addresses[0][1], str(ca)))
        await asyncio.get_running_loop().run_in_executor(None, stop.wait)
        await runner.cleanup()
        if process is not None:
            process.stop()
        else:
            fake.join(30)

    asyncio.run(main())


#: Visits as one telescope takes them (the service's strict defaults): 30 s exposures 37 s
#: apart, the last ending a minute ago, near the zenith of the demo site (where it is night).
CADENCE_S = 37.0


def _visit(visit_id: int, index: int, count: int) -> dict[str, Any]:
    from satveto.astro import sky
    from satveto.tools.demo import DEMO_LATITUDE_DEG

    start_unix = time.time() - 90.0 - CADENCE_S * (count - index)
    sun_ra, _ = sky.sun_radec_rad(start_unix)
    return {
        "visit_id": visit_id,
        "exposure_start_mjd": sky.unix_to_mjd(start_unix, "tai"),
        "exposure_end_mjd": sky.unix_to_mjd(start_unix + 30.0, "tai"),
        "boresight_ra": (float(sun_ra) * 180.0 / 3.141592653589793 + 180.0) % 360.0,
        "boresight_dec": DEMO_LATITUDE_DEG + 5.0,
        "rotation_deg": 12.5,
    }


def _sources(detector: int, count: int) -> list[dict[str, Any]]:
    first = detector * 1_000_000
    return [
        {
            "diasource_id": first + i,
            "bbox": [(37 * i) % 4050, (53 * i) % 3980, (37 * i) % 4050 + 15, (53 * i) % 3980 + 15],
        }
        for i in range(count)
    ]


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


async def _run(base: str, cafile: str, visits: int, detectors: int, sources: int) -> None:
    context = ssl.create_default_context(cafile=cafile)
    connector = aiohttp.TCPConnector(ssl=context, limit=detectors)
    bodies = [_sources(detector, sources) for detector in range(detectors)]
    request_s: list[float] = []
    visit_request_s: list[float] = []
    visit_s: list[float] = []
    async with aiohttp.ClientSession(connector=connector) as session:

        async def post(path: str, body: dict[str, Any]) -> float:
            started = time.perf_counter()
            async with session.post(base + path, json=body) as response:
                await response.read()
                if response.status != 200:
                    raise RuntimeError(f"{path}: {response.status} {await response.text()}")
            return time.perf_counter() - started

        # Warm-up: TLS sessions, engine connections.
        await post("/v1/visits", _visit(1, 0, visits + 1))
        await asyncio.gather(
            *(
                post("/v1/diasources", {"visit_id": 1, "detector_id": d, "diasources": bodies[d]})
                for d in range(detectors)
            )
        )
        total_started = time.perf_counter()
        for n in range(visits):
            visit_id = 1000 + n
            started = time.perf_counter()
            visit_request_s.append(await post("/v1/visits", _visit(visit_id, n + 1, visits + 1)))
            request_s += await asyncio.gather(
                *(
                    post(
                        "/v1/diasources",
                        {"visit_id": visit_id, "detector_id": d, "diasources": bodies[d]},
                    )
                    for d in range(detectors)
                )
            )
            visit_s.append(time.perf_counter() - started)
        elapsed = time.perf_counter() - total_started

    def line(name: str, values: list[float]) -> str:
        return (
            f"{name:<22} median {1000 * statistics.median(values):8.1f} ms"
            f"   p99 {1000 * _percentile(values, 0.99):8.1f} ms   (n={len(values)})"
        )

    print(line("DIASource request", request_s))
    print(line("visit request", visit_request_s))
    print(line("whole visit", visit_s))
    print(
        f"{'throughput':<22} {len(request_s) / elapsed:8.1f} DIASource requests/s"
        f"   ({len(request_s) * sources / elapsed:,.0f} sources/s)"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--engine", choices=("fake", "real"), default="real")
    parser.add_argument("--visits", type=int, default=5)
    parser.add_argument("--detectors", type=int, default=189)
    parser.add_argument("--sources", type=int, default=1000)
    args = parser.parse_args()
    workdir = tempfile.mkdtemp(prefix="svbench")
    context = multiprocessing.get_context("spawn")
    ports, stop = context.Queue(), context.Event()
    server = context.Process(target=_serve, args=(args.engine, workdir, ports, stop))
    server.start()
    try:
        port, cafile = ports.get(timeout=120)
        print(
            f"engine={args.engine} visits={args.visits} detectors={args.detectors} "
            f"sources/request={args.sources} cpus={os.cpu_count()}"
        )
        asyncio.run(
            _run(f"https://localhost:{port}", cafile, args.visits, args.detectors, args.sources)
        )
    finally:
        stop.set()
        server.join(30)
        if server.is_alive():
            server.terminate()
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
