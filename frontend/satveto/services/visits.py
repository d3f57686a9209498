"""The veto itself: visit registration and DIASource filtering through the engine.

The fail-safe rule it applies (the freshness gate before the engine is asked, the answer check,
every engine failure an error without a list) is services/fail_safe.py; the visit registry
(services/visit_registry.py) remembers what AP registered so that a restarted engine can be told
again (by the supervisor, and here on demand when a DIASource request meets ``unknown_visit``).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from satveto.engine.rpc import EngineClient, EngineError, EngineRpcError
from satveto.errors import DISCLOSURE_BUDGET_CODE, ApiError
from satveto.models import DiaSourceRequest, Visit
from satveto.runtime.metrics import Metrics
from satveto.services.camera_gate import CameraGate, GateRefusal
from satveto.services.detector_answers import DetectorAnswers, request_digest
from satveto.services.engine_calls import timed_call
from satveto.services.fail_safe import (
    WRONG_ANSWER,
    WrongAnswer,
    check_echo,
    checked_allow_list,
    engine_refusal,
    refusal,
)
from satveto.services.history import HistoricalCatalogs, engine_params, reprocessing_disabled
from satveto.services.supervision import EngineSupervisor
from satveto.services.visit_registry import VisitRegistry

log = logging.getLogger("satveto.veto")

# Engine error codes whose meaning is "a restarted engine lost what we told it": worth a resync
# (reload the catalog, re-register visits) and one retry.
_RESYNC_CODES = frozenset({"no_catalog", "unknown_visit"})


def _wrong_answer(metrics: Metrics, method: str, error: WrongAnswer) -> ApiError:
    metrics.engine_rpc_failures.labels(method, "malformed").inc()
    log.error("malformed engine answer", extra={"method": method, "problem": str(error)})
    return WRONG_ANSWER.error()


class VetoService:
    def __init__(
        self,
        engine: EngineClient,
        registry: VisitRegistry,
        supervisor: EngineSupervisor,
        metrics: Metrics,
        gate: CameraGate,
        answers: DetectorAnswers | None = None,
    ) -> None:
        self._engine = engine
        self._registry = registry
        self._supervisor = supervisor
        self._metrics = metrics
        self._gate = gate
        self._answers = answers if answers is not None else DetectorAnswers()
        # Historical catalogs (reprocessing); None: historical visits are refused (400).
        self.history: HistoricalCatalogs | None = None

    def _admit(self, visit: Visit, historical: bool, field_prefix: str = "") -> bool:
        """The one-camera gate (services/camera_gate.py) for every path that registers a visit;
        counts new visits and refusals per client.  True when the visit is new to the gate."""
        try:
            new = self._gate.admit(visit, historical=historical, field_prefix=field_prefix)
        except GateRefusal as refusal:
            client = self._metrics.current_client()
            self._metrics.client_implausible.labels(client, refusal.rule).inc()
            raise
        if new:
            self._metrics.client_visits.labels(self._metrics.current_client()).inc()
        return new

    async def _fresh_catalog_or_release(self, visit: Visit | None, new: bool) -> None:
        """The freshness gate; a visit the gate just took is given back if the engine will not
        be asked (the instant stays free for the retry, which may differ slightly).  Once the
        engine has been asked the gate keeps it: the engine may hold it."""
        try:
            await self._supervisor.require_fresh_catalog()
        except BaseException:
            if new and visit is not None:
                self._gate.release(visit)
            raise

    async def _visit_params(self, visit: Visit) -> dict[str, Any]:
        """``register_visit`` params; a historical visit's catalog is fetched first if need be."""
        if visit.historical:
            if self.history is None or not self.history.enabled:
                raise reprocessing_disabled()
            await self.history.ensure(visit)
        return engine_params(visit)

    async def _call(self, method: str, params: dict[str, Any]) -> Any:
        return await timed_call(self._engine, self._metrics, method, params)

    async def register_visit(self, visit: Visit) -> None:
        """Registers (pre-caches) a visit; idempotent for identical parameters."""
        if self._registry.conflicts(visit):
            raise refusal("visit_conflict")
        if visit.historical and (self.history is None or not self.history.enabled):
            raise reprocessing_disabled()  # a 400 whatever the engine's state
        new = self._admit(visit, historical=visit.historical)
        await self._fresh_catalog_or_release(visit, new)
        try:
            params = await self._visit_params(visit)  # a historical catalog may be fetched
        except BaseException:
            if new:
                self._gate.release(visit)  # the engine was not asked
            raise
        try:
            result = await self._with_resync(lambda: self._call("register_visit", params))
        except EngineError as error:
            if new and isinstance(error, EngineRpcError) and error.code == "invalid_params":
                self._gate.release(visit)  # the engine refused it: it holds nothing
            raise engine_refusal(error) from None
        try:
            check_echo(result, {"visit_id": visit.visit_id})
        except WrongAnswer as error:
            raise _wrong_answer(self._metrics, "register_visit", error) from None
        self._registry.remember(visit)

    async def filter_sources(self, request: DiaSourceRequest) -> list[int]:
        """The ids of the request's sources on no predicted track, exactly as the engine said."""
        if request.visit is not None and self._registry.conflicts(request.visit):
            raise refusal("visit_conflict")
        historical = request.visit is not None and request.visit.historical
        if historical and (self.history is None or not self.history.enabled):
            raise reprocessing_disabled()  # before the gate: nothing recorded
        new = request.visit is not None and self._admit(
            request.visit, request.visit.historical, field_prefix="visit."
        )
        await self._fresh_catalog_or_release(request.visit, new)
        self._metrics.client_sources.labels(self._metrics.current_client()).inc(len(request.ids))
        # One answer per (visit, detector): taken before the engine is asked (no await between
        # the check and the record), given back if the request fails.
        fresh = self._answers.reserve(
            request.visit_id, request.detector_id, request_digest(request)
        )
        try:
            return await self._filter_sources(request)
        except BaseException:
            if fresh:
                self._answers.release(request.visit_id, request.detector_id)
            raise

    async def _filter_sources(self, request: DiaSourceRequest) -> list[int]:
        params: dict[str, Any] = {
            "visit_id": request.visit_id,
            "detector_id": request.detector_id,
            "ids": request.ids,
        }
        if request.bboxes is not None:
            params["bboxes"] = request.bboxes
        if request.sky_corners is not None:
            params["sky_corners"] = request.sky_corners
        if request.visit is not None:
            params["visit"] = await self._visit_params(request.visit)
        if request.wcs is not None:
            params["wcs"] = request.wcs

        async def call() -> Any:
            return await self._call("filter_sources", params)

        try:
            result = await self._with_resync(call, request.visit_id)
            # The engine's answer names no visit or detector: one call, one answer.
            allowed = checked_allow_list(result, "allowed", request.ids)
        except EngineError as error:
            if isinstance(error, EngineRpcError) and error.code == DISCLOSURE_BUDGET_CODE:
                self._metrics.disclosure_budget_refusals.inc()
            raise engine_refusal(error) from None
        except WrongAnswer as error:
            raise _wrong_answer(self._metrics, "filter_sources", error) from None
        if request.visit is not None:
            self._registry.remember(request.visit)
        return allowed

    async def _with_resync(
        self, call: Callable[[], Awaitable[Any]], visit_id: int | None = None
    ) -> Any:
        """Runs ``call``; if the engine lost its catalog or the visit, resyncs and retries once.

        This is what makes an engine restart between the visit request and the DIASource
        requests invisible to AP: the supervisor reloads the catalog from memory and
        re-registers the visits it knows, and the request is tried again.  The retry goes
        through the freshness check again, so a reload of a stale catalog still gives a 503.
        """
        try:
            return await call()
        except EngineRpcError as error:
            if error.code not in _RESYNC_CODES:
                raise
            if error.code == "unknown_visit" and (
                visit_id is None or self._registry.get(visit_id) is None
            ):
                raise  # nothing we could tell a restarted engine: a plain 404
            log.warning("engine lost state; resyncing", extra={"engine_error": error.code})
        await self._supervisor.poll_now()  # reloads and re-registers a restarted engine
        await self._supervisor.require_fresh_catalog()
        known = None if visit_id is None else self._registry.get(visit_id)
        if known is not None:
            await self._call("register_visit", await self._visit_params(known))
        return await call()
