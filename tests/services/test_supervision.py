"""The supervisor owns the engine's lifecycle: restarts, reloads, the catalog gauges, readiness.

Against the real engine binary (killed with SIGKILL to restart it), the fake space-track and the
refresher wired to the supervisor as the application wires them (fake_spacetrack.Rig).  The
veto path's side of the supervisor (the freshness gate, resync on ``unknown_visit``) is in
test_api_failsafe.py.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import trustme

from fake_spacetrack import (
    FakeSpaceTrack,
    Rig,
    kill_and_restart,
    running_fake,
    source_for,
    wait_for,
    write_ca_file,
)
from satveto.catalog.sources import DemoSource
from satveto.catalog.synthetic import build_demo_catalog
from satveto.engine.process import EngineProcess
from satveto.engine.rpc import EngineClient
from satveto.services.catalog import CatalogService
from satveto.services.refresh import RefreshPolicy

COUNT = 200
MAX_AGE = 3600.0
STALE_LOG = "older than catalog.max_age_s"


@pytest.fixture
async def fake(tls_files: tuple[Path, Path]) -> AsyncIterator[FakeSpaceTrack]:
    async with running_fake(tls_files, count=COUNT) as server:
        yield server


@pytest.fixture
def ca_file(tls_ca: trustme.CA, tmp_path: Path) -> Path:
    return write_ca_file(tls_ca, tmp_path)


async def test_a_restart_is_noticed_and_the_engine_reloaded_without_a_fetch(
    engine_process: EngineProcess, fake: FakeSpaceTrack, ca_file: Path
) -> None:
    rig = Rig(engine_process.socket_path, source_for(fake, ca_file))
    try:
        assert await rig.refresher.refresh_once() == "ok"
        before = await rig.held_catalog()
        assert before is not None
        await rig.supervisor.poll()  # the instance the restart is measured against
        await kill_and_restart(engine_process)
        assert await rig.held_catalog() is None
        for _ in range(8):  # a stale pooled socket may eat a ping or two
            if (await rig.supervisor.poll()).catalog is not None:
                break
        after = await rig.held_catalog()
        assert after is not None
        assert (after["generation"], after["objects"]) == (before["generation"], COUNT)
        assert rig.metric("satveto_engine_restarts_detected_total") == 1
        assert fake.queries == 1
    finally:
        await rig.close()


async def test_a_restart_after_adoption_makes_the_supervisor_ask_for_a_fetch(
    engine_process: EngineProcess, fake: FakeSpaceTrack, ca_file: Path
) -> None:
    """An adopted catalog has no copy in memory: only a fetch can restore it."""
    records = build_demo_catalog(dt.datetime.now(dt.UTC), count=COUNT)
    loader = EngineClient(engine_process.socket_path, timeout_s=5.0)
    try:
        await CatalogService(loader, 0.8).install(records, time.time() - 100.0, "spacetrack")
    finally:
        await loader.close()
    policy = RefreshPolicy(interval_s=3600.0)
    rig = Rig(
        engine_process.socket_path, source_for(fake, ca_file), policy=policy, supervise_s=0.05
    )
    try:
        await rig.start()
        # Adopted: the refresh loop scheduled its first refresh an interval away, fetching nothing.
        await wait_for(lambda: rig.refresher.next_refresh_at_unix is not None)
        assert rig.refresher.next_refresh_at_unix > time.time() + 1800.0
        assert fake.total == 0
        assert rig.metric("satveto_catalog_objects") == COUNT
        await kill_and_restart(engine_process)
        await wait_for(lambda: rig.refresher.last_outcome == "ok")
        assert fake.queries == 1
        held = await rig.held_catalog()
        assert held is not None
        assert held["objects"] == COUNT
        assert rig.metric("satveto_engine_restarts_detected_total") == 1
    finally:
        await rig.close()


async def test_gauges_readiness_and_the_stale_log_follow_the_catalog_in_force(
    engine_socket: Path, caplog: pytest.LogCaptureFixture
) -> None:
    lag = [MAX_AGE + 400.0]  # how far in the past the demo source says it was fetched
    source = DemoSource(count=COUNT, clock=lambda: time.time() - lag[0])
    rig = Rig(engine_socket, source, max_age_s=MAX_AGE)
    try:
        # Before any ping nothing is known: +inf, so that an age alert fires rather than 0.
        assert rig.metric("satveto_catalog_age_seconds") == float("inf")
        assert await rig.refresher.refresh_once() == "ok"
        assert rig.metric("satveto_catalog_age_seconds") == float("inf")  # not the refresher's
        with caplog.at_level(logging.ERROR, logger="satveto.supervision"):
            readiness = await rig.readiness.check()
            await rig.supervisor.poll()
        assert not readiness.ready
        assert readiness.reason == f"catalog is {MAX_AGE + 400:.0f} s old (limit {MAX_AGE:.0f} s)"
        assert MAX_AGE + 400 <= rig.metric("satveto_catalog_age_seconds") < MAX_AGE + 460
        assert rig.metric("satveto_catalog_objects") == COUNT
        stale = [r for r in caplog.records if STALE_LOG in r.getMessage()]
        assert len(stale) == 1  # once per crossing of the limit, not at every ping
        lag[0] = 0.0
        assert await rig.refresher.refresh_once() == "ok"
        assert (await rig.readiness.check()).ready
        assert rig.metric("satveto_catalog_age_seconds") < 60
    finally:
        await rig.close()


async def test_readiness_pings_through_the_supervisor_which_reloads_a_restarted_engine(
    engine_process: EngineProcess, fake: FakeSpaceTrack, ca_file: Path
) -> None:
    """A readiness probe right after an engine restart sees the catalog put back, not a gap."""
    rig = Rig(engine_process.socket_path, source_for(fake, ca_file))
    try:
        assert await rig.refresher.refresh_once() == "ok"
        assert (await rig.readiness.check()).ready
        await kill_and_restart(engine_process)
        for _ in range(8):  # a stale pooled socket may eat a ping or two
            readiness = await rig.readiness.check()
            if not readiness.reason.startswith("engine unavailable"):
                break
        assert readiness.ready, readiness.reason
        assert readiness.catalog_objects == COUNT
        assert rig.metric("satveto_engine_restarts_detected_total") == 1
        assert fake.queries == 1
    finally:
        await rig.close()


async def test_no_engine_is_not_ready_and_has_no_catalog_age(tmp_path: Path) -> None:
    rig = Rig(tmp_path / "nobody.sock", DemoSource(count=COUNT))
    try:
        readiness = await rig.readiness.check()
        assert not readiness.ready
        assert readiness.reason.startswith("engine unavailable: ")
        assert (readiness.catalog_age_s, readiness.catalog_objects) == (None, 0)
        assert rig.metric("satveto_catalog_age_seconds") == float("inf")
    finally:
        await rig.close()
