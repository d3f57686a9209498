"""Time scales (docs/design.md, "Time scale"): MJDs are TAI unless a request says "utc".

The references here are independent of the engine: python-sgp4 for the orbits and pyerfa's
leap-second table for TAI -> UTC.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import time

import erfa
import numpy as np
import pytest
from sgp4 import omm
from sgp4.api import Satrec

from satveto.astro.timescales import mjd_now, tai_minus_utc_s
from satveto.catalog.omm import sgp4_omm_fields
from satveto.catalog.synthetic import build_demo_catalog, orbit_class
from satveto.engine.rpc import EngineRpcError
from satveto.errors import ApiError
from satveto.models import Visit
from satveto.runtime.config import LimitsConfig
from satveto.web.validation import decode_visit
from support import BlockingEngineClient

SECONDS_PER_DAY = 86400.0


def parse_visit(body: dict, limits: LimitsConfig, now: float) -> Visit:
    """The native visit decoder on a JSON body, as the HTTP handler calls it."""
    return decode_visit(json.dumps(body).encode(), limits, now)


@pytest.fixture(scope="module")
def leo() -> dict:
    catalog = build_demo_catalog(dt.datetime(2026, 11, 21, tzinfo=dt.UTC), count=3000)
    return next(r for r in catalog if orbit_class(r) == "starlink")


def utc_of_tai(mjd_tai: float) -> tuple[float, float]:
    """pyerfa's UTC (two-part JD) of a TAI MJD."""
    return erfa.taiutc(2400000.5, mjd_tai)


def test_propagate_reads_tai_by_default(engine_rpc: BlockingEngineClient, leo: dict) -> None:
    satellite = Satrec()
    omm.initialize(satellite, sgp4_omm_fields(leo))
    epoch = satellite.jdsatepoch - 2400000.5 + satellite.jdsatepochF
    instants = [epoch + k / 24 for k in range(1, 6)]
    result = engine_rpc.call("propagate", {"elements": leo, "mjd": instants})
    for mjd_tai, r in zip(instants, result["r_km"], strict=True):
        jd1, jd2 = utc_of_tai(mjd_tai)
        error, expected, _ = satellite.sgp4(jd1, jd2)
        assert error == 0
        assert np.linalg.norm(np.subtract(r, expected)) < 1e-4  # 10 cm


def test_a_tai_utc_confusion_moves_a_leo_track_by_37_seconds(
    engine_rpc: BlockingEngineClient, leo: dict
) -> None:
    """The same numbers read as UTC put the satellite where it is 37 s later: ~250 km."""
    mjd = 61365.25
    as_tai = engine_rpc.call("propagate", {"elements": leo, "mjd": [mjd]})
    as_utc = engine_rpc.call("propagate", {"elements": leo, "mjd": [mjd], "time_scale": "utc"})
    # TAI runs 37 s ahead of UTC: the TAI reading is the UTC instant 37 s earlier.
    earlier = engine_rpc.call(
        "propagate", {"elements": leo, "mjd": [mjd - 37 / SECONDS_PER_DAY], "time_scale": "utc"}
    )
    moved_km = float(np.linalg.norm(np.subtract(as_utc["r_km"][0], as_tai["r_km"][0])))
    speed = float(np.linalg.norm(as_tai["v_km_s"][0]))
    assert moved_km == pytest.approx(37.0 * speed, rel=0.02)
    assert moved_km > 200.0
    assert np.linalg.norm(np.subtract(earlier["r_km"][0], as_tai["r_km"][0])) < 1e-4
    # On the sky, from the site: degrees, where a corridor is arcminutes.
    seen = [
        engine_rpc.call("observe", {"elements": leo, "mjd": [mjd], "time_scale": scale})
        for scale in ("tai", "utc")
    ]
    a = [math.radians(seen[k][key][0]) for k in (0, 1) for key in ("ra_deg", "dec_deg")]
    separation = math.degrees(
        math.acos(
            math.sin(a[1]) * math.sin(a[3])
            + math.cos(a[1]) * math.cos(a[3]) * math.cos(a[0] - a[2])
        )
    )
    assert separation > 1.0


def test_time_scale_must_be_tai_or_utc(engine_rpc: BlockingEngineClient, leo: dict) -> None:
    for bad in ("TT", 1, "TAI"):
        with pytest.raises(EngineRpcError) as caught:
            engine_rpc.call("propagate", {"elements": leo, "mjd": [61365.0], "time_scale": bad})
        assert caught.value.code == "invalid_params"
        assert caught.value.message.startswith("time_scale:")


def test_the_frontend_leap_table_agrees_with_erfa() -> None:
    for mjd in (41500.0, 50000.0, 57753.5, 57754.0, 61365.0):
        y, m, d, f = erfa.jd2cal(2400000.5, mjd)
        assert tai_minus_utc_s(mjd) == erfa.dat(y, m, d, f)


def _visit(start: float, time_scale: str | None) -> dict:
    body = {
        "visit_id": 1,
        "exposure_start_mjd": start,
        "exposure_end_mjd": start + 30 / SECONDS_PER_DAY,
        "boresight_ra": 10.0,
        "boresight_dec": -30.0,
    }
    if time_scale is not None:
        body["time_scale"] = time_scale
    return body


def test_the_time_window_converts_the_wall_clock_to_tai() -> None:
    limits = LimitsConfig(future_window_s=60.0, past_window_s=60.0)
    now = time.time()
    utc_now = mjd_now(now, "utc")
    assert (mjd_now(now, "tai") - utc_now) * SECONDS_PER_DAY == pytest.approx(37.0, abs=1e-3)
    # An exposure that ends 80 s after the wall clock's UTC reading: as TAI it ends 43 s after
    # now (allowed), as UTC 80 s after now (refused).  Ignoring the 37 s would refuse both.
    start = utc_now + 50 / SECONDS_PER_DAY
    visit = parse_visit(_visit(start, None), limits, now)
    assert visit.time_scale == "tai"
    assert visit.to_params()["time_scale"] == "tai"
    with pytest.raises(ApiError) as caught:
        parse_visit(_visit(start, "utc"), limits, now)
    assert caught.value.code == "outside_time_window"
    # And one that began 80 s before the wall clock's TAI reading: 80 s ago in TAI (refused),
    # 43 s ago if read as UTC (allowed).
    old = mjd_now(now, "tai") - 80 / SECONDS_PER_DAY - 30 / SECONDS_PER_DAY
    with pytest.raises(ApiError):
        parse_visit(_visit(old + 30 / SECONDS_PER_DAY, "tai"), limits, now)
    assert parse_visit(_visit(old + 30 / SECONDS_PER_DAY, "utc"), limits, now).time_scale == "utc"


def test_a_bad_time_scale_is_a_400_naming_the_field() -> None:
    now = time.time()
    for bad in ("TAI", "tt", 3, None):
        with pytest.raises(ApiError) as caught:
            parse_visit(_visit(mjd_now(now, "tai"), bad) | {"time_scale": bad}, LimitsConfig(), now)
        assert caught.value.status == 400
        assert caught.value.message.startswith("time_scale:")
