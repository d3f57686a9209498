"""TAI and UTC for the frontend's own clock checks (docs/design.md, "Time scale").

Rubin's MJDs are TAI; the wall clock counts UTC.  Comparing the two without converting would be
37 s off.  Leap seconds come from the IERS ``Leap_Second.dat`` shipped by the
``astropy-iers-data`` package (the same package that ships the Earth-orientation table), read
once; if the file cannot be read, a built-in table ending with 2017-01-01 (37 s) is used, which
is the truth until the IERS announces another leap second.
"""

from __future__ import annotations

import functools
import itertools
import logging
from pathlib import Path

log = logging.getLogger("satveto.timescales")

MJD_UNIX_EPOCH = 40587.0  # MJD of 1970-01-01T00:00:00 UTC
SECONDS_PER_DAY = 86400.0
TIME_SCALES = ("tai", "utc")

# (MJD from which, TAI - UTC in s): the last steps, for when the IERS file is unreadable.
_BUILT_IN = ((53736.0, 33.0), (54832.0, 34.0), (56109.0, 35.0), (57204.0, 36.0), (57754.0, 37.0))


def leap_second_file() -> Path:
    import astropy_iers_data

    return Path(astropy_iers_data.IERS_LEAP_SECOND_FILE)


def parse_leap_seconds(text: str) -> tuple[tuple[float, float], ...]:
    """(MJD, TAI - UTC) rows of an IERS ``Leap_Second.dat`` text, ascending; raises ValueError."""
    steps = []
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        fields = line.split()
        if len(fields) != 5:
            raise ValueError(f"unexpected line {line!r}")
        steps.append((float(fields[0]), float(fields[4])))
    if len(steps) < 10 or any(b[0] <= a[0] for a, b in itertools.pairwise(steps)):
        raise ValueError("too few rows, or not ascending")
    return tuple(steps)


@functools.cache
def _leap_seconds() -> tuple[tuple[float, float], ...]:
    try:
        return parse_leap_seconds(leap_second_file().read_text(encoding="ascii"))
    except (OSError, ImportError, ValueError, UnicodeDecodeError) as error:
        log.error(
            "leap-second file unusable; using the built-in table", extra={"error": str(error)}
        )
        return _BUILT_IN


def tai_minus_utc_s(mjd_utc: float) -> float:
    """TAI - UTC (s) at a UTC MJD since 1972 (earlier: the first value of the table)."""
    steps = _leap_seconds()
    value = steps[0][1]
    for start, offset in steps:
        if mjd_utc < start:
            break
        value = offset
    return value


def utc_mjd_now(now_unix: float) -> float:
    return MJD_UNIX_EPOCH + now_unix / SECONDS_PER_DAY


def mjd_now(now_unix: float, time_scale: str) -> float:
    """The wall clock (UTC unix seconds) as an MJD in ``time_scale`` ("tai" or "utc")."""
    utc = utc_mjd_now(now_unix)
    if time_scale == "utc":
        return utc
    return utc + tai_minus_utc_s(utc) / SECONDS_PER_DAY
