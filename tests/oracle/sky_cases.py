"""Crossings of every orbit class on dates spread over a year, and the engine set-up they need.

The star-frame tests need objects of each class (LEO, MEO/GNSS, GEO, HEO/Molniya) above the
Rubin horizon at night, on dates where the Earth's velocity (and so the annual aberration)
points in different directions, and at chosen element ages.  Everything here is
deterministic: demo catalogs built for fixed dates, searched in a fixed order.

Crossing times are chosen with a coarse model (GMST 1982, UT1 = UTC, low-precision Sun): it
only has to find a moment when the object is well above the horizon in the dark; the positions
the tests check come from :mod:`oracle.star_frame`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

import numpy as np
from sgp4.api import SatrecArray

from oracle.frames import (
    enu_basis_ecef,
    gmst82_rad,
    mjd_to_jd_pair,
    rotate_z,
    site_ecef_km,
    sun_altitude_deg,
)
from oracle.star_frame import iers_file, satrec_from_omm, utc_to_tai_mjd
from satveto.catalog.synthetic import build_demo_catalog, orbit_class

__all__ = [
    "DATES",
    "GROUPS",
    "Crossing",
    "approx_altitudes",
    "class_crossing",
    "earth_orientation_table",
    "epoch_mjd",
    "mean_speed_bounds_km_s",
]

#: Dates spread over a year (06:00 UTC is 03:00 at the site).  All but the last are in the
#: observed part of the IERS table shipped with astropy-iers-data; the last is in its predictions.
DATES: tuple[datetime, ...] = tuple(
    datetime(2026, month, day, 6, 0, tzinfo=UTC)
    for month, day in ((1, 20), (3, 20), (5, 20), (7, 20), (9, 20), (11, 21))
)
#: Orbit groups and the demo classes in them.
GROUPS: dict[str, tuple[str, ...]] = {
    "LEO": ("starlink", "oneweb", "sso", "leo_debris"),
    "MEO": ("gps", "galileo", "glonass"),
    "GEO": ("geo",),
    "HEO": ("molniya",),
}
_MJD0 = datetime(1858, 11, 17, tzinfo=UTC)
_MU_KM3_S2 = 398600.8


@dataclass(frozen=True)
class Crossing:
    group: str
    record: Mapping[str, Any]
    tai_mjd: float  # an instant when the object is high in a dark sky
    date: datetime

    @property
    def age_days(self) -> float:
        return self.tai_mjd - epoch_mjd(self.record)


def epoch_mjd(record: Mapping[str, Any]) -> float:
    """UTC MJD of the OMM epoch."""
    epoch = datetime.fromisoformat(str(record["EPOCH"]).rstrip("Z")).replace(tzinfo=UTC)
    return (epoch - _MJD0) / timedelta(days=1)


def mean_speed_bounds_km_s(record: Mapping[str, Any]) -> tuple[float, float]:
    """(apocentre, pericentre) speeds of the mean ellipse (WGS72 Kepler), km/s."""
    n = float(record["MEAN_MOTION"]) * 2.0 * math.pi / 86400.0
    a = (_MU_KM3_S2 / n**2) ** (1.0 / 3.0)
    e = float(record["ECCENTRICITY"])
    return (
        math.sqrt(_MU_KM3_S2 / a * (1.0 - e) / (1.0 + e)),
        math.sqrt(_MU_KM3_S2 / a * (1.0 + e) / (1.0 - e)),
    )


@lru_cache(maxsize=16)
def _catalog(date: datetime, count: int) -> tuple[dict[str, Any], ...]:
    return tuple(build_demo_catalog(date, count=count))


def approx_altitudes(records: Sequence[Mapping[str, Any]], utc_mjd: np.ndarray) -> np.ndarray:
    """Approximate altitude (deg) of objects (rows) at instants (columns); -90 on failure."""
    jd, fr = mjd_to_jd_pair(utc_mjd)
    err, r, _ = SatrecArray([satrec_from_omm(rec) for rec in records]).sgp4(jd, fr)
    theta = gmst82_rad(utc_mjd)
    site = rotate_z(site_ecef_km()[None, :], theta)
    zenith = rotate_z(enu_basis_ecef()[2][None, :], theta)
    d = r - site[None]
    sin_alt = np.einsum("ntk,tk->nt", d, zenith) / np.linalg.norm(d, axis=-1)
    alt = np.degrees(np.arcsin(np.clip(sin_alt, -1.0, 1.0)))
    return np.where(err == 0, alt, -90.0)


def class_crossing(
    group: str,
    date: datetime,
    min_alt_deg: float = 35.0,
    age_days: float | None = None,
    count: int = 3000,
    skip: int = 0,
) -> Crossing:
    """The first object of ``group`` (in catalog order, after ``skip`` hits) that is above
    ``min_alt_deg`` with the Sun below -12 deg: within 10 hours around ``date`` or, when
    ``age_days`` is given, within the 0.8 day after its epoch + ``age_days``."""
    records = [r for r in _catalog(date, count) if orbit_class(r) in GROUPS[group]]
    if group == "LEO":
        records = records[:150]
    hits = 0
    for record in records:
        if age_days is None:
            start = (date - _MJD0) / timedelta(days=1) - 5.0 / 24.0
            span = 10.0 / 24.0
        else:
            start, span = epoch_mjd(record) + age_days, 0.8
        step = (20.0 if group == "LEO" else 120.0) / 86400.0
        grid = start + np.arange(0.0, span, step)
        grid = grid[sun_altitude_deg(grid) < -12.0]
        if grid.size == 0:
            continue
        alt = approx_altitudes([record], grid)[0]
        above = np.flatnonzero(alt >= min_alt_deg)
        if above.size == 0:
            continue
        if hits < skip:
            hits += 1
            continue
        # The middle of the first stretch above the limit: well clear of its edges.
        first = above[: np.argmax(np.diff(np.append(above, above[-1] + 2)) > 1) + 1]
        utc = float(grid[first[len(first) // 2]])
        return Crossing(group, record, float(utc_to_tai_mjd(utc)), date)
    raise LookupError(f"no {group} crossing near {date:%Y-%m-%d}")


@lru_cache(maxsize=1)
def earth_orientation_table() -> dict[str, Any]:
    """The `configure` ``earth_orientation`` table for the engine (protocol/README.md), read
    from the astropy-iers-data finals2000A file with astropy's IERS reader: daily 0h UTC rows of
    2025-12-01 to the end of the predictions, UT1 - UTC (s) and the pole (arcsec)."""
    from astropy.utils import iers

    table = iers.IERS_A.open(str(iers_file()))
    mjd = np.asarray(table["MJD"].value, dtype=float)
    ut1 = np.asarray(table["UT1_UTC"].value, dtype=float)
    xp = np.asarray(table["PM_x"].value, dtype=float)
    yp = np.asarray(table["PM_y"].value, dtype=float)
    flags = np.asarray(table["UT1Flag"])
    keep = (mjd >= 61010.0) & np.isfinite(ut1) & np.isfinite(xp) & np.isfinite(yp)
    observed = mjd[keep & (flags == "I")]
    return {
        "mjd": mjd[keep].tolist(),
        "ut1_utc_s": ut1[keep].tolist(),
        "xp_arcsec": xp[keep].tolist(),
        "yp_arcsec": yp[keep].tolist(),
        "last_observed_mjd": float(observed.max()),
    }
