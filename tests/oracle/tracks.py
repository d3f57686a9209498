"""Dense brute-force satellite tracks: the reference the engine's matching is tested against.

For a catalog and a visit, :func:`oracle_tracks` returns every object whose topocentric
direction from the Rubin site comes within ``radius_deg`` of the boresight during
``[start - pad, end + pad]``, each with its track sampled every 0.05 s.  Positions come from
python-sgp4 (WGS72, improved mode, via ``sgp4.omm.initialize``); directions from skyfield,
geometric (no aberration, light time or refraction), GCRS axes, with UT1 = UTC and no polar
motion exactly like the engine.  None of this shares code with the engine.

Doing that densely for 20,000 objects and 50 visits is too slow, so a rigorous prefilter runs
first (see README.md for the argument):

1. all objects at once with ``SatrecArray`` on a coarse grid (spacing <= ``coarse_step_s``);
   the TEME -> GCRS rotation is frozen at the window midpoint and the site is turned into TEME
   with GMST 1982, which differs from skyfield's full computation by far less than
   :data:`FRAME_BOUND_DEG`;
2. an object is kept when at some coarse sample its separation from the boresight minus the
   largest angle it can move in half a step is within the radius plus that frame bound;
3. survivors get the dense skyfield track, and the same argument at the dense step decides
   (conservatively) whether the track enters the radius.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from sgp4.api import Satrec, SatrecArray
from sgp4.omm import initialize
from skyfield.api import EarthSatellite, wgs84
from skyfield.positionlib import ICRF

from oracle.frames import (
    SECONDS_PER_DAY,
    SITE_HEIGHT_M,
    SITE_LAT_DEG,
    SITE_LON_DEG,
    SITE_SPEED_BOUND_KM_S,
    FloatArray,
    gmst82_rad,
    mjd_to_jd_pair,
    radec_to_unit,
    rotate_z,
    separation_deg,
    site_ecef_km,
    skyfield_time,
    teme_from_gcrs_matrix,
    timescale,
)
from satveto.catalog.omm import OmmRecord, sgp4_omm_fields

__all__ = [
    "DEFAULT_MARGIN_DEG",
    "DENSE_STEP_S",
    "FRAME_BOUND_DEG",
    "Oracle",
    "Prefilter",
    "Track",
    "default_radius_deg",
    "fov_radius_deg",
    "oracle_tracks",
    "topocentric",
]

#: Sampling step of the dense tracks (s).
DENSE_STEP_S = 0.05
#: Coarse prefilter step (s).  Larger steps propagate less but keep more survivors; 2 s
#: measured best for a 20,000-object catalog (README.md).
COARSE_STEP_S = 2.0
#: Margin added to the field-of-view radius for the default search radius (deg).
DEFAULT_MARGIN_DEG = 0.25
#: Bound of the prefilter's frame approximation (deg): the TEME <-> GCRS matrix frozen at the
#: window midpoint drifts by < 0.3"/day (precession + nutation), and the GMST 1982 site rotation
#: is the one skyfield itself uses for TEME.  1" covers both for windows up to a day; the
#: tests measure the actual difference.
FRAME_BOUND_DEG = 1.0 / 3600.0
#: Longest visit window the frame bound above is valid for (days).
_MAX_WINDOW_DAYS = 1.0

# WGS72 (python-sgp4's gravity model for the catalog) for the per-object speed bound.
_MU_KM3_S2 = 398600.8
_WGS72_RADIUS_KM = 6378.135
# SGP4's osculating speed differs from the mean-element Kepler perigee speed by short-periodic
# J2 terms (~0.1 %), drag over a few days (< 1 %) and luni-solar terms (< 1 %); 5 % covers them
# and every coarse sample is checked against the bound.
_SPEED_BOUND_FACTOR = 1.05

_DETECTOR_CSV = Path(__file__).resolve().parents[2] / "engine" / "data" / "lsstcam_detectors.csv"
_PLATE_SCALE_ARCSEC_PER_MM = 20.005867576692737


@lru_cache(maxsize=1)
def fov_radius_deg() -> float:
    """Largest field angle of any LSSTCam pixel (all 205 detectors), from the detector table.

    A private stand-in for the camera model's own ``fov_radius_deg``: corners of every pixel
    array from centre, size and yaw, then engine/data/LSSTCAM.md's radial distortion.
    """
    data = np.genfromtxt(_DETECTOR_CSV, delimiter=",", names=True, dtype=None, encoding="utf-8")
    half_x = data["n_pix_x"] * data["pixel_size_um"] / 2000.0
    half_y = data["n_pix_y"] * data["pixel_size_um"] / 2000.0
    yaw = np.radians(data["yaw_deg"])
    r_max = 0.0
    for sx in (-1.0, 1.0):
        for sy in (-1.0, 1.0):
            dx, dy = sx * half_x, sy * half_y
            x = data["center_x_mm"] + np.cos(yaw) * dx - np.sin(yaw) * dy
            y = data["center_y_mm"] + np.sin(yaw) * dx + np.cos(yaw) * dy
            r_max = max(r_max, float(np.max(np.hypot(x, y))))
    theta_rad = (_PLATE_SCALE_ARCSEC_PER_MM / 206264.80624709636) * (
        r_max - 8.33713991e-9 * r_max**3 - 1.41389858e-15 * r_max**5
    )
    return math.degrees(theta_rad)


def default_radius_deg() -> float:
    return fov_radius_deg() + DEFAULT_MARGIN_DEG


@dataclass(frozen=True, eq=False)
class Track:
    """One object's dense topocentric track; every array has one entry per sample.

    Directions are geometric, GCRS axes; ``rate_deg_s`` is the angular speed of the direction
    on the sky and ``speed_km_s`` the object's geocentric (inertial) speed, which together with
    ``range_km`` give the corridor width and time pad of docs/design.md.
    """

    norad_id: int
    mjd: FloatArray  # UTC MJD
    ra_deg: FloatArray
    dec_deg: FloatArray
    range_km: FloatArray
    sep_deg: FloatArray  # angular distance from the boresight
    rate_deg_s: FloatArray
    speed_km_s: FloatArray

    @property
    def min_sep_deg(self) -> float:
        return float(np.min(self.sep_deg))

    @property
    def closest_index(self) -> int:
        return int(np.argmin(self.sep_deg))

    def unit_vectors(self) -> FloatArray:
        """(n, 3) GCRS unit vectors of the samples."""
        return radec_to_unit(self.ra_deg, self.dec_deg)

    def within(self, radius_deg: float) -> NDArray[np.bool_]:
        """Mask of the samples within ``radius_deg`` of the boresight."""
        return self.sep_deg <= radius_deg


@dataclass(frozen=True)
class Prefilter:
    """What the coarse stage kept for one visit window."""

    indices: NDArray[np.intp]  # catalog positions of the survivors
    failed_ids: tuple[int, ...]  # objects SGP4 could not propagate over the window
    coarse_times: int  # coarse samples per object
    half_step_s: float


def _satrec(record: OmmRecord) -> Satrec:
    sat = Satrec()
    initialize(sat, sgp4_omm_fields(record))
    return sat


def _window(visit: Mapping[str, Any], pad_s: float) -> tuple[float, float]:
    start = float(visit["exposure_start_mjd"]) - pad_s / SECONDS_PER_DAY
    end = float(visit["exposure_end_mjd"]) + pad_s / SECONDS_PER_DAY
    if not end > start:
        raise ValueError("empty visit window")
    if end - start > _MAX_WINDOW_DAYS:
        raise ValueError("visit window longer than the frame bound allows")
    return start, end


def _site_topos() -> Any:
    return wgs84.latlon(SITE_LAT_DEG, SITE_LON_DEG, elevation_m=SITE_HEIGHT_M)


def topocentric(record: OmmRecord, mjd_utc: ArrayLike) -> tuple[FloatArray, FloatArray, FloatArray]:
    """(ra_deg, dec_deg, range_km) of one object at arbitrary UTC MJDs, straight from skyfield.

    The textbook form ``(satellite - site).at(t).radec()``: use it to place a source exactly on
    a track at any instant.
    """
    ts = timescale()
    mjd = np.atleast_1d(np.asarray(mjd_utc, dtype=np.float64))
    satellite = EarthSatellite.from_satrec(_satrec(record), ts)
    ra, dec, distance = (satellite - _site_topos()).at(skyfield_time(mjd)).radec()
    return ra._degrees, dec.degrees, distance.km


def _half_step_angle_rad(speed_bound_km_s: FloatArray, half_step_s: float, range_km: FloatArray):
    """Largest angle a direction can turn while the object moves for ``half_step_s``.

    The relative displacement is at most ``v * h`` (v bounds the relative speed), and a vector
    of length rho changed by at most s < rho turns by at most asin(s / rho); s >= rho means
    anything is possible.
    """
    ratio = speed_bound_km_s * half_step_s / range_km
    return np.where(ratio < 1.0, np.arcsin(np.minimum(ratio, 1.0)), np.pi)


class Oracle:
    """A catalog prepared for repeated oracle queries (build once per session, query per visit).

    Queries are pure functions of (catalog, visit, pad, radius, steps).
    """

    def __init__(self, catalog: Sequence[OmmRecord]) -> None:
        self.records: tuple[OmmRecord, ...] = tuple(catalog)
        self.norad_ids = np.array([r["NORAD_CAT_ID"] for r in self.records], dtype=np.int64)
        self.satrecs: tuple[Satrec, ...] = tuple(_satrec(r) for r in self.records)
        self._array = SatrecArray(list(self.satrecs))
        # Kepler speed at the mean perigee, v^2 = mu (1 + e) / (a (1 - e)), is the largest
        # speed on the mean orbit; the margin and a runtime check cover SGP4's perturbations.
        a_km = np.array([s.a for s in self.satrecs]) * _WGS72_RADIUS_KM
        e = np.array([s.ecco for s in self.satrecs])
        self.sat_speed_bound_km_s = _SPEED_BOUND_FACTOR * np.sqrt(
            _MU_KM3_S2 * (1.0 + e) / (a_km * (1.0 - e))
        )
        #: Bound of the speed of the object relative to the site, in an inertial frame.
        self.rel_speed_bound_km_s = self.sat_speed_bound_km_s + SITE_SPEED_BOUND_KM_S
        self._index = {int(n): i for i, n in enumerate(self.norad_ids)}

    def index_of(self, norad_id: int) -> int:
        return self._index[norad_id]

    # --- coarse stage --------------------------------------------------------------------

    def coarse_separation(
        self, mjd: FloatArray, boresight_gcrs: FloatArray, indices: NDArray[np.intp] | None = None
    ) -> tuple[FloatArray, FloatArray, FloatArray, NDArray[np.bool_]]:
        """Approximate separation (deg), range (km), |v| (km/s) and error flags at ``mjd``.

        Arrays are (objects, times).  TEME <-> GCRS is frozen at the middle time; see
        :data:`FRAME_BOUND_DEG`.
        """
        mid = 0.5 * (float(mjd[0]) + float(mjd[-1]))
        boresight_teme = teme_from_gcrs_matrix(mid) @ boresight_gcrs
        site_teme = rotate_z(site_ecef_km()[None, :], gmst82_rad(mjd))  # (times, 3)
        jd, fr = mjd_to_jd_pair(mjd)
        array = self._array if indices is None else SatrecArray([self.satrecs[i] for i in indices])
        err, r, v = array.sgp4(jd, fr)
        d = r - site_teme[None, :, :]
        rho = np.linalg.norm(d, axis=-1)
        cos_sep = np.einsum("ntk,k->nt", d, boresight_teme) / rho
        sep = np.degrees(np.arccos(np.clip(cos_sep, -1.0, 1.0)))
        return sep, rho, np.linalg.norm(v, axis=-1), err != 0

    def separation_lower_bound(
        self,
        visit: Mapping[str, Any],
        pad_s: float,
        coarse_step_s: float = COARSE_STEP_S,
    ) -> tuple[FloatArray, NDArray[np.bool_], int, float]:
        """A proven lower bound (deg) of each object's closest approach to the boresight.

        Returns (bound per object, SGP4 failure per object, coarse samples, half spacing in s).
        At every coarse sample the bound subtracts the largest angle the direction can turn in
        half a spacing and the frame approximation bound, so it is never above the true
        minimum over the window (README.md).  Failed objects get +inf.
        """
        start, end = _window(visit, pad_s)
        length_s = (end - start) * SECONDS_PER_DAY
        n = max(1, math.ceil(length_s / coarse_step_s))
        # n + 1 samples including both ends: every instant is within half a spacing of one.
        mjd = start + (end - start) * np.arange(n + 1) / n
        half_step_s = 0.5 * length_s / n
        boresight = radec_to_unit(float(visit["boresight_ra"]), float(visit["boresight_dec"]))
        sep, rho, speed, failed = self.coarse_separation(mjd, boresight)
        if np.any((speed > self.sat_speed_bound_km_s[:, None]) & ~failed):
            raise AssertionError("an SGP4 speed exceeds the prefilter's speed bound")
        reach = np.degrees(
            _half_step_angle_rad(self.rel_speed_bound_km_s[:, None], half_step_s, rho)
        )
        bound = np.min(sep - reach, axis=1) - FRAME_BOUND_DEG
        any_failed = np.any(failed, axis=1)
        return np.where(any_failed, np.inf, bound), any_failed, n + 1, half_step_s

    def prefilter(
        self,
        visit: Mapping[str, Any],
        pad_s: float,
        radius_deg: float,
        coarse_step_s: float = COARSE_STEP_S,
    ) -> Prefilter:
        """Catalog positions of every object that may come within ``radius_deg`` (conservative)."""
        bound, failed, samples, half_step_s = self.separation_lower_bound(
            visit, pad_s, coarse_step_s
        )
        return Prefilter(
            indices=np.flatnonzero(bound <= radius_deg),
            failed_ids=tuple(int(i) for i in self.norad_ids[failed]),
            coarse_times=samples,
            half_step_s=half_step_s,
        )

    # --- dense stage ---------------------------------------------------------------------

    @staticmethod
    def dense_times(visit: Mapping[str, Any], pad_s: float, step_s: float = DENSE_STEP_S):
        """Sample instants (UTC MJD): from ``start - pad`` every ``step_s`` up to and including
        the first sample at or after ``end + pad``."""
        start, end = _window(visit, pad_s)
        n = math.ceil((end - start) * SECONDS_PER_DAY / step_s - 1e-9)
        return start + np.arange(n + 1) * (step_s / SECONDS_PER_DAY)

    def dense_tracks(
        self, indices: Sequence[int] | NDArray[np.intp], mjd: FloatArray, boresight_gcrs: FloatArray
    ) -> list[Track | None]:
        """skyfield tracks of the given catalog positions at ``mjd`` (None where SGP4 fails)."""
        ts = timescale()
        t = skyfield_time(mjd)
        # The site's GCRS position and velocity are the same for every object: computed once,
        # then subtracted exactly as ``(satellite - site).at(t)`` does (the tests check this).
        site = _site_topos().at(t)
        site_r, site_v = site.position.km, site.velocity.km_per_s
        tracks: list[Track | None] = []
        for i in indices:
            geocentric = EarthSatellite.from_satrec(self.satrecs[i], ts).at(t)
            r = geocentric.position.km - site_r
            if not np.all(np.isfinite(r)):
                tracks.append(None)
                continue
            v = geocentric.velocity.km_per_s - site_v
            ra, dec, distance = ICRF(r / 149597870.700, t=t, center=399).radec()
            rho = distance.km
            u = r / rho
            v_perp = v - np.sum(v * u, axis=0) * u
            tracks.append(
                Track(
                    norad_id=int(self.norad_ids[i]),
                    mjd=mjd,
                    ra_deg=ra._degrees,
                    dec_deg=dec.degrees,
                    range_km=rho,
                    sep_deg=separation_deg(u.T, boresight_gcrs[None, :]),
                    rate_deg_s=np.degrees(np.linalg.norm(v_perp, axis=0) / rho),
                    speed_km_s=np.linalg.norm(geocentric.velocity.km_per_s, axis=0),
                )
            )
        return tracks

    def tracks(
        self,
        visit: Mapping[str, Any],
        pad_s: float = 0.0,
        radius_deg: float | None = None,
        step_s: float = DENSE_STEP_S,
        coarse_step_s: float = COARSE_STEP_S,
    ) -> dict[int, Track]:
        """Every object whose track comes within ``radius_deg`` of the boresight, by NORAD id.

        Conservative at the dense step too: an object is returned when some sample minus the
        angle it can move in half a step is within the radius, so nothing that truly enters is
        missed; a returned object may stay outside by up to that angle (see ``min_sep_deg``).
        Objects SGP4 cannot propagate are not returned (see :meth:`prefilter`).
        """
        radius = default_radius_deg() if radius_deg is None else radius_deg
        kept = self.prefilter(visit, pad_s, radius, coarse_step_s)
        if kept.indices.size == 0:
            return {}  # skip building the dense time grid (skyfield's nutation) for nothing
        mjd = self.dense_times(visit, pad_s, step_s)
        boresight = radec_to_unit(float(visit["boresight_ra"]), float(visit["boresight_dec"]))
        result: dict[int, Track] = {}
        for i, track in zip(
            kept.indices, self.dense_tracks(kept.indices, mjd, boresight), strict=True
        ):
            if track is None:
                continue
            reach = np.degrees(
                _half_step_angle_rad(self.rel_speed_bound_km_s[i], 0.5 * step_s, track.range_km)
            )
            if np.any(track.sep_deg - reach <= radius):
                result[track.norad_id] = track
        return result


def oracle_tracks(
    catalog: Sequence[OmmRecord] | Oracle,
    visit: Mapping[str, Any],
    pad_s: float = 0.0,
    radius_deg: float | None = None,
    step_s: float = DENSE_STEP_S,
) -> dict[int, Track]:
    """Functional form of :meth:`Oracle.tracks`; pass an :class:`Oracle` to reuse its set-up."""
    oracle = catalog if isinstance(catalog, Oracle) else Oracle(catalog)
    return oracle.tracks(visit, pad_s=pad_s, radius_deg=radius_deg, step_s=step_s)
