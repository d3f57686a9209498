"""Low-precision sky geometry for the plausibility checks: time scales, sidereal time, the
Sun, and the altitude of a direction seen from the site.

The thresholds these serve (boresight at least 15 degrees up, Sun below -6 degrees) need a
tenth of a degree at most, so this is deliberately simple and fast (numpy, no IERS data):

* the Sun from the Astronomical Almanac's low-precision formulae (about 0.01 degrees from 1950
  to 2050);
* Greenwich mean sidereal time from the Earth rotation angle plus the IAU 2006 precession
  polynomial, with UT1 taken as UTC (|UT1 - UTC| < 0.9 s, i.e. under 0.004 degrees);
* ICRS directions precessed to the mean equator of date with the IAU 1976 angles (nutation,
  under 0.005 degrees, and aberration, 0.006 degrees, are left out);
* no refraction: the altitude is geometric.

tests/astro/test_sky.py checks all of it against astropy at many instants.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

from satveto.astro.timescales import mjd_now, tai_minus_utc_s

MJD_UNIX_EPOCH = 40587.0  # MJD of 1970-01-01T00:00:00 UTC
JD_MINUS_MJD = 2400000.5

FloatArray = NDArray[np.float64]
J2000_JD = 2451545.0


def mjd_to_unix(mjd: float, scale: str = "tai") -> float:
    """The POSIX time (UTC seconds) of an MJD in ``scale`` ("tai" or "utc"); leap seconds
    from satveto.astro.timescales, the one owner of TAI - UTC."""
    if scale == "utc":
        return (mjd - MJD_UNIX_EPOCH) * 86400.0
    if scale != "tai":
        raise ValueError(f"unknown time scale {scale!r}")
    # TAI - UTC is looked up at the TAI instant read as UTC: off only within 37 s of a leap.
    return (mjd - MJD_UNIX_EPOCH) * 86400.0 - tai_minus_utc_s(mjd)


def unix_to_mjd(unix: float, scale: str = "tai") -> float:
    """The MJD in ``scale`` of a POSIX time (inverse of :func:`mjd_to_unix`)."""
    if scale not in ("tai", "utc"):
        raise ValueError(f"unknown time scale {scale!r}")
    return mjd_now(unix, scale)


def gmst_rad(unix: float | FloatArray) -> FloatArray:
    """Greenwich mean sidereal time (radians in [0, 2 pi)) at POSIX time ``unix``, UT1 = UTC."""
    du = (np.asarray(unix, dtype=float) / 86400.0 + MJD_UNIX_EPOCH + JD_MINUS_MJD) - J2000_JD
    # Earth rotation angle (IAU 2000), split so the integer days do not cost precision.
    era = 2.0 * np.pi * np.mod(0.7790572732640 + 0.00273781191135448 * du + np.mod(du, 1.0), 1.0)
    t = du / 36525.0  # TT - UT1 (~69 s) changes this term by 1e-5 arcsec: ignored
    arcsec = 0.014506 + t * (4612.156534 + t * (1.3915817 + t * (-0.00000044 - t * 0.000029956)))
    return np.mod(era + np.radians(arcsec / 3600.0), 2.0 * np.pi)


def sun_radec_rad(unix: float | FloatArray) -> tuple[FloatArray, FloatArray]:
    """The Sun's right ascension and declination (radians, equator and equinox of date)."""
    n = (np.asarray(unix, dtype=float) / 86400.0 + MJD_UNIX_EPOCH + JD_MINUS_MJD) - J2000_JD
    mean_longitude = np.radians(280.460 + 0.9856474 * n)
    anomaly = np.radians(357.528 + 0.9856003 * n)
    ecliptic_longitude = (
        mean_longitude
        + np.radians(1.915) * np.sin(anomaly)
        + np.radians(0.020) * np.sin(2.0 * anomaly)
    )
    obliquity = np.radians(23.439 - 0.0000004 * n)
    ra = np.arctan2(np.cos(obliquity) * np.sin(ecliptic_longitude), np.cos(ecliptic_longitude))
    dec = np.arcsin(np.sin(obliquity) * np.sin(ecliptic_longitude))
    return np.mod(ra, 2.0 * np.pi), dec


def precess_icrs_to_date(
    ra_deg: float | FloatArray, dec_deg: float | FloatArray, unix: float | FloatArray
) -> tuple[FloatArray, FloatArray]:
    """ICRS (J2000) right ascension and declination, in radians, precessed to the mean
    equator and equinox of date with the IAU 1976 angles (zeta, z, theta)."""
    t = (
        (np.asarray(unix, dtype=float) / 86400.0 + MJD_UNIX_EPOCH + JD_MINUS_MJD) - J2000_JD
    ) / 36525.0
    arcsec = np.pi / (180.0 * 3600.0)
    zeta = (2306.2181 * t + 0.30188 * t**2 + 0.017998 * t**3) * arcsec
    z = (2306.2181 * t + 1.09468 * t**2 + 0.018203 * t**3) * arcsec
    theta = (2004.3109 * t - 0.42665 * t**2 - 0.041833 * t**3) * arcsec
    ra, dec = np.radians(ra_deg), np.radians(dec_deg)
    a = np.cos(dec) * np.sin(ra + zeta)
    b = np.cos(theta) * np.cos(dec) * np.cos(ra + zeta) - np.sin(theta) * np.sin(dec)
    c = np.sin(theta) * np.cos(dec) * np.cos(ra + zeta) + np.cos(theta) * np.sin(dec)
    ra_date = np.mod(np.arctan2(a, b) + z, 2.0 * np.pi)
    dec_date = np.arcsin(np.clip(c, -1.0, 1.0))
    return ra_date, dec_date


def altitude_deg(
    ra_date_rad: FloatArray,
    dec_date_rad: FloatArray,
    unix: float | FloatArray,
    latitude_deg: float,
    longitude_deg: float,
) -> FloatArray:
    """Geometric altitude (degrees) of a direction of date seen from a site (geodetic
    latitude, east longitude), from the local hour angle."""
    hour_angle = gmst_rad(unix) + math.radians(longitude_deg) - ra_date_rad
    lat = math.radians(latitude_deg)
    sin_alt = math.sin(lat) * np.sin(dec_date_rad) + math.cos(lat) * np.cos(dec_date_rad) * np.cos(
        hour_angle
    )
    return np.degrees(np.arcsin(np.clip(sin_alt, -1.0, 1.0)))


def boresight_altitude_deg(
    ra_deg: float, dec_deg: float, unix: float, latitude_deg: float, longitude_deg: float
) -> float:
    """Altitude of an ICRS direction from the site at ``unix``."""
    ra, dec = precess_icrs_to_date(ra_deg, dec_deg, unix)
    return float(altitude_deg(ra, dec, unix, latitude_deg, longitude_deg))


def sun_altitude_deg(unix: float, latitude_deg: float, longitude_deg: float) -> float:
    """Altitude of the Sun's centre from the site at ``unix``."""
    ra, dec = sun_radec_rad(unix)
    return float(altitude_deg(ra, dec, unix, latitude_deg, longitude_deg))


def longitude_of_midnight_deg(unix: float) -> float:
    """The east longitude (degrees in [-180, 180)) where the Sun is at lower culmination at
    ``unix``: the middle of the night there (used by the demo to pick a site in the dark)."""
    sun_ra, _ = sun_radec_rad(unix)
    local_sidereal = float(sun_ra) + math.pi  # the anti-Sun on the meridian
    longitude = math.degrees(local_sidereal - float(gmst_rad(unix)))
    return (longitude + 180.0) % 360.0 - 180.0
