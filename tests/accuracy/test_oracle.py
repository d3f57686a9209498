"""The dense oracle itself is right: frames, time scale, prefilter bound, visit generator."""

from __future__ import annotations

import math
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pytest
from sgp4.propagation import gstime

from oracle.frames import (
    SECONDS_PER_DAY,
    altitude_deg,
    gmst82_rad,
    j2000_from_teme_matrix_iau1980,
    mjd_to_jd_pair,
    radec_to_unit,
    rotate_z,
    separation_deg,
    site_ecef_km,
    skyfield_time,
    sun_altitude_deg,
    sun_radec_deg,
    timescale,
    unit_to_radec,
)
from oracle.tracks import (
    DENSE_STEP_S,
    FRAME_BOUND_DEG,
    Oracle,
    Track,
    default_radius_deg,
    fov_radius_deg,
    oracle_tracks,
    topocentric,
)
from oracle.visits import (
    EXPOSURE_S,
    NOW,
    NOW_MJD,
    TARGETED_KINDS,
    VISIT_FIELDS,
    generate_visits,
    perigee_altitude_km,
    visit_request,
)
from satveto.catalog.synthetic import build_demo_catalog, orbit_class

ARCSEC = 1.0 / 3600.0


@pytest.fixture(scope="module")
def oracle() -> Oracle:
    return Oracle(build_demo_catalog(NOW, count=3000))


@pytest.fixture(scope="module")
def visits(oracle: Oracle) -> list[dict[str, Any]]:
    return generate_visits(oracle)


# --- time scale and frames ----------------------------------------------------------------


def test_timescale_has_ut1_equal_to_utc_and_no_polar_motion() -> None:
    mjd = NOW_MJD + np.array([-1.0, 0.0, 0.37, 1.0])
    t = skyfield_time(mjd)
    assert np.all(np.abs(t.dut1) < 1e-9)
    # UT1 as a Julian date equals the UTC one we asked for (to float precision).
    assert np.max(np.abs((t.ut1 - (mjd + 2400000.5)) * SECONDS_PER_DAY)) < 1e-4
    assert np.all(np.abs(t.delta_t - 69.184) < 1e-9)
    assert timescale().polar_motion_table is None
    assert np.all(t.polar_motion_angles() == (0.0, 0.0, 0.0))
    utc = t[1].utc_datetime()
    assert abs((utc - NOW).total_seconds()) < 1e-4


def test_gmst82_agrees_with_python_sgp4() -> None:
    mjd = NOW_MJD + np.linspace(-1.0, 1.0, 7)
    theta = gmst82_rad(mjd)
    expected = np.array([gstime(m + 2400000.5) for m in mjd])
    assert np.max(np.abs(np.angle(np.exp(1j * (theta - expected))))) < 1e-9


def _hand_topocentric(oracle: Oracle, index: int, mjd: float) -> tuple[np.ndarray, float]:
    """Independent of skyfield: SGP4 TEME, WGS84 site turned by GMST 1982, IAU 1976/1980."""
    whole, frac = mjd_to_jd_pair(mjd)
    error, r, _ = oracle.satrecs[index].sgp4(float(whole), float(frac))
    assert error == 0
    site = rotate_z(site_ecef_km(), gmst82_rad(mjd))
    d = j2000_from_teme_matrix_iau1980(mjd) @ (np.array(r) - site)
    return d / np.linalg.norm(d), float(np.linalg.norm(d))


def test_skyfield_topocentric_agrees_with_hand_computation(
    oracle: Oracle, visits: list[dict[str, Any]]
) -> None:
    chosen: dict[str, int] = {}
    for i, record in enumerate(oracle.records):
        chosen.setdefault(orbit_class(record), i)
    assert {"starlink", "leo_debris", "gto_rocket_body", "gps", "geo", "molniya"} <= set(chosen)
    cases = [(index, NOW_MJD + np.array([-0.8, -0.1, 0.0, 0.45, 0.9])) for index in chosen.values()]
    # Nearby objects too (a few hundred km, near zenith and low), where the site matters most.
    for visit in visits:
        if visit["kind"].startswith("leo"):
            mid = 0.5 * (visit["exposure_start_mjd"] + visit["exposure_end_mjd"])
            cases.append((oracle.index_of(visit["target"]), np.array([mid - 1e-4, mid])))
    worst = 0.0
    for index, mjd in cases:
        ra, dec, rng = topocentric(oracle.records[index], mjd)
        sky = radec_to_unit(ra, dec)
        for k, m in enumerate(mjd):
            hand, hand_range = _hand_topocentric(oracle, index, float(m))
            worst = max(worst, float(separation_deg(sky[k], hand)))
            assert abs(rng[k] - hand_range) < 1e-3  # km: same SGP4, same site
    # IAU 1976/1980 without frame bias against skyfield's IAU 2006/2000A: ~0.05".
    assert worst < 0.2 * ARCSEC, worst * 3600.0


def test_skyfield_with_default_delta_t_would_differ(
    oracle: Oracle, visits: list[dict[str, Any]]
) -> None:
    """Guard that the UT1 = UTC set-up matters: skyfield's own UT1 - UTC moves LEO directions.

    A UT1 offset turns the Earth, hence the site, by 0.46 m/s * dUT1; seen from a LEO object a
    few hundred km away that is arcseconds, the size of the test tolerances.
    """
    from skyfield.api import EarthSatellite, load, wgs84

    visit = next(v for v in visits if v["kind"] == "leo_zenith")
    record = oracle.records[oracle.index_of(visit["target"])]
    mid = 0.5 * (visit["exposure_start_mjd"] + visit["exposure_end_mjd"])
    default_ts = load.timescale(builtin=True)
    t = default_ts.utc(1858, 11, 17, 0, 0, mid * SECONDS_PER_DAY)
    site = wgs84.latlon(-30.244639, -70.749417, elevation_m=2663.0)
    sat = EarthSatellite.from_satrec(oracle.satrecs[oracle.index_of(visit["target"])], default_ts)
    ra, dec, _ = (sat - site).at(t).radec()
    ra2, dec2, _ = topocentric(record, mid)
    moved = separation_deg(radec_to_unit(ra._degrees, dec.degrees), radec_to_unit(ra2, dec2)[0])
    assert abs(float(t.dut1)) > 0.01  # the built-in table has a real UT1 - UTC
    assert moved > 1.0 * ARCSEC


def test_batch_tracks_equal_textbook_skyfield(oracle: Oracle) -> None:
    mjd = NOW_MJD + np.arange(0.0, 3.0, DENSE_STEP_S) / SECONDS_PER_DAY
    boresight = radec_to_unit(10.0, -30.0)
    indices = [0, 1, 2, 3]
    for index, track in zip(indices, oracle.dense_tracks(indices, mjd, boresight), strict=True):
        assert track is not None
        ra, dec, rng = topocentric(oracle.records[index], mjd)
        assert np.max(separation_deg(track.unit_vectors(), radec_to_unit(ra, dec))) < 1e-6 * ARCSEC
        np.testing.assert_allclose(track.range_km, rng, rtol=1e-12)
        # The angular rate is the derivative of the direction: check it by finite differences.
        step = separation_deg(track.unit_vectors()[1:], track.unit_vectors()[:-1]) / DENSE_STEP_S
        mid_rate = 0.5 * (track.rate_deg_s[1:] + track.rate_deg_s[:-1])
        np.testing.assert_allclose(step, mid_rate, rtol=1e-3)


def test_sun_formula_at_equinox_and_solstice() -> None:
    def mjd(moment: datetime) -> float:
        return (moment - datetime(1858, 11, 17, tzinfo=UTC)) / timedelta(days=1)

    ra, dec = sun_radec_deg(mjd(datetime(2026, 3, 20, 14, 46, tzinfo=UTC)))  # March equinox
    assert abs(float(dec)) < 0.02
    assert min(float(ra), 360.0 - float(ra)) < 0.05
    _, dec = sun_radec_deg(mjd(datetime(2026, 6, 21, 8, 24, tzinfo=UTC)))  # June solstice
    assert abs(float(dec) - 23.436) < 0.02
    # NOW is 01:17 local mean time at Cerro Pachon: deep night.  Local noon: Sun high in the
    # north (declination about -20 deg in late November, latitude -30 deg).
    assert sun_altitude_deg(NOW_MJD) < -25.0
    noon = NOW_MJD - 6.0 / 24.0 + (12.0 + 70.749417 / 15.0) / 24.0
    ra, dec = sun_radec_deg(noon)
    expected = 90.0 - abs(-30.244639 - float(dec))
    assert abs(float(sun_altitude_deg(noon)) - expected) < 0.5  # equation of time ~14 min


def test_fov_radius_is_that_of_the_focal_plane() -> None:
    # Pixel arrays reach +-316.7 mm on the axes and the corner rafts' chips a bit farther.
    assert 1.9 < fov_radius_deg() < 2.2


# --- the prefilter never drops an object the dense computation keeps ------------------------


def _dense_truth(oracle: Oracle, visit: dict[str, Any], pad_s: float) -> list[Track | None]:
    mjd = oracle.dense_times(visit, pad_s)
    boresight = radec_to_unit(visit["boresight_ra"], visit["boresight_dec"])
    return oracle.dense_tracks(range(len(oracle.records)), mjd, boresight)


@pytest.fixture(scope="module")
def small() -> tuple[Oracle, list[dict[str, Any]]]:
    """~300 objects and a few visits (targeted at them where possible, plus random ones)."""
    small_oracle = Oracle(build_demo_catalog(NOW, count=300, seed=7))
    chosen: list[dict[str, Any]] = []
    seen: Counter[str] = Counter()
    for visit in generate_visits(small_oracle, seed=3, random_count=3):
        if seen[visit["kind"]] < 2:
            chosen.append(visit)
            seen[visit["kind"]] += 1
    return small_oracle, chosen


def test_prefilter_keeps_every_object_the_dense_computation_keeps(
    small: tuple[Oracle, list[dict[str, Any]]],
) -> None:
    oracle, visits = small
    pad_s = 3.0
    kept_total = truth_total = 0
    for visit in visits:
        truth_tracks = _dense_truth(oracle, visit, pad_s)
        min_sep = np.array([np.inf if t is None else t.min_sep_deg for t in truth_tracks])
        for coarse_step_s in (2.0, 10.0, 30.0):
            # The strongest form: the bound is below every object's dense minimum, i.e. the
            # prefilter keeps each object even at a radius equal to its own closest approach.
            bound, failed, _, _ = oracle.separation_lower_bound(visit, pad_s, coarse_step_s)
            assert not failed.any()
            assert np.all(bound <= min_sep), np.max(bound - min_sep)
        for radius in (default_radius_deg(), 12.0):
            truth = set(np.flatnonzero(min_sep <= radius).tolist())
            kept = oracle.prefilter(visit, pad_s, radius)
            assert truth <= set(kept.indices.tolist()), (visit["kind"], radius)
            assert not kept.failed_ids
            kept_total += len(kept.indices)
            truth_total += len(truth)
            tracks = oracle.tracks(visit, pad_s=pad_s, radius_deg=radius)
            assert {int(oracle.norad_ids[i]) for i in truth} <= set(tracks)
            for norad, track in tracks.items():
                # Returned but outside: only by less than what one half step can hide.
                reach = np.degrees(
                    np.arcsin(
                        oracle.rel_speed_bound_km_s[oracle.index_of(norad)]
                        * 0.5
                        * DENSE_STEP_S
                        / track.range_km
                    )
                )
                assert np.min(track.sep_deg - reach) <= radius
    # Not vacuous: objects do come in, and the prefilter does discard most of the catalog.
    assert truth_total >= 10
    assert kept_total < 0.2 * len(oracle.records) * 2 * len(visits)


def test_prefilter_frame_approximation_is_within_its_bound(
    small: tuple[Oracle, list[dict[str, Any]]],
) -> None:
    oracle, visits = small
    worst = 0.0
    for visit in visits[:4]:
        pad_s = 600.0  # a long window: the frozen frame drifts most at its ends
        mjd = oracle.dense_times(visit, pad_s, step_s=30.0)
        boresight = radec_to_unit(visit["boresight_ra"], visit["boresight_dec"])
        approx, rho, _, failed = oracle.coarse_separation(mjd, boresight)
        for i, track in enumerate(oracle.dense_tracks(range(len(oracle.records)), mjd, boresight)):
            assert track is not None
            assert not failed[i].any()
            worst = max(worst, float(np.max(np.abs(approx[i] - track.sep_deg))))
            np.testing.assert_allclose(rho[i], track.range_km, rtol=1e-9)
    assert worst < FRAME_BOUND_DEG, worst * 3600.0


def test_speed_bounds_hold_along_dense_tracks(small: tuple[Oracle, list[dict[str, Any]]]) -> None:
    oracle, visits = small
    for visit in visits[:3]:
        for i, track in enumerate(_dense_truth(oracle, visit, 0.0)):
            assert track is not None
            assert np.all(track.speed_km_s <= oracle.sat_speed_bound_km_s[i])
            bound = np.degrees(oracle.rel_speed_bound_km_s[i] / track.range_km)
            assert np.all(track.rate_deg_s <= bound)


def test_track_sampling_and_window(oracle: Oracle, visits: list[dict[str, Any]]) -> None:
    visit = next(v for v in visits if v["kind"] == "leo_zenith")
    pad_s = 4.0
    tracks = oracle_tracks(oracle, visit, pad_s=pad_s)
    track = tracks[visit["target"]]
    seconds = (track.mjd - visit["exposure_start_mjd"]) * SECONDS_PER_DAY
    assert abs(seconds[0] + pad_s) < 1e-4
    assert EXPOSURE_S + pad_s <= seconds[-1] < EXPOSURE_S + pad_s + DENSE_STEP_S
    np.testing.assert_allclose(np.diff(seconds), DENSE_STEP_S, atol=1e-4)
    for name in ("ra_deg", "dec_deg", "range_km", "sep_deg", "rate_deg_s", "speed_km_s"):
        values = getattr(track, name)
        assert values.shape == track.mjd.shape
        assert np.all(np.isfinite(values))
    assert np.all((track.ra_deg >= 0.0) & (track.ra_deg < 360.0))
    # A low-LEO object near zenith: a few hundred km away, moving ~0.5-1.5 deg/s at ~7.6 km/s.
    assert 300.0 < track.range_km.min() < 1500.0
    assert 0.3 < track.rate_deg_s.max() < 1.6
    assert 7.0 < track.speed_km_s.mean() < 8.0
    _ra, dec = unit_to_radec(track.unit_vectors())
    np.testing.assert_allclose(dec, track.dec_deg, atol=1e-9)


# --- the visit generator ------------------------------------------------------------------


def test_visit_set_shape(visits: list[dict[str, Any]]) -> None:
    assert len(visits) >= 50
    kinds = Counter(v["kind"] for v in visits)
    for kind, (_, _, _, wanted) in TARGETED_KINDS.items():
        assert kinds[kind] == wanted, kind
    assert kinds["random"] >= 25
    assert len({v["visit_id"] for v in visits}) == len(visits)
    for v in visits:
        assert 0 <= v["visit_id"] < 2**63
        assert str(v["visit_id"]).startswith(
            (datetime(1858, 11, 17, tzinfo=UTC) + timedelta(days=v["exposure_start_mjd"])).strftime(
                "%Y%m%d"
            )
        )
        duration = (v["exposure_end_mjd"] - v["exposure_start_mjd"]) * SECONDS_PER_DAY
        assert abs(duration - EXPOSURE_S) < 1e-4
        assert v["exposure_start_mjd"] >= NOW_MJD - 1.0
        assert v["exposure_end_mjd"] <= NOW_MJD + 1.0
        assert 0.0 <= v["boresight_ra"] < 360.0
        assert -90.0 <= v["boresight_dec"] <= 90.0
        assert 0.0 <= v["rotation_deg"] < 360.0
        assert tuple(visit_request(v)) == VISIT_FIELDS
        assert (v["target"] is None) == (v["kind"] == "random")


def test_visits_are_dark_and_high(visits: list[dict[str, Any]]) -> None:
    ra = np.array([v["boresight_ra"] for v in visits])
    dec = np.array([v["boresight_dec"] for v in visits])
    for key in ("exposure_start_mjd", "exposure_end_mjd"):
        mjd = np.array([v[key] for v in visits])
        assert np.all(sun_altitude_deg(mjd) < -6.0)
        altitudes = np.array(
            [altitude_deg(r, d, m)[0] for r, d, m in zip(ra, dec, mjd, strict=True)]
        )
        assert np.all(altitudes > 20.0), altitudes.min()


def test_targeted_objects_cross_the_field_mid_exposure(
    oracle: Oracle, visits: list[dict[str, Any]]
) -> None:
    for visit in visits:
        if visit["target"] is None:
            continue
        tracks = oracle.tracks(visit, pad_s=0.0, radius_deg=fov_radius_deg())
        assert visit["target"] in tracks, visit["kind"]
        track = tracks[visit["target"]]
        assert track.min_sep_deg < 0.5, visit["kind"]
        mid = track.sep_deg[np.argmin(np.abs(track.mjd - 0.5 * (track.mjd[0] + track.mjd[-1])))]
        assert mid < 0.35
        record = oracle.records[oracle.index_of(visit["target"])]
        classes = TARGETED_KINDS[visit["kind"]][0]
        assert orbit_class(record) in classes
        mid_mjd = 0.5 * (visit["exposure_start_mjd"] + visit["exposure_end_mjd"])
        ra, dec, _ = topocentric(record, mid_mjd)
        alt = float(altitude_deg(ra, dec, mid_mjd)[0])
        if visit["kind"].startswith("leo"):
            assert perigee_altitude_km(record) < 600.0
            assert track.rate_deg_s.max() > 0.15  # fast movers, not slow high orbits
        if visit["kind"] == "leo_zenith":
            assert alt > 70.0
        elif visit["kind"] == "leo_low":
            assert 20.0 < alt < 35.0


def test_random_pointings_are_spread_over_the_sky(visits: list[dict[str, Any]]) -> None:
    random_visits = [v for v in visits if v["kind"] == "random"]
    altitudes = [
        float(altitude_deg(v["boresight_ra"], v["boresight_dec"], v["exposure_start_mjd"])[0])
        for v in random_visits
    ]
    assert min(altitudes) < 40.0
    assert max(altitudes) > 60.0
    assert len({round(v["boresight_ra"]) for v in random_visits}) > 10


def test_visits_are_deterministic(oracle: Oracle, visits: list[dict[str, Any]]) -> None:
    again = generate_visits(oracle.records)
    assert again == visits
    other = generate_visits(oracle, seed=1)
    assert [v["visit_id"] for v in other] != [v["visit_id"] for v in visits] or [
        v["boresight_ra"] for v in other
    ] != [v["boresight_ra"] for v in visits]


def test_oracle_queries_are_pure(oracle: Oracle, visits: list[dict[str, Any]]) -> None:
    visit = visits[0]
    first = oracle.tracks(visit, pad_s=2.0)
    second = oracle_tracks(list(oracle.records), dict(visit), pad_s=2.0)
    assert first.keys() == second.keys()
    for norad in first:
        np.testing.assert_array_equal(first[norad].ra_deg, second[norad].ra_deg)
    assert math.isclose(default_radius_deg(), fov_radius_deg() + 0.25)
