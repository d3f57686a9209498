"""Time scales, site geometry and frame helpers shared by the oracle modules.

Everything here is deliberately small and independent of the engine.  Two kinds of helper
live side by side:

* the skyfield set-up the oracle's dense tracks are computed with (:func:`timescale`,
  :func:`skyfield_time`, :func:`gcrs_from_itrs_matrix`), configured like the engine: UT1 = UTC
  and no polar motion (docs/design.md, "Matching");
* hand-written low-precision formulas that need no ephemeris file and share no code with
  skyfield: GMST 1982, the WGS84 site vector, the Astronomical Almanac's Sun, and an
  IAU 1976/1980 TEME -> J2000 rotation used only to cross-check skyfield in the tests.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from numpy.typing import ArrayLike, NDArray
from skyfield.api import load
from skyfield.framelib import itrs
from skyfield.sgp4lib import TEME
from skyfield.timelib import Time, Timescale

FloatArray = NDArray[np.float64]

# Rubin Observatory (docs/design.md); the height is taken above the WGS84 ellipsoid.
SITE_LAT_DEG = -30.244639
SITE_LON_DEG = -70.749417
SITE_HEIGHT_M = 2663.0

#: TT - UTC = 32.184 s + (TAI - UTC = 37 s since 2017-01-01).  Using it as skyfield's Delta T
#: (= TT - UT1) makes UT1 == UTC, which is what the engine assumes.
TT_MINUS_UTC_S = 69.184

MJD_TO_JD = 2400000.5
SECONDS_PER_DAY = 86400.0
J2000_JD = 2451545.0

# WGS84 ellipsoid for the site (skyfield's wgs84 uses the same numbers).
_WGS84_A_KM = 6378.137
_WGS84_F = 1.0 / 298.257223563

#: Upper bound of the site's speed in an inertial frame: Earth rotation times the distance from
#: the spin axis, which is below the equatorial radius (0.465 km/s); rounded up.
SITE_SPEED_BOUND_KM_S = 0.47


@lru_cache(maxsize=1)
def timescale() -> Timescale:
    """skyfield's built-in timescale with Delta T pinned to TT - UTC, i.e. UT1 == UTC.

    ``builtin=True`` reads the leap-second table bundled with skyfield, so nothing is
    downloaded; the timescale has no polar-motion table, so skyfield applies none.
    """
    return load.timescale(builtin=True, delta_t=TT_MINUS_UTC_S)


def skyfield_time(mjd_utc: ArrayLike) -> Time:
    """A skyfield Time for UTC MJD values (scalar or 1-d array).

    The whole days are passed separately from the seconds so that nothing is lost to a large
    float; every satveto time lies far from a leap second, so a plain day offset is exact.
    """
    mjd = np.asarray(mjd_utc, dtype=np.float64)
    day0 = float(np.floor(mjd.min()))
    seconds = (mjd - day0) * SECONDS_PER_DAY
    # MJD 0 is 1858-11-17 00:00 UTC; skyfield normalises an out-of-range day number itself.
    return timescale().utc(1858, 11, 17 + int(day0), 0, 0, seconds)


def mjd_to_jd_pair(mjd_utc: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """(whole, fraction) Julian dates for python-sgp4, which wants UTC like the element epochs."""
    mjd = np.asarray(mjd_utc, dtype=np.float64)
    whole = np.floor(mjd)
    return whole + MJD_TO_JD, mjd - whole


def gmst82_rad(mjd_ut1: ArrayLike) -> FloatArray:
    """Greenwich mean sidereal time, IAU 1982 (the angle that defines SGP4's TEME frame).

    From AIAA 2006-6753 (Vallado et al.) with the 876600 h term split out, written from the
    formula and not taken from skyfield or python-sgp4.
    """
    mjd = np.asarray(mjd_ut1, dtype=np.float64)
    whole = np.floor(mjd)
    frac = mjd - whole
    tu = (whole - (J2000_JD - MJD_TO_JD) + frac) / 36525.0
    seconds = 67310.54841 + (8640184.812866 + (0.093104 - 6.2e-6 * tu) * tu) * tu
    # 876600 h * Tu is a whole number of days plus the fraction of the current day.
    turns = (seconds / SECONDS_PER_DAY) % 1.0 + (frac + 0.5) % 1.0
    return np.asarray((turns % 1.0) * 2.0 * np.pi, dtype=np.float64)


def rotate_z(vectors: FloatArray, angle_rad: ArrayLike) -> FloatArray:
    """Rotate vectors (..., 3) counter-clockwise about +z by ``angle_rad`` (broadcast)."""
    c, s = np.cos(angle_rad), np.sin(angle_rad)
    x, y, z = vectors[..., 0], vectors[..., 1], vectors[..., 2]
    return np.stack(np.broadcast_arrays(c * x - s * y, s * x + c * y, z), axis=-1)


def geodetic_to_ecef_km(lat_deg: float, lon_deg: float, height_m: float) -> FloatArray:
    """WGS84 geodetic coordinates to an Earth-fixed vector in km."""
    lat, lon = np.radians(lat_deg), np.radians(lon_deg)
    e2 = _WGS84_F * (2.0 - _WGS84_F)
    n = _WGS84_A_KM / np.sqrt(1.0 - e2 * np.sin(lat) ** 2)
    h = height_m / 1000.0
    return np.array(
        [
            (n + h) * np.cos(lat) * np.cos(lon),
            (n + h) * np.cos(lat) * np.sin(lon),
            (n * (1.0 - e2) + h) * np.sin(lat),
        ]
    )


def site_ecef_km() -> FloatArray:
    return geodetic_to_ecef_km(SITE_LAT_DEG, SITE_LON_DEG, SITE_HEIGHT_M)


def enu_basis_ecef(
    lat_deg: float = SITE_LAT_DEG, lon_deg: float = SITE_LON_DEG
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """East, north and up (geodetic normal) unit vectors of the site in Earth-fixed axes."""
    lat, lon = np.radians(lat_deg), np.radians(lon_deg)
    east = np.array([-np.sin(lon), np.cos(lon), 0.0])
    north = np.array([-np.sin(lat) * np.cos(lon), -np.sin(lat) * np.sin(lon), np.cos(lat)])
    up = np.array([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)])
    return east, north, up


def radec_to_unit(ra_deg: ArrayLike, dec_deg: ArrayLike) -> FloatArray:
    ra, dec = np.radians(ra_deg), np.radians(dec_deg)
    return np.stack(
        np.broadcast_arrays(np.cos(dec) * np.cos(ra), np.cos(dec) * np.sin(ra), np.sin(dec)),
        axis=-1,
    )


def unit_to_radec(vectors: FloatArray) -> tuple[FloatArray, FloatArray]:
    """RA in [0, 360) and Dec in degrees of vectors (..., 3) of any length."""
    x, y, z = vectors[..., 0], vectors[..., 1], vectors[..., 2]
    ra = np.degrees(np.arctan2(y, x)) % 360.0
    dec = np.degrees(np.arctan2(z, np.hypot(x, y)))
    return ra, dec


def separation_deg(a: FloatArray, b: FloatArray) -> FloatArray:
    """Angle between vectors (..., 3), broadcast; atan2 form, accurate at every angle."""
    cross = np.linalg.norm(np.cross(a, b), axis=-1)
    dot = np.sum(a * b, axis=-1)
    return np.degrees(np.arctan2(cross, dot))


def gcrs_from_itrs_matrix(mjd_utc: ArrayLike) -> FloatArray:
    """Matrices (3, 3, n) taking Earth-fixed vectors to GCRS axes (skyfield, UT1 = UTC).

    skyfield's ``rotation_at`` maps GCRS to the frame; its transpose maps back.
    """
    t = skyfield_time(np.atleast_1d(np.asarray(mjd_utc, dtype=np.float64)))
    return np.asarray(np.swapaxes(itrs.rotation_at(t), 0, 1), dtype=np.float64)


def teme_from_gcrs_matrix(mjd_utc: float) -> FloatArray:
    """skyfield's 3x3 rotation from GCRS to SGP4's TEME at one instant (UT1 = UTC)."""
    return np.asarray(TEME.rotation_at(skyfield_time(mjd_utc)), dtype=np.float64)


def altitude_deg(ra_deg: ArrayLike, dec_deg: ArrayLike, mjd_utc: ArrayLike) -> FloatArray:
    """Geometric altitude above the site's geodetic horizon of GCRS directions (vectorised)."""
    mjd = np.atleast_1d(np.asarray(mjd_utc, dtype=np.float64))
    zenith = np.einsum("ijn,j->ni", gcrs_from_itrs_matrix(mjd), enu_basis_ecef()[2])
    return 90.0 - separation_deg(radec_to_unit(ra_deg, dec_deg), zenith)


def altaz_to_radec(
    alt_deg: ArrayLike, az_deg: ArrayLike, mjd_utc: ArrayLike
) -> tuple[FloatArray, FloatArray]:
    """GCRS RA/Dec of directions given by altitude and azimuth (from north through east)."""
    alt, az = np.radians(alt_deg), np.radians(az_deg)
    east, north, up = enu_basis_ecef()
    local = (
        (np.cos(alt) * np.sin(az))[..., None] * east
        + (np.cos(alt) * np.cos(az))[..., None] * north
        + np.sin(alt)[..., None] * up
    )
    mjd = np.atleast_1d(np.asarray(mjd_utc, dtype=np.float64))
    gcrs = np.einsum("ijn,nj->ni", gcrs_from_itrs_matrix(mjd), np.atleast_2d(local))
    return unit_to_radec(gcrs)


# --- The Sun, low precision -------------------------------------------------------------------


def sun_radec_deg(mjd_utc: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Apparent RA/Dec of the Sun (equinox of date) from the Astronomical Almanac's formula.

    The Almanac's "low precision formulas for the Sun" (section C): 0.01 deg from 1950 to 2050,
    plenty for a twilight cut.  UTC stands in for TT/UT here; 69 s move the Sun by 0.0008 deg.
    """
    n = np.asarray(mjd_utc, dtype=np.float64) + MJD_TO_JD - J2000_JD
    mean_longitude = 280.460 + 0.9856474 * n
    g = np.radians(357.528 + 0.9856003 * n)
    ecliptic_longitude = np.radians(mean_longitude + 1.915 * np.sin(g) + 0.020 * np.sin(2 * g))
    obliquity = np.radians(23.439 - 0.0000004 * n)
    ra = np.degrees(
        np.arctan2(np.cos(obliquity) * np.sin(ecliptic_longitude), np.cos(ecliptic_longitude))
    )
    dec = np.degrees(np.arcsin(np.sin(obliquity) * np.sin(ecliptic_longitude)))
    return ra % 360.0, dec


def sun_altitude_deg(mjd_utc: ArrayLike) -> FloatArray:
    """Altitude of the Sun's centre at the site (no refraction), Almanac formula + GMST.

    The hour angle uses mean sidereal time against an RA of date; the difference (equation of
    the equinoxes, < 0.005 deg) is far below the formula's own error.
    """
    mjd = np.asarray(mjd_utc, dtype=np.float64)
    ra, dec = sun_radec_deg(mjd)
    hour_angle = gmst82_rad(mjd) + np.radians(SITE_LON_DEG) - np.radians(ra)
    lat, d = np.radians(SITE_LAT_DEG), np.radians(dec)
    sin_alt = np.sin(lat) * np.sin(d) + np.cos(lat) * np.cos(d) * np.cos(hour_angle)
    return np.degrees(np.arcsin(np.clip(sin_alt, -1.0, 1.0)))


# --- Independent TEME -> J2000 (IAU 1976 precession, truncated IAU 1980 nutation) ---------------

# (D, M, M', F, Omega) multipliers and (A + B*T) sin, (C + D*T) cos coefficients in 0.0001",
# the 24 largest terms of the IAU 1980 series (Seidelmann 1982; Meeus, Astronomical Algorithms,
# table 22.A).  The omitted terms are each below 0.003" and stay well below 0.1" together.
_NUTATION_1980 = np.array(
    [
        [0, 0, 0, 0, 1, -171996, -174.2, 92025, 8.9],
        [-2, 0, 0, 2, 2, -13187, -1.6, 5736, -3.1],
        [0, 0, 0, 2, 2, -2274, -0.2, 977, -0.5],
        [0, 0, 0, 0, 2, 2062, 0.2, -895, 0.5],
        [0, 1, 0, 0, 0, 1426, -3.4, 54, -0.1],
        [0, 0, 1, 0, 0, 712, 0.1, -7, 0],
        [-2, 1, 0, 2, 2, -517, 1.2, 224, -0.6],
        [0, 0, 0, 2, 1, -386, -0.4, 200, 0],
        [0, 0, 1, 2, 2, -301, 0, 129, -0.1],
        [-2, -1, 0, 2, 2, 217, -0.5, -95, 0.3],
        [-2, 0, 1, 0, 0, -158, 0, 0, 0],
        [-2, 0, 0, 2, 1, 129, 0.1, -70, 0],
        [0, 0, -1, 2, 2, 123, 0, -53, 0],
        [2, 0, 0, 0, 0, 63, 0, 0, 0],
        [0, 0, 1, 0, 1, 63, 0.1, -33, 0],
        [2, 0, -1, 2, 2, -59, 0, 26, 0],
        [0, 0, -1, 0, 1, -58, -0.1, 32, 0],
        [0, 0, 1, 2, 1, -51, 0, 27, 0],
        [-2, 0, 2, 0, 0, 48, 0, 0, 0],
        [0, 0, -2, 2, 1, 46, 0, -24, 0],
        [2, 0, 0, 2, 2, -38, 0, 16, 0],
        [0, 0, 2, 2, 2, -31, 0, 13, 0],
        [0, 0, 2, 0, 0, 29, 0, 0, 0],
        [-2, 0, 1, 2, 2, 29, 0, -12, 0],
    ],
    dtype=np.float64,
)
_ARCSEC = np.pi / (180.0 * 3600.0)


def _passive_rotation(axis: int, angle: float) -> FloatArray:
    """Frame rotation R_axis(angle) (coordinates in a frame turned by +angle)."""
    c, s = np.cos(angle), np.sin(angle)
    i, j = [(1, 2), (2, 0), (0, 1)][axis]
    m = np.eye(3)
    m[i, i] = m[j, j] = c
    m[i, j], m[j, i] = s, -s
    return m


def j2000_from_teme_matrix_iau1980(mjd_utc: float) -> FloatArray:
    """3x3 matrix taking TEME vectors to the J2000 mean equator and equinox (FK5 ~ GCRS).

    Written from the IAU 1976/1980 definitions (Lieske precession angles, the nutation series
    above, the 1982 equation of the equinoxes), sharing nothing with skyfield.  The frame bias
    between J2000 and GCRS (0.02") and the 1976/1980 model error (~0.05") are far below the
    arcsecond level it is used to check.
    """
    t = (mjd_utc + TT_MINUS_UTC_S / SECONDS_PER_DAY + MJD_TO_JD - J2000_JD) / 36525.0
    zeta = (2306.2181 + (0.30188 + 0.017998 * t) * t) * t * _ARCSEC
    z = (2306.2181 + (1.09468 + 0.018203 * t) * t) * t * _ARCSEC
    theta = (2004.3109 - (0.42665 + 0.041833 * t) * t) * t * _ARCSEC
    precession = (
        _passive_rotation(2, -z) @ _passive_rotation(1, theta) @ _passive_rotation(2, -zeta)
    )

    d = np.radians(297.85036 + 445267.111480 * t)
    m = np.radians(357.52772 + 35999.050340 * t)
    mp = np.radians(134.96298 + 477198.867398 * t)
    f = np.radians(93.27191 + 483202.017538 * t)
    om = np.radians(125.04452 - 1934.136261 * t)
    arg = _NUTATION_1980[:, :5] @ np.array([d, m, mp, f, om])
    dpsi = np.sum((_NUTATION_1980[:, 5] + _NUTATION_1980[:, 6] * t) * np.sin(arg)) * 1e-4
    deps = np.sum((_NUTATION_1980[:, 7] + _NUTATION_1980[:, 8] * t) * np.cos(arg)) * 1e-4
    eps0 = (84381.448 - 46.8150 * t) * _ARCSEC
    eps = eps0 + deps * _ARCSEC
    nutation = (
        _passive_rotation(0, -eps)
        @ _passive_rotation(2, -dpsi * _ARCSEC)
        @ _passive_rotation(0, eps0)
    )
    # TEME differs from true-of-date by the equation of the equinoxes about z (with the two
    # small terms adopted in 1994).
    eqeq = dpsi * np.cos(eps) + 0.00264 * np.sin(om) + 0.000063 * np.sin(2 * om)
    tod_from_teme = _passive_rotation(2, -eqeq * _ARCSEC)
    return precession.T @ nutation.T @ tod_from_teme
