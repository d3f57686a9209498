"""Tests for satveto.catalog.synthetic (the demo catalog): determinism, validity, and that each
orbit class is physical.

The physics checks propagate the whole default catalog with python-sgp4 (WGS72) and measure
osculating elements from the TEME state vectors, so they test the generated orbits rather than
the generator's own arithmetic.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone

import numpy as np
import pytest
from numpy.typing import NDArray
from sgp4 import omm
from sgp4.api import WGS72, Satrec, SatrecArray, jday

from satveto.catalog.omm import FIELDS, OmmRecord, sgp4_omm_fields, validate_catalog
from satveto.catalog.synthetic import (
    CLASS_FRACTIONS,
    ORBIT_CLASSES,
    build_demo_catalog,
    class_counts,
    orbit_class,
)

NOW = datetime(2026, 11, 21, 3, 17, 42, 123456, tzinfo=UTC)
MU = 398600.8  # km^3/s^2, WGS72
RE = 6378.135  # km, WGS72 equatorial radius
GEO_RADIUS = 42164.17
SIDEREAL_DAY_MIN = 1436.068
SSO_NODE_RATE_DEG_DAY = 360.0 / 365.2422
# Propagation grid: every 2 h over +/-2 days around NOW.
OFFSETS_DAYS = np.linspace(-2.0, 2.0, 49)

FloatArray = NDArray[np.float64]


@pytest.fixture(scope="module")
def catalog() -> list[OmmRecord]:
    return build_demo_catalog(NOW)


@pytest.fixture(scope="module")
def classes(catalog: list[OmmRecord]) -> NDArray[np.str_]:
    return np.array([orbit_class(r) for r in catalog])


@pytest.fixture(scope="module")
def states(catalog: list[OmmRecord]) -> tuple[FloatArray, FloatArray]:
    """TEME position and velocity (km, km/s) of every object on the grid, shape (n, t, 3)."""
    sats = []
    for record in catalog:
        sat = Satrec()
        omm.initialize(sat, sgp4_omm_fields(record), gravconst=WGS72)
        assert sat.error == 0, record["OBJECT_NAME"]
        sats.append(sat)
    jd0, fr0 = jday(
        NOW.year, NOW.month, NOW.day, NOW.hour, NOW.minute, NOW.second + 1e-6 * NOW.microsecond
    )
    jd = np.full(OFFSETS_DAYS.shape, jd0)
    fr = fr0 + OFFSETS_DAYS
    errors, r, v = SatrecArray(sats).sgp4(jd, fr)
    assert not errors.any(), f"{np.count_nonzero(errors.any(axis=1))} objects failed to propagate"
    return r, v


@pytest.fixture(scope="module")
def osc(states: tuple[FloatArray, FloatArray]) -> dict[str, FloatArray]:
    """Osculating elements of every object at every grid time, each of shape (n, t)."""
    r, v = states
    rn = np.linalg.norm(r, axis=-1)
    v2 = np.einsum("...i,...i", v, v)
    a = 1.0 / (2.0 / rn - v2 / MU)
    h = np.cross(r, v)
    hn = np.linalg.norm(h, axis=-1)
    e_vec = ((v2 - MU / rn)[..., None] * r - np.einsum("...i,...i", r, v)[..., None] * v) / MU
    e = np.linalg.norm(e_vec, axis=-1)
    return {
        "r": rn,
        "z": r[..., 2],
        "ra": np.degrees(np.arctan2(r[..., 1], r[..., 0])) % 360.0,
        "a": a,
        "e": e,
        "inc": np.degrees(np.arccos(h[..., 2] / hn)),
        "raan": np.degrees(np.arctan2(h[..., 0], -h[..., 1])) % 360.0,
        "period_min": 2.0 * np.pi * np.sqrt(a**3 / MU) / 60.0,
        "perigee_alt": a * (1.0 - e) - RE,
        "apogee_alt": a * (1.0 + e) - RE,
    }


def select(
    osc: dict[str, FloatArray], classes: NDArray[np.str_], cls: str
) -> dict[str, FloatArray]:
    mask = classes == cls
    assert mask.any(), cls
    return {key: value[mask] for key, value in osc.items()}


# --- structure ----------------------------------------------------------------------------


def test_deterministic() -> None:
    assert build_demo_catalog(NOW, 2000) == build_demo_catalog(NOW, 2000)
    assert build_demo_catalog(NOW, 2000, seed=1) == build_demo_catalog(NOW, 2000, seed=1)
    assert build_demo_catalog(NOW, 2000, seed=1) != build_demo_catalog(NOW, 2000, seed=2)


def test_independent_of_global_random_state() -> None:
    import random

    random.seed(1)
    np.random.seed(1)
    first = build_demo_catalog(NOW, 500)
    random.seed(2)
    np.random.seed(2)
    assert build_demo_catalog(NOW, 500) == first


def test_now_only_moves_the_epochs() -> None:
    later = NOW + timedelta(days=3, hours=5)
    a, b = build_demo_catalog(NOW, 300), build_demo_catalog(later, 300)
    for ra, rb in zip(a, b, strict=True):
        assert {k: v for k, v in ra.items() if k != "EPOCH"} == {
            k: v for k, v in rb.items() if k != "EPOCH"
        }
        shift = datetime.fromisoformat(rb["EPOCH"]) - datetime.fromisoformat(ra["EPOCH"])
        assert shift == timedelta(days=3, hours=5)


def test_timezone_of_now_does_not_matter() -> None:
    chile = NOW.astimezone(timezone(timedelta(hours=-3)))
    assert build_demo_catalog(chile, 200) == build_demo_catalog(NOW, 200)


def test_argument_errors() -> None:
    with pytest.raises(ValueError, match="aware"):
        build_demo_catalog(datetime(2026, 11, 21), 10)
    with pytest.raises(ValueError, match="count"):
        build_demo_catalog(NOW, -1)


@pytest.mark.parametrize("count", [0, 1, 2, 7, 137, 1000, 30001])
def test_count_and_class_split(count: int) -> None:
    records = build_demo_catalog(NOW, count)
    assert len(records) == count
    split = class_counts(count)
    assert sum(split.values()) == count
    assert {cls: 0 for cls in ORBIT_CLASSES} | dict(
        zip(*np.unique([orbit_class(r) for r in records], return_counts=True), strict=True)
    ) == split


def test_default_count_and_proportions(catalog: list[OmmRecord]) -> None:
    assert len(catalog) == 30000
    split = class_counts(30000)
    total = sum(CLASS_FRACTIONS.values())
    for cls in ORBIT_CLASSES:
        assert abs(split[cls] - 30000 * CLASS_FRACTIONS[cls] / total) <= 1
    assert max(split, key=lambda c: split[c]) == "leo_debris"
    assert 0.3 < split["starlink"] / 30000 < 0.36
    assert all(split[cls] >= 20 for cls in ORBIT_CLASSES)


def test_records_have_exactly_the_engine_fields(catalog: list[OmmRecord]) -> None:
    for record in catalog:
        assert list(record) == list(FIELDS)
    types = {key: {type(r[key]) for r in catalog} for key in FIELDS}  # type: ignore[literal-required]
    assert types["NORAD_CAT_ID"] == {int}
    assert types["OBJECT_NAME"] == types["EPOCH"] == {str}
    for key in FIELDS[3:]:
        assert types[key] == {float}, key


def test_ids_unique_sorted_and_some_large(catalog: list[OmmRecord]) -> None:
    ids = [r["NORAD_CAT_ID"] for r in catalog]
    assert ids == sorted(set(ids))
    large = sum(n > 99999 for n in ids)
    assert 0.03 * len(ids) < large < 0.1 * len(ids)
    assert min(ids) >= 1
    assert max(ids) <= 339999  # python-sgp4's limit


def test_ids_stay_unique_for_large_catalogs() -> None:
    ids = [r["NORAD_CAT_ID"] for r in build_demo_catalog(NOW, 150000)]
    assert len(set(ids)) == 150000
    assert max(ids) <= 339999


def test_names_are_obviously_synthetic_and_unique(catalog: list[OmmRecord]) -> None:
    names = [r["OBJECT_NAME"] for r in catalog]
    assert len(set(names)) == len(names)
    assert all(re.fullmatch(r"DEMO-[A-Z]+(-[A-Z]+)?-\d{4,}", n) for n in names)
    assert "DEMO-STARLINK-0001" in names


def test_orbit_class_rejects_real_objects(catalog: list[OmmRecord]) -> None:
    record = dict(catalog[0])
    for name in ("STARLINK-1007", "DEMO-", "DEMO-NOTACLASS-0001", ""):
        record["OBJECT_NAME"] = name
        with pytest.raises(ValueError, match="not a demo object"):
            orbit_class(record)  # type: ignore[arg-type]


def test_epochs_in_the_day_before_now(catalog: list[OmmRecord]) -> None:
    now_naive = NOW.replace(tzinfo=None)
    epochs = [datetime.fromisoformat(r["EPOCH"]) for r in catalog]
    assert all(now_naive - timedelta(days=1) < e <= now_naive for e in epochs)
    assert max(epochs) - min(epochs) > timedelta(hours=23)  # spread, not bunched


def test_validation_accepts_everything_unchanged(catalog: list[OmmRecord]) -> None:
    result = validate_catalog(catalog, now=NOW, max_epoch_age_days=1.0)
    assert result.rejected == 0
    assert result.records == catalog


def test_msgpack_roundtrip(catalog: list[OmmRecord]) -> None:
    msgpack = pytest.importorskip("msgpack")
    assert msgpack.unpackb(msgpack.packb(catalog[:1000])) == catalog[:1000]


# --- physics ------------------------------------------------------------------------------


def test_all_objects_propagate_and_stay_above_the_ground(osc: dict[str, FloatArray]) -> None:
    assert osc["r"].min() > RE + 150.0
    assert np.isfinite(osc["a"]).all()
    assert (osc["e"] < 1.0).all()


STARLINK_SHELLS = [
    (550.0, 53.0),
    (540.0, 53.2),
    (480.0, 53.0),
    (530.0, 43.0),
    (570.0, 70.0),
    (560.0, 97.6),
]


def test_starlink_shells(osc: dict[str, FloatArray], classes: NDArray[np.str_]) -> None:
    s = select(osc, classes, "starlink")
    alt = s["r"].mean(axis=1) - RE
    inc = s["inc"].mean(axis=1)
    assert (s["e"].mean(axis=1) < 0.003).all()  # near-circular (J2 keeps osculating e > 0)
    shells = np.array(STARLINK_SHELLS)
    # Distance to each shell in units of the tolerance (15 km, 0.15 deg).
    d = np.hypot(
        (alt[:, None] - shells[None, :, 0]) / 15.0, (inc[:, None] - shells[None, :, 1]) / 0.15
    )
    nearest = d.argmin(axis=1)
    assert (d.min(axis=1) < 1.0).all()
    occupancy = np.bincount(nearest, minlength=len(shells))
    assert (occupancy > 0.03 * len(alt)).all()
    assert alt.min() > 470.0
    assert alt.max() < 580.0


def test_oneweb(osc: dict[str, FloatArray], classes: NDArray[np.str_]) -> None:
    s = select(osc, classes, "oneweb")
    assert np.allclose(s["r"].mean(axis=1) - RE, 1200.0, atol=15.0)
    assert np.allclose(s["inc"].mean(axis=1), 87.9, atol=0.15)


def test_sun_synchronous(osc: dict[str, FloatArray], classes: NDArray[np.str_]) -> None:
    s = select(osc, classes, "sso")
    alt = s["r"].mean(axis=1) - RE
    assert alt.min() > 485.0
    assert alt.max() < 915.0
    inc = s["inc"].mean(axis=1)
    assert inc.min() > 97.0
    assert inc.max() < 99.5
    # The real test of the SSO relation: the measured node drift is one turn per year.
    drift = (s["raan"][:, -1] - s["raan"][:, 0] + 180.0) % 360.0 - 180.0
    rate = drift / (OFFSETS_DAYS[-1] - OFFSETS_DAYS[0])
    assert np.allclose(rate, SSO_NODE_RATE_DEG_DAY, atol=0.06)


def test_leo_debris(osc: dict[str, FloatArray], classes: NDArray[np.str_]) -> None:
    s = select(osc, classes, "leo_debris")
    perigee = s["perigee_alt"].mean(axis=1)
    apogee = s["apogee_alt"].mean(axis=1)
    assert perigee.min() > 260.0
    assert apogee.max() < 2100.0
    e = s["e"].mean(axis=1)
    assert e.max() > 0.04
    assert np.median(e) < 0.02
    inc = s["inc"].mean(axis=1)
    assert inc.min() < 10.0
    assert inc.max() > 100.0
    assert inc.std() > 15.0


def test_gto_rocket_bodies(osc: dict[str, FloatArray], classes: NDArray[np.str_]) -> None:
    s = select(osc, classes, "gto_rocket_body")
    perigee = np.median(s["perigee_alt"], axis=1)
    apogee = np.median(s["apogee_alt"], axis=1)
    assert perigee.min() > 150.0
    assert perigee.max() < 650.0
    assert np.allclose(apogee, 35786.0, atol=600.0)
    inc = s["inc"].mean(axis=1)
    assert inc.min() > 4.5
    assert inc.max() < 28.5


@pytest.mark.parametrize(
    ("cls", "radius", "inclination", "period_min"),
    [
        ("gps", 26560.0, 55.0, SIDEREAL_DAY_MIN / 2.0),
        ("galileo", 29600.0, 56.0, 844.7),
        ("glonass", 25508.0, 64.8, 675.7),
    ],
)
def test_gnss(
    osc: dict[str, FloatArray],
    classes: NDArray[np.str_],
    cls: str,
    radius: float,
    inclination: float,
    period_min: float,
) -> None:
    s = select(osc, classes, cls)
    assert np.allclose(s["r"].mean(axis=1), radius, atol=60.0)
    assert np.allclose(s["inc"].mean(axis=1), inclination, atol=1.2)
    assert np.allclose(s["period_min"].mean(axis=1), period_min, atol=3.0)


def test_geo_belt(osc: dict[str, FloatArray], classes: NDArray[np.str_]) -> None:
    s = select(osc, classes, "geo")
    assert np.allclose(s["r"].mean(axis=1), GEO_RADIUS, atol=60.0)
    assert np.allclose(s["period_min"].mean(axis=1), SIDEREAL_DAY_MIN, atol=3.0)
    inc = s["inc"].mean(axis=1)
    assert np.median(inc) < 0.2
    assert inc.max() < 15.5
    # Spread in longitude: at one instant the right ascensions fill every 30 deg sector.
    sectors = np.bincount((s["ra"][:, 0] // 30.0).astype(int), minlength=12)
    assert (sectors > 0.5 * len(inc) / 12).all()


def test_molniya(osc: dict[str, FloatArray], classes: NDArray[np.str_]) -> None:
    s = select(osc, classes, "molniya")
    assert np.allclose(np.median(s["period_min"], axis=1), 718.0, atol=5.0)
    assert np.allclose(np.median(s["e"], axis=1), 0.72, atol=0.03)
    assert np.allclose(s["inc"].mean(axis=1), 63.4, atol=0.5)
    # Apogee over the northern hemisphere: at the farthest sample the object is north.
    farthest = s["r"].argmax(axis=1)
    assert (s["z"][np.arange(len(farthest)), farthest] > 0).all()
