"""Decides whether this replica can answer veto requests with confidence.

Ready means: the engine answers ``ping`` and holds a catalog younger than
``catalog.max_age_s``, and the Earth-orientation data's last observed value is at most 60 days
old (satveto.earth_orientation).  The catalog's age is measured from when it was fetched from its
source (``fetched_at_unix``, passed through the engine), so reloading an old catalog into a
restarted engine does not make it look new.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from satveto.earth_orientation import EarthOrientationData
from satveto.engine_client import EngineClient, EngineError


@dataclass(frozen=True)
class Readiness:
    ready: bool
    reason: str  # "ok", or why not, in one sentence
    catalog_age_s: float | None  # None when there is no catalog
    catalog_objects: int
    engine_instance_id: str | None


def catalog_age_s(catalog: dict[str, Any], now_unix: float) -> float:
    fetched = catalog.get("fetched_at_unix") or catalog.get("loaded_at_unix") or 0.0
    return max(0.0, now_unix - float(fetched))


class ReadinessService:
    def __init__(
        self,
        engine: EngineClient,
        max_catalog_age_s: float,
        earth_orientation: EarthOrientationData | None = None,
    ) -> None:
        self._engine = engine
        self._max_catalog_age_s = max_catalog_age_s
        self._earth_orientation = earth_orientation

    async def check(self) -> Readiness:
        try:
            pong = await self._engine.call("ping")
        except EngineError as error:
            return Readiness(False, f"engine unavailable: {error}", None, 0, None)
        instance_id = pong.get("instance_id")
        catalog = pong.get("catalog")
        if not catalog:
            return Readiness(False, "the engine holds no catalog", None, 0, instance_id)
        age = catalog_age_s(catalog, time.time())
        objects = int(catalog.get("objects", 0))
        if age > self._max_catalog_age_s:
            return Readiness(
                False,
                f"catalog is {age:.0f} s old (limit {self._max_catalog_age_s:.0f} s)",
                age,
                objects,
                instance_id,
            )
        if self._earth_orientation is not None:
            reason = self._earth_orientation.not_ready_reason(time.time())
            if reason is not None:
                return Readiness(False, reason, age, objects, instance_id)
        return Readiness(True, "ok", age, objects, instance_id)
