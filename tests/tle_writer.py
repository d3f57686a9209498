"""A small TLE writer for the tests: renders OMM-shaped records as 3-line element sets.

Written independently of satveto.catalog.tle (from the format's column table) so that the
reader is tested against text it did not produce.  Values are rounded to the format's
precision; ids above 99,999 are written in Alpha-5.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping

_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"


def alpha5(norad: int) -> str:
    if norad < 100_000:
        return f"{norad:05d}"
    head, tail = divmod(norad, 10_000)
    return _LETTERS[head - 10] + f"{tail:04d}"


def checksum(line: str) -> str:
    total = sum(int(c) if c.isdigit() else (1 if c == "-" else 0) for c in line[:68])
    return str(total % 10)


def _exp(value: float) -> str:
    """' 12345-4' for 0.12345e-4."""
    if value == 0.0:
        return " 00000+0"
    sign = "-" if value < 0 else " "
    mantissa, exponent = f"{abs(value):.4e}".split("e")
    digits = mantissa.replace(".", "")
    power = int(exponent) + 1
    return f"{sign}{digits}{'-' if power < 0 else '+'}{abs(power)}"


def _epoch(epoch: str) -> str:
    moment = dt.datetime.fromisoformat(epoch)
    start = dt.datetime(moment.year, 1, 1)
    day = (moment - start).total_seconds() / 86400.0 + 1.0
    return f"{moment.year % 100:02d}{day:012.8f}"


def render(record: Mapping[str, object], name: str | None = None) -> str:
    """One set: name line (when given) and lines 1 and 2, each ending in a newline."""
    sat = alpha5(int(record["NORAD_CAT_ID"]))  # type: ignore[arg-type]
    ndot = float(record["MEAN_MOTION_DOT"])  # type: ignore[arg-type]
    ndot_text = ("-" if ndot < 0 else " ") + f"{abs(ndot):.8f}"[1:]
    line1 = (
        f"1 {sat}U 26001A   {_epoch(str(record['EPOCH']))} {ndot_text} "
        f"{_exp(float(record['MEAN_MOTION_DDOT']))} {_exp(float(record['BSTAR']))} 0  999"  # type: ignore[arg-type]
    )
    ecc = f"{float(record['ECCENTRICITY']):.7f}"[2:]  # type: ignore[arg-type]
    line2 = (
        f"2 {sat} {float(record['INCLINATION']):8.4f} {float(record['RA_OF_ASC_NODE']):8.4f} "  # type: ignore[arg-type]
        f"{ecc} {float(record['ARG_OF_PERICENTER']):8.4f} {float(record['MEAN_ANOMALY']):8.4f} "  # type: ignore[arg-type]
        f"{float(record['MEAN_MOTION']):11.8f}    1"  # type: ignore[arg-type]
    )
    line1 += checksum(line1)
    line2 += checksum(line2)
    assert len(line1) == 69
    assert len(line2) == 69
    head = "" if name is None else f"{name}\n"
    return f"{head}{line1}\n{line2}\n"


def render_all(records: Iterable[Mapping[str, object]], names: bool = True) -> str:
    return "".join(
        render(r, str(r.get("OBJECT_NAME") or "UNKNOWN") if names else None) for r in records
    )
