"""Historical catalogs in the frontend: windows, cost of a night, merge by the window's centre,
LRU eviction, 503 paths with backoff, reload into a restarted engine, and the HTTP surface."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import logging
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import trustme

from fake_engine import RELAXED_LIMITS, TEST_CATALOG, api_config, start_frontend
from fake_spacetrack import (
    FILESHARE_LIST,
    LOGIN,
    LOGOUT,
    CuiFile,
    FakeSpaceTrack,
    gp_strings,
    running_fake,
    source_for,
    write_ca_file,
)
from satveto.astro.timescales import MJD_UNIX_EPOCH
from satveto.catalog.sources import SpacetrackSource
from satveto.catalog.synthetic import build_demo_catalog
from satveto.engine.process import EngineProcess
from satveto.engine.rpc import EngineClient
from satveto.errors import ApiError
from satveto.models import Visit
from satveto.runtime.config import SiteConfig
from satveto.runtime.metrics import Metrics
from satveto.services.history import (
    HistoricalCatalogs,
    catalog_name,
    engine_params,
    window_center_unix,
)
from satveto.spacetrack import RequestBudget
from satveto.spacetrack.fetch import REQUESTS_PER_HISTORY_FETCH
from satveto.web.app import create_app
from satveto.web.app_keys import CATALOG, ENGINE, HISTORY, SUPERVISOR, VETO
from tle_writer import render_all

# A night at Rubin: 2026-11-20 23:00 UTC to 2026-11-21 10:00 UTC; its window is centred 05:00.
NIGHT_START = dt.datetime(2026, 11, 20, 23, 0, tzinfo=dt.UTC)
CENTER = dt.datetime(2026, 11, 21, 5, 0, tzinfo=dt.UTC)
SECRET = "HISTSECRET"


def mjd(moment: dt.datetime) -> float:
    return MJD_UNIX_EPOCH + moment.timestamp() / 86400.0


def night_visit(visit_id: int, moment: dt.datetime, historical: bool = True) -> Visit:
    start = mjd(moment)
    return Visit(visit_id, start, start + 30 / 86400, 150.0, -30.0, 0.0, historical=historical)


def history_records(center: dt.datetime, count: int = 120) -> list[dict[str, Any]]:
    """gp_history as space-track serves it: several sets per object around `center`."""
    rows = []
    for hours in (-30.0, -8.0, -1.0, 2.0, 12.0):
        epoch = center + dt.timedelta(hours=hours)
        for i, record in enumerate(build_demo_catalog(epoch, count=count)):
            record = {**record, "EPOCH": epoch.replace(tzinfo=None).isoformat()}
            record["MEAN_ANOMALY"] = (hours + 40.0) % 360.0  # tells the sets apart
            rows.append(gp_strings(record, i))
    return rows


# Ids of the CUI-only objects: Alpha-5 numbers that no demo object of the history holds.
_DEMO_IDS = {r["NORAD_CAT_ID"] for r in build_demo_catalog(CENTER, count=120)}
CUI_IDS = [n for n in range(330000, 340000) if n not in _DEMO_IDS][:10]


@pytest.fixture
async def fake(tls_files: tuple[Path, Path]) -> AsyncIterator[FakeSpaceTrack]:
    async with running_fake(tls_files, count=50, slow_s=3.0) as server:
        for center in (CENTER, CENTER + dt.timedelta(days=1), CENTER + dt.timedelta(days=2)):
            server.history.extend(history_records(center))
        # CUI files uploaded around the night: the one nearest 05:00 is file 71.
        for file_id, hours, anomaly in ((70, -50.0, 5.0), (71, -3.0, 7.0), (72, 30.0, 9.0)):
            records = [
                {
                    **r,
                    "NORAD_CAT_ID": CUI_IDS[i],
                    "OBJECT_NAME": f"{SECRET}{i}",
                    "EPOCH": (CENTER + dt.timedelta(hours=-0.5)).replace(tzinfo=None).isoformat(),
                    "MEAN_ANOMALY": anomaly,
                }
                for i, r in enumerate(build_demo_catalog(CENTER, count=10))
            ]
            server.cui_files.append(
                CuiFile(file_id, CENTER + dt.timedelta(hours=hours), render_all(records))
            )
        yield server


@pytest.fixture
def ca_file(tls_ca: trustme.CA, tmp_path: Path) -> Path:
    return write_ca_file(tls_ca, tmp_path)


def make_source(
    fake: FakeSpaceTrack, ca_file: Path, budget: RequestBudget | None = None
) -> SpacetrackSource:
    return source_for(fake, ca_file, timeout_s=2.0, budget=budget, include_cui=True)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def engine(engine_socket: Path) -> AsyncIterator[EngineClient]:
    client = EngineClient(engine_socket, timeout_s=10.0)
    yield client
    await client.close()


def service(
    engine: EngineClient, source: Any, capacity: int = 4, clock: Clock | None = None
) -> HistoricalCatalogs:
    return HistoricalCatalogs(
        engine,
        Metrics(),
        source,
        enabled=True,
        capacity=capacity,
        monotonic=clock or Clock(),
    )


def test_one_window_serves_a_whole_night() -> None:
    names = {
        catalog_name(window_center_unix((NIGHT_START + dt.timedelta(minutes=m)).timestamp()))
        for m in range(0, 11 * 60 + 1, 5)
    }
    assert names == {"hist-20261121T0500Z"}
    assert catalog_name(window_center_unix(CENTER.timestamp() + 6.1 * 3600)) == (
        "hist-20261121T1700Z"
    )
    params = engine_params(night_visit(1, NIGHT_START))
    assert params["catalog"] == "hist-20261121T0500Z"
    assert "historical" not in params
    assert "catalog" not in engine_params(night_visit(2, NIGHT_START, historical=False))


async def test_a_night_of_reprocessing_costs_one_fetch(
    engine: EngineClient, fake: FakeSpaceTrack, ca_file: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    budget = RequestBudget()
    history = service(engine, make_source(fake, ca_file, budget))
    # One visit every 40 s for the 11 hours of the night: 990 visits.
    names = set()
    for k in range(990):
        names.add(await history.ensure(night_visit(k, NIGHT_START + dt.timedelta(seconds=40 * k))))
    assert names == {"hist-20261121T0500Z"}
    assert fake.total == REQUESTS_PER_HISTORY_FETCH == 5
    assert fake.requests[LOGIN] == fake.requests[LOGOUT] == fake.requests[FILESHARE_LIST] == 1
    assert budget.sent_within(3600.0) == 5
    assert fake.history_windows == [("2026-11-20T19:48:02", "2026-11-21T14:11:57")]
    # The CUI file uploaded closest to the window's centre, and only that one.
    assert fake.requests["/fileshare/query/class/download/file_id/71"] == 1
    assert fake.downloads == 1
    held = (await engine.call("ping"))["historical_catalogs"]
    assert [h["name"] for h in held] == ["hist-20261121T0500Z"]
    # Per object, the set whose epoch is closest to the centre: gp_history's -1 h set
    # (anomaly 39) beats -8 h and +2 h; the CUI objects come from file 71 (anomaly 7).
    snapshot = history._held["hist-20261121T0500Z"]
    anomalies = {r["NORAD_CAT_ID"]: r["MEAN_ANOMALY"] for r in snapshot.records}
    assert len(anomalies) == 120 + 10
    assert {a for n, a in anomalies.items() if n not in CUI_IDS} == {39.0}
    assert {a for n, a in anomalies.items() if n in CUI_IDS} == {7.0}
    assert SECRET not in caplog.text
    # Three nights: three fetches, fifteen requests.
    for day in (1, 2):
        await history.ensure(night_visit(5000 + day, NIGHT_START + dt.timedelta(days=day)))
    assert fake.total == 15


async def test_lru_eviction_drops_the_oldest_from_the_engine(
    engine: EngineClient, fake: FakeSpaceTrack, ca_file: Path
) -> None:
    history = service(engine, make_source(fake, ca_file), capacity=2)
    nights = [
        await history.ensure(night_visit(d, NIGHT_START + dt.timedelta(days=d))) for d in range(3)
    ]
    assert history.held_names() == nights[1:]
    held = (await engine.call("ping"))["historical_catalogs"]
    assert sorted(h["name"] for h in held) == sorted(nights[1:])
    await history.ensure(night_visit(10, NIGHT_START + dt.timedelta(days=1)))  # touch night 1
    await history.ensure(night_visit(11, NIGHT_START))  # refetch night 0: night 2 goes
    assert history.held_names() == [nights[1], nights[0]]
    assert history.fetches == 4
    held = (await engine.call("ping"))["historical_catalogs"]
    assert sorted(h["name"] for h in held) == sorted([nights[0], nights[1]])


async def test_failures_give_503_and_retry_after_backoff(
    engine: EngineClient, fake: FakeSpaceTrack, ca_file: Path
) -> None:
    clock = Clock()
    history = service(engine, make_source(fake, ca_file), clock=clock)
    fake.cui_fault = "history_500"
    with pytest.raises(ApiError) as error:
        await history.ensure(night_visit(1, NIGHT_START))
    assert (error.value.status, error.value.code) == (503, "no_historical_catalog")
    sent = fake.total
    with pytest.raises(ApiError):  # within the backoff: no request at all
        await history.ensure(night_visit(2, NIGHT_START + dt.timedelta(hours=1)))
    assert fake.total == sent
    clock.now += 61.0
    with pytest.raises(ApiError):  # backoff over: tried again, failed again
        await history.ensure(night_visit(3, NIGHT_START))
    assert fake.total == 2 * sent
    fake.cui_fault = None
    clock.now += 60.0  # the second backoff is 120 s
    with pytest.raises(ApiError):
        await history.ensure(night_visit(4, NIGHT_START))
    clock.now += 61.0
    assert await history.ensure(night_visit(5, NIGHT_START)) == "hist-20261121T0500Z"
    assert (await engine.call("ping"))["catalog"] is None  # today's catalog was never used


@pytest.mark.parametrize("fault", ["403", "empty_folder", "cut", "content_type", "slow"])
async def test_a_cui_failure_gives_503(
    engine: EngineClient, fake: FakeSpaceTrack, ca_file: Path, fault: str
) -> None:
    history = service(engine, make_source(fake, ca_file))
    fake.cui_fault = fault
    with pytest.raises(ApiError) as error:
        await history.ensure(night_visit(1, NIGHT_START))
    assert error.value.status == 503
    assert (await engine.call("ping"))["historical_catalogs"] == []


async def test_an_exhausted_budget_gives_503_without_a_request(
    engine: EngineClient, fake: FakeSpaceTrack, ca_file: Path
) -> None:
    budget = RequestBudget(((300, 3600.0),))
    for _ in range(298):
        budget.take()  # the refreshes of the last hour spent it
    history = service(engine, make_source(fake, ca_file, budget))
    with pytest.raises(ApiError) as error:
        await history.ensure(night_visit(1, NIGHT_START))
    assert error.value.code == "no_historical_catalog"
    assert fake.total == 0


async def test_no_history_source_and_disabled_reprocessing(engine: EngineClient) -> None:
    with pytest.raises(ApiError) as error:
        await service(engine, None).ensure(night_visit(1, NIGHT_START))
    assert error.value.status == 503
    disabled = HistoricalCatalogs(engine, Metrics(), None, enabled=False)
    with pytest.raises(ApiError) as error:
        await disabled.ensure(night_visit(1, NIGHT_START))
    assert (error.value.status, error.value.code) == (400, "reprocessing_disabled")


async def test_a_restarted_engine_gets_its_historical_catalogs_back_from_memory(
    engine: EngineClient, fake: FakeSpaceTrack, ca_file: Path
) -> None:
    history = service(engine, make_source(fake, ca_file))
    name = await history.ensure(night_visit(1, NIGHT_START))
    objects = (await engine.call("ping"))["historical_catalogs"][0]["objects"]
    await engine.call("drop_catalog", {"catalog": name})  # what a restart loses
    sent = fake.total
    assert await history.reload_engine((await engine.call("ping"))["historical_catalogs"]) == 1
    held = (await engine.call("ping"))["historical_catalogs"]
    assert [(h["name"], h["objects"]) for h in held] == [(name, objects)]
    assert fake.total == sent  # no new fetch
    assert await history.reload_engine(held) == 0


# --- HTTP ---------------------------------------------------------------------------------


async def test_http_historical_visits(
    engine_socket: Path,
    tls_files: tuple[Path, Path],
    fake: FakeSpaceTrack,
    ca_file: Path,
    http_session: aiohttp.ClientSession,
) -> None:
    # Fixed past instants seen from the test site, which moves with the hour the suite runs:
    # the sky check is not what this tests (test_camera_gate.py does), so it is lifted.
    config = api_config(
        tls_files,
        engine_socket,
        limits={"allow_reprocessing": True, **RELAXED_LIMITS},
        catalog=TEST_CATALOG,
    )
    config = dataclasses.replace(config, engine=dataclasses.replace(config.engine, timeout_s=10))
    front = await start_frontend(config)
    try:
        await front.app[CATALOG].install(
            build_demo_catalog(dt.datetime.now(dt.UTC), count=50), time.time(), source="test"
        )
        front.app[HISTORY]._source = make_source(fake, ca_file)
        body = {
            "visit_id": 7,
            "exposure_start_mjd": mjd(NIGHT_START),
            "exposure_end_mjd": mjd(NIGHT_START) + 30 / 86400,
            "boresight_ra": 150.0,
            "boresight_dec": -30.0,
            "historical": True,
        }
        async with http_session.post(f"{front.base}/v1/visits", json=body) as response:
            assert response.status == 200, await response.text()
        assert front.app[HISTORY].held_names() == ["hist-20261121T0500Z"]
        async with http_session.post(
            f"{front.base}/v1/visits", json={**body, "historical": "yes"}
        ) as response:
            assert response.status == 400
            assert (await response.json())["error"]["message"].startswith("historical:")
        fake.cui_fault = "history_500"
        later = {**body, "visit_id": 8, "exposure_start_mjd": body["exposure_start_mjd"] + 3}
        later["exposure_end_mjd"] = later["exposure_start_mjd"] + 30 / 86400
        async with http_session.post(f"{front.base}/v1/visits", json=later) as response:
            assert response.status == 503
            assert (await response.json())["error"]["code"] == "no_historical_catalog"
    finally:
        await front.stop()

    off = await start_frontend(api_config(tls_files, engine_socket))
    now_mjd = MJD_UNIX_EPOCH + time.time() / 86400.0
    current = {**body, "exposure_start_mjd": now_mjd, "exposure_end_mjd": now_mjd + 30 / 86400}
    try:
        async with http_session.post(f"{off.base}/v1/visits", json=current) as response:
            assert response.status == 400
            assert (await response.json())["error"]["code"] == "reprocessing_disabled"
    finally:
        await off.stop()


async def test_after_an_engine_restart_historical_visits_come_back_without_a_fetch(
    engine_process: EngineProcess,
    tls_files: tuple[Path, Path],
    fake: FakeSpaceTrack,
    ca_file: Path,
) -> None:
    """The supervisor reloads the held historical catalog before re-registering the visit."""
    # A fixed past instant from the moving test site: the sky check is lifted (as above).
    config = api_config(
        tls_files,
        engine_process.socket_path,
        limits={"allow_reprocessing": True, **RELAXED_LIMITS},
        catalog=TEST_CATALOG,
    )
    config = dataclasses.replace(config, engine=dataclasses.replace(config.engine, timeout_s=10))
    app = create_app(config)
    try:
        app[HISTORY]._source = make_source(fake, ca_file)
        await app[CATALOG].install(
            build_demo_catalog(dt.datetime.now(dt.UTC), count=50), time.time(), source="test"
        )
        await app[SUPERVISOR].poll()
        visit = night_visit(31, NIGHT_START + dt.timedelta(hours=2))
        await app[VETO].register_visit(visit)
        before = await app[ENGINE].call("visit_tracks", {"visit_id": 31})
        sent = fake.total

        assert engine_process.process is not None
        engine_process.process.kill()  # the engine's catalogs and visits are gone
        engine_process.process.wait()
        engine_process.start()
        await engine_process.wait_ready()
        for _ in range(10):  # pooled connections to the dead engine fail once each
            state = await app[SUPERVISOR].poll_now()
            if state.error is None and state.catalog is not None:
                break
        pong = await app[ENGINE].call("ping")
        assert [h["name"] for h in pong["historical_catalogs"]] == ["hist-20261121T0500Z"]
        after = await app[ENGINE].call("visit_tracks", {"visit_id": 31})
        assert after["candidates"] == before["candidates"]
        assert after["segments"] == before["segments"]
        assert fake.total == sent  # reloaded from frontend memory, not fetched again
    finally:
        await app[ENGINE].close()


async def test_concurrent_visits_of_a_window_share_one_fetch_that_survives_cancellation(
    engine: EngineClient, fake: FakeSpaceTrack, ca_file: Path
) -> None:
    history = service(engine, make_source(fake, ca_file))
    first = asyncio.create_task(history.ensure(night_visit(1, NIGHT_START)))
    await asyncio.sleep(0)
    first.cancel()  # the first requester goes away: the fetch goes on
    names = await asyncio.gather(
        *(
            history.ensure(night_visit(k, NIGHT_START + dt.timedelta(minutes=k)))
            for k in range(2, 40)
        )
    )
    assert set(names) == {"hist-20261121T0500Z"}
    assert fake.total == 5
    assert history.fetches == 1


async def test_a_historical_visit_vetoes_the_old_track_not_the_new_one(
    engine_socket: Path, tls_files: tuple[Path, Path], fake: FakeSpaceTrack, ca_file: Path
) -> None:
    """End to end through gp_history: an object moved between its historical and its current
    elements.  At its old position a historical visit has it as a candidate and a current
    visit does not; at its new position, the reverse."""
    epoch = CENTER.replace(tzinfo=None).isoformat(timespec="microseconds")
    base = [{**r, "EPOCH": epoch} for r in build_demo_catalog(CENTER, count=300)]
    index = 23
    norad = base[index]["NORAD_CAT_ID"]
    fake.history = [gp_strings(r, i) for i, r in enumerate(base)]
    current = [dict(r) for r in base]
    current[index]["MEAN_ANOMALY"] = (current[index]["MEAN_ANOMALY"] + 60.0) % 360.0
    # Four visits at one instant, pointed at an object wherever it is: the one-camera rules are
    # relaxed explicitly (test-only switches, allowed with a test catalog source).
    config = api_config(
        tls_files,
        engine_socket,
        limits={"allow_reprocessing": True, **RELAXED_LIMITS},
        catalog=TEST_CATALOG,
        site=dataclasses.asdict(SiteConfig()),  # Rubin, where the object is above the horizon
    )
    config = dataclasses.replace(config, engine=dataclasses.replace(config.engine, timeout_s=10))
    app = create_app(config)
    engine = app[ENGINE]
    try:
        app[HISTORY]._source = make_source(fake, ca_file)
        await app[CATALOG].install(current, time.time(), source="test")
        moment = CENTER + dt.timedelta(hours=1)
        mid = [mjd(moment) + 15 / 86400]
        old = await engine.call("observe", {"elements": base[index], "mjd": mid})
        new = await engine.call("observe", {"elements": current[index], "mjd": mid})
        for visit_id, seen, historical in (
            (51, old, True),
            (52, old, False),
            (53, new, True),
            (54, new, False),
        ):
            start = mjd(moment)
            await app[VETO].register_visit(
                Visit(
                    visit_id,
                    start,
                    start + 30 / 86400,
                    seen["ra_deg"][0] % 360.0,
                    seen["dec_deg"][0],
                    0.0,
                    historical=historical,
                )
            )

        async def candidates(visit_id: int) -> set[int]:
            return set((await engine.call("visit_tracks", {"visit_id": visit_id}))["candidates"])

        assert norad in await candidates(51)
        assert norad not in await candidates(52)
        assert norad not in await candidates(53)
        assert norad in await candidates(54)
    finally:
        await engine.close()
