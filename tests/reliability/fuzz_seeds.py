"""Seed corpus of the engine's RPC fuzz target (engine/fuzz/rpc_fuzz.cpp).

Every request of protocol/vectors, plus pipelines (several requests in one input, as on one
connection) that drive the visit paths against the fuzz target's fixed catalog: a visit pointed
at its geostationary object (FUZZ-GEO, whose position at MJD 61041.0 was taken from the engine's
`observe`), DIASources on and off its track with a TAN WCS, the camera model, visit_tracks,
drop_visit, configure, propagate and observe.

    python tests/reliability/fuzz_seeds.py OUTPUT_DIRECTORY
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import msgpack

REPO = Path(__file__).resolve().parents[2]
VECTORS = REPO / "protocol" / "vectors"

START_MJD = 61041.0  # 2026-01-01T00:00Z, a day after the fixed catalog's epochs
# FUZZ-GEO seen from Rubin over [START_MJD, START_MJD + 30 s] (engine `observe`).
GEO_TRACK = [(22.273395, 4.883907), (22.336053, 4.883981), (22.398710, 4.884056)]
PIXEL_SCALE_DEG = 0.2 / 3600.0
DETECTOR = 94
CENTRE = (2048.0, 2002.0)


def _element(norad: int, name: str, epoch: str, *values: float) -> dict[str, Any]:
    keys = (
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
    elements = dict(zip(keys, values, strict=True))
    return {"NORAD_CAT_ID": norad, "OBJECT_NAME": name, "EPOCH": epoch, **elements}


# The fuzz target's fixed catalog (engine/fuzz/rpc_fuzz.cpp, `catalog_objects`), for the
# Python mutation fuzzer that drives the real engine socket with the same state.
FUZZ_CATALOG = [
    _element(
        323,
        "FUZZ-DEB",
        "2025-12-31T18:56:07.996834",
        12.74691615,
        0.0036061,
        81.7121,
        248.8512,
        279.4914,
        339.5841,
        0.00021162,
        5.4e-07,
        0.0,
    ),
    _element(
        430,
        "FUZZ-LEO",
        "2025-12-31T15:44:51.186268",
        15.2854038,
        0.0001731,
        53.0206,
        160.8674,
        80.0733,
        279.6173,
        0.00014419,
        8.46e-06,
        0.0,
    ),
    _element(
        530,
        "FUZZ-GEO",
        "2025-12-31T08:48:04.297340",
        1.00311456,
        0.0003045,
        0.0394,
        278.9125,
        238.8548,
        357.1218,
        6.4336e-06,
        4e-07,
        0.0,
    ),
    _element(
        3309,
        "FUZZ-SSO",
        "2025-12-31T06:19:57.306289",
        14.20586915,
        0.0014158,
        98.6865,
        192.139,
        69.9153,
        221.5444,
        0.00023593,
        8.5e-07,
        0.0,
    ),
    _element(
        8485,
        "FUZZ-GTO",
        "2025-12-31T13:14:08.236164",
        2.27431163,
        0.72958,
        17.4569,
        74.2969,
        334.7461,
        125.6862,
        0.00018433,
        1.91e-06,
        0.0,
    ),
    _element(
        12586,
        "FUZZ-POLAR",
        "2025-12-31T17:18:27.148087",
        13.15655225,
        0.0002786,
        87.8977,
        195.1961,
        278.0969,
        318.8484,
        0.00017982,
        -7e-08,
        0.0,
    ),
    _element(
        67403,
        "FUZZ-HEO",
        "2025-12-31T02:50:18.042626",
        2.00389056,
        0.7362472,
        63.5357,
        152.0907,
        262.339,
        75.5112,
        7.7919e-05,
        9e-07,
        0.0,
    ),
]
LOAD_CATALOG = {"generation": "fuzz", "fetched_at_unix": 1767225600.0, "objects": FUZZ_CATALOG}


def request(msgid: int, method: str, params: dict[str, Any]) -> bytes:
    return msgpack.packb([0, msgid, method, params], use_bin_type=True)


def visit(visit_id: int = 7, rotation: float | None = 0.0, **changes: Any) -> dict[str, Any]:
    ra, dec = GEO_TRACK[1]
    params: dict[str, Any] = {
        "visit_id": visit_id,
        "exposure_start_mjd": START_MJD,
        "exposure_end_mjd": START_MJD + 30.0 / 86400.0,
        "time_scale": "utc",  # START_MJD is 2026-01-01T00:00 UTC, as GEO_TRACK was computed
        "boresight_ra": ra,
        "boresight_dec": dec,
    }
    if rotation is not None:
        params["rotation_deg"] = rotation
    params.update(changes)
    return params


def wcs() -> dict[str, Any]:
    ra, dec = GEO_TRACK[1]
    return {
        "crval": [ra, dec],
        "crpix": [CENTRE[0] + 1.0, CENTRE[1] + 1.0],
        "cd": [[-PIXEL_SCALE_DEG, 0.0], [0.0, PIXEL_SCALE_DEG]],
    }


def track_boxes() -> list[list[int]]:
    """Boxes on the GEO track (small-angle offsets from the WCS centre) and 400 px off it."""
    ra0, dec0 = GEO_TRACK[1]
    boxes = []
    for ra, dec in GEO_TRACK:
        x = CENTRE[0] - (ra - ra0) * 0.99637 / PIXEL_SCALE_DEG  # cos(dec0), east to the left
        y = CENTRE[1] + (dec - dec0) / PIXEL_SCALE_DEG
        for dy in (0, 400, -400):
            xi, yi = round(x), round(y) + dy
            if 8 <= xi < 4080 and 8 <= yi < 3990:
                boxes.append([xi - 4, yi - 4, xi + 4, yi + 4])
    return boxes


def filter_params(visit_id: int = 7, **extra: Any) -> dict[str, Any]:
    boxes = track_boxes()
    params = {
        "visit_id": visit_id,
        "detector_id": DETECTOR,
        "ids": list(range(1, len(boxes) + 1)),
        "bboxes": boxes,
    }
    params.update(extra)
    return params


def seeds() -> dict[str, bytes]:
    """Every seed by name: the vectors' requests and the pipelines."""
    found = {
        path.name.replace(".request.msgpack", ""): path.read_bytes()
        for path in sorted(VECTORS.glob("*.request.msgpack"))
    }
    found.update(pipelines())
    return found


def pipelines() -> dict[str, bytes]:
    geo_elements = FUZZ_CATALOG[2]
    v = visit()
    return {
        "visit_then_wcs_filter": request(1, "register_visit", v)
        + request(2, "filter_sources", filter_params(wcs=wcs())),
        "embedded_visit_camera_model": request(
            1, "filter_sources", filter_params(visit=v, detector_id=94)
        ),
        "no_rotation_annulus": request(1, "register_visit", visit(8, rotation=None))
        + request(2, "filter_sources", filter_params(8)),
        "tracks_drop_unknown": request(1, "register_visit", v)
        + request(2, "visit_tracks", {"visit_id": 7})
        + request(3, "drop_visit", {"visit_id": 7})
        + request(4, "filter_sources", filter_params()),
        "configure_then_filter": request(
            1,
            "configure",
            {
                "tolerance": {"min_arcsec": 60.0, "margin_arcsec": 10.0},
                "site": {"latitude_deg": -30.24, "longitude_deg": -70.75, "height_m": 2663.0},
            },
        )
        + request(2, "filter_sources", filter_params(visit=v, wcs=wcs())),
        "conflict": request(1, "register_visit", v)
        + request(2, "register_visit", visit(boresight_dec=4.9)),
        "propagate_observe": request(
            1, "propagate", {"elements": geo_elements, "mjd": [START_MJD, START_MJD + 0.5]}
        )
        + request(2, "observe", {"elements": geo_elements, "mjd": [START_MJD]}),
        "stats_ping": request(1, "stats", {}) + request(2, "ping", {}),
    }


def write_corpus(directory: Path) -> int:
    directory.mkdir(parents=True, exist_ok=True)
    for name, data in seeds().items():
        (directory / f"{name}.seed").write_bytes(data)
    return len(seeds())


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(f"usage: {sys.argv[0]} OUTPUT_DIRECTORY")
    print(f"{write_corpus(Path(sys.argv[1]))} seeds written to {sys.argv[1]}")
