"""One camera across all clients (docs/design.md "Security model"): the visit gate, unit and over
HTTP."""

from __future__ import annotations

import dataclasses
import math
import ssl
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import msgspec
import pytest

from fake_engine import (
    FakeHarness,
    Frontend,
    api_config,
    night_site,
    night_zenith,
    sample_sources,
    sample_visit,
    start_frontend,
)
from satveto.astro import sky
from satveto.errors import ApiError
from satveto.models import Visit
from satveto.runtime.config import LimitsConfig, SiteConfig
from satveto.services.camera_gate import CURRENT_CAPACITY, CameraGate, GateRefusal

pytest_plugins = ["test_api_fixtures"]  # the engine and frontend fixtures

NOW = 1_795_000_000.0  # a fixed instant for the unit tests (2026-11-18)


def gate(now: float = NOW, **limits: Any) -> CameraGate:
    return CameraGate(
        dataclasses.replace(LimitsConfig(), **limits), SiteConfig(**night_site(now)), lambda: now
    )


def visit(visit_id: int, start_unix: float, length_s: float = 30.0, **changes: Any) -> Visit:
    """A visit at the zenith of the night site (TAI MJDs)."""
    ra, dec = night_zenith(start_unix + length_s / 2)
    start = sky.unix_to_mjd(start_unix, "tai")
    fields = {
        "visit_id": visit_id,
        "exposure_start_mjd": start,
        "exposure_end_mjd": start + length_s / 86400.0,
        "boresight_ra": ra,
        "boresight_dec": dec,
        "rotation_deg": 10.0,
    }
    fields.update(changes)
    return Visit(**fields)


def refused_rule(the_gate: CameraGate, candidate: Visit, **kwargs: Any) -> str:
    with pytest.raises(GateRefusal) as refusal:
        the_gate.admit(candidate, **kwargs)
    assert refusal.value.status == 400
    assert refusal.value.code == "implausible_visit"
    return refusal.value.rule


def test_overlapping_exposures_are_refused_touching_ones_admitted() -> None:
    g = gate()
    assert g.admit(visit(1, NOW - 100.0))  # [-100, -70]
    assert refused_rule(g, visit(2, NOW - 80.0)) == "overlap"  # starts inside
    assert refused_rule(g, visit(3, NOW - 110.0)) == "overlap"  # ends inside
    assert refused_rule(g, visit(4, NOW - 105.0, 40.0)) == "overlap"  # contains it
    assert g.admit(visit(5, NOW - 70.0))  # starts as the first ends
    assert g.admit(visit(6, NOW - 130.0))  # ends as the first starts
    assert refused_rule(g, visit(7, NOW - 95.0, 15.0)) == "overlap"  # inside, between neighbours
    assert len(g) == 3


def test_identical_re_registration_is_idempotent_and_other_parameters_conflict() -> None:
    g = gate()
    first = visit(1, NOW - 100.0)
    assert g.admit(first) is True
    assert g.admit(first) is False  # the same exposure is not an overlap of itself
    with pytest.raises(ApiError) as conflict:
        g.admit(msgspec.structs.replace(first, rotation_deg=11.0))
    assert (conflict.value.status, conflict.value.code) == (409, "visit_conflict")


def test_exposure_length_and_time_window() -> None:
    g = gate()
    assert refused_rule(g, visit(1, NOW - 100.0, 14.0)) == "exposure_length"
    assert refused_rule(g, visit(2, NOW - 100.0, 41.0)) == "exposure_length"
    assert g.admit(visit(3, NOW - 100.0, 15.0))
    assert g.admit(visit(4, NOW - 60.0, 40.0))
    assert refused_rule(g, visit(5, NOW - 3700.0)) == "time_window"  # over an hour ago
    assert refused_rule(g, visit(6, NOW + 400.0)) == "time_window"  # over 5 minutes ahead
    assert g.admit(visit(7, NOW + 200.0))
    assert g.admit(visit(8, NOW - 3500.0))


def test_the_window_is_read_in_tai() -> None:
    """An exposure that starts 3,590 s ago in UTC is 3,627 s ago if its MJD is read as TAI."""
    g = gate()
    start_utc_mjd = sky.unix_to_mjd(NOW - 3620.0, "utc")  # a UTC MJD sent as if TAI
    as_tai = visit(1, NOW - 3620.0, exposure_start_mjd=start_utc_mjd)
    as_tai = msgspec.structs.replace(as_tai, exposure_end_mjd=start_utc_mjd + 30 / 86400)
    assert refused_rule(g, as_tai) == "time_window"  # read as TAI: 3,657 s ago
    assert g.admit(visit(2, NOW - 3590.0))  # the same instant written in TAI: inside


def test_below_the_horizon_and_daytime_are_refused() -> None:
    g = gate()
    ra, dec = night_zenith(NOW)
    nadir = visit(1, NOW - 100.0, boresight_ra=(ra + 180.0) % 360.0, boresight_dec=-dec)
    assert refused_rule(g, nadir) == "altitude"
    low = visit(2, NOW - 100.0, boresight_dec=dec + 80.0)  # 10 deg above the north horizon
    assert refused_rule(g, low) == "altitude"
    assert g.admit(visit(3, NOW - 100.0, boresight_dec=dec + 70.0))  # 20 deg up
    # Twelve hours later it is noon at this site: a visit at its zenith is refused for the Sun.
    noon = NOW + 12 * 3600.0
    day_gate = CameraGate(LimitsConfig(), SiteConfig(**night_site(NOW)), lambda: noon)
    sun_ra, _ = sky.sun_radec_rad(noon)
    overhead = visit(4, noon - 100.0, boresight_ra=float(sun_ra) * 180.0 / 3.141592653589793)
    assert refused_rule(day_gate, overhead) == "sun"


def test_the_altitude_floor_and_the_sun_ceiling_are_where_configured() -> None:
    """Half a degree either side of limits.min_altitude_deg (15) and of
    limits.max_sun_altitude_deg (-6), at mid-exposure."""
    site = night_site(NOW)
    ra, dec = night_zenith(NOW)
    for visit_id, (tilt, admitted) in enumerate(((75.5, False), (74.5, True))):
        candidate = visit(visit_id, NOW - 100.0 + 50.0 * visit_id, boresight_dec=dec + tilt)
        mid = sky.mjd_to_unix((candidate.exposure_start_mjd + candidate.exposure_end_mjd) / 2)
        altitude = sky.boresight_altitude_deg(ra, dec + tilt, mid, **_lat_lon(site))
        assert abs(altitude - (90.0 - tilt)) < 0.45  # the pointing is what it is meant to be
        if admitted:
            assert gate().admit(candidate)
        else:
            assert refused_rule(gate(), candidate) == "altitude"
    # Morning twilight at the site (midnight at NOW): the Sun rises through -6.5 and -5.5 deg.
    for sun_altitude, admitted in ((-6.5, True), (-5.5, False)):
        mid = _when_the_sun_is_at(sun_altitude, site)
        overhead = (math.degrees(float(sky.gmst_rad(mid))) + site["longitude_deg"]) % 360.0
        candidate = visit(1, mid - 15.0, boresight_ra=overhead, boresight_dec=site["latitude_deg"])
        twilight_gate = CameraGate(LimitsConfig(), SiteConfig(**site), lambda mid=mid: mid)
        if admitted:
            assert twilight_gate.admit(candidate)
        else:
            assert refused_rule(twilight_gate, candidate) == "sun"


def _lat_lon(site: dict[str, float]) -> dict[str, float]:
    return {"latitude_deg": site["latitude_deg"], "longitude_deg": site["longitude_deg"]}


def _when_the_sun_is_at(altitude_deg: float, site: dict[str, float]) -> float:
    """The instant between the site's midnight (NOW) and noon when the Sun is at that altitude
    (it rises throughout), by bisection."""
    low, high = NOW, NOW + 12 * 3600.0
    for _ in range(40):
        middle = (low + high) / 2
        if sky.sun_altitude_deg(middle, **_lat_lon(site)) < altitude_deg:
            low = middle
        else:
            high = middle
    return (low + high) / 2


def test_refusals_record_nothing_and_release_gives_the_instant_back() -> None:
    g = gate()
    assert refused_rule(g, visit(1, NOW - 100.0, 14.0)) == "exposure_length"
    assert len(g) == 0
    first = visit(2, NOW - 100.0)
    assert g.admit(first)
    g.release(first)
    assert g.admit(visit(3, NOW - 90.0))  # the instant is free again


def test_historical_visits_are_a_timeline_of_their_own() -> None:
    g = gate()
    old = NOW - 30 * 86400.0  # a month ago, at this hour: night at the site
    assert g.admit(visit(1, old), historical=True)
    assert refused_rule(g, visit(2, old + 10.0), historical=True) == "overlap"
    assert g.admit(visit(3, NOW - 100.0))  # the live night is another timeline
    assert g.admit(visit(4, old + 30.0), historical=True)


def test_switches_relax_the_rules_for_tests() -> None:
    g = gate(enforce_one_camera=False, enforce_visible_sky=False)
    _, dec = night_zenith(NOW)
    for visit_id in range(5):  # the same instant, below the horizon, 1 s long: all admitted
        assert g.admit(visit(visit_id, NOW - 100.0, 1.0, boresight_dec=-dec))
    assert len(g) == 0  # nothing recorded


def test_memory_is_bounded_by_the_window() -> None:
    clock = [NOW]
    limits = LimitsConfig()
    g = CameraGate(limits, SiteConfig(**night_site(NOW)), lambda: clock[0])
    for k in range(2000):  # 2,000 exposures back to back: 16.7 hours
        start = NOW + 30.0 * k
        clock[0] = start + 60.0
        ra, dec = night_zenith(NOW)  # the site's clock advances; the sky check is off here
        g._limits = dataclasses.replace(limits, enforce_visible_sky=False)
        assert g.admit(visit(k, start, boresight_ra=ra, boresight_dec=dec))
    # Only what ended within the past window (3,600 s / 30 s = 120) is remembered.
    assert len(g) <= 125
    assert CURRENT_CAPACITY >= 125


# --- over HTTP: two clients, both paths -----------------------------------------------------


@pytest.fixture
async def second_client(client_tls: ssl.SSLContext) -> AsyncIterator[aiohttp.ClientSession]:
    """Another client: connects from 127.0.0.2 (inside the default allowlist, 127.0.0.0/8)."""
    connector = aiohttp.TCPConnector(ssl=client_tls, local_addr=("127.0.0.2", 0))
    async with aiohttp.ClientSession(connector=connector) as session:
        yield session


async def post(session: aiohttp.ClientSession, url: str, body: Any) -> tuple[int, Any]:
    async with session.post(url, json=body) as response:
        return response.status, await response.json()


async def test_overlap_is_refused_across_clients_and_paths(
    fake_frontend: Frontend,
    fake_harness: FakeHarness,
    http_session: aiohttp.ClientSession,
    second_client: aiohttp.ClientSession,
) -> None:
    base = fake_frontend.base
    first = sample_visit(visit_id=1, ago_s=100.0)
    assert (await post(http_session, f"{base}/v1/visits", first))[0] == 200
    # Client two, direct: the same instant is taken.
    status, body = await post(second_client, f"{base}/v1/visits", sample_visit(2, ago_s=90.0))
    assert (status, body["error"]["code"]) == (400, "implausible_visit")
    assert body["error"]["message"].startswith("exposure_start_mjd: the exposure overlaps")
    # Client two, embedded in a DIASource request: the same gate, the field named as embedded.
    embedded = sample_visit(3, ago_s=85.0)
    request = {"visit_id": 3, "detector_id": 94, "diasources": sample_sources(5)}
    status, body = await post(
        second_client, f"{base}/v1/diasources", {**request, "visit": embedded}
    )
    assert (status, body["error"]["code"]) == (400, "implausible_visit")
    assert body["error"]["message"].startswith("visit.exposure_start_mjd: the exposure overlaps")
    assert "id_allow_list" not in body
    assert not any(method == "filter_sources" for method, _ in fake_harness.fake.calls)
    # An embedded visit that takes a free instant registers it for everyone.
    free = sample_visit(4, ago_s=60.0)
    status, body = await post(
        second_client, f"{base}/v1/diasources", {**request, "visit_id": 4, "visit": free}
    )
    assert status == 200, body
    status, body = await post(http_session, f"{base}/v1/visits", sample_visit(5, ago_s=55.0))
    assert (status, body["error"]["code"]) == (400, "implausible_visit")
    # Identical re-registration by the other client stays idempotent.
    assert (await post(second_client, f"{base}/v1/visits", first))[0] == 200
    async with http_session.get(f"{base}/metrics") as response:
        text = await response.text()
    for line in (
        'satveto_client_implausible_visits_total{client="127.0.0.2",rule="overlap"} 2.0',
        'satveto_client_implausible_visits_total{client="127.0.0.1",rule="overlap"} 1.0',
        'satveto_client_visits_total{client="127.0.0.1"} 1.0',
        'satveto_client_visits_total{client="127.0.0.2"} 1.0',
    ):
        assert line in text


async def test_below_horizon_and_daytime_over_http(
    fake_harness: FakeHarness,
    tls_files: tuple[Path, Path],
    http_session: aiohttp.ClientSession,
) -> None:
    night = await start_frontend(api_config(tls_files, fake_harness.socket_path))
    try:
        await night.install_catalog(fake_harness)
        below = sample_visit(1)
        below["boresight_dec"] = -below["boresight_dec"]
        below["boresight_ra"] = (below["boresight_ra"] + 180.0) % 360.0
        status, body = await post(http_session, f"{night.base}/v1/visits", below)
        assert (status, body["error"]["code"]) == (400, "implausible_visit")
        assert body["error"]["message"].startswith("boresight_dec: the boresight is -")
    finally:
        await night.stop()
    # A site on the other side of the Earth: noon there.  A visit at its zenith is refused
    # for the Sun alone.
    site = night_site()
    site["longitude_deg"] = (site["longitude_deg"] + 360.0) % 360.0 - 180.0
    day = await start_frontend(api_config(tls_files, fake_harness.socket_path, site=site))
    try:
        await day.install_catalog(fake_harness)
        overhead = sample_visit(2)
        overhead["boresight_ra"] = (overhead["boresight_ra"] + 180.0) % 360.0
        status, body = await post(http_session, f"{day.base}/v1/visits", overhead)
        assert (status, body["error"]["code"]) == (400, "implausible_visit")
        assert body["error"]["message"].startswith("exposure_start_mjd: the Sun is ")
    finally:
        await day.stop()


def test_demo_site_is_in_the_night_at_every_hour() -> None:
    """`make run` works at any hour: the demo's site is where the Sun is far below -6 deg."""
    from satveto.tools.demo import demo_site

    for hour in range(0, 24 * 365, 7):  # every seventh hour of a year
        unix = NOW + hour * 3600.0
        site = demo_site(unix)
        assert sky.sun_altitude_deg(unix, site.latitude_deg, site.longitude_deg) < -30.0


def test_visit_rate_is_capped_at_one_telescopes_cadence() -> None:
    g = gate(max_visits_per_hour=10)
    for k in range(10):  # 15 s exposures back to back
        assert g.admit(visit(k, NOW - 3500.0 + 15.0 * k, 15.0))
    assert refused_rule(g, visit(99, NOW - 3500.0 + 150.0, 15.0)) == "visit_rate"
    # An hour after the first, there is room again.
    assert g.admit(visit(100, NOW - 3500.0 + 3601.0, 15.0))
    # The hour after counts too: visits registered out of order (the later ones first) are
    # capped the same way.
    g = gate(max_visits_per_hour=10)
    for k in range(10):
        assert g.admit(visit(k, NOW + 100.0 + 15.0 * k, 15.0))
    assert refused_rule(g, visit(99, NOW + 85.0, 15.0)) == "visit_rate"
    # 3,500 s earlier, only seven of the ten start within the hour after it.
    assert g.admit(visit(100, NOW - 3400.0, 15.0))
    assert LimitsConfig().max_visits_per_hour == 120
