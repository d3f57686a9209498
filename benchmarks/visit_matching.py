"""Benchmark: register_visit and filter_sources against a SatrecArray brute force.

Runs the installed engine (release build) on a temporary socket with a synthetic catalog of
--objects objects (epochs within a day of now), then, for --visits visits near the present at
random pointings above 20 degrees altitude:

* register_visit: the engine's precompute time per visit (`visit_tracks`' elapsed_ms; the call
  itself answers once the visit is queued, so msgpack and Python costs are excluded), with the
  ahead-of-clock coarse ephemeris it keeps (its build time is reported separately), and once
  more with ephemeris built on demand (a visit far from now);
* filter_sources: 10,000 sources on one detector, engine time per call;
* brute force: python-sgp4 SatrecArray for every object at 1 s steps over the same padded
  window, topocentric directions and the angle to the boresight in numpy, timed in this process.

Usage: .venv/bin/python benchmarks/visit_matching.py [--objects 50000] [--visits 40]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import math
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from sgp4 import omm
from sgp4.api import WGS72, Satrec, SatrecArray

sys.path[:0] = [str(Path(__file__).resolve().parent.parent / p) for p in ("frontend", "tests")]

from satveto.astro.earth_orientation import load_earth_orientation  # noqa: E402
from satveto.catalog.omm import sgp4_omm_fields  # noqa: E402
from satveto.catalog.synthetic import build_demo_catalog  # noqa: E402
from satveto.engine.process import EngineProcess  # noqa: E402
from support import BlockingEngineClient  # noqa: E402

LAT, LON, HEIGHT_KM = math.radians(-30.244639), math.radians(-70.749417), 2.663
EARTH_A, EARTH_F = 6378.137, 1 / 298.257223563


def gmst_rad(jd_ut1: float) -> float:
    t = (jd_ut1 - 2451545.0) / 36525.0
    seconds = 67310.54841 + (876600 * 3600 + 8640184.812866) * t + 0.093104 * t * t
    return math.radians((seconds % 86400) / 240.0)


def site_teme(jd: np.ndarray) -> np.ndarray:
    """Site position in TEME-like axes (geodetic site rotated by GMST; good to ~1 m)."""
    e2 = EARTH_F * (2 - EARTH_F)
    n = EARTH_A / math.sqrt(1 - e2 * math.sin(LAT) ** 2)
    x = (n + HEIGHT_KM) * math.cos(LAT)
    z = (n * (1 - e2) + HEIGHT_KM) * math.sin(LAT)
    theta = np.array([gmst_rad(j) for j in jd]) + LON
    return np.stack([x * np.cos(theta), x * np.sin(theta), np.full_like(theta, z)], axis=-1)


def random_pointing(rng: np.random.Generator, mjd: float) -> tuple[float, float]:
    """RA/Dec (deg) of a random direction above 20 degrees altitude at the site."""
    alt = math.asin(rng.uniform(math.sin(math.radians(20)), 1.0))
    az = rng.uniform(0, 2 * math.pi)
    dec = math.asin(math.sin(LAT) * math.sin(alt) + math.cos(LAT) * math.cos(alt) * math.cos(az))
    ha = math.atan2(
        -math.sin(az) * math.cos(alt),
        math.cos(LAT) * math.sin(alt) - math.sin(LAT) * math.cos(alt) * math.cos(az),
    )
    ra = (gmst_rad(mjd + 2400000.5) + LON - ha) % (2 * math.pi)
    return math.degrees(ra), math.degrees(dec)


def brute_force(array: SatrecArray, visit: dict, pad_s: float, fov_deg: float) -> float:
    """Seconds to find the objects within fov_deg of the boresight at 1 s sampling."""
    started = time.perf_counter()
    start = visit["exposure_start_mjd"] - pad_s / 86400
    end = visit["exposure_end_mjd"] + pad_s / 86400
    mjd = np.arange(start, end + 1e-9, 1 / 86400)
    jd = np.floor(mjd) + 2400000.5
    error, r, _ = array.sgp4(jd, mjd - np.floor(mjd))
    topo = r - site_teme(mjd + 2400000.5)[None, :, :]
    ra, dec = math.radians(visit["boresight_ra"]), math.radians(visit["boresight_dec"])
    b = np.array([math.cos(dec) * math.cos(ra), math.cos(dec) * math.sin(ra), math.sin(dec)])
    cos_angle = topo @ b / np.linalg.norm(topo, axis=-1)
    inside = (cos_angle > math.cos(math.radians(fov_deg))) & (error == 0)
    np.flatnonzero(inside.any(axis=1))
    return time.perf_counter() - started


def skyfield_per_object_ms(records: list[dict], visit: dict, subset: int, total: int) -> float:
    """The per-object method of public services such as SatChecker: for each satellite, skyfield
    topocentric RA/Dec at 1 s steps over the exposure, then the separation from the boresight.
    Timed on `subset` objects and scaled to `total` (ms)."""
    from skyfield.api import EarthSatellite, load, wgs84

    ts = load.timescale(builtin=True)
    site = wgs84.latlon(math.degrees(LAT), math.degrees(LON), elevation_m=HEIGHT_KM * 1000)
    mjd = np.arange(visit["exposure_start_mjd"], visit["exposure_end_mjd"] + 1e-9, 1 / 86400)
    times = ts.tt_jd(mjd + 2400000.5 + 69.184 / 86400)
    boresight = (math.radians(visit["boresight_ra"]), math.radians(visit["boresight_dec"]))
    started = time.perf_counter()
    for record in records[:subset]:
        satellite = Satrec()
        omm.initialize(satellite, sgp4_omm_fields(record))
        ra, dec, _ = (EarthSatellite.from_satrec(satellite, ts) - site).at(times).radec()
        cos_sep = np.sin(dec.radians) * math.sin(boresight[1]) + np.cos(dec.radians) * math.cos(
            boresight[1]
        ) * np.cos(ra.radians - boresight[0])
        np.any(cos_sep > math.cos(math.radians(2.2)))
    return (time.perf_counter() - started) * 1000 * total / subset


def engine_ms(client: BlockingEngineClient, method: str, params: dict) -> tuple[float, float]:
    """The engine's time for one call (decoding included), and its vetting time alone."""
    before = client.call("stats")
    client.call(method, params)
    after = client.call("stats")
    total = after["methods"][method]["total_ms"] - before["methods"][method]["total_ms"]
    return total, after["visits"]["veto_ms"] - before["visits"]["veto_ms"]


def precompute_ms(client: BlockingEngineClient, visit: dict) -> float:
    """The engine's precompute time for a visit (what register_visit costs the engine).

    register_visit answers once the visit is validated and queued (so its latency says nothing
    about the field); the precompute runs in the background, and visit_tracks waits for it and
    reports its elapsed_ms.
    """
    client.call("register_visit", visit)
    return float(client.call("visit_tracks", {"visit_id": visit["visit_id"]})["elapsed_ms"])


def crossing_scenario(
    client: BlockingEngineClient, catalog: list[dict], boxes: list[list[int]], count: int
) -> tuple[list[float], list[float], list[int]]:
    """Visits pointed at LEO satellites, sources under a TAN WCS centred on the satellite, so
    that a track crosses the detector and every one of its segments is tested (worst case)."""
    totals, vetting, vetoed = [], [], []
    visit_id = 50_000
    for record in catalog:
        if len(totals) >= 10:
            break
        if not record["OBJECT_NAME"].startswith("DEMO-STARLINK"):
            continue
        mjd = 40587 + time.time() / 86400 + 5 / 86400
        seen = client.call(
            "observe", {"elements": record, "mjd": [mjd + 15 / 86400], "time_scale": "utc"}
        )
        if seen["errors"][0] != 0 or seen["range_km"][0] > 1500:
            continue
        ra, dec = seen["ra_deg"][0], seen["dec_deg"][0]
        visit = {
            "visit_id": visit_id,
            "exposure_start_mjd": mjd,
            "exposure_end_mjd": mjd + 30 / 86400,
            "time_scale": "utc",
            "boresight_ra": ra,
            "boresight_dec": dec,
            "rotation_deg": 0.0,
        }
        client.call("register_visit", visit)
        scale = 0.2 / 3600
        request = {
            "visit_id": visit_id,
            "detector_id": 94,
            "ids": list(range(count)),
            "bboxes": boxes,
            "wcs": {
                "crval": [ra, dec],
                "crpix": [2048.5, 2002.5],
                "cd": [[-scale, 0.0], [0.0, scale]],
            },
        }
        total, veto_only = engine_ms(client, "filter_sources", request)
        allowed = client.call("filter_sources", request)["allowed"]
        totals.append(total)
        vetting.append(veto_only)
        vetoed.append(count - len(allowed))
        visit_id += 1
    return totals, vetting, vetoed


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.array(values), q))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--objects", type=int, default=50_000)
    parser.add_argument("--visits", type=int, default=40)
    parser.add_argument("--sources", type=int, default=10_000)
    args = parser.parse_args()
    rng = np.random.default_rng(20261121)

    now = dt.datetime.now(dt.UTC)
    catalog = build_demo_catalog(now, count=args.objects)
    satellites = []
    for record in catalog:
        satellite = Satrec()
        omm.initialize(satellite, sgp4_omm_fields(record))
        satellites.append(satellite)
    array = SatrecArray(satellites)
    assert all(s.jdsatepoch > 0 for s in satellites)
    assert WGS72 is not None

    with tempfile.TemporaryDirectory() as workdir:
        engine = EngineProcess(Path(workdir) / "engine.sock")
        engine.start()
        try:
            asyncio.run(engine.wait_ready())
            client = BlockingEngineClient(engine.socket_path, timeout_s=600)
            # As the frontend does: the IERS table first (without it every corridor carries
            # the 0.9 s UT1 bound).
            eop = load_earth_orientation(time.time())
            if eop.table is not None:
                client.call("configure", {"earth_orientation": eop.table.to_params()})
            client.call(
                "load_catalog",
                {"generation": "bench", "fetched_at_unix": time.time(), "objects": catalog},
            )
            deadline = time.time() + 120
            while (
                client.call("stats")["visits"]["ephemeris"]["builds"] < 1 and time.time() < deadline
            ):
                time.sleep(0.2)
            ephemeris_ms = client.call("stats")["visits"]["ephemeris"]["last_build_ms"]

            register, register_cold, filters, vetting, brute = [], [], [], [], []
            boxes = [
                [int(x), int(y), int(x) + 12, int(y) + 12]
                for x, y in zip(
                    rng.uniform(0, 4000, args.sources),
                    rng.uniform(0, 3900, args.sources),
                    strict=True,
                )
            ]
            for k in range(args.visits):
                mjd = 40587 + time.time() / 86400 + 5 / 86400
                ra, dec = random_pointing(rng, mjd)
                visit = {
                    "visit_id": k,
                    "exposure_start_mjd": mjd,
                    "exposure_end_mjd": mjd + 30 / 86400,
                    "time_scale": "utc",
                    "boresight_ra": ra,
                    "boresight_dec": dec,
                    "rotation_deg": float(rng.uniform(0, 360)),
                }
                register.append(precompute_ms(client, visit))
                total, veto_only = engine_ms(
                    client,
                    "filter_sources",
                    {
                        "visit_id": k,
                        "detector_id": 94,
                        "ids": list(range(args.sources)),
                        "bboxes": boxes,
                    },
                )
                filters.append(total)
                vetting.append(veto_only)
                brute.append(brute_force(array, visit, pad_s=3.0, fov_deg=2.2))
                if k < 5:  # the on-demand path: a visit a day ago, outside the kept ephemeris
                    old = dict(
                        visit,
                        visit_id=10_000 + k,
                        exposure_start_mjd=mjd - 1,
                        exposure_end_mjd=mjd - 1 + 30 / 86400,
                    )
                    register_cold.append(precompute_ms(client, old))
            skyfield_ms = [
                skyfield_per_object_ms(catalog, visit, 300, len(catalog)) for _ in range(3)
            ]
            crossing_total, crossing_vetting, crossing_vetoed = crossing_scenario(
                client, catalog, boxes, args.sources
            )
            stats = client.call("stats")["visits"]
        finally:
            engine.stop()

    median_register = statistics.median(register)
    median_brute = statistics.median(brute) * 1000
    rows = [
        ("register_visit, kept ephemeris (ms)", register, 2),
        ("register_visit, ephemeris built on demand (ms)", register_cold, 1),
        (f"filter_sources, {args.sources} sources, with request decoding (ms)", filters, 3),
        (f"filter_sources, {args.sources} sources, vetting alone (ms)", vetting, 3),
        (
            f"filter_sources, {args.sources} sources, LEO track across, with decoding (ms)",
            crossing_total,
            3,
        ),
        (
            f"filter_sources, {args.sources} sources, LEO track across, vetting alone (ms)",
            crossing_vetting,
            3,
        ),
        ("SatrecArray brute force, 1 s sampling (ms)", [1000 * b for b in brute], 0),
        (
            "skyfield per object (SatChecker's method), 1 s, scaled from 300 objects (ms)",
            skyfield_ms,
            0,
        ),
    ]
    print(f"catalog: {args.objects} objects; {args.visits} visits")
    print(
        f"kept coarse ephemeris (20 min at 30 s, ahead of the clock): {ephemeris_ms:.0f} ms a build"
    )
    print("| measure | median | p99 |")
    print("|---|---|---|")
    for label, values, digits in rows:
        median, p99 = statistics.median(values), percentile(values, 99)
        print(f"| {label} | {median:.{digits}f} | {p99:.{digits}f} |")
    print(f"brute force / register_visit (medians): {median_brute / median_register:.0f}x")
    per_object = statistics.median(skyfield_ms) / median_register
    print(f"skyfield per object / register_visit (medians): {per_object:.0f}x")
    print(
        f"sources vetoed in the LEO-crossing case: median {statistics.median(crossing_vetoed):.0f}"
    )
    kept, registered = stats["with_kept_ephemeris"], stats["registered"]
    print(f"visits served by the kept ephemeris: {kept} of {registered}")


if __name__ == "__main__":
    main()
