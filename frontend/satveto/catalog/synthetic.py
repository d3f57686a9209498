"""A deterministic synthetic satellite catalog for demos, tests and benchmarks.

The demo mode must exercise the engine the way the real sky does without shipping or fetching
real element sets, so this module fabricates GP records that look statistically like the
public catalog: a dominant Starlink-like population in a few shells, OneWeb-like polar
planes, sun-synchronous payloads, a broad LEO debris cloud, eccentric GTO rocket bodies,
GNSS constellations, a GEO belt and a handful of Molniya orbits.  Names are prefixed with
``DEMO-`` so that no one mistakes a synthetic object for a real one, and the records are in
exactly the form :func:`satveto.catalog.omm.validate_catalog` produces, so they can go
straight to the engine.

Everything is driven by one ``random.Random(seed)`` instance: the same ``(now, count,
seed)`` always yields the same catalog, independent of any global random state.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from satveto.catalog.omm import OmmRecord

__all__ = [
    "CLASS_FRACTIONS",
    "ORBIT_CLASSES",
    "build_demo_catalog",
    "class_counts",
    "orbit_class",
]

# WGS72 constants: the engine and python-sgp4 propagate with WGS72, so the synthetic mean
# motions are derived with the same gravity model.
_MU_KM3_S2 = 398600.8
_EARTH_RADIUS_KM = 6378.135
_J2 = 0.001082616
_SECONDS_PER_DAY = 86400.0
# Rate at which a sun-synchronous orbit's node must advance: 360 deg per tropical year.
_SSO_NODE_RATE_RAD_S = 2.0 * math.pi / (365.2422 * _SECONDS_PER_DAY)
_GEO_RADIUS_KM = 42164.17

#: Orbit classes in a fixed order (the order matters for deterministic allocation).
ORBIT_CLASSES: tuple[str, ...] = (
    "starlink",
    "oneweb",
    "sso",
    "leo_debris",
    "gto_rocket_body",
    "gps",
    "galileo",
    "glonass",
    "geo",
    "molniya",
)

#: Share of each class in the catalog, roughly that of the tracked on-orbit population around
#: 2026 (about a third Starlink, nearly half debris and fragments, a few percent each of
#: sun-synchronous payloads, GEO-belt objects and GTO rocket bodies, a few dozen per GNSS
#: constellation and Molniya-type orbits).
CLASS_FRACTIONS: dict[str, float] = {
    "starlink": 0.330,
    "oneweb": 0.021,
    "sso": 0.090,
    "leo_debris": 0.468,
    "gto_rocket_body": 0.040,
    "gps": 0.0011,
    "galileo": 0.0010,
    "glonass": 0.0009,
    "geo": 0.045,
    "molniya": 0.003,
}

_NAME_TOKENS: dict[str, str] = {
    "starlink": "STARLINK",
    "oneweb": "ONEWEB",
    "sso": "SSO",
    "leo_debris": "DEB",
    "gto_rocket_body": "RB-GTO",
    "gps": "GPS",
    "galileo": "GALILEO",
    "glonass": "GLONASS",
    "geo": "GEO",
    "molniya": "MOLNIYA",
}
_CLASS_BY_TOKEN: dict[str, str] = {token: cls for cls, token in _NAME_TOKENS.items()}
_NAME_PREFIX = "DEMO-"

# Starlink-like shells: (altitude km, inclination deg, relative weight).  The 480 km shell is
# where much of the 53 deg fleet is being lowered to; 43/53/70/97.6 deg are the real families.
_STARLINK_SHELLS: tuple[tuple[float, float, float], ...] = (
    (550.0, 53.0, 0.25),
    (540.0, 53.2, 0.20),
    (480.0, 53.0, 0.15),
    (530.0, 43.0, 0.22),
    (570.0, 70.0, 0.08),
    (560.0, 97.6, 0.10),
)

# Inclination families of the big fragmentation clouds and spent stages (Cosmos 65/74/82 deg,
# Iridium 86.4 deg, sun-synchronous 98-99 deg, ISS 51.6 deg, Cape 28.5 deg).
_DEBRIS_INCLINATIONS: tuple[float, ...] = (65.0, 74.0, 82.5, 86.4, 98.6, 99.0, 71.0, 51.6, 28.5)

Elements = tuple[float, float, float, float, float, float, float, float, float]
"""(mean motion rev/day, e, i deg, RAAN deg, argp deg, M deg, B*, ndot/2, nddot/6)."""


def _mean_motion(semi_major_axis_km: float) -> float:
    """Keplerian mean motion in rev/day for a semi-major axis (WGS72)."""
    n_rad_s = math.sqrt(_MU_KM3_S2 / semi_major_axis_km**3)
    return n_rad_s * _SECONDS_PER_DAY / (2.0 * math.pi)


def _sso_inclination(semi_major_axis_km: float, eccentricity: float) -> float:
    """Inclination (deg) at which J2 precesses the node by 360 deg per year."""
    n_rad_s = math.sqrt(_MU_KM3_S2 / semi_major_axis_km**3)
    p = semi_major_axis_km * (1.0 - eccentricity**2)
    cos_i = -_SSO_NODE_RATE_RAD_S / (1.5 * n_rad_s * _J2 * (_EARTH_RADIUS_KM / p) ** 2)
    return math.degrees(math.acos(cos_i))


def _log_uniform(rng: random.Random, lo: float, hi: float) -> float:
    return math.exp(rng.uniform(math.log(lo), math.log(hi)))


def _angle(rng: random.Random) -> float:
    return rng.uniform(0.0, 360.0)


def _starlink(rng: random.Random) -> Elements:
    weights = [w for _, _, w in _STARLINK_SHELLS]
    alt, inc, _ = rng.choices(_STARLINK_SHELLS, weights=weights)[0]
    a = _EARTH_RADIUS_KM + alt + rng.uniform(-3.0, 3.0)
    return (
        _mean_motion(a),
        rng.uniform(0.0001, 0.0004),
        inc + rng.uniform(-0.03, 0.03),
        _angle(rng),
        _angle(rng),
        _angle(rng),
        _log_uniform(rng, 1e-4, 5e-4),
        _log_uniform(rng, 1e-6, 5e-5),
        0.0,
    )


def _oneweb(rng: random.Random) -> Elements:
    a = _EARTH_RADIUS_KM + 1200.0 + rng.uniform(-2.0, 2.0)
    return (
        _mean_motion(a),
        rng.uniform(0.0001, 0.0003),
        87.9 + rng.uniform(-0.02, 0.02),
        _angle(rng),
        _angle(rng),
        _angle(rng),
        rng.uniform(-5e-5, 2e-4),
        rng.uniform(-1e-7, 1e-7),
        0.0,
    )


def _sso(rng: random.Random) -> Elements:
    a = _EARTH_RADIUS_KM + rng.uniform(500.0, 900.0)
    e = rng.uniform(0.0001, 0.002)
    return (
        _mean_motion(a),
        e,
        _sso_inclination(a, e) + rng.gauss(0.0, 0.03),
        _angle(rng),
        _angle(rng),
        _angle(rng),
        _log_uniform(rng, 2e-5, 5e-4),
        _log_uniform(rng, 1e-7, 2e-5),
        0.0,
    )


def _leo_debris(rng: random.Random) -> Elements:
    # Perigee concentrated around the 750-850 km collision/ASAT clouds, apogee capped at
    # 2000 km altitude, eccentricity skewed towards zero but reaching 0.05.
    r_perigee = _EARTH_RADIUS_KM + rng.triangular(300.0, 1900.0, 800.0)
    e = 0.05 * rng.random() ** 2
    e_max = (_EARTH_RADIUS_KM + 2000.0 - r_perigee) / (_EARTH_RADIUS_KM + 2000.0 + r_perigee)
    e = min(e, e_max)
    a = r_perigee / (1.0 - e)
    if rng.random() < 0.6:
        inc = rng.choice(_DEBRIS_INCLINATIONS) + rng.uniform(-1.0, 1.0)
    else:
        inc = rng.uniform(0.0, 110.0)
    return (
        _mean_motion(a),
        e,
        inc,
        _angle(rng),
        _angle(rng),
        _angle(rng),
        _log_uniform(rng, 1e-5, 3e-3),
        _log_uniform(rng, 1e-7, 1e-4),
        0.0,
    )


def _gto_rocket_body(rng: random.Random) -> Elements:
    r_perigee = _EARTH_RADIUS_KM + rng.uniform(200.0, 600.0)
    r_apogee = _EARTH_RADIUS_KM + 35786.0 + rng.uniform(-400.0, 400.0)
    a = 0.5 * (r_perigee + r_apogee)
    e = (r_apogee - r_perigee) / (r_apogee + r_perigee)
    site = rng.random()  # Kourou, Baikonur/Jiuquan-like after a plane change, Cape/Xichang
    if site < 0.35:
        inc = rng.uniform(5.0, 7.0)
    elif site < 0.5:
        inc = rng.uniform(17.0, 21.0)
    else:
        inc = rng.uniform(24.0, 28.0)
    return (
        _mean_motion(a),
        e,
        inc,
        _angle(rng),
        _angle(rng),
        _angle(rng),
        _log_uniform(rng, 5e-5, 1e-3),
        _log_uniform(rng, 1e-7, 1e-5),
        0.0,
    )


def _gnss(
    a_nominal: float, inc: float, planes: int, e_max: float
) -> Callable[[random.Random], Elements]:
    """Generator for a Walker-like MEO constellation: fixed planes, jittered elements."""

    def generate(rng: random.Random) -> Elements:
        raan = (rng.randrange(planes) * 360.0 / planes + rng.uniform(-2.0, 2.0)) % 360.0
        return (
            _mean_motion(a_nominal + rng.uniform(-5.0, 5.0)),
            rng.uniform(0.0, e_max),
            inc + rng.uniform(-1.0, 1.0),
            raan,
            _angle(rng),
            _angle(rng),
            rng.uniform(-1e-5, 1e-5),
            rng.uniform(-1e-7, 1e-7),
            0.0,
        )

    return generate


def _geo(rng: random.Random) -> Elements:
    # Most of the belt is station-kept (i < 0.1 deg); the rest are drifting old payloads and
    # debris whose inclination has grown under luni-solar perturbation.  A uniform mean anomaly
    # spreads the objects uniformly in longitude.
    inc = rng.uniform(0.0, 0.1) if rng.random() < 0.8 else rng.uniform(0.1, 15.0)
    return (
        _mean_motion(_GEO_RADIUS_KM + rng.gauss(0.0, 10.0)),
        rng.uniform(0.0, 0.0005),
        inc,
        _angle(rng),
        _angle(rng),
        _angle(rng),
        rng.uniform(-1e-5, 1e-5),
        rng.uniform(-3e-6, 3e-6),
        0.0,
    )


def _molniya(rng: random.Random) -> Elements:
    # Half a sidereal day (718 min), critical inclination, apogee over the north.
    period_min = 718.0 + rng.uniform(-1.0, 1.0)
    return (
        1440.0 / period_min,
        rng.uniform(0.70, 0.74),
        63.4 + rng.uniform(-0.3, 0.3),
        _angle(rng),
        (270.0 + rng.uniform(-10.0, 10.0)) % 360.0,
        _angle(rng),
        _log_uniform(rng, 1e-5, 5e-4),
        rng.uniform(-1e-6, 1e-6),
        0.0,
    )


_GENERATORS: dict[str, Callable[[random.Random], Elements]] = {
    "starlink": _starlink,
    "oneweb": _oneweb,
    "sso": _sso,
    "leo_debris": _leo_debris,
    "gto_rocket_body": _gto_rocket_body,
    "gps": _gnss(26559.7, 55.0, planes=6, e_max=0.02),
    "galileo": _gnss(29599.8, 56.0, planes=3, e_max=0.001),
    "glonass": _gnss(25508.2, 64.8, planes=3, e_max=0.002),
    "geo": _geo,
    "molniya": _molniya,
}


def class_counts(count: int) -> dict[str, int]:
    """Split ``count`` objects over :data:`ORBIT_CLASSES` by :data:`CLASS_FRACTIONS`.

    Largest-remainder rounding (ties broken by class order) makes the counts sum exactly to
    ``count`` and depend on nothing but ``count``.
    """
    if count < 0:
        raise ValueError("count must be >= 0")
    total = sum(CLASS_FRACTIONS.values())
    exact = {cls: count * CLASS_FRACTIONS[cls] / total for cls in ORBIT_CLASSES}
    counts = {cls: math.floor(x) for cls, x in exact.items()}
    short = count - sum(counts.values())
    by_remainder = sorted(
        ORBIT_CLASSES, key=lambda c: (-(exact[c] - counts[c]), ORBIT_CLASSES.index(c))
    )
    for cls in by_remainder[:short]:
        counts[cls] += 1
    return counts


def _norad_ids(rng: random.Random, count: int) -> list[int]:
    """Unique catalog numbers: ~95 % in the classic range, ~5 % above 99999.

    The high ids imitate the analyst / extended-catalog ranges so that consumers which assume
    five-digit numbers break in the demo rather than in production.  For ``count`` up to
    339999 every id stays at or below 339999, the largest number python-sgp4 accepts.
    """
    n_high = count // 20
    n_low = count - n_high
    low_pool = range(1, 70000) if n_low <= 60000 else range(1, 100000)
    if n_low > len(low_pool):
        n_high += n_low - len(low_pool)
        n_low = len(low_pool)
    if n_high <= 70000:
        high_pool = range(270000, 340000)
    else:
        high_pool = range(100000, 100000 + max(240000, n_high))
    ids = rng.sample(low_pool, n_low) + rng.sample(high_pool, n_high)
    rng.shuffle(ids)
    return ids


def _record(norad: int, name: str, epoch: str, elements: Elements) -> OmmRecord:
    """Round like space-track does (8 decimals of rev/day, 7 of e, 4 of angles, 5 digits of B*)."""
    n, e, inc, raan, argp, ma, bstar, ndot, nddot = elements
    return {
        "NORAD_CAT_ID": norad,
        "OBJECT_NAME": name,
        "EPOCH": epoch,
        "MEAN_MOTION": round(n, 8),
        "ECCENTRICITY": round(e, 7),
        "INCLINATION": round(min(max(inc, 0.0), 180.0), 4),
        "RA_OF_ASC_NODE": round(raan % 360.0, 4),
        "ARG_OF_PERICENTER": round(argp % 360.0, 4),
        "MEAN_ANOMALY": round(ma % 360.0, 4),
        "BSTAR": float(f"{bstar:.4e}"),
        "MEAN_MOTION_DOT": round(ndot, 8),
        "MEAN_MOTION_DDOT": float(f"{nddot:.4e}"),
    }


def build_demo_catalog(now: datetime, count: int = 30000, seed: int = 20261121) -> list[OmmRecord]:
    """Return ``count`` synthetic, validated-form GP records with epochs in the day before ``now``.

    Records are plain dicts with exactly the twelve engine keys, sorted by NORAD id like a
    space-track response.  Each epoch lies in ``(now - 1 day, now]``, so the catalog passes the
    ``future_epoch`` and a one-day ``stale_epoch`` check.  The orbit class of a record is
    recoverable with :func:`orbit_class` from its ``DEMO-<CLASS>-<n>`` name, which keeps the
    records free of non-OMM keys.

    ``now`` must be timezone-aware; a naive datetime would silently shift every epoch by the
    local UTC offset.
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware (UTC)")
    counts = class_counts(count)
    rng = random.Random(seed)
    ids = _norad_ids(rng, count)
    now_utc = now.astimezone(UTC).replace(tzinfo=None)
    day_us = 86_400_000_000

    records: list[OmmRecord] = []
    for cls in ORBIT_CLASSES:
        generate = _GENERATORS[cls]
        token = _NAME_TOKENS[cls]
        for i in range(1, counts[cls] + 1):
            # randrange(day_us) is in [0, day_us), so the epoch is strictly after now - 1 day.
            epoch = now_utc - timedelta(microseconds=rng.randrange(day_us))
            records.append(
                _record(
                    ids[len(records)],
                    f"{_NAME_PREFIX}{token}-{i:04d}",
                    epoch.isoformat(timespec="microseconds"),
                    generate(rng),
                )
            )
    records.sort(key=lambda r: r["NORAD_CAT_ID"])
    return records


def orbit_class(record: OmmRecord) -> str:
    """The orbit class (one of :data:`ORBIT_CLASSES`) of a demo record, from its name.

    Raises ``ValueError`` for a record that is not a demo object, so that real catalog entries
    are never silently classified.
    """
    name = record["OBJECT_NAME"]
    if not name.startswith(_NAME_PREFIX):
        raise ValueError("not a demo object")
    token = name[len(_NAME_PREFIX) :].rsplit("-", 1)[0]
    try:
        return _CLASS_BY_TOKEN[token]
    except KeyError:
        raise ValueError("not a demo object") from None
