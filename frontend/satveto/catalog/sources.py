"""Where a catalog comes from: space-track, a local OMM JSON or TLE file, or the synthetic demo.

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
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from satveto.catalog.omm import Rejection
from satveto.catalog.synthetic import build_demo_catalog
from satveto.catalog.tle import TleParse, looks_like_tle, parse_tle_text
from satveto.runtime.config import Config, ConfigError
from satveto.spacetrack.budget import RequestBudget
from satveto.spacetrack.credentials import load_credentials
from satveto.spacetrack.errors import SpacetrackError
from satveto.spacetrack.fetch import DEFAULT_MAX_BODY_BYTES, CuiDownload, SpacetrackClient

Clock = Callable[[], float]


@dataclass(frozen=True)
class RawCatalog:
    records: Sequence[object]  # as parsed; not yet validated (read, never changed)
    fetched_at_unix: float  # catalog age is measured from here
    # Sets a TLE reader refused before validation (counted with the validator's rejections).
    rejected: tuple[Rejection, ...] = ()
    # The CUI element file's sets (OMM-shaped, not yet validated) to merge with `records`,
    # closest epoch to now winning; None when the source has no CUI part.
    cui_records: Sequence[object] | None = field(default=None, repr=False)
    cui_rejected: tuple[Rejection, ...] = ()


@dataclass(frozen=True)
class HeldCui:
    """The CUI file in hand: its id (to skip a download of the same file) and its sets."""

    file_id: int
    records: list[dict[str, object]] = field(repr=False)
    rejected: tuple[Rejection, ...] = ()


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
    """A local catalog file, re-read each time: OMM JSON in space-track's format (a list of
    records) or two-line element sets (2- or 3-line form, e.g. the CUI file held offline),
    told apart by content.  A TLE file that ends inside a set is refused as a whole.

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
        fetched_at = min(info.st_mtime, self._clock())
        if looks_like_tle(data):
            parsed = parse_tle_checked(data.decode("ascii", errors="replace"), str(self._path))
            return RawCatalog(parsed.records, fetched_at, tuple(parsed.rejections))
        try:
            document = json.loads(data)
        except (ValueError, RecursionError):
            raise SourceError("bad_response", f"{self._path} is not valid JSON") from None
        if not isinstance(document, list):
            raise SourceError("bad_response", f"{self._path} does not hold a JSON list")
        return RawCatalog(document, fetched_at)


def parse_tle_checked(text: str, what: str) -> TleParse:
    """A TLE text's sets; raises SourceError when it is cut inside a set or holds none."""
    parsed = parse_tle_text(text)
    if parsed.truncated:
        raise SourceError("truncated", f"{what} ends inside an element set (cut short?)")
    if parsed.sets == 0:
        raise SourceError("bad_response", f"{what} holds no two-line element set")
    return parsed


class SpacetrackSource:
    """space-track's GP class plus, with ``include_cui``, the CUI element file (folder 59).

    The fetch time is taken before login (never makes data younger).  The CUI file's sets are
    held in memory with its id, so a refresh that finds the same newest file skips the
    download; a CUI part that fails fails the whole fetch (the catalog in force stays).
    """

    name = "spacetrack"

    def __init__(
        self, client: SpacetrackClient, clock: Clock = time.time, *, include_cui: bool = False
    ) -> None:
        self.client = client
        self.include_cui = include_cui
        self._clock = clock
        self.held_cui: HeldCui | None = None

    async def fetch(self) -> RawCatalog:
        started = self._clock()
        held = self.held_cui
        try:
            fetched = await self.client.fetch_catalog(
                include_cui=self.include_cui, held_cui_id=None if held is None else held.file_id
            )
        except SpacetrackError as error:
            raise SourceError(error.outcome, str(error), error.retry_after_s) from None
        if not self.include_cui:
            return RawCatalog(fetched.gp, started)
        if fetched.cui is not None:
            held = await asyncio.to_thread(read_cui, fetched.cui)
            self.held_cui = held
        if held is None:  # pragma: no cover - the client downloads when nothing is held
            raise SourceError("cui_failed", "no CUI element file in hand")
        return RawCatalog(
            fetched.gp, started, cui_records=list(held.records), cui_rejected=held.rejected
        )

    async def fetch_history(
        self, start: dt.datetime, end: dt.datetime, near: dt.datetime
    ) -> RawCatalog:
        """GP history of epochs in (start, end) and (with CUI) the file uploaded nearest `near`."""
        started = self._clock()
        try:
            records, cui = await self.client.fetch_history(
                start, end, near if self.include_cui else None
            )
        except SpacetrackError as error:
            raise SourceError(error.outcome, str(error), error.retry_after_s) from None
        if cui is None:
            return RawCatalog(records, started)
        held = await asyncio.to_thread(read_cui, cui)
        return RawCatalog(records, started, cui_records=held.records, cui_rejected=held.rejected)


def read_cui(download: CuiDownload) -> HeldCui:
    """The sets of a downloaded CUI file; SourceError (outcome ``cui_*``) when unusable.

    The text itself is dropped here: only the parsed sets are kept, in memory.
    """
    try:
        parsed = parse_tle_checked(download.text, "the CUI element file")
    except SourceError as error:
        raise SourceError(f"cui_{error.outcome}", str(error)) from None
    return HeldCui(download.info.file_id, parsed.records, tuple(parsed.rejections))


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
    return SpacetrackSource(client, include_cui=spacetrack.include_cui)
