"""The AP protocol end to end over TLS on loopback, against a floor measured in the same run.
Not a test.

Per visit: one ``PUT /visit_cache``, then 189 concurrent ``PUT /diasource_allow_list`` of 1,000
sky-corner sources each (one per science detector), as lsst.ip.diffim sends them.  Client,
frontend and engine share the machine's cores.

The floor: a bare aiohttp TLS server in a process of its own that receives the same bodies,
decodes them with the standard json module and answers a fixed list.  It is what any Python
HTTPS service must pay on this machine, so "within 2x the floor" is a machine-independent
target.

Reported: per-request and whole-visit median and p99 (service and floor), requests/s, the
frontend's and engine's CPU seconds per visit, and a profile of the frontend's CPU by stage
(decode, validate, encode msgpack for the engine, encode the answer, the rest: TLS, HTTP,
asyncio), from one extra visit run under cProfile after the timed ones.

    python benchmarks/ap_protocol.py --visits 10 [--engine real|fake]
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import math
import multiprocessing
import os
import pstats
import random
import shutil
import ssl
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import aiohttp

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "frontend"))
sys.path.insert(0, str(HERE.parent / "tests"))

MJD_UNIX_EPOCH = 40587.0
sys.path.insert(0, str(HERE.parent / "frontend"))
from satveto.astro import sky  # noqa: E402
from satveto.tools.demo import DEMO_LATITUDE_DEG, demo_site  # noqa: E402

#: The service refuses low and daytime visits: the frontend observes from the demo's night site
#: (chosen when the benchmark starts, as `satveto demo` does), and the visits point at its
#: zenith then; over the 40 minutes the visits span, the zenith drifts 10 degrees.
STARTED_UNIX = time.time()
SITE = demo_site(STARTED_UNIX)
BORESIGHT = (
    round(math.degrees(float(sky.sun_radec_rad(STARTED_UNIX)[0])) + 180.0, 6) % 360.0,
    DEMO_LATITUDE_DEG,
)
DETECTORS = 189
TICKS = os.sysconf("SC_CLK_TCK")


def _process_cpu_s(pid: int) -> float:
    """utime + stime of a process, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def _fake_engine(socket_path: str, ready: Any, stop: Any) -> None:
    from fake_engine import FakeEngine

    async def main() -> None:
        fake = FakeEngine(Path(socket_path))
        await fake.start()
        ready.set()
        await asyncio.get_running_loop().run_in_executor(None, stop.wait)
        await fake.stop()

    asyncio.run(main())


def _serve_satveto(engine_kind: str, workdir: str, control: Any, replies: Any) -> None:
    """Child process: engine + frontend over TLS; obeys "profile"/"unprofile"/"stop"."""
    from aiohttp import web

    from satveto.runtime.config import Config, EngineConfig, LimitsConfig, ServerConfig
    from satveto.web.app import create_app
    from satveto.web.app_keys import CATALOG
    from satveto.web.tls import server_ssl_context, write_self_signed_certificate

    async def main() -> None:
        import datetime as dt

        directory = Path(workdir)
        cert, key, ca = write_self_signed_certificate(directory)
        socket_path = directory / "engine.sock"
        engine_pid: int
        spawn = multiprocessing.get_context("spawn")
        fake_stop = spawn.Event()
        if engine_kind == "fake":
            ready = spawn.Event()
            fake = spawn.Process(target=_fake_engine, args=(str(socket_path), ready, fake_stop))
            fake.start()
            await asyncio.get_running_loop().run_in_executor(None, ready.wait, 60)
            engine_pid = fake.pid or 0
            records: list[dict[str, Any]] = [{"NORAD_CAT_ID": n} for n in range(1, 30001)]
        else:
            from satveto.catalog.omm import validate_catalog
            from satveto.catalog.synthetic import build_demo_catalog
            from satveto.engine.process import EngineProcess

            process = EngineProcess(socket_path)
            process.start()
            await process.wait_ready()
            engine_pid = process.process.pid
            now = dt.datetime.now(dt.UTC)
            records = list(validate_catalog(build_demo_catalog(now), now=now).records)
        config = Config(
            server=ServerConfig(tls_cert=cert, tls_key=key),
            engine=EngineConfig(socket=socket_path, timeout_s=30.0, connections=8),
            limits=LimitsConfig(rate_per_s=1e6, burst=1_000_000),
            site=SITE,
        )
        app = create_app(config)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 0, ssl_context=server_ssl_context(cert, key)).start()
        await app[CATALOG].install(records, time.time(), source="bench")
        replies.put((runner.addresses[0][1], str(ca), engine_pid))
        loop = asyncio.get_running_loop()
        profiler = cProfile.Profile(time.process_time)  # CPU, not wall: the machine is shared
        while True:
            command = await loop.run_in_executor(None, control.get)
            if command == "cpu":
                replies.put(time.process_time())
            elif command == "profile":
                profiler.enable()  # this is the event loop's thread: it profiles the frontend
                replies.put("ok")
            elif command == "unprofile":
                profiler.disable()
                profiler.dump_stats(str(directory / "frontend.prof"))
                replies.put(str(directory / "frontend.prof"))
            else:
                break
        await runner.cleanup()
        if engine_kind == "fake":
            fake_stop.set()
            fake.join(30)
        else:
            process.stop()

    asyncio.run(main())


def _serve_floor(cafile_dir: str, replies: Any, stop: Any) -> None:
    """Child process: the floor, a bare aiohttp TLS handler that decodes and answers."""
    from aiohttp import web

    from satveto.web.tls import server_ssl_context, write_self_signed_certificate

    async def visit(request: web.Request) -> web.Response:
        json.loads(await request.read())
        return web.json_response({"status": "ok"})

    async def allow_list(request: web.Request) -> web.Response:
        body = json.loads(await request.read())
        return web.json_response(
            {"visit_id": body["visit_id"], "detector_id": body["detector_id"], "allow_list": [1]}
        )

    async def main() -> None:
        cert, key, ca = write_self_signed_certificate(Path(cafile_dir))
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_put("/visit_cache", visit)
        app.router.add_put("/diasource_allow_list", allow_list)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 0, ssl_context=server_ssl_context(cert, key)).start()
        replies.put((runner.addresses[0][1], str(ca), os.getpid()))
        await asyncio.get_running_loop().run_in_executor(None, stop.wait)
        await runner.cleanup()

    asyncio.run(main())


def _visit_body(visit_id: int, n: int) -> bytes:
    # Non-overlapping 30 s exposures 35 s apart, within the last 40 minutes, placed by visit id
    # so that the warm-up, the floor's and the measured visits never overlap (one camera).
    del n
    mid = MJD_UNIX_EPOCH + (time.time() - 90.0 - 35.0 * (60 - visit_id % 60)) / 86400.0
    half = 15.0 / 86400.0
    return json.dumps(
        {
            "visit_id": visit_id,
            "exposure_start_mjd": mid - half,
            "exposure_end_mjd": mid + half,
            "boresight_ra": BORESIGHT[0],
            "boresight_dec": BORESIGHT[1],
            "historical": False,
        }
    ).encode()


def _sources(detector: int, count: int, rng: random.Random) -> list[dict[str, Any]]:
    """``count`` 7-pixel footprints (0.2"/pixel) as four sky corners, within the field."""
    ra0, dec0 = BORESIGHT
    side = 7 * 0.2 / 3600.0
    sources = []
    for i in range(count):
        radius, angle = 1.6 * math.sqrt(rng.random()), rng.uniform(0.0, 2.0 * math.pi)
        dec = dec0 + radius * math.cos(angle)
        ra = ra0 + radius * math.sin(angle) / math.cos(math.radians(dec))
        step = side / math.cos(math.radians(dec))
        corners = [[ra, dec], [ra + step, dec], [ra + step, dec + side], [ra, dec + side]]
        sources.append({"diasource_id": detector * 1_000_000 + i, "bbox": corners})
    return sources


def _allow_body(visit_id: int, detector: int, sources: list[dict[str, Any]]) -> bytes:
    # What `requests.put(json=...)` sends: json.dumps with its default separators.
    return json.dumps(
        {"visit_id": visit_id, "detector_id": detector, "diasources": sources, "historical": False}
    ).encode()


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


class Run:
    def __init__(self) -> None:
        self.request_s: list[float] = []
        self.visit_s: list[float] = []
        self.elapsed_s = 0.0


async def _drive(
    base: str, cafile: str, visit_ids: list[int], sources: list[list[dict[str, Any]]]
) -> Run:
    """One visit request then all detectors concurrently, for each visit id in turn."""
    context = ssl.create_default_context(cafile=cafile)
    connector = aiohttp.TCPConnector(ssl=context, limit=DETECTORS)
    headers = {"Content-Type": "application/json"}
    run = Run()
    async with aiohttp.ClientSession(connector=connector, headers=headers) as session:

        async def put(path: str, body: bytes) -> float:
            started = time.perf_counter()
            async with session.put(base + path, data=body) as response:
                await response.read()
                if response.status != 200:
                    raise RuntimeError(f"{path}: {response.status} {await response.text()}")
            return time.perf_counter() - started

        total_started = time.perf_counter()
        for n, visit_id in enumerate(visit_ids):
            bodies = [_allow_body(visit_id, d, sources[d]) for d in range(DETECTORS)]
            started = time.perf_counter()
            await put("/visit_cache", _visit_body(visit_id, n))
            run.request_s += await asyncio.gather(
                *(put("/diasource_allow_list", bodies[d]) for d in range(DETECTORS))
            )
            run.visit_s.append(time.perf_counter() - started)
        run.elapsed_s = time.perf_counter() - total_started
    return run


STAGES = (
    (
        "decode (msgspec)",
        lambda f, n: "msgspec.json.Decoder" in n or "'decode' of 'msgspec.json" in n,
    ),
    ("validate (checks after decoding)", lambda f, n: f.endswith("satveto/web/validation.py")),
    ("encode msgpack (engine request)", lambda f, n: "msgspec.msgpack.Encoder" in n),
    ("encode answer (JSON)", lambda f, n: "msgspec.json.Encoder" in n),
    ("TLS (ssl)", lambda f, n: "ssl" in f.rsplit("/", 1)[-1] or "_ssl" in n or "SSLObject" in n),
)


def _profile_table(path: str, engine_cpu_s: float) -> str:
    """The frontend's own CPU time (tottime) by stage; the engine's from /proc."""
    stats = pstats.Stats(path)
    totals = {name: 0.0 for name, _ in STAGES}
    rest = 0.0
    others: list[tuple[float, str]] = []
    for (filename, _, function), (_, _, tottime, _, _) in stats.stats.items():  # type: ignore[attr-defined]
        if "epoll" in function or "select" in function:
            continue  # waiting for the network: wall time, not CPU
        for name, matches in STAGES:
            if matches(filename, function):
                totals[name] += tottime
                break
        else:
            rest += tottime
            others.append((tottime, f"{filename.rsplit('/', 1)[-1]}:{function}"))
    if os.environ.get("SATVETO_BENCH_PROFILE_DETAIL"):
        for seconds, name in sorted(others, reverse=True)[:25]:
            print(f"  {seconds:8.3f} {name}")
    total = sum(totals.values()) + rest
    lines = [f"{'stage':<36} {'CPU s':>8} {'share':>7}"]
    for name, seconds in [*totals.items(), ("HTTP, asyncio, everything else", rest)]:
        lines.append(f"{name:<36} {seconds:8.3f} {100 * seconds / total:6.1f}%")
    lines.append(f"{'frontend total (profiled visit)':<36} {total:8.3f}")
    lines.append(f"{'engine CPU (same visit, /proc)':<36} {engine_cpu_s:8.3f}")
    return "\n".join(lines)


def _line(name: str, values: list[float]) -> str:
    return (
        f"{name:<30} median {1000 * statistics.median(values):8.1f} ms"
        f"   p99 {1000 * _percentile(values, 0.99):8.1f} ms   (n={len(values)})"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--engine", choices=("fake", "real"), default="real")
    parser.add_argument("--visits", type=int, default=10)
    parser.add_argument("--sources", type=int, default=1000)
    args = parser.parse_args()
    rng = random.Random(20261129)
    sources = [_sources(d, args.sources, rng) for d in range(DETECTORS)]
    spawn = multiprocessing.get_context("spawn")
    workdir = tempfile.mkdtemp(prefix="svapbench")
    try:
        # The floor first, alone on the machine.
        floor_replies, floor_stop = spawn.Queue(), spawn.Event()
        floor = spawn.Process(
            target=_serve_floor, args=(workdir + "/floor", floor_replies, floor_stop)
        )
        os.makedirs(workdir + "/floor")
        floor.start()
        port, cafile, _ = floor_replies.get(timeout=60)
        base = f"https://localhost:{port}"
        asyncio.run(_drive(base, cafile, [1], sources))  # warm-up
        floor_run = asyncio.run(_drive(base, cafile, list(range(10, 10 + args.visits)), sources))
        floor_stop.set()
        floor.join(30)

        control, replies = spawn.Queue(), spawn.Queue()
        server = spawn.Process(target=_serve_satveto, args=(args.engine, workdir, control, replies))
        server.start()
        port, cafile, engine_pid = replies.get(timeout=180)
        base = f"https://localhost:{port}"
        asyncio.run(_drive(base, cafile, [1], sources))  # warm-up: TLS, engine connections
        control.put("cpu")
        frontend_cpu0, engine_cpu0 = replies.get(timeout=60), _process_cpu_s(engine_pid)
        run = asyncio.run(_drive(base, cafile, list(range(1000, 1000 + args.visits)), sources))
        control.put("cpu")
        frontend_cpu = replies.get(timeout=60) - frontend_cpu0
        engine_cpu = _process_cpu_s(engine_pid) - engine_cpu0
        control.put("profile")
        replies.get(timeout=60)
        engine_before = _process_cpu_s(engine_pid)
        asyncio.run(_drive(base, cafile, [5000], sources))
        engine_profiled = _process_cpu_s(engine_pid) - engine_before
        control.put("unprofile")
        profile_path = replies.get(timeout=120)
        table = _profile_table(profile_path, engine_profiled)
        control.put("stop")
        server.join(60)

        print(
            f"engine={args.engine} visits={args.visits} detectors={DETECTORS} "
            f"sky-corner sources/request={args.sources} cpus={os.cpu_count()} "
            f"load={' '.join(f'{x:.2f}' for x in os.getloadavg())}"
        )
        print(_line("satveto: allow-list request", run.request_s))
        print(_line("satveto: whole visit", run.visit_s))
        print(_line("floor: allow-list request", floor_run.request_s))
        print(_line("floor: whole visit", floor_run.visit_s))
        print(
            f"{'throughput':<30} satveto {len(run.request_s) / run.elapsed_s:6.1f} requests/s, "
            f"floor {len(floor_run.request_s) / floor_run.elapsed_s:6.1f} requests/s"
        )
        ratio = _percentile(run.visit_s, 0.99) / _percentile(floor_run.visit_s, 0.99)
        print(f"{'whole visit p99 / floor p99':<30} {ratio:.2f} (target <= 2)")
        print(
            f"{'CPU per visit':<30} frontend {frontend_cpu / args.visits:.2f} s, "
            f"engine {engine_cpu / args.visits:.2f} s"
        )
        print(
            "\nfrontend CPU by stage (one extra visit under cProfile; cProfile inflates "
            "Python-level costs):\n" + table
        )
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    threading.excepthook = lambda args: None  # quiet the executor threads at shutdown
    sys.exit(main())
