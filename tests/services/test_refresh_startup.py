"""Frontend start: adopt a young engine catalog from the same source, else fetch at once."""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import trustme

from fake_spacetrack import FakeSpaceTrack, Rig, running_fake, source_for, wait_for, write_ca_file
from satveto.catalog.synthetic import build_demo_catalog
from satveto.engine.rpc import EngineClient
from satveto.services.catalog import CatalogService
from satveto.services.refresh import RefreshPolicy

COUNT = 200
INTERVAL = 3600.0


@pytest.fixture
async def fake(tls_files: tuple[Path, Path]) -> AsyncIterator[FakeSpaceTrack]:
    async with running_fake(tls_files, count=COUNT) as server:
        yield server


@pytest.fixture
def ca_file(tls_ca: trustme.CA, tmp_path: Path) -> Path:
    return write_ca_file(tls_ca, tmp_path)


async def preload(socket_path: Path, source: str, fetched_at_unix: float) -> str:
    """What an earlier frontend process left in the engine; returns its generation."""
    records = build_demo_catalog(dt.datetime.now(dt.UTC), count=COUNT)
    client = EngineClient(socket_path, timeout_s=5.0)
    try:
        report = await CatalogService(client, 0.8).install(records, fetched_at_unix, source)
    finally:
        await client.close()
    return report.generation


async def test_young_catalog_of_the_same_source_is_adopted_without_a_fetch(
    engine_socket: Path, fake: FakeSpaceTrack, ca_file: Path
) -> None:
    fetched_at = time.time() - 100.0
    generation = await preload(engine_socket, "spacetrack", fetched_at)
    rig = Rig(engine_socket, source_for(fake, ca_file), interval_s=INTERVAL)
    try:
        await rig.refresher.start()
        # The refresh loop has scheduled its first refresh: adopted, no fetch before `due`.
        await wait_for(lambda: rig.refresher.next_refresh_at_unix is not None)
        assert fake.total == 0
        due = rig.refresher.next_refresh_at_unix
        assert due is not None
        # Scheduled from the adopted catalog's fetch time, not from now.
        assert fetched_at + INTERVAL - 1 <= due <= fetched_at + 1.1 * INTERVAL + 1
        assert 99 <= rig.metric("satveto_catalog_age_seconds") < 130
        assert rig.metric("satveto_catalog_objects") == COUNT
        assert rig.catalog.current is None  # the documented trade-off: no copy in memory
        held = await rig.ping_catalog()
        assert held is not None
        assert held["generation"] == generation
    finally:
        await rig.close()


@pytest.mark.parametrize(
    ("source", "age_s"),
    [("spacetrack", 172800.0 + 60.0), ("demo", 100.0), (None, 0.0)],
    ids=["too-old", "other-source", "empty-engine"],
)
async def test_otherwise_the_catalog_is_fetched_at_once(
    engine_socket: Path, fake: FakeSpaceTrack, ca_file: Path, source: str | None, age_s: float
) -> None:
    if source is not None:
        await preload(engine_socket, source, time.time() - age_s)
    rig = Rig(engine_socket, source_for(fake, ca_file))
    try:
        await rig.refresher.start()
        await wait_for(lambda: rig.refresher.attempts == 1)
        assert rig.refresher.last_outcome == "ok"
        assert fake.queries == 1
        held = await rig.ping_catalog()
        assert held is not None
        assert held["generation"].startswith("spacetrack-")
        assert time.time() - held["fetched_at_unix"] < 30
    finally:
        await rig.close()


async def test_after_adoption_a_much_smaller_catalog_is_still_refused(
    engine_socket: Path, fake: FakeSpaceTrack, ca_file: Path
) -> None:
    generation = await preload(engine_socket, "spacetrack", time.time() - 100.0)
    rig = Rig(engine_socket, source_for(fake, ca_file))
    try:
        await rig.refresher.start()
        fake.fault = "small"
        assert await rig.refresher.refresh_once() == "implausible"
        held = await rig.ping_catalog()
        assert held is not None
        assert held["generation"] == generation
        fake.fault = None
        assert await rig.refresher.refresh_once() == "ok"
    finally:
        await rig.close()


async def test_a_refresh_can_be_requested_and_requests_are_throttled(
    engine_socket: Path, fake: FakeSpaceTrack, ca_file: Path
) -> None:
    # The supervisor asks when a restarted engine has lost a catalog the frontend has no copy
    # of (test_supervision.py); it keeps the gauges, which the refresher never sets.
    await preload(engine_socket, "spacetrack", time.time() - 100.0)
    rig = Rig(engine_socket, source_for(fake, ca_file))
    try:
        await rig.refresher.start()
        rig.metrics.catalog_age.set(12.0)  # the supervisor's value is not overridden
        await wait_for(lambda: rig.refresher.next_refresh_at_unix is not None)
        assert rig.refresher.next_refresh_at_unix > time.time() + 1800.0  # adopted
        assert fake.total == 0
        # E.g. a supervisor asking at every ping: one refresh per backoff step (300 s here),
        # however often asked; an ignored request wakes nothing.
        honoured = [rig.refresher.request_refresh() for _ in range(5)]
        assert honoured == [True, False, False, False, False]
        await wait_for(lambda: rig.refresher.last_outcome == "ok")
        assert [rig.refresher.request_refresh() for _ in range(5)] == [False] * 5
        assert fake.queries == 1
        assert rig.metric("satveto_catalog_age_seconds") == 12.0
    finally:
        await rig.close()


async def test_a_request_made_during_the_first_fetch_does_not_cause_a_second(
    engine_socket: Path, fake: FakeSpaceTrack, ca_file: Path
) -> None:
    """At start on an empty engine, the supervisor asks for a refresh while the first fetch
    runs; that fetch answers the request, so space-track sees one login and one query."""
    fake.fault, fake.slow_s = "slow", 0.5  # the request lands while the body is in flight
    # Requests 50 ms apart are honoured: the supervisor's, made at start (before the loop
    # ran), and the one below, made while the first fetch's body is arriving.
    policy = RefreshPolicy(interval_s=INTERVAL, backoff_initial_s=0.05, backoff_max_s=0.1)
    rig = Rig(engine_socket, source_for(fake, ca_file), policy=policy)
    try:
        await rig.refresher.start()
        await wait_for(lambda: fake.queries == 1)  # the first fetch's query is in flight
        await wait_for(rig.refresher.request_refresh)
        assert rig.refresher.last_outcome is None  # still the first fetch
        await wait_for(lambda: rig.refresher.last_outcome == "ok")
        # No event shows that the loop went back to sleep rather than fetching again (its wait
        # is not observable): a second fetch would start at once, so a second is ample.
        await asyncio.sleep(1.0)
        assert fake.logins == 1
        assert fake.queries == 1
    finally:
        await rig.close()
