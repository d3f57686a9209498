"""The veto itself: visit registration and DIASource filtering through the engine.

Fail-safe is built in here rather than left to the handlers:

* a request is answered only after the catalog is known to be present and fresh
  (:meth:`EngineSupervisor.require_fresh_catalog`, a cached ping at most a couple of seconds
  old);
* the allow list returned is exactly the engine's answer, checked to be a subset of the request
  ids in input order; anything else is a 500, never a list;
* every engine failure becomes an :class:`ApiError` without a list (:func:`api_error_from_engine`).

The visit registry remembers what AP registered so that a restarted engine can be told again
(by the supervisor, and on demand when a DIASource request meets ``unknown_visit``).
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from satveto.allow_list import is_ordered_subset
from satveto.engine_client import EngineClient, EngineError, EngineRpcError, EngineUnavailable
from satveto.errors import DISCLOSURE_BUDGET_CODE, ApiError
from satveto.metrics import Metrics
from satveto.services.camera_gate import CameraGate, GateRefusal
from satveto.services.detector_answers import DetectorAnswers, request_digest
from satveto.services.history import HistoricalCatalogs, engine_params, reprocessing_disabled
from satveto.validation import DiaSourceRequest, Visit

if TYPE_CHECKING:
    from satveto.services.supervision import EngineSupervisor

log = logging.getLogger("satveto.veto")

# Engine error codes whose meaning is "a restarted engine lost what we told it": worth a resync
# (reload the catalog, re-register visits) and one retry.
_RESYNC_CODES = frozenset({"no_catalog", "unknown_visit"})


class MalformedEngineAnswer(Exception):
    """The engine answered something that is not a valid result: a 500, never a list."""


def api_error_from_engine(error: EngineError) -> ApiError:
    """The HTTP answer to an engine failure (docs/design.md, fail-safe rules)."""
    if isinstance(error, EngineUnavailable):
        return ApiError(503, "engine_unavailable", "The veto engine is unavailable.")
    if isinstance(error, EngineRpcError):
        if error.code == "invalid_params":
            # The engine's message starts with the parameter's name, which is the field's.
            return ApiError(400, "invalid_request", error.message)
        if error.code == "unknown_visit":
            return ApiError(
                404, "unknown_visit", "The visit is unknown; register it or embed `visit`."
            )
        if error.code == "visit_conflict":
            return ApiError(
                409, "visit_conflict", "The visit is registered with different parameters."
            )
        if error.code == "no_catalog":
            return ApiError(503, "no_catalog", "No satellite catalog is loaded.")
        if error.code == DISCLOSURE_BUDGET_CODE:
            return disclosure_budget_refusal()
        # The engine's messages reveal nothing of the catalog (protocol/README.md); the code
        # is what an operator needs to find the cause.
        log.error("unexpected engine error", extra={"engine_error": error.code})
    return ApiError(500, "internal_error", "The veto engine failed unexpectedly.")


#: Retry-After of a disclosure-budget refusal (seconds).  Fixed: the moment the budget reopens
#: would tell when the oldest counted answers were given, which may be another client's.
BUDGET_RETRY_AFTER_S = 60


def disclosure_budget_refusal() -> ApiError:
    """503 ``disclosure_budget_exhausted``: a service-wide, temporary refusal (not the client's
    doing, so not a 429), never a list (docs/design.md, fail-safe rules)."""
    return ApiError(
        503,
        DISCLOSURE_BUDGET_CODE,
        "The disclosure budget (limits.max_revealed_per_hour) is spent: the answers of the last "
        "hour revealed as many catalogued objects as it allows. No allow list until the oldest "
        "age out of the hour.",
        {"Retry-After": str(BUDGET_RETRY_AFTER_S)},
    )


def _conflict() -> ApiError:
    return ApiError(409, "visit_conflict", "The visit is registered with different parameters.")


class VisitRegistry:
    """The visits registered recently, bounded in number, for re-registration after restarts.

    Entries are kept in registration order (a re-registration moves a visit to the end), so the
    oldest go first when the registry is full and ``recent`` stops at the first old entry.
    """

    def __init__(self, capacity: int = 20_000, clock: Callable[[], float] = time.monotonic):
        self._capacity = capacity
        self._clock = clock
        self._visits: OrderedDict[int, tuple[Visit, float]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._visits)

    def get(self, visit_id: int) -> Visit | None:
        entry = self._visits.get(visit_id)
        return None if entry is None else entry[0]

    def conflicts(self, visit: Visit) -> bool:
        known = self.get(visit.visit_id)
        return known is not None and known != visit

    def remember(self, visit: Visit) -> None:
        self._visits.pop(visit.visit_id, None)
        self._visits[visit.visit_id] = (visit, self._clock())
        while len(self._visits) > self._capacity:
            self._visits.popitem(last=False)

    def recent(self, within_s: float) -> list[Visit]:
        """Visits registered in the last ``within_s`` seconds, oldest first."""
        horizon = self._clock() - within_s
        found = []
        for visit, registered_at in reversed(self._visits.values()):
            if registered_at < horizon:
                break
            found.append(visit)
        found.reverse()
        return found


async def timed_call(
    engine: EngineClient, metrics: Metrics, method: str, params: dict[str, Any]
) -> Any:
    """An engine call that feeds the RPC latency histogram and the failure counter."""
    started = time.perf_counter()
    try:
        return await engine.call(method, params)
    except EngineRpcError as error:
        metrics.engine_rpc_failures.labels(method, error.code).inc()
        raise
    except EngineError:
        metrics.engine_rpc_failures.labels(method, "unavailable").inc()
        raise
    finally:
        metrics.engine_rpc_latency.labels(method).observe(time.perf_counter() - started)


def checked_allow_list(result: Any, ids: list[int]) -> list[int]:
    """The engine's ``allowed`` if it is a subset of ``ids`` in input order, else raises."""
    if not isinstance(result, dict) or not isinstance(result.get("allowed"), list):
        raise MalformedEngineAnswer("filter_sources: no `allowed` list")
    allowed = result["allowed"]
    if not is_ordered_subset(allowed, ids):
        raise MalformedEngineAnswer("filter_sources: `allowed` is not an ordered subset")
    return allowed


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
            raise _conflict()
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
            raise api_error_from_engine(error) from None
        if not isinstance(result, dict) or result.get("visit_id") != visit.visit_id:
            log.error("malformed engine answer", extra={"method": "register_visit"})
            raise ApiError(500, "internal_error", "The veto engine answered incorrectly.")
        self._registry.remember(visit)

    async def filter_sources(self, request: DiaSourceRequest) -> list[int]:
        """The ids of the request's sources on no predicted track, exactly as the engine said."""
        if request.visit is not None and self._registry.conflicts(request.visit):
            raise _conflict()
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
            allowed = checked_allow_list(result, request.ids)
        except EngineError as error:
            if isinstance(error, EngineRpcError) and error.code == DISCLOSURE_BUDGET_CODE:
                self._metrics.disclosure_budget_refusals.inc()
            raise api_error_from_engine(error) from None
        except MalformedEngineAnswer as error:
            self._metrics.engine_rpc_failures.labels("filter_sources", "malformed").inc()
            log.error("malformed engine answer", extra={"problem": str(error)})
            raise ApiError(500, "internal_error", "The veto engine answered incorrectly.") from None
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
        await self._supervisor.resync()
        await self._supervisor.require_fresh_catalog()
        known = None if visit_id is None else self._registry.get(visit_id)
        if known is not None:
            await self._call("register_visit", await self._visit_params(known))
        return await call()
