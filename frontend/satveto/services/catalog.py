"""The catalog as the frontend holds it: the last good one, in memory, and its engine copy.

The frontend keeps the last catalog it installed so that a restarted engine is reloaded
without a new fetch.  A new catalog is installed only if it is plausible (not empty, not far
smaller than the one in hand) and only once the engine has accepted it; until then the old one
stays in force everywhere.  Nothing here writes to disk or logs a record.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from satveto.catalog.omm import OmmRecord
from satveto.engine.rpc import EngineClient, EngineRpcError

log = logging.getLogger("satveto.catalog")


class CatalogRefused(Exception):
    """A new catalog that was not installed; the previous one stays in force."""


@dataclass(frozen=True)
class CatalogSnapshot:
    generation: str
    fetched_at_unix: float
    source: str
    records: Sequence[OmmRecord]


@dataclass(frozen=True)
class InstallReport:
    generation: str
    accepted: int
    rejected: int


class CatalogService:
    def __init__(self, engine: EngineClient, min_fraction: float, load_timeout_s: float = 120.0):
        self._engine = engine
        self._min_fraction = min_fraction
        self._load_timeout_s = load_timeout_s
        self._sequence = itertools.count(1)
        self.current: CatalogSnapshot | None = None
        # install and reload never interleave their pushes: a reload of the old catalog
        # landing after the install of a new one would leave the engine a generation behind.
        self._push_lock = asyncio.Lock()

    def _new_generation(self, source: str, fetched_at_unix: float) -> str:
        stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(fetched_at_unix))
        return f"{source}-{stamp}-{next(self._sequence)}"

    def check_plausible(self, count: int, reference_count: int | None = None) -> None:
        """Refuses an empty catalog, or one far smaller than the catalog in hand.

        `reference_count` stands in for the catalog in hand when there is none in memory: a
        frontend that adopted the engine's catalog at start passes the engine's object count,
        so a restart does not lower the bar.
        """
        if count == 0:
            raise CatalogRefused("the new catalog is empty")
        in_hand = len(self.current.records) if self.current is not None else reference_count
        if in_hand:
            floor = self._min_fraction * in_hand
            if count < floor:
                raise CatalogRefused(
                    f"the new catalog has {count} objects, fewer than {self._min_fraction:g} "
                    f"of the {in_hand} in hand"
                )

    async def install(
        self, records: Sequence[OmmRecord], fetched_at_unix: float, source: str
    ) -> InstallReport:
        """Pushes validated records to the engine and, once accepted, makes them current."""
        self.check_plausible(len(records))
        snapshot = CatalogSnapshot(
            self._new_generation(source, fetched_at_unix), fetched_at_unix, source, records
        )
        async with self._push_lock:
            result = await self._push(snapshot)
            self.current = snapshot
        report = InstallReport(snapshot.generation, result["accepted"], len(result["rejected"]))
        log.info(
            "catalog installed",
            extra={
                "generation": report.generation,
                "source": source,
                "accepted": report.accepted,
                "rejected_by_engine": report.rejected,
            },
        )
        return report

    async def _push(self, snapshot: CatalogSnapshot) -> dict[str, Any]:
        result = await self._engine.call(
            "load_catalog",
            {
                "generation": snapshot.generation,
                "fetched_at_unix": snapshot.fetched_at_unix,
                "objects": list(snapshot.records),
            },
            timeout_s=self._load_timeout_s,
        )
        # Checked before the caller makes the snapshot current: an answer that does not say
        # what the engine accepted is not an acceptance.
        if not (
            isinstance(result, dict)
            and isinstance(result.get("accepted"), int)
            and isinstance(result.get("rejected"), list)
        ):
            raise EngineRpcError("malformed", "load_catalog answer without accepted and rejected")
        return result

    async def reload_engine_if_needed(self, engine_catalog: dict[str, Any] | None) -> bool:
        """Reloads the engine from memory when it lacks our catalog; True if it reloaded.

        `engine_catalog` is the `catalog` field of the engine's ping.  An engine holding a
        newer catalog than ours (another frontend process loaded it) is left alone.
        """
        async with self._push_lock:
            current = self.current
            if current is None:
                return False
            if engine_catalog is not None:
                if engine_catalog.get("generation") == current.generation:
                    return False
                if float(engine_catalog.get("fetched_at_unix", 0.0)) > current.fetched_at_unix:
                    return False
            await self._push(current)
        log.warning(
            "engine reloaded from the in-memory catalog", extra={"generation": current.generation}
        )
        return True
