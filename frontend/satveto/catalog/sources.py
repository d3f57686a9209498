"""Where a catalog comes from: space-track, a local OMM JSON file, or the synthetic demo.

Every source answers ``fetch()`` with the raw records (space-track's JSON shape: a list of
maps, validated later by the refresher with ``validate_catalog``) and the time they stand
for.  A failure is a :class:`SourceError` whose ``outcome`` is a fixed label for metrics and
logs.  Nothing here writes anything anywhere: the records live in memory only.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import stat
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from satveto.catalog.demo import build_demo_catalog
from satveto.config import Config, ConfigError
from satveto.credentials import load_credentials
from satveto.spacetrack.budget import RequestBudget
from satveto.spacetrack.client import DEFAULT_MAX_BODY_BYTES, SpacetrackClient
from satveto.spacetrack.errors import SpacetrackError

Clock = Callable[[], float]


@dataclass(frozen=True)
class RawCatalog:
    records: list[object]  # as parsed; not yet validated
    fetched_at_unix: float  # catalog age is measured from here


class SourceError(Exception):
    """A fetch that produced nothing; the catalog in hand stays in force."""

    def __init__(self, outcome: str, message: str, retry_after_s: float | None = None) -> None:
        super().__init__(message)
        self.outcome = outcome
        self.retry_after_s = retry_after_s


class CatalogSource(Protocol):
    name: str  # "spacetrack" | "file" | "demo"; also the prefix of catalog generations

    async def fetch(self) -> RawCatalog: ...


class DemoSource:
    """The deterministic synthetic catalog, rebuilt with a new ``now`` so epochs stay fresh."""

    name = "demo"

    def __init__(self, count: int = 30000, clock: Clock = time.time) -> None:
        self._count = count
        self._clock = clock

    async def fetch(self) -> RawCatalog:
        now = self._clock()
        moment = dt.datetime.fromtimestamp(now, dt.UTC)
        records = await asyncio.to_thread(build_demo_catalog, moment, self._count)
        return RawCatalog(list(records), now)


class FileSource:
    """A local OMM JSON file in space-track's format (a list of records), re-read each time.

    The file's modification time stands for the fetch time: a file nobody updates ages like a
    catalog nobody fetched, and the service stops being ready once it passes catalog.max_age_s.
    """

    name = "file"

    def __init__(
        self, path: Path, max_bytes: int = DEFAULT_MAX_BODY_BYTES, clock: Clock = time.time
    ) -> None:
        self._path = path
        self._max_bytes = max_bytes
        self._clock = clock

    async def fetch(self) -> RawCatalog:
        return await asyncio.to_thread(self._read)

    def _read(self) -> RawCatalog:
        try:
            with self._path.open("rb") as stream:
                info = os.fstat(stream.fileno())
                if not stat.S_ISREG(info.st_mode):
                    raise SourceError("file_unreadable", f"{self._path} is not a regular file")
                data = stream.read(self._max_bytes + 1)
        except OSError as error:
            raise SourceError(
                "file_unreadable", f"cannot read {self._path}: {error.strerror}"
            ) from None
        if len(data) > self._max_bytes:
            raise SourceError("too_large", f"{self._path} is larger than {self._max_bytes} bytes")
        try:
            document = json.loads(data)
        except (ValueError, RecursionError):
            raise SourceError("bad_response", f"{self._path} is not valid JSON") from None
        if not isinstance(document, list):
            raise SourceError("bad_response", f"{self._path} does not hold a JSON list")
        return RawCatalog(document, min(info.st_mtime, self._clock()))


class SpacetrackSource:
    """space-track's GP class; the fetch time is taken before login (never makes data younger)."""

    name = "spacetrack"

    def __init__(self, client: SpacetrackClient, clock: Clock = time.time) -> None:
        self.client = client
        self._clock = clock

    async def fetch(self) -> RawCatalog:
        started = self._clock()
        try:
            records = await self.client.fetch_gp()
        except SpacetrackError as error:
            raise SourceError(error.outcome, str(error), error.retry_after_s) from None
        return RawCatalog(records, started)


def build_source(config: Config, budget: RequestBudget | None = None) -> CatalogSource:
    """The source `catalog.source` names; reads (and checks) the credentials for spacetrack.

    Raises CredentialsError (a ConfigError) when the credentials file is missing, unreadable,
    malformed or accessible by group or others.
    """
    catalog = config.catalog
    if catalog.source == "demo":
        return DemoSource()
    if catalog.source == "file":
        if catalog.file is None:
            raise ConfigError("catalog.file: required when catalog.source is 'file'")
        return FileSource(catalog.file)
    spacetrack = config.spacetrack
    client = SpacetrackClient(
        spacetrack.base_url,
        load_credentials(spacetrack.credentials_file),
        ca_file=spacetrack.ca_file,
        timeout_s=spacetrack.timeout_s,
        # Proposed key spacetrack.max_body_bytes; the default applies until config has it.
        max_body_bytes=getattr(spacetrack, "max_body_bytes", DEFAULT_MAX_BODY_BYTES),
        budget=budget,
    )
    return SpacetrackSource(client)
