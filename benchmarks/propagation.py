"""Propagation throughput: satveto's C++ SGP4 against python-sgp4's SatrecArray.

Measures objects x instants per second for two synthetic catalogs (elements made
up here, not catalog data):

  * near-Earth: 30,000 LEO objects x 100 instants,
  * mixed: 30,000 objects of all classes of tests/accuracy/test_sgp4_differential.py
    (LEO, SSO, GTO, GNSS, GEO, Molniya; about a third deep-space) x 100 instants,

with epochs in the three days before the propagation instants (one minute apart).
The C++ side is `satveto-sgp4-tool bench` (SatelliteBatch::propagate_at, one
instant at a time), run once on one thread and once on all threads; python-sgp4
runs `SatrecArray.sgp4` over all objects and instants in one call (it has no
threading). Each figure is the median of --repetitions runs. Not a test.

    python benchmarks/propagation.py --tool BUILD/bench/satveto-sgp4-tool
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta

import numpy as np
from sgp4.api import SatrecArray

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests"))
from accuracy.test_sgp4_differential import OMM_FIELDS, generate_catalog, python_satrec

BENCH_START = datetime(2026, 6, 1)


def _recent_epochs(records: list[dict], seed: int) -> list[dict]:
    """Copies of the records with epochs within the 3 days before BENCH_START."""
    rng = random.Random(seed)
    out = []
    for record in records:
        record = dict(record)
        epoch = BENCH_START - timedelta(microseconds=rng.randrange(0, 3 * 86_400_000_000))
        record["EPOCH"] = epoch.strftime("%Y-%m-%dT%H:%M:%S.%f")
        out.append(record)
    return out


def catalogs(size: int) -> dict[str, list[dict]]:
    leo = [r for r in generate_catalog(3 * size, seed=7) if r["ORBIT_CLASS"] == "LEO"][:size]
    return {
        "near-Earth (LEO)": _recent_epochs(leo, seed=1),
        "mixed (all classes)": _recent_epochs(generate_catalog(size, seed=8), seed=2),
    }


def instants(count: int) -> np.ndarray:
    start_mjd = (BENCH_START - datetime(1858, 11, 17)).total_seconds() / 86400.0
    return start_mjd + np.arange(count) / 1440.0


def run_cpp(
    tool: str, records: list[dict], n_instants: int, repetitions: int, threads: int
) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "elements.txt")
        with open(path, "w") as f:
            for r in records:
                f.write(
                    " ".join(
                        [str(r["NORAD_CAT_ID"]), r["EPOCH"]]
                        + [repr(float(r[n])) for n in OMM_FIELDS]
                    )
                )
                f.write("\n")
        out = subprocess.run(
            [
                tool,
                "bench",
                path,
                repr(float(instants(1)[0])),
                str(n_instants),
                str(repetitions),
                str(threads),
            ],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    return json.loads(out)


def run_python(records: list[dict], n_instants: int, repetitions: int) -> float:
    array = SatrecArray([python_satrec(r) for r in records])
    mjd = instants(n_instants)
    whole = np.floor(mjd)
    jd, fr = 2400000.5 + whole, mjd - whole
    rates = []
    for _ in range(repetitions):
        started = time.perf_counter()
        array.sgp4(jd, fr)
        rates.append(len(records) * n_instants / (time.perf_counter() - started))
    return statistics.median(rates)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--tool", default=os.environ.get("SATVETO_SGP4_TOOL"), help="satveto-sgp4-tool executable"
    )
    parser.add_argument("--objects", type=int, default=30_000)
    parser.add_argument("--instants", type=int, default=100)
    parser.add_argument("--repetitions", type=int, default=5)
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    if not args.tool:
        parser.error("--tool (or SATVETO_SGP4_TOOL) is required")

    rows = []
    for name, records in catalogs(args.objects).items():
        cpp = run_cpp(args.tool, records, args.instants, args.repetitions, args.threads)
        py = run_python(records, args.instants, args.repetitions)
        rows.append(
            (
                name,
                len(records),
                args.instants,
                py,
                cpp["single_thread_per_s"],
                cpp["all_threads_per_s"],
            )
        )

    print(f"objects x instants per second (median of {args.repetitions}),", end=" ")
    print(f"{args.threads} threads for 'all'")
    header = (
        "catalog",
        "objects",
        "instants",
        "SatrecArray",
        "C++ 1 thread",
        "ratio",
        "C++ all threads",
        "ratio",
    )
    print("| " + " | ".join(header) + " |")
    print("|" + "|".join("---" for _ in header) + "|")
    for name, n, k, py, one, many in rows:
        print(
            f"| {name} | {n} | {k} | {py / 1e6:.2f} M | {one / 1e6:.2f} M | {one / py:.1f}x "
            f"| {many / 1e6:.2f} M | {many / py:.1f}x |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
