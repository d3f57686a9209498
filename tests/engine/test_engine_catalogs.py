"""The engine holds the current catalog and named historical ones side by side.

Visits name the catalog they are matched against and keep its tracks; loading, replacing or
dropping one catalog never disturbs visits on another, under concurrent requests too.  The
moved-object check uses the engine's own ``observe`` to put the boresight on an object's
position, and ``visit_tracks`` to see which objects can veto in that visit.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from satveto.catalog.synthetic import build_demo_catalog
from satveto.engine.rpc import EngineRpcError
from support import BlockingEngineClient

NOW = dt.datetime(2026, 11, 21, 6, 0, tzinfo=dt.UTC)
MJD = 40587.0 + NOW.timestamp() / 86400.0
COUNT = 1500


def rpc_error(client: BlockingEngineClient, method: str, params: dict[str, Any]) -> EngineRpcError:
    with pytest.raises(EngineRpcError) as error:
        client.call(method, params)
    return error.value


@pytest.fixture(scope="module")
def then_catalog() -> list[dict[str, Any]]:
    return build_demo_catalog(NOW, count=COUNT)


def moved(records: list[dict[str, Any]], index: int, by_deg: float) -> list[dict[str, Any]]:
    """The same catalog with one object moved along its orbit (its elements changed)."""
    out = [dict(r) for r in records]
    out[index]["MEAN_ANOMALY"] = (out[index]["MEAN_ANOMALY"] + by_deg) % 360.0
    return out


def load(client: BlockingEngineClient, records: list[dict], catalog: str | None, gen: str) -> Any:
    params: dict[str, Any] = {"generation": gen, "fetched_at_unix": 1.0, "objects": records}
    if catalog is not None:
        params["catalog"] = catalog
    return client.call("load_catalog", params)


def visit(visit_id: int, ra: float, dec: float, catalog: str | None) -> dict[str, Any]:
    params: dict[str, Any] = {
        "visit_id": visit_id,
        "exposure_start_mjd": MJD,
        "exposure_end_mjd": MJD + 30 / 86400,
        "boresight_ra": ra,
        "boresight_dec": dec,
        "rotation_deg": 0.0,
    }
    if catalog is not None:
        params["catalog"] = catalog
    return params


def position(client: BlockingEngineClient, record: dict[str, Any]) -> tuple[float, float]:
    seen = client.call("observe", {"elements": record, "mjd": [MJD + 15 / 86400]})
    return seen["ra_deg"][0] % 360.0, seen["dec_deg"][0]


def candidates(client: BlockingEngineClient, visit_id: int) -> set[int]:
    return set(client.call("visit_tracks", {"visit_id": visit_id})["candidates"])


def test_ping_lists_the_historical_catalogs(
    engine_rpc: BlockingEngineClient, then_catalog: list[dict]
) -> None:
    assert engine_rpc.call("ping")["historical_catalogs"] == []
    load(engine_rpc, then_catalog, None, "now")
    load(engine_rpc, then_catalog[:100], "hist-20261120T0500Z", "h1")
    load(engine_rpc, then_catalog[:200], "hist-20261120T1700Z", "h2")
    pong = engine_rpc.call("ping")
    assert pong["catalog"]["objects"] == COUNT
    held = {h["name"]: h for h in pong["historical_catalogs"]}
    assert set(held) == {"hist-20261120T0500Z", "hist-20261120T1700Z"}
    assert held["hist-20261120T0500Z"]["objects"] == 100
    assert held["hist-20261120T1700Z"]["generation"] == "h2"
    assert held["hist-20261120T1700Z"]["loaded_at_unix"] == pytest.approx(time.time(), abs=60)
    assert engine_rpc.call("drop_catalog", {"catalog": "hist-20261120T0500Z"}) == {"dropped": True}
    assert engine_rpc.call("drop_catalog", {"catalog": "hist-20261120T0500Z"}) == {"dropped": False}
    names = [h["name"] for h in engine_rpc.call("ping")["historical_catalogs"]]
    assert names == ["hist-20261120T1700Z"]
    assert engine_rpc.call("ping")["catalog"]["objects"] == COUNT  # current untouched


def test_bad_names_and_the_ceiling_are_refused(
    engine_rpc: BlockingEngineClient, then_catalog: list[dict]
) -> None:
    load(engine_rpc, then_catalog[:10], None, "now")
    for name in ("", "x" * 65, "a b", "é"):
        error = rpc_error(
            engine_rpc,
            "load_catalog",
            {
                "generation": "g",
                "fetched_at_unix": 1.0,
                "objects": then_catalog[:5],
                "catalog": name,
            },
        )
        assert error.code == "invalid_params"
        assert error.message.startswith("catalog:")
    error = rpc_error(engine_rpc, "drop_catalog", {"catalog": "current"})
    assert error.code == "invalid_params"
    error = rpc_error(engine_rpc, "register_visit", visit(1, 10.0, -30.0, "hist-missing"))
    assert error.code == "no_catalog"
    for i in range(16):
        load(engine_rpc, then_catalog[:5], f"h{i}", "g")
    error = rpc_error(
        engine_rpc,
        "load_catalog",
        {"generation": "g", "fetched_at_unix": 1.0, "objects": then_catalog[:5], "catalog": "h16"},
    )
    assert error.code == "invalid_params"
    assert "drop one first" in error.message
    load(engine_rpc, then_catalog[:6], "h3", "replaced")  # replacing stays possible at the ceiling


def test_historical_visits_use_their_epochs_elements(
    engine_rpc: BlockingEngineClient, then_catalog: list[dict]
) -> None:
    """An object whose elements moved between the historical and the current catalog: the
    historical visit vetoes the old track, not the new one; the current visit the reverse."""
    index = 17
    now_catalog = moved(then_catalog, index, 60.0)
    norad = then_catalog[index]["NORAD_CAT_ID"]
    load(engine_rpc, now_catalog, None, "now")
    load(engine_rpc, then_catalog, "hist-a", "then")
    old_ra, old_dec = position(engine_rpc, then_catalog[index])
    new_ra, new_dec = position(engine_rpc, now_catalog[index])
    assert abs(old_ra - new_ra) + abs(old_dec - new_dec) > 10.0  # really elsewhere

    engine_rpc.call("register_visit", visit(1, old_ra, old_dec, "hist-a"))
    engine_rpc.call("register_visit", visit(2, old_ra, old_dec, None))
    engine_rpc.call("register_visit", visit(3, new_ra, new_dec, "hist-a"))
    engine_rpc.call("register_visit", visit(4, new_ra, new_dec, None))
    assert norad in candidates(engine_rpc, 1)  # historical visit: the old track vetoes
    assert norad not in candidates(engine_rpc, 2)
    assert norad not in candidates(engine_rpc, 3)  # the new track does not, historically
    assert norad in candidates(engine_rpc, 4)

    # Same id against another catalog is a different visit.
    error = rpc_error(engine_rpc, "register_visit", visit(1, old_ra, old_dec, None))
    assert error.code == "visit_conflict"

    # A visit keeps its catalog's tracks when that catalog is replaced or dropped.
    before = engine_rpc.call("visit_tracks", {"visit_id": 1})
    load(engine_rpc, now_catalog, "hist-a", "replaced")
    engine_rpc.call("drop_catalog", {"catalog": "hist-a"})
    after = engine_rpc.call("visit_tracks", {"visit_id": 1})
    assert after["candidates"] == before["candidates"]
    assert after["segments"] == before["segments"]
    allowed = engine_rpc.call(
        "filter_sources",
        {"visit_id": 1, "detector_id": 94, "ids": [1], "bboxes": [[0, 0, 4071, 3999]]},
    )
    assert allowed == {"allowed": []}  # the whole central detector holds the old track


def test_a_swap_of_one_catalog_never_disturbs_visits_on_another(
    engine_socket: Path, engine_rpc: BlockingEngineClient, then_catalog: list[dict]
) -> None:
    index = 17
    now_catalog = moved(then_catalog, index, 60.0)
    load(engine_rpc, now_catalog, None, "now")
    load(engine_rpc, then_catalog, "hist-a", "a")
    load(engine_rpc, now_catalog, "hist-b", "b0")
    ra, dec = position(engine_rpc, then_catalog[index])
    engine_rpc.call("register_visit", visit(100, ra, dec, "hist-a"))
    reference_a = engine_rpc.call("visit_tracks", {"visit_id": 100})
    engine_rpc.call("register_visit", visit(200, ra, dec, "hist-b"))
    reference_b = candidates(engine_rpc, 200)
    assert reference_a["candidates"] != sorted(reference_b)

    stop = threading.Event()
    failures: list[str] = []

    def churn() -> None:  # replaces hist-b and loads/drops hist-c continuously
        client = BlockingEngineClient(engine_socket)
        n = 0
        while not stop.is_set():
            n += 1
            load(client, now_catalog, "hist-b", f"b{n}")
            load(client, then_catalog[:300], "hist-c", f"c{n}")
            client.call("drop_catalog", {"catalog": "hist-c"})
        client.close()

    def register(worker: int) -> None:
        client = BlockingEngineClient(engine_socket)
        for k in range(6):
            visit_id = 1000 + 100 * worker + k
            catalog = "hist-a" if k % 2 == 0 else "hist-b"
            client.call("register_visit", visit(visit_id, ra, dec, catalog))
            got = client.call("visit_tracks", {"visit_id": visit_id})
            want = reference_a["candidates"] if catalog == "hist-a" else sorted(reference_b)
            if sorted(got["candidates"]) != sorted(want):
                failures.append(f"visit {visit_id} on {catalog}")
        client.close()

    churner = threading.Thread(target=churn)
    churner.start()
    workers = [threading.Thread(target=register, args=(w,)) for w in range(3)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    stop.set()
    churner.join()
    assert failures == []
    assert engine_rpc.call("visit_tracks", {"visit_id": 100}) == reference_a
    assert engine_rpc.call("ping")["catalog"]["generation"] == "now"
