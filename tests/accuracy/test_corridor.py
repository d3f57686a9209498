"""The corridor itself, not only its centre line: its width and its time pad, per orbit class.

For LEO, MEO (GNSS), GEO and HEO (Molniya) objects at element ages of about 0, 3 and 10 days,
with the engine holding the very elements the oracle propagates:

* cross-track: probes 0.75 x the corridor half-width off the oracle's star-frame track (both
  sides, three instants of the exposure) must be vetoed; probes at 1.25 x the half-width plus
  the margin, the probe's own size and the engine's stated bounds must be allowed;
* along-track: probes on the extended track 0.75 x the time pad beyond either end of the
  exposure must be vetoed; probes beyond 1.25 x the stated pad, and clear of the padded
  track's end by 1.25 x the half-width plus the same bounds, must be allowed.

The half-width and the pad are computed here from the configured tolerance (docs/design.md), each
probe is sent through the camera model and through a fitted TAN WCS, and the oracle is the
rigorous star-frame model of tests/oracle/star_frame.py.  Setting the cross-track corridor or
the time pad to zero in the engine makes these tests fail (see docs/accuracy.md).
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np
import pytest

from oracle.probes import (
    ARCSEC_RAD,
    BOX_REACH_RAD,
    STATED_BOUNDS_RAD,
    STRETCH,
    TOLERANCE,
    aim,
    angle_rad,
    corridor_rad,
    refraction_allowance_rad,
    stated_time_pad_s,
    time_pad_s,
    turn,
    vetoed,
    visit_params,
)
from oracle.sky_cases import (
    DATES,
    GROUPS,
    Crossing,
    approx_altitudes,
    class_crossing,
    earth_orientation_table,
    epoch_mjd,
)
from oracle.star_frame import satrec_from_omm, star_frame, tai_to_utc_mjd
from satveto.engine.process import EngineProcess
from support import BlockingEngineClient

AGES_DAYS = (0.0, 3.0, 10.0)
EXPOSURE_S = 30.0
DAY_S = 86400.0


@dataclass
class Probe:
    label: str
    direction: np.ndarray
    must_veto: bool
    altitude_deg: float


@dataclass
class Outcome:
    checked: int = 0
    failures: list[str] = field(default_factory=list)


@pytest.fixture(scope="module")
def cases() -> list[Crossing]:
    return [class_crossing(g, DATES[3], age_days=a) for g in GROUPS for a in AGES_DAYS]


@pytest.fixture(scope="module")
def engine(
    tmp_path_factory: pytest.TempPathFactory, cases: list[Crossing]
) -> Iterator[BlockingEngineClient]:
    process = EngineProcess(tmp_path_factory.mktemp("engine") / "e.sock")
    process.start()
    try:
        asyncio.run(process.wait_ready())
        client = BlockingEngineClient(process.socket_path, timeout_s=120)
        client.call(
            "configure", {"tolerance": TOLERANCE, "earth_orientation": earth_orientation_table()}
        )
        objects = {c.record["NORAD_CAT_ID"]: dict(c.record) for c in cases}
        client.call(
            "load_catalog",
            {"generation": "corridor", "fetched_at_unix": 0.0, "objects": list(objects.values())},
        )
        yield client
        client.close()
    finally:
        assert process.stop() == 0


def _frame(crossing: Crossing, tai: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """Star-frame direction, along-track and cross-track unit vectors, and range at ``tai``."""
    h = 0.05 / DAY_S
    track = star_frame(crossing.record, np.array([tai - h, tai, tai + h]))
    u = track.unit_vectors()
    along = u[2] - u[0]
    along -= np.dot(along, u[1]) * u[1]
    along /= np.linalg.norm(along)
    return u[1], along, np.cross(u[1], along), float(track.range_km[1])


def _speed_km_s(crossing: Crossing, tai: float) -> float:
    utc = float(tai_to_utc_mjd(tai))
    _, _, v = satrec_from_omm(crossing.record).sgp4(2400000.5 + math.floor(utc), utc % 1.0)
    return float(np.linalg.norm(v))


def _altitude(crossing: Crossing, tai: float) -> float:
    return float(approx_altitudes([crossing.record], np.array([float(tai_to_utc_mjd(tai))]))[0, 0])


def _allow_reach(w: float, altitude_deg: float, path: str) -> float:
    """Distance beyond which the engine must allow: 1.25 x the half-width, the margin, the
    probe's size, the stated bounds, the gnomonic stretch and, on the camera path, refraction."""
    reach = STRETCH * (1.25 * w + TOLERANCE["margin_arcsec"] * ARCSEC_RAD) + BOX_REACH_RAD
    reach += STATED_BOUNDS_RAD
    if path == "camera":
        reach += refraction_allowance_rad(altitude_deg)
    return reach


def _run(engine: BlockingEngineClient, probes: list[Probe], start: float, visit_id: int) -> Outcome:
    """One visit aimed at the probes; every probe through both paths."""
    outcome = Outcome()
    boresight, placed = aim([p.direction for p in probes])
    engine.call(
        "register_visit", visit_params(visit_id, start, start + EXPOSURE_S / DAY_S, boresight)
    )
    for probe, where in zip(probes, placed, strict=True):
        for placement in where:
            got = vetoed(engine, visit_id, placement)
            outcome.checked += 1
            if got != probe.must_veto:
                outcome.failures.append(
                    f"{probe.label} via {placement.path}: {'vetoed' if got else 'allowed'}"
                )
    engine.call("drop_visit", {"visit_id": visit_id})
    return outcome


def _cross_probes(crossing: Crossing, tai: float, age: float, tag: str) -> list[Probe]:
    u, _, across, rho = _frame(crossing, tai)
    w = corridor_rad(age, rho)
    alt = _altitude(crossing, tai)
    probes = []
    for side in (1.0, -1.0):
        probes.append(
            Probe(f"{tag} 0.75w side {side:+.0f}", turn(u, side * across, 0.75 * w), True, alt)
        )
        # The camera path's allowance is the larger: probes there must clear it too.
        off = _allow_reach(w, alt, "camera")
        probes.append(
            Probe(f"{tag} allow side {side:+.0f}", turn(u, side * across, off), False, alt)
        )
    return probes


def test_cross_track_corridor_width(engine: BlockingEngineClient, cases: list[Crossing]) -> None:
    total, failures, widths = 0, [], {}
    visit_id = 10_000
    for crossing in cases:
        start = crossing.tai_mjd - 0.5 * EXPOSURE_S / DAY_S
        age = crossing.tai_mjd - epoch_mjd(crossing.record)
        for k, dt in enumerate((2.0, 15.0, 28.0)):
            tai = start + dt / DAY_S
            tag = f"{crossing.group} age {age:.1f} d t+{dt:g}s"
            visit_id += 1
            outcome = _run(engine, _cross_probes(crossing, tai, age, tag), start, visit_id)
            total += outcome.checked
            failures += outcome.failures
            if k == 1:
                widths[f"{crossing.group} {age:.1f} d"] = round(
                    corridor_rad(age, _frame(crossing, tai)[3]) / ARCSEC_RAD, 1
                )
    print(f"cross-track: {total} probe checks; half-widths (arcsec): {widths}")
    assert total >= 4 * len(AGES_DAYS) * 3 * 4 * 2 * 0.9
    assert not failures, f"{len(failures)} of {total}: " + "; ".join(failures[:12])


def _along_probes(crossing: Crossing, age: float, end: bool, start: float) -> list[list[Probe]]:
    """[[veto probe], [allow probe]] beyond the exposure's end (or before its start)."""
    edge = start + (EXPOSURE_S if end else 0.0) / DAY_S
    sign = 1.0 if end else -1.0
    pad_true = time_pad_s(age, _speed_km_s(crossing, edge))
    pad_stated = stated_time_pad_s(age, crossing.record)
    assert pad_stated >= pad_true
    side = "end" if end else "start"
    veto_t = edge + sign * 0.75 * pad_true / DAY_S
    alt = _altitude(crossing, veto_t)
    veto = Probe(
        f"{crossing.group} age {age:.1f} d {side} +0.75 pad", _frame(crossing, veto_t)[0], True, alt
    )
    # The padded track's last stretch, densely: the allow probe must clear all of it.
    tail = edge + sign * np.linspace(0.0, pad_stated, 41) / DAY_S
    tail_track = star_frame(crossing.record, tail)
    tail_u = tail_track.unit_vectors()
    w_tail = max(corridor_rad(age, float(r)) for r in tail_track.range_km)
    tau = 1.25 * pad_stated
    for _ in range(200):
        t = edge + sign * tau / DAY_S
        u = _frame(crossing, t)[0]
        alt_allow = _altitude(crossing, t)
        if np.min(angle_rad(tail_u, u[None, :])) > _allow_reach(w_tail, alt_allow, "camera"):
            break
        tau *= 1.1
    else:
        raise AssertionError("no allow position found beyond the pad")
    allow = Probe(
        f"{crossing.group} age {age:.1f} d {side} +{tau / pad_stated:.2f} pad", u, False, alt_allow
    )
    return [[veto], [allow]]


def test_along_track_time_pad(engine: BlockingEngineClient, cases: list[Crossing]) -> None:
    total, failures = 0, []
    visit_id = 20_000
    pads = {}
    for crossing in cases:
        start = crossing.tai_mjd - 0.5 * EXPOSURE_S / DAY_S
        age = crossing.tai_mjd - epoch_mjd(crossing.record)
        pads[f"{crossing.group} {age:.1f} d"] = round(stated_time_pad_s(age, crossing.record), 2)
        for end in (True, False):
            for probes in _along_probes(crossing, age, end, start):
                visit_id += 1
                outcome = _run(engine, probes, start, visit_id)
                total += outcome.checked
                failures += outcome.failures
    print(f"along-track: {total} probe checks; stated pads (s): {pads}")
    assert total >= 4 * len(AGES_DAYS) * 4 * 2 * 0.9
    assert not failures, f"{len(failures)} of {total}: " + "; ".join(failures[:12])
