"""Differential test: the engine's SGP4 against python-sgp4 on a synthetic catalog.

The catalog (20,000 objects: LEO, SSO, GTO, GNSS, GEO, Molniya) is generated
deterministically by `generate_catalog`. Each object is propagated by the engine
through its `propagate` RPC method and by python-sgp4 (`sgp4.omm.initialize`
with WGS72, i.e. an independent unit conversion) at instants spread over +-3 days
from its epoch; positions must agree within 1 cm and error codes exactly.

Without the engine, the same comparison can be run against the C++ library via
its development tool:

    python tests/accuracy/test_sgp4_differential.py --tool BUILD/bench/satveto-sgp4-tool
"""

from __future__ import annotations

import argparse
import math
import os
import random
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta

from sgp4 import omm
from sgp4.api import WGS72, Satrec

CATALOG_SIZE = 20_000
CATALOG_SEED = 20261120
POSITION_TOLERANCE_KM = 1.0e-5  # 1 cm
# Offsets from epoch (days) at which every object is compared: +-3 days.
OFFSETS_DAYS = (-3.0, -1.37, -0.2, 0.0, 0.013, 0.61, 1.9, 3.0)

# Orbit classes: (name, share of the catalog).
ORBIT_CLASSES = (
    ("LEO", 0.45),
    ("SSO", 0.20),
    ("GTO", 0.08),
    ("GNSS", 0.10),
    ("GEO", 0.10),
    ("MOLNIYA", 0.07),
)

OMM_FIELDS = (
    "MEAN_MOTION",
    "ECCENTRICITY",
    "INCLINATION",
    "RA_OF_ASC_NODE",
    "ARG_OF_PERICENTER",
    "MEAN_ANOMALY",
    "BSTAR",
    "MEAN_MOTION_DOT",
    "MEAN_MOTION_DDOT",
)


EARTH_RADIUS_KM = 6378.135
MU_KM3_S2 = 398600.8


def _from_perigee_apogee(perigee_alt_km: float, apogee_alt_km: float) -> tuple[float, float]:
    """(mean motion in rev/day, eccentricity) of an orbit given its perigee and apogee heights."""
    rp = EARTH_RADIUS_KM + perigee_alt_km
    ra = EARTH_RADIUS_KM + apogee_alt_km
    a = 0.5 * (rp + ra)
    return math.sqrt(MU_KM3_S2 / a**3) * 86400.0 / (2.0 * math.pi), (ra - rp) / (ra + rp)


def _from_period_perigee(period_min: float, perigee_alt_km: float) -> tuple[float, float]:
    a = (MU_KM3_S2 * (period_min * 60.0 / (2.0 * math.pi)) ** 2) ** (1.0 / 3.0)
    return 1440.0 / period_min, 1.0 - (EARTH_RADIUS_KM + perigee_alt_km) / a


def _orbit(kind: str, rng: random.Random) -> dict:
    """Mean elements typical of an orbit class (synthetic, not catalog data)."""
    u = rng.uniform
    if kind == "LEO":
        perigee = u(250.0, 1600.0)
        n, e = _from_perigee_apogee(perigee, perigee + u(0.0, 1.0) ** 3 * 1500.0)
        i = u(0.0, 100.0)
        bstar, ndot = u(-2e-5, 8e-4), u(-1e-5, 5e-4)
    elif kind == "SSO":
        perigee = u(450.0, 900.0)
        n, e = _from_perigee_apogee(perigee, perigee + u(0.0, 30.0))
        i = u(96.5, 99.0)
        bstar, ndot = u(0.0, 3e-4), u(0.0, 1e-4)
    elif kind == "GTO":
        n, e = _from_perigee_apogee(u(185.0, 650.0), u(35_000.0, 36_500.0))
        i = u(0.0, 28.5)
        bstar, ndot = u(0.0, 1e-3), u(0.0, 1e-5)
    elif kind == "GNSS":
        n = rng.choice((2.0056, 1.7047, 2.1315, 1.8604)) + u(
            -0.002, 0.002
        )  # GPS, Galileo, GLONASS, BeiDou MEO
        e, i = u(0.0, 0.02), u(54.0, 66.0)
        bstar, ndot = u(-1e-4, 1e-4), u(-1e-7, 1e-7)
    elif kind == "GEO":
        n, e, i = u(0.9995, 1.0055), u(0.0, 0.001), u(0.0, 15.0)
        bstar, ndot = u(-1e-4, 1e-4), u(-3e-6, 3e-6)
    elif kind == "MOLNIYA":
        n, e = _from_period_perigee(u(717.0, 719.0), u(450.0, 2500.0))
        i = u(62.0, 65.0)
        bstar, ndot = u(0.0, 2e-4), u(0.0, 1e-6)
    else:  # pragma: no cover - programming error
        raise ValueError(kind)
    argp = u(250.0, 290.0) if kind == "MOLNIYA" else u(0.0, 360.0)
    return {
        "MEAN_MOTION": round(n, 8),
        "ECCENTRICITY": round(e, 7),
        "INCLINATION": round(i, 4),
        "RA_OF_ASC_NODE": round(u(0.0, 360.0), 4),
        "ARG_OF_PERICENTER": round(argp, 4),
        "MEAN_ANOMALY": round(u(0.0, 360.0), 4),
        "BSTAR": float(f"{bstar:.4e}"),
        "MEAN_MOTION_DOT": round(ndot, 8),
        "MEAN_MOTION_DDOT": 0.0,
    }


def generate_catalog(count: int = CATALOG_SIZE, seed: int = CATALOG_SEED) -> list[dict]:
    """Deterministic synthetic OMM catalog: a list of dicts with space-track GP field names.

    Every dict carries "ORBIT_CLASS" (test bookkeeping, not an OMM field).
    Epochs lie in 2026 with microsecond fractions; ids run from 90000 upwards, so
    part of them are above 99999 (Alpha-5 range in TLE terms).
    """
    rng = random.Random(seed)
    base = datetime(2026, 1, 1)
    catalog = []
    bounds = []
    total = 0.0
    for name, share in ORBIT_CLASSES:
        total += share
        bounds.append((total, name))
    for k in range(count):
        x = (k + 0.5) / count
        kind = next(name for bound, name in bounds if x <= bound + 1e-12)
        epoch = base + timedelta(
            seconds=rng.randrange(0, 365 * 86400), microseconds=rng.randrange(0, 1_000_000)
        )
        record = {
            "NORAD_CAT_ID": 90_000 + k,
            "EPOCH": epoch.strftime("%Y-%m-%dT%H:%M:%S.%f"),
            "ORBIT_CLASS": kind,
        }
        record.update(_orbit(kind, rng))
        catalog.append(record)
    return catalog


def _epoch_mjd(record: dict) -> float:
    epoch = datetime.strptime(record["EPOCH"], "%Y-%m-%dT%H:%M:%S.%f")
    return (epoch - datetime(1858, 11, 17)).total_seconds() / 86400.0


def instants_mjd(record: dict) -> list[float]:
    """UTC MJDs at which the object is compared."""
    mjd0 = _epoch_mjd(record)
    return [mjd0 + offset for offset in OFFSETS_DAYS]


def python_satrec(record: dict) -> Satrec:
    fields = {name: str(record[name]) for name in OMM_FIELDS}
    fields.update(
        NORAD_CAT_ID=str(record["NORAD_CAT_ID"]),
        EPOCH=record["EPOCH"],
        CLASSIFICATION_TYPE="U",
        OBJECT_ID="2026-001A",
        EPHEMERIS_TYPE="0",
        ELEMENT_SET_NO="999",
        REV_AT_EPOCH="0",
    )
    sat = Satrec()
    omm.initialize(sat, fields, WGS72)
    return sat


def python_states(record: dict, mjds: list[float]) -> list[tuple[int, tuple, tuple]]:
    """(error, r_km, v_km_s) per instant from python-sgp4, times split exactly as jd + fraction."""
    sat = python_satrec(record)
    states = []
    for mjd in mjds:
        whole = math.floor(mjd)
        states.append(sat.sgp4(2400000.5 + whole, mjd - whole))
    return states


def rpc_elements(record: dict) -> dict:
    """The OMM fields the engine's `propagate` method takes."""
    elements = {name: float(record[name]) for name in OMM_FIELDS}
    elements["NORAD_CAT_ID"] = int(record["NORAD_CAT_ID"])
    elements["EPOCH"] = record["EPOCH"]
    return elements


class Comparison:
    """Accumulates the largest position difference and every disagreement."""

    def __init__(self) -> None:
        self.max_error_km = 0.0
        self.compared = 0
        self.problems: list[str] = []

    def add(self, record: dict, mjd: float, expected, error: int, r_km) -> None:
        e_ref, r_ref, _ = expected
        if error != e_ref:
            self.problems.append(
                f"{record['NORAD_CAT_ID']} mjd {mjd!r}: error {error} != python-sgp4 {e_ref}"
            )
            return
        if error != 0:
            return
        d = math.dist(r_km, r_ref)
        self.compared += 1
        self.max_error_km = max(self.max_error_km, d)
        if not d <= POSITION_TOLERANCE_KM:
            self.problems.append(
                f"{record['NORAD_CAT_ID']} ({record['ORBIT_CLASS']}) mjd {mjd!r}: {d * 1e5:.3f} cm"
            )


def test_catalog_generator_is_deterministic_and_covers_orbit_classes():
    catalog = generate_catalog()
    assert len(catalog) >= 20_000
    assert catalog == generate_catalog()
    assert generate_catalog(200, seed=1) == generate_catalog(200, seed=1)
    assert generate_catalog(200, seed=1) != generate_catalog(200, seed=2)
    counts = {name: 0 for name, _ in ORBIT_CLASSES}
    for record in catalog:
        counts[record["ORBIT_CLASS"]] += 1
    assert all(c >= 1000 for c in counts.values()), counts
    assert len({r["NORAD_CAT_ID"] for r in catalog}) == len(catalog)
    assert any(r["NORAD_CAT_ID"] > 99_999 for r in catalog)

    # Orbit classes are what they claim: period and perigee from the mean motion.
    for record in catalog[:: len(catalog) // 400]:
        period_min = 1440.0 / record["MEAN_MOTION"]
        kind = record["ORBIT_CLASS"]
        if kind in ("LEO", "SSO"):
            assert period_min < 225.0  # near-Earth (SGP4)
        else:
            assert period_min >= 225.0  # deep space (SDP4)
        if kind == "GEO":
            assert 1430.0 < period_min < 1442.0
        if kind in ("GTO", "MOLNIYA"):
            assert record["ECCENTRICITY"] >= 0.65
        # Perigee above the atmosphere's sensible limit for all classes.
        a_km = (MU_KM3_S2 * (period_min * 60.0 / (2.0 * math.pi)) ** 2) ** (1.0 / 3.0)
        assert a_km * (1.0 - record["ECCENTRICITY"]) - EARTH_RADIUS_KM > 150.0


def test_python_reference_propagates_whole_catalog():
    # The reference side of the differential test must itself be sound: every
    # generated object propagates without error over +-3 days in python-sgp4.
    failures = []
    for record in generate_catalog():
        for error, r, _ in python_states(record, instants_mjd(record)):
            if error != 0 or not all(math.isfinite(x) for x in r):
                failures.append((record["NORAD_CAT_ID"], error))
    assert failures == []


def test_engine_propagate_matches_python_sgp4(engine_rpc):
    catalog = generate_catalog()
    comparison = Comparison()
    started = time.monotonic()
    for record in catalog:
        mjds = instants_mjd(record)
        result = engine_rpc.call(
            "propagate", {"elements": rpc_elements(record), "mjd": mjds, "time_scale": "utc"}
        )
        assert len(result["r_km"]) == len(result["v_km_s"]) == len(result["errors"]) == len(mjds)
        for mjd, expected, error, r_km in zip(
            mjds, python_states(record, mjds), result["errors"], result["r_km"], strict=True
        ):
            comparison.add(record, mjd, expected, error, r_km)
    elapsed = time.monotonic() - started
    print(
        f"\n{len(catalog)} objects x {len(OFFSETS_DAYS)} instants over RPC in {elapsed:.1f} s; "
        f"max position difference {comparison.max_error_km * 1e6:.3f} mm"
    )
    assert comparison.problems == []
    assert comparison.compared == len(catalog) * len(OFFSETS_DAYS)


def _write_tool_input(catalog: list[dict], path: str) -> None:
    with open(path, "w") as f:
        for record in catalog:
            fields = [str(record["NORAD_CAT_ID"]), record["EPOCH"]] + [
                repr(float(record[n])) for n in OMM_FIELDS
            ]
            f.write(" ".join(fields + [repr(m) for m in instants_mjd(record)]) + "\n")


def compare_with_tool(tool: str, count: int = CATALOG_SIZE) -> Comparison:
    """Runs the differential comparison against the C++ library through satveto-sgp4-tool."""
    catalog = generate_catalog(count)
    comparison = Comparison()
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "elements.txt")
        _write_tool_input(catalog, path)
        output = subprocess.run(
            [tool, "states", path], check=True, capture_output=True, text=True
        ).stdout
    rows: dict[int, list] = {}
    for line in output.splitlines():
        fields = line.split()
        rows.setdefault(int(fields[0]), []).append(
            (int(fields[2]), [float(x) for x in fields[3:6]])
        )
    for index, record in enumerate(catalog):
        mjds = instants_mjd(record)
        got = rows.get(index, [])
        if len(got) != len(mjds):
            comparison.problems.append(f"{record['NORAD_CAT_ID']}: tool gave {len(got)} states")
            continue
        for mjd, expected, (error, r_km) in zip(
            mjds, python_states(record, mjds), got, strict=True
        ):
            comparison.add(record, mjd, expected, error, r_km)
    return comparison


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--tool", required=True, help="path of the satveto-sgp4-tool executable")
    parser.add_argument("--count", type=int, default=CATALOG_SIZE)
    args = parser.parse_args()
    comparison = compare_with_tool(args.tool, args.count)
    worst_mm = comparison.max_error_km * 1e6
    print(f"compared {comparison.compared} states; max position difference {worst_mm:.4f} mm")
    for problem in comparison.problems[:20]:
        print("  " + problem)
    return 1 if comparison.problems else 0


if __name__ == "__main__":
    sys.exit(main())
