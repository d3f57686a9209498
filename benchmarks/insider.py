"""The insider harness, long (tests/reliability/insider.py): objects an allowlisted client with
the secret can locate per hour, defence by defence (the disclosure budget last, at its default),
on a 30,000-object demo catalog; honest AP's busiest hour over whole nights of several ways of
observing (what the budget must let through); and register_visit's latency for quiet and busy
fields (the timing signal).  Not a test."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path[:0] = [str(REPO / "frontend"), str(REPO / "tests"), str(HERE)]

from fake_engine import night_site  # noqa: E402
from reliability.insider import Insider, located, measure  # noqa: E402
from satveto.astro import sky  # noqa: E402
from satveto.catalog.synthetic import build_demo_catalog  # noqa: E402
from satveto.engine.process import EngineProcess  # noqa: E402
from satveto.runtime.config import Config, SiteConfig  # noqa: E402
from satveto.web.app import engine_settings  # noqa: E402
from support import BlockingEngineClient  # noqa: E402


def register_latency(
    client: BlockingEngineClient, insider: Insider, site: dict[str, float], now: float, n: int
) -> str:
    """register_visit round trips (client side, ms) for the quietest and the busiest fields of
    a grid: the answer must not depend on the field's load."""
    grid = insider.visible_grid(now - 600.0, 15.0)
    loads = []
    for k, pointing in enumerate(grid):
        visit = insider._visit(now - 600.0, 30.0, *pointing, 0.0)
        client.call("register_visit", visit)
        tracks = client.call("visit_tracks", {"visit_id": visit["visit_id"]})
        loads.append((len(tracks["segments"]), located(tracks, 0.0, True), k))
        client.call("drop_visit", {"visit_id": visit["visit_id"]})
    loads.sort()
    quiet, busy = grid[loads[0][2]], grid[loads[-1][2]]
    lines = []
    for name, pointing, load in (("quiet", quiet, loads[0]), ("busy", busy, loads[-1])):
        times = []
        for _ in range(n):
            visit = insider._visit(now - 600.0, 30.0, *pointing, 0.0)
            started = time.perf_counter()
            client.call("register_visit", visit)
            times.append(1000.0 * (time.perf_counter() - started))
            client.call("visit_tracks", {"visit_id": visit["visit_id"]})  # let it finish
            client.call("drop_visit", {"visit_id": visit["visit_id"]})
        lines.append(
            f"{name} field ({load[0]} track segments): register_visit median "
            f"{statistics.median(times):.2f} ms, p90 {sorted(times)[int(0.9 * n)]:.2f} ms"
        )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--objects", type=int, default=30_000)
    parser.add_argument("--instants", type=int, default=8)
    parser.add_argument("--probes", type=int, default=3)
    parser.add_argument("--latency-repeats", type=int, default=30)
    parser.add_argument(
        "--no-honest-nights", action="store_true", help="skip honest AP's nights (~4 min)"
    )
    args = parser.parse_args()
    now = time.time()
    site = night_site(now)
    with tempfile.TemporaryDirectory(prefix="satveto-insider-") as directory:
        engine = EngineProcess(Path(directory) / "engine.sock")
        engine.start()
        try:
            asyncio.run(engine.wait_ready())
            client = BlockingEngineClient(engine.socket_path, timeout_s=600.0)
            client.call("configure", engine_settings(Config(site=SiteConfig(**site))))
            catalog = build_demo_catalog(dt.datetime.fromtimestamp(now, dt.UTC), count=args.objects)
            client.call(
                "load_catalog", {"generation": "g", "fetched_at_unix": now, "objects": catalog}
            )
            started = time.perf_counter()
            honest = not args.no_honest_nights
            report = measure(client, site, now, args.instants, args.probes, honest_nights=honest)
            seconds = time.perf_counter() - started
            latency = register_latency(
                client, Insider(client, site, 7), site, now, args.latency_repeats
            )
            client.close()
        finally:
            engine.stop()
    print(
        f"{args.objects:,} demo objects, {args.instants} instants, best of 41 pointings at each; "
        f"old probe {report.probe_s * 1000:.0f} ms of engine time; {seconds:.0f} s; site "
        f"latitude {site['latitude_deg']:g}, longitude {site['longitude_deg']:.1f} (night), "
        f"Sun {sky.sun_altitude_deg(now, site['latitude_deg'], site['longitude_deg']):.0f} deg\n"
    )
    print(report.table())
    run = report.budget_run
    print(
        f"\nThe budget row: {run.visits} visits played, {len(run.answers)} answers given, then "
        f"refused ({run.refused} refusal{'s' if run.refused != 1 else ''}: the run stops at the "
        f"first); {len(run.disclosed)} pairs disclosed, counted independently."
    )
    if report.honest_peaks:
        print(
            "\nHonest AP, whole nights (Sun below -6 deg), each way of observing all night: the "
            "(visit, object) pairs its answers reveal (every corridor crossing a science "
            "detector, an upper bound) in the busiest hour, rolling to the visit.\n"
        )
        print(report.honest_table())
    print()
    print(latency)
    return 0


if __name__ == "__main__":
    sys.exit(main())
