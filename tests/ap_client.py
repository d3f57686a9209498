"""A replay of what Rubin's AP client (lsst/ip_diffim) does against `SATTLE_URI_BASE`.

Written from the facts of `populate_sattle_visit_cache` (utils.py) and
`DetectAndMeasureTask.getSattleDiaSourceAllowlist` / `filterSatellites` (detectAndMeasure.py),
not from their code:

* visit: ``PUT {base}/visit_cache`` with ``visit_id``, ``exposure_start_mjd`` /
  ``exposure_end_mjd`` = the VisitInfo date (TAI MJD, the exposure's midpoint) -/+ half the
  exposure time in days, ``boresight_ra`` / ``boresight_dec`` in degrees, ``historical``; then
  ``raise_for_status()`` (any 4xx or 5xx raises; the body is never read);
* detector: ``PUT {base}/diasource_allow_list`` with ``visit_id``, ``detector_id``,
  ``diasources`` = ``[{"diasource_id", "bbox": [[ra, dec] x 4]}]`` and ``historical``; on 404
  it re-sends the visit (which itself raises on failure) and retries once; then
  ``raise_for_status()`` and ``response.json()["allow_list"]``;
* plain ``requests.put(json=...)``: ``Content-Type: application/json``, no Authorization header,
  no session (a new connection per call: what makes a round-robin balancer matter), no
  timeout.
"""

from __future__ import annotations

import json
import ssl
from dataclasses import dataclass
from typing import Any

import aiohttp


class HttpStatusError(Exception):
    """What ``requests.Response.raise_for_status`` raises: a status of 400 or more."""

    def __init__(self, status: int, url: str) -> None:
        super().__init__(f"{status} for url {url}")
        self.status = status


@dataclass(frozen=True)
class ApVisitInfo:
    """The VisitInfo fields the client reads."""

    visit_id: int
    mid_mjd_tai: float  # VisitInfo.getDate().toAstropy().mjd: TAI
    exposure_time_s: float
    boresight_ra: float
    boresight_dec: float


@dataclass
class ApCallLog:
    """What the client sent, in order: (method, path, status)."""

    calls: list[tuple[str, str, int]]


class ApClient:
    def __init__(self, base: str, tls: ssl.SSLContext, historical: bool = False) -> None:
        self.base = base.rstrip("/")
        self.tls = tls
        self.historical = historical
        self.log = ApCallLog([])

    async def _put(self, path: str, payload: dict[str, Any]) -> tuple[int, bytes]:
        # A fresh connection per call, as `requests.put` without a Session opens.
        connector = aiohttp.TCPConnector(ssl=self.tls, force_close=True)
        async with (
            aiohttp.ClientSession(connector=connector) as session,
            session.put(self.base + path, json=payload) as response,
        ):
            body = await response.read()
            self.log.calls.append(("PUT", path, response.status))
            return response.status, body

    def _raise_for_status(self, status: int, path: str) -> None:
        if status >= 400:
            raise HttpStatusError(status, self.base + path)

    async def populate_visit_cache(self, visit: ApVisitInfo) -> None:
        half_days = visit.exposure_time_s / 86400.0 / 2.0
        payload = {
            "visit_id": visit.visit_id,
            "exposure_start_mjd": visit.mid_mjd_tai - half_days,
            "exposure_end_mjd": visit.mid_mjd_tai + half_days,
            "boresight_ra": visit.boresight_ra,
            "boresight_dec": visit.boresight_dec,
            "historical": self.historical,
        }
        status, _ = await self._put("/visit_cache", payload)
        self._raise_for_status(status, "/visit_cache")

    async def allow_list(
        self, visit: ApVisitInfo, detector_id: int, sources: list[tuple[int, list[list[float]]]]
    ) -> list[int]:
        """``sources``: (diasource_id, four [ra, dec] corners) per source."""
        payload = {
            "visit_id": visit.visit_id,
            "detector_id": detector_id,
            "diasources": [
                {"diasource_id": source_id, "bbox": corners} for source_id, corners in sources
            ],
            "historical": self.historical,
        }
        path = "/diasource_allow_list"
        status, body = await self._put(path, payload)
        if status == 404:
            await self.populate_visit_cache(visit)
            status, body = await self._put(path, payload)
        self._raise_for_status(status, path)
        return list(json.loads(body)["allow_list"])
