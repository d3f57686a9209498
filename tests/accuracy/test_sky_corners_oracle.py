"""Sky-corner footprints in the real engine against a dense spherical brute force.

The engine judges a footprint given as four ICRS corners exactly in the visit's tangent plane:
the convex hull of the projected corners against each track segment's reach (docs/design.md,
"Matching"; engine/src/geometry/sky_quad.hpp).  Here nothing of that is trusted.
The track segments come from the engine (`visit_tracks`, tangent-plane endpoints about the
boresight), are taken back to the sphere, and everything else is done on the sphere in numpy:

* each quadrilateral is sampled densely: the great-circle arcs between every pair of its
  corners (they include every edge of the hull and of the quadrilateral in the client's
  order), points inside each of the four corner triangles, and an exact test of whether a
  track point lies inside one of those triangles;
* each track segment is sampled densely along its great-circle arc;
* the distance is the smallest true angle between the two sample sets.

Sampling can only overstate a distance, so "the brute force finds the track within reach"
is a fact, and the engine must then veto.  In the other direction the engine may veto more
(the hull instead of a concave or bow-tie quadrilateral; the tangent-plane stretch), and the
test bounds and reports how much.

The quadrilaterals (thousands) are drawn near the tracks of LEO, GEO, GNSS and Molniya
crossings and of two crossings found for the purpose: one through the south celestial pole and
one through RA 0/360.  Kinds: boxes in both orientations, bow-tie orders, random corner sets in
any order (concave ones included), slivers, exactly collinear corners, coincident corners,
and large ones up to the span limit.

A second test sends the same sources as pixel boxes (camera model; TAN WCS) and as the sky
corners of those boxes, computed with the independent camera and WCS in tests/oracle/.
"""

from __future__ import annotations

import asyncio
import math
import random
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest
from numpy.typing import NDArray

from oracle import camera
from oracle import wcs as tanwcs
from oracle.frames import altitude_deg, sun_altitude_deg
from oracle.tracks import Oracle
from oracle.visits import NOW, NOW_MJD, generate_visits, visit_request
from satveto.catalog.synthetic import build_demo_catalog, orbit_class
from satveto.engine.process import EngineProcess
from support import BlockingEngineClient

FloatArray = NDArray[np.float64]
ARCSEC = math.radians(1 / 3600)
CATALOG_SIZE = 3000
# Exposures are widened to two minutes around each crossing, so the crossing stays in the
# window whatever time scale the engine reads the MJDs in (TAI - UTC is 37 s).
HALF_WINDOW_S = 60.0
MARGIN_ARCSEC = 5.0  # the engine's default geometry margin
QUADS_PER_VISIT = 420
SPAN_LIMIT_DEG = 0.35  # the engine's default max_footprint_deg
DETECTOR = 94  # any science detector: sky corners do not depend on it


@dataclass
class Visit:
    request: dict
    kind: str
    segments: FloatArray  # (n, 6): a_xi, a_eta, b_xi, b_eta, reach (tangent-plane), candidate
    ends: FloatArray = field(init=False)  # (n, 2, 3) unit vectors of the segment ends

    def __post_init__(self) -> None:
        a = plane_to_unit(self.segments[:, 0], self.segments[:, 1], self)
        b = plane_to_unit(self.segments[:, 2], self.segments[:, 3], self)
        self.ends = np.stack([a, b], axis=1)

    @property
    def boresight(self) -> tuple[float, float]:
        return self.request["boresight_ra"], self.request["boresight_dec"]


@dataclass
class World:
    client: BlockingEngineClient
    visits: list[Visit]


def plane_to_unit(xi: FloatArray, eta: FloatArray, visit: Visit) -> FloatArray:
    """Unit vectors of tangent-plane points about the visit's boresight (oracle basis)."""
    c, e, n = tanwcs.tangent_basis(*visit.boresight)
    v = c + np.asarray(xi)[..., None] * e + np.asarray(eta)[..., None] * n
    return v / np.linalg.norm(v, axis=-1, keepdims=True)


def unit_to_radec(v: FloatArray) -> tuple[FloatArray, FloatArray]:
    return tanwcs.vector_to_radec(v)


def widened(request: dict, mid_mjd: float | None = None) -> dict:
    mid = (
        mid_mjd
        if mid_mjd is not None
        else 0.5 * (request["exposure_start_mjd"] + request["exposure_end_mjd"])
    )
    return dict(
        request,
        exposure_start_mjd=mid - HALF_WINDOW_S / 86400,
        exposure_end_mjd=mid + HALF_WINDOW_S / 86400,
    )


def find_crossing(
    client: BlockingEngineClient,
    records: list[dict],
    target: FloatArray,
    grid: FloatArray,
    within_deg: float,
) -> float | None:
    """A UTC MJD when some object of `records` passes within `within_deg` of `target`.

    Positions from the engine's `observe` on `grid`; the closest approach between two grid
    instants is found on the great circle through them and then confirmed at that instant.
    """
    step = grid[1] - grid[0]
    for record in records:
        seen = client.call("observe", {"elements": record, "mjd": grid.tolist()})
        ok = np.array([e == 0 for e in seen["errors"]])
        if not ok.all():
            continue
        u = tanwcs.unit_vector(np.array(seen["ra_deg"]), np.array(seen["dec_deg"]))
        u0, u1 = u[:-1], u[1:]
        normal = np.cross(u0, u1)
        normal /= np.linalg.norm(normal, axis=1, keepdims=True)
        off = np.degrees(np.abs(np.arcsin(normal @ target)))
        foot = target - (normal @ target)[:, None] * normal
        inside = (np.einsum("ij,ij->i", np.cross(u0, foot), normal) >= 0) & (
            np.einsum("ij,ij->i", np.cross(foot, u1), normal) >= 0
        )
        contiguous = np.abs(np.diff(grid) - step) < 1e-9
        for k in np.flatnonzero(inside & contiguous & (off < within_deg)):
            arc = np.arccos(np.clip(np.sum(u0[k] * u1[k]), -1, 1))
            part = np.arccos(np.clip(u0[k] @ foot[k] / np.linalg.norm(foot[k]), -1, 1))
            guess = float(grid[k] + step * part / arc)
            near = np.linspace(guess - 20 / 86400, guess + 20 / 86400, 401)
            seen = client.call("observe", {"elements": record, "mjd": near.tolist()})
            if any(e != 0 for e in seen["errors"]):
                continue
            v = tanwcs.unit_vector(np.array(seen["ra_deg"]), np.array(seen["dec_deg"]))
            j = int(np.argmax(v @ target))
            if np.degrees(np.arccos(min(1.0, float(v[j] @ target)))) < within_deg:
                return float(near[j])
    return None


def special_visits(client: BlockingEngineClient, catalog: list[dict]) -> list[tuple[dict, str]]:
    """A crossing through the south celestial pole and one through RA 0 (Dec -30)."""
    grid = NOW_MJD + np.arange(-0.99, 0.99, 30 / 86400)
    dark = grid[sun_altitude_deg(grid) < -12.0]
    leo = [r for r in catalog if orbit_class(r) in ("sso", "starlink", "leo_debris")][:800]
    out: list[tuple[dict, str]] = []
    # The pole is 30 deg up from the site at every hour.
    pole = np.array([0.0, 0.0, -1.0])
    mid = find_crossing(client, leo, pole, dark, within_deg=0.6)
    assert mid is not None, "no LEO object crosses the south pole in the test catalog"
    base = {"rotation_deg": 30.0, "exposure_start_mjd": mid, "exposure_end_mjd": mid}
    out.append(
        (
            widened(dict(base, visit_id=9_000_001, boresight_ra=45.0, boresight_dec=-89.5), mid),
            "pole",
        )
    )
    out.append(
        (
            widened(dict(base, visit_id=9_000_002, boresight_ra=0.0, boresight_dec=-90.0), mid),
            "pole_exact",
        )
    )
    wrap = tanwcs.unit_vector(0.0, -30.0)
    up = dark[altitude_deg(np.zeros(dark.size), np.full(dark.size, -30.0), dark) > 25.0]
    mid = find_crossing(client, leo, wrap, up, within_deg=0.6)
    assert mid is not None, "no LEO object crosses RA 0 at Dec -30 in the test catalog"
    base = {"rotation_deg": 100.0, "exposure_start_mjd": mid, "exposure_end_mjd": mid}
    out.append(
        (
            widened(dict(base, visit_id=9_000_003, boresight_ra=0.0, boresight_dec=-30.0), mid),
            "wrap",
        )
    )
    out.append(
        (
            widened(dict(base, visit_id=9_000_004, boresight_ra=359.8, boresight_dec=-30.1), mid),
            "wrap",
        )
    )
    return out


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    catalog = build_demo_catalog(NOW, count=CATALOG_SIZE)
    generated = generate_visits(Oracle(catalog), random_count=0)
    chosen: dict[str, int] = {"leo_zenith": 2, "leo_low": 2, "geo": 2, "gnss": 1, "molniya": 1}
    engine = EngineProcess(Path(tmp_path_factory.mktemp("engine")) / "e.sock")
    engine.start()
    asyncio.run(engine.wait_ready())
    client = BlockingEngineClient(engine.socket_path, timeout_s=300)
    client.call(
        "load_catalog",
        {"generation": "sky", "fetched_at_unix": NOW.timestamp(), "objects": catalog},
    )
    requests: list[tuple[dict, str]] = []
    for v in generated:
        if chosen.get(v["kind"], 0) > 0:
            chosen[v["kind"]] -= 1
            requests.append((widened(visit_request(v)), v["kind"]))
    requests += special_visits(client, catalog)
    visits = []
    for request, kind in requests:
        client.call("register_visit", request)
        tracks = client.call("visit_tracks", {"visit_id": request["visit_id"]})
        assert tracks["segments"], (kind, request)
        assert not tracks["veto_everything"]
        visits.append(Visit(request, kind, np.array(tracks["segments"], dtype=float)))
    yield World(client, visits)
    client.close()
    assert engine.stop() == 0


# ---------------------------------------------------------------- random quadrilaterals

QUAD_KINDS = (
    "box",
    "box_clockwise",
    "bowtie",
    "random_order",
    "sliver",
    "collinear",
    "coincident",
    "two_points",
    "large",
)


def near_ra_zero(visit: Visit) -> tuple[int, float]:
    """The segment and position along it where the track crosses RA 0 (nearest sample)."""
    t = np.linspace(0.0, 1.0, 201)[:, None]
    best = (0, 0.0, np.inf)
    for s, (a, b) in enumerate(visit.ends):
        v = (1 - t) * a + t * b
        k = int(np.argmin(np.where(v[:, 0] > 0, np.abs(v[:, 1]), np.inf)))
        if abs(v[k, 1]) < best[2]:
            best = (s, float(t[k, 0]), abs(v[k, 1]))
    return best[0], best[1]


def random_quad(rng: random.Random, visit: Visit, kind: str) -> FloatArray:
    """Four tangent-plane corners (4, 2) near a random point of the visit's tracks."""
    s = rng.randrange(len(visit.segments))
    t = rng.random()
    if visit.kind == "wrap" and rng.random() < 0.6:
        s, t = near_ra_zero(visit)
    seg = visit.segments[s]
    reach = seg[4]
    a, b = seg[0:2], seg[2:4]
    direction = (b - a) / max(np.linalg.norm(b - a), 1e-300)
    normal = np.array([-direction[1], direction[0]])
    size = reach * 10 ** rng.uniform(-1.5, 0.5)
    centre = a + t * (b - a) + normal * reach * rng.uniform(-2.0, 2.0)
    centre += normal * math.copysign(size, rng.uniform(-1, 1)) * rng.random()
    angle = rng.uniform(0, 2 * math.pi)
    rot = np.array([[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]])
    if kind == "large":
        size = math.radians(rng.uniform(0.05, 0.11))
    w, h = size * rng.uniform(0.2, 1.0), size * rng.uniform(0.2, 1.0)
    rect = np.array([[-w, -h], [w, -h], [w, h], [-w, h]]) @ rot.T + centre
    if kind in ("box", "large"):
        return rect
    if kind == "box_clockwise":
        return rect[::-1]
    if kind == "bowtie":
        return rect[[0, 2, 1, 3]]
    if kind == "random_order":
        return centre + np.array([[rng.gauss(0, size), rng.gauss(0, size)] for _ in range(4)])
    if kind == "sliver":
        s = np.array([rng.uniform(-size, size) for _ in range(4)])
        jitter = np.array([rng.gauss(0, 1e-9 * size) for _ in range(4)])
        return centre + s[:, None] * direction[None, :] @ rot.T + jitter[:, None] * normal
    if kind == "collinear":
        s = np.array([rng.uniform(-size, size) for _ in range(4)])
        return centre + s[:, None] * (rot @ direction)[None, :]
    if kind == "coincident":
        return np.repeat(centre[None, :], 4, axis=0)
    if kind == "two_points":
        other = centre + rot @ np.array([size, 0.0])
        return np.array([centre, other, other, centre])[rng.sample(range(4), 4)]
    raise AssertionError(kind)


# ---------------------------------------------------------------- the spherical brute force


def arc_samples(p: FloatArray, q: FloatArray, spacing: float) -> FloatArray:
    """Points along the great-circle arc from unit vector p to q, at most `spacing` apart."""
    length = math.atan2(np.linalg.norm(np.cross(p, q)), float(p @ q))
    n = max(2, math.ceil(length / spacing) + 1)
    t = np.linspace(0.0, 1.0, n)[:, None]
    v = (1 - t) * p + t * q
    return v / np.linalg.norm(v, axis=1, keepdims=True)


TRIANGLES = ((0, 1, 2), (0, 2, 3), (0, 1, 3), (1, 2, 3))
_LATTICE = 12
_BARYCENTRIC = np.array(
    [(a, b, _LATTICE - a - b) for a in range(_LATTICE + 1) for b in range(_LATTICE + 1 - a)],
    dtype=float,
)


def quad_samples(corners: FloatArray, spacing: float) -> tuple[FloatArray, FloatArray]:
    """(hull samples, outline samples) of four corner unit vectors.

    Hull: arcs between every pair of corners and a barycentric lattice inside each corner
    triangle (normalised convex combinations of three unit vectors fill the spherical
    triangle).  Outline: the four edges in the given order.
    """
    pairs = [
        arc_samples(corners[i], corners[j], spacing) for i in range(4) for j in range(i + 1, 4)
    ]
    outline = [arc_samples(corners[i], corners[(i + 1) % 4], spacing) for i in range(4)]
    lattice = [_BARYCENTRIC @ corners[list(t)] for t in TRIANGLES]
    lattice = [v / np.linalg.norm(v, axis=1, keepdims=True) for v in lattice]
    return np.vstack([*pairs, *lattice]), np.vstack(outline)


def inside_any_triangle(corners: FloatArray, points: FloatArray) -> bool:
    """Whether a point lies inside one of the spherical triangles of the corners (exact signs)."""
    for i, j, k in TRIANGLES:
        a, b, c = corners[i], corners[j], corners[k]
        orientation = float(np.cross(a, b) @ c)
        if abs(orientation) < 1e-20:
            continue  # no area: its edges are sampled as arcs
        s = math.copysign(1.0, orientation)
        if np.any(
            (s * (points @ np.cross(a, b)) >= 0)
            & (s * (points @ np.cross(b, c)) >= 0)
            & (s * (points @ np.cross(c, a)) >= 0)
        ):
            return True
    return False


def min_angle(p: FloatArray, q: FloatArray) -> float:
    """Smallest angle between any of the unit vectors p and any of q."""
    best = float(np.max(p @ q.T))
    return 2.0 * math.asin(min(1.0, math.sqrt(max(0.0, 2.0 - 2.0 * best)) / 2.0))


@dataclass
class Brute:
    hull: FloatArray  # per segment: angle from the hull of the corners (inf when far)
    outline: FloatArray  # per segment: angle from the quadrilateral's outline


def brute_force(corners: FloatArray, visit: Visit, spacing: float) -> Brute:
    n = len(visit.segments)
    hull, outline = np.full(n, np.inf), np.full(n, np.inf)
    centre = corners.sum(axis=0)
    centre /= np.linalg.norm(centre)
    radius = float(np.max(np.arccos(np.clip(corners @ centre, -1, 1))))
    hull_points, outline_points = quad_samples(corners, spacing)
    for s in range(n):
        a, b = visit.ends[s]
        length = math.acos(min(1.0, float(a @ b)))
        to_ends = math.acos(min(1.0, max(float(a @ centre), float(b @ centre))))
        # A lower bound of the distance from the hull: skip segments that cannot matter.
        if to_ends - 0.5 * length - radius > 2.0 * visit.segments[s, 4] + 4 * spacing:
            continue
        track = arc_samples(a, b, spacing)
        hull[s] = 0.0 if inside_any_triangle(corners, track) else min_angle(hull_points, track)
        outline[s] = min_angle(outline_points, track)
    return Brute(hull, outline)


def true_reach_lower_bound(visit: Visit) -> FloatArray:
    """Each segment's reach as a true angle, from below.

    The engine stretches reaches by 1/cos^2 of the widest angle from the boresight involved
    (camera field + margin + widest reach); undoing it with a wider angle gives a lower bound.
    """
    reach = visit.segments[:, 4]
    theta = math.radians(camera.fov_radius_deg()) + MARGIN_ARCSEC * ARCSEC + float(reach.max())
    return reach * math.cos(theta) ** 2


def in_field(corners: FloatArray, visit: Visit) -> bool:
    """Corners well inside the camera field and within the span limit (else denied)."""
    c = tanwcs.unit_vector(*visit.boresight)
    field = math.radians(camera.fov_radius_deg())
    if np.max(np.arccos(np.clip(corners @ c, -1, 1))) > field - ARCSEC:
        return False
    spans = np.arccos(np.clip(corners @ corners.T, -1, 1))
    return float(spans.max()) < math.radians(SPAN_LIMIT_DEG) - ARCSEC


def sky_corners_of(corners: FloatArray) -> list[list[float]]:
    ra, dec = unit_to_radec(corners)
    return [[float(r), float(d)] for r, d in zip(ra, dec, strict=True)]


def filter_sky(client: BlockingEngineClient, visit_id: int, quads: list[list]) -> set[int]:
    result = client.call(
        "filter_sources",
        {
            "visit_id": visit_id,
            "detector_id": DETECTOR,
            "ids": list(range(len(quads))),
            "sky_corners": quads,
        },
    )
    return set(result["allowed"])


def test_sky_corner_verdicts_against_spherical_brute_force(world: World) -> None:
    rng = random.Random(1313)
    kinds_seen = {v.kind for v in world.visits}
    assert {
        "leo_zenith",
        "leo_low",
        "geo",
        "gnss",
        "molniya",
        "pole",
        "pole_exact",
        "wrap",
    } <= kinds_seen
    totals: Counter[str] = Counter()
    over: Counter[str] = Counter()
    hull_over: Counter[str] = Counter()
    vetoed_by_kind: Counter[str] = Counter()
    worst_excess = 0.0
    wrapped = 0
    for visit in world.visits:
        spacing = float(visit.segments[:, 4].min()) / 40.0
        reach_lo = true_reach_lower_bound(visit)
        reach_plane = visit.segments[:, 4]
        quads: list[FloatArray] = []
        kinds: list[str] = []
        while len(quads) < QUADS_PER_VISIT:
            kind = QUAD_KINDS[len(quads) % len(QUAD_KINDS)]
            if kind == "large" and rng.random() > 0.3:
                kind = "box"  # large ones are slow to sample: fewer of them
            plane = random_quad(rng, visit, kind)
            corners = plane_to_unit(plane[:, 0], plane[:, 1], visit)
            if in_field(corners, visit):
                quads.append(corners)
                kinds.append(kind)
        sent = [sky_corners_of(q) for q in quads]
        wrapped += sum(1 for q in sent if max(c[0] for c in q) - min(c[0] for c in q) > 180)
        allowed = filter_sky(world.client, visit.request["visit_id"], sent)
        for i, (corners, kind) in enumerate(zip(quads, kinds, strict=True)):
            brute = brute_force(corners, visit, spacing)
            vetoed = i not in allowed
            totals[kind] += 1
            vetoed_by_kind[kind] += vetoed
            must_veto = bool(np.any(brute.hull <= reach_lo))
            assert vetoed or not must_veto, (visit.kind, kind, sent[i])
            if vetoed:
                # Never more than the hull within the (stretched) reach, give or take sampling.
                excess = float(np.min(brute.hull - reach_plane))
                assert excess <= 2 * spacing, (visit.kind, kind, excess / ARCSEC)
                worst_excess = max(worst_excess, float(np.min(brute.hull / reach_lo)))
                if not np.any(brute.outline <= reach_lo):
                    over[kind] += 1  # the quadrilateral itself is out of reach
                    if np.any(brute.hull <= reach_lo):
                        hull_over[kind] += 1  # ... and only its hull is within it
    total = sum(totals.values())
    vetoed_total = sum(vetoed_by_kind.values())
    print(f"\n{total} quadrilaterals, {vetoed_total} vetoed, {wrapped} across RA 0/360")
    for kind in QUAD_KINDS:
        print(
            f"  {kind:13s} {totals[kind]:5d} quads, {vetoed_by_kind[kind]:5d} vetoed, "
            f"{over[kind]:4d} vetoed with the quadrilateral out of reach "
            f"({hull_over[kind]} of them because of the hull)"
        )
    print(f"  largest vetoed hull distance / true reach: {worst_excess:.5f}")
    assert total >= 4000
    assert wrapped >= 50
    # The test bites both ways: many footprints on each side of the boundary.
    assert 0.2 * total < vetoed_total < 0.8 * total
    # For the well-formed kinds the only excess is the projection stretch (< 0.2 %).
    for kind in ("box", "box_clockwise", "collinear", "coincident", "two_points", "sliver"):
        assert over[kind] <= 0.02 * totals[kind], (kind, over[kind])
    assert worst_excess < 1.0 + 0.003 + 0.1


# ---------------------------------------------------------------- pixel boxes vs sky corners


def area_corners(box: list[int]) -> tuple[FloatArray, FloatArray]:
    """The corners of a box's pixel area, in the box's own order."""
    x0, y0, x1, y1 = box
    return (
        np.array([x0 - 0.5, x1 + 0.5, x1 + 0.5, x0 - 0.5]),
        np.array([y0 - 0.5, y0 - 0.5, y1 + 0.5, y1 + 0.5]),
    )


def test_pixel_boxes_and_their_sky_corners_agree(world: World) -> None:
    rng = random.Random(77)
    by_detector: dict[tuple[int, int], list[tuple[list[int], bool]]] = {}
    visits = {v.request["visit_id"]: v for v in world.visits if v.kind not in ("pole_exact",)}
    for visit in visits.values():
        ra0, dec0 = visit.boresight
        rot = visit.request["rotation_deg"]
        for _ in range(300):
            seg = visit.segments[rng.randrange(len(visit.segments))]
            t = rng.random()
            on_track = rng.random() < 0.3
            offset = 0.0 if on_track else rng.uniform(-2.0, 2.0) * seg[4]
            a, b = seg[0:2], seg[2:4]
            d = (b - a) / np.linalg.norm(b - a)
            p = a + t * (b - a) + offset * np.array([-d[1], d[0]])
            ra, dec = unit_to_radec(plane_to_unit(p[0], p[1], visit))
            hits = camera.sky_to_pixel(float(ra), float(dec), ra0, dec0, rot)
            for detector, x, y in hits:
                if detector >= 189:
                    continue
                n_x, n_y = camera.detectors()[detector].n_pix
                half = rng.randrange(0, 20)
                x0, y0 = round(x) - half, round(y) - rng.randrange(0, 20)
                x1, y1 = round(x) + rng.randrange(0, 20), round(y) + half
                if x0 < 0 or y0 < 0 or x1 >= n_x or y1 >= n_y:
                    continue
                by_detector.setdefault((visit.request["visit_id"], detector), []).append(
                    ([x0, y0, x1, y1], on_track)
                )
    counts: Counter[str] = Counter()
    for (visit_id, detector), entries in by_detector.items():
        visit = visits[visit_id]
        ra0, dec0 = visit.boresight
        rot = visit.request["rotation_deg"]
        boxes = [box for box, _ in entries]
        wcs = camera.detector_tan_wcs(detector, ra0, dec0, rot)
        wcs_params = {k: wcs[k] for k in ("crval", "crpix", "cd")}
        camera_corners, wcs_corners = [], []
        for box in boxes:
            px, py = area_corners(box)
            ra_c, dec_c = camera.pixel_to_sky(detector, px, py, ra0, dec0, rot)
            camera_corners.append([[float(r), float(d)] for r, d in zip(ra_c, dec_c, strict=True)])
            ra_w, dec_w = tanwcs.wcs_pixel_to_sky(wcs_params, px, py)
            wcs_corners.append([[float(r), float(d)] for r, d in zip(ra_w, dec_w, strict=True)])

        common = {"visit_id": visit_id, "detector_id": detector, "ids": list(range(len(boxes)))}

        def allowed(common: dict = common, **footprints: object) -> set[int]:
            request = {**common, **footprints}
            return set(world.client.call("filter_sources", request)["allowed"])

        by_camera = allowed(bboxes=boxes)
        by_camera_corners = allowed(sky_corners=camera_corners)
        by_wcs = allowed(bboxes=boxes, wcs=wcs_params)
        by_wcs_corners = allowed(sky_corners=wcs_corners)
        # A TAN WCS maps pixel lines to great circles: the two footprints are the same quad.
        assert by_wcs == by_wcs_corners, (visit_id, detector)
        # The camera path grows boxes by the bound on its edges' bow (< 0.1") and by the bound
        # on differential refraction across the field (docs/matching.md, up to ~11" at 30 deg
        # altitude; sky corners need none): it vetoes a band more, never fewer.
        assert by_camera <= by_camera_corners, (visit_id, detector)
        counts["camera_only_vetoes"] += len(by_camera_corners - by_camera)
        for i, (_, on_track) in enumerate(entries):
            counts["sources"] += 1
            counts["allowed"] += i in by_wcs
            if on_track:
                counts["on_track"] += 1
                for verdicts in (by_camera, by_camera_corners, by_wcs, by_wcs_corners):
                    assert i not in verdicts
    print(f"\npixel boxes vs sky corners: {dict(counts)}")
    assert counts["on_track"] >= 300
    assert counts["allowed"] >= 300
    # The band is a few arcseconds wide around each corridor: a few percent of the sources.
    assert counts["camera_only_vetoes"] <= 0.06 * counts["sources"]
