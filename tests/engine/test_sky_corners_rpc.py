"""filter_sources with sky-corner footprints over the real engine socket: the request shape,
errors that name the field, the secrecy limits, and configure's max_footprint_deg.

Whether the geometry is right is checked against a spherical brute force in
test_sky_corners_oracle.py.
"""

from __future__ import annotations

import datetime as dt
import math
import time
from typing import Any

import numpy as np
import pytest

from oracle import camera
from oracle import wcs as tanwcs
from satveto.catalog.synthetic import build_demo_catalog
from satveto.engine.rpc import EngineRpcError
from support import BlockingEngineClient

NOW = dt.datetime(2026, 11, 21, 6, 0, tzinfo=dt.UTC)
MJD = 40587.0 + NOW.timestamp() / 86400.0
RA0, DEC0 = 150.1, -30.2


def visit(visit_id: int = 1) -> dict[str, Any]:
    return {
        "visit_id": visit_id,
        "exposure_start_mjd": MJD,
        "exposure_end_mjd": MJD + 30 / 86400,
        "boresight_ra": RA0,
        "boresight_dec": DEC0,
        "rotation_deg": 12.5,
    }


@pytest.fixture
def loaded(engine_rpc: BlockingEngineClient) -> BlockingEngineClient:
    catalog = build_demo_catalog(NOW, count=300)
    engine_rpc.call(
        "load_catalog", {"generation": "g", "fetched_at_unix": time.time(), "objects": catalog}
    )
    engine_rpc.call("register_visit", visit())
    return engine_rpc


def square(xi_deg: float, eta_deg: float, half_arcsec: float = 2.0) -> list[list[float]]:
    """Four corners (counter-clockwise on the sky) of a small square at standard coordinates."""
    h = math.radians(half_arcsec / 3600)
    x, y = math.radians(xi_deg), math.radians(eta_deg)
    xi = np.array([x - h, x + h, x + h, x - h])
    eta = np.array([y - h, y - h, y + h, y + h])
    ra, dec = tanwcs.standard_to_sky(xi, eta, RA0, DEC0)
    return [[float(r), float(d)] for r, d in zip(ra, dec, strict=True)]


def request(**fields: Any) -> dict[str, Any]:
    return {"visit_id": 1, "detector_id": 94, **fields}


def error_of(client: BlockingEngineClient, params: dict[str, Any]) -> EngineRpcError:
    with pytest.raises(EngineRpcError) as caught:
        client.call("filter_sources", params)
    assert caught.value.code == "invalid_params"
    return caught.value


def test_sky_corners_alone_and_mixed_with_boxes(loaded: BlockingEngineClient) -> None:
    corners = [square(0.1 * k, -0.2) for k in range(3)]
    result = loaded.call("filter_sources", request(ids=[7, 8, 9], sky_corners=corners))
    assert result["allowed"] == [7, 8, 9]  # bboxes omitted: every source has corners
    mixed = request(
        ids=[5, 6, 7, 8],
        bboxes=[None, [10, 10, 20, 20], None, [30, 30, 40, 40]],
        sky_corners=[corners[0], None, corners[1], None],
    )
    assert loaded.call("filter_sources", mixed)["allowed"] == [5, 6, 7, 8]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"sky_corners": "x"}, "sky_corners: expected an array"),
        ({"sky_corners": [None]}, "sky_corners: expected one entry per id (2 ids, 1 entries)"),
        ({"bboxes": [None]}, "bboxes: expected one box per id (2 ids, 1 boxes)"),
        ({"sky_corners": [None, None]}, "sky_corners[0]: source has neither a bbox nor sky"),
        (
            {"bboxes": [None, None], "sky_corners": [None, "ok"]},
            "sky_corners[0]: source has neither",
        ),
        (
            {"bboxes": [[1, 1, 2, 2], None], "sky_corners": ["ok", "ok"]},
            "sky_corners[0]: source also has a bbox; give exactly one of bboxes[0] and",
        ),
        ({"sky_corners": ["ok", [[1, 2]] * 3]}, "sky_corners[1]: expected four [ra_deg, dec_deg]"),
        ({"sky_corners": ["ok", "abcd"]}, "sky_corners[1]: expected four"),
        (
            {"sky_corners": ["ok", [[1, 2], [1, 2], [1, 2, 3], [1, 2]]]},
            "sky_corners[1][2]: expected [ra_deg, dec_deg], two numbers",
        ),
        (
            {"sky_corners": ["ok", [[1, 2], [1, 2], [1, "2"], [1, 2]]]},
            "sky_corners[1][2]: expected [ra_deg, dec_deg], two numbers",
        ),
        (
            {"sky_corners": ["ok", [[1, 2], [1, 2], [1, 2], [math.nan, 2]]]},
            "sky_corners[1][3]: RA and Dec must be finite",
        ),
        (
            {"sky_corners": ["ok", [[1, 2], [1, math.inf], [1, 2], [1, 2]]]},
            "sky_corners[1][1]: RA and Dec must be finite",
        ),
        (
            {"sky_corners": ["ok", [[1, 2], [1, 2], [360.0, 2], [1, 2]]]},
            "sky_corners[1][2]: RA must be in [0, 360)",
        ),
        (
            {"sky_corners": ["ok", [[-1e-9, 2], [1, 2], [1, 2], [1, 2]]]},
            "sky_corners[1][0]: RA must be in [0, 360)",
        ),
        (
            {"sky_corners": ["ok", [[1, 2], [1, -90.5], [1, 2], [1, 2]]]},
            "sky_corners[1][1]: Dec must be in [-90, 90]",
        ),
        ({}, "bboxes: required"),
        ({"bboxes": [[1, 1, 2, 2], None]}, "bboxes[1]: expected [x_min, y_min, x_max, y_max]"),
    ],
)
def test_malformed_footprints_are_refused_naming_the_field(
    loaded: BlockingEngineClient, fields: dict[str, Any], message: str
) -> None:
    good = square(0.0, 0.5)
    for key, value in fields.items():
        if isinstance(value, list):
            fields[key] = [good if v == "ok" else v for v in value]
    error = error_of(loaded, request(ids=[1, 2], **fields))
    assert error.message.startswith(message), error.message


def field_deg() -> float:
    return camera.fov_radius_deg() + 5 / 3600  # camera field + the default 5" margin


def at_distance(rho_deg: float, half_arcsec: float = 2.0) -> list[list[float]]:
    """A square whose farthest corner is rho_deg from the boresight (due north)."""
    h = half_arcsec / 3600
    eta = math.degrees(math.tan(math.radians(rho_deg - h)))
    return square(0.0, eta, half_arcsec)


def test_footprints_outside_the_field_are_left_out_not_refused(
    loaded: BlockingEngineClient,
) -> None:
    field = field_deg()
    corners = [
        at_distance(field - 0.5 / 3600),  # inside by half an arcsecond
        at_distance(field + 0.5 / 3600),  # outside by half an arcsecond
        at_distance(30.0),  # elsewhere on the sky
        [[(RA0 + 180.0) % 360.0, -DEC0]] * 4,  # the antipode
    ]
    result = loaded.call("filter_sources", request(ids=[1, 2, 3, 4], sky_corners=corners))
    assert result["allowed"] == [1]


def test_max_footprint_deg_is_configurable_and_denies_larger_spans(
    loaded: BlockingEngineClient,
) -> None:
    # Half-sides 0.12 and 0.13 deg: diagonals 0.339 and 0.368 deg, about the 0.35 deg default.
    small = square(0.3, 0.3, half_arcsec=0.12 * 3600)
    large = square(-0.3, -0.3, half_arcsec=0.13 * 3600)
    tracks = loaded.call("visit_tracks", {"visit_id": 1})
    assert not tracks["segments"], "this check wants a quiet field"
    params = request(ids=[1, 2], sky_corners=[small, large])
    assert loaded.call("filter_sources", params)["allowed"] == [1]
    loaded.call("configure", {"max_footprint_deg": 0.5})
    assert loaded.call("filter_sources", params)["allowed"] == [1, 2]
    loaded.call("configure", {"max_footprint_deg": 0.3})
    assert loaded.call("filter_sources", params)["allowed"] == []
    # Other settings leave it alone.
    loaded.call("configure", {"tolerance": {"min_arcsec": 20.0}})
    assert loaded.call("filter_sources", params)["allowed"] == []


@pytest.mark.parametrize("value", [0, -1, 5.01, "0.3", math.nan, math.inf])
def test_max_footprint_deg_is_validated(loaded: BlockingEngineClient, value: object) -> None:
    with pytest.raises(EngineRpcError) as caught:
        loaded.call("configure", {"max_footprint_deg": value})
    assert caught.value.code == "invalid_params"
    assert caught.value.message.startswith("max_footprint_deg: ")
