"""Keeps a fresh catalog in the engine: the start-up decision and the refresh loop.

The refresher only fetches, validates and installs.  Everything else about the engine (pings,
restarts, reloads, the catalog gauges, readiness) is the supervisor's (services/supervision.py).

At start the refresher asks the supervisor what the engine holds.  A catalog from the
configured source that is younger than ``catalog.max_age_s`` is *adopted*: no fetch now, the
next refresh is scheduled from that catalog's fetch time.  The trade-off: an adopted catalog
has no copy in the frontend's memory (it cannot be read back from the engine), so if the engine
restarts before the next successful fetch there is nothing to reload it from.  The supervisor
notices that case and calls :meth:`CatalogRefresher.request_refresh`, which fetches at once
(within the request budget); until then the service is not ready.  The alternative, fetching
at every frontend start, would spend space-track requests on every restart and crash loop,
which is the costlier failure.

Then, every ``catalog.refresh_interval_s`` (plus up to 10 % jitter, never less, so the
configured interval is also the shortest one), the source is fetched, validated record by
record (rejections counted by reason, never a value logged), checked for plausibility, and
installed through :class:`CatalogService`.  A failed refresh keeps the catalog in force and
retries with bounded exponential backoff (equal jitter); a server's Retry-After or the local
request budget can only lengthen the wait.  A catalog the engine could not take because it was
unreachable is kept aside and retried shortly without a new fetch.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import random
import time
import traceback
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from satveto.catalog.merge import merge_closest
from satveto.catalog.omm import OmmRecord, ValidationResult, validate_catalog
from satveto.catalog.sources import CatalogSource, SourceError, build_source
from satveto.catalog.tle import add_rejections
from satveto.engine.rpc import EngineRpcError, EngineUnavailable
from satveto.runtime.config import Config
from satveto.runtime.metrics import Metrics
from satveto.services.catalog import CatalogRefused, CatalogService
from satveto.services.fail_safe import catalog_age_s

if TYPE_CHECKING:
    from satveto.services.supervision import EngineStatus

log = logging.getLogger("satveto.refresh")

OUTCOME_OK = "ok"
OUTCOME_EMPTY = "empty"
OUTCOME_IMPLAUSIBLE = "implausible"
OUTCOME_ENGINE_UNAVAILABLE = "engine_unavailable"
OUTCOME_ENGINE_REJECTED = "engine_rejected"
OUTCOME_INTERNAL = "internal_error"


@dataclass(frozen=True)
class RefreshPolicy:
    """When to refresh and back off; derived from catalog.refresh_interval_s."""

    interval_s: float = 3600.0
    jitter_fraction: float = 0.1
    backoff_initial_s: float = 300.0
    backoff_max_s: float = 3600.0
    engine_retry_s: float = 5.0  # retry of a fetched catalog the engine could not take
    start_grace_s: float = 60.0  # earliest fetch after adopting a catalog at start

    @classmethod
    def for_interval(cls, interval_s: float) -> RefreshPolicy:
        # Backoff never waits longer than a regular refresh would, and starts at 5 minutes
        # so that a flapping server sees at most a dozen attempts an hour.
        return cls(
            interval_s=interval_s,
            backoff_initial_s=min(300.0, interval_s),
            backoff_max_s=interval_s,
            start_grace_s=min(60.0, interval_s),
        )

    def interval_delay(self, rng: random.Random) -> float:
        return self.interval_s * rng.uniform(1.0, 1.0 + self.jitter_fraction)

    def backoff_delay(self, failures: int, rng: random.Random) -> float:
        ceiling = min(self.backoff_max_s, self.backoff_initial_s * 2.0 ** min(failures - 1, 40))
        return rng.uniform(ceiling / 2.0, ceiling)


@dataclass(frozen=True)
class _Pending:
    """Validated records the engine could not take yet (it was unreachable)."""

    records: list[OmmRecord]
    fetched_at_unix: float


class CatalogRefresher:
    def __init__(
        self,
        config: Config,
        catalog: CatalogService,
        metrics: Metrics,
        engine_status: Callable[[], Awaitable[EngineStatus]],
        *,
        source: CatalogSource | None = None,
        policy: RefreshPolicy | None = None,
        clock: Callable[[], float] = time.time,
        rng: random.Random | None = None,
    ) -> None:
        """`engine_status`: the supervisor's latest ping (EngineSupervisor.status), read once at
        start to decide between adopting the engine's catalog and fetching at once."""
        self._config = config
        self._catalog = catalog
        self._metrics = metrics
        self._engine_status = engine_status
        self._source = source
        self._policy = policy or RefreshPolicy.for_interval(config.catalog.refresh_interval_s)
        self._max_age_s = config.catalog.max_age_s
        self._clock = clock
        self._rng = rng or random.Random()
        self._failures = 0
        self._retry_after_s: float | None = None
        self._pending: _Pending | None = None
        self._adopted_objects: int | None = None  # plausibility reference after adoption
        self._wake = asyncio.Event()
        self._refresh_lock = asyncio.Lock()
        self._tasks: list[asyncio.Task[None]] = []
        self.attempts = 0  # refresh attempts made (for tests and diagnostics)
        self.last_outcome: str | None = None
        self.next_refresh_at_unix: float | None = None
        self._requested_at: float | None = None  # monotonic time of the last honoured request

    # -- lifecycle ---------------------------------------------------------------------------

    async def start(self) -> None:
        """Builds the source (refusing bad credentials), decides adopt-or-fetch, starts tasks."""
        if self._tasks:
            return
        self._require_source()  # bad credentials stop the start here, before any request
        first_delay = await self._initial_delay()
        self._tasks = [
            asyncio.create_task(self._refresh_loop(first_delay), name="satveto-catalog-refresh")
        ]

    async def stop(self) -> None:
        tasks, self._tasks = self._tasks, []
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def request_refresh(self) -> bool:
        """Refreshes now instead of at the scheduled time (still within the request budget).

        For an engine that lost its catalog when the frontend holds no copy to reload.  Safe
        to call on every ping: requests closer together than the first backoff step are
        ignored, so a caller polling a broken engine cannot turn the refresh into a hammer.
        Returns whether the request was honoured (False: ignored, nothing will follow).
        """
        now = time.monotonic()
        if (
            self._requested_at is not None
            and now - self._requested_at < self._policy.backoff_initial_s
        ):
            return False
        self._requested_at = now
        self._wake.set()
        return True

    # -- start-up ----------------------------------------------------------------------------

    def _require_source(self) -> CatalogSource:
        if self._source is None:
            self._source = build_source(self._config)
        return self._source

    async def _initial_delay(self) -> float:
        """0 to fetch now, or the wait until the adopted engine catalog is due a refresh."""
        state = await self._engine_status()
        if state.error is not None:
            log.warning("engine not reachable at start; fetching", extra={"error": state.error})
            return 0.0
        try:
            return self._adopt(state.catalog)
        except (AttributeError, KeyError, TypeError, ValueError):
            log.warning("the engine's ping could not be read; fetching")
            return 0.0

    def _adopt(self, held: dict[str, Any] | None) -> float:
        source = self._require_source()
        if not held:
            return 0.0
        now = self._clock()
        generation = str(held.get("generation", ""))
        fetched_at = float(held.get("fetched_at_unix") or 0.0)
        age = catalog_age_s(held, now)
        if not generation.startswith(f"{source.name}-"):
            log.info(
                "the engine holds a catalog from another source; fetching",
                extra={"generation": generation, "source": source.name},
            )
            return 0.0
        if age >= self._max_age_s:
            log.info("the engine's catalog is too old to adopt; fetching", extra={"age_s": age})
            return 0.0
        objects = int(held.get("objects", 0))
        self._adopted_objects = objects
        delay = max(fetched_at + self._policy.interval_delay(self._rng) - now, 0.0)
        delay = max(delay, self._policy.start_grace_s)
        log.info(
            "adopted the engine's catalog; the frontend keeps no copy until the next fetch",
            extra={
                "generation": generation,
                "age_s": round(age),
                "objects": objects,
                "next_refresh_in_s": round(delay),
            },
        )
        return delay

    # -- the refresh -------------------------------------------------------------------------

    async def refresh_once(self) -> str:
        """One attempt: fetch (or take the pending catalog), validate, check, install."""
        async with self._refresh_lock:
            self._retry_after_s = None
            try:
                outcome = await self._attempt()
            except Exception as error:  # a bug must not end the loop, nor log a record
                log.error("catalog refresh failed unexpectedly", extra=_bug_report(error))
                outcome = OUTCOME_INTERNAL
            self.attempts += 1
            self.last_outcome = outcome
            self._metrics.catalog_refreshes.labels(outcome=outcome).inc()
            return outcome

    async def _attempt(self) -> str:
        source = self._require_source()
        pending = self._take_pending()
        if pending is not None:
            records, fetched_at = pending.records, pending.fetched_at_unix
        else:
            try:
                raw = await source.fetch()
            except SourceError as error:
                self._retry_after_s = error.retry_after_s
                if error.outcome.startswith("cui_"):
                    # The CUI part failed: the whole refresh fails (docs/design.md).  The outcome
                    # only, never a line of the file.
                    self._metrics.cui_failures.labels(outcome=error.outcome).inc()
                    log.error(
                        "the CUI element file could not be had; the catalog in force stays",
                        extra={"source": source.name, "outcome": error.outcome},
                    )
                log.warning(
                    "catalog fetch failed; the catalog in force stays",
                    extra={"source": source.name, "outcome": error.outcome, "error": str(error)},
                )
                return error.outcome
            now = dt.datetime.fromtimestamp(self._clock(), dt.UTC)
            # Only impossible epochs (future) are dropped, never old ones: an old element set
            # still vetoes with a wider corridor, while a dropped object vetoes nothing.
            validated = await asyncio.to_thread(validate_catalog, raw.records, now)
            add_rejections(validated, raw.rejected)
            self._count_rejections(source.name, validated)
            records, fetched_at = validated.records, raw.fetched_at_unix
            if raw.cui_records is not None:
                cui = await asyncio.to_thread(validate_catalog, raw.cui_records, now)
                add_rejections(cui, raw.cui_rejected)
                self._count_rejections("cui", cui)
                records = merge_closest((records, cui.records), now).records
            del raw  # the unvalidated copy need not outlive this function
        return await self._check_and_install(source, records, fetched_at)

    async def _check_and_install(
        self, source: CatalogSource, records: list[OmmRecord], fetched_at: float
    ) -> str:
        reference = self._adopted_objects if self._catalog.current is None else None
        try:
            self._catalog.check_plausible(len(records), reference)
        except CatalogRefused as error:
            outcome = OUTCOME_EMPTY if not records else OUTCOME_IMPLAUSIBLE
            log.error(
                "new catalog refused; the catalog in force stays",
                extra={"source": source.name, "outcome": outcome, "reason": str(error)},
            )
            return outcome
        try:
            report = await self._catalog.install(records, fetched_at, source.name)
        except EngineUnavailable as error:
            self._pending = _Pending(records, fetched_at)
            log.warning(
                "the engine could not take the new catalog; retrying without a new fetch",
                extra={"error": str(error)},
            )
            return OUTCOME_ENGINE_UNAVAILABLE
        except EngineRpcError as error:
            log.error(
                "the engine refused the new catalog; the catalog in force stays",
                extra={"code": error.code, "error": error.message},
            )
            return OUTCOME_ENGINE_REJECTED
        except CatalogRefused as error:  # install re-checks; only reachable in a race
            log.error("new catalog refused", extra={"reason": str(error)})
            return OUTCOME_IMPLAUSIBLE
        self._adopted_objects = None
        if report.rejected:
            self._metrics.catalog_records_rejected.labels(reason="engine").inc(report.rejected)
        log.info(
            "catalog refreshed",
            extra={
                "source": source.name,
                "generation": report.generation,
                "objects": report.accepted,
                "age_s": round(catalog_age_s({"fetched_at_unix": fetched_at}, self._clock())),
            },
        )
        return OUTCOME_OK

    def _take_pending(self) -> _Pending | None:
        pending, self._pending = self._pending, None
        if (
            pending is not None
            and self._clock() - pending.fetched_at_unix > self._policy.interval_s
        ):
            return None  # a fresh fetch is due anyway
        return pending

    def _count_rejections(self, source: str, validated: ValidationResult) -> None:
        rejected = {reason: n for reason, n in validated.rejections.items() if n}
        for reason, n in rejected.items():
            self._metrics.catalog_records_rejected.labels(reason=reason).inc(n)
        # Counts and field names only: never an id, a name or an element value.
        (log.warning if rejected else log.info)(
            "catalog validated",
            extra={
                "source": source,
                "total": validated.total,
                "accepted": validated.accepted,
                "rejected": rejected,
                "rejected_by_field": validated.rejections_by_field,
            },
        )

    # -- the loops ---------------------------------------------------------------------------

    async def _refresh_loop(self, first_delay: float) -> None:
        delay = first_delay
        while True:
            self.next_refresh_at_unix = self._clock() + delay
            await self._sleep_or_wake(delay)
            outcome = await self.refresh_once()
            if outcome == OUTCOME_OK:
                # A request made while this refresh ran (e.g. the supervisor finding the engine
                # empty at start) is answered by it: do not fetch a second time.
                self._wake.clear()
            delay = self._delay_after(outcome)
            log.info(
                "next catalog refresh scheduled",
                extra={"outcome": outcome, "next_refresh_in_s": round(delay, 3)},
            )

    def _delay_after(self, outcome: str) -> float:
        if outcome == OUTCOME_OK:
            self._failures = 0
            return self._policy.interval_delay(self._rng)
        if outcome == OUTCOME_ENGINE_UNAVAILABLE and self._pending is not None:
            return self._policy.engine_retry_s  # no space-track request involved
        self._failures += 1
        delay = self._policy.backoff_delay(self._failures, self._rng)
        if self._retry_after_s is not None:
            delay = max(delay, self._retry_after_s)
        return delay

    async def _sleep_or_wake(self, delay: float) -> None:
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(delay):
                await self._wake.wait()
        # Cleared after waking, not before sleeping: a request made during a refresh is kept.
        self._wake.clear()


def _bug_report(error: BaseException) -> dict[str, str]:
    """Type and place of an unexpected error, without its message.

    The message of an arbitrary exception may quote a record (a KeyError or ValueError raised
    on catalog data), and catalog contents must never reach a log.
    """
    frames = traceback.extract_tb(error.__traceback__)
    where = f"{frames[-1].filename.rsplit('/', 1)[-1]}:{frames[-1].lineno}" if frames else "?"
    return {"error_type": type(error).__name__, "at": where}
