"""Sources placed at chosen star-frame directions, and the engine calls that vet them.

A *probe* is a small source (5 x 5 pixels) whose centre is a given ICRS direction, as AP would
measure it with a Gaia-fitted WCS.  It is sent two ways, both independent of the engine's own
geometry code: as a pixel box through the camera model (tests/oracle/camera.py, the visit's
boresight and rotation), and as a pixel box with a TAN WCS fitted to that camera model over
the detector (the box placed through that WCS, so the WCS maps it back onto the direction).

The tolerance model is computed here from the configuration the tests send, by the formulas
of docs/design.md ("Matching") and docs/matching.md, not by asking the engine.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from oracle import camera
from oracle import wcs as tanwcs
from oracle.sky_cases import mean_speed_bounds_km_s

FloatArray = NDArray[np.float64]

ARCSEC_RAD = math.pi / 180.0 / 3600.0
SCIENCE = range(189)
ROTATION_DEG = 30.0
BOX_HALF = 2  # pixels each side of the centre: a 5 x 5 box, 1" across
#: Half-diagonal of the box's pixel area plus the rounding of its centre to a pixel (rad).
BOX_REACH_RAD = (
    (math.hypot(BOX_HALF + 0.5, BOX_HALF + 0.5) + math.hypot(0.5, 0.5)) * 0.2 * ARCSEC_RAD
)
#: The tolerance the tests configure (the engine's documented defaults, stated explicitly).
TOLERANCE: dict[str, float] = {
    "min_arcsec": 20.0,
    "a_km": 1.0,
    "b_km_per_day": 0.2,
    "c_km": 4.0,
    "d_km_per_day": 3.0,
    "margin_arcsec": 5.0,
}
#: The engine's stated approximation bounds on the allow side (docs/matching.md): dense chord
#: bound 0.5", agreement with the rigorous frame 0.5", pixel-edge bow 0.085", Earth orientation
#: within the observed IERS table (1 ms, < 0.3" at LEO ranges), star-frame bending of chords;
#: rounded up to 3".
STATED_BOUNDS_RAD = 3.0 * ARCSEC_RAD
#: Gnomonic stretch within the field (1 / cos^2 of 2.3 deg), applied to every reach.
STRETCH = 1.0 / math.cos(math.radians(2.3)) ** 2
FIELD_OFFSET_DEG = 0.3


def corridor_rad(age_days: float, range_km: float, tol: Mapping[str, float] = TOLERANCE) -> float:
    """docs/design.md: max(min_arcsec, atan((a + b * age) / range))."""
    cross_km = tol["a_km"] + tol["b_km_per_day"] * abs(age_days)
    return max(tol["min_arcsec"] * ARCSEC_RAD, math.atan(cross_km / range_km))


def time_pad_s(age_days: float, speed_km_s: float, tol: Mapping[str, float] = TOLERANCE) -> float:
    """docs/design.md: (c + d * age) / speed + 1 s."""
    return (tol["c_km"] + tol["d_km_per_day"] * abs(age_days)) / speed_km_s + 1.0


def stated_time_pad_s(
    age_days: float, record: Mapping[str, Any], tol: Mapping[str, float] = TOLERANCE
) -> float:
    """The pad with the speed bound docs/matching.md states: the apocentre speed of the mean
    ellipse less 10 % (never shorter than the pad at the object's true speed)."""
    return time_pad_s(age_days, 0.9 * mean_speed_bounds_km_s(record)[0], tol)


def refraction_allowance_rad(altitude_deg: float) -> float:
    """How much differential refraction across the field can add on the camera-model path:
    R0 sec^2(z) x field radius with R0 = 60" (sea level; Rubin's air gives ~45")."""
    z = math.radians(90.0 - altitude_deg)
    return 60.0 * ARCSEC_RAD / math.cos(z) ** 2 * math.radians(camera.fov_radius_deg())


def unit(ra_deg: Any, dec_deg: Any) -> FloatArray:
    ra, dec = np.radians(np.asarray(ra_deg, float)), np.radians(np.asarray(dec_deg, float))
    return np.stack([np.cos(dec) * np.cos(ra), np.cos(dec) * np.sin(ra), np.sin(dec)], axis=-1)


def radec(v: FloatArray) -> tuple[float, float]:
    ra = math.degrees(math.atan2(v[1], v[0])) % 360.0
    return ra, math.degrees(math.atan2(v[2], math.hypot(v[0], v[1])))


def angle_rad(a: FloatArray, b: FloatArray) -> FloatArray:
    return np.arctan2(np.linalg.norm(np.cross(a, b), axis=-1), np.sum(a * b, axis=-1))


def turn(u: FloatArray, towards: FloatArray, angle: float) -> FloatArray:
    """The direction ``angle`` (rad) from unit ``u`` along the great circle towards ``towards``."""
    d = towards - np.dot(towards, u) * u
    d /= np.linalg.norm(d)
    return math.cos(angle) * u + math.sin(angle) * d


@dataclass(frozen=True)
class Placement:
    path: str  # "camera" or "wcs"
    detector: int
    box: list[int]
    wcs: dict[str, Any] | None


def _box(d: camera.Detector, x: float, y: float) -> list[int] | None:
    x0, y0 = round(x) - BOX_HALF, round(y) - BOX_HALF
    x1, y1 = round(x) + BOX_HALF, round(y) + BOX_HALF
    if x0 < 3 or y0 < 3 or x1 > d.n_pix[0] - 4 or y1 > d.n_pix[1] - 4:
        return None
    return [x0, y0, x1, y1]


def placements(direction: FloatArray, boresight: tuple[float, float]) -> list[Placement]:
    """The probe as a camera-model box and as a TAN-WCS box (empty if it falls in a gap)."""
    ra, dec = radec(direction)
    hits = [h for h in camera.sky_to_pixel(ra, dec, *boresight, ROTATION_DEG) if h[0] in SCIENCE]
    if not hits:
        return []
    det_id, x, y = hits[0]
    det = camera.detectors()[det_id]
    box = _box(det, x, y)
    if box is None:
        return []
    fitted = camera.detector_tan_wcs(det_id, *boresight, ROTATION_DEG)
    wcs = {"crval": fitted["crval"], "crpix": fitted["crpix"], "cd": fitted["cd"]}
    wx, wy = tanwcs.wcs_sky_to_pixel(wcs, ra, dec)
    wbox = _box(det, float(wx), float(wy))
    if wbox is None:
        return []
    return [Placement("camera", det_id, box, None), Placement("wcs", det_id, wbox, wcs)]


def aim(directions: Sequence[FloatArray]) -> tuple[tuple[float, float], list[list[Placement]]]:
    """A boresight ~0.3 deg from the probes' centre where every probe lands on a science
    detector, and the probes' placements."""
    centre = np.mean(directions, axis=0)
    centre /= np.linalg.norm(centre)
    north = np.array([0.0, 0.0, 1.0])
    east = np.cross(north, centre)
    east /= np.linalg.norm(east)
    north = np.cross(centre, east)
    for offset in (FIELD_OFFSET_DEG, 0.55, 0.8, 0.15):
        for pa in range(0, 360, 30):
            towards = math.cos(math.radians(pa)) * north + math.sin(math.radians(pa)) * east
            boresight = radec(turn(centre, towards, math.radians(offset)))
            placed = [placements(d, boresight) for d in directions]
            if all(placed):
                return boresight, placed
    raise LookupError("no boresight puts every probe on a science detector")


def visit_params(
    visit_id: int, start_tai: float, end_tai: float, boresight: tuple[float, float], **extra: Any
) -> dict[str, Any]:
    return {
        "visit_id": visit_id,
        "exposure_start_mjd": start_tai,
        "exposure_end_mjd": end_tai,
        "boresight_ra": boresight[0],
        "boresight_dec": boresight[1],
        "rotation_deg": ROTATION_DEG,
        **extra,
    }


def vetoed(client: Any, visit_id: int, placement: Placement) -> bool:
    request: dict[str, Any] = {
        "visit_id": visit_id,
        "detector_id": placement.detector,
        "ids": [0],
        "bboxes": [placement.box],
    }
    if placement.wcs is not None:
        request["wcs"] = placement.wcs
    return client.call("filter_sources", request)["allowed"] == []
