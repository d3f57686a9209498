"""Engine supervision, the one owner of the engine's lifecycle as the frontend sees it.

A ping every second (and on demand, shared by concurrent callers); restart detection (the
engine's ``instance_id`` changes at every start); ``configure`` first, then the reload of the
catalog held in the frontend's memory (no new fetch) and of the historical catalogs, and the
re-registration of the visits of the last hour, so that AP's DIASource requests for a visit
registered before the restart still succeed.  When a restarted engine holds no catalog and the
frontend has no copy (it adopted the engine's catalog at start), ``on_catalog_lost`` asks the
refresher for a fetch.  It keeps the catalog gauges and logs a catalog that grew too old.

Its pings are the input of the freshness gate (services/fail_safe.py) on the veto path, a cached
ping at most ``cache_s`` old, and of readiness (services/readiness.py), a ping sent now.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from satveto.engine.rpc import EngineClient, EngineError, EngineRpcError
from satveto.models import Visit
from satveto.runtime.metrics import Metrics, budget_bucket, rounded_size
from satveto.services.catalog import CatalogService
from satveto.services.engine_calls import timed_call
from satveto.services.fail_safe import Freshness, catalog_age_s, freshness
from satveto.services.history import HistoricalCatalogs, engine_params, visit_catalog_name
from satveto.services.visit_registry import VisitRegistry

log = logging.getLogger("satveto.supervision")


@dataclass(frozen=True)
class EngineStatus:
    """What the last ping said of the engine: reachable or why not, its instance and catalog.

    The frontend's view through the RPC boundary, not the engine's in-process state (the C++
    ``EngineState`` holding the catalogs and visits)."""

    checked_at: float  # monotonic time the ping was sent
    instance_id: str | None
    catalog: dict[str, Any] | None  # the ping's catalog summary (counts and times only)
    error: str | None  # why the engine could not be pinged, or None


class EngineSupervisor:
    def __init__(
        self,
        engine: EngineClient,
        catalog: CatalogService,
        registry: VisitRegistry,
        metrics: Metrics,
        max_catalog_age_s: float,
        request_wait_s: float = 5.0,
        interval_s: float = 1.0,
        cache_s: float = 2.0,
        revisit_s: float = 3600.0,
        reload_backoff_s: float = 10.0,
        engine_settings: dict[str, Any] | None = None,
        on_catalog_lost: Callable[[], object] | None = None,
        budget_interval_s: float = 30.0,
    ) -> None:
        self._engine = engine
        self._catalog = catalog
        self._registry = registry
        self._metrics = metrics
        self._max_catalog_age_s = max_catalog_age_s
        self._request_wait_s = request_wait_s
        self._interval_s = interval_s
        self._cache_s = cache_s
        self._revisit_s = revisit_s
        self._reload_backoff_s = reload_backoff_s
        # Sent with `configure` to every engine instance before anything else: the matching
        # tolerance and the site come from the frontend's configuration, one source of truth.
        self._engine_settings = engine_settings
        # Called when an engine holds no catalog and the frontend has none to reload it with
        # (it adopted the engine's catalog at start): the refresher should fetch at once.  May
        # be set after construction: the refresher itself reads the supervisor's pings.
        self.on_catalog_lost = on_catalog_lost
        self._stale_reported = False
        self._state: EngineStatus | None = None
        # The disclosure-budget gauge is refreshed from the engine's `stats` this often.
        self._budget_interval_s = budget_interval_s
        self._budget_due_at = 0.0
        self._seen_instance: str | None = None
        self._synced_instance: str | None = None  # reloaded and visits re-registered
        self._next_sync_at = 0.0
        self._inflight: asyncio.Task[EngineStatus] | None = None
        self._inflight_started = 0.0
        self._task: asyncio.Task[None] | None = None
        # Historical catalogs to reload into a restarted engine (set by the application).
        self.history: HistoricalCatalogs | None = None
        # No catalog is known before the first ping: age alerts must fire, not read 0.
        metrics.catalog_age.set(math.inf)

    @property
    def max_catalog_age_s(self) -> float:
        return self._max_catalog_age_s

    def _can_revisit(self, visit: Visit) -> bool:
        """A historical visit is re-registered only if its catalog is still held; an evicted
        one is registered again on demand (it may cost a fetch)."""
        name = visit_catalog_name(visit)
        return name is None or (self.history is not None and self.history.holds(name))

    # --- lifecycle ---------------------------------------------------------------------------

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="satveto-engine-supervisor")

    async def stop(self) -> None:
        for task in (self._task, self._inflight):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
        self._task = None

    async def _run(self) -> None:
        while True:
            await self.poll()
            if time.monotonic() >= self._budget_due_at:
                self._budget_due_at = time.monotonic() + self._budget_interval_s
                await self.refresh_budget_gauge()
            await asyncio.sleep(self._interval_s)

    async def refresh_budget_gauge(self) -> None:
        """The disclosure budget's use, from the engine's exact count, as a quarter bucket
        (satveto.runtime.metrics.budget_bucket); NaN when the engine cannot say."""
        try:
            stats = await timed_call(self._engine, self._metrics, "stats", {})
            disclosure = stats["disclosure"]
            bucket = budget_bucket(
                int(disclosure["revealed_last_hour"]), int(disclosure["max_revealed_per_hour"])
            )
        except (EngineError, KeyError, TypeError, ValueError):
            bucket = math.nan
        self._metrics.disclosure_budget_used.set(bucket)

    # --- pinging -----------------------------------------------------------------------------

    async def poll(self, newer_than: float | None = None) -> EngineStatus:
        """A ping (with restart handling); concurrent callers share one ping in flight.

        ``newer_than`` (monotonic): do not share a ping sent before that moment, for callers
        that need an answer reflecting something they just saw go wrong.
        """
        inflight = self._inflight
        if inflight is not None and newer_than is not None and self._inflight_started < newer_than:
            await asyncio.shield(inflight)  # then a new ping (or one a peer just started)
            inflight = self._inflight
        if inflight is None or inflight.done():
            self._inflight_started = time.monotonic()
            inflight = asyncio.create_task(self._poll_once())
            self._inflight = inflight
        return await asyncio.shield(inflight)

    async def _poll_for_request(self, newer_than: float | None = None) -> EngineStatus:
        """A poll as a request waits for it: at most ``request_wait_s`` (engine.timeout_s).

        A poll may be reloading a restarted engine, which can take far longer than a request
        may wait (and forever if the engine hangs in the middle); the request then gets a
        503 while the reload goes on in the background.
        """
        try:
            return await asyncio.wait_for(self.poll(newer_than), self._request_wait_s)
        except TimeoutError:
            return EngineStatus(time.monotonic(), None, None, "the engine is being resynced")

    async def poll_now(self) -> EngineStatus:
        """A ping sent now, reloading and re-registering if the engine restarted."""
        return await self._poll_for_request(newer_than=time.monotonic())

    async def status(self) -> EngineStatus:
        """The last ping if at most ``cache_s`` old, else a new one."""
        state = self._state
        if state is None or time.monotonic() - state.checked_at > self._cache_s:
            state = await self._poll_for_request()
        return state

    def freshness_of(self, state: EngineStatus) -> Freshness:
        """The freshness gate (services/fail_safe.py) on one ping, the age taken now."""
        return freshness(state.error, state.catalog, self._max_catalog_age_s, time.time())

    async def require_fresh_catalog(self) -> None:
        """Raises the fail-safe refusal (a 503) unless the engine holds a catalog young enough.

        A refusal is decided on a ping sent after the cached one that looked bad, so a
        catalog installed (or an engine restarted) a moment ago is seen at once; concurrent
        requests share that ping.
        """
        state = await self.status()
        if self.freshness_of(state).problem is not None:
            state = await self._poll_for_request(newer_than=state.checked_at + 1e-6)
            refusal = self.freshness_of(state).error()
            if refusal is not None:
                raise refusal

    async def _poll_once(self) -> EngineStatus:
        started = time.monotonic()
        try:
            pong = await self._ping()
            instance_id: str = pong["instance_id"]  # _ping checked that it is a string
            due = instance_id != self._synced_instance and started >= self._next_sync_at
            if due and await self._sync(instance_id, pong.get("catalog"), pong):
                pong = await self._ping()  # the catalog summary after the reload
            state = EngineStatus(started, pong.get("instance_id"), pong.get("catalog"), None)
        except EngineError as error:
            state = EngineStatus(started, None, None, str(error))
        except Exception as error:  # a malformed ping: treat the engine as unavailable
            log.exception("engine supervision failed")
            state = EngineStatus(started, None, None, f"unexpected: {type(error).__name__}")
        self._state = state
        self._update_gauges(state)
        return state

    async def _ping(self) -> dict[str, Any]:
        pong = await timed_call(self._engine, self._metrics, "ping", {})
        if not isinstance(pong, dict) or not isinstance(pong.get("instance_id"), str):
            raise EngineRpcError("malformed", "ping answer without instance_id")
        catalog = pong.get("catalog")
        if catalog is not None and not isinstance(catalog, dict):
            raise EngineRpcError("malformed", "ping catalog is not a map")
        return pong

    def _update_gauges(self, state: EngineStatus) -> None:
        """The catalog gauges, and one error log line when the catalog crosses the age limit."""
        now = time.time()
        objects = 0 if state.catalog is None else int(state.catalog.get("objects", 0))
        self._metrics.catalog_objects.set(rounded_size(objects))
        age = catalog_age_s(state.catalog, now)  # +inf without a catalog: age alerts fire
        self._metrics.catalog_age.set(age)
        if state.catalog is None:
            return  # readiness says why; there is no age to report
        if age > self._max_catalog_age_s and not self._stale_reported:
            self._stale_reported = True
            log.error(
                "the catalog in force is older than catalog.max_age_s; "
                "the service is not ready until a refresh succeeds",
                extra={"age_s": round(age), "max_age_s": self._max_catalog_age_s},
            )
        elif age <= self._max_catalog_age_s:
            self._stale_reported = False

    # --- restart handling ----------------------------------------------------------------------

    async def _sync(
        self, instance_id: str, engine_catalog: dict[str, Any] | None, pong: dict[str, Any]
    ) -> bool:
        """Brings a (re)started engine up to date; True when it is, False to try again later."""
        if self._seen_instance is not None and instance_id != self._seen_instance:
            self._metrics.engine_restarts.inc()
            log.warning("engine restart detected; reloading it")
        self._seen_instance = instance_id
        try:
            if self._engine_settings is not None:
                await timed_call(self._engine, self._metrics, "configure", self._engine_settings)
            reloaded = await self._catalog.reload_engine_if_needed(engine_catalog)
            if engine_catalog is None and not reloaded:
                if self.on_catalog_lost is not None and self._catalog.current is None:
                    self.on_catalog_lost()
                return False  # nothing to re-register against; try again at the next ping
            if self.history is not None:  # historical catalogs first: visits name them
                await self.history.reload_engine(pong.get("historical_catalogs"))
            visits = [v for v in self._registry.recent(self._revisit_s) if self._can_revisit(v)]
            for visit in visits:
                try:
                    await timed_call(
                        self._engine, self._metrics, "register_visit", engine_params(visit)
                    )
                except EngineRpcError as error:
                    if error.code != "visit_conflict":
                        raise
                    # Another frontend registered other parameters; its AP requests win.
                    log.warning(
                        "visit re-registration conflict", extra={"visit_id": visit.visit_id}
                    )
        except Exception as error:
            self._next_sync_at = time.monotonic() + self._reload_backoff_s
            log.warning("engine resync failed", extra={"problem": f"{type(error).__name__}"})
            return False
        self._synced_instance = instance_id
        if visits:
            log.info("visits re-registered", extra={"count": len(visits)})
        return True
