"""The validated requests the services work with, and the bounds of their fields.

Both protocols' bodies decode into these (satveto.web.validation, which also checks what a
type cannot say); the services, the engine client and the peers use them without knowing which
protocol a request came by.  The footprints are msgspec Structs so that a body decodes into them
in one pass, bounds checked in C, and encodes to the engine's msgpack arrays as they are.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Literal

from msgspec import Meta, Struct

# Request rules (protocol/README.md, "Request rules"): checked here for the HTTP error, and
# again by the engine with the same numbers (engine/src/methods/request_rules.hpp);
# tests/package/test_request_rules.py compares the three.  The config-owned ones (exposure
# length, source count, footprint span, site, tolerance) are bounded in satveto.runtime.config.
MJD_MIN = 15020.0  # 1900-01-01
MJD_MAX = 88069.0  # 2100-01-01
RA_MAX_DEG = 360.0  # RA in [0, 360)
DEC_MAX_ABS_DEG = 90.0
ROTATION_MAX_ABS_DEG = 360.0
PIXEL_SCALE_MIN_DEG = 1e-7  # sqrt(|det cd|) of a WCS, exclusive
PIXEL_SCALE_MAX_DEG = 0.01  # exclusive
ID_MAX = (1 << 63) - 1  # ids fit a signed 64-bit integer on every side (engine, AP databases)
MAX_DETECTOR = (1 << 31) - 1  # the engine decides which detectors exist
MAX_PIXEL = (1 << 31) - 1

Id = Annotated[int, Meta(ge=0, le=ID_MAX)]
DetectorId = Annotated[int, Meta(ge=0, le=MAX_DETECTOR)]
Mjd = Annotated[float, Meta(ge=MJD_MIN, le=MJD_MAX)]
Ra = Annotated[float, Meta(ge=0.0, lt=RA_MAX_DEG)]
Dec = Annotated[float, Meta(ge=-DEC_MAX_ABS_DEG, le=DEC_MAX_ABS_DEG)]
Rotation = Annotated[float, Meta(ge=-ROTATION_MAX_ABS_DEG, le=ROTATION_MAX_ABS_DEG)]
Pixel = Annotated[int, Meta(ge=0, le=MAX_PIXEL)]
Finite = Annotated[float, Meta(ge=-1e300, le=1e300)]
TimeScale = Literal["tai", "utc"]


# Footprints are array-like Structs without GC tracking: they decode from and encode to (msgpack,
# for the engine) plain arrays, and 100,000 of them cost the cyclic collector nothing.


class Box(Struct, array_like=True, gc=False, frozen=True):
    """A pixel box ``[x_min, y_min, x_max, y_max]`` (0-based, inclusive)."""

    x_min: Pixel
    y_min: Pixel
    x_max: Pixel
    y_max: Pixel

    def __post_init__(self) -> None:
        # Raised inside msgspec's decode, which adds the field's path to the message.
        if self.x_min > self.x_max:
            raise ValueError("x_min exceeds x_max")
        if self.y_min > self.y_max:
            raise ValueError("y_min exceeds y_max")


class Corner(Struct, array_like=True, gc=False, frozen=True):
    """One ICRS sky corner ``[ra, dec]`` in degrees."""

    ra: Ra
    dec: Dec


class Corners(Struct, array_like=True, gc=False, frozen=True):
    """A footprint as four sky corners (AP's box corners mapped with its full WCS)."""

    c0: Corner
    c1: Corner
    c2: Corner
    c3: Corner


# --- the validated models the services use ---------------------------------------------------


class Visit(Struct, frozen=True):
    """The parameters of one exposure; equality is what idempotent re-registration means.

    ``time_scale`` and ``historical`` are part of the visit (a TAI and a UTC reading of the same
    numbers are different exposures).  They are not sent to the engine yet: the branches that
    teach the engine time scales and historical catalogs add them to :meth:`to_params`.
    """

    visit_id: int
    exposure_start_mjd: float
    exposure_end_mjd: float
    boresight_ra: float
    boresight_dec: float
    rotation_deg: float | None = None
    time_scale: TimeScale = "tai"
    historical: bool = False

    def to_params(self) -> dict[str, Any]:
        """The engine's ``register_visit`` params (and the HTTP ``visit`` object); the time
        scale is always explicit."""
        params: dict[str, Any] = {
            "visit_id": self.visit_id,
            "exposure_start_mjd": self.exposure_start_mjd,
            "exposure_end_mjd": self.exposure_end_mjd,
            "boresight_ra": self.boresight_ra,
            "boresight_dec": self.boresight_dec,
            "time_scale": self.time_scale,
        }
        if self.rotation_deg is not None:
            params["rotation_deg"] = self.rotation_deg
        return params

    def to_http(self) -> dict[str, Any]:
        """The native ``POST /v1/visits`` body of this visit (what a peer is sent)."""
        body = self.to_params()
        body["time_scale"] = self.time_scale
        body["historical"] = self.historical
        return body


@dataclass(frozen=True)
class DiaSourceRequest:
    """One detector's sources, whichever protocol they came by.

    ``bboxes[i]`` and ``sky_corners[i]``: exactly one is not None for each source;
    ``sky_corners`` is None when no source has corners (and ``bboxes`` when none has a box).
    """

    visit_id: int
    detector_id: int
    ids: list[int]
    bboxes: list[Any] | None
    sky_corners: list[Any] | None = None
    visit: Visit | None = None
    wcs: dict[str, Any] | None = None
    historical: bool = False
