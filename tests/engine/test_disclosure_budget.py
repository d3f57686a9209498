"""The disclosure budget through the real engine (engine/disclosure_budget.hpp; docs/design.md
"Security model"): an insider's stream of visits and lattices is refused once the answers of the
hour have revealed ``max_revealed_per_hour`` (catalog, visit, object) pairs, and the pairs it was
given, counted independently of the engine from ``visit_tracks`` and the vetoed boxes, never pass
that by more than the one answer that reached it.  The hour itself (window, ageing) is tested in
the engine's unit tests (test_disclosure.cpp): here nothing ages out.
"""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

import numpy as np
import pytest

from fake_engine import night_site
from oracle import camera
from reliability.insider import (
    BUDGET_REFUSAL,
    Insider,
    box_quads,
    budget_run,
    detector_quads,
    lattice,
    segments_hit_quads,
)
from satveto.catalog.synthetic import build_demo_catalog
from satveto.engine.rpc import EngineRpcError
from support import BlockingEngineClient

OBJECTS = 8000
SIDE = 30  # lattice of 30 x 30 boxes per detector (~27" boxes)


@pytest.fixture
def insider(engine_rpc: BlockingEngineClient) -> Insider:
    now = time.time()
    site = night_site()
    engine_rpc.call("configure", {"site": site})
    catalog = build_demo_catalog(dt.datetime.fromtimestamp(now, dt.UTC), count=OBJECTS)
    for name in ("current", "hist-test"):  # the same objects, as a historical catalog too
        engine_rpc.call(
            "load_catalog",
            {"generation": name, "fetched_at_unix": now, "objects": catalog, "catalog": name},
        )
    return Insider(engine_rpc, site, seed=14)


def revealed(engine: BlockingEngineClient) -> int:
    return engine.call("stats")["disclosure"]["revealed_last_hour"]


def grid(insider: Insider) -> Any:
    return lambda unix: insider.visible_grid(unix, 15.0)


@pytest.mark.parametrize("value", [0, -1, 1_000_001, "300", 1.5, True])
def test_configure_validates_the_budget(engine_rpc: BlockingEngineClient, value: object) -> None:
    with pytest.raises(EngineRpcError) as caught:
        engine_rpc.call("configure", {"max_revealed_per_hour": value})
    assert caught.value.code == "invalid_params"
    assert caught.value.message.startswith("max_revealed_per_hour: ")


def test_the_budget_is_strict_until_configured(engine_rpc: BlockingEngineClient) -> None:
    assert engine_rpc.call("stats")["disclosure"] == {
        "revealed_last_hour": 0,
        "max_revealed_per_hour": 300,
        "refusals": 0,
    }
    engine_rpc.call("configure", {"max_revealed_per_hour": 1_000_000})
    assert engine_rpc.call("stats")["disclosure"]["max_revealed_per_hour"] == 1_000_000


def test_an_insider_stream_is_refused_once_the_budget_is_spent(insider: Insider) -> None:
    engine = insider._engine
    budget = 25
    engine.call("configure", {"max_revealed_per_hour": budget})
    now = time.time()
    instants = [now - 3000.0 + 16.0 * k for k in range(30)]  # 15 s visits back to back
    run = budget_run(insider, instants, grid(insider), 15.0, SIDE)

    assert run.refused > 0  # the budget was reached ...
    assert run.answered_after_refusal == 0  # ... and from then on nothing was answered
    for before, after, disclosed in run.answers:
        assert before < budget  # answers only while below the budget
        assert disclosed <= after  # the engine counted at least what was disclosed
    final = revealed(engine)
    last_before, last_after, _ = run.answers[-1]
    assert final == last_after
    # Never past the budget by more than the new pairs of the one answer that reached it.
    assert len(run.disclosed) <= final <= budget - 1 + (last_after - last_before)
    # The engine does not count much that was not disclosed (honest answers pay for it).
    assert len(run.disclosed) >= 0.8 * final
    stats = engine.call("stats")["disclosure"]
    assert stats["refusals"] == run.refused

    # The control: the same plan with the budget lifted discloses far more.
    engine.call("configure", {"max_revealed_per_hour": 1_000_000})
    free = budget_run(insider, instants, grid(insider), 15.0, SIDE)
    assert free.refused == 0
    assert len(free.disclosed) > 3 * budget


def crossing(tracks: dict[str, Any], widen_arcsec: float = 0.0) -> dict[int, set[int]]:
    """Objects (NORAD ids) whose segments reach each science detector's outline at rotation 0,
    their reach widened by ``widen_arcsec`` (the engine adds small bounds for camera-model
    boxes: widened, the sets hold whatever the engine can count)."""
    segments = np.asarray([s[:5] for s in tracks["segments"]], dtype=float)
    segments[:, 4] += np.radians(widen_arcsec / 3600.0)
    owners = np.asarray([tracks["candidates"][s[5]] for s in tracks["segments"]])
    quads = detector_quads(0.0)
    out = {}
    for detector in range(189):
        hit = segments_hit_quads(segments, quads[detector : detector + 1])
        if hit.any():
            out[detector] = set(owners[hit].tolist())
    return out


def lattice_request(visit: dict[str, Any], detector: int, sky: bool = False) -> dict[str, Any]:
    boxes = lattice(detector, SIDE)
    request: dict[str, Any] = {
        "visit_id": visit["visit_id"],
        "detector_id": detector,
        "ids": list(range(1, len(boxes) + 1)),
    }
    if not sky:
        request["bboxes"] = boxes.tolist()
        return request
    px = np.stack([boxes[:, 0] - 0.5, boxes[:, 2] + 0.5, boxes[:, 2] + 0.5, boxes[:, 0] - 0.5], -1)
    py = np.stack([boxes[:, 1] - 0.5, boxes[:, 1] - 0.5, boxes[:, 3] + 0.5, boxes[:, 3] + 0.5], -1)
    ra, dec = camera.pixel_to_sky(
        detector, px, py, visit["boresight_ra"], visit["boresight_dec"], visit["rotation_deg"]
    )
    request["sky_corners"] = np.stack([ra % 360.0, dec], axis=-1).tolist()
    return request


def disclosed_by(
    tracks: dict[str, Any], visit: dict[str, Any], request: dict[str, Any], allowed: list[int]
) -> set[int]:
    """Objects with a segment within reach of a box the answer left out (independent count)."""
    boxes = lattice(request["detector_id"], SIDE)
    vetoed = np.ones(len(boxes), dtype=bool)
    vetoed[np.asarray(allowed, dtype=np.int64) - 1] = False
    segments = np.asarray([s[:5] for s in tracks["segments"]], dtype=float)
    owners = np.asarray([tracks["candidates"][s[5]] for s in tracks["segments"]])
    if not vetoed.any():
        return set()
    hit = segments_hit_quads(segments, box_quads(request["detector_id"], boxes[vetoed], 0.0))
    return set(owners[hit].tolist())


def test_repeats_cost_nothing_and_every_catalog_counts(insider: Insider) -> None:
    engine = insider._engine
    now = time.time()
    unix = now - 900.0
    points = insider.visible_grid(unix, 15.0)
    counts = [insider.count(unix, 30.0, p, True) for p in points]
    pointing = points[int(np.argmax(counts))]
    visit = insider._visit(unix, 30.0, *pointing, 0.0)
    engine.call("register_visit", visit)
    tracks = engine.call("visit_tracks", {"visit_id": visit["visit_id"]})
    crossed, near = crossing(tracks), crossing(tracks, widen_arcsec=10.0)
    # Two detectors, the second only near objects that certainly cross the first (a lattice
    # tiling a detector reveals every object whose corridor crosses it).
    first, second = next((a, b) for a in crossed for b in near if a != b and near[b] <= crossed[a])

    request = lattice_request(visit, first)
    answer = engine.call("filter_sources", request)
    shown = disclosed_by(tracks, visit, request, answer["allowed"])
    assert shown  # the lattice met a corridor
    count = revealed(engine)
    assert len(shown) <= count <= len(near[first])
    # The same request again: the same answer, nothing more counted.
    assert engine.call("filter_sources", request) == answer
    assert revealed(engine) == count
    # Another detector the same objects cross: more positions, no new pair.
    engine.call("filter_sources", lattice_request(visit, second))
    assert revealed(engine) == count

    # The same exposure under another visit id, answered with sky corners: new pairs.
    again = {**visit, "visit_id": insider._visit(unix, 30.0, *pointing, 0.0)["visit_id"]}
    engine.call("register_visit", again)
    sky_request = lattice_request(again, first, sky=True)
    sky_answer = engine.call("filter_sources", sky_request)
    assert len(sky_answer["allowed"]) < len(sky_request["ids"])
    after_sky = revealed(engine)
    assert after_sky > count
    # A historical visit (reprocessing) counts against the same budget.
    historical = {**insider._visit(unix, 30.0, *pointing, 0.0), "catalog": "hist-test"}
    engine.call("register_visit", historical)
    engine.call("filter_sources", lattice_request(historical, first))
    assert revealed(engine) > after_sky

    # Spent: every answer is refused, whatever it would reveal, and nothing is counted.
    spent = revealed(engine)
    engine.call("configure", {"max_revealed_per_hour": spent})
    far = {**request, "ids": [1], "bboxes": [[0, 0, 3, 3]]}
    for refused in (request, far, {**request, "ids": [], "bboxes": []}):
        with pytest.raises(EngineRpcError) as caught:
            engine.call("filter_sources", refused)
        assert caught.value.code == BUDGET_REFUSAL
        assert "max_revealed_per_hour" in caught.value.message
        assert str(spent) not in caught.value.message  # no figure
    assert engine.call("stats")["disclosure"]["refusals"] == 3
    assert revealed(engine) == spent
    # A larger budget answers again, the same answer as before.
    engine.call("configure", {"max_revealed_per_hour": spent + 1})
    assert engine.call("filter_sources", request) == answer
