"""One source for request rules: the spec's numbers, the engine's and the frontend's are the same.

protocol/README.md ("Request rules") states each bound once. The frontend checks it for the HTTP
error (frontend/satveto/models.py and web/validation.py, or runtime/config.py for limits an
operator may lower); the engine checks it again (engine/src/methods/request_rules.hpp). Here the
three are read independently and compared, and both programs are probed at each bound: the value
on the bound passes, the next representable value beyond it is refused naming the field.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

import pytest

from satveto import models
from satveto.engine.rpc import EngineRpcError
from satveto.errors import ApiError
from satveto.runtime.config import ConfigError, LimitsConfig, MatchingConfig, SiteConfig
from satveto.web import validation
from support import BlockingEngineClient

ROOT = Path(__file__).resolve().parents[2]
SPEC = ROOT / "protocol" / "README.md"
HEADER = ROOT / "engine" / "src" / "methods" / "request_rules.hpp"


def number(text: str) -> int | float:
    text = text.replace("'", "")
    return int(text) if re.fullmatch(r"-?\d+", text) else float(text)


def spec_rules() -> dict[str, int | float]:
    section = SPEC.read_text(encoding="utf-8").split("## Request rules", 1)[1].split("\n## ", 1)[0]
    return {
        name: number(value)
        for name, value in re.findall(r"^\| `(\w+)` \| ([-+0-9.e]+) \|", section, re.MULTILINE)
    }


def engine_rules() -> dict[str, int | float]:
    pattern = r"inline constexpr (?:double|std::u?int\d+_t) (\w+) = ([-+0-9.e']+);"
    return {name: number(value) for name, value in re.findall(pattern, HEADER.read_text())}


RULES = spec_rules()


def above(bound: float) -> float:
    return math.nextafter(bound, math.inf)


def below(bound: float) -> float:
    return math.nextafter(bound, -math.inf)


def test_the_engine_states_every_rule_of_the_spec_with_the_same_number() -> None:
    assert len(RULES) >= 15
    assert engine_rules() == RULES


def test_the_frontend_validation_uses_the_spec_numbers() -> None:
    owned_by_validation = [
        "mjd_min",
        "mjd_max",
        "ra_max_deg",
        "dec_max_abs_deg",
        "rotation_max_abs_deg",
        "pixel_scale_min_deg",
        "pixel_scale_max_deg",
        "id_max",
    ]
    for rule in owned_by_validation:
        assert getattr(models, rule.upper()) == RULES[rule], rule


def _config_accepts(make: Any, **values: Any) -> bool:
    try:
        make(**values).check()
    except ConfigError:
        return False
    return True


@pytest.mark.parametrize(
    ("make", "key", "rule", "side"),
    [
        (LimitsConfig, "max_exposure_s", "exposure_max_s", "max"),
        (LimitsConfig, "max_sources", "sources_max", "max"),
        (LimitsConfig, "max_footprint_deg", "footprint_min_deg", "min"),
        (LimitsConfig, "max_footprint_deg", "footprint_max_deg", "max"),
        (MatchingConfig, "min_arcsec", "tolerance_max", "max"),
        (MatchingConfig, "d_km_per_day", "tolerance_max", "max"),
        (SiteConfig, "latitude_deg", "site_latitude_max_abs_deg", "max"),
        (SiteConfig, "latitude_deg", "site_latitude_max_abs_deg", "-max"),
        (SiteConfig, "longitude_deg", "site_longitude_min_deg", "min"),
        (SiteConfig, "longitude_deg", "site_longitude_max_deg", "max"),
        (SiteConfig, "height_m", "site_height_min_m", "min"),
        (SiteConfig, "height_m", "site_height_max_m", "max"),
    ],
)
def test_the_frontend_configuration_stops_at_the_spec_bound(
    make: Any, key: str, rule: str, side: str
) -> None:
    bound = RULES[rule] if side != "-max" else -RULES[rule]
    if isinstance(bound, int):
        beyond = bound + 1 if side == "max" else bound - 1
    else:
        beyond = above(bound) if side == "max" else below(bound)
    assert _config_accepts(make, **{key: bound})
    assert not _config_accepts(make, **{key: beyond})


# --- both programs at the bounds ----------------------------------------------------------------

REPROCESSING = LimitsConfig(allow_reprocessing=True)  # no time window: only the rules apply
START = 61000.0


def http_visit(**changes: Any) -> dict[str, Any]:
    visit: dict[str, Any] = {
        "visit_id": 1,
        "exposure_start_mjd": START,
        "exposure_end_mjd": START + 30 / 86400,
        "boresight_ra": 10.0,
        "boresight_dec": -20.0,
        "rotation_deg": 0.0,
        "time_scale": "tai",
    }
    visit.update(changes)
    return visit


def wcs(scale_deg: float) -> dict[str, Any]:
    return {
        "crval": [10.0, -20.0],
        "crpix": [2000.0, 2000.0],
        "cd": [[scale_deg, 0.0], [0.0, scale_deg]],
    }


MJD_MIN, MJD_MAX = RULES["mjd_min"], RULES["mjd_max"]
EXPOSURE = 30 / 86400  # an exposure every side accepts
ROTATION = RULES["rotation_max_abs_deg"]
SCALE_MIN, SCALE_MAX = RULES["pixel_scale_min_deg"], RULES["pixel_scale_max_deg"]
ID_MAX = RULES["id_max"]

# (visit changes, the field a refusal names, or None when the visit keeps every rule)
VISIT_CASES: list[tuple[dict[str, Any], str | None]] = [
    ({"exposure_start_mjd": MJD_MIN, "exposure_end_mjd": MJD_MIN + EXPOSURE}, None),
    (
        {"exposure_start_mjd": below(MJD_MIN), "exposure_end_mjd": MJD_MIN + EXPOSURE},
        "exposure_start_mjd",
    ),
    ({"exposure_start_mjd": MJD_MAX - EXPOSURE, "exposure_end_mjd": MJD_MAX}, None),
    (
        {"exposure_start_mjd": MJD_MAX - EXPOSURE, "exposure_end_mjd": above(MJD_MAX)},
        "exposure_end_mjd",
    ),
    ({"rotation_deg": ROTATION}, None),
    ({"rotation_deg": -ROTATION}, None),
    ({"rotation_deg": above(ROTATION)}, "rotation_deg"),
    ({"rotation_deg": below(-ROTATION)}, "rotation_deg"),
    ({"boresight_ra": below(RULES["ra_max_deg"])}, None),
    ({"boresight_ra": RULES["ra_max_deg"]}, "boresight_ra"),
    ({"boresight_dec": -RULES["dec_max_abs_deg"]}, None),
    ({"boresight_dec": above(RULES["dec_max_abs_deg"])}, "boresight_dec"),
    ({"visit_id": ID_MAX}, None),
    ({"visit_id": ID_MAX + 1}, "visit_id"),
]

WCS_CASES: list[tuple[float, bool]] = [
    (above(SCALE_MIN), True),
    (SCALE_MIN, False),
    (below(SCALE_MAX), True),
    (SCALE_MAX, False),
]


@pytest.mark.parametrize(("changes", "field"), VISIT_CASES)
def test_the_frontend_refuses_a_visit_beyond_a_bound(changes: dict, field: str | None) -> None:
    body = json.dumps(http_visit(**changes)).encode()
    if field is None:
        validation.decode_visit(body, REPROCESSING, now_unix=0.0)
        return
    with pytest.raises(ApiError) as caught:
        validation.decode_visit(body, REPROCESSING, now_unix=0.0)
    assert caught.value.status == 400
    assert caught.value.message.startswith(f"{field}: "), caught.value.message


@pytest.mark.parametrize(("scale", "kept"), WCS_CASES)
def test_the_frontend_refuses_a_wcs_pixel_scale_beyond_a_bound(scale: float, kept: bool) -> None:
    body = {"visit_id": 1, "detector_id": 94, "diasources": [], "wcs": wcs(scale)}
    raw = json.dumps(body).encode()
    if kept:
        validation.decode_diasource_request(raw, REPROCESSING, now_unix=0.0)
        return
    with pytest.raises(ApiError) as caught:
        validation.decode_diasource_request(raw, REPROCESSING, now_unix=0.0)
    assert caught.value.message.startswith("wcs.cd: pixel scale"), caught.value.message


@pytest.mark.parametrize(("changes", "field"), VISIT_CASES)
def test_the_engine_refuses_a_visit_beyond_the_same_bound(
    engine_rpc: BlockingEngineClient, changes: dict, field: str | None
) -> None:
    # No catalog is loaded: a visit that keeps every rule gets as far as `no_catalog`.
    with pytest.raises(EngineRpcError) as caught:
        engine_rpc.call("register_visit", http_visit(**changes))
    if field is None:
        assert caught.value.code == "no_catalog", caught.value.message
    else:
        assert caught.value.code == "invalid_params"
        assert caught.value.message.startswith(f"{field}: "), caught.value.message


def _filter(engine_rpc: BlockingEngineClient, **params: Any) -> EngineRpcError:
    request = {"visit_id": 1, "detector_id": 94, "ids": [], "bboxes": [], **params}
    with pytest.raises(EngineRpcError) as caught:
        engine_rpc.call("filter_sources", request)
    return caught.value


@pytest.mark.parametrize(("scale", "kept"), WCS_CASES)
def test_the_engine_refuses_a_wcs_pixel_scale_beyond_the_same_bound(
    engine_rpc: BlockingEngineClient, scale: float, kept: bool
) -> None:
    error = _filter(engine_rpc, wcs=wcs(scale))  # no visit is registered: unknown_visit if kept
    assert error.code == ("unknown_visit" if kept else "invalid_params"), error.message
    if not kept:
        assert error.message.startswith("wcs.cd: ")


@pytest.mark.parametrize(("source_id", "kept"), [(0, True), (ID_MAX, True), (-1, False)])
def test_the_engine_refuses_a_source_id_beyond_the_same_bound(
    engine_rpc: BlockingEngineClient, source_id: int, kept: bool
) -> None:
    error = _filter(engine_rpc, ids=[source_id], bboxes=[[0, 0, 1, 1]])
    assert error.code == ("unknown_visit" if kept else "invalid_params"), error.message
    if not kept:
        assert error.message.startswith("ids[0]: ")


LON_MIN, LON_MAX = RULES["site_longitude_min_deg"], RULES["site_longitude_max_deg"]
HEIGHT_MIN, HEIGHT_MAX = RULES["site_height_min_m"], RULES["site_height_max_m"]


def site(latitude: float, longitude: float, height: float) -> dict[str, float]:
    return {"latitude_deg": latitude, "longitude_deg": longitude, "height_m": height}


@pytest.mark.parametrize(
    ("params", "kept"),
    [
        ({"max_footprint_deg": RULES["footprint_min_deg"]}, True),
        ({"max_footprint_deg": below(RULES["footprint_min_deg"])}, False),
        ({"max_footprint_deg": RULES["footprint_max_deg"]}, True),
        ({"max_footprint_deg": above(RULES["footprint_max_deg"])}, False),
        ({"tolerance": {"c_km": RULES["tolerance_max"]}}, True),
        ({"tolerance": {"c_km": above(RULES["tolerance_max"])}}, False),
        ({"site": site(RULES["site_latitude_max_abs_deg"], LON_MIN, HEIGHT_MIN)}, True),
        ({"site": site(-RULES["site_latitude_max_abs_deg"], LON_MAX, HEIGHT_MAX)}, True),
        ({"site": site(above(RULES["site_latitude_max_abs_deg"]), 0.0, 0.0)}, False),
        ({"site": site(0.0, below(LON_MIN), 0.0)}, False),
        ({"site": site(0.0, above(LON_MAX), 0.0)}, False),
        ({"site": site(0.0, 0.0, below(HEIGHT_MIN))}, False),
        ({"site": site(0.0, 0.0, above(HEIGHT_MAX))}, False),
    ],
)
def test_the_engine_configuration_stops_at_the_same_bound(
    engine_rpc: BlockingEngineClient, params: dict, kept: bool
) -> None:
    if kept:
        assert engine_rpc.call("configure", params) == {}
        return
    with pytest.raises(EngineRpcError) as caught:
        engine_rpc.call("configure", params)
    assert caught.value.code == "invalid_params"
    assert caught.value.message.startswith(next(iter(params))), caught.value.message
