"""Two-line element sets (TLE) read into the OMM record shape of :mod:`satveto.catalog.omm`.

space-track's CUI element file (fileshare folder 59) and files operators keep offline are TLE
text: 2-line sets, or 3-line sets with a name line before them (``0 NAME`` or a bare name), with
Alpha-5 catalog numbers above 99,999.  This module checks everything the fixed-column format
can get wrong and converts each good set into the same mapping a GP JSON record has, so both
paths share one validator (:func:`satveto.catalog.omm.validate_catalog`) and one engine input.

Fail-safe rules, each for a reason:

* A set is taken only when both lines are complete and pass every check: line number, length
  (69), the blanks between fields, the modulo-10 checksum, the same catalog number on both
  lines, and a strict pattern for every numeric field.  A line that lost a character shifts
  every later column: reading it anyway would build an object from garbage, which vetoes the
  wrong part of the sky and lets the real object through.
* A letter in a numeric field (``O`` for ``0``) passes the checksum (letters count 0), so the
  field patterns, not the checksum, refuse it.
* An orphan line (a line 1 without its line 2, or a line 2 without its line 1) is refused by
  reason and the reader resynchronises on the next line; the neighbours still load.
* A text that ends inside a set (the last line incomplete) is *truncated*: callers refuse the
  whole file, since a cut download may have lost any number of sets.
* Rejections carry a reason and a field name, never a value: nothing here may reach a log with
  catalog content in it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from satveto.catalog.omm import Rejection, RejectReason, ValidationResult, validate_catalog

__all__ = [
    "ALPHA5_LETTERS",
    "TleParse",
    "add_rejections",
    "alpha5_decode",
    "looks_like_tle",
    "parse_tle_text",
    "tle_checksum",
    "validate_tle_text",
]

#: Alpha-5 letters in order, A=10 ... Z=33; I and O are skipped (they read as 1 and 0).
ALPHA5_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"
_ALPHA5_VALUE = {letter: 10 + i for i, letter in enumerate(ALPHA5_LETTERS)}

LINE_LENGTH = 69

_R = RejectReason

# Field patterns (fullmatch on the exact column slice).  re.ASCII keeps \d to 0-9.
_DIGITS4 = re.compile(r"\d{4}", re.ASCII)
_CATALOG = re.compile(r"[0-9A-HJ-NP-Z]\d{4}|\d{5}| {0,4}\d{1,5}", re.ASCII)
_EPOCH_YEAR = re.compile(r"\d{2}", re.ASCII)
_EPOCH_DAY = re.compile(r"( {0,2}\d{1,3})\.(\d{8})", re.ASCII)
_NDOT = re.compile(r"[ +-]\.\d{8}", re.ASCII)
_EXP = re.compile(r"([ +-])(\d{5})([+-])(\d)", re.ASCII)
_ANGLE = re.compile(r" {0,2}\d{1,3}\.\d{4}", re.ASCII)
_ECC = re.compile(r"\d{7}", re.ASCII)
_MEAN_MOTION = re.compile(r" ?\d{1,2}\.\d{8}", re.ASCII)
_REV = re.compile(r"[ \d]{5}", re.ASCII)
_ELSET = re.compile(r"[ \d]{4}", re.ASCII)
_EPHEMERIS = re.compile(r"[ \d]", re.ASCII)
_CLASSIFICATION = re.compile(r"[UCS ]", re.ASCII)

# Columns (0-based slices) that must hold a blank, per line.
_BLANKS_1 = (1, 8, 17, 32, 43, 52, 61, 63)
_BLANKS_2 = (1, 7, 16, 25, 33, 42, 51)

_MICROSECONDS_PER_DAY = 86_400_000_000


@dataclass(slots=True)
class TleParse:
    """What :func:`parse_tle_text` read.

    ``records`` are OMM-shaped mappings (numbers, not yet range-checked) for the validator;
    ``rejections`` one entry per refused set or orphan line; ``sets`` the number of sets and
    orphan lines seen; ``truncated`` true when the text ends inside a set.
    """

    records: list[dict[str, object]] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)
    sets: int = 0
    truncated: bool = False


def tle_checksum(line: str) -> int:
    """The modulo-10 checksum of the first 68 characters: digits count their value, '-' 1."""
    total = 0
    for char in line[:68]:
        if "0" <= char <= "9":
            total += ord(char) - 48
        elif char == "-":
            total += 1
    return total % 10


def alpha5_decode(text: str) -> int | None:
    """The catalog number in a TLE's five-character field, or None when it is not one.

    Five digits (leading blanks allowed: old writers pad with spaces) or Alpha-5: a letter
    A-Z without I and O worth 10-33, then four digits (``A0000`` = 100000, ``Z9999`` =
    339999).  Lower-case letters, I, O and anything else are refused.
    """
    if len(text) != 5 or _CATALOG.fullmatch(text) is None:
        return None
    head = text[0]
    if head in _ALPHA5_VALUE:
        return _ALPHA5_VALUE[head] * 10_000 + int(text[1:])
    number = int(text)
    return number if number > 0 else None


def _exponent_field(text: str) -> float | None:
    """``' 12345-4'`` = +0.12345e-4: sign, five mantissa digits (decimal point assumed)."""
    match = _EXP.fullmatch(text)
    if match is None:
        return None
    sign, mantissa, exp_sign, exponent = match.groups()
    # Through the decimal text, so the value is the correctly rounded double of what is written.
    return float(f"{'-' if sign == '-' else ''}0.{mantissa}e{exp_sign}{exponent}")


def _epoch(year_text: str, day_text: str) -> str | None:
    """ISO 8601 UTC with microseconds from the two-digit year and the day of year.

    Years 57-99 are 1957-1999, 00-56 are 2000-2056 (the TLE convention).  Eight fraction
    digits are units of 864 microseconds, so the conversion is exact in integers.
    """
    if _EPOCH_YEAR.fullmatch(year_text) is None:
        return None
    match = _EPOCH_DAY.fullmatch(day_text)
    if match is None:
        return None
    two_digit = int(year_text)
    year = 1900 + two_digit if two_digit >= 57 else 2000 + two_digit
    day = int(match.group(1))
    days_in_year = 366 if year % 4 == 0 and (year % 100 != 0 or year % 400 == 0) else 365
    if not 1 <= day <= days_in_year:
        return None
    microseconds = int(match.group(2)) * (_MICROSECONDS_PER_DAY // 100_000_000)
    moment = datetime(year, 1, 1, tzinfo=UTC) + timedelta(days=day - 1, microseconds=microseconds)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%f")


def _check_line(line: str, number: str) -> Rejection | None:
    """Layout and checksum of one element line (``number`` is '1' or '2')."""
    name = f"line{number}"
    if len(line) != LINE_LENGTH:
        return Rejection(_R.BAD_LENGTH, name)
    blanks = _BLANKS_1 if number == "1" else _BLANKS_2
    if line[0] != number or any(line[i] != " " for i in blanks):
        return Rejection(_R.BAD_LAYOUT, name)
    if line[68] not in "0123456789" or int(line[68]) != tle_checksum(line):
        return Rejection(_R.BAD_CHECKSUM, name)
    return None


def _read_set(name: str, line1: str, line2: str) -> dict[str, object] | Rejection:
    """One set's OMM-shaped record, or the first reason it is not one."""
    for line, number in ((line1, "1"), (line2, "2")):
        problem = _check_line(line, number)
        if problem is not None:
            return problem
    norad = alpha5_decode(line1[2:7])
    if norad is None:
        return Rejection(_R.WRONG_TYPE, "NORAD_CAT_ID")
    if alpha5_decode(line2[2:7]) != norad:
        return Rejection(_R.ID_MISMATCH, "NORAD_CAT_ID")
    if _CLASSIFICATION.fullmatch(line1[7]) is None:
        return Rejection(_R.WRONG_TYPE, "CLASSIFICATION_TYPE")
    epoch = _epoch(line1[18:20], line1[20:32])
    if epoch is None:
        return Rejection(_R.BAD_EPOCH, "EPOCH")
    if _NDOT.fullmatch(line1[33:43]) is None:
        return Rejection(_R.WRONG_TYPE, "MEAN_MOTION_DOT")
    ndot = float(line1[33:43].replace(" ", "").replace("+", ""))
    nddot = _exponent_field(line1[44:52])
    if nddot is None:
        return Rejection(_R.WRONG_TYPE, "MEAN_MOTION_DDOT")
    bstar = _exponent_field(line1[53:61])
    if bstar is None:
        return Rejection(_R.WRONG_TYPE, "BSTAR")
    if _EPHEMERIS.fullmatch(line1[62]) is None:
        return Rejection(_R.WRONG_TYPE, "EPHEMERIS_TYPE")
    if _ELSET.fullmatch(line1[64:68]) is None:
        return Rejection(_R.WRONG_TYPE, "ELEMENT_SET_NO")
    angles: dict[str, float] = {}
    for key, lo, hi in (
        ("INCLINATION", 8, 16),
        ("RA_OF_ASC_NODE", 17, 25),
        ("ARG_OF_PERICENTER", 34, 42),
        ("MEAN_ANOMALY", 43, 51),
    ):
        text = line2[lo:hi]
        if _ANGLE.fullmatch(text) is None:
            return Rejection(_R.WRONG_TYPE, key)
        angles[key] = float(text)
    if _ECC.fullmatch(line2[26:33]) is None:
        return Rejection(_R.WRONG_TYPE, "ECCENTRICITY")
    if _MEAN_MOTION.fullmatch(line2[52:63]) is None:
        return Rejection(_R.WRONG_TYPE, "MEAN_MOTION")
    if _REV.fullmatch(line2[63:68]) is None:
        return Rejection(_R.WRONG_TYPE, "REV_AT_EPOCH")
    return {
        "NORAD_CAT_ID": norad,
        "OBJECT_NAME": name,
        "EPOCH": epoch,
        "MEAN_MOTION": float(line2[52:63]),
        "ECCENTRICITY": float("0." + line2[26:33]),
        **angles,
        "BSTAR": bstar,
        "MEAN_MOTION_DOT": ndot,
        "MEAN_MOTION_DDOT": nddot,
    }


def _element_line(line: str) -> str | None:
    """'1' or '2' when the line is meant as an element line, else None (a name line)."""
    if len(line) >= 2 and line[0] in "12" and line[1] == " ":
        return line[0]
    return None


def _name(line: str) -> str:
    """A name line's object name: space-track's 3LE writes ``0 NAME``."""
    text = line.strip()
    return text[2:].strip() if text.startswith("0 ") else text


def parse_tle_text(text: str) -> TleParse:
    """Reads every set of a TLE text (2- or 3-line form, mixed); never raises on content.

    Lines may end in LF or CRLF; trailing blanks (names are padded to 24 characters) are
    ignored and blank lines skipped.  A name line applies to the set right after it.
    """
    result = TleParse()
    lines = [raw.rstrip() for raw in text.splitlines()]
    ends_cleanly = text.endswith(("\n", "\r"))
    pending_name = ""
    index = 0
    count = len(lines)
    while index < count:
        line = lines[index]
        index += 1
        if not line:
            continue
        kind = _element_line(line)
        if kind is None:
            pending_name = _name(line)
            continue
        name, pending_name = pending_name, ""
        result.sets += 1
        if kind == "2":
            result.rejections.append(Rejection(_R.MISSING_LINE, "line1"))
            continue
        following = lines[index] if index < count else None
        if following is None or _element_line(following) != "2":
            # An orphan line 1: refuse it and read the next line afresh (it may be a name
            # or the next set's line 1), so the neighbours still load.
            result.rejections.append(Rejection(_R.MISSING_LINE, "line2"))
            if following is None:
                result.truncated = True
            continue
        index += 1
        record = _read_set(name, line, following)
        if isinstance(record, Rejection):
            result.rejections.append(record)
            if index >= count and record.reason is _R.BAD_LENGTH:
                result.truncated = True  # the last line stops short: the text was cut
        else:
            result.records.append(record)
    if lines and not ends_cleanly and lines[-1] and _element_line(lines[-1]) is None:
        # The text ends inside a name line, without a newline: cut mid-line.
        result.truncated = True
    return result


def looks_like_tle(data: bytes) -> bool:
    """True when the first non-blank line of ``data`` is an element line or a name line
    followed by one: how the file source tells TLE text from OMM JSON."""
    head = data[:4096].lstrip()
    if head[:1] in (b"[", b"{"):
        return False
    lines = [line.rstrip() for line in head.decode("ascii", "replace").splitlines()]
    lines = [line for line in lines if line]
    return any(_element_line(line) == "1" for line in lines[:2])


def validate_tle_text(
    text: str,
    now: datetime | None = None,
    max_epoch_age_days: float | None = None,
) -> tuple[ValidationResult, bool]:
    """Parses and validates a TLE text: (the shared validator's result, truncated).

    Rejections of the TLE reader and of the OMM validator are counted together, by reason
    and field; ``total`` counts sets and orphan lines.
    """
    parsed = parse_tle_text(text)
    result = validate_catalog(parsed.records, now, max_epoch_age_days)
    add_rejections(result, parsed.rejections)
    result.total += len(parsed.rejections)
    return result, parsed.truncated


def add_rejections(result: ValidationResult, rejections: Iterable[Rejection]) -> None:
    for rejection in rejections:
        reason = rejection.reason.value
        result.rejections[reason] = result.rejections.get(reason, 0) + 1
        per = result.rejections_by_field.setdefault(reason, {})
        key = rejection.field or ""
        per[key] = per.get(key, 0) + 1
