"""Historical catalogs: old visits (AP reprocessing) matched against the elements of their epoch.

A visit marked ``historical`` must never be matched against today's elements: an object's
track then is not where it was, so the veto would miss it and flag the wrong sources.  This
service builds, for the visit's time, a catalog from space-track's ``gp_history`` (epochs
within ±0.3833 d of the window centre) merged with the CUI element file uploaded closest to
that centre, one element set per object: the one whose epoch is closest to the centre.

Cost, the reason for the windows: windows are centred on fixed instants every 12 hours, at
05:00 and 17:00 UTC.  A visit uses the window whose centre is nearest its midpoint, so every
visit of one Chilean night (about 23:00 to 11:00 UTC) falls in the 05:00 window, and a night's
reprocessing costs one fetch: five space-track requests (login, gp_history, folder listing,
download, logout).  A visit at most 6 h from the centre sees elements whose epochs lie within
±0.3833 d of the centre, i.e. within about 15 h of the visit.

Held: up to ``catalog.max_history_catalogs`` catalogs, in frontend memory (for reloading a
restarted engine without a new fetch) and in the engine under ``hist-YYYYMMDDTHHMMZ``, least
recently used evicted (``drop_catalog``).  Never on disk, never logged.

Failure: an unreachable space-track, an exhausted request budget, an empty result or an
engine that refuses the catalog gives the visit a 503 ``no_historical_catalog``, never today's
elements.  The next request for that window retries once its backoff (1 minute, doubling to
an hour) has passed; until then the 503 costs no request.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import logging
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from satveto.astro.timescales import MJD_UNIX_EPOCH
from satveto.catalog.merge import merge_closest
from satveto.catalog.omm import (
    OmmRecord,
    Rejection,
    ValidationResult,
    validate_catalog,
    validate_record,
)
from satveto.catalog.sources import RawCatalog, SourceError
from satveto.catalog.tle import add_rejections
from satveto.engine.rpc import EngineClient, EngineError
from satveto.errors import ApiError
from satveto.models import Visit
from satveto.runtime.metrics import Metrics

log = logging.getLogger("satveto.history")

#: Window centres every 12 h at 05:00 and 17:00 UTC (05:00 UTC is 02:00 at Rubin in winter).
WINDOW_SPACING_S = 43200.0
WINDOW_PHASE_S = 5 * 3600.0
#: Epochs within this many days of the centre are fetched (docs/design.md, "Catalog ingestion").
HALF_WIDTH_D = 0.3833


@runtime_checkable
class HistorySource(Protocol):
    """A catalog source with a history (space-track's gp_history); the others have none."""

    async def fetch_history(
        self, start: dt.datetime, end: dt.datetime, near: dt.datetime
    ) -> RawCatalog: ...


def visit_mid_unix(visit: Visit) -> float:
    """The exposure midpoint in Unix seconds (TAI and UTC differ by 37 s: far below a window)."""
    mid_mjd = 0.5 * (visit.exposure_start_mjd + visit.exposure_end_mjd)
    return (mid_mjd - MJD_UNIX_EPOCH) * 86400.0


def window_center_unix(mid_unix: float) -> float:
    """The fixed window centre nearest to an instant."""
    k = round((mid_unix - WINDOW_PHASE_S) / WINDOW_SPACING_S)
    return WINDOW_PHASE_S + k * WINDOW_SPACING_S


def catalog_name(center_unix: float) -> str:
    """The engine's name for the catalog of a window: ``hist-20261120T0500Z``."""
    return "hist-" + time.strftime("%Y%m%dT%H%MZ", time.gmtime(center_unix))


def visit_catalog_name(visit: Visit) -> str | None:
    """The historical catalog a visit is matched against, or None for the current one."""
    if not getattr(visit, "historical", False):
        return None
    return catalog_name(window_center_unix(visit_mid_unix(visit)))


def engine_params(visit: Visit) -> dict[str, Any]:
    """The engine's ``register_visit`` params: a historical visit names its catalog."""
    params = visit.to_params()
    name = visit_catalog_name(visit)
    if name is not None:
        params["catalog"] = name
    return params


@dataclass(frozen=True)
class HistoricalSnapshot:
    name: str
    center_unix: float
    fetched_at_unix: float
    records: Sequence[OmmRecord]


@dataclass
class _Failure:
    count: int
    retry_at: float  # monotonic


def no_historical_catalog() -> ApiError:
    return ApiError(
        503,
        "no_historical_catalog",
        "No catalog of the visit's epoch is available now; retry later.",
    )


def reprocessing_disabled() -> ApiError:
    return ApiError(
        400,
        "reprocessing_disabled",
        "historical: reprocessing is not enabled on this service (limits.allow_reprocessing).",
    )


def build_historical(raw: RawCatalog, center: dt.datetime) -> tuple[list[OmmRecord], str]:
    """Validates a history fetch and keeps, per object, the set closest to ``center``.

    gp_history holds several sets per object, so each record is validated on its own (the
    current catalog's rule, newest wins, does not apply here).  Returns the records and a
    log-safe summary of counts.
    """
    counts = ValidationResult(records=[], total=0, rejections={})
    gp: list[OmmRecord] = []
    for item in raw.records:
        record = validate_record(item)  # type: ignore[arg-type]  # non-mappings are rejected
        if isinstance(record, Rejection):
            add_rejections(counts, (record,))
        else:
            gp.append(record)
    groups: list[list[OmmRecord]] = [gp]
    if raw.cui_records is not None:
        cui = validate_catalog(raw.cui_records)
        add_rejections(cui, raw.cui_rejected)
        groups.append(cui.records)
        for reason, n in cui.rejections.items():
            counts.rejections[reason] = counts.rejections.get(reason, 0) + n
    merged = merge_closest(groups, center)
    summary = f"gp_sets={len(gp)} objects={len(merged.records)} " + " ".join(
        f"{reason}={n}" for reason, n in counts.rejections.items() if n
    )
    return merged.records, summary.strip()


class HistoricalCatalogs:
    def __init__(
        self,
        engine: EngineClient,
        metrics: Metrics,
        source: HistorySource | None,
        *,
        enabled: bool,
        capacity: int = 4,
        load_timeout_s: float = 120.0,
        backoff_initial_s: float = 60.0,
        backoff_max_s: float = 3600.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._engine = engine
        self._metrics = metrics
        self._source = source
        self.enabled = enabled
        self._capacity = capacity
        self._load_timeout_s = load_timeout_s
        self._backoff_initial_s = backoff_initial_s
        self._backoff_max_s = backoff_max_s
        self._monotonic = monotonic
        self._held: OrderedDict[str, HistoricalSnapshot] = OrderedDict()  # LRU first
        self._inflight: dict[str, asyncio.Task[None]] = {}
        self._failures: dict[str, _Failure] = {}
        self._engine_lock = asyncio.Lock()  # loads, drops and reloads never interleave
        self._sequence = itertools.count(1)
        self.fetches = 0  # history fetches attempted (tests and diagnostics)

    def held_names(self) -> list[str]:
        """Names held, least recently used first."""
        return list(self._held)

    def holds(self, name: str) -> bool:
        return name in self._held

    async def ensure(self, visit: Visit) -> str:
        """The name of the visit's historical catalog, fetched and loaded if need be.

        Raises ApiError: 400 when reprocessing is disabled, 503 ``no_historical_catalog``
        when the catalog cannot be had now.
        """
        if not self.enabled:
            raise reprocessing_disabled()
        center = window_center_unix(visit_mid_unix(visit))
        name = catalog_name(center)
        if name in self._held:
            self._held.move_to_end(name)
            return name
        task = self._inflight.get(name)
        if task is None:
            failure = self._failures.get(name)
            if failure is not None and self._monotonic() < failure.retry_at:
                raise no_historical_catalog()  # within the backoff: no request at all
            task = asyncio.create_task(self._obtain(name, center), name=f"satveto-{name}")
            self._inflight[name] = task
            # Retrieved here so that a fetch whose requesters all went away logs no warning.
            task.add_done_callback(lambda t: t.cancelled() or t.exception())
        # The visits of one window share one fetch, and a requester that goes away (client
        # disconnect, timeout) does not abort it: the budget it spends is not wasted.
        await asyncio.shield(task)
        return name

    async def _obtain(self, name: str, center: float) -> None:
        try:
            await self._fetch_and_load(name, center)
        except (SourceError, EngineError, _Empty) as error:
            self._note_failure(name, error)
            raise no_historical_catalog() from None
        finally:
            self._inflight.pop(name, None)
        self._failures.pop(name, None)

    async def _fetch_and_load(self, name: str, center_unix: float) -> None:
        if self._source is None:
            raise SourceError("no_history_source", "the catalog source keeps no history")
        center = dt.datetime.fromtimestamp(center_unix, dt.UTC)
        half = dt.timedelta(days=HALF_WIDTH_D)
        self.fetches += 1
        raw = await self._source.fetch_history(center - half, center + half, center)
        records, summary = await asyncio.to_thread(build_historical, raw, center)
        fetched_at = raw.fetched_at_unix
        del raw
        if not records:
            raise _Empty()
        snapshot = HistoricalSnapshot(name, center_unix, fetched_at, records)
        async with self._engine_lock:
            while len(self._held) >= self._capacity:
                await self._evict_oldest()
            await self._push(snapshot)
            self._held[name] = snapshot
        self._metrics.historical_fetches.labels(outcome="ok").inc()
        self._metrics.historical_catalogs.set(len(self._held))
        log.info("historical catalog loaded", extra={"catalog": name, "counts": summary})

    async def _evict_oldest(self) -> None:
        name, _ = self._held.popitem(last=False)
        try:
            await self._engine.call("drop_catalog", {"catalog": name})
        except EngineError as error:
            # The engine lost it already (restart) or is down; a reload will not restore it.
            log.warning("dropping a historical catalog failed", extra={"error": str(error)})
        log.info("historical catalog evicted", extra={"catalog": name})

    async def _push(self, snapshot: HistoricalSnapshot) -> None:
        await self._engine.call(
            "load_catalog",
            {
                "catalog": snapshot.name,
                "generation": f"{snapshot.name}-{next(self._sequence)}",
                "fetched_at_unix": snapshot.fetched_at_unix,
                "objects": list(snapshot.records),
            },
            timeout_s=self._load_timeout_s,
        )

    def _note_failure(self, name: str, error: Exception) -> None:
        previous = self._failures.get(name)
        count = 1 if previous is None else previous.count + 1
        delay = min(self._backoff_max_s, self._backoff_initial_s * 2.0 ** (count - 1))
        retry_after = getattr(error, "retry_after_s", None)
        if retry_after is not None:
            delay = max(delay, retry_after)
        self._failures[name] = _Failure(count, self._monotonic() + delay)
        outcome = getattr(error, "outcome", None) or (
            "empty" if isinstance(error, _Empty) else "engine_unavailable"
        )
        self._metrics.historical_fetches.labels(outcome=outcome).inc()
        log.warning(
            "historical catalog unavailable; its visits get 503",
            extra={"catalog": name, "outcome": outcome, "retry_in_s": round(delay)},
        )

    async def reload_engine(self, engine_held: Any) -> int:
        """Loads every catalog held in memory that the engine lacks (after a restart).

        ``engine_held`` is the ping's ``historical_catalogs``.  Returns how many were loaded;
        raises EngineError when the engine cannot take them.
        """
        names = set()
        if isinstance(engine_held, list):
            names = {h.get("name") for h in engine_held if isinstance(h, dict)}
        loaded = 0
        async with self._engine_lock:
            for snapshot in list(self._held.values()):
                if snapshot.name not in names:
                    await self._push(snapshot)
                    loaded += 1
        if loaded:
            log.warning("historical catalogs reloaded from memory", extra={"count": loaded})
        return loaded


class _Empty(Exception):
    """A history fetch with no usable element set (treated as a failure: 503)."""
