"""Validation of space-track GP (OMM) records before they reach the propagation engine.

The engine receives a msgpack list of plain maps with exactly twelve typed keys.  It checks
types and element domains again (defence in depth), but everything that could go wrong with a
catalog download (space-track's all-string JSON, nulls, a hand-edited local file with numbers,
truncated records, the same object twice) is settled here first, with counts by reason.

Two rules shape the code:

* Catalog contents must never be logged.  A rejection therefore carries only a machine reason
  from a small fixed set and the *name* of the offending field, never its value, so counters and
  log lines built from it are safe by construction.
* A full catalog (a few times 10^5 records) must validate in well under the engine's refresh
  budget.  The per-record path is written as a flat loop over a precomputed field table, with
  one range comparison per value that also rejects NaN and infinities, and epochs are compared
  as fixed-width strings rather than as datetimes.
"""

from __future__ import annotations

import math
import numbers
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import TypedDict

__all__ = [
    "FIELDS",
    "TLE_REASONS",
    "OmmRecord",
    "RejectReason",
    "Rejection",
    "ValidationResult",
    "sgp4_omm_fields",
    "validate_catalog",
    "validate_record",
]


class OmmRecord(TypedDict):
    """One validated element set, exactly as the engine receives it (a plain dict at runtime)."""

    NORAD_CAT_ID: int
    OBJECT_NAME: str
    EPOCH: str
    MEAN_MOTION: float
    ECCENTRICITY: float
    INCLINATION: float
    RA_OF_ASC_NODE: float
    ARG_OF_PERICENTER: float
    MEAN_ANOMALY: float
    BSTAR: float
    MEAN_MOTION_DOT: float
    MEAN_MOTION_DDOT: float


#: The twelve keys of a validated record, in the order they appear in it.
FIELDS: tuple[str, ...] = tuple(OmmRecord.__annotations__)


class RejectReason(StrEnum):
    """Why a record was dropped.  Values are stable strings meant for counters and metrics."""

    NOT_AN_OBJECT = "not_an_object"
    MISSING_FIELD = "missing_field"
    WRONG_TYPE = "wrong_type"
    OUT_OF_RANGE = "out_of_range"
    BAD_EPOCH = "bad_epoch"
    STALE_EPOCH = "stale_epoch"
    FUTURE_EPOCH = "future_epoch"
    DUPLICATE_ID = "duplicate_id"
    # Two-line element sets (satveto.catalog.tle): the fixed-column format's own failures.
    BAD_LENGTH = "bad_length"  # an element line that is not 69 characters
    BAD_LAYOUT = "bad_layout"  # wrong line number or a non-blank between fields
    BAD_CHECKSUM = "bad_checksum"
    ID_MISMATCH = "id_mismatch"  # line 1 and line 2 name different catalog numbers
    MISSING_LINE = "missing_line"  # an orphan line 1 or line 2


#: The reasons only the TLE reader gives (never validate_catalog itself).
TLE_REASONS = frozenset(
    {
        RejectReason.BAD_LENGTH,
        RejectReason.BAD_LAYOUT,
        RejectReason.BAD_CHECKSUM,
        RejectReason.ID_MISMATCH,
        RejectReason.MISSING_LINE,
    }
)


@dataclass(frozen=True, slots=True)
class Rejection:
    """A dropped record: the reason and the field at fault (``None`` when no field applies).

    It deliberately holds no value from the record, so ``str(rejection)`` may go to any log.
    """

    reason: RejectReason
    field: str | None

    def __str__(self) -> str:
        return self.reason.value if self.field is None else f"{self.reason.value}: {self.field}"


@dataclass(slots=True)
class ValidationResult:
    """Outcome of :func:`validate_catalog`.

    ``records`` is ready to be serialised for the engine.  ``rejections`` has an entry for every
    :class:`RejectReason` (zero included) so that metric exporters see a stable key set;
    ``rejections_by_field`` breaks the non-zero counts down by field name (``""`` when no field
    applies).  Neither contains any element value.
    """

    records: list[OmmRecord]
    total: int
    rejections: dict[str, int]
    rejections_by_field: dict[str, dict[str, int]] = field(default_factory=dict)

    @property
    def accepted(self) -> int:
        """Number of records handed to the engine."""
        return len(self.records)

    @property
    def rejected(self) -> int:
        """Number of input items dropped, whatever the reason."""
        return sum(self.rejections.values())

    def summary(self) -> str:
        """One log-safe line of counts (no identifiers, no element values)."""
        parts = [f"total={self.total}", f"accepted={self.accepted}"]
        parts.extend(f"{reason}={n}" for reason, n in self.rejections.items() if n)
        return " ".join(parts)


# Numeric bounds.  Every bound is finite, so the single ``lo <= x <= hi`` test per value also
# rejects NaN (all comparisons false) and +/-inf; exclusive bounds are expressed with nextafter
# so that the hot loop needs no special cases.
#
# * MEAN_MOTION in (0, 20) rev/day: 20 rev/day is a period of 72 min, i.e. a "semi-major axis"
#   below the Earth's surface; anything that fast is a unit error (rad/min, deg/day...).
# * ECCENTRICITY in [0, 1): SGP4 is only defined for closed orbits.
# * INCLINATION in [0, 180] deg and the three angles in [0, 360] deg: the OMM / TLE conventions.
#   360 itself is allowed because rounded output ("360.0000") does occur.
# * BSTAR: |B*| <= 10 per Earth radius.  Catalogued objects stay below ~1 even in the last hours
#   before re-entry; the bound only exists to catch garbage and unit errors (e.g. a value in
#   m^2/kg or with a dropped exponent), not to judge orbit quality: SGP4 itself reports decayed
#   orbits when the engine propagates them, and wrongly dropping a real object would silently
#   remove it from the veto.
# * MEAN_MOTION_DOT: |n'/2| <= 1 rev/day^2.  The TLE field holding it is "+.NNNNNNNN", so no
#   element set that space-track can also express as a TLE exceeds it.
# * MEAN_MOTION_DDOT: |n''/6| <= 1 rev/day^3.  Published values are almost always 0 and stay
#   many orders of magnitude below 1 even for decaying objects; larger means a unit error.
_TINY = math.nextafter(0.0, 1.0)
_FLOAT_SPECS: tuple[tuple[str, float, float], ...] = (
    ("MEAN_MOTION", _TINY, math.nextafter(20.0, 0.0)),
    ("ECCENTRICITY", 0.0, math.nextafter(1.0, 0.0)),
    ("INCLINATION", 0.0, 180.0),
    ("RA_OF_ASC_NODE", 0.0, 360.0),
    ("ARG_OF_PERICENTER", 0.0, 360.0),
    ("MEAN_ANOMALY", 0.0, 360.0),
    ("BSTAR", -10.0, 10.0),
    ("MEAN_MOTION_DOT", -1.0, 1.0),
    ("MEAN_MOTION_DDOT", -1.0, 1.0),
)

#: NORAD catalog numbers.  Ids above 99999 (extended / analyst ranges) are ordinary; the upper
#: bound is the nine-digit OMM limit.
_NORAD_MIN = 1
_NORAD_MAX = 999_999_999

# ISO 8601 in UTC: date, 'T', time to the second, optional fraction of 1..9 digits, optional
# 'Z' (or the equivalent '+00:00').  Any other offset is rejected rather than converted: a
# non-UTC epoch in a GP record means the producer is not what we think it is.  re.ASCII keeps
# \d from matching non-ASCII digits.
_EPOCH_RE = re.compile(
    r"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(?:Z|\+00:00)?", re.ASCII
)

# The engine's epoch parser only handles years 1900-2199 (its day count starts in 1949 and
# the TLE two-digit-year convention never leaves that span); anything outside would make it
# refuse the whole catalog, so it is a bad epoch here.  Compared as 4-character strings.
_EPOCH_MIN_YEAR = "1900"
_EPOCH_MAX_YEAR = "2199"

_R = RejectReason


def _reject(reason: RejectReason, name: str | None) -> Rejection:
    return Rejection(reason, name)


def _parse_norad(value: object) -> int | Rejection:
    n: int
    if type(value) is str:
        s = value.strip()
        if not s:
            return _reject(_R.MISSING_FIELD, "NORAD_CAT_ID")
        if not s.isascii() or not s.isdigit():  # refuses "+1", "1_0", "1.0", "\u0661"
            return _reject(_R.WRONG_TYPE, "NORAD_CAT_ID")
        n = int(s)
    elif type(value) is int:
        n = value
    elif value is None:
        return _reject(_R.MISSING_FIELD, "NORAD_CAT_ID")
    elif isinstance(value, bool):
        return _reject(_R.WRONG_TYPE, "NORAD_CAT_ID")
    elif isinstance(value, numbers.Integral):
        n = int(value)
    elif isinstance(value, float) and value.is_integer():
        # A JSON writer that only knows doubles produces 25544.0; that is still an id.
        n = int(value)
    else:
        return _reject(_R.WRONG_TYPE, "NORAD_CAT_ID")
    if not _NORAD_MIN <= n <= _NORAD_MAX:
        return _reject(_R.OUT_OF_RANGE, "NORAD_CAT_ID")
    return n


def _parse_epoch(value: object) -> str | Rejection:
    """Return the epoch normalised to ``YYYY-MM-DDTHH:MM:SS.ffffff`` (UTC, no suffix).

    Fixed-width output means epochs order correctly as strings, which is what the duplicate
    and age checks rely on, and it is the exact format ``sgp4.omm.initialize`` parses.
    Fractions longer than microseconds are truncated (sub-microsecond epoch precision is far
    below anything that matters for a veto).
    """
    if type(value) is not str:
        if value is None:
            return _reject(_R.MISSING_FIELD, "EPOCH")
        return _reject(_R.WRONG_TYPE, "EPOCH")
    m = _EPOCH_RE.fullmatch(value)
    if m is None:
        if not value.strip():
            return _reject(_R.MISSING_FIELD, "EPOCH")
        return _reject(_R.BAD_EPOCH, "EPOCH")
    core, frac = m.group(1, 2)
    if not _EPOCH_MIN_YEAR <= core[:4] <= _EPOCH_MAX_YEAR:
        return _reject(_R.BAD_EPOCH, "EPOCH")
    try:
        datetime.fromisoformat(core)  # calendar check: month 13, Feb 30, hour 24...
    except ValueError:
        return _reject(_R.BAD_EPOCH, "EPOCH")
    if frac is None:
        return core + ".000000"
    if len(frac) == 6:
        return core + "." + frac
    return core + "." + (frac + "000000")[:6]


def _parse_float(value: object, key: str, lo: float, hi: float) -> float | Rejection:
    """Slow path of :func:`validate_record` for one element value: classify or coerce it."""
    x: float
    if isinstance(value, str):
        try:
            x = float(value)
        except ValueError:
            if not value.strip():
                return _reject(_R.MISSING_FIELD, key)  # CSV-style empty cell
            return _reject(_R.WRONG_TYPE, key)
        if "_" in value:
            # float() accepts "1_000"; no catalog producer writes that, so it is garbage.
            return _reject(_R.WRONG_TYPE, key)
    elif value is None:
        return _reject(_R.MISSING_FIELD, key)
    elif isinstance(value, bool) or not isinstance(value, numbers.Real):
        # bool is an int subclass but never an element; Decimal, complex, lists... are refused.
        # numpy scalars and int/float subclasses from locally written files are accepted.
        return _reject(_R.WRONG_TYPE, key)
    else:
        try:
            x = float(value)
        except OverflowError:  # an integer too large for a double
            return _reject(_R.OUT_OF_RANGE, key)
    if not lo <= x <= hi:  # also false for NaN and +/-inf
        return _reject(_R.OUT_OF_RANGE, key)
    return x


def validate_record(raw: Mapping[str, object]) -> OmmRecord | Rejection:
    """Validate and type one GP record.

    Accepts space-track's all-string JSON as well as native numbers; keys other than the
    twelve engine fields are ignored.  Returns a new plain dict with exactly :data:`FIELDS`
    (ints for the id, floats for elements, the normalised epoch string), or a
    :class:`Rejection` naming the first offending field.  Non-mapping input is rejected as
    ``not_an_object`` instead of raising, because a catalog file is untrusted data.
    """
    if type(raw) is not dict and not isinstance(raw, Mapping):
        return _reject(_R.NOT_AN_OBJECT, None)
    get = raw.get

    norad = _parse_norad(get("NORAD_CAT_ID"))
    if isinstance(norad, Rejection):
        return norad

    name = get("OBJECT_NAME")
    if name is None:
        name = ""
    elif not isinstance(name, str):
        return _reject(_R.WRONG_TYPE, "OBJECT_NAME")

    epoch = _parse_epoch(get("EPOCH"))
    if isinstance(epoch, Rejection):
        return epoch

    out: dict[str, object] = {"NORAD_CAT_ID": norad, "OBJECT_NAME": name, "EPOCH": epoch}
    for key, lo, hi in _FLOAT_SPECS:
        v = get(key)
        # Fast path for the two shapes real catalogs have: a plain numeric string (space-track)
        # or a float (local JSON).  Everything else, including every failure, is classified by
        # _parse_float so that this loop stays short.
        if type(v) is str and "_" not in v:
            try:
                x = float(v)
            except ValueError:
                refused = _parse_float(v, key, lo, hi)  # classifies what float() refused
                if isinstance(refused, Rejection):
                    return refused
                x = refused
        elif type(v) is float:
            x = v
        else:
            parsed = _parse_float(v, key, lo, hi)
            if isinstance(parsed, Rejection):
                return parsed
            x = parsed
        if not lo <= x <= hi:  # also false for NaN and +/-inf
            return _reject(_R.OUT_OF_RANGE, key)
        out[key] = x
    return out  # type: ignore[return-value]  # built key by key; FIELDS order is asserted in tests


def _iso_bound(moment: datetime) -> str:
    """Format an aware datetime like a normalised epoch so bounds compare as strings."""
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds")


def validate_catalog(
    raw_records: Iterable[object],
    now: datetime | None = None,
    max_epoch_age_days: float | None = None,
    *,
    max_future_days: float = 1.0,
) -> ValidationResult:
    """Validate a whole catalog, drop duplicates and optionally implausible epochs.

    * Each item goes through :func:`validate_record`.
    * When ``now`` is given, epochs more than ``max_future_days`` after it are rejected as
      ``future_epoch`` (a clock or producer error; SGP4 would happily propagate them
      backwards), and when ``max_epoch_age_days`` is also given, epochs older than that are
      rejected as ``stale_epoch`` (SGP4 errors grow by kilometres per day of extrapolation).
      These checks run before duplicate resolution so that a bad epoch can never displace a
      good element set of the same object.
    * For a NORAD id seen more than once the element set with the newest epoch is kept (the
      first one on a tie) and every other copy counts as ``duplicate_id``.  Kept records keep
      the order in which their id first appeared, so output is deterministic.

    ``now`` must be timezone-aware: a naive datetime is ambiguous by up to a day, which is the
    size of the future window itself.  The function never reads the clock, so it stays pure.
    """
    if now is not None and now.tzinfo is None:
        raise ValueError("now must be timezone-aware (UTC)")
    if max_epoch_age_days is not None and now is None:
        raise ValueError("max_epoch_age_days needs now")

    newest_allowed: str | None = None
    oldest_allowed: str | None = None
    if now is not None:
        try:
            newest_allowed = _iso_bound(now + timedelta(days=max_future_days))
        except OverflowError:
            newest_allowed = None
        if max_epoch_age_days is not None:
            try:
                oldest_allowed = _iso_bound(now - timedelta(days=max_epoch_age_days))
            except OverflowError:
                oldest_allowed = None

    counts: dict[str, int] = {reason.value: 0 for reason in RejectReason}
    by_field: dict[str, dict[str, int]] = {}

    def count(reason: RejectReason, name: str | None) -> None:
        counts[reason.value] += 1
        per = by_field.setdefault(reason.value, {})
        key = name or ""
        per[key] = per.get(key, 0) + 1

    kept: dict[int, OmmRecord] = {}
    total = 0
    for raw in raw_records:
        total += 1
        rec = validate_record(raw)  # type: ignore[arg-type]  # non-mappings are rejected
        if isinstance(rec, Rejection):
            count(rec.reason, rec.field)
            continue
        epoch = rec["EPOCH"]
        if newest_allowed is not None and epoch > newest_allowed:
            count(_R.FUTURE_EPOCH, "EPOCH")
            continue
        if oldest_allowed is not None and epoch < oldest_allowed:
            count(_R.STALE_EPOCH, "EPOCH")
            continue
        norad = rec["NORAD_CAT_ID"]
        previous = kept.get(norad)
        if previous is not None:
            count(_R.DUPLICATE_ID, "NORAD_CAT_ID")
            if epoch > previous["EPOCH"]:
                kept[norad] = rec
            continue
        kept[norad] = rec

    return ValidationResult(
        records=list(kept.values()),
        total=total,
        rejections=counts,
        rejections_by_field=by_field,
    )


def sgp4_omm_fields(record: OmmRecord) -> dict[str, str]:
    """Render a validated record as the all-string mapping ``sgp4.omm.initialize`` expects.

    python-sgp4's OMM reader calls ``float()``/``int()`` on the element fields, parses EPOCH
    with ``%Y-%m-%dT%H:%M:%S.%f`` (so the fraction is mandatory, which our normalisation
    guarantees) and also reads five metadata keys the engine does not need; those get neutral
    defaults here.  ``repr`` of a float round-trips exactly, so nothing is lost.

    python-sgp4 refuses catalog numbers above 339999 (the Alpha-5 limit); that is a limit of
    that library, not of the catalog, so such ids are passed through unchanged.
    """
    fields: dict[str, str] = {key: repr(value) for key, value in record.items()}
    fields["NORAD_CAT_ID"] = str(record["NORAD_CAT_ID"])
    fields["OBJECT_NAME"] = record["OBJECT_NAME"]
    fields["EPOCH"] = record["EPOCH"]
    fields.update(
        CLASSIFICATION_TYPE="U",
        OBJECT_ID="",
        EPHEMERIS_TYPE="0",
        ELEMENT_SET_NO="999",
        REV_AT_EPOCH="0",
    )
    return fields
