"""The engine refuses a `wcs` the camera could not have (docs/design.md "Security model":
footprints the camera can produce), and accepts honest ones: TAN WCSs fitted to the independent
numpy camera model (tests/oracle) under realistic pointing and rotation errors."""

from __future__ import annotations

import copy
import datetime as dt
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
BORESIGHT = (150.1, -30.2)


@pytest.fixture(scope="module")
def catalog() -> list[dict]:
    return build_demo_catalog(NOW, count=300)


@pytest.fixture
def loaded(engine_rpc: BlockingEngineClient, catalog: list[dict]) -> BlockingEngineClient:
    engine_rpc.call(
        "load_catalog", {"generation": "g", "fetched_at_unix": time.time(), "objects": catalog}
    )
    return engine_rpc


def register(
    client: BlockingEngineClient, visit_id: int, rotation: float | None, **at: Any
) -> None:
    visit = {
        "visit_id": visit_id,
        "exposure_start_mjd": MJD,
        "exposure_end_mjd": MJD + 30 / 86400,
        "boresight_ra": at.get("ra", BORESIGHT[0]),
        "boresight_dec": at.get("dec", BORESIGHT[1]),
    }
    if rotation is not None:
        visit["rotation_deg"] = rotation
    client.call("register_visit", visit)


def ask(client: BlockingEngineClient, visit_id: int, detector: int, wcs: dict[str, Any]) -> Any:
    return client.call(
        "filter_sources",
        {
            "visit_id": visit_id,
            "detector_id": detector,
            "ids": [1, 2],
            "bboxes": [[100, 100, 110, 110], [1500, 1500, 1510, 1510]],
            "wcs": {key: wcs[key] for key in ("crval", "crpix", "cd")},
        },
    )


def refusal(client: BlockingEngineClient, visit_id: int, detector: int, wcs: dict) -> str:
    with pytest.raises(EngineRpcError) as error:
        ask(client, visit_id, detector, wcs)
    assert error.value.code == "invalid_params"
    assert error.value.message.startswith("wcs")
    return error.value.message


def honest_wcs(
    detector: int,
    rotation: float,
    pointing_arcsec: float,
    rotation_error_deg: float,
    seed: int,
    boresight: tuple[float, float] = BORESIGHT,
) -> dict[str, Any]:
    """A TAN fit to the camera model where the telescope really pointed: the registered
    boresight off by `pointing_arcsec` in a random direction, the rotation off by
    `rotation_error_deg`."""
    rng = np.random.default_rng(seed)
    angle = rng.uniform(0, 2 * np.pi)
    offset_deg = pointing_arcsec / 3600.0
    ra, dec = tanwcs.standard_to_sky(
        np.radians(offset_deg * np.cos(angle)),
        np.radians(offset_deg * np.sin(angle)),
        *boresight,
    )
    return camera.detector_tan_wcs(detector, float(ra), float(dec), rotation + rotation_error_deg)


DETECTORS = [0, 4, 94, 100, 150, 188, 189, 200]


def test_honest_wcs_pass_with_and_without_rotation(loaded: BlockingEngineClient) -> None:
    for k, rotation in enumerate((0.0, 12.5, 97.0, -170.0, 245.0)):
        register(loaded, 10 + k, rotation)
        register(loaded, 20 + k, None, ra=BORESIGHT[0] + 0.5 * k)
        for detector in DETECTORS:
            for seed, (pointing, turn) in enumerate(((0.0, 0.0), (30.0, 0.02), (120.0, 0.1))):
                honest = honest_wcs(detector, rotation, pointing, turn, 100 * k + seed)
                assert "allowed" in ask(loaded, 10 + k, detector, honest)
                # Without a registered rotation any rotation of the camera is honest.
                elsewhere = (BORESIGHT[0] + 0.5 * k, BORESIGHT[1])
                unrotated = honest_wcs(detector, 33.0 * seed, pointing, 0.0, seed, elsewhere)
                assert "allowed" in ask(loaded, 20 + k, detector, unrotated)


def test_huge_pixels_are_refused(loaded: BlockingEngineClient) -> None:
    register(loaded, 1, 12.5)
    register(loaded, 2, None)
    honest = camera.detector_tan_wcs(94, *BORESIGHT, 12.5)
    for factor in (1000.0, 100.0, 10.0, 1.05, 0.95):
        huge = copy.deepcopy(honest)
        huge["cd"] = (np.asarray(honest["cd"]) * factor).tolist()
        for visit_id in (1, 2):
            message = refusal(loaded, visit_id, 94, huge)
            # Beyond 36 arcsec the older sanity bound answers first; below it, the camera.
            assert ("wcs.cd: " if factor == 1000.0 else "wcs: pixel scale") in message
    for factor in (1.01, 0.99):  # within the stated 2 %
        close = copy.deepcopy(honest)
        close["cd"] = (np.asarray(honest["cd"]) * factor).tolist()
        assert "allowed" in ask(loaded, 1, 94, close)


def test_parity_orientation_and_position(loaded: BlockingEngineClient) -> None:
    register(loaded, 1, 12.5)
    register(loaded, 2, None)
    honest = camera.detector_tan_wcs(150, *BORESIGHT, 12.5)
    flipped = copy.deepcopy(honest)
    flipped["cd"] = (np.asarray(honest["cd"]) @ np.diag([-1.0, 1.0])).tolist()
    for visit_id in (1, 2):
        assert "parity" in refusal(loaded, visit_id, 150, flipped)
    # Turned by 5 degrees about the detector's centre: refused when the rotation is known...
    turned = camera.detector_tan_wcs(150, *BORESIGHT, 17.5)
    assert "turned" in refusal(loaded, 1, 150, turned)
    # ...and, the detector being off-centre, its centre lands 0.2 deg away: refused with it.
    # Without a registered rotation, any turn of the camera about the boresight is honest.
    assert "allowed" in ask(loaded, 2, 150, turned)
    # Another detector's WCS is elsewhere on the sky.
    elsewhere = camera.detector_tan_wcs(100, *BORESIGHT, 12.5)
    assert "from where the camera model puts it" in refusal(loaded, 1, 150, elsewhere)
    # The same detector moved 1 degree across the sky; with no rotation, moved outward.
    moved = camera.detector_tan_wcs(150, BORESIGHT[0], BORESIGHT[1] + 1.0, 12.5)
    assert "from where the camera model puts it" in refusal(loaded, 1, 150, moved)
    far = copy.deepcopy(honest)
    far["crval"] = [(honest["crval"][0] + 40.0) % 360.0, honest["crval"][1]]
    for visit_id in (1, 2):
        assert "crval" in refusal(loaded, visit_id, 150, far)
    centre = camera.detector_tan_wcs(94, *BORESIGHT, 0.0)  # the centre detector...
    assert "from the boresight" in refusal(loaded, 2, 150, {**centre})  # ...is not detector 150
