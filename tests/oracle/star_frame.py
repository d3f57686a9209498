"""Where a satellite lands in a Gaia-calibrated image: the rigorous star-frame reference.

AP places its sources with a WCS fitted to Gaia stars, so a source's RA/Dec is the ICRS
(astrometric) direction of a star that would appear at the same place in the image.  For an
SGP4 object at a TAI instant t, seen from the Rubin site, that direction is (docs/design.md,
"Matching"):

1. the light reaching the site at t left the satellite at the retarded time t_e = t - rho/c,
   with rho = |r_sat(t_e) - r_site(t)| measured in a non-rotating geocentric frame (GCRS);
2. the observer, carried by the Earth's rotation, sees that light aberrated by the site's
   geocentric velocity (diurnal aberration);
3. a star seen in the same apparent direction has the ICRS direction obtained by removing
   the stellar aberration of the observer's barycentric velocity (Earth + site) and the
   Sun's light deflection.

Two routes compute it, written differently and sharing no code with the engine or with each
other (README.md says what each assumes):

* :func:`star_frame_astropy` (route A, the reference): astropy's ``TEME`` frame and its IERS
  handling (the bundled ``astropy-iers-data`` tables, never downloaded); the satellite's
  apparent direction is turned into an observed ``AltAz`` (pressure 0, no refraction) and
  astropy's transformation of a *distant* source from ``AltAz`` to ``ICRS`` gives the star.
* :func:`star_frame_erfa` (route B, the cross-check): skyfield's TEME rotation, site and
  timescale built from the same IERS file by skyfield's own parser, and the aberration done
  explicitly with pyerfa (``epv00``, ``ab``, ``ldsun``), inverted by iteration.

Every input is a TAI MJD (Rubin's time scale); python-sgp4 is given UTC, as the OMM epoch is.
Results are cached per (elements, instants), so a test session pays once per track.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import erfa
import numpy as np
from numpy.typing import ArrayLike, NDArray
from sgp4.api import Satrec
from sgp4.omm import initialize

from oracle.frames import SITE_HEIGHT_M, SITE_LAT_DEG, SITE_LON_DEG

FloatArray = NDArray[np.float64]

__all__ = [
    "C_KM_S",
    "StarFrameTrack",
    "earth_velocity_over_c",
    "iers_file",
    "satrec_from_omm",
    "star_frame",
    "star_frame_astropy",
    "star_frame_erfa",
    "tai_to_utc_mjd",
    "utc_to_tai_mjd",
]

C_KM_S = 299792.458
AU_KM = 149597870.7
SECONDS_PER_DAY = 86400.0
MJD_TO_JD = 2400000.5
#: Light-time iterations: each multiplies the error by rho_dot / c < 3e-5, so three reach
#: far below a nanosecond from the instantaneous start (tests check convergence).
LIGHT_TIME_ITERATIONS = 3
#: Fixed-point iterations inverting aberration + deflection: each gains ~v/c ~ 1e-4.
ABERRATION_ITERATIONS = 4


@dataclass(frozen=True, eq=False)
class StarFrameTrack:
    """One object seen from the site at TAI instants; one entry per instant (NaN on failure).

    ``ra_deg``/``dec_deg``: star-frame (ICRS astrometric) direction, what a Gaia-fitted WCS
    gives for the satellite's image.  ``range_km``: length of the light path (site at t,
    satellite at t - light time).  ``geometric_*``: the instantaneous topocentric direction
    on GCRS axes (no light time, no aberration), for diagnostics.
    """

    tai_mjd: FloatArray
    ra_deg: FloatArray
    dec_deg: FloatArray
    range_km: FloatArray
    light_time_s: FloatArray
    geometric_ra_deg: FloatArray
    geometric_dec_deg: FloatArray
    errors: NDArray[np.int64]

    def unit_vectors(self) -> FloatArray:
        return _unit(self.ra_deg, self.dec_deg)

    def geometric_unit_vectors(self) -> FloatArray:
        return _unit(self.geometric_ra_deg, self.geometric_dec_deg)


def _unit(ra_deg: ArrayLike, dec_deg: ArrayLike) -> FloatArray:
    ra, dec = np.radians(ra_deg), np.radians(dec_deg)
    return np.stack([np.cos(dec) * np.cos(ra), np.cos(dec) * np.sin(ra), np.sin(dec)], axis=-1)


def _radec(v: FloatArray) -> tuple[FloatArray, FloatArray]:
    ra = np.degrees(np.arctan2(v[..., 1], v[..., 0])) % 360.0
    dec = np.degrees(np.arctan2(v[..., 2], np.hypot(v[..., 0], v[..., 1])))
    return ra, dec


def satrec_from_omm(record: Mapping[str, Any]) -> Satrec:
    """python-sgp4 from OMM fields (WGS72, improved mode), independent of the frontend."""
    fields = {
        "OBJECT_NAME": str(record.get("OBJECT_NAME", "")),
        "OBJECT_ID": "",
        "EPOCH": str(record["EPOCH"]).rstrip("Z"),
        "MEAN_MOTION": str(record["MEAN_MOTION"]),
        "ECCENTRICITY": str(record["ECCENTRICITY"]),
        "INCLINATION": str(record["INCLINATION"]),
        "RA_OF_ASC_NODE": str(record["RA_OF_ASC_NODE"]),
        "ARG_OF_PERICENTER": str(record["ARG_OF_PERICENTER"]),
        "MEAN_ANOMALY": str(record["MEAN_ANOMALY"]),
        "EPHEMERIS_TYPE": "0",
        "CLASSIFICATION_TYPE": "U",
        "NORAD_CAT_ID": str(record["NORAD_CAT_ID"]),
        "ELEMENT_SET_NO": "999",
        "REV_AT_EPOCH": "0",
        "BSTAR": str(record.get("BSTAR", 0.0)),
        "MEAN_MOTION_DOT": str(record.get("MEAN_MOTION_DOT", 0.0)),
        "MEAN_MOTION_DDOT": str(record.get("MEAN_MOTION_DDOT", 0.0)),
    }
    satrec = Satrec()
    initialize(satrec, fields)
    return satrec


def _teme_km(satrec: Satrec, jd1: FloatArray, jd2: FloatArray) -> tuple[FloatArray, NDArray]:
    # Re-split so that the fraction is small: python-sgp4 subtracts the epoch from jd + fr.
    whole = np.floor(jd1) + np.floor(jd2)
    frac = (jd1 - np.floor(jd1)) + (jd2 - np.floor(jd2))
    err, r, _ = satrec.sgp4_array(whole, frac)
    return np.asarray(r, dtype=np.float64), np.asarray(err, dtype=np.int64)


def tai_to_utc_mjd(tai_mjd: ArrayLike) -> FloatArray:
    """UTC MJD of TAI MJDs (ERFA's leap-second table)."""
    tai = np.asarray(tai_mjd, dtype=np.float64)
    whole = np.floor(tai)
    u1, u2 = erfa.taiutc(whole + MJD_TO_JD, tai - whole)
    return np.asarray((u1 - MJD_TO_JD) + u2, dtype=np.float64)


def utc_to_tai_mjd(utc_mjd: ArrayLike) -> FloatArray:
    """TAI MJD of UTC MJDs (ERFA's leap-second table)."""
    utc = np.asarray(utc_mjd, dtype=np.float64)
    whole = np.floor(utc)
    t1, t2 = erfa.utctai(whole + MJD_TO_JD, utc - whole)
    return np.asarray((t1 - MJD_TO_JD) + t2, dtype=np.float64)


def iers_file() -> Path:
    """finals2000A.all as shipped by the installed astropy-iers-data package."""
    import astropy_iers_data

    return Path(astropy_iers_data.__file__).resolve().parent / "data" / "finals2000A.all"


# --- route A: astropy ----------------------------------------------------------------------


@lru_cache(maxsize=1)
def _astropy_setup() -> Any:
    """astropy with its IERS tables pinned to the installed files and downloads forbidden."""
    from astropy import units as u
    from astropy.coordinates import EarthLocation
    from astropy.utils import iers

    iers.conf.auto_download = False
    iers.conf.iers_degraded_accuracy = "error"
    iers.earth_orientation_table.set(iers.IERS_A.open(str(iers_file())))
    return EarthLocation.from_geodetic(
        SITE_LON_DEG * u.deg, SITE_LAT_DEG * u.deg, SITE_HEIGHT_M * u.m, ellipsoid="WGS84"
    )


def star_frame_astropy(satrec: Satrec, tai_mjd: ArrayLike) -> StarFrameTrack:
    """Route A: astropy's TEME, IERS, observed AltAz and AltAz -> ICRS of a distant source.

    The satellite's apparent direction for the observer at rest on the rotating Earth is the
    light path p = r_sat(t_e) - r_site(t) (GCRS) aberrated by the site's velocity v, i.e.
    p + |p| v / c (first order; the next term is (v/c)^2 ~ 1e-12).  That vector is expressed
    on the Earth-fixed axes *of the reception instant t* (not of t_e: the Earth turns by
    omega * rho / c meanwhile, 1.8" for GEO), turned into AltAz without refraction, and read
    back by astropy as the AltAz of a star at infinity.
    """
    from astropy import units as u
    from astropy.coordinates import (
        GCRS,
        ICRS,
        ITRS,
        TEME,
        AltAz,
        CartesianRepresentation,
        UnitSphericalRepresentation,
    )
    from astropy.time import Time

    site = _astropy_setup()
    tai = np.atleast_1d(np.asarray(tai_mjd, dtype=np.float64))
    whole = np.floor(tai)
    t = Time(whole + MJD_TO_JD, tai - whole, format="jd", scale="tai")
    site_p, site_v = site.get_gcrs_posvel(t)
    r_site = site_p.xyz.to_value(u.km).T
    v_site = site_v.xyz.to_value(u.km / u.s).T

    tau = np.zeros(tai.shape)
    geometric = None
    err = np.zeros(tai.shape, dtype=np.int64)
    p = np.zeros((tai.size, 3))
    for _ in range(LIGHT_TIME_ITERATIONS + 1):
        t_e = t - tau * u.s
        utc = t_e.utc
        r_teme, err = _teme_km(satrec, utc.jd1, utc.jd2)
        teme = TEME(CartesianRepresentation(r_teme.T * u.km), obstime=t_e)
        r_sat = teme.transform_to(GCRS(obstime=t_e)).cartesian.xyz.to_value(u.km).T
        p = r_sat - r_site
        if geometric is None:
            geometric = p
        tau = np.linalg.norm(p, axis=-1) / C_KM_S
    rho = np.linalg.norm(p, axis=-1)
    apparent = p + rho[:, None] * v_site / C_KM_S

    # GCRS axes -> Earth-fixed axes at t (rotations only for a geocentric GCRS), then the
    # topocentric ITRS vector -> AltAz at the site.
    gcrs = GCRS(CartesianRepresentation(apparent.T * u.km), obstime=t)
    itrs_axes = gcrs.transform_to(ITRS(obstime=t)).cartesian
    topo = ITRS(itrs_axes, obstime=t, location=site)
    altaz_frame = AltAz(obstime=t, location=site, pressure=0.0 * u.hPa)
    altaz = topo.transform_to(altaz_frame)
    direction = altaz_frame.realize_frame(UnitSphericalRepresentation(altaz.az, altaz.alt))
    star = direction.transform_to(ICRS())
    return _track(
        tai,
        star.ra.deg,
        star.dec.deg,
        rho,
        tau,
        geometric,
        err,
    )


def _track(
    tai: FloatArray,
    ra: FloatArray,
    dec: FloatArray,
    rho: FloatArray,
    tau: FloatArray,
    geometric: FloatArray,
    err: NDArray[np.int64],
) -> StarFrameTrack:
    bad = err != 0
    g_ra, g_dec = _radec(geometric)
    nan = np.where(bad, np.nan, 1.0)
    return StarFrameTrack(
        tai_mjd=tai,
        ra_deg=np.asarray(ra, dtype=np.float64) * nan,
        dec_deg=np.asarray(dec, dtype=np.float64) * nan,
        range_km=rho * nan,
        light_time_s=tau * nan,
        geometric_ra_deg=g_ra * nan,
        geometric_dec_deg=g_dec * nan,
        errors=err,
    )


# --- route B: skyfield frames + explicit pyerfa aberration -----------------------------------


@lru_cache(maxsize=1)
def _skyfield_setup() -> tuple[Any, Any]:
    """A skyfield timescale and polar-motion table built by skyfield's own parser from the
    same finals2000A file (no download, no bundled skyfield table), and the WGS84 site."""
    from skyfield.api import wgs84
    from skyfield.data import iers
    from skyfield.timelib import Timescale

    with iers_file().open("rb") as f:
        utc_mjd, dut1 = iers.parse_dut1_from_finals_all(f)
    daily_tt, daily_delta_t, leap_dates, leap_offsets = iers.build_timescale_arrays(utc_mjd, dut1)
    ts = Timescale((daily_tt, daily_delta_t), leap_dates, leap_offsets)
    with iers_file().open("rb") as f:
        iers.install_polar_motion_table(ts, iers.parse_x_y_dut1_from_finals_all(f))
    return ts, wgs84.latlon(SITE_LAT_DEG, SITE_LON_DEG, elevation_m=SITE_HEIGHT_M)


def earth_velocity_over_c(tai_mjd: ArrayLike) -> FloatArray:
    """The Earth's barycentric velocity over c, (n, 3) on ICRS axes (ERFA epv00, TT)."""
    tai = np.atleast_1d(np.asarray(tai_mjd, dtype=np.float64))
    whole = np.floor(tai)
    tt1, tt2 = erfa.taitt(whole + MJD_TO_JD, tai - whole)
    _, pvb = erfa.epv00(tt1, tt2)
    return np.asarray(pvb["v"], dtype=np.float64) * AU_KM / SECONDS_PER_DAY / C_KM_S


def star_frame_erfa(satrec: Satrec, tai_mjd: ArrayLike) -> StarFrameTrack:
    """Route B: skyfield (TEME rotation, site, UT1, polar motion) + pyerfa aberration.

    Light time as in route A; the satellite's apparent direction is ``erfa.ab`` of the light
    path with the site's geocentric velocity; the star direction s solves
    ``ab(ldsun(s), V_earth + v_site) = apparent`` by fixed-point iteration.
    """
    from skyfield.sgp4lib import TEME

    ts, site_topos = _skyfield_setup()
    tai = np.atleast_1d(np.asarray(tai_mjd, dtype=np.float64))
    whole = np.floor(tai)
    jd_whole, jd_frac = whole + MJD_TO_JD, tai - whole
    t = ts.tai_jd(jd_whole, jd_frac)
    site = site_topos.at(t)
    r_site = np.asarray(site.position.km).T
    v_site = np.asarray(site.velocity.km_per_s).T

    tau = np.zeros(tai.shape)
    geometric = None
    err = np.zeros(tai.shape, dtype=np.int64)
    p = np.zeros((tai.size, 3))
    for _ in range(LIGHT_TIME_ITERATIONS + 1):
        frac_e = jd_frac - tau / SECONDS_PER_DAY
        t_e = ts.tai_jd(jd_whole, frac_e)
        u1, u2 = erfa.taiutc(jd_whole, frac_e)
        r_teme, err = _teme_km(satrec, u1, u2)
        rotation = TEME.rotation_at(t_e)  # GCRS -> TEME, (3, 3, n)
        r_sat = np.einsum("jin,nj->ni", rotation, r_teme)
        p = r_sat - r_site
        if geometric is None:
            geometric = p
        tau = np.linalg.norm(p, axis=-1) / C_KM_S
    rho = np.linalg.norm(p, axis=-1)

    tt1, tt2 = erfa.taitt(jd_whole, jd_frac)
    pvh, pvb = erfa.epv00(tt1, tt2)
    sun_to_observer = np.asarray(pvh["p"], dtype=np.float64) + r_site / AU_KM
    em = np.linalg.norm(sun_to_observer, axis=-1)
    e_hat = sun_to_observer / em[:, None]
    beta_site = v_site / C_KM_S
    beta = np.asarray(pvb["v"], dtype=np.float64) * AU_KM / SECONDS_PER_DAY / C_KM_S + beta_site

    with np.errstate(invalid="ignore"):
        light = p / rho[:, None]
        apparent = erfa.ab(light, beta_site, em, np.sqrt(1.0 - np.sum(beta_site**2, axis=-1)))
        bm1 = np.sqrt(1.0 - np.sum(beta**2, axis=-1))
        star = apparent.copy()
        for _ in range(ABERRATION_ITERATIONS):
            seen = erfa.ab(erfa.ldsun(star, e_hat, em), beta, em, bm1)
            star = star + (apparent - seen)
            star /= np.linalg.norm(star, axis=-1, keepdims=True)
    ra, dec = _radec(star)
    return _track(tai, ra, dec, rho, tau, geometric, err)


# --- cached front door ---------------------------------------------------------------------

_CACHE: dict[tuple[str, str, bytes], StarFrameTrack] = {}


def _record_key(record: Mapping[str, Any]) -> str:
    return hashlib.sha1(json.dumps(dict(record), sort_keys=True, default=str).encode()).hexdigest()


def star_frame(record: Mapping[str, Any], tai_mjd: ArrayLike, route: str = "astropy"):
    """Star-frame track of an OMM record at TAI MJDs (route "astropy" or "erfa"), cached."""
    tai = np.ascontiguousarray(np.atleast_1d(np.asarray(tai_mjd, dtype=np.float64)))
    key = (route, _record_key(record), tai.tobytes())
    if key not in _CACHE:
        satrec = satrec_from_omm(record)
        if route == "astropy":
            _CACHE[key] = star_frame_astropy(satrec, tai)
        elif route == "erfa":
            _CACHE[key] = star_frame_erfa(satrec, tai)
        else:
            raise ValueError(f"unknown route {route!r}")
    return _CACHE[key]
