"""The LSSTCam camera model in the frontend: detector pixels -> gnomonic plane about the boresight.

The chain of docs/camera.md ("The chain"), forward only and vectorised, for the operator tools
(`satveto plot-visit` draws the detectors and places sources with it).  The engine's C++ model
(engine/src/geometry/) is what decides a veto; this one only draws, and a test holds it to the
independent oracle (tests/oracle/camera.py) that the engine is tested against.

Coordinates: pixels 0-based with centres at integers; standard coordinates (xi toward East, eta
toward North) in radians.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import ArrayLike, NDArray

FloatArray = NDArray[np.float64]

#: The detector table: installed inside the package (engine/CMakeLists.txt puts it there), else
#: the source tree's engine/data copy.
_INSTALLED_DETECTORS = Path(__file__).resolve().parents[1] / "data" / "lsstcam_detectors.csv"
_SOURCE_DETECTORS = (
    Path(__file__).resolve().parents[3] / "engine" / "data" / "lsstcam_detectors.csv"
)
DEFAULT_DETECTORS = _INSTALLED_DETECTORS if _INSTALLED_DETECTORS.exists() else _SOURCE_DETECTORS
PLATE_SCALE_RAD_PER_MM = math.radians(20.005867576692737 / 3600.0)
# obs_lsst's focal plane -> field angle radial polynomial (odd terms beyond the linear one).
RADIAL_C3, RADIAL_C5 = -8.33713991e-09, -1.41389858e-15


@dataclass(frozen=True)
class Detector:
    id: int
    kind: str  # SCIENCE, GUIDER, WAVEFRONT
    center_mm: tuple[float, float]
    yaw_deg: float
    n_pix: tuple[int, int]
    pixel_mm: float


def load_detectors(path: Path = DEFAULT_DETECTORS) -> dict[int, Detector]:
    """The detectors of the table at `path` by id (OSError when it cannot be read)."""
    out: dict[int, Detector] = {}
    with path.open(newline="") as f:
        for row in csv.DictReader(f):
            d = Detector(
                id=int(row["detector_id"]),
                kind=row["detector_type"],
                center_mm=(float(row["center_x_mm"]), float(row["center_y_mm"])),
                yaw_deg=float(row["yaw_deg"]),
                n_pix=(int(row["n_pix_x"]), int(row["n_pix_y"])),
                pixel_mm=float(row["pixel_size_um"]) * 1e-3,
            )
            out[d.id] = d
    return out


def pixel_to_tangent(
    detector: Detector, x: ArrayLike, y: ArrayLike, rotation_deg: float
) -> tuple[FloatArray, FloatArray]:
    """0-based pixel positions -> gnomonic plane about the boresight (radians; xi East)."""
    yaw = math.radians(detector.yaw_deg)
    u = (np.asarray(x, dtype=float) - (detector.n_pix[0] - 1) / 2.0) * detector.pixel_mm
    v = (np.asarray(y, dtype=float) - (detector.n_pix[1] - 1) / 2.0) * detector.pixel_mm
    fx = detector.center_mm[0] + math.cos(yaw) * u - math.sin(yaw) * v
    fy = detector.center_mm[1] + math.sin(yaw) * u + math.cos(yaw) * v
    r2 = fx * fx + fy * fy
    k = PLATE_SCALE_RAD_PER_MM * (1.0 + RADIAL_C3 * r2 + RADIAL_C5 * r2 * r2)
    ax, ay = k * fx, k * fy
    # rotSkyPos: focal-plane +Y at position angle rho, +X at rho - 90 deg (docs/camera.md).
    rho = math.radians(rotation_deg)
    return -math.cos(rho) * ax + math.sin(rho) * ay, math.sin(rho) * ax + math.cos(rho) * ay


def detector_outline(detector: Detector, rotation_deg: float) -> FloatArray:
    """Closed outline (N, 2) in degrees; edges sampled so the distortion's bow is drawn."""
    hx, hy = detector.n_pix[0] - 0.5, detector.n_pix[1] - 0.5
    t = np.linspace(0.0, 1.0, 5)
    xs = np.concatenate(
        [-0.5 + t * (hx + 0.5), np.full(5, hx), hx - t * (hx + 0.5), np.full(5, -0.5)]
    )
    ys = np.concatenate(
        [np.full(5, -0.5), -0.5 + t * (hy + 0.5), np.full(5, hy), hy - t * (hy + 0.5)]
    )
    xi, eta = pixel_to_tangent(detector, xs, ys, rotation_deg)
    return np.degrees(np.stack([xi, eta], axis=1))
