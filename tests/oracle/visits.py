"""A deterministic set of test visits: random pointings plus deliberately targeted crossings.

Random pointings at the Rubin site mostly see no satellite at all, so a test set made only of
them would say little about the matching.  :func:`generate_visits` therefore also points
visits where a chosen catalog object passes through the field at mid-exposure:

* ``leo_zenith``: a fast low-LEO object (perigee altitude < 600 km) above 75 deg altitude;
* ``leo_low``: the same kind of object between 22 and 32 deg altitude (long range, slow,
  the other end of the corridor-width scale);
* ``geo``, ``gnss`` (GPS, Galileo, GLONASS), ``molniya``: slow high-orbit objects;
* ``random``: uniform over the sky above 21 deg altitude.

Every visit is a 30 s exposure within a day of :data:`NOW`, with the Sun below -6.5 deg
(Astronomical Almanac formula) and the boresight above 20 deg altitude, and carries a random
rotation angle.  The result depends only on the catalog and the seed.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sgp4.api import SatrecArray

from oracle.frames import (
    SECONDS_PER_DAY,
    FloatArray,
    altaz_to_radec,
    altitude_deg,
    enu_basis_ecef,
    gmst82_rad,
    mjd_to_jd_pair,
    rotate_z,
    site_ecef_km,
    sun_altitude_deg,
)
from oracle.tracks import Oracle, topocentric
from satveto.catalog.omm import OmmRecord
from satveto.catalog.synthetic import orbit_class

__all__ = [
    "EXPOSURE_S",
    "NOW",
    "NOW_MJD",
    "TARGETED_KINDS",
    "VISIT_FIELDS",
    "generate_visits",
    "visit_request",
]

#: Reference instant of the test sky; build the demo catalog with the same ``now``.
NOW = datetime(2026, 11, 21, 6, 0, 0, tzinfo=UTC)
NOW_MJD = (NOW - datetime(1858, 11, 17, tzinfo=UTC)) / timedelta(days=1)
EXPOSURE_S = 30.0
#: The visit fields of docs/design.md, i.e. what the engine and the HTTP API accept.
VISIT_FIELDS = (
    "visit_id",
    "exposure_start_mjd",
    "exposure_end_mjd",
    "boresight_ra",
    "boresight_dec",
    "rotation_deg",
)
#: kind -> (orbit classes, minimum altitude, maximum altitude, visits), in generation order.
TARGETED_KINDS: dict[str, tuple[tuple[str, ...], float, float, int]] = {
    "leo_zenith": (("starlink", "sso", "leo_debris"), 75.0, 90.0, 6),
    "leo_low": (("starlink", "sso", "leo_debris"), 22.0, 32.0, 6),
    "geo": (("geo",), 25.0, 90.0, 4),
    "gnss": (("gps", "galileo", "glonass"), 25.0, 90.0, 4),
    "molniya": (("molniya",), 25.0, 90.0, 3),
}

_SUN_LIMIT_DEG = -6.5  # 0.5 deg inside the -6 deg requirement: formula error + 30 s of motion
_MIN_ALT_DEG = 21.0  # boresight; 1 deg inside the 20 deg requirement
_MAX_OFFSET_DEG = 0.3  # boresight offset from the crossing point: well inside the science area
_LOW_PERIGEE_KM = 600.0
_SEARCH_STEP_S = 20.0
_CANDIDATES = 400  # objects searched per targeted kind
_MU_KM3_S2 = 398600.8
_WGS72_RADIUS_KM = 6378.135


def visit_request(visit: Mapping[str, Any]) -> dict[str, Any]:
    """Only the docs/design.md visit fields of a generated visit (drops ``kind`` and ``target``)."""
    return {key: visit[key] for key in VISIT_FIELDS if key in visit}


def perigee_altitude_km(record: OmmRecord) -> float:
    """Mean perigee altitude from the record's mean motion (WGS72 Kepler)."""
    n_rad_s = record["MEAN_MOTION"] * 2.0 * math.pi / SECONDS_PER_DAY
    a = (_MU_KM3_S2 / n_rad_s**2) ** (1.0 / 3.0)
    return a * (1.0 - record["ECCENTRICITY"]) - _WGS72_RADIUS_KM


def _dark_grid(now_mjd: float) -> FloatArray:
    """Search instants within a day of now (leaving room for the exposure) with the Sun low."""
    half = 1.0 - 60.0 / SECONDS_PER_DAY
    grid = now_mjd + np.arange(-half, half, _SEARCH_STEP_S / SECONDS_PER_DAY)
    return grid[sun_altitude_deg(grid) < _SUN_LIMIT_DEG]


def _altitudes(oracle: Oracle, indices: Sequence[int], mjd: FloatArray) -> FloatArray:
    """Altitude (deg) of catalog objects (rows) at ``mjd`` (columns); NaN where SGP4 fails.

    In TEME with the site and its zenith turned by GMST 1982; altitude is frame independent,
    so no precession-nutation is needed for a search grid.
    """
    jd, fr = mjd_to_jd_pair(mjd)
    _, r, _ = SatrecArray([oracle.satrecs[i] for i in indices]).sgp4(jd, fr)
    theta = gmst82_rad(mjd)
    site = rotate_z(site_ecef_km()[None, :], theta)
    zenith = rotate_z(enu_basis_ecef()[2][None, :], theta)
    d = r - site[None]
    sin_alt = np.einsum("ntk,tk->nt", d, zenith) / np.linalg.norm(d, axis=-1)
    return np.degrees(np.arcsin(np.clip(sin_alt, -1.0, 1.0)))


def _offset(ra: float, dec: float, distance_deg: float, position_angle_deg: float):
    """The point ``distance_deg`` from (ra, dec) at the given position angle (deg)."""
    d, pa = math.radians(distance_deg), math.radians(position_angle_deg)
    ra0, dec0 = math.radians(ra), math.radians(dec)
    sin_dec = math.sin(dec0) * math.cos(d) + math.cos(dec0) * math.sin(d) * math.cos(pa)
    dec1 = math.asin(sin_dec)
    ra1 = ra0 + math.atan2(
        math.sin(pa) * math.sin(d) * math.cos(dec0), math.cos(d) - math.sin(dec0) * sin_dec
    )
    return math.degrees(ra1) % 360.0, math.degrees(dec1)


def _visit(
    start_mjd: float,
    ra: float,
    dec: float,
    rng: random.Random,
    kind: str,
    target: int | None,
) -> dict[str, Any]:
    return {
        "visit_id": 0,  # numbered once all visits exist
        "exposure_start_mjd": start_mjd,
        "exposure_end_mjd": start_mjd + EXPOSURE_S / SECONDS_PER_DAY,
        "boresight_ra": ra,
        "boresight_dec": dec,
        "rotation_deg": rng.uniform(0.0, 360.0),
        "kind": kind,
        "target": target,
    }


def _boresight_ok(visit: Mapping[str, Any]) -> bool:
    times = np.array([visit["exposure_start_mjd"], visit["exposure_end_mjd"]])
    alt = altitude_deg(visit["boresight_ra"], visit["boresight_dec"], times)
    return bool(np.all(alt > _MIN_ALT_DEG - 0.5)) and bool(
        np.all(sun_altitude_deg(times) < _SUN_LIMIT_DEG + 0.25)
    )


def _targeted(
    oracle: Oracle,
    kind: str,
    grid: FloatArray,
    rng: random.Random,
    used: set[int],
) -> list[dict[str, Any]]:
    classes, alt_lo, alt_hi, wanted = TARGETED_KINDS[kind]
    pool = [
        i
        for i, record in enumerate(oracle.records)
        if orbit_class(record) in classes
        and i not in used
        and (not kind.startswith("leo") or perigee_altitude_km(record) < _LOW_PERIGEE_KM)
    ]
    rng.shuffle(pool)
    leo = kind.startswith("leo")
    # High orbits move slowly across the sky: a 5-minute grid and fewer candidates suffice,
    # and SDP4 (deep space) is the expensive branch of SGP4.
    pool = pool[: _CANDIDATES if leo else _CANDIDATES // 4]
    if not leo:
        grid = grid[:: round(300.0 / _SEARCH_STEP_S)]
    if not pool:
        return []
    alt = _altitudes(oracle, pool, grid)
    visits: list[dict[str, Any]] = []
    for row, i in enumerate(pool):
        hits: NDArray[np.intp] = np.flatnonzero((alt[row] >= alt_lo) & (alt[row] <= alt_hi))
        if hits.size == 0:
            continue
        crossing = float(grid[hits[rng.randrange(hits.size)]])
        ra, dec, _ = topocentric(oracle.records[i], crossing)
        ra_b, dec_b = _offset(
            float(ra[0]),
            float(dec[0]),
            rng.uniform(0.0, _MAX_OFFSET_DEG),
            rng.uniform(0.0, 360.0),
        )
        visit = _visit(
            crossing - 0.5 * EXPOSURE_S / SECONDS_PER_DAY,
            ra_b,
            dec_b,
            rng,
            kind,
            int(oracle.norad_ids[i]),
        )
        if not _boresight_ok(visit):
            continue
        used.add(i)
        visits.append(visit)
        if len(visits) == wanted:
            break
    return visits


def _random_visits(grid: FloatArray, rng: random.Random, count: int) -> list[dict[str, Any]]:
    visits: list[dict[str, Any]] = []
    while len(visits) < count:
        mid = (
            float(grid[rng.randrange(grid.size)])
            + rng.uniform(0.0, _SEARCH_STEP_S) / SECONDS_PER_DAY
        )
        # Uniform on the sky above the minimum altitude: sin(alt) uniform.
        sin_alt = rng.uniform(math.sin(math.radians(_MIN_ALT_DEG + 0.5)), 1.0)
        alt, az = math.degrees(math.asin(sin_alt)), rng.uniform(0.0, 360.0)
        ra, dec = altaz_to_radec(alt, az, mid)
        visit = _visit(
            mid - 0.5 * EXPOSURE_S / SECONDS_PER_DAY,
            float(ra[0]),
            float(dec[0]),
            rng,
            "random",
            None,
        )
        if _boresight_ok(visit):
            visits.append(visit)
    return visits


def generate_visits(
    catalog: Sequence[OmmRecord] | Oracle,
    seed: int = 20261121,
    random_count: int = 31,
    now: datetime = NOW,
) -> list[dict[str, Any]]:
    """Targeted visits (see :data:`TARGETED_KINDS`) then ``random_count`` random ones.

    Each visit holds the docs/design.md visit fields plus ``kind`` and ``target`` (the NORAD id of
    the object meant to cross mid-exposure, None for random pointings); ``visit_id`` is
    ``YYYYMMDD`` of the exposure start (UTC) followed by a five-digit sequence number.  A kind
    with no suitable object in the catalog (a tiny catalog) yields fewer visits.
    """
    oracle = catalog if isinstance(catalog, Oracle) else Oracle(catalog)
    rng = random.Random(seed)
    now_mjd = (now.astimezone(UTC) - datetime(1858, 11, 17, tzinfo=UTC)) / timedelta(days=1)
    grid = _dark_grid(now_mjd)
    used: set[int] = set()
    visits: list[dict[str, Any]] = []
    for kind in TARGETED_KINDS:
        visits.extend(_targeted(oracle, kind, grid, rng, used))
    visits.extend(_random_visits(grid, rng, random_count))
    mjd0 = datetime(1858, 11, 17, tzinfo=UTC)
    for sequence, visit in enumerate(visits, start=1):
        day = mjd0 + timedelta(days=visit["exposure_start_mjd"])
        visit["visit_id"] = int(f"{day:%Y%m%d}{sequence:05d}")
    return visits
