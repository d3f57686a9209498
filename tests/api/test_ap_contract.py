"""Contract test of the AP protocol: exactly what lsst/ip_diffim's client does, against the real
engine over TLS, with the truth from the test oracle (tests/oracle/).

The client (tests/ap_client.py) sends the visit as the VisitInfo midpoint -/+ half the exposure
time, then each detector's sources as the four corners of their pixel boxes mapped to the sky
(AP maps them with its full WCS; here the camera model of tests/oracle/camera.py plays that
part), re-sends the visit and retries once on 404, and raises on any status >= 400.

Checked: sources on an oracle track are absent from ``allow_list``; sources far from every
track are present; an unknown visit is 404 (the client's retry then succeeds); a historical
visit is 503 (no historical catalog yet) and the client raises.
"""

from __future__ import annotations

import dataclasses
import random
import ssl
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from ap_client import ApClient, ApVisitInfo, HttpStatusError
from fake_engine import (
    RELAXED_LIMITS,
    TEST_CATALOG,
    Frontend,
    RealHarness,
    api_config,
    start_frontend,
)
from oracle import camera
from oracle.star_frame import star_frame, utc_to_tai_mjd
from oracle.tracks import Oracle
from oracle.visits import NOW, generate_visits
from satveto.catalog.synthetic import build_demo_catalog
from satveto.runtime.config import SiteConfig
from satveto.web.app_keys import CATALOG

pytest_plugins = ["test_api_fixtures"]

SECONDS_PER_DAY = 86400.0
BOX_HALF_PX = 3  # a 7 x 7 pixel footprint
FAR_DEG = 0.05  # "far": this much beyond the corridor and margin of every object in view
# The engine's default tolerance model (engine/src/matching/tolerance.hpp, docs/design.md).
MIN_ARCSEC, A_KM, B_KM_PER_DAY, MARGIN_ARCSEC = 20.0, 1.0, 0.2, 5.0
#: TAI - UTC since 2017.  The oracle's visits are written in UTC MJDs; AP sends TAI, and the
#: service reads the AP protocol's MJDs as TAI (docs/design.md "Time scale").
HTTP_MJD_OFFSET_S = 37.0


@dataclass(frozen=True)
class World:
    oracle: Oracle
    catalog: list[dict[str, Any]]
    visits: list[dict[str, Any]]


@pytest.fixture(scope="module")
def world() -> World:
    catalog = build_demo_catalog(NOW, count=4000)
    oracle = Oracle(catalog)
    visits = [v for v in generate_visits(oracle, random_count=0) if v["kind"] != "molniya"][:6]
    return World(oracle, catalog, visits)


@pytest.fixture
async def service(
    world: World, tls_files: tuple[Path, Path], socket_dir: Path
) -> AsyncIterator[Frontend]:
    engine = RealHarness(socket_dir / "engine.sock")
    await engine.start()
    # The oracle's sky is a fixed date (NOW), its visits synthetic pointings that one camera
    # could not all take: the test-only switches lift the time window and the one-camera and
    # visible-sky gate (refused outside test catalogs); the catalog is installed as fresh.
    # The oracle observes from Rubin (SiteConfig's default), not the test night site.
    limits = {"allow_reprocessing": True, **RELAXED_LIMITS}
    config = api_config(
        tls_files,
        engine.socket_path,
        limits=limits,
        catalog=TEST_CATALOG,
        site=dataclasses.asdict(SiteConfig()),
    )
    front = await start_frontend(config)
    await front.app[CATALOG].install(world.catalog, time.time(), source="test")
    yield front
    await front.stop()
    await engine.close()


def on_track_positions(world: World, visit: dict[str, Any]) -> list[tuple[float, float]]:
    """Sky positions (ra, dec degrees) of satellites crossing the field during the exposure, as a
    Gaia-fitted WCS would place their images: the one place this test asks where they are.

    The dense geometric oracle finds the crossings and their instants (UTC); the rigorous
    star-frame oracle (tests/oracle/star_frame.py: light time, aberration, IERS Earth
    orientation, with astropy) gives the positions at those instants read in TAI.
    """
    records = {record["NORAD_CAT_ID"]: record for record in world.catalog}
    positions = []
    fov = camera.fov_radius_deg()
    for norad, track in world.oracle.tracks(visit, pad_s=0.0, radius_deg=fov).items():
        inside = np.flatnonzero(track.within(fov - 0.05))
        picks = inside[:: max(1, len(inside) // 4)][:4]
        if len(picks) == 0:
            continue
        seen = star_frame(records[norad], utc_to_tai_mjd(track.mjd[picks]))
        positions.extend(zip(seen.ra_deg.tolist(), seen.dec_deg.tolist(), strict=True))
    return positions


def box_corners(
    visit: dict[str, Any], ra: float, dec: float
) -> list[tuple[int, list[list[float]]]]:
    """(detector, four sky corners) of a small pixel box around the position on each detector
    holding it: the centres of the box's corner pixels mapped to the sky, as AP does."""
    ra0, dec0, rot = visit["boresight_ra"], visit["boresight_dec"], visit["rotation_deg"]
    found = []
    for detector, x, y in camera.sky_to_pixel(ra, dec, ra0, dec0, rot):
        if detector not in camera.detectors() or detector >= 189:
            continue
        n_x, n_y = camera.detectors()[detector].n_pix
        x0, y0 = round(x) - BOX_HALF_PX, round(y) - BOX_HALF_PX
        x1, y1 = round(x) + BOX_HALF_PX, round(y) + BOX_HALF_PX
        if x0 < 0 or y0 < 0 or x1 >= n_x or y1 >= n_y:
            continue
        xs, ys = np.array([x0, x1, x1, x0], float), np.array([y0, y0, y1, y1], float)
        ras, decs = camera.pixel_to_sky(detector, xs, ys, ra0, dec0, rot)
        found.append((detector, [[float(r), float(d)] for r, d in zip(ras, decs, strict=True)]))
    return found


def far_positions(
    oracle: Oracle, visit: dict[str, Any], count: int, rng: random.Random
) -> list[tuple[float, float]]:
    """Positions in the field farther than corridor + margin + FAR_DEG from every track near it
    (padded in time).  The corridor is the engine's default tolerance model (docs/design.md)."""
    fov = camera.fov_radius_deg()
    tracks = list(oracle.tracks(visit, pad_s=20.0, radius_deg=fov + 2.0).values())
    mid = 0.5 * (visit["exposure_start_mjd"] + visit["exposure_end_mjd"])
    reach = [
        _corridor_deg(oracle.records[oracle.index_of(track.norad_id)], mid, track)
        + MARGIN_ARCSEC / 3600.0
        + FAR_DEG
        for track in tracks
    ]
    ra0, dec0 = visit["boresight_ra"], visit["boresight_dec"]
    found: list[tuple[float, float]] = []
    while len(found) < count:
        radius, angle = fov * 0.8 * np.sqrt(rng.random()), rng.uniform(0, 2 * np.pi)
        dec = dec0 + radius * np.cos(angle)
        ra = (ra0 + radius * np.sin(angle) / np.cos(np.radians(dec))) % 360.0
        if all(
            _min_separation(track.ra_deg, track.dec_deg, ra, dec) > limit
            for track, limit in zip(tracks, reach, strict=True)
        ):
            found.append((float(ra), float(dec)))
    return found


def _corridor_deg(record: dict[str, Any], mid_mjd: float, track: Any) -> float:
    """max(min_arcsec, atan((a + b * age) / range)) at the track's nearest range."""
    epoch = (np.datetime64(record["EPOCH"]) - np.datetime64("1858-11-17")) / np.timedelta64(1, "D")
    age_days = abs(mid_mjd - float(epoch))
    width_km = A_KM + B_KM_PER_DAY * age_days
    return max(MIN_ARCSEC / 3600.0, float(np.degrees(np.arctan(width_km / track.range_km.min()))))


def _min_separation(ras: np.ndarray, decs: np.ndarray, ra: float, dec: float) -> float:
    r1, d1, r2, d2 = map(np.radians, (ras, decs, ra, dec))
    cos = np.sin(d1) * np.sin(d2) + np.cos(d1) * np.cos(d2) * np.cos(r1 - r2)
    return float(np.degrees(np.arccos(np.clip(cos, -1, 1))).min())


def ap_visit_info(visit: dict[str, Any]) -> ApVisitInfo:
    start, end = visit["exposure_start_mjd"], visit["exposure_end_mjd"]
    return ApVisitInfo(
        visit_id=visit["visit_id"],
        mid_mjd_tai=0.5 * (start + end) + HTTP_MJD_OFFSET_S / SECONDS_PER_DAY,
        exposure_time_s=(end - start) * SECONDS_PER_DAY,
        boresight_ra=visit["boresight_ra"],
        boresight_dec=visit["boresight_dec"],
    )


async def test_on_track_sources_are_withheld_and_far_ones_allowed(
    world: World, service: Frontend, client_tls: ssl.SSLContext
) -> None:
    rng = random.Random(13)
    client = ApClient(service.base, client_tls)
    vetoed_checked = allowed_checked = 0
    for visit in world.visits:
        info = ap_visit_info(visit)
        await client.populate_visit_cache(info)
        per_detector: dict[int, list[tuple[int, list[list[float]], bool]]] = {}
        next_id = visit["visit_id"] * 1000
        for ra, dec in on_track_positions(world, visit):
            for detector, corners in box_corners(visit, ra, dec):
                next_id += 1
                per_detector.setdefault(detector, []).append((next_id, corners, True))
        for ra, dec in far_positions(world.oracle, visit, 20, rng):
            for detector, corners in box_corners(visit, ra, dec):
                next_id += 1
                per_detector.setdefault(detector, []).append((next_id, corners, False))
        for detector, sources in per_detector.items():
            allowed = await client.allow_list(
                info, detector, [(source_id, corners) for source_id, corners, _ in sources]
            )
            for source_id, _, on_track in sources:
                if on_track:
                    assert source_id not in allowed, (visit["kind"], visit["visit_id"], detector)
                    vetoed_checked += 1
                else:
                    assert source_id in allowed, (visit["kind"], visit["visit_id"], detector)
                    allowed_checked += 1
    assert vetoed_checked >= 20
    assert allowed_checked >= 50
    assert {status for _, _, status in client.log.calls} == {200}


async def test_unknown_visit_is_404_then_the_clients_retry_succeeds(
    world: World, service: Frontend, client_tls: ssl.SSLContext
) -> None:
    visit = world.visits[0]
    info = ap_visit_info(visit)
    client = ApClient(service.base, client_tls)
    positions = on_track_positions(world, visit)
    (detector, corners), *_ = (hit for ra, dec in positions for hit in box_corners(visit, ra, dec))
    allowed = await client.allow_list(info, detector, [(1, corners)])
    assert allowed == []
    assert client.log.calls == [
        ("PUT", "/diasource_allow_list", 404),
        ("PUT", "/visit_cache", 200),
        ("PUT", "/diasource_allow_list", 200),
    ]


async def test_historical_visit_is_503_and_the_client_raises(
    world: World, service: Frontend, client_tls: ssl.SSLContext
) -> None:
    visit = world.visits[1]
    info = ap_visit_info(visit)
    client = ApClient(service.base, client_tls, historical=True)
    with pytest.raises(HttpStatusError) as raised:
        await client.populate_visit_cache(info)
    # Reprocessing is on here, but no catalog of the visit's epoch can be had (the test
    # catalog has no history): 503, never today's elements.
    assert raised.value.status == 503
    with pytest.raises(HttpStatusError) as raised:
        await client.allow_list(info, 94, [(1, [[1.0, 1.0]] * 4)])
    assert raised.value.status == 503
