"""Decoding and validation of the request bodies of both protocols (docs/design.md, "External HTTP
API").

Bodies are decoded by msgspec into typed Structs (the wire shapes here; the footprints, the
fields' bounds and the resulting models are satveto.models): decoding and type, range and shape
checks happen in one pass in C, and a refusal names the offending field as a path
(``diasources[3].bbox: ...``).  What msgspec cannot express is checked afterwards, in bulk:
exposure length and time window, "exactly one of ``bbox`` / ``sky_corners``", box ordering,
duplicate ids, and duplicate keys.

Strict where strictness costs an honest client nothing:

* unknown fields are refused (a misspelt ``rotation_deg`` silently ignored would make the engine
  match rotation-agnostically);
* numbers must be finite (JSON has no NaN, and msgspec refuses ``1e400`` as out of range);
* the body must be UTF-8 (every honest body is ASCII);
* duplicate keys are refused.  msgspec keeps the last of two equal keys, so they are found by
  counting: after a successful decode the body holds exactly one ``:`` per key (no string the
  schema accepts can hold one), and the Structs say how many keys were present
  (:data:`msgspec.UNSET` marks an absent optional field).  Only when the counts differ is the
  body searched for the duplicate, to name it.

Bodies are bounded before they are materialised: a DIASource body holding more ``{`` than
``limits.max_sources`` plus the three other objects a request may carry is refused before
decoding, so a body of millions of tiny objects costs one byte count, not memory.
"""

from __future__ import annotations

import contextlib
import gc
import json
import math
import re
from collections.abc import Iterator
from typing import Any, TypeVar

import msgspec
from msgspec import UNSET, Struct, UnsetType

from satveto.astro.timescales import mjd_now
from satveto.errors import ApiError
from satveto.models import (
    PIXEL_SCALE_MAX_DEG,
    PIXEL_SCALE_MIN_DEG,
    Box,
    Corners,
    Dec,
    DetectorId,
    DiaSourceRequest,
    Finite,
    Id,
    Mjd,
    Ra,
    Rotation,
    TimeScale,
    Visit,
)
from satveto.runtime.config import LimitsConfig

OTHER_OBJECTS = 3  # besides the sources, a DIASource body holds at most: itself, visit, wcs


def invalid(field: str, problem: str, code: str = "invalid_request") -> ApiError:
    return ApiError(400, code, f"{field}: {problem}")


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Pauses the cyclic collector for a short burst of allocation.

    Decoding 100,000 sources allocates some 500,000 objects; with the collector running, its
    repeated young-generation passes over them cost as much as the decoding.  Safe in the event
    loop: no other coroutine runs while the block holds the thread, and the collector is
    re-enabled (only if it was enabled) however the block ends.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


# --- wire shapes -----------------------------------------------------------------------------
# Absent optional fields decode as UNSET so that the keys present can be counted exactly.


class _NativeVisit(Struct, forbid_unknown_fields=True):
    visit_id: Id
    exposure_start_mjd: Mjd
    exposure_end_mjd: Mjd
    boresight_ra: Ra
    boresight_dec: Dec
    rotation_deg: Rotation | UnsetType | None = UNSET
    time_scale: TimeScale | UnsetType = UNSET
    historical: bool | UnsetType = UNSET


class _Wcs(Struct, forbid_unknown_fields=True):
    """A TAN WCS: crval [ra, dec] in degrees, crpix [x, y] in pixels, cd 2x2 in deg/pixel."""

    crval: tuple[Ra, Dec]
    crpix: tuple[Finite, Finite]
    cd: tuple[tuple[Finite, Finite], tuple[Finite, Finite]]


class _NativeSource(Struct, forbid_unknown_fields=True, gc=False):
    diasource_id: Id
    bbox: Box | UnsetType = UNSET
    sky_corners: Corners | UnsetType = UNSET

    def __post_init__(self) -> None:
        if (self.bbox is UNSET) == (self.sky_corners is UNSET):
            raise ValueError("give exactly one of bbox and sky_corners")


class _NativeDiaSources(Struct, forbid_unknown_fields=True):
    visit_id: Id
    detector_id: DetectorId
    diasources: list[_NativeSource]
    visit: _NativeVisit | UnsetType | None = UNSET
    wcs: _Wcs | UnsetType | None = UNSET


class _ApVisit(Struct, forbid_unknown_fields=True):
    visit_id: Id
    exposure_start_mjd: Mjd
    exposure_end_mjd: Mjd
    boresight_ra: Ra
    boresight_dec: Dec
    historical: bool | UnsetType = UNSET


class _ApSource(Struct, forbid_unknown_fields=True, gc=False):
    diasource_id: Id
    bbox: Corners  # the AP protocol's "bbox" is four ICRS sky corners


class _ApDiaSources(Struct, forbid_unknown_fields=True):
    visit_id: Id
    detector_id: DetectorId
    diasources: list[_ApSource]
    historical: bool | UnsetType = UNSET


_T = TypeVar("_T")
_DECODERS: dict[type, msgspec.json.Decoder[Any]] = {
    shape: msgspec.json.Decoder(shape)
    for shape in (_NativeVisit, _NativeDiaSources, _ApVisit, _ApDiaSources)
}


# --- error messages ----------------------------------------------------------------------------

_AT = re.compile(r"^(?P<what>.*?)(?: - at `\$(?P<path>[^`]*)`)?$", re.DOTALL)
_TYPE_WORDS = {
    "int": "an integer",
    "float": "a number",
    "array": "an array",
    "object": "a JSON object",
    "bool": "true or false",
    "str": "a string",
    "null": "null",
}


def _words(text: str) -> str:
    """msgspec's `int` / `object`... as words an AP developer reads without knowing msgspec."""
    return re.sub(
        r"`([\w |]+)`",
        lambda m: " or ".join(_TYPE_WORDS.get(t, t) for t in m.group(1).split(" | ")),
        text,
    )


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def error_from_msgspec(error: msgspec.MsgspecError) -> ApiError:
    """A 400 naming the field, from msgspec's ``<problem> - at `$.a.b[3]```."""
    if not isinstance(error, msgspec.ValidationError):
        return invalid("body", f"not valid JSON ({error})")
    match = _AT.match(str(error))
    assert match is not None  # the pattern matches any string
    what, path = match.group("what"), (match.group("path") or "").lstrip(".")
    if found := re.match(r"Object contains unknown field `(.*)`$", what, re.DOTALL):
        return invalid(_join(path, found.group(1)), "unknown field")
    if found := re.match(r"Object missing required field `(.*)`$", what):
        return invalid(_join(path, found.group(1)), "required")
    problem = _words(what)
    problem = problem[:1].lower() + problem[1:]
    if problem == "number out of range":
        problem = "number out of range (numbers must be finite)"
    return invalid(path or "body", problem)


# --- decoding ----------------------------------------------------------------------------------


def _decode(body: bytes, shape: type[_T]) -> _T:
    if not body:
        raise invalid("body", "empty; expected a JSON object")
    if not body.isascii():
        try:
            body.decode("utf-8")
        except UnicodeDecodeError as error:
            raise invalid("body", f"not UTF-8 (byte {error.start})") from None
    try:
        with gc_paused():
            # The table's decoder for `shape` decodes to `shape`; the table cannot say so.
            return _DECODERS[shape].decode(body)  # type: ignore[no-any-return]
    except msgspec.MsgspecError as error:
        raise error_from_msgspec(error) from None


def _present(struct: Struct) -> int:
    """How many of a wire Struct's fields were present in the body."""
    return sum(getattr(struct, name) is not UNSET for name in struct.__struct_fields__)


def _check_no_duplicate_keys(body: bytes, keys_present: int) -> None:
    """Raises naming the duplicate key when the body holds more keys than were decoded."""
    if body.count(b":") != keys_present:
        raise _name_duplicate_key(body)


def _name_duplicate_key(body: bytes) -> ApiError:
    """Finds the first duplicate key (only called on a body that has one).

    The body already passed the schema, so it is at most four objects deep: Python's json
    with a pairs hook walks it without recursion trouble.
    """
    document = json.loads(body, object_pairs_hook=_Pairs)
    found = _first_duplicate(document, "")
    if found is None:  # pragma: no cover - the colon count says there is one
        return invalid("body", "duplicate key")
    return invalid(found, "duplicate key")


class _Pairs(list[tuple[str, Any]]):
    """A JSON object as its list of (key, value) pairs, duplicates kept."""


def _first_duplicate(value: Any, path: str) -> str | None:
    if isinstance(value, _Pairs):
        seen: set[str] = set()
        for key, _item in value:
            if key in seen:
                return _join(path, key)
            seen.add(key)
        for key, item in value:
            if (found := _first_duplicate(item, _join(path, key))) is not None:
                return found
    elif isinstance(value, list):
        for index, item in enumerate(value):
            if (found := _first_duplicate(item, f"{path}[{index}]")) is not None:
                return found
    return None


def _check_source_count(body: bytes, limits: LimitsConfig) -> None:
    """Refuses, before decoding, a body with more objects than a permitted request holds."""
    objects = body.count(b"{")
    if objects > limits.max_sources + OTHER_OBJECTS:
        raise invalid(
            "diasources",
            f"the body holds {objects} JSON objects; at most limits.max_sources "
            f"({limits.max_sources}) sources are accepted",
            code="too_many_sources",
        )


def _check_sources_count_decoded(count: int, limits: LimitsConfig) -> None:
    if count > limits.max_sources:
        raise invalid(
            "diasources",
            f"{count} sources exceed limits.max_sources ({limits.max_sources})",
            code="too_many_sources",
        )


# --- visits ---------------------------------------------------------------------------------


def decode_visit(body: bytes, limits: LimitsConfig, now_unix: float) -> Visit:
    """The validated visit of a native ``POST /v1/visits`` body."""
    wire = _decode(body, _NativeVisit)
    _check_no_duplicate_keys(body, _present(wire))
    return _visit_from_wire(wire, limits, now_unix, "")


def decode_ap_visit(body: bytes, limits: LimitsConfig, now_unix: float) -> Visit:
    """The validated visit of an AP ``PUT /visit_cache`` body (MJDs TAI, no rotation)."""
    wire = _decode(body, _ApVisit)
    _check_no_duplicate_keys(body, _present(wire))
    return _visit_from_wire(wire, limits, now_unix, "")


def _visit_from_wire(
    wire: _NativeVisit | _ApVisit, limits: LimitsConfig, now_unix: float, prefix: str
) -> Visit:
    rotation = getattr(wire, "rotation_deg", UNSET)
    time_scale = getattr(wire, "time_scale", UNSET)
    visit = Visit(
        visit_id=wire.visit_id,
        exposure_start_mjd=wire.exposure_start_mjd,
        exposure_end_mjd=wire.exposure_end_mjd,
        boresight_ra=wire.boresight_ra,
        boresight_dec=wire.boresight_dec,
        rotation_deg=None if rotation is UNSET else rotation,
        time_scale="tai" if time_scale is UNSET else time_scale,
        historical=False if wire.historical is UNSET else wire.historical,
    )
    check_visit(visit, limits, now_unix, prefix)
    return visit


def check_visit(visit: Visit, limits: LimitsConfig, now_unix: float, prefix: str = "") -> None:
    """What the types cannot say: end after start, exposure length, the time window."""
    start, end = visit.exposure_start_mjd, visit.exposure_end_mjd
    if not end > start:
        raise invalid(f"{prefix}exposure_end_mjd", "must be later than exposure_start_mjd")
    duration_s = (end - start) * 86400.0
    if duration_s > limits.max_exposure_s + 1e-6:
        raise invalid(
            f"{prefix}exposure_end_mjd",
            f"the exposure lasts {duration_s:.3f} s, more than limits.max_exposure_s "
            f"({limits.max_exposure_s:g} s)",
        )
    # A historical visit is old by definition; it is matched against a catalog of its own
    # epoch (or refused 503), never against today's elements, so the window does not apply.
    if not limits.allow_reprocessing and not visit.historical:
        _check_time_window(start, end, limits, now_unix, prefix, visit.time_scale)


def _check_time_window(
    start_mjd: float,
    end_mjd: float,
    limits: LimitsConfig,
    now_unix: float,
    prefix: str,
    time_scale: str = "tai",
) -> None:
    """Refuses exposures outside [now - past_window_s, now + future_window_s].

    A request for an old or far-future exposure is either a mistake or someone probing the
    catalog for where satellites were or will be; operators enable reprocessing explicitly.
    The wall clock (UTC) is converted to the visit's scale: TAI runs 37 s ahead.
    """
    now_mjd = mjd_now(now_unix, time_scale)
    if start_mjd < now_mjd - limits.past_window_s / 86400.0:
        raise invalid(
            f"{prefix}exposure_start_mjd",
            f"the exposure began more than limits.past_window_s ({limits.past_window_s:g} s) "
            "ago; reprocessing is not enabled on this service",
            code="outside_time_window",
        )
    if end_mjd > now_mjd + limits.future_window_s / 86400.0:
        raise invalid(
            f"{prefix}exposure_end_mjd",
            f"the exposure ends more than limits.future_window_s ({limits.future_window_s:g} s) "
            "from now",
            code="outside_time_window",
        )


# --- DIASource requests ---------------------------------------------------------------------


def decode_diasource_request(
    body: bytes, limits: LimitsConfig, now_unix: float
) -> DiaSourceRequest:
    """The validated native ``POST /v1/diasources`` body."""
    _check_source_count(body, limits)
    with gc_paused():
        wire = _decode(body, _NativeDiaSources)
        sources = wire.diasources
        _check_sources_count_decoded(len(sources), limits)
        ids = [source.diasource_id for source in sources]
        boxes = [source.bbox for source in sources]
        corners = [source.sky_corners for source in sources]
    keys = _present(wire) + 2 * len(sources)
    if isinstance(wire.visit, _NativeVisit):
        keys += _present(wire.visit)
    if isinstance(wire.wcs, _Wcs):
        keys += 3
    _check_no_duplicate_keys(body, keys)
    visit = None
    if isinstance(wire.visit, _NativeVisit):
        visit = _visit_from_wire(wire.visit, limits, now_unix, "visit.")
        if visit.visit_id != wire.visit_id:
            raise invalid("visit.visit_id", "differs from visit_id")
    wcs = None if not isinstance(wire.wcs, _Wcs) else _checked_wcs(wire.wcs)
    _check_unique(ids)
    with_corners = boxes.count(UNSET)  # each source has exactly one of the two
    return DiaSourceRequest(
        wire.visit_id,
        wire.detector_id,
        ids,
        # Engines without sky-corner support need `bboxes`: left out only when every source
        # has corners (then `sky_corners` is sent, which such an engine refuses by name).
        None if 0 < with_corners == len(sources) else _nones(boxes),
        None if with_corners == 0 else _nones(corners),
        visit,
        wcs,
        historical=visit is not None and visit.historical,
    )


def decode_ap_diasource_request(
    body: bytes, limits: LimitsConfig, now_unix: float
) -> DiaSourceRequest:
    """The validated AP ``PUT /diasource_allow_list`` body: every footprint is sky corners."""
    _check_source_count(body, limits)
    with gc_paused():
        wire = _decode(body, _ApDiaSources)
        sources = wire.diasources
        _check_sources_count_decoded(len(sources), limits)
        ids = [source.diasource_id for source in sources]
        corners = [source.bbox for source in sources]
    _check_no_duplicate_keys(body, _present(wire) + 2 * len(sources))
    _check_unique(ids)
    return DiaSourceRequest(
        wire.visit_id,
        wire.detector_id,
        ids,
        None,
        corners,
        historical=wire.historical is True,
    )


def _nones(values: list[Any]) -> list[Any]:
    """The list with UNSET as None (what msgpack sends as nil)."""
    if UNSET not in values:
        return values
    return [None if value is UNSET else value for value in values]


def _check_unique(ids: list[int]) -> None:
    if len(set(ids)) == len(ids):
        return
    seen: set[int] = set()
    for index, source_id in enumerate(ids):
        if source_id in seen:
            raise invalid(f"diasources[{index}].diasource_id", f"duplicate id {source_id}")
        seen.add(source_id)


def _checked_wcs(wire: _Wcs) -> dict[str, Any]:
    cd = wire.cd
    det = cd[0][0] * cd[1][1] - cd[0][1] * cd[1][0]
    if det == 0.0:
        raise invalid("wcs.cd", "the matrix is singular")
    if not PIXEL_SCALE_MIN_DEG < math.sqrt(abs(det)) < PIXEL_SCALE_MAX_DEG:
        raise invalid(
            "wcs.cd",
            f"pixel scale sqrt(|det cd|) must be in ({PIXEL_SCALE_MIN_DEG:g}, "
            f"{PIXEL_SCALE_MAX_DEG:g}) deg",
        )
    return {
        "crval": list(wire.crval),
        "crpix": list(wire.crpix),
        "cd": [list(cd[0]), list(cd[1])],
    }
