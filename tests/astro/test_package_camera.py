"""The package's camera model (satveto.astro.camera, what `satveto plot-visit` draws with) against
the independent oracle (tests/oracle/camera.py), which the engine's C++ model is tested against.
"""

from __future__ import annotations

import numpy as np
import pytest

from oracle import camera as oracle
from satveto.astro import camera

ROTATIONS = [0.0, 30.0, -125.5, 271.0]


def oracle_tangent(detector_id: int, x: np.ndarray, y: np.ndarray, rotation_deg: float):
    fx, fy = oracle.pixel_to_focal_plane(detector_id, x, y)
    return oracle.field_angle_to_standard(*oracle.focal_plane_to_field_angle(fx, fy), rotation_deg)


def test_the_default_table_is_the_oracles() -> None:
    detectors = camera.load_detectors()
    reference = oracle.detectors()
    assert sorted(detectors) == sorted(reference)
    assert len(detectors) == 205
    for detector_id, d in detectors.items():
        r = reference[detector_id]
        assert (d.kind, d.center_mm, d.yaw_deg, d.n_pix, d.pixel_mm) == (
            r.detector_type,
            r.center_mm,
            r.yaw_deg,
            r.n_pix,
            r.pixel_mm,
        )


@pytest.mark.parametrize("rotation_deg", ROTATIONS)
def test_pixel_to_tangent_matches_the_oracle(rotation_deg: float) -> None:
    rng = np.random.default_rng(7)
    for detector in camera.load_detectors().values():
        nx, ny = detector.n_pix
        # The corners of the detector's area, its centre and random pixels inside.
        x = np.concatenate([[-0.5, nx - 0.5, nx - 0.5, -0.5, (nx - 1) / 2], rng.uniform(0, nx, 8)])
        y = np.concatenate([[-0.5, -0.5, ny - 0.5, ny - 0.5, (ny - 1) / 2], rng.uniform(0, ny, 8)])
        xi, eta = camera.pixel_to_tangent(detector, x, y, rotation_deg)
        xi_ref, eta_ref = oracle_tangent(detector.id, x, y, rotation_deg)
        # 1e-12 rad is 2e-7 arcsec: the two differ only in rounding.
        np.testing.assert_allclose(xi, xi_ref, rtol=0, atol=1e-12)
        np.testing.assert_allclose(eta, eta_ref, rtol=0, atol=1e-12)


@pytest.mark.parametrize("rotation_deg", ROTATIONS)
def test_detector_outline_runs_along_the_detectors_edge(rotation_deg: float) -> None:
    """Mapped back to pixels by the oracle's inverse chain, every outline point lies on the
    edge of the detector's area, starting and ending at its (-0.5, -0.5) corner."""
    for detector in camera.load_detectors().values():
        outline = camera.detector_outline(detector, rotation_deg)
        xi, eta = np.radians(outline[:, 0]), np.radians(outline[:, 1])
        ax, ay = oracle.standard_to_field_angle(xi, eta, rotation_deg)
        x, y = oracle.focal_plane_to_pixel(detector.id, *oracle.field_angle_to_focal_plane(ax, ay))
        nx, ny = detector.n_pix
        on_edge = np.minimum.reduce(
            [np.abs(x + 0.5), np.abs(x - (nx - 0.5)), np.abs(y + 0.5), np.abs(y - (ny - 0.5))]
        )
        assert on_edge.max() < 1e-6, detector.id
        # ...and within its extent, not on an edge's line beyond it.
        assert -0.5 - 1e-6 <= x.min() <= x.max() <= nx - 0.5 + 1e-6
        assert -0.5 - 1e-6 <= y.min() <= y.max() <= ny - 0.5 + 1e-6
        np.testing.assert_allclose([x[0], y[0]], [-0.5, -0.5], atol=1e-6)
        # The four corners are all visited: the outline goes round the whole detector.
        for corner in [(-0.5, -0.5), (nx - 0.5, -0.5), (nx - 0.5, ny - 0.5), (-0.5, ny - 0.5)]:
            assert np.hypot(x - corner[0], y - corner[1]).min() < 1e-6, (detector.id, corner)
