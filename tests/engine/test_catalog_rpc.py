"""load_catalog and propagate over the real engine socket."""

from __future__ import annotations

import datetime as dt
import math
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from sgp4 import omm
from sgp4.api import Satrec

from satveto.catalog.omm import sgp4_omm_fields
from satveto.catalog.synthetic import build_demo_catalog
from satveto.engine.rpc import EngineRpcError
from support import BlockingEngineClient

NOW = dt.datetime(2026, 11, 21, 6, 0, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def demo_catalog() -> list[dict]:
    return build_demo_catalog(NOW, count=3000)


def load(client: BlockingEngineClient, objects: list, generation: str = "g1") -> dict:
    return client.call(
        "load_catalog",
        {"generation": generation, "fetched_at_unix": 1795240000.0, "objects": objects},
    )


def epoch_mjd(record: dict) -> float:
    epoch = dt.datetime.fromisoformat(record["EPOCH"]).replace(tzinfo=dt.UTC)
    return 40587.0 + epoch.timestamp() / 86400.0


def test_loaded_catalog_is_reported_by_ping(
    engine_rpc: BlockingEngineClient, demo_catalog: list[dict]
) -> None:
    result = load(engine_rpc, demo_catalog)
    assert result == {"accepted": len(demo_catalog), "rejected": []}
    catalog = engine_rpc.call("ping")["catalog"]
    assert catalog["generation"] == "g1"
    assert catalog["objects"] == len(demo_catalog)
    assert catalog["fetched_at_unix"] == 1795240000.0
    assert abs(catalog["loaded_at_unix"] - time.time()) < 60
    oldest = min(epoch_mjd(record) for record in demo_catalog)
    assert catalog["oldest_epoch_mjd"] == pytest.approx(oldest, abs=1e-9)
    assert engine_rpc.call("stats")["catalog_objects"] == len(demo_catalog)


def test_bad_records_are_rejected_by_field_without_values(
    engine_rpc: BlockingEngineClient, demo_catalog: list[dict]
) -> None:
    good = [dict(record) for record in demo_catalog[:10]]
    missing = dict(good[1])
    del missing["MEAN_MOTION"]
    wrong_type = dict(good[2], INCLINATION="fifty")
    hyperbolic = dict(good[3], ECCENTRICITY=1.5)
    bad_epoch = dict(good[4], EPOCH="2026-13-45T99:00:00")
    duplicate = dict(good[0])
    objects = [good[0], missing, wrong_type, hyperbolic, bad_epoch, *good[5:], duplicate, "junk"]
    result = load(engine_rpc, objects)
    assert result["accepted"] == 6
    reasons = {(r["norad_cat_id"], r["reason"].split(":")[0]) for r in result["rejected"]}
    assert reasons == {
        (missing["NORAD_CAT_ID"], "objects[1].MEAN_MOTION"),
        (wrong_type["NORAD_CAT_ID"], "objects[2].INCLINATION"),
        (hyperbolic["NORAD_CAT_ID"], "objects[3]"),
        (bad_epoch["NORAD_CAT_ID"], "objects[4]"),
        (good[0]["NORAD_CAT_ID"], "objects[10].NORAD_CAT_ID"),
        (None, "objects[11]"),
    }
    text = " ".join(r["reason"] for r in result["rejected"])
    assert "fifty" not in text
    assert "1.5" not in text
    assert "2026-13-45" not in text


def test_all_bad_catalog_is_refused_and_the_old_one_kept(
    engine_rpc: BlockingEngineClient, demo_catalog: list[dict]
) -> None:
    load(engine_rpc, demo_catalog[:100], "good")
    with pytest.raises(EngineRpcError) as error:
        load(engine_rpc, [{"NORAD_CAT_ID": 5}, "x"], "bad")
    assert error.value.code == "invalid_params"
    assert error.value.message.startswith("objects: no valid object")
    catalog = engine_rpc.call("ping")["catalog"]
    assert (catalog["generation"], catalog["objects"]) == ("good", 100)


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"fetched_at_unix": 1.0, "objects": []}, "generation"),
        ({"generation": "", "fetched_at_unix": 1.0, "objects": []}, "generation"),
        ({"generation": "g", "objects": []}, "fetched_at_unix"),
        ({"generation": "g", "fetched_at_unix": 1.0, "objects": {}}, "objects"),
        ({"generation": "g", "fetched_at_unix": 1.0, "objects": [], "x": 1}, "x"),
    ],
)
def test_load_catalog_params_are_checked(
    engine_rpc: BlockingEngineClient, params: dict, field: str
) -> None:
    with pytest.raises(EngineRpcError) as error:
        engine_rpc.call("load_catalog", params)
    assert error.value.code == "invalid_params"
    assert error.value.message.startswith(f"{field}:")


def test_swap_is_atomic_for_concurrent_readers(
    engine_socket: Path, demo_catalog: list[dict]
) -> None:
    """Readers only ever see a generation with its own object count, never a mix."""
    sizes = {"small": 500, "large": 3000}
    writer = BlockingEngineClient(engine_socket)
    load(writer, demo_catalog[: sizes["small"]], "small")
    seen: set[tuple[str, int]] = set()
    stop = threading.Event()

    def reader() -> None:
        client = BlockingEngineClient(engine_socket)
        while not stop.is_set():
            catalog = client.call("ping")["catalog"]
            seen.add((catalog["generation"], catalog["objects"]))
        client.close()

    threads = [threading.Thread(target=reader) for _ in range(3)]
    for thread in threads:
        thread.start()
    for round_ in range(10):
        name = "large" if round_ % 2 == 0 else "small"
        load(writer, demo_catalog[: sizes[name]], name)
    stop.set()
    for thread in threads:
        thread.join(30)
    assert seen <= {("small", 500), ("large", 3000)}
    assert ("large", 3000) in seen


def test_propagate_matches_python_sgp4(
    engine_rpc: BlockingEngineClient, demo_catalog: list[dict]
) -> None:
    worst_km = 0.0
    for record in demo_catalog[::60]:
        satellite = Satrec()
        omm.initialize(satellite, sgp4_omm_fields(record))
        start = satellite.jdsatepoch - 2400000.5 + satellite.jdsatepochF
        instants = [start + k / 8 for k in range(-24, 25)]
        result = engine_rpc.call(
            "propagate", {"elements": record, "mjd": instants, "time_scale": "utc"}
        )
        for k, mjd in enumerate(instants):
            day = math.floor(mjd)
            error, r, v = satellite.sgp4(day + 2400000.5, mjd - day)
            assert result["errors"][k] == error
            if error == 0:
                worst_km = max(worst_km, float(np.linalg.norm(np.subtract(r, result["r_km"][k]))))
                dv = np.linalg.norm(np.subtract(v, result["v_km_s"][k]))
                assert dv < 1e-5
    assert worst_km < 1e-5  # 1 cm


def test_propagate_reports_decay_per_instant(engine_rpc: BlockingEngineClient) -> None:
    decaying = {
        "NORAD_CAT_ID": 99001,
        "EPOCH": "2026-11-20T00:00:00",
        "MEAN_MOTION": 16.3,
        "ECCENTRICITY": 0.0005,
        "INCLINATION": 51.6,
        "RA_OF_ASC_NODE": 10.0,
        "ARG_OF_PERICENTER": 20.0,
        "MEAN_ANOMALY": 30.0,
        "BSTAR": 0.05,
        "MEAN_MOTION_DOT": 0.01,
        "MEAN_MOTION_DDOT": 0.0,
    }
    result = engine_rpc.call("propagate", {"elements": decaying, "mjd": [61364.0, 61394.0]})
    assert result["errors"][0] == 0
    assert len(result["r_km"][0]) == 3
    assert result["errors"][1] != 0  # a month later it has come down
    assert result["r_km"][1] is None
    assert result["v_km_s"][1] is None


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"MEAN_MOTION": "fast"}, "elements.MEAN_MOTION: expected a number"),
        ({"NORAD_CAT_ID": -4}, "elements.NORAD_CAT_ID: must be a positive integer"),
        ({"NORAD_CAT_ID": 1.5}, "elements.NORAD_CAT_ID: expected an integer"),
        ({"NORAD_CAT_ID": 0}, "elements.NORAD_CAT_ID: must be a positive integer"),
        ({"ECCENTRICITY": 1.2}, "elements:"),
    ],
)
def test_propagate_refuses_bad_elements(
    engine_rpc: BlockingEngineClient, demo_catalog: list[dict], change: dict, message: str
) -> None:
    elements = dict(demo_catalog[0], **change)
    with pytest.raises(EngineRpcError) as error:
        engine_rpc.call("propagate", {"elements": elements, "mjd": [61365.0]})
    assert error.value.code == "invalid_params"
    assert error.value.message.startswith(message)


def test_propagate_names_a_bad_instant(
    engine_rpc: BlockingEngineClient, demo_catalog: list[dict]
) -> None:
    with pytest.raises(EngineRpcError) as error:
        engine_rpc.call("propagate", {"elements": demo_catalog[0], "mjd": [61365.0, "soon"]})
    assert error.value.message == "mjd[1]: expected a number"
