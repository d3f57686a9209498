"""HEO (Molniya) crossings on their own: which cross-track errors the corridor absorbs.

Molniya objects are seen from Cerro Pachon anywhere between a few thousand km (near perigee)
and 40,000 km (apogee): the same kilometre of cross-track error is a wide angle at one end and
a narrow one at the other, and the corridor's floor (min_arcsec) decides at apogee.  For
Molniya crossings on six dates of 2026 and element ages ~0 and ~3 days, the engine holds the
element set displaced at the visit by a chosen cross-track distance (tests/oracle/perturb.py),
and probes at the true star-frame position (tests/oracle/star_frame.py) at three instants of
the exposure are sent through a fitted TAN WCS.  Printed: per error, the probes allowed, and
per crossing the range and the corridor half-width of the configured tolerance.

    .venv/bin/python benchmarks/accuracy/heo_look.py [--a-km 1.0] [--b-km-per-day 0.2]

Not a test: a look at one orbit class with the real engine (about a minute).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import sys
import tempfile
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(REPO / "frontend"), str(REPO / "tests")]

from oracle.perturb import displaced  # noqa: E402
from oracle.probes import TOLERANCE, aim, corridor_rad, visit_params  # noqa: E402
from oracle.sky_cases import DATES, class_crossing, earth_orientation_table  # noqa: E402
from oracle.star_frame import star_frame  # noqa: E402
from satveto.engine.process import EngineProcess  # noqa: E402
from support import BlockingEngineClient  # noqa: E402

ERRORS_KM = (0.5, 1.0, 2.0, 3.0)
PROBE_TIMES_S = (2.0, 15.0, 28.0)
EXPOSURE_S = 30.0
DAY_S = 86400.0
ARCSEC = math.pi / 180 / 3600


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--a-km", type=float, default=TOLERANCE["a_km"])
    parser.add_argument("--b-km-per-day", type=float, default=TOLERANCE["b_km_per_day"])
    parser.add_argument("--min-arcsec", type=float, default=TOLERANCE["min_arcsec"])
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    tolerance = {
        **TOLERANCE,
        "a_km": args.a_km,
        "b_km_per_day": args.b_km_per_day,
        "min_arcsec": args.min_arcsec,
    }
    crossings = [
        class_crossing("HEO", date, age_days=age, min_alt_deg=30.0)
        for date in DATES
        for age in (0.0, 3.0)
    ]
    allowed = {e: 0 for e in ERRORS_KM}
    checked = {e: 0 for e in ERRORS_KM}
    rows = []
    with tempfile.TemporaryDirectory() as workdir:
        engine = EngineProcess(Path(workdir) / "engine.sock")
        engine.start()
        try:
            asyncio.run(engine.wait_ready())
            client = BlockingEngineClient(engine.socket_path, timeout_s=120)
            client.call(
                "configure",
                {"tolerance": tolerance, "earth_orientation": earth_orientation_table()},
            )
            visit_id = 1
            for n, crossing in enumerate(crossings):
                start = crossing.tai_mjd - 0.5 * EXPOSURE_S / DAY_S
                times = start + np.array(PROBE_TIMES_S) / DAY_S
                truth = star_frame(crossing.record, times)
                age = abs(crossing.age_days)
                rho = float(truth.range_km[1])
                leaks_here = {}
                for error in ERRORS_KM:
                    for sign in (1.0, -1.0):
                        wrong = displaced(crossing.record, crossing.tai_mjd, 0.0, sign * error)
                        client.call(
                            "load_catalog",
                            {
                                "generation": f"heo-{n}-{error}-{sign}",
                                "fetched_at_unix": 0.0,
                                "objects": [wrong],
                            },
                        )
                        for u in truth.unit_vectors():
                            boresight, (placed,) = aim([u])
                            client.call(
                                "register_visit",
                                visit_params(
                                    visit_id, start, start + EXPOSURE_S / DAY_S, boresight
                                ),
                            )
                            wcs_box = next(p for p in placed if p.path == "wcs")
                            answer = client.call(
                                "filter_sources",
                                {
                                    "visit_id": visit_id,
                                    "detector_id": wcs_box.detector,
                                    "ids": [0],
                                    "bboxes": [wcs_box.box],
                                    "wcs": wcs_box.wcs,
                                },
                            )["allowed"]
                            client.call("drop_visit", {"visit_id": visit_id})
                            visit_id += 1
                            checked[error] += 1
                            if answer:
                                allowed[error] += 1
                                leaks_here[error] = leaks_here.get(error, 0) + 1
                rows.append(
                    {
                        "date": f"{crossing.date:%Y-%m-%d}",
                        "age_days": round(age, 2),
                        "range_km": round(rho),
                        "half_width_arcsec": round(corridor_rad(age, rho, tolerance) / ARCSEC, 1),
                        "allowed_by_error_km": leaks_here,
                    }
                )
            client.close()
        finally:
            engine.stop()
    print(f"tolerance: {tolerance}")
    print("| date | age (d) | range (km) | half-width | probes allowed by cross-track error |")
    print("|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['date']} | {r['age_days']} | {r['range_km']} | {r['half_width_arcsec']}″ "
            f"| {r['allowed_by_error_km'] or '-'} |"
        )
    print("| cross-track error (km) | probes | allowed |")
    print("|---|---|---|")
    for e in ERRORS_KM:
        print(f"| {e:g} | {checked[e]} | {allowed[e]} |")
    if args.json:
        args.json.write_text(
            json.dumps(
                {"tolerance": tolerance, "rows": rows, "allowed": allowed, "checked": checked},
                indent=1,
            )
            + "\n"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
