"""Sources at a satellite's true star-frame position are vetoed when the elements are off.

The truth is the rigorous oracle (tests/oracle/star_frame.py) propagating an element set; the
engine holds a copy displaced at the visit by 0.8 x what the tolerance claims to cover
(docs/design.md):
cross-track 0.8 (a + b age) km on either side, or along-track 0.8 (c + d age) km ahead or behind.
LEO, GNSS, GEO and Molniya crossings on two dates half a year apart (the annual aberration points
the other way), probes at three instants of each exposure, each as a camera-model box and as a
TAN-WCS box: every one must be vetoed.  A geometric engine, whose tracks are off by the annual
aberration and the light-time displacement (10-25"), lets some of them through where the
corridor is narrow (GEO, GNSS).

The time scale: the same visit with its TAI times declared as UTC puts the track 37 s away, and
a probe at the true position is then allowed; declared as TAI (the default) it is vetoed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import numpy as np
import pytest

from oracle.perturb import displaced, rtn_offset_km
from oracle.probes import TOLERANCE, aim, vetoed, visit_params
from oracle.sky_cases import DATES, GROUPS, Crossing, class_crossing, earth_orientation_table
from oracle.star_frame import star_frame
from satveto.engine.process import EngineProcess
from support import BlockingEngineClient

EXPOSURE_S = 30.0
DAY_S = 86400.0
SHARE = 0.8  # of the claimed uncertainty
PROBE_TIMES_S = (2.0, 15.0, 28.0)


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BlockingEngineClient]:
    process = EngineProcess(tmp_path_factory.mktemp("engine") / "e.sock")
    process.start()
    try:
        asyncio.run(process.wait_ready())
        client = BlockingEngineClient(process.socket_path, timeout_s=120)
        client.call(
            "configure", {"tolerance": TOLERANCE, "earth_orientation": earth_orientation_table()}
        )
        yield client
        client.close()
    finally:
        assert process.stop() == 0


@pytest.fixture(scope="module")
def crossings() -> list[Crossing]:
    return [
        class_crossing(group, date, age_days=age)
        for date in (DATES[0], DATES[3])
        for group in GROUPS
        for age in (0.0, 3.0)
    ]


def _load(engine: BlockingEngineClient, record: dict, generation: str) -> None:
    engine.call(
        "load_catalog", {"generation": generation, "fetched_at_unix": 0.0, "objects": [record]}
    )


def _probe_visits(
    engine: BlockingEngineClient, truth: dict, start: float, visit_id: int, **extra: object
) -> tuple[int, list[str]]:
    """Register one visit per probe instant (aimed at the truth) and vet the probe both ways;
    returns (checks, allowed probes)."""
    times = start + np.array(PROBE_TIMES_S) / DAY_S
    track = star_frame(truth, times)
    checks, allowed = 0, []
    for k, u in enumerate(track.unit_vectors()):
        boresight, (placed,) = aim([u])
        vid = visit_id + k
        engine.call(
            "register_visit",
            visit_params(vid, start, start + EXPOSURE_S / DAY_S, boresight, **extra),
        )
        for placement in placed:
            checks += 1
            if not vetoed(engine, vid, placement):
                allowed.append(f"t+{PROBE_TIMES_S[k]:g}s via {placement.path}")
        engine.call("drop_visit", {"visit_id": vid})
    return checks, allowed


def test_true_positions_are_vetoed_with_elements_off_by_what_the_tolerance_covers(
    engine: BlockingEngineClient, crossings: list[Crossing]
) -> None:
    checks, leaks, visit_id = 0, [], 1_000
    for n, crossing in enumerate(crossings):
        start = crossing.tai_mjd - 0.5 * EXPOSURE_S / DAY_S
        age = abs(crossing.age_days)
        cross_km = SHARE * (TOLERANCE["a_km"] + TOLERANCE["b_km_per_day"] * age)
        along_km = SHARE * (TOLERANCE["c_km"] + TOLERANCE["d_km_per_day"] * age)
        for along, cross in ((0.0, cross_km), (0.0, -cross_km), (along_km, 0.0), (-along_km, 0.0)):
            wrong = displaced(crossing.record, crossing.tai_mjd, along, cross)
            got = rtn_offset_km(crossing.record, wrong, crossing.tai_mjd)
            assert abs(got[0] - along) < 0.01
            assert abs(got[1] - cross) < 0.01
            _load(engine, wrong, f"perturbed-{n}-{along:+.1f}-{cross:+.1f}")
            visit_id += 10
            c, allowed = _probe_visits(engine, dict(crossing.record), start, visit_id)
            checks += c
            leaks += [
                f"{crossing.group} {crossing.date:%m-%d} age {age:.1f} d along {along:+.1f} "
                f"cross {cross:+.2f} km: {a}"
                for a in allowed
            ]
    print(f"{checks} probe checks, {len(leaks)} allowed")
    assert checks >= len(crossings) * 4 * len(PROBE_TIMES_S) * 2
    assert not leaks, f"{len(leaks)} of {checks} allowed: " + "; ".join(leaks[:10])


def test_tai_times_declared_as_utc_put_the_track_37_s_away(engine: BlockingEngineClient) -> None:
    visit_id = 900_000
    for group in GROUPS:
        crossing = class_crossing(group, DATES[3], age_days=0.0)
        _load(engine, dict(crossing.record), f"timescale-{group}")
        start = crossing.tai_mjd - 0.5 * EXPOSURE_S / DAY_S
        checks, allowed = _probe_visits(engine, dict(crossing.record), start, visit_id)
        assert checks
        assert not allowed, (group, allowed)
        checks, allowed = _probe_visits(
            engine, dict(crossing.record), start, visit_id + 10, time_scale="tai"
        )
        assert checks
        assert not allowed, (group, allowed)
        # The first probe (2 s into the exposure) is ~35 s before anything the mislabelled
        # visit's track covers: far outside every corridor.
        checks, allowed = _probe_visits(
            engine, dict(crossing.record), start, visit_id + 20, time_scale="utc"
        )
        assert any(a.startswith("t+2s") for a in allowed), group
        visit_id += 100
