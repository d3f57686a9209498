"""register_visit, filter_sources, drop_visit, configure over the real engine socket.

These check the methods' contract (validation, idempotency, conflicts, caching).  Whether the
veto is *right* is checked against the brute-force oracle in test_matching_oracle.py.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from satveto.catalog.synthetic import build_demo_catalog
from satveto.engine.process import EngineProcess
from satveto.engine.rpc import EngineRpcError
from support import BlockingEngineClient

NOW = dt.datetime(2026, 11, 21, 6, 0, tzinfo=dt.UTC)
MJD = 40587.0 + NOW.timestamp() / 86400.0


def visit(visit_id: int = 1, **changes: object) -> dict:
    fields = {
        "visit_id": visit_id,
        "exposure_start_mjd": MJD,
        "exposure_end_mjd": MJD + 30 / 86400,
        "boresight_ra": 150.1,
        "boresight_dec": -30.2,
        "rotation_deg": 12.5,
        "time_scale": "utc",  # MJD above is a UTC instant
    }
    fields.update(changes)
    return fields


@pytest.fixture(scope="module")
def catalog() -> list[dict]:
    return build_demo_catalog(NOW, count=2000)


@pytest.fixture
def loaded(engine_rpc: BlockingEngineClient, catalog: list[dict]) -> BlockingEngineClient:
    engine_rpc.call(
        "load_catalog", {"generation": "g", "fetched_at_unix": time.time(), "objects": catalog}
    )
    return engine_rpc


def sources(n: int = 3) -> dict:
    return {
        "ids": list(range(1, n + 1)),
        "bboxes": [[10 * i, 10 * i, 10 * i + 5, 10 * i + 5] for i in range(n)],
    }


def test_register_visit_needs_a_catalog(engine_rpc: BlockingEngineClient) -> None:
    with pytest.raises(EngineRpcError) as error:
        engine_rpc.call("register_visit", visit())
    assert error.value.code == "no_catalog"


def test_register_is_idempotent_and_conflicts_are_refused(loaded: BlockingEngineClient) -> None:
    first = loaded.call("register_visit", visit())
    assert first["visit_id"] == 1
    assert first["elapsed_ms"] > 0  # this call's time: the precompute runs in the background
    again = loaded.call("register_visit", visit())
    assert again["visit_id"] == 1  # same answer, nothing recomputed
    with pytest.raises(EngineRpcError) as error:
        loaded.call("register_visit", visit(boresight_ra=151.0))
    assert error.value.code == "visit_conflict"
    assert error.value.message.startswith("visit_id:")
    assert loaded.call("visit_tracks", {"visit_id": 1})["elapsed_ms"] > 0  # waits for it
    assert loaded.call("register_visit", visit())["visit_id"] == 1  # and once cached
    assert loaded.call("stats")["visits"]["registered"] == 1


def test_rotation_absent_is_a_different_visit(loaded: BlockingEngineClient) -> None:
    loaded.call("register_visit", visit())
    without = visit()
    del without["rotation_deg"]
    with pytest.raises(EngineRpcError) as error:
        loaded.call("register_visit", without)
    assert error.value.code == "visit_conflict"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"visit_id": -1}, "visit_id"),
        ({"exposure_start_mjd": "today"}, "exposure_start_mjd"),
        ({"exposure_end_mjd": MJD - 1e-6}, "exposure_end_mjd"),
        ({"exposure_end_mjd": MJD + 2 / 24}, "exposure_end_mjd"),
        ({"boresight_ra": 360.0}, "boresight_ra"),
        ({"boresight_dec": -90.5}, "boresight_dec"),
        ({"rotation_deg": float("inf")}, "rotation_deg"),
        ({"exposure_start_mjd": 1.0, "exposure_end_mjd": 1.1}, "exposure_start_mjd"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_register_visit_names_the_bad_field(
    loaded: BlockingEngineClient, changes: dict, field: str
) -> None:
    with pytest.raises(EngineRpcError) as error:
        loaded.call("register_visit", visit(**changes))
    assert error.value.code == "invalid_params"
    assert error.value.message.startswith(f"{field}:")


def test_filter_unknown_visit_then_embedded_visit(loaded: BlockingEngineClient) -> None:
    request = {"visit_id": 7, "detector_id": 94, **sources()}
    with pytest.raises(EngineRpcError) as error:
        loaded.call("filter_sources", request)
    assert error.value.code == "unknown_visit"
    result = loaded.call("filter_sources", {**request, "visit": visit(7)})
    # Exactly what the same exposure registered the ordinary way gives.
    loaded.call("register_visit", visit(9))
    registered = loaded.call("filter_sources", {**request, "visit_id": 9})
    assert result == registered
    assert loaded.call("filter_sources", request) == result  # now registered
    with pytest.raises(EngineRpcError) as error:
        loaded.call("filter_sources", {**request, "visit": visit(7, boresight_dec=-31.0)})
    assert error.value.code == "visit_conflict"
    with pytest.raises(EngineRpcError) as error:
        loaded.call("filter_sources", {**request, "visit": visit(8)})
    assert error.value.message.startswith("visit:")


def test_allowed_ids_keep_input_order(loaded: BlockingEngineClient) -> None:
    loaded.call("register_visit", visit())
    ids = [50, 3, 99, 12, 7]
    boxes = [[5 * i, 5 * i, 5 * i + 3, 5 * i + 3] for i in range(5)]
    allowed = loaded.call(
        "filter_sources", {"visit_id": 1, "detector_id": 10, "ids": ids, "bboxes": boxes}
    )["allowed"]
    assert allowed == [i for i in ids if i in allowed]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"detector_id": 205}, "detector_id"),
        ({"detector_id": -1}, "detector_id"),
        ({"ids": [1, 2, 2]}, "ids[2]"),
        ({"ids": [1, 2]}, "bboxes"),
        ({"bboxes": [[0, 0, 1, 1], [5, 5, 4, 6], [0, 0, 0, 0]]}, "bboxes[1]"),
        ({"bboxes": [[0, 0, 1, 1], [0, 0, 4100, 6], [0, 0, 0, 0]]}, "bboxes[1]"),
        ({"bboxes": [[0, 0, 1, 1], [0, 0, 1], [0, 0, 0, 0]]}, "bboxes[1]"),
        ({"bboxes": [[0, 0, 1, 1], [0, 0, 1, 1.5], [0, 0, 0, 0]]}, "bboxes[1][3]"),
        ({"wcs": {"crval": [150.0, -30.0], "crpix": [1, 1]}}, "wcs.cd"),
        ({"wcs": {"crval": [150.0], "crpix": [1, 1], "cd": [[1e-5, 0], [0, 1e-5]]}}, "wcs.crval"),
        ({"wcs": {"crval": [150.0, -30.0], "crpix": [1, 1], "cd": [[0, 0], [0, 0]]}}, "wcs.cd"),
        ({"extra": 1}, "extra"),
    ],
)
def test_filter_sources_names_the_bad_field(
    loaded: BlockingEngineClient, changes: dict, field: str
) -> None:
    loaded.call("register_visit", visit())
    request = {"visit_id": 1, "detector_id": 94, **sources(), **changes}
    with pytest.raises(EngineRpcError) as error:
        loaded.call("filter_sources", request)
    assert error.value.code == "invalid_params"
    assert error.value.message.startswith(f"{field}:")


def test_drop_visit_forgets_it(loaded: BlockingEngineClient) -> None:
    loaded.call("register_visit", visit())
    assert loaded.call("drop_visit", {"visit_id": 1}) == {}
    assert loaded.call("drop_visit", {"visit_id": 1}) == {}  # unknown is fine
    with pytest.raises(EngineRpcError) as error:
        loaded.call("filter_sources", {"visit_id": 1, "detector_id": 94, **sources()})
    assert error.value.code == "unknown_visit"


@pytest.fixture
def small_cache_engine(tmp_path: Path, catalog: list[dict]) -> Iterator[BlockingEngineClient]:
    engine = EngineProcess(tmp_path / "e.sock", ["--visit-cache-size", "3"])
    engine.start()
    asyncio.run(engine.wait_ready())
    client = BlockingEngineClient(engine.socket_path)
    client.call("load_catalog", {"generation": "g", "fetched_at_unix": 1.0, "objects": catalog})
    yield client
    client.close()
    assert engine.stop() == 0


def test_visit_cache_is_bounded_lru(small_cache_engine: BlockingEngineClient) -> None:
    client = small_cache_engine
    for visit_id in (1, 2, 3):
        client.call("register_visit", visit(visit_id))
        client.call("visit_tracks", {"visit_id": visit_id})  # waits for the background precompute
    client.call("filter_sources", {"visit_id": 1, "detector_id": 94, **sources()})  # 1 is fresh
    client.call("register_visit", visit(4))  # evicts 2, the least recently used
    client.call("visit_tracks", {"visit_id": 4})
    stats = client.call("stats")["visits"]
    assert stats["cached"] == 3
    assert stats["evictions"] == 1
    with pytest.raises(EngineRpcError):
        client.call("filter_sources", {"visit_id": 2, "detector_id": 94, **sources()})
    client.call("filter_sources", {"visit_id": 1, "detector_id": 94, **sources()})


def test_configure_checks_and_applies(loaded: BlockingEngineClient) -> None:
    assert loaded.call("configure", {"tolerance": {"min_arcsec": 30.0}}) == {}
    with pytest.raises(EngineRpcError) as error:
        loaded.call("configure", {"tolerance": {"min_arcsec": -1}})
    assert error.value.message.startswith("tolerance.min_arcsec:")
    with pytest.raises(EngineRpcError) as error:
        loaded.call("configure", {"site": {"latitude_deg": 91, "longitude_deg": 0, "height_m": 0}})
    assert error.value.message.startswith("site.latitude_deg:")
    with pytest.raises(EngineRpcError) as error:
        loaded.call("configure", {"tolerance": {"e_km": 1}})
    assert error.value.message.startswith("tolerance.e_km:")


def test_wider_corridor_never_allows_more(loaded: BlockingEngineClient) -> None:
    """Monotonicity: a wider tolerance vetoes a superset of what a narrower one vetoes."""
    grid = [[x, y, x + 8, y + 8] for x in range(0, 4000, 400) for y in range(0, 3900, 400)]
    request = {"detector_id": 94, "ids": list(range(len(grid))), "bboxes": grid}
    results = []
    for visit_id, width in ((11, 5.0), (12, 600.0)):
        loaded.call("configure", {"tolerance": {"min_arcsec": width}})
        loaded.call("register_visit", visit(visit_id, boresight_ra=200.0, boresight_dec=-10.0))
        results.append(
            set(loaded.call("filter_sources", {"visit_id": visit_id, **request})["allowed"])
        )
    assert results[1] <= results[0]
