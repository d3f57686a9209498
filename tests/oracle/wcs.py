"""FITS TAN WCS (RA---TAN / DEC--TAN with a CD matrix), numpy, independent of the engine.

A WCS is a dict ``{"crval": [ra_deg, dec_deg], "crpix": [x, y], "cd": [[..], [..]]}`` exactly
as in the HTTP API: degrees, ``cd`` in degrees per pixel, ``crpix`` in the FITS convention
(1-based). Pixel arguments and results here are 0-based (pixel centres at integers), so the
FITS pixel is ``(x + 1, y + 1)``.

Written from the geometry rather than from Paper II's spherical-trigonometry formulas (the
engine follows those): the intermediate world coordinates of a TAN projection with the default
LONPOLE of 180 deg are the gnomonic standard coordinates (xi toward East, eta toward North,
degrees) about CRVAL, and a direction is ``normalize(c + xi e + eta n)`` with ``c`` the unit
vector of CRVAL and ``e``, ``n`` its local East and North unit vectors. The one exception is
CRVAL at exactly Dec +90, where LONPOLE defaults to 0 (wcslib, astropy) and both intermediate
coordinates change sign. The tests check all of this against astropy.wcs.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

FloatArray = NDArray[np.float64]


def unit_vector(ra_deg: ArrayLike, dec_deg: ArrayLike) -> FloatArray:
    """Unit vectors (..., 3) of directions given in degrees."""
    ra = np.radians(np.asarray(ra_deg, dtype=float))
    dec = np.radians(np.asarray(dec_deg, dtype=float))
    return np.stack([np.cos(dec) * np.cos(ra), np.cos(dec) * np.sin(ra), np.sin(dec)], axis=-1)


def vector_to_radec(v: FloatArray) -> tuple[FloatArray, FloatArray]:
    """RA in [0, 360) and Dec (degrees) of (not necessarily unit) vectors (..., 3)."""
    ra = np.degrees(np.arctan2(v[..., 1], v[..., 0])) % 360.0
    ra = np.where(ra >= 360.0, 0.0, ra)
    dec = np.degrees(np.arctan2(v[..., 2], np.hypot(v[..., 0], v[..., 1])))
    return ra, dec


def tangent_basis(ra_deg: float, dec_deg: float) -> tuple[FloatArray, FloatArray, FloatArray]:
    """(centre, East, North) unit vectors of the tangent plane at a direction.

    At the poles East is taken as the direction of increasing RA for the given RA (the
    limit along that meridian), which is what the standard-coordinate formulas give there.
    """
    ra = np.radians(ra_deg)
    dec = np.radians(dec_deg)
    c = np.array([np.cos(dec) * np.cos(ra), np.cos(dec) * np.sin(ra), np.sin(dec)])
    e = np.array([-np.sin(ra), np.cos(ra), 0.0])
    n = np.cross(c, e)
    return c, e, n


def standard_to_sky(
    xi_rad: ArrayLike, eta_rad: ArrayLike, center_ra_deg: float, center_dec_deg: float
) -> tuple[FloatArray, FloatArray]:
    """Sky (degrees) of gnomonic standard coordinates (tangent-plane units) about a centre."""
    c, e, n = tangent_basis(center_ra_deg, center_dec_deg)
    xi = np.asarray(xi_rad, dtype=float)[..., None]
    eta = np.asarray(eta_rad, dtype=float)[..., None]
    return vector_to_radec(c + xi * e + eta * n)


def sky_to_standard(
    ra_deg: ArrayLike, dec_deg: ArrayLike, center_ra_deg: float, center_dec_deg: float
) -> tuple[FloatArray, FloatArray, NDArray[np.bool_]]:
    """Gnomonic standard coordinates (xi East, eta North) and an in-front mask.

    Central projection onto the plane tangent at the centre: v / (v.c) - c.
    """
    c, e, n = tangent_basis(center_ra_deg, center_dec_deg)
    v = unit_vector(ra_deg, dec_deg)
    dot = v @ c
    front = dot > 0.0
    with np.errstate(divide="ignore", invalid="ignore"):
        xi = np.where(front, (v @ e) / dot, np.nan)
        eta = np.where(front, (v @ n) / dot, np.nan)
    return xi, eta, front


def _lonpole_sign(wcs: dict[str, Any]) -> float:
    # LONPOLE default (Paper II sec. 2.4): 180 deg unless delta_0 >= theta_0 = 90 deg.
    return -1.0 if float(wcs["crval"][1]) >= 90.0 else 1.0


def wcs_pixel_to_sky(
    wcs: dict[str, Any], x: ArrayLike, y: ArrayLike
) -> tuple[FloatArray, FloatArray]:
    """Sky (ra_deg, dec_deg) of 0-based pixel positions through a TAN WCS."""
    cd = np.radians(np.asarray(wcs["cd"], dtype=float))
    dx = np.asarray(x, dtype=float) + 1.0 - float(wcs["crpix"][0])
    dy = np.asarray(y, dtype=float) + 1.0 - float(wcs["crpix"][1])
    sign = _lonpole_sign(wcs)
    xi = sign * (cd[0, 0] * dx + cd[0, 1] * dy)
    eta = sign * (cd[1, 0] * dx + cd[1, 1] * dy)
    return standard_to_sky(xi, eta, float(wcs["crval"][0]), float(wcs["crval"][1]))


def wcs_sky_to_pixel(
    wcs: dict[str, Any], ra_deg: ArrayLike, dec_deg: ArrayLike
) -> tuple[FloatArray, FloatArray]:
    """0-based pixel positions of sky directions (NaN behind the projection's hemisphere)."""
    xi, eta, _ = sky_to_standard(ra_deg, dec_deg, float(wcs["crval"][0]), float(wcs["crval"][1]))
    sign = _lonpole_sign(wcs)
    cd = np.radians(np.asarray(wcs["cd"], dtype=float))
    inv = np.linalg.inv(cd)
    u = sign * xi
    w = sign * eta
    x = inv[0, 0] * u + inv[0, 1] * w + float(wcs["crpix"][0]) - 1.0
    y = inv[1, 0] * u + inv[1, 1] * w + float(wcs["crpix"][1]) - 1.0
    return x, y


def angular_separation_deg(
    ra1_deg: ArrayLike, dec1_deg: ArrayLike, ra2_deg: ArrayLike, dec2_deg: ArrayLike
) -> FloatArray:
    """Angular separation (degrees), accurate at all scales (atan2 of cross and dot)."""
    a = unit_vector(ra1_deg, dec1_deg)
    b = unit_vector(ra2_deg, dec2_deg)
    cross = np.linalg.norm(np.cross(a, b), axis=-1)
    dot = np.sum(a * b, axis=-1)
    return np.degrees(np.arctan2(cross, dot))
