"""The insider harness: how many catalogued objects an allowlisted client holding the secret
can locate per hour, under each set of rules (docs/design.md "Security model"; docs/reliability.md).

The insider's best plan within the rules, as measured here:

* **instants and lengths**: as many visits as the rules admit, as short as they admit (the
  objects a visit reveals grow more slowly than its length: short visits reveal more per hour);
* **pointing**: for every instant the best of a grid of directions (an oracle attacker that
  already knows where the busy sky is), anywhere when nothing forbids it, else above
  ``limits.min_altitude_deg`` at night;
* **footprints**: a lattice of boxes over everything a request may cover.  Without the WCS
  check a huge-pixel "detector" covers the whole tracked field (the engine keeps tracks within
  the camera's field of the boresight), so every object whose track crosses the field disc is
  located; with it, only the 189 science detectors can be covered, once each (one answer per
  detector), so only objects whose corridor crosses a detector are located.

"Located" counts (object, visit) pairs: each is a position at a known time, which is what
orbit fitting needs, and what honest AP learns too (the ~2 corridors crossing a visit).  The
count per visit is taken from the engine's own track segments (`visit_tracks`, the diagnostic
on the engine socket) against the field disc or the detectors' outlines from the independent
camera model (tests/oracle): an upper bound of what the lattice reveals, since every box on a
corridor is vetoed.  The rate of visits is what the rules admit per hour (one camera:
3,600 s / min_exposure_s), or, without them, what the service can answer: measured here as the
engine time of one probe (an embedded visit plus a 100,000-box lattice), at most the rate limit.

Run it with ``python -m reliability.insider`` (from tests/) or through benchmarks/insider.py.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np

from oracle import camera
from satveto.astro import sky
from satveto.engine.rpc import EngineRpcError
from satveto.runtime.config import LimitsConfig
from support import BlockingEngineClient

SCIENCE_DETECTORS = range(189)
MJD_UNIX_EPOCH = 40587.0
#: The old defaults (main before issue 14) and the new.
OLD_MAX_EXPOSURE_S = 300.0
OLD_RATE_PER_S = 200.0
HONEST_EXPOSURE_S = 30.0
HONEST_CADENCE_S = 37.0  # 30 s exposure + readout and slew: ~97 visits an hour
LATTICE_SOURCES = 100_000


def field_radius() -> float:
    """The camera's field radius in tangent-plane units (tan of 2.048 deg)."""
    return math.tan(math.radians(camera.fov_radius_deg()))


@lru_cache(maxsize=64)
def detector_quads(rotation_deg: float) -> np.ndarray:
    """(189, 4, 2) corners of the science detectors in standard coordinates about the
    boresight (tangent-plane units), for a rotation."""
    quads = []
    for detector in SCIENCE_DETECTORS:
        fx, fy = camera.pixel_to_focal_plane(detector, *camera.detector_corners_pixel(detector))
        ax, ay = camera.focal_plane_to_field_angle(fx, fy)
        xi, eta = camera.field_angle_to_standard(ax, ay, rotation_deg)
        quads.append(np.stack([xi, eta], axis=-1))
    return np.asarray(quads)


def _point_segment_distance(p: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    ab = b - a
    length2 = np.maximum((ab**2).sum(-1), 1e-30)
    t = np.clip(((p - a) * ab).sum(-1) / length2, 0.0, 1.0)
    return np.hypot(*np.moveaxis(a + t[..., None] * ab - p, -1, 0))


def _cross(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    return u[..., 0] * v[..., 1] - u[..., 1] * v[..., 0]


def segments_hit_quads(segments: np.ndarray, quads: np.ndarray) -> np.ndarray:
    """For segments (N, 5) = [ax, ay, bx, by, reach], whether each comes within its reach of
    any quad (Q, 4, 2): crosses an edge, lies inside, or passes within reach of an edge."""
    if len(segments) == 0:
        return np.zeros(0, dtype=bool)
    a = segments[:, None, None, 0:2]
    b = segments[:, None, None, 2:4]
    reach = segments[:, None, None, 4]
    p = quads[None, :, :, :]
    q = np.roll(quads, -1, axis=1)[None, :, :, :]
    # Proper crossing of segment [a, b] and edge [p, q].
    d1, d2 = _cross(b - a, p - a), _cross(b - a, q - a)
    d3, d4 = _cross(q - p, a - p), _cross(q - p, b - p)
    crossing = (d1 * d2 < 0) & (d3 * d4 < 0)
    distance = np.minimum.reduce(
        [
            _point_segment_distance(a, p, q),
            _point_segment_distance(b, p, q),
            _point_segment_distance(p, a, b),
            _point_segment_distance(q, a, b),
        ]
    )
    near = crossing | (distance <= reach)
    # Inside a (convex) quad: the same side of all four edges.
    sides = _cross(q - p, a - p)
    inside = (sides > 0).all(-1) | (sides < 0).all(-1)
    return near.any(axis=(1, 2)) | inside.any(axis=1)


def located(tracks: dict[str, Any], rotation_deg: float | None, detectors_only: bool) -> int:
    """Objects a full lattice reveals in one visit: candidates with a segment that reaches the
    field disc (huge pixels allowed) or a science detector (honest WCS only)."""
    raw = tracks["segments"]
    if tracks.get("veto_everything"):
        return len(tracks["candidates"])
    if not raw:
        return 0
    segments = np.asarray([s[:5] for s in raw], dtype=float)
    owners = np.asarray([s[5] for s in raw], dtype=np.int64)
    radius = field_radius()
    near = (
        _point_segment_distance(np.zeros(2), segments[:, 0:2], segments[:, 2:4])
        <= radius + segments[:, 4]
    )
    if detectors_only and near.any():
        if rotation_deg is None:
            hit = near  # rotation-agnostic matching: the annulus, about the disc
        else:
            hit = np.zeros(len(segments), dtype=bool)
            hit[near] = segments_hit_quads(segments[near], detector_quads(rotation_deg))
    else:
        hit = near
    return len(set(owners[hit].tolist()))


def altaz_to_icrs(
    alt_deg: float, az_deg: float, unix: float, lat_deg: float, lon_deg: float
) -> tuple[float, float]:
    """ICRS (ra, dec) degrees of a direction at (altitude, azimuth from North through East),
    inverting satveto.astro.sky (the precession by fixed-point iteration)."""
    lat, alt, az = map(math.radians, (lat_deg, alt_deg, az_deg))
    sin_dec = math.sin(lat) * math.sin(alt) + math.cos(lat) * math.cos(alt) * math.cos(az)
    dec = math.asin(max(-1.0, min(1.0, sin_dec)))
    hour_angle = math.atan2(
        -math.sin(az) * math.cos(alt),
        math.cos(lat) * math.sin(alt) - math.sin(lat) * math.cos(alt) * math.cos(az),
    )
    ra_date = float(sky.gmst_rad(unix)) + math.radians(lon_deg) - hour_angle
    target = np.array([ra_date % (2 * math.pi), dec])
    guess = target.copy()
    for _ in range(3):
        ra_p, dec_p = sky.precess_icrs_to_date(math.degrees(guess[0]), math.degrees(guess[1]), unix)
        delta = target - np.array([float(ra_p), float(dec_p)])
        delta[0] = (delta[0] + math.pi) % (2 * math.pi) - math.pi
        guess = guess + delta
    return math.degrees(guess[0]) % 360.0, max(-90.0, min(90.0, math.degrees(guess[1])))


def random_direction(rng: np.random.Generator) -> tuple[float, float]:
    return float(rng.uniform(0.0, 360.0)), float(np.degrees(np.arcsin(rng.uniform(-1.0, 1.0))))


@dataclass
class Measure:
    """Objects located per visit: counts[instant][pointing]."""

    counts: list[list[int]] = field(default_factory=list)

    def oracle(self) -> float:
        """Mean over instants of the best pointing (a prober that knows the busy sky)."""
        return float(np.mean([max(row) for row in self.counts]))

    def fixed(self) -> float:
        """The best single pointing of the grid, the same at every instant (a prober that only
        learnt where the sky is busy on average)."""
        return float(np.asarray(self.counts, dtype=float).mean(axis=0).max())

    def typical(self) -> float:
        return float(np.mean(self.counts))


class Insider:
    """Registers visits on an engine (directly: the harness measures what the rules leave, the
    rules themselves are the frontend's and are tested there) and counts what they reveal."""

    def __init__(self, engine: BlockingEngineClient, site: dict[str, float], seed: int) -> None:
        self._engine = engine
        self._site = site
        self._rng = np.random.default_rng(seed)
        self._next_id = 1

    def _visit(
        self, start_unix: float, length_s: float, ra: float, dec: float, rotation: float | None
    ) -> dict:
        start = sky.unix_to_mjd(start_unix, "utc")  # the engine reads UTC today
        visit: dict[str, Any] = {
            "visit_id": self._next_id,
            "exposure_start_mjd": start,
            "exposure_end_mjd": start + length_s / 86400.0,
            "boresight_ra": ra % 360.0,
            "boresight_dec": dec,
        }
        if rotation is not None:
            visit["rotation_deg"] = rotation
        self._next_id += 1
        return visit

    def count(
        self,
        start_unix: float,
        length_s: float,
        pointing: tuple[float, float],
        detectors_only: bool,
        rotation: float | None = 0.0,
    ) -> int:
        visit = self._visit(start_unix, length_s, *pointing, rotation)
        self._engine.call("register_visit", visit)
        try:
            tracks = self._engine.call("visit_tracks", {"visit_id": visit["visit_id"]})
        finally:
            self._engine.call("drop_visit", {"visit_id": visit["visit_id"]})
        return located(tracks, rotation, detectors_only)

    def visible_grid(self, unix: float, min_altitude_deg: float) -> list[tuple[float, float]]:
        """Directions above the altitude limit: 8 azimuths at 5 altitudes, and the zenith."""
        lat, lon = self._site["latitude_deg"], self._site["longitude_deg"]
        grid = [altaz_to_icrs(90.0, 0.0, unix, lat, lon)]
        for alt in (min_altitude_deg + 0.5, min_altitude_deg + 8, 35.0, 50.0, 70.0):
            for az in range(0, 360, 45):
                grid.append(altaz_to_icrs(alt, float(az), unix, lat, lon))
        return grid

    def sweep(
        self,
        instants: list[float],
        length_s: float,
        pointings: Callable[[float], list[tuple[float, float]]],
        detectors_only: bool,
    ) -> Measure:
        measure = Measure()
        for unix in instants:
            measure.counts.append(
                [self.count(unix, length_s, p, detectors_only) for p in pointings(unix)]
            )
        return measure

    def probe_seconds(self, repeats: int, now: float) -> float:
        """Engine wall time of the old rules' probe: an embedded visit of the old maximum length
        at a random pointing and instant, and a 100,000-box lattice on one detector."""
        side = int(math.sqrt(LATTICE_SOURCES))
        step = 4000 // side
        boxes = [
            [i * step, j * step, i * step + step - 1, j * step + step - 1]
            for i in range(side)
            for j in range(side)
        ]
        ids = list(range(1, len(boxes) + 1))
        times = []
        for _ in range(repeats):
            unix = now + float(self._rng.uniform(-86400.0, 3600.0))
            visit = self._visit(unix, OLD_MAX_EXPOSURE_S, *random_direction(self._rng), None)
            started = time.perf_counter()
            self._engine.call(
                "filter_sources",
                {
                    "visit_id": visit["visit_id"],
                    "detector_id": 94,
                    "ids": ids,
                    "bboxes": boxes,
                    "visit": visit,
                },
            )
            times.append(time.perf_counter() - started)
            self._engine.call("drop_visit", {"visit_id": visit["visit_id"]})
        return float(np.median(times))


def box_quads(detector: int, boxes: np.ndarray, rotation_deg: float) -> np.ndarray:
    """(B, 4, 2) standard coordinates of the pixel areas of boxes (B, 4) = [x0, y0, x1, y1]
    of a detector, from the independent camera model."""
    x0, y0 = boxes[:, 0] - 0.5, boxes[:, 1] - 0.5
    x1, y1 = boxes[:, 2] + 0.5, boxes[:, 3] + 0.5
    px = np.stack([x0, x1, x1, x0], axis=-1)
    py = np.stack([y0, y0, y1, y1], axis=-1)
    fx, fy = camera.pixel_to_focal_plane(detector, px, py)
    ax, ay = camera.focal_plane_to_field_angle(fx, fy)
    xi, eta = camera.field_angle_to_standard(ax, ay, rotation_deg)
    return np.stack([xi, eta], axis=-1)


def lattice(detector: int, side: int) -> np.ndarray:
    """A side x side lattice of boxes tiling a detector: (side * side, 4)."""
    n_x, n_y = camera.detectors()[detector].n_pix
    step_x, step_y = n_x // side, n_y // side
    i, j = np.meshgrid(np.arange(side), np.arange(side), indexing="ij")
    i, j = i.ravel(), j.ravel()
    # The last column and row reach the detector's edge: the lattice covers all of it.
    x1 = np.where(i == side - 1, n_x - 1, (i + 1) * step_x - 1)
    y1 = np.where(j == side - 1, n_y - 1, (j + 1) * step_y - 1)
    return np.stack([i * step_x, j * step_y, x1, y1], axis=-1)


BUDGET_REFUSAL = "disclosure_budget_exhausted"


@dataclass
class BudgetRun:
    """What an insider's lattice requests got under the disclosure budget."""

    visits: int = 0
    refused: int = 0
    answered_after_refusal: int = 0  # none while nothing ages out of the hour
    disclosed: set[tuple[int, int]] = field(default_factory=set)  # (visit, object) pairs
    # Per answer given: the engine's count before and after it (stats), and the pairs disclosed
    # so far by the independent count.
    answers: list[tuple[int, int, int]] = field(default_factory=list)


def budget_run(
    insider: Insider,
    instants: list[float],
    pointings: Callable[[float], list[tuple[float, float]]],
    length_s: float,
    side: int,
    stop_at_refusal: bool = False,
) -> BudgetRun:
    """The insider's full plan against the engine's budget: at each instant the best pointing
    of the grid (oracle), then a ``side`` x ``side`` lattice on every science detector a
    corridor crosses (the others reveal nothing whatever is sent), one request each.  What each
    answer disclosed is counted independently of the engine: the objects with a track segment
    (``visit_tracks``) within its reach of a vetoed box's outline (independent camera model;
    the engine's reach for camera-model boxes adds small bounds, so it may count a little more).
    ``stop_at_refusal``: stop at the first refusal (nothing ages out of the hour during a run,
    so every later request would be refused too: test_disclosure_budget shows it).
    """
    run = BudgetRun()
    engine = insider._engine
    quads = detector_quads(0.0)
    for unix in instants:
        grid = pointings(unix)
        counts = [insider.count(unix, length_s, p, True) for p in grid]
        visit = insider._visit(unix, length_s, *grid[int(np.argmax(counts))], 0.0)
        engine.call("register_visit", visit)
        tracks = engine.call("visit_tracks", {"visit_id": visit["visit_id"]})
        run.visits += 1
        if not tracks["segments"]:
            continue
        segments = np.asarray([s[:5] for s in tracks["segments"]], dtype=float)
        owners = np.asarray([tracks["candidates"][s[5]] for s in tracks["segments"]])
        for detector in SCIENCE_DETECTORS:
            near = segments_hit_quads(segments, quads[detector : detector + 1])
            if not near.any():
                continue
            boxes = lattice(detector, side)
            before = engine.call("stats")["disclosure"]["revealed_last_hour"]
            try:
                answer = engine.call(
                    "filter_sources",
                    {
                        "visit_id": visit["visit_id"],
                        "detector_id": detector,
                        "ids": list(range(1, len(boxes) + 1)),
                        "bboxes": boxes.tolist(),
                    },
                )
            except EngineRpcError as error:
                if error.code != BUDGET_REFUSAL:
                    raise
                run.refused += 1
                if stop_at_refusal:
                    return run
                continue
            if run.refused:
                run.answered_after_refusal += 1
            vetoed = np.ones(len(boxes), dtype=bool)
            vetoed[np.asarray(answer["allowed"], dtype=np.int64) - 1] = False
            if vetoed.any():
                hit = segments_hit_quads(segments[near], box_quads(detector, boxes[vetoed], 0.0))
                run.disclosed |= {(visit["visit_id"], int(o)) for o in owners[near][hit]}
            after = engine.call("stats")["disclosure"]["revealed_last_hour"]
            run.answers.append((before, after, len(run.disclosed)))
    return run


def sun_azimuth_deg(unix: float, lat_deg: float, lon_deg: float) -> float:
    """The Sun's azimuth (degrees from North through East) from the site; precession ignored
    (a sunward pointing only needs the side of the sky)."""
    ra, dec = sky.sun_radec_rad(unix)
    hour_angle = float(sky.gmst_rad(unix)) + math.radians(lon_deg) - float(ra)
    lat = math.radians(lat_deg)
    return (
        math.degrees(
            math.atan2(
                -math.sin(hour_angle) * math.cos(float(dec)),
                math.cos(lat) * math.sin(float(dec))
                - math.sin(lat) * math.cos(float(dec)) * math.cos(hour_angle),
            )
        )
        % 360.0
    )


@dataclass(frozen=True)
class HonestProfile:
    """How an honest AP night is observed: exposure, cadence and where the telescope points
    (altitude range; azimuth anywhere, or within ``sunward_deg`` of the Sun's azimuth)."""

    name: str
    exposure_s: float
    cadence_s: float
    altitudes_deg: tuple[float, float]
    sunward_deg: float | None = None

    def pointing(self, rng: np.random.Generator, sun_azimuth: float) -> tuple[float, float]:
        # Uniform in sin(altitude): uniform over the sky's area between the two altitudes.
        low, high = (math.sin(math.radians(a)) for a in self.altitudes_deg)
        altitude = math.degrees(math.asin(rng.uniform(low, high)))
        if self.sunward_deg is None:
            return altitude, float(rng.uniform(0.0, 360.0))
        return altitude, (sun_azimuth + float(rng.uniform(-1, 1)) * self.sunward_deg) % 360.0


#: Honest AP's ways of observing, from the survey's bulk to the lowest it may go: Rubin's
#: wide-fast-deep visits (30 s, airmass up to ~1.5), the harness's grid of pointings from
#: 15.5 deg to the zenith, and twilight near the horizon (>= 15 deg) towards the Sun, with 30 s
#: visits and with 15 s ones at the visit-rate cap (``limits.max_visits_per_hour``).
HONEST_PROFILES = (
    HonestProfile("survey: 30 s every 37 s, altitude 40-85 deg", 30.0, 37.0, (40.0, 85.0)),
    HonestProfile("mixed: 30 s every 37 s, altitude 15-90 deg", 30.0, 37.0, (15.0, 90.0)),
    HonestProfile(
        "twilight low: 30 s every 37 s, altitude 15-25 deg, within 90 deg of the Sun's azimuth",
        30.0,
        37.0,
        (15.0, 25.0),
        90.0,
    ),
    HonestProfile(
        "twilight low, 15 s at the cap: 120 an hour, altitude 15-25 deg, sunward",
        15.0,
        30.0,
        (15.0, 25.0),
        90.0,
    ),
)


def rolling_hour_max(visits: list[tuple[float, int]]) -> int:
    """The most (visit, object) pairs revealed in any hour: ``visits`` are (start, pairs),
    every visit's pairs distinct from every other's (the budget counts per visit)."""
    visits = sorted(visits)
    best, total, first = 0, 0, 0
    for start, pairs in visits:
        total += pairs
        while visits[first][0] <= start - 3600.0:
            total -= visits[first][1]
            first += 1
        best = max(best, total)
    return best


def dark_span(site: dict[str, float], around: float, max_sun_deg: float) -> tuple[float, float]:
    """The night around ``around`` (a time in it): from when the Sun sinks below
    ``max_sun_deg`` to when it rises above it, to the minute."""
    lat, lon = site["latitude_deg"], site["longitude_deg"]

    def dark(t: float) -> bool:
        return sky.sun_altitude_deg(t, lat, lon) <= max_sun_deg

    start = end = around
    while dark(start - 60.0):
        start -= 60.0
    while dark(end + 60.0):
        end += 60.0
    return start, end


def honest_night(
    insider: Insider,
    profile: HonestProfile,
    blocks: list[tuple[float, float]],
    seed: int,
) -> list[tuple[float, int]]:
    """(start, pairs revealed) of every visit of ``profile`` over ``blocks`` of (start, end):
    pairs as the insider counts them (objects whose corridor crosses a science detector: an
    upper bound of what AP's DIASources reveal, a source on every corridor crossing)."""
    rng = np.random.default_rng(seed)
    lat, lon = insider._site["latitude_deg"], insider._site["longitude_deg"]
    visits = []
    for begin, end in blocks:
        t = begin
        while t + profile.exposure_s <= end:
            mid = t + profile.exposure_s / 2
            altitude, azimuth = profile.pointing(rng, sun_azimuth_deg(mid, lat, lon))
            pointing = altaz_to_icrs(altitude, azimuth, mid, lat, lon)
            rotation = float(rng.integers(-18, 19)) * 5.0  # rotSkyPos, cached by 5 deg
            pairs = insider.count(t, profile.exposure_s, pointing, True, rotation)
            visits.append((t, pairs))
            t += profile.cadence_s
    return visits


@dataclass
class Report:
    """Objects located per hour under each set of rules (the figures of docs/reliability.md)."""

    rows: list[tuple[str, float, float]]  # (rules, visits an hour, objects located a visit)
    honest_per_visit: float
    probe_s: float
    budget: int = 0  # limits.max_revealed_per_hour in force for the budget row
    budget_run: BudgetRun = field(default_factory=BudgetRun)  # the budget row's run
    honest_peaks: list[HonestPeak] = field(default_factory=list)

    @property
    def per_hour(self) -> list[float]:
        return [rate * per_visit for _, rate, per_visit in self.rows]

    def table(self) -> str:
        lines = [
            "| rules in force | visits an hour | located a visit | located an hour |",
            "|---|---|---|---|",
        ]
        for (rules, rate, per_visit), per_hour in zip(self.rows, self.per_hour, strict=True):
            lines.append(f"| {rules} | {rate:,.0f} | {per_visit:.2f} | {per_hour:,.0f} |")
        honest_rate = 3600 / HONEST_CADENCE_S
        lines.append(
            f"| honest AP: 30 s visits every 37 s, typical pointings above 15 deg | "
            f"{honest_rate:,.0f} | {self.honest_per_visit:.2f} | "
            f"{honest_rate * self.honest_per_visit:,.0f} |"
        )
        return "\n".join(lines)

    def honest_table(self) -> str:
        lines = [
            "| honest AP's night | visits | pairs revealed in the busiest hour | when (Sun) "
            "| mean an hour | default budget over the peak |",
            "|---|---|---|---|---|---|",
        ]
        default = LimitsConfig().max_revealed_per_hour
        for peak in self.honest_peaks:
            lines.append(
                f"| {peak.profile} | {peak.visits:,} | {peak.busiest_hour} | "
                f"{peak.sun_deg:.0f} deg | {peak.mean_per_hour:.0f} | "
                f"{default / max(peak.busiest_hour, 1):.2f}x |"
            )
        return "\n".join(lines)


@dataclass(frozen=True)
class HonestPeak:
    """The most (visit, object) pairs honest AP's answers reveal in any hour of a night."""

    profile: str
    visits: int
    busiest_hour: int
    sun_deg: float  # the Sun's altitude at the start of the busiest hour
    mean_per_hour: float


def honest_peaks(
    insider: Insider,
    now: float,
    profiles: tuple[HonestProfile, ...] = HONEST_PROFILES,
    seed: int = 21,
) -> list[HonestPeak]:
    """Each profile observed for the whole night around ``now`` (Sun below
    ``limits.max_sun_altitude_deg``), and its busiest hour (rolling, to the visit)."""
    site = insider._site
    begin, end = dark_span(site, now, LimitsConfig().max_sun_altitude_deg)
    peaks = []
    for k, profile in enumerate(profiles):
        visits = honest_night(insider, profile, [(begin, end)], seed + k)
        busiest = rolling_hour_max(visits)
        start = next(
            t for t, _ in visits if sum(p for u, p in visits if t <= u < t + 3600.0) == busiest
        )
        sun = sky.sun_altitude_deg(start, site["latitude_deg"], site["longitude_deg"])
        total = sum(p for _, p in visits)
        peaks.append(
            HonestPeak(profile.name, len(visits), busiest, sun, total * 3600.0 / (end - begin))
        )
    return peaks


def measure(
    engine: BlockingEngineClient,
    site: dict[str, float],
    now: float,
    instants: int,
    probe_repeats: int,
    seed: int = 14,
    budget: int | None = None,
    honest_nights: bool = False,
) -> Report:
    """The insider's objects located per hour, defence by defence (see the module doc).

    ``budget``: the disclosure budget of the last row (default ``limits.max_revealed_per_hour``);
    ``honest_nights``: also observe whole nights as honest AP (:func:`honest_peaks`).
    """
    limits = LimitsConfig()
    insider = Insider(engine, site, seed)
    rng = np.random.default_rng(seed)

    def anywhere(_unix: float) -> list[tuple[float, float]]:
        return [random_direction(rng) for _ in range(41)]

    def visible(unix: float) -> list[tuple[float, float]]:
        return insider.visible_grid(unix, limits.min_altitude_deg)

    # Instants: the old rules allowed a day back and an hour ahead; the new an hour back and
    # five minutes ahead (at night at the site: the site is chosen so that it is night now).
    old_instants = [now + float(rng.uniform(-86400.0, 3600.0)) for _ in range(instants)]
    new_instants = [now - float(rng.uniform(0.0, limits.past_window_s)) for _ in range(instants)]

    probe_s = insider.probe_seconds(probe_repeats, now)
    old_rate = min(3600.0 / probe_s, OLD_RATE_PER_S * 3600.0)
    back_to_back = 3600.0 / limits.min_exposure_s
    camera_rate = min(back_to_back, float(limits.max_visits_per_hour))
    shortest = limits.min_exposure_s

    old = insider.sweep(old_instants, OLD_MAX_EXPOSURE_S, anywhere, detectors_only=False)
    one_camera = insider.sweep(new_instants, shortest, anywhere, detectors_only=False)
    sky_rules = insider.sweep(new_instants, shortest, visible, detectors_only=False)
    footprints = insider.sweep(new_instants, shortest, visible, detectors_only=True)
    honest = insider.sweep(new_instants, HONEST_EXPOSURE_S, visible, detectors_only=True)

    # Without the rules a prober need not choose: it tiles the sky, so the typical direction
    # is its yield per probe.  With them, it takes the best pointing (oracle) at each instant.
    rows = [
        (
            "none (main before issue 14): any instant in [-24 h, +1 h], anywhere, 300 s, "
            "huge pixels, as fast as the engine answers",
            old_rate,
            old.typical(),
        ),
        (
            "+ one camera: exposures 15-40 s, no overlap, start in [-1 h, +5 min] "
            f"({back_to_back:.0f} visits an hour back to back)",
            back_to_back,
            one_camera.oracle(),
        ),
        (
            f"+ at most {limits.max_visits_per_hour} visits an hour",
            camera_rate,
            one_camera.oracle(),
        ),
        (
            "+ a sky the telescope can see: boresight >= 15 deg up, Sun <= -6 deg",
            camera_rate,
            sky_rules.oracle(),
        ),
        (
            "+ footprints the camera can produce: WCS checked, one answer per detector "
            "(all defences; best pointing at each instant)",
            camera_rate,
            footprints.oracle(),
        ),
        (
            "all defences but the budget, a prober without prior knowledge (the best fixed "
            "altitude and azimuth)",
            camera_rate,
            footprints.fixed(),
        ),
    ]

    # The budget: the oracle's plan played against the engine for an hour of visits (one
    # every 3,600 / camera_rate s over the past window), lattices on every crossed detector,
    # until the first refusal; what it was given is counted independently (budget_run).  The
    # pairs the probes above revealed are still in the engine's hour: the limit is raised by
    # them, so that the run starts with the whole budget.
    budget = limits.max_revealed_per_hour if budget is None else budget
    spent = engine.call("stats")["disclosure"]["revealed_last_hour"]
    engine.call("configure", {"max_revealed_per_hour": spent + budget})
    step = 3600.0 / camera_rate
    hour = [now - limits.past_window_s + k * step for k in range(int(camera_rate))]
    run = budget_run(insider, hour, visible, shortest, side=40, stop_at_refusal=True)
    rows.append(
        (
            f"+ disclosure budget: at most {budget} (catalog, visit, object) pairs revealed an "
            "hour, all clients together (the oracle's plan played for an hour, lattices on "
            "every crossed detector, counted independently)",
            camera_rate,
            len(run.disclosed) / camera_rate,
        )
    )
    peaks = honest_peaks(insider, now) if honest_nights else []
    return Report(rows, honest.typical(), probe_s, budget, run, peaks)
