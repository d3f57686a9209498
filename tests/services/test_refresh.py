"""The refresh: good data reaches the engine, faults keep the old catalog, limits hold."""

from __future__ import annotations

import itertools
import logging
import random
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import trustme

from fake_spacetrack import (
    GP_QUERY,
    LOGIN,
    LOGOUT,
    FakeSpaceTrack,
    Rig,
    running_fake,
    source_for,
    wait_for,
    write_ca_file,
)
from satveto.engine.process import EngineProcess
from satveto.services.refresh import RefreshPolicy
from satveto.spacetrack import RequestBudget

COUNT = 200


@pytest.fixture
async def fake(tls_files: tuple[Path, Path]) -> AsyncIterator[FakeSpaceTrack]:
    async with running_fake(tls_files, count=COUNT, slow_s=2.0) as server:
        yield server


@pytest.fixture
def ca_file(tls_ca: trustme.CA, tmp_path: Path) -> Path:
    return write_ca_file(tls_ca, tmp_path)


@pytest.fixture
async def rig(engine_socket: Path, fake: FakeSpaceTrack, ca_file: Path) -> AsyncIterator[Rig]:
    rig = Rig(engine_socket, source_for(fake, ca_file, timeout_s=0.5))
    yield rig
    await rig.close()


async def test_good_catalog_ends_up_in_the_engine(rig: Rig, fake: FakeSpaceTrack) -> None:
    assert await rig.refresher.refresh_once() == "ok"
    held = await rig.ping_catalog()
    assert held is not None
    assert held["objects"] == COUNT
    assert held["generation"].startswith("spacetrack-")
    assert fake.requests == {LOGIN: 1, GP_QUERY: 1, LOGOUT: 1}
    assert rig.catalog.current is not None
    assert len(rig.catalog.current.records) == COUNT
    assert rig.refreshes("ok") == 1
    readiness = await rig.readiness.check()  # a supervisor ping: it also sets the gauges
    assert readiness.ready, readiness.reason
    assert rig.metric("satveto_catalog_objects") == COUNT
    assert 0 <= rig.metric("satveto_catalog_age_seconds") < 60


@pytest.mark.parametrize(
    ("fault", "outcome"),
    [
        ("401", "login_failed"),
        ("429", "rate_limited"),
        ("500", "server_error"),
        ("login_500", "server_error"),
        ("html", "bad_response"),
        ("truncated", "bad_response"),
        ("slow", "timeout"),
        ("empty", "empty"),
        ("all_bad", "empty"),
        ("small", "implausible"),
    ],
)
async def test_a_fault_keeps_the_old_catalog_and_the_service_ready(
    rig: Rig, fake: FakeSpaceTrack, fault: str, outcome: str
) -> None:
    assert await rig.refresher.refresh_once() == "ok"
    before = await rig.ping_catalog()
    assert before is not None
    fake.fault = fault
    assert await rig.refresher.refresh_once() == outcome
    after = await rig.ping_catalog()
    assert after is not None
    assert (after["generation"], after["objects"]) == (before["generation"], COUNT)
    assert rig.catalog.current is not None
    assert rig.catalog.current.generation == after["generation"]
    assert rig.refreshes(outcome) == 1
    readiness = await rig.readiness.check()
    assert readiness.ready, readiness.reason
    assert fake.logins == 2  # one login per refresh, never a retry inside one


async def test_bad_records_are_dropped_and_counted_by_reason(
    rig: Rig, fake: FakeSpaceTrack
) -> None:
    fake.fault = "bad_records"  # every 10th record: alternately a wrong type, an out-of-range
    assert await rig.refresher.refresh_once() == "ok"
    held = await rig.ping_catalog()
    assert held is not None
    assert held["objects"] == COUNT - COUNT // 10
    assert rig.metric("satveto_catalog_records_rejected_total", reason="wrong_type") == 10
    assert rig.metric("satveto_catalog_records_rejected_total", reason="out_of_range") == 10


async def test_duplicate_ids_are_dropped_and_counted(rig: Rig, fake: FakeSpaceTrack) -> None:
    fake.fault = "duplicates"
    assert await rig.refresher.refresh_once() == "ok"
    held = await rig.ping_catalog()
    assert held is not None
    assert held["objects"] == COUNT
    assert rig.metric("satveto_catalog_records_rejected_total", reason="duplicate_id") == COUNT


def test_policy_delays_are_bounded_and_jittered() -> None:
    policy = RefreshPolicy.for_interval(3600.0)
    assert (policy.backoff_initial_s, policy.backoff_max_s) == (300.0, 3600.0)
    rng = random.Random(1)
    for _ in range(200):
        assert 3600.0 <= policy.interval_delay(rng) <= 3960.0  # never sooner than configured
    for failures, ceiling in [(1, 300), (2, 600), (3, 1200), (4, 2400), (5, 3600), (60, 3600)]:
        delays = [policy.backoff_delay(failures, rng) for _ in range(200)]
        assert all(ceiling / 2 <= d <= ceiling for d in delays)
        assert len(set(delays)) > 100  # jittered
    assert RefreshPolicy.for_interval(60.0).backoff_initial_s == 60.0


async def test_failed_refreshes_back_off_exponentially(
    engine_socket: Path, fake: FakeSpaceTrack, ca_file: Path
) -> None:
    policy = RefreshPolicy(interval_s=10.0, backoff_initial_s=0.04, backoff_max_s=0.32)
    rig = Rig(engine_socket, source_for(fake, ca_file), policy=policy)
    fake.fault = "500"
    try:
        await rig.refresher.start()
        await wait_for(lambda: rig.refresher.attempts >= 6)
    finally:
        await rig.close()
    logins = [t for t, path in fake.log if path == LOGIN]
    gaps = [b - a for a, b in itertools.pairwise(logins)]
    for failures, gap in enumerate(gaps[:5], start=1):
        ceiling = min(0.32, 0.04 * 2 ** (failures - 1))
        assert gap >= ceiling / 2 - 0.005, (failures, gap)
    assert fake.logins == fake.queries == rig.refresher.attempts  # one login per refresh


async def test_retry_after_of_a_429_lengthens_the_wait(
    engine_socket: Path, fake: FakeSpaceTrack, ca_file: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="satveto.refresh")
    policy = RefreshPolicy(interval_s=10.0, backoff_initial_s=0.01, backoff_max_s=0.02)
    rig = Rig(engine_socket, source_for(fake, ca_file), policy=policy)
    fake.fault = "429"  # with Retry-After: 2

    def scheduled() -> list[float]:
        return [
            record.next_refresh_in_s  # type: ignore[attr-defined]
            for record in caplog.records
            if record.getMessage() == "next catalog refresh scheduled"
        ]

    try:
        await rig.refresher.start()
        # The loop has decided when to try again: the backoff alone (0.01 s) would retry at
        # once, the server's Retry-After puts it 2 s away.
        await wait_for(lambda: scheduled())
    finally:
        await rig.close()
    assert scheduled() == [2.0]
    assert (rig.refresher.attempts, fake.queries) == (1, 1)


async def test_the_request_budget_caps_a_failing_loop(
    engine_socket: Path, fake: FakeSpaceTrack, ca_file: Path
) -> None:
    # A budget of 7 requests a minute and a server that fails every query: the loop keeps
    # trying on a tiny backoff, but only two whole fetches (6 requests) are ever sent.
    budget = RequestBudget(limits=((7, 60.0), (300, 3600.0)))
    policy = RefreshPolicy(interval_s=10.0, backoff_initial_s=0.01, backoff_max_s=0.02)
    rig = Rig(engine_socket, source_for(fake, ca_file, budget=budget), policy=policy)
    fake.fault = "500"
    try:
        await rig.refresher.start()
        await wait_for(lambda: rig.refreshes("budget_exhausted") >= 1)
    finally:
        await rig.close()
    assert fake.total == 6
    assert fake.logins == 2
    assert rig.refreshes("server_error") == 2


async def test_published_limits_hold_for_back_to_back_refreshes(
    rig: Rig, fake: FakeSpaceTrack
) -> None:
    # Refreshes forced as fast as possible: 10 fetches (30 requests) fit in the minute.
    outcomes = [await rig.refresher.refresh_once() for _ in range(12)]
    assert outcomes == ["ok"] * 10 + ["budget_exhausted"] * 2
    assert fake.total == 30
    first, last = fake.log[0][0], fake.log[-1][0]
    assert last - first < 60.0  # so all 30 were in one minute: the limit, not more


async def test_successful_refreshes_follow_the_interval(
    engine_socket: Path, fake: FakeSpaceTrack, ca_file: Path
) -> None:
    policy = RefreshPolicy(interval_s=0.15)
    rig = Rig(engine_socket, source_for(fake, ca_file), policy=policy)
    try:
        await rig.refresher.start()
        await wait_for(lambda: rig.refresher.attempts >= 4)
    finally:
        await rig.close()
    queries = [t for t, path in fake.log if path == GP_QUERY]
    assert all(b - a >= 0.15 for a, b in itertools.pairwise(queries))
    assert rig.refreshes("ok") >= 4


async def test_catalog_the_engine_could_not_take_is_installed_later_without_a_new_fetch(
    tmp_path: Path, fake: FakeSpaceTrack, ca_file: Path
) -> None:
    socket_path = tmp_path / "later.sock"
    rig = Rig(socket_path, source_for(fake, ca_file))
    engine = EngineProcess(socket_path)
    try:
        assert await rig.refresher.refresh_once() == "engine_unavailable"
        engine.start()
        await engine.wait_ready()
        assert await rig.refresher.refresh_once() == "ok"
        held = await rig.ping_catalog()
        assert held is not None
        assert held["objects"] == COUNT
        assert fake.queries == 1
    finally:
        await rig.close()
        engine.stop()
