"""services/catalog.py on the fake engine: what becomes current, and the size floor.

A catalog is current (the one a restarted engine is reloaded with) only once the engine
accepted it; a new catalog must hold at least ``catalog.min_fraction`` of the one in hand.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from fake_engine import FakeHarness
from satveto.engine.rpc import EngineClient, EngineRpcError, EngineUnavailable
from satveto.services.catalog import CatalogRefused, CatalogService


def records(count: int) -> list[dict[str, Any]]:
    return [{"NORAD_CAT_ID": n} for n in range(1, count + 1)]


async def drop_dead_connections(engine: EngineClient) -> None:
    """Pings until one is answered: pooled connections to the old engine fail once each."""
    for _ in range(8):
        try:
            await engine.call("ping", {})
            return
        except EngineUnavailable:
            continue
    raise AssertionError("the restarted engine does not answer")


@pytest.fixture
async def harness(tmp_path: Path) -> AsyncIterator[FakeHarness]:
    harness = FakeHarness(tmp_path / "engine.sock")
    await harness.start()
    yield harness
    await harness.close()


@pytest.fixture
async def engine(harness: FakeHarness) -> AsyncIterator[EngineClient]:
    client = EngineClient(harness.socket_path, timeout_s=5.0)
    yield client
    await client.close()


async def test_a_catalog_the_engine_refuses_never_becomes_current(
    harness: FakeHarness, engine: EngineClient
) -> None:
    service = CatalogService(engine, 0.8)
    first = await service.install(records(100), time.time() - 60.0, "test")
    harness.fake.errors["load_catalog"] = ("invalid_params", "objects: no object accepted")
    with pytest.raises(EngineRpcError):
        await service.install(records(120), time.time(), "test")
    assert service.current is not None
    assert (service.current.generation, len(service.current.records)) == (first.generation, 100)
    # A restarted engine gets the accepted catalog back, not the refused one.
    harness.fake.clear_faults()
    await harness.restart()
    await drop_dead_connections(engine)
    assert await service.reload_engine_if_needed(None) is True
    assert harness.fake.catalog is not None
    assert (harness.fake.catalog["generation"], harness.fake.catalog["objects"]) == (
        first.generation,
        100,
    )


async def test_the_size_floor_is_catalog_min_fraction_of_the_catalog_in_hand(
    harness: FakeHarness, engine: EngineClient
) -> None:
    service = CatalogService(engine, 0.75)
    # Without a catalog in hand only an empty one is refused, unless the engine's count stands in.
    with pytest.raises(CatalogRefused, match="empty"):
        service.check_plausible(0)
    service.check_plausible(1)
    with pytest.raises(CatalogRefused, match=r"74 objects, fewer than 0\.75 of the 100 in hand"):
        service.check_plausible(74, reference_count=100)
    service.check_plausible(75, reference_count=100)
    # With one in hand: 75 of 100 is at the floor, 74 below it, whatever the engine reports.
    await service.install(records(100), time.time(), "test")
    service.check_plausible(75, reference_count=1000)
    with pytest.raises(CatalogRefused, match="74 objects"):
        await service.install(records(74), time.time(), "test")
    assert harness.fake.count("load_catalog") == 1  # the refused one never reached the engine
    assert (await service.install(records(75), time.time(), "test")).accepted == 75
