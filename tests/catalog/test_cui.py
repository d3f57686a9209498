"""The CUI element file: merged with GP per object (closest epoch to now), faults keep the old
catalog, the download is skipped when the newest file is held, and nothing leaks to the logs."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import trustme

from fake_spacetrack import (
    FILESHARE_LIST,
    GP_QUERY,
    LOGIN,
    LOGOUT,
    CuiFile,
    FakeSpaceTrack,
    Rig,
    running_fake,
    source_for,
    write_ca_file,
)
from satveto.catalog.merge import merge_closest
from satveto.catalog.omm import validate_catalog
from satveto.catalog.sources import SpacetrackSource
from satveto.catalog.synthetic import build_demo_catalog
from satveto.spacetrack import RequestBudget
from tle_writer import render_all

COUNT = 200
SECRET = "CUISECRETNAME"  # every CUI object's name: must never reach a log


def iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).replace(tzinfo=None).isoformat(timespec="microseconds")


def one(norad: int, epoch: dt.datetime, mean_anomaly: float) -> dict[str, Any]:
    record = build_demo_catalog(epoch, count=1)[0]
    record.update(
        NORAD_CAT_ID=norad,
        EPOCH=iso(epoch),
        MEAN_ANOMALY=mean_anomaly,
        OBJECT_NAME=f"{SECRET}{norad}",
    )
    return validate_catalog([record]).records[0]  # type: ignore[return-value]


# --- the merge rule -------------------------------------------------------------------------

NOW = dt.datetime(2026, 11, 21, 6, 0, tzinfo=dt.UTC)
H = dt.timedelta(hours=1)


@pytest.mark.parametrize(
    ("gp_offset", "cui_offset", "winner"),
    [
        (-2 * H, -1 * H, "cui"),  # CUI newer and closer
        (-1 * H, -3 * H, "gp"),  # GP newer and closer
        (-3 * H, +1 * H, "cui"),  # CUI after now but closer
        (+5 * H, -1 * H, "cui"),  # GP after now and farther: the newest does not win
        (-30 * H, +20 * H, "cui"),
        (+1 * H, -2 * H, "gp"),
    ],
)
def test_closest_epoch_to_now_wins_in_both_directions(
    gp_offset: dt.timedelta, cui_offset: dt.timedelta, winner: str
) -> None:
    gp = [one(25544, NOW + gp_offset, 1.0), one(7, NOW, 2.0)]
    cui = [one(25544, NOW + cui_offset, 99.0), one(100001, NOW, 3.0)]
    merged = merge_closest((gp, cui), NOW)
    by_id = {r["NORAD_CAT_ID"]: r for r in merged.records}
    assert set(by_id) == {25544, 7, 100001}
    assert by_id[25544]["MEAN_ANOMALY"] == (99.0 if winner == "cui" else 1.0)
    assert merged.replaced == 1


def test_a_tie_keeps_the_gp_set() -> None:
    gp = [one(5, NOW - H, 1.0)]
    cui = [one(5, NOW + H, 2.0)]
    assert merge_closest((gp, cui), NOW).records[0]["MEAN_ANOMALY"] == 1.0


# --- through the fake space-track and the real engine ----------------------------------------


@pytest.fixture
async def fake(tls_files: tuple[Path, Path]) -> AsyncIterator[FakeSpaceTrack]:
    async with running_fake(tls_files, count=COUNT, slow_s=3.0) as server:
        yield server


@pytest.fixture
def ca_file(tls_ca: trustme.CA, tmp_path: Path) -> Path:
    return write_ca_file(tls_ca, tmp_path)


def cui_source(
    fake: FakeSpaceTrack, ca_file: Path, budget: RequestBudget | None = None
) -> SpacetrackSource:
    return source_for(fake, ca_file, timeout_s=1.0, budget=budget, include_cui=True)


def cui_file(fake: FakeSpaceTrack, file_id: int, uploaded: dt.datetime) -> dict[int, dict]:
    """A CUI file: new Alpha-5 objects, plus copies of GP objects with moved elements whose
    epochs are closer to now (the first 10) or farther (the next 10) than the GP ones."""
    now = dt.datetime.now(dt.UTC)
    records = {}
    for i in range(30):
        records[100000 + i] = one(100000 + i, now - dt.timedelta(hours=2), 10.0 + i)
    for i, gp in enumerate(fake.records[:20]):
        gp_epoch = dt.datetime.fromisoformat(gp["EPOCH"]).replace(tzinfo=dt.UTC)
        distance = abs(now - gp_epoch)
        closer = i < 10
        epoch = now - (distance / 2 if closer else distance + dt.timedelta(hours=6))
        records[int(gp["NORAD_CAT_ID"])] = one(int(gp["NORAD_CAT_ID"]), epoch, 200.0 + i)
    fake.cui_files.append(CuiFile(file_id, uploaded, render_all(records.values())))
    return records


@pytest.fixture
async def rig(engine_socket: Path, fake: FakeSpaceTrack, ca_file: Path) -> AsyncIterator[Rig]:
    rig = Rig(engine_socket, cui_source(fake, ca_file))
    yield rig
    await rig.close()


async def test_refresh_merges_the_cui_file_and_skips_a_held_download(
    rig: Rig, fake: FakeSpaceTrack, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    t0 = dt.datetime.now(dt.UTC) - dt.timedelta(days=1)
    cui = cui_file(fake, 501, t0)
    assert await rig.refresher.refresh_once() == "ok"
    download = "/fileshare/query/class/download/file_id/501"
    assert fake.requests == {LOGIN: 1, GP_QUERY: 1, FILESHARE_LIST: 1, download: 1, LOGOUT: 1}
    assert rig.catalog.current is not None
    merged = {r["NORAD_CAT_ID"]: r for r in rig.catalog.current.records}
    assert len(merged) == COUNT + 30
    held = await rig.ping_catalog()
    assert held is not None
    assert held["objects"] == COUNT + 30
    for i, gp in enumerate(fake.records[:20]):
        norad = int(gp["NORAD_CAT_ID"])
        expected = cui[norad]["MEAN_ANOMALY"] if i < 10 else float(gp["MEAN_ANOMALY"])
        assert merged[norad]["MEAN_ANOMALY"] == pytest.approx(expected, abs=1e-4), i
    for norad in range(100000, 100030):
        assert merged[norad]["MEAN_ANOMALY"] == pytest.approx(cui[norad]["MEAN_ANOMALY"])

    # The same newest file: no second download.
    assert await rig.refresher.refresh_once() == "ok"
    assert fake.requests[download] == 1
    assert fake.requests[FILESHARE_LIST] == 2
    assert len(rig.catalog.current.records) == COUNT + 30

    # A newer file is downloaded, an older one is not.
    cui_file(fake, 400, t0 - dt.timedelta(days=3))
    cui_file(fake, 502, t0 + dt.timedelta(hours=12))
    assert await rig.refresher.refresh_once() == "ok"
    assert fake.requests["/fileshare/query/class/download/file_id/502"] == 1
    assert fake.requests["/fileshare/query/class/download/file_id/400"] == 0
    assert SECRET not in caplog.text
    assert "2 10000" not in caplog.text


@pytest.mark.parametrize(
    ("fault", "outcome"),
    [
        ("403", "cui_forbidden"),
        ("empty_folder", "cui_empty"),
        ("cut", "cui_truncated"),
        ("content_type", "cui_bad_response"),
        ("slow", "cui_timeout"),
    ],
)
async def test_a_cui_failure_is_a_failed_refresh_and_the_old_catalog_stays(
    rig: Rig, fake: FakeSpaceTrack, caplog: pytest.LogCaptureFixture, fault: str, outcome: str
) -> None:
    caplog.set_level(logging.DEBUG)
    t0 = dt.datetime.now(dt.UTC) - dt.timedelta(days=1)
    cui_file(fake, 1, t0)
    assert await rig.refresher.refresh_once() == "ok"
    before = await rig.ping_catalog()
    assert before is not None
    cui_file(fake, 2, t0 + dt.timedelta(hours=1))  # a new file, so the download is attempted
    fake.cui_fault = fault
    assert await rig.refresher.refresh_once() == outcome
    assert await rig.ping_catalog() == before  # same generation, same objects
    assert rig.catalog.current is not None
    assert len(rig.catalog.current.records) == COUNT + 30
    assert rig.metric("satveto_cui_failures_total", outcome=outcome) == 1
    assert rig.refreshes(outcome) == 1
    assert SECRET not in caplog.text
    assert any(outcome in str(getattr(r, "outcome", "")) for r in caplog.records)

    fake.cui_fault = None  # recovers at the next refresh, with the new file
    assert await rig.refresher.refresh_once() == "ok"
    assert fake.requests["/fileshare/query/class/download/file_id/2"] >= 1


async def test_a_cui_refresh_reserves_its_five_requests(
    engine_socket: Path, fake: FakeSpaceTrack, ca_file: Path
) -> None:
    cui_file(fake, 1, dt.datetime.now(dt.UTC))
    rig = Rig(engine_socket, cui_source(fake, ca_file, RequestBudget(((4, 60.0),))))
    try:
        assert await rig.refresher.refresh_once() == "budget_exhausted"
        assert fake.total == 0  # nothing sent: a session is never left without its logout
    finally:
        await rig.close()
    budget = RequestBudget(((5, 60.0),))
    rig = Rig(engine_socket, cui_source(fake, ca_file, budget))
    try:
        assert await rig.refresher.refresh_once() == "ok"
        assert budget.sent_within(60.0) == 5
        assert fake.total == 5
    finally:
        await rig.close()
