"""LSSTCam camera model in numpy: an oracle written independently of the engine's C++.

Chain (facts from obs_lsst and afw; see docs/camera.md):

* pixel (0-based, centres at integers) -> focal plane (mm):
  ``centre_mm + Rot(yaw) ((pix - centre_pix) * pixel_size)``, ``centre_pix = (n - 1) / 2``;
* focal plane -> field angle (rad): radial polynomial
  ``theta = scale * (r - 8.33713991e-9 r^3 - 1.41389858e-15 r^5)``, direction kept;
* field angle -> sky: focal-plane +Y lies at position angle ``rotation_deg`` (rotSkyPos, from
  North through East) and +X at ``rotation_deg - 90``; the rotated field-angle components are
  the gnomonic standard coordinates about the boresight (afw ``makeSkyWcs``).

The detector table is read from the repository's ``engine/data/lsstcam_detectors.csv``.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from . import wcs as tanwcs

FloatArray = NDArray[np.float64]

CSV_PATH = Path(__file__).resolve().parents[2] / "engine" / "data" / "lsstcam_detectors.csv"

PLATE_SCALE_ARCSEC_PER_MM = 20.005867576692737
RADIAL_COEFFS = (0.0, 1.0, 0.0, -8.33713991e-09, 0.0, -1.41389858e-15)
SCALE_RAD_PER_MM = np.radians(PLATE_SCALE_ARCSEC_PER_MM / 3600.0)


@dataclass(frozen=True)
class Detector:
    id: int
    name: str
    detector_type: str  # SCIENCE, GUIDER, WAVEFRONT
    physical_type: str
    center_mm: tuple[float, float]
    yaw_deg: float
    n_pix: tuple[int, int]
    pixel_mm: float


@lru_cache(maxsize=1)
def detectors() -> dict[int, Detector]:
    """All detectors by id, from the CSV."""
    out: dict[int, Detector] = {}
    with CSV_PATH.open(newline="") as f:
        for row in csv.DictReader(f):
            d = Detector(
                id=int(row["detector_id"]),
                name=row["name"],
                detector_type=row["detector_type"],
                physical_type=row["physical_type"],
                center_mm=(float(row["center_x_mm"]), float(row["center_y_mm"])),
                yaw_deg=float(row["yaw_deg"]),
                n_pix=(int(row["n_pix_x"]), int(row["n_pix_y"])),
                pixel_mm=float(row["pixel_size_um"]) * 1e-3,
            )
            out[d.id] = d
    return out


def _yaw_matrix(yaw_deg: float) -> FloatArray:
    # Yaws are multiples of 90 deg; rounding the matrix keeps exact zeros there.
    a = np.radians(yaw_deg)
    m = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
    return np.where(np.abs(m) < 1e-15, 0.0, m)


# ---------------------------------------------------------------- pixel <-> focal plane


def pixel_to_focal_plane(
    detector_id: int, x: ArrayLike, y: ArrayLike
) -> tuple[FloatArray, FloatArray]:
    d = detectors()[detector_id]
    m = _yaw_matrix(d.yaw_deg)
    u = (np.asarray(x, dtype=float) - (d.n_pix[0] - 1) / 2.0) * d.pixel_mm
    v = (np.asarray(y, dtype=float) - (d.n_pix[1] - 1) / 2.0) * d.pixel_mm
    return d.center_mm[0] + m[0, 0] * u + m[0, 1] * v, d.center_mm[1] + m[1, 0] * u + m[1, 1] * v


def focal_plane_to_pixel(
    detector_id: int, fx_mm: ArrayLike, fy_mm: ArrayLike
) -> tuple[FloatArray, FloatArray]:
    d = detectors()[detector_id]
    m = _yaw_matrix(d.yaw_deg).T
    dx = np.asarray(fx_mm, dtype=float) - d.center_mm[0]
    dy = np.asarray(fy_mm, dtype=float) - d.center_mm[1]
    u = m[0, 0] * dx + m[0, 1] * dy
    v = m[1, 0] * dx + m[1, 1] * dy
    return u / d.pixel_mm + (d.n_pix[0] - 1) / 2.0, v / d.pixel_mm + (d.n_pix[1] - 1) / 2.0


# ---------------------------------------------------------------- focal plane <-> field angle


def radius_to_field_angle(r_mm: ArrayLike) -> FloatArray:
    """theta (rad) of a focal-plane radius (mm): afw radial transform x/r * sum c_i r^i."""
    r = np.asarray(r_mm, dtype=float)
    return SCALE_RAD_PER_MM * np.polynomial.polynomial.polyval(r, RADIAL_COEFFS)


def field_angle_to_radius(theta_rad: ArrayLike) -> FloatArray:
    """Inverse of radius_to_field_angle by fixed-point iteration r = theta/s - c3 r^3 - c5 r^5.

    The map is a contraction (|derivative| < 0.01 for r < 500 mm), so 40 steps are far more
    than enough for 1e-12 mm.
    """
    target = np.asarray(theta_rad, dtype=float) / SCALE_RAD_PER_MM
    r = target.copy()
    for _ in range(40):
        r = target - RADIAL_COEFFS[3] * r**3 - RADIAL_COEFFS[5] * r**5
    return r


def focal_plane_to_field_angle(fx_mm: ArrayLike, fy_mm: ArrayLike) -> tuple[FloatArray, FloatArray]:
    fx = np.asarray(fx_mm, dtype=float)
    fy = np.asarray(fy_mm, dtype=float)
    r = np.hypot(fx, fy)
    # theta(r)/r as a polynomial in r (no division at the axis).
    k = SCALE_RAD_PER_MM * (1.0 + RADIAL_COEFFS[3] * r**2 + RADIAL_COEFFS[5] * r**4)
    return k * fx, k * fy


def field_angle_to_focal_plane(
    ax_rad: ArrayLike, ay_rad: ArrayLike
) -> tuple[FloatArray, FloatArray]:
    ax = np.asarray(ax_rad, dtype=float)
    ay = np.asarray(ay_rad, dtype=float)
    theta = np.hypot(ax, ay)
    r = field_angle_to_radius(theta)
    with np.errstate(divide="ignore", invalid="ignore"):
        k = np.where(theta > 0.0, r / np.where(theta > 0.0, theta, 1.0), 1.0 / SCALE_RAD_PER_MM)
    return k * ax, k * ay


# ---------------------------------------------------------------- field angle <-> sky


def _focal_plane_axes_on_sky(rotation_deg: float) -> tuple[FloatArray, FloatArray]:
    """(East, North) components of focal-plane +X and +Y: +Y at PA rot, +X at PA rot - 90."""

    def pa_vector(pa_deg: float) -> FloatArray:
        pa = np.radians(pa_deg)
        return np.array([np.sin(pa), np.cos(pa)])  # position angle: from North through East

    return pa_vector(rotation_deg - 90.0), pa_vector(rotation_deg)


def field_angle_to_standard(
    ax_rad: ArrayLike, ay_rad: ArrayLike, rotation_deg: float
) -> tuple[FloatArray, FloatArray]:
    ex, ey = _focal_plane_axes_on_sky(rotation_deg)
    ax = np.asarray(ax_rad, dtype=float)
    ay = np.asarray(ay_rad, dtype=float)
    return ax * ex[0] + ay * ey[0], ax * ex[1] + ay * ey[1]


def standard_to_field_angle(
    xi: ArrayLike, eta: ArrayLike, rotation_deg: float
) -> tuple[FloatArray, FloatArray]:
    ex, ey = _focal_plane_axes_on_sky(rotation_deg)
    # The two axes are orthonormal in (East, North): project onto them.
    xi = np.asarray(xi, dtype=float)
    eta = np.asarray(eta, dtype=float)
    return xi * ex[0] + eta * ex[1], xi * ey[0] + eta * ey[1]


def pixel_to_sky(
    detector_id: int,
    x: ArrayLike,
    y: ArrayLike,
    boresight_ra_deg: float,
    boresight_dec_deg: float,
    rotation_deg: float,
) -> tuple[FloatArray, FloatArray]:
    """Sky (ra_deg, dec_deg) of 0-based pixel positions of a detector (vectorised)."""
    fx, fy = pixel_to_focal_plane(detector_id, x, y)
    ax, ay = focal_plane_to_field_angle(fx, fy)
    xi, eta = field_angle_to_standard(ax, ay, rotation_deg)
    return tanwcs.standard_to_sky(xi, eta, boresight_ra_deg, boresight_dec_deg)


def sky_to_focal_plane(
    ra_deg: ArrayLike,
    dec_deg: ArrayLike,
    boresight_ra_deg: float,
    boresight_dec_deg: float,
    rotation_deg: float,
) -> tuple[FloatArray, FloatArray]:
    """Focal-plane position (mm) of sky directions (NaN behind the boresight's hemisphere)."""
    xi, eta, _ = tanwcs.sky_to_standard(ra_deg, dec_deg, boresight_ra_deg, boresight_dec_deg)
    ax, ay = standard_to_field_angle(xi, eta, rotation_deg)
    return field_angle_to_focal_plane(ax, ay)


def sky_to_pixel(
    ra_deg: float,
    dec_deg: float,
    boresight_ra_deg: float,
    boresight_dec_deg: float,
    rotation_deg: float,
) -> list[tuple[int, float, float]]:
    """Every detector (science, guider, wavefront) whose pixel area contains the direction.

    The pixel area is [-0.5, n - 0.5] in each axis. Returns [(detector_id, x, y), ...] sorted
    by id; empty in the gaps and outside the camera.
    """
    fx, fy = sky_to_focal_plane(ra_deg, dec_deg, boresight_ra_deg, boresight_dec_deg, rotation_deg)
    if not (np.isfinite(fx) and np.isfinite(fy)):
        return []
    hits: list[tuple[int, float, float]] = []
    for det_id, d in sorted(detectors().items()):
        x, y = focal_plane_to_pixel(det_id, fx, fy)
        if -0.5 <= x <= d.n_pix[0] - 0.5 and -0.5 <= y <= d.n_pix[1] - 0.5:
            hits.append((det_id, float(x), float(y)))
    return hits


def detector_corners_pixel(detector_id: int) -> tuple[FloatArray, FloatArray]:
    """The four corners of a detector's pixel area (0-based pixel coordinates)."""
    d = detectors()[detector_id]
    hx, hy = d.n_pix[0] - 0.5, d.n_pix[1] - 0.5
    return np.array([-0.5, hx, hx, -0.5]), np.array([-0.5, -0.5, hy, hy])


def fov_radius_deg() -> float:
    """Largest field angle (deg) of any detector corner (|FA|, not atan(|FA|))."""
    best = 0.0
    for det_id in detectors():
        ax, ay = focal_plane_to_field_angle(
            *pixel_to_focal_plane(det_id, *detector_corners_pixel(det_id))
        )
        best = max(best, float(np.degrees(np.hypot(ax, ay).max())))
    return best


# ---------------------------------------------------------------- fitted TAN WCS


def detector_tan_wcs(
    detector_id: int,
    boresight_ra_deg: float,
    boresight_dec_deg: float,
    rotation_deg: float,
    grid: int = 33,
    check_grid: int = 65,
) -> dict[str, Any]:
    """A TAN WCS fitted to the camera model over one detector.

    crval = sky of the detector's centre pixel, crpix = that pixel in FITS (1-based) terms, and
    the CD matrix (deg/pixel) the least-squares linear map from pixel offsets to the standard
    coordinates about crval, over a grid x grid lattice covering the pixel area. Returns
    ``{"crval": [ra, dec], "crpix": [x, y], "cd": [[..], [..]], "max_residual_arcsec": r}``,
    with r the largest separation between the WCS and the camera model over a finer lattice
    (edges included).
    """
    d = detectors()[detector_id]
    cx, cy = (d.n_pix[0] - 1) / 2.0, (d.n_pix[1] - 1) / 2.0
    ra0, dec0 = pixel_to_sky(detector_id, cx, cy, boresight_ra_deg, boresight_dec_deg, rotation_deg)
    crval = [float(ra0), float(dec0)]

    def lattice(n: int) -> tuple[FloatArray, FloatArray]:
        gx, gy = np.meshgrid(
            np.linspace(-0.5, d.n_pix[0] - 0.5, n), np.linspace(-0.5, d.n_pix[1] - 0.5, n)
        )
        return gx.ravel(), gy.ravel()

    px, py = lattice(grid)
    ra, dec = pixel_to_sky(detector_id, px, py, boresight_ra_deg, boresight_dec_deg, rotation_deg)
    xi, eta, _ = tanwcs.sky_to_standard(ra, dec, crval[0], crval[1])
    design = np.stack([px - cx, py - cy], axis=-1)
    target = np.degrees(np.stack([xi, eta], axis=-1))
    if crval[1] >= 90.0:  # LONPOLE 0 at the exact pole: intermediate coords are -(xi, eta)
        target = -target
    solution, *_ = np.linalg.lstsq(design, target, rcond=None)
    cd = solution.T  # rows: (xi, eta); columns: (dx, dy)
    wcs = {"crval": crval, "crpix": [cx + 1.0, cy + 1.0], "cd": cd.tolist()}

    qx, qy = lattice(check_grid)
    ra_c, dec_c = pixel_to_sky(
        detector_id, qx, qy, boresight_ra_deg, boresight_dec_deg, rotation_deg
    )
    ra_w, dec_w = tanwcs.wcs_pixel_to_sky(wcs, qx, qy)
    residual = tanwcs.angular_separation_deg(ra_c, dec_c, ra_w, dec_w).max() * 3600.0
    wcs["max_residual_arcsec"] = float(residual)
    return wcs


def wcs_pixel_to_sky(
    wcs: dict[str, Any], x: ArrayLike, y: ArrayLike
) -> tuple[FloatArray, FloatArray]:
    """TAN WCS pixel (0-based) -> sky (degrees); see oracle.wcs."""
    return tanwcs.wcs_pixel_to_sky(wcs, x, y)


def wcs_sky_to_pixel(
    wcs: dict[str, Any], ra_deg: ArrayLike, dec_deg: ArrayLike
) -> tuple[FloatArray, FloatArray]:
    """TAN WCS sky (degrees) -> pixel (0-based); see oracle.wcs."""
    return tanwcs.wcs_sky_to_pixel(wcs, ra_deg, dec_deg)
