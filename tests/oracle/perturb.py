"""Element sets whose SGP4 prediction is off the truth by a chosen displacement at one instant.

The veto must hold for any element set within what the tolerance model claims to cover:
cross-track errors up to ``a + b * age`` and along-track errors up to ``c + d * age`` (km).  To
test exactly that, :func:`displaced` returns a copy of an OMM record whose position at a given
instant differs from the original's by ``cross_km`` along the orbit normal and ``along_km``
along the velocity, found by Newton's method on two element changes measured with python-sgp4:

* a rotation of the orbit (i, RAAN, argument of perigee re-derived from the rotated
  perifocal frame) about the truth's velocity direction at that instant: moves the position
  out of the orbit plane, regular at any inclination (GEO included);
* a shift of the epoch by dt: the whole trajectory is delayed, r'(t) = r(t - dt), a pure
  along-track displacement.

Newton absorbs what the rotation does over the element age (J2 precession of the changed
inclination), so the displacement is the requested one at the visit, not only at epoch.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np

from oracle.star_frame import satrec_from_omm, tai_to_utc_mjd

__all__ = ["displaced", "rtn_offset_km"]

_MJD0 = datetime(1858, 11, 17, tzinfo=UTC)


def _state(record: Mapping[str, Any], utc_mjd: float) -> tuple[np.ndarray, np.ndarray]:
    whole = math.floor(utc_mjd)
    err, r, v = satrec_from_omm(record).sgp4(whole + 2400000.5, utc_mjd - whole)
    if err:
        raise ValueError(f"SGP4 error {err}")
    return np.array(r), np.array(v)


def rtn_offset_km(
    truth: Mapping[str, Any], other: Mapping[str, Any], tai_mjd: float
) -> tuple[float, float, float]:
    """(along the velocity, along the orbit normal, third axis) of other - truth, km."""
    utc = float(tai_to_utc_mjd(tai_mjd))
    r, v = _state(truth, utc)
    r2, _ = _state(other, utc)
    along = v / np.linalg.norm(v)
    normal = np.cross(r, v)
    normal /= np.linalg.norm(normal)
    d = r2 - r
    return float(d @ along), float(d @ normal), float(d @ np.cross(along, normal))


def _rotation(axis: np.ndarray, angle: float) -> np.ndarray:
    k = axis / np.linalg.norm(axis)
    kx = np.array([[0.0, -k[2], k[1]], [k[2], 0.0, -k[0]], [-k[1], k[0], 0.0]])
    return np.eye(3) + math.sin(angle) * kx + (1.0 - math.cos(angle)) * kx @ kx


def _perifocal(i: float, raan: float, argp: float) -> np.ndarray:
    """Columns P (perigee), Q, W (normal) on TEME axes."""
    ci, si, co, so, cw, sw = (
        math.cos(i),
        math.sin(i),
        math.cos(raan),
        math.sin(raan),
        math.cos(argp),
        math.sin(argp),
    )
    p = np.array([co * cw - so * sw * ci, so * cw + co * sw * ci, sw * si])
    q = np.array([-co * sw - so * cw * ci, -so * sw + co * cw * ci, cw * si])
    return np.stack([p, q, np.cross(p, q)], axis=1)


def _apply(record: Mapping[str, Any], axis: np.ndarray, angle: float, dt_s: float) -> dict:
    out = dict(record)
    frame = _rotation(axis, angle) @ _perifocal(
        math.radians(record["INCLINATION"]),
        math.radians(record["RA_OF_ASC_NODE"]),
        math.radians(record["ARG_OF_PERICENTER"]),
    )
    p, w = frame[:, 0], frame[:, 2]
    inc = math.acos(max(-1.0, min(1.0, w[2])))
    raan = math.atan2(w[0], -w[1])
    node = np.array([math.cos(raan), math.sin(raan), 0.0])
    argp = math.atan2(float(p @ np.cross(w, node)), float(p @ node))
    out["INCLINATION"] = math.degrees(inc)
    out["RA_OF_ASC_NODE"] = math.degrees(raan) % 360.0
    out["ARG_OF_PERICENTER"] = math.degrees(argp) % 360.0
    epoch = datetime.fromisoformat(str(record["EPOCH"]).rstrip("Z")).replace(tzinfo=UTC)
    out["EPOCH"] = (
        (epoch + timedelta(seconds=dt_s)).replace(tzinfo=None).isoformat(timespec="microseconds")
    )
    return out


def displaced(
    record: Mapping[str, Any], tai_mjd: float, along_km: float, cross_km: float
) -> dict[str, Any]:
    """A copy of ``record`` predicting the position at ``tai_mjd`` displaced by ``along_km``
    along the truth's velocity and ``cross_km`` along its orbit normal (to 1 m)."""
    utc = float(tai_to_utc_mjd(tai_mjd))
    r, v = _state(record, utc)
    axis = v / np.linalg.norm(v)
    x = np.array([cross_km / np.linalg.norm(r), -along_km / np.linalg.norm(v)])
    target = np.array([along_km, cross_km])

    def offset(params: np.ndarray) -> np.ndarray:
        a, c, _ = rtn_offset_km(record, _apply(record, axis, params[0], params[1]), tai_mjd)
        return np.array([a, c])

    for _ in range(6):
        f = offset(x) - target
        if np.max(np.abs(f)) < 1e-3:
            break
        steps = (1e-7, 1e-3)
        jacobian = np.column_stack(
            [(offset(x + np.eye(2)[k] * steps[k]) - offset(x)) / steps[k] for k in range(2)]
        )
        x = x - np.linalg.solve(jacobian, f)
    result = _apply(record, axis, float(x[0]), float(x[1]))
    got = np.array(rtn_offset_km(record, result, tai_mjd)[:2])
    if np.max(np.abs(got - target)) > 1e-2:
        raise ValueError(f"could not displace by {target} km (got {got})")
    return result
