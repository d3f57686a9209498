"""Runs the benchmarks and writes benchmarks/RESULTS.md. Not a test.

Sections, each timed:

1. propagation.py: C++ SGP4 against python-sgp4's SatrecArray (needs the bench tool, --tool);
2. visit_matching.py with 50,000 objects: register_visit, filter_sources, brute force;
3. http_end_to_end.py with the real engine: the HTTPS API as AP uses it;
3b. ap_protocol.py with the real engine: the AP protocol's sky corners, against a floor;
4. catalog scale: for 10k ... 500k demo objects, a fresh engine each: demo catalog build,
   load_catalog, first coarse-ephemeris build, register_visit (engine time, median and p99
   over the visits) and the engine's memory (VmRSS and VmHWM from /proc/PID/status);
5. insider.py: objects an allowlisted client with the secret can locate per hour, defence by
   defence (the disclosure budget last), honest AP's busiest hour over whole nights, and
   register_visit's latency for quiet and busy fields.

The whole report is sized to finish within 15 minutes on a shared 2-core machine; --quick
shrinks every section for a smoke run.  Build the bench tool first:

    cmake -S engine -B BUILD -DCMAKE_BUILD_TYPE=Release -DSATVETO_BUILD_BENCH=ON
    cmake --build BUILD -j2 --target satveto-sgp4-tool
    .venv/bin/python benchmarks/report.py --tool BUILD/bench/satveto-sgp4-tool
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path[:0] = [str(REPO / "frontend"), str(REPO / "tests"), str(HERE)]

from satveto.catalog.synthetic import build_demo_catalog  # noqa: E402
from satveto.engine.process import EngineProcess  # noqa: E402
from support import BlockingEngineClient  # noqa: E402
from visit_matching import random_pointing  # noqa: E402

SIZES = (10_000, 50_000, 100_000, 200_000, 500_000)


def machine() -> dict[str, str]:
    cpu = "unknown"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    memory_kib = 0
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                memory_kib = int(line.split()[1])
    return {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "nproc": subprocess.run(["nproc"], capture_output=True, text=True).stdout.strip(),
        "cpu": cpu,
        "memory": f"{memory_kib / 1024**2:.1f} GiB",
        "kernel": platform.release(),
        "python": platform.python_version(),
        "load": " ".join(f"{x:.2f}" for x in os.getloadavg()),
    }


def run_script(args: list[str], timeout_s: float) -> tuple[str, float]:
    """Runs a benchmark script with this interpreter; its stdout and the wall time."""
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, *args],
        capture_output=True,
        text=True,
        timeout=timeout_s,
        cwd=REPO,
        check=False,
    )
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        tail = "\n".join(result.stderr.strip().splitlines()[-15:])
        return f"FAILED (exit {result.returncode}):\n\n```\n{tail}\n```\n", elapsed
    return result.stdout.strip(), elapsed


def memory_kib(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM of a process (kB as the kernel reports them)."""
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key = line.split(":", 1)[0]
            if key in ("VmRSS", "VmHWM"):
                out[key] = int(line.split()[1])
    return out


def one_scale_run(n: int, visits: int, rng: np.random.Generator) -> dict:
    """One fresh engine with an n-object demo catalog: timings, register_visit, memory."""
    row: dict = {"objects": n}
    started = time.perf_counter()
    catalog = build_demo_catalog(dt.datetime.now(dt.UTC), count=n)
    row["build_s"] = time.perf_counter() - started
    with tempfile.TemporaryDirectory() as workdir:
        engine = EngineProcess(Path(workdir) / "engine.sock")
        engine.start()
        try:
            asyncio.run(engine.wait_ready())
            assert engine.process is not None
            pid = engine.process.pid
            client = BlockingEngineClient(engine.socket_path, timeout_s=900)
            started = time.perf_counter()
            client.call(
                "load_catalog",
                {"generation": f"scale-{n}", "fetched_at_unix": time.time(), "objects": catalog},
            )
            row["load_s"] = time.perf_counter() - started
            del catalog  # the next run's build must not hold two catalogs in memory
            deadline = time.time() + 600
            while client.call("stats")["visits"]["ephemeris"]["builds"] < 1:
                if time.time() > deadline:
                    raise RuntimeError(f"no coarse ephemeris after 600 s at {n} objects")
                time.sleep(0.05)
            row["ephemeris_s"] = time.perf_counter() - started - row["load_s"]
            row["rss_loaded_kib"] = memory_kib(pid)["VmRSS"]
            times = []
            for k in range(visits):
                mjd = 40587 + time.time() / 86400 + 5 / 86400
                ra, dec = random_pointing(rng, mjd)
                visit = {
                    "visit_id": k + 1,
                    "exposure_start_mjd": mjd,
                    "exposure_end_mjd": mjd + 30 / 86400,
                    "time_scale": "utc",
                    "boresight_ra": ra,
                    "boresight_dec": dec,
                    "rotation_deg": float(rng.uniform(0, 360)),
                }
                # register_visit answers once the visit is queued; its precompute's time is what
                # visit_tracks reports (it waits for the precompute to finish).
                client.call("register_visit", visit)
                times.append(client.call("visit_tracks", {"visit_id": k + 1})["elapsed_ms"])
            kept = client.call("stats")["visits"]
            row["kept"] = (kept["with_kept_ephemeris"], kept["registered"])
            row["register_ms"] = times
            status = memory_kib(pid)
            row["rss_after_kib"], row["hwm_kib"] = status["VmRSS"], status["VmHWM"]
            client.close()
        finally:
            engine.stop()
    return row


def catalog_scale(sizes: list[int], visits: int, repeats: int, seed: int) -> list[dict]:
    """Per size, `repeats` fresh engines; one-off figures become median and range."""
    rng = np.random.default_rng(seed)
    rows = []
    for n in sizes:
        runs = [one_scale_run(n, visits, rng) for _ in range(repeats)]
        rows.append(
            {
                "objects": n,
                "runs": runs,
                "register_ms": [t for r in runs for t in r["register_ms"]],
                "kept": (sum(r["kept"][0] for r in runs), sum(r["kept"][1] for r in runs)),
            }
        )
        print(f"catalog scale: {n} objects done", file=sys.stderr, flush=True)
    return rows


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.array(values), q))


def spread(values: list[float], digits: int) -> str:
    """Median with the range of a few one-off measurements."""
    if len(values) == 1:
        return f"{values[0]:.{digits}f}"
    low, high = min(values), max(values)
    return f"{statistics.median(values):.{digits}f} ({low:.{digits}f}-{high:.{digits}f})"


def scale_table(rows: list[dict]) -> str:
    lines = [
        "| objects | demo build (s) | load_catalog (s) | first ephemeris (s) | "
        "register_visit median (ms) | p99 (ms) | min-max (ms) | visits on kept ephemeris | "
        "RSS loaded (MiB) | peak RSS (MiB) |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        t, runs = r["register_ms"], r["runs"]
        lines.append(
            f"| {r['objects']:,} | {spread([x['build_s'] for x in runs], 1)} | "
            f"{spread([x['load_s'] for x in runs], 1)} | "
            f"{spread([x['ephemeris_s'] for x in runs], 1)} | {statistics.median(t):.2f} | "
            f"{percentile(t, 99):.2f} | {min(t):.2f}-{max(t):.2f} | "
            f"{r['kept'][0]}/{r['kept'][1]} | "
            f"{spread([x['rss_loaded_kib'] / 1024 for x in runs], 0)} | "
            f"{spread([x['hwm_kib'] / 1024 for x in runs], 0)} |"
        )
    return "\n".join(lines)


def scale_ratios(rows: list[dict]) -> str:
    if len(rows) < 2:
        return ""
    first, last = rows[0], rows[-1]

    def rss(row: dict) -> float:
        return statistics.median(x["rss_loaded_kib"] for x in row["runs"])

    objects = last["objects"] / first["objects"]
    register = statistics.median(last["register_ms"]) / statistics.median(first["register_ms"])
    per_object = (rss(last) - rss(first)) / (last["objects"] - first["objects"])
    return (
        f"From {first['objects']:,} to {last['objects']:,} objects ({objects:.0f}x): median "
        f"register_visit grows {register:.1f}x; resident memory grows by about "
        f"{per_object:.1f} KiB per catalog object (difference of the median loaded RSS; the "
        "engine locks its memory, so RSS is the whole footprint)."
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tool", help="satveto-sgp4-tool (bench build); without it, no section 1")
    parser.add_argument("--out", type=Path, default=HERE / "RESULTS.md")
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    parser.add_argument("--sizes", type=int, nargs="*", help="catalog sizes for section 4")
    parser.add_argument("--scale-visits", type=int, default=60, help="visits per engine")
    parser.add_argument("--scale-repeats", type=int, default=3, help="fresh engines per size")
    args = parser.parse_args()
    started = time.perf_counter()
    info = machine()
    sections: list[str] = []
    timings: list[tuple[str, float]] = []

    quick = args.quick
    if args.tool:
        reps = "2" if quick else "5"
        objects = "3000" if quick else "30000"
        text, seconds = run_script(
            ["benchmarks/propagation.py", "--tool", args.tool, "--objects", objects,
             "--repetitions", reps],
            timeout_s=600,
        )  # fmt: skip
        sections.append(
            "## 1. Propagation throughput\n\n"
            f"`benchmarks/propagation.py --objects {objects} --repetitions {reps}` "
            f"({seconds:.0f} s). Each figure is the median of the repetitions; the ratios are "
            "against python-sgp4's SatrecArray (C, vectorised, one thread).\n\n" + text
        )
        timings.append(("propagation", seconds))
    else:
        sections.append("## 1. Propagation throughput\n\nNot run: no `--tool` given.")

    objects = "5000" if quick else "50000"
    visits = "5" if quick else "40"
    text, seconds = run_script(
        ["benchmarks/visit_matching.py", "--objects", objects, "--visits", visits], timeout_s=900
    )
    sections.append(
        "## 2. Visit matching\n\n"
        f"`benchmarks/visit_matching.py --objects {objects} --visits {visits}` ({seconds:.0f} s):"
        " the engine's precompute time per visit (`visit_tracks`' elapsed_ms) and filter_sources'"
        " engine time from `stats` deltas (median and p99 over the visits), against a "
        "python-sgp4 SatrecArray brute force at 1 s sampling in this process.\n\n" + text
    )
    timings.append(("visit matching", seconds))

    visits = "2" if quick else "10"
    text, seconds = run_script(
        ["benchmarks/http_end_to_end.py", "--engine", "real", "--visits", visits], timeout_s=900
    )
    sections.append(
        "## 3. HTTPS end to end\n\n"
        f"`benchmarks/http_end_to_end.py --engine real --visits {visits}` ({seconds:.0f} s): "
        "per visit one visit request, then 189 concurrent DIASource requests of 1,000 sources "
        "(one per science detector), 30,000-object demo catalog, client, frontend and engine "
        "on the same 2 cores.\n\n```\n" + text + "\n```"
    )
    timings.append(("http end to end", seconds))

    visits = "2" if quick else "10"
    text, seconds = run_script(
        ["benchmarks/ap_protocol.py", "--engine", "real", "--visits", visits], timeout_s=900
    )
    sections.append(
        "## 3b. AP protocol end to end, against a floor\n\n"
        f"`benchmarks/ap_protocol.py --engine real --visits {visits}` ({seconds:.0f} s): per "
        "visit one `PUT /visit_cache`, then 189 concurrent `PUT /diasource_allow_list` of "
        "1,000 sky-corner sources, as lsst.ip.diffim sends them, over TLS on loopback; the "
        "floor is a bare aiohttp TLS handler that JSON-decodes the same bodies and answers a "
        "fixed list. Target: whole visit p99 within 2x the floor's.\n\n```\n" + text + "\n```"
    )
    timings.append(("ap protocol", seconds))

    sizes = args.sizes or ([2000, 10_000] if quick else list(SIZES))
    scale_visits = 5 if quick else args.scale_visits
    section_started = time.perf_counter()
    repeats = 1 if quick else args.scale_repeats
    rows = catalog_scale(sizes, scale_visits, repeats, seed=20261121)
    seconds = time.perf_counter() - section_started
    sections.append(
        "## 4. Catalog scale\n\n"
        f"{repeats} fresh engine(s) per size ({seconds:.0f} s in all); one-off figures are the "
        "median (min-max) of those runs. Demo catalog built in Python, sent "
        "with `load_catalog`; 'first ephemeris' is the wait until the kept coarse ephemeris "
        f"(20 min at 30 s, ahead of the clock) is built. {scale_visits} visits per engine, "
        "30 s long, at random pointings above 20° altitude, starting now; register_visit "
        "time is the engine's precompute time (`visit_tracks`' elapsed_ms: the call itself answers "
        "once the visit is queued), pooled over the runs. Memory from "
        "/proc/PID/status: VmRSS after the load, VmHWM (peak) after the visits.\n\n"
        + scale_table(rows)
        + "\n\n"
        + scale_ratios(rows)
    )
    timings.append(("catalog scale", seconds))

    instants = "2" if quick else "8"
    text, seconds = run_script(
        [
            "benchmarks/insider.py",
            "--instants",
            instants,
            "--objects",
            "8000" if quick else "30000",
            *(["--no-honest-nights"] if quick else []),
        ],
        timeout_s=1500,
    )
    sections.append(
        "## 5. Catalog secrecy: the insider\n\n"
        f"`benchmarks/insider.py --instants {instants}` ({seconds:.0f} s): objects an "
        "allowlisted client holding the secret can locate per hour under each set of rules "
        "(tests/reliability/insider.py; docs/reliability.md, 'Threat model'), the pairs honest "
        "AP's answers reveal in the busiest hour of whole nights (what the disclosure budget "
        "must let through), and register_visit's round trip for the quietest and busiest "
        "fields of a grid.\n\n" + text
    )
    timings.append(("insider", seconds))

    total = time.perf_counter() - started
    header = [
        "# Benchmark results",
        "",
        "Written by `benchmarks/report.py`; do not edit by hand. Figures are medians with their "
        "spread (p99, min-max) over repeated runs, never single runs.",
        "",
        "| machine | |",
        "|---|---|",
        f"| date | {info['date']} |",
        f"| `nproc` | {info['nproc']} |",
        f"| CPU | {info['cpu']} |",
        f"| memory | {info['memory']} |",
        f"| kernel, Python | {info['kernel']}, {info['python']} |",
        f"| load average at start | {info['load']} (the machine is shared) |",
        f"| report wall time | {total / 60:.1f} min ("
        + ", ".join(f"{name} {s:.0f} s" for name, s in timings)
        + ") |",
        "",
    ]
    args.out.write_text("\n".join(header) + "\n" + "\n\n".join(sections) + "\n")
    print(f"wrote {args.out} in {total:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
