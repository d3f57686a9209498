"""Earth orientation for the engine: IERS finals2000A, as shipped by ``astropy-iers-data``.

The engine needs UT1 - UTC and polar motion to place the site (docs/design.md, "Matching
semantics"); without them it takes UT1 = UTC and widens every corridor by the 0.9 s that UTC
allows.  At start the frontend reads the package's ``finals2000A.all`` (fixed-width columns,
parsed here; format in the package's ``ReadMe.finals2000A``) and sends the engine, with
``configure``, the rows from a few weeks back through the end of the IERS predictions (about a
year ahead), and the MJD of the last *observed* (flag ``I``) UT1 value.

The data ages: the package is refreshed only with a new image.  The age of the last observed
value is a metric (``satveto_earth_orientation_age_seconds``), and past
``MAX_OBSERVED_AGE_DAYS`` the service reports not ready (the engine's bounds still cover the
predictions' growing error, but an operator should ship fresh data).
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from satveto.astro.timescales import SECONDS_PER_DAY, utc_mjd_now

log = logging.getLogger("satveto.earth_orientation")

MAX_OBSERVED_AGE_DAYS = 60.0
DAYS_BACK = 28.0  # rows sent before today: visits of the last weeks (reprocessing aside)
_MIN_ROWS = 30


class EarthOrientationError(ValueError):
    """The IERS file is missing, truncated or malformed (the message says where)."""


@dataclass(frozen=True)
class EarthOrientationTable:
    """Daily rows at 0h UTC: MJD, UT1 - UTC (s), x_p and y_p (arcsec)."""

    mjd: list[float]
    ut1_utc_s: list[float]
    xp_arcsec: list[float]
    yp_arcsec: list[float]
    last_observed_mjd: float  # the last row whose UT1 - UTC is observed, not predicted

    def to_params(self) -> dict[str, Any]:
        """configure's ``earth_orientation`` (protocol/README.md)."""
        return {
            "mjd": self.mjd,
            "ut1_utc_s": self.ut1_utc_s,
            "xp_arcsec": self.xp_arcsec,
            "yp_arcsec": self.yp_arcsec,
            "last_observed_mjd": self.last_observed_mjd,
        }

    def observed_age_s(self, now_unix: float) -> float:
        return max(0.0, (utc_mjd_now(now_unix) - self.last_observed_mjd) * SECONDS_PER_DAY)


@dataclass(frozen=True)
class _Row:
    mjd: float
    ut1_utc_s: float
    xp_arcsec: float
    yp_arcsec: float
    observed: bool


def _field(line: str, start: int, end: int, name: str, number: int) -> float:
    text = line[start:end].strip()
    try:
        value = float(text)
    except ValueError:
        raise EarthOrientationError(f"line {number}: {name} is not a number ({text!r})") from None
    if not math.isfinite(value):
        raise EarthOrientationError(f"line {number}: {name} is not finite")
    return value


def parse_finals2000a(text: str) -> list[_Row]:
    """The rows of a finals2000A text that carry UT1 - UTC (rows past the predictions do not).

    Columns (1-based bytes, ReadMe.finals2000A): MJD 8-15, polar-motion flag 17, x_p 19-27,
    y_p 38-46, UT1 flag 58, UT1 - UTC 59-68.  Raises EarthOrientationError naming the line.
    """
    rows: list[_Row] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        if len(line) < 68 or not line[58:68].strip():
            # Past the predictions the file lists bare dates; nothing after them counts.
            if rows and len(line.rstrip()) <= 16:
                break
            raise EarthOrientationError(f"line {number}: truncated (no UT1 - UTC)")
        mjd = _field(line, 7, 15, "MJD", number)
        pole_flag, ut1_flag = line[16], line[57]
        if pole_flag not in "IP" or ut1_flag not in "IP":
            raise EarthOrientationError(f"line {number}: flags must be I or P")
        row = _Row(
            mjd,
            _field(line, 58, 68, "UT1-UTC", number),
            _field(line, 18, 27, "PM-x", number),
            _field(line, 37, 46, "PM-y", number),
            ut1_flag == "I",
        )
        if abs(row.ut1_utc_s) > 1.0 or abs(row.xp_arcsec) > 2.0 or abs(row.yp_arcsec) > 2.0:
            raise EarthOrientationError(f"line {number}: value out of range")
        if rows and row.mjd != rows[-1].mjd + 1.0:
            raise EarthOrientationError(
                f"line {number}: MJD {row.mjd:g} does not follow the previous day"
            )
        rows.append(row)
    if len(rows) < _MIN_ROWS:
        raise EarthOrientationError(f"only {len(rows)} rows with UT1 - UTC")
    return rows


def table_for(
    rows: list[_Row], now_unix: float, days_back: float = DAYS_BACK
) -> EarthOrientationTable:
    """The rows the engine needs: from ``days_back`` before now (or the last observed row, if
    older) through the end of the predictions."""
    observed = [row.mjd for row in rows if row.observed]
    if not observed:
        raise EarthOrientationError("no observed (flag I) UT1 - UTC value")
    last_observed = observed[-1]
    first = min(utc_mjd_now(now_unix) - days_back, last_observed)
    chosen = [row for row in rows if row.mjd >= math.floor(first)]
    if len(chosen) < 2:
        chosen = rows[-2:]
    return EarthOrientationTable(
        [row.mjd for row in chosen],
        [row.ut1_utc_s for row in chosen],
        [row.xp_arcsec for row in chosen],
        [row.yp_arcsec for row in chosen],
        last_observed,
    )


def finals2000a_path() -> Path:
    import astropy_iers_data

    return Path(astropy_iers_data.IERS_A_FILE)


@dataclass
class EarthOrientationData:
    """What the frontend holds: the table, or why there is none."""

    table: EarthOrientationTable | None
    problem: str | None = None
    source: str = field(default="")

    def age_s(self, now_unix: float) -> float:
        """Age of the last observed value; +inf without a table (so age alerts fire)."""
        return math.inf if self.table is None else self.table.observed_age_s(now_unix)

    def not_ready_reason(self, now_unix: float) -> str | None:
        if self.table is None:
            return f"Earth-orientation data unusable: {self.problem}"
        age_days = self.age_s(now_unix) / SECONDS_PER_DAY
        if age_days > MAX_OBSERVED_AGE_DAYS:
            return (
                f"Earth-orientation data is {age_days:.0f} days old (limit "
                f"{MAX_OBSERVED_AGE_DAYS:.0f}); ship a newer astropy-iers-data"
            )
        return None


def load_earth_orientation(now_unix: float, path: Path | None = None) -> EarthOrientationData:
    """Reads the IERS file (the package's by default).  Never raises: a bad file gives data
    without a table and the problem, which makes the service not ready."""
    try:
        path = path or finals2000a_path()
        table = table_for(parse_finals2000a(path.read_text(encoding="ascii")), now_unix)
    except (OSError, ImportError, UnicodeDecodeError, EarthOrientationError) as error:
        log.error("Earth-orientation data unusable", extra={"error": str(error)})
        return EarthOrientationData(None, str(error), str(path or ""))
    return EarthOrientationData(table, None, str(path))
