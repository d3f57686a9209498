"""Decides whether this replica can answer veto requests with confidence.

Ready means: the freshness gate of the veto path passes (services/fail_safe.py: the engine
answers ``ping`` and holds a catalog younger than ``catalog.max_age_s``, measured from when it
was fetched from its source), decided on a ping the supervisor sends now, and the
Earth-orientation data's last observed value is at most 60 days old
(satveto.astro.earth_orientation).  The reasons are for operators: they carry the numbers.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from satveto.astro.earth_orientation import EarthOrientationData
from satveto.services.fail_safe import CATALOG_TOO_OLD, ENGINE_ERRORS, UNAVAILABLE, Refusal
from satveto.services.supervision import EngineSupervisor


@dataclass(frozen=True)
class Readiness:
    ready: bool
    reason: str  # "ok", or why not, in one sentence
    catalog_age_s: float | None  # None when there is no catalog
    catalog_objects: int
    engine_instance_id: str | None


class ReadinessService:
    def __init__(
        self,
        supervisor: EngineSupervisor,
        earth_orientation: EarthOrientationData | None = None,
    ) -> None:
        self._supervisor = supervisor
        self._earth_orientation = earth_orientation

    async def check(self) -> Readiness:
        # A ping sent now, not the veto path's cached one: a probe should see the engine as
        # it is, and the supervisor shares the ping with any request that needs one too.
        state = await self._supervisor.poll_now()
        fresh = self._supervisor.freshness_of(state)
        age = fresh.age_s
        objects = 0 if age is None or not state.catalog else int(state.catalog.get("objects", 0))
        if fresh.problem is not None:
            reason = self._reason(fresh.problem, age, state.error)
            return Readiness(False, reason, age, objects, state.instance_id)
        if self._earth_orientation is not None:
            eop_reason = self._earth_orientation.not_ready_reason(time.time())
            if eop_reason is not None:
                return Readiness(False, eop_reason, age, objects, state.instance_id)
        return Readiness(True, "ok", age, objects, state.instance_id)

    def _reason(self, problem: Refusal, age_s: float | None, engine_error: str | None) -> str:
        """The gate's refusal said for an operator, with the numbers."""
        if problem is ENGINE_ERRORS[UNAVAILABLE]:
            return f"engine unavailable: {engine_error}"
        if problem is ENGINE_ERRORS["no_catalog"]:
            return "the engine holds no catalog"
        if problem is CATALOG_TOO_OLD and age_s is not None:
            limit = self._supervisor.max_catalog_age_s
            return f"catalog is {age_s:.0f} s old (limit {limit:.0f} s)"
        return f"{problem.code}: {problem.message}"
