"""Visits and DIASource requests for the reliability suites, deterministic from a seed.

Visits point at geostationary objects of the demo catalog (found with the engine's diagnostic
``observe``), so that the camera-model matching vetoes sources near the middle of the focal
plane; the demo's own request (sources on and off a GEO track, with a TAN WCS, on detector 94)
is added to every visit, so every run exercises the veto.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fake_engine import night_site
from oracle import camera
from oracle import wcs as tanwcs
from satveto.astro import sky
from satveto.astro.timescales import mjd_now
from satveto.engine.rpc import EngineClient
from satveto.tools.demo import DETECTOR, DETECTOR_PIXELS

MJD_UNIX_EPOCH = 40587.0
SCIENCE_DETECTORS = 189
# Inside every LSSTCam science detector (E2V 4096 x 4004, ITL 4072 x 4000 pixels).
MAX_X, MAX_Y = 4071, 3999
EXPOSURE_S = 30.0


@dataclass
class VisitPlan:
    visit: dict[str, Any]
    requests: list[dict[str, Any]] = field(default_factory=list)  # DIASource request bodies

    @property
    def visit_id(self) -> int:
        return int(self.visit["visit_id"])

    def sources(self) -> int:
        return sum(len(r["diasources"]) for r in self.requests)


def mjd_of(unix: float) -> float:
    """The TAI MJD (the default time scale of every request) of a wall-clock instant."""
    return mjd_now(unix, "tai")


#: Lowest altitude of a GEO pointing: the service refuses visits below 15 degrees.
MIN_ALTITUDE_DEG = 20.0


async def geo_pointings(
    socket_path: Path,
    records: list[dict[str, Any]],
    start_mjd: float,
    count: int,
    site: dict[str, float] | None = None,
) -> list[tuple[float, float, list[tuple[float, float]]]]:
    """Up to `count` GEO objects at least MIN_ALTITUDE_DEG up from the site (the tests' night
    site unless given; the engine must be configured with the same): (ra, dec) at
    mid-exposure and the track over the exposure (ra, dec every 3 s)."""
    site = site or night_site()
    instants = [start_mjd + k / 86400.0 for k in range(0, 31, 3)]
    found: list[tuple[float, float, list[tuple[float, float]]]] = []
    client = EngineClient(socket_path, timeout_s=30.0, connections=1)
    try:
        for record in records:
            if len(found) == count:
                break
            if not str(record["OBJECT_NAME"]).startswith("DEMO-GEO"):
                continue
            seen = await client.call("observe", {"elements": record, "mjd": instants})
            if seen["errors"][5] != 0:
                continue
            altitude = sky.boresight_altitude_deg(
                seen["ra_deg"][5],
                seen["dec_deg"][5],
                sky.mjd_to_unix(instants[5], "utc"),
                site["latitude_deg"],
                site["longitude_deg"],
            )
            if altitude < MIN_ALTITUDE_DEG:
                continue
            track = list(zip(seen["ra_deg"], seen["dec_deg"], strict=True))
            found.append((seen["ra_deg"][5], seen["dec_deg"][5], track))
    finally:
        await client.close()
    return found


def visit_body(visit_id: int, start_mjd: float, ra: float, dec: float, rotation: float | None):
    visit: dict[str, Any] = {
        "visit_id": visit_id,
        "exposure_start_mjd": start_mjd,
        "exposure_end_mjd": start_mjd + EXPOSURE_S / 86400.0,
        "boresight_ra": ra % 360.0,
        "boresight_dec": dec,
    }
    if rotation is not None:
        visit["rotation_deg"] = rotation
    return visit


def random_sources(rng: random.Random, count: int, first_id: int) -> list[dict[str, Any]]:
    sources = []
    for i in range(count):
        w, h = rng.randint(4, 24), rng.randint(4, 24)
        x, y = rng.randint(0, MAX_X - w), rng.randint(0, MAX_Y - h)
        sources.append({"diasource_id": first_id + i, "bbox": [x, y, x + w, y + h]})
    return sources


def track_request(
    visit: dict[str, Any], track: list[tuple[float, float]], first_id: int
) -> dict[str, Any]:
    """Detector 94 under its TAN WCS fitted to the camera model at the visit's pointing and
    rotation (the engine refuses any other): sources on the GEO track (to be vetoed) and 400
    pixels either side of it (to be allowed)."""
    ra0, dec0 = visit["boresight_ra"], visit["boresight_dec"]
    fitted = camera.detector_tan_wcs(DETECTOR, ra0, dec0, visit.get("rotation_deg") or 0.0)
    wcs = {key: fitted[key] for key in ("crval", "crpix", "cd")}
    boxes = []
    for k, (ra, dec) in enumerate(track):
        x, y = (float(v) for v in tanwcs.wcs_sky_to_pixel(wcs, ra, dec)[:2])
        for dy in (0, 400 if k % 2 else -400):
            xi, yi = round(x), round(y + dy)
            if 10 <= xi < DETECTOR_PIXELS[0] - 10 and 10 <= yi < DETECTOR_PIXELS[1] - 10:
                boxes.append([xi - 5, yi - 5, xi + 5, yi + 5])
    return {
        "visit_id": visit["visit_id"],
        "detector_id": DETECTOR,
        "diasources": [{"diasource_id": first_id + i, "bbox": b} for i, b in enumerate(boxes)],
        "wcs": wcs,
    }


def lognormal_count(rng: random.Random, median: float, sigma: float, cap: int) -> int:
    """A DIASource count per detector: log-normal with this median, at least 1, at most cap."""
    return max(1, min(cap, round(median * math.exp(rng.gauss(0.0, sigma)))))


def plan_visit(
    rng: random.Random,
    visit: dict[str, Any],
    track: list[tuple[float, float]] | None,
    counts: list[int],
    embed_every: int = 0,
) -> VisitPlan:
    """One DIASource request per detector with `counts[d]` sources (ids unique in the visit),
    plus the track request; every `embed_every`-th request embeds the visit (0: none)."""
    plan = VisitPlan(visit)
    first = 1
    for detector, count in enumerate(counts):
        if track is not None and detector == DETECTOR:
            continue  # the track request is this detector's one request (one answer each)
        body: dict[str, Any] = {
            "visit_id": visit["visit_id"],
            "detector_id": detector,
            "diasources": random_sources(rng, count, first),
        }
        first += count
        plan.requests.append(body)
    if track is not None:
        plan.requests.append(track_request(visit, track, first))
    if embed_every:
        for index, body in enumerate(plan.requests):
            if index % embed_every == 0:
                body["visit"] = visit
    return plan


def engine_params(body: dict[str, Any]) -> dict[str, Any]:
    """The engine's filter_sources params for an HTTP DIASource body (as the frontend builds
    them), for answering the same request on an independent engine."""
    params: dict[str, Any] = {
        "visit_id": body["visit_id"],
        "detector_id": body["detector_id"],
        "ids": [s["diasource_id"] for s in body["diasources"]],
        "bboxes": [s["bbox"] for s in body["diasources"]],
    }
    if "visit" in body:
        params["visit"] = body["visit"]
    if "wcs" in body:
        params["wcs"] = body["wcs"]
    return params
