// Gnomonic (TAN) projection about a tangent point, and the distance distortion it brings.
//
// Standard coordinates (xi, eta): xi toward East (increasing RA), eta toward North, in
// projection-plane units (tan of the angle from the tangent point along each axis; a point at
// angular distance rho from the centre is at |(xi, eta)| = tan(rho)). Great circles map to
// straight lines, which is why tracks and footprints are compared in this plane.
#pragma once

#include "geometry/types.hpp"

namespace satveto::geometry {

// Standard coordinates of `point` about `center` (radians in). *in_front (if not null) is set
// to whether the point is in the hemisphere centred on `center`; behind it the projection is
// undefined and both coordinates are NaN.
Vec2 sky_to_tangent(RaDec point, RaDec center, bool* in_front) noexcept;

// Inverse of sky_to_tangent: the sky position (ra in [0, 2 pi)) of standard coordinates.
RaDec tangent_to_sky(Vec2 xi_eta, RaDec center) noexcept;

// Angular separation (rad) of two directions; accurate at all separations (atan2 form).
double angular_separation(RaDec a, RaDec b) noexcept;

// For two points within `radius_rad` (< pi/2) of the tangent point, the ratio
// true angular separation / tangent-plane Euclidean distance lies in [min, max]:
//   max = 1            (the deprojection only shrinks lengths: its local scales are
//                       cos(rho) tangentially and cos^2(rho) radially), and
//   min = cos^2(radius) (the great-circle arc stays inside the cap, where the projection
//                       stretches lengths by at most sec^2(rho)).
// So: angle <= tangent distance <= angle / cos^2(radius). At 2.2 deg, min = 0.998527 (a
// tangent-plane distance overstates the angle by at most 0.1475 %).
struct SeparationRatioBounds {
    double min = 1.0;
    double max = 1.0;
};
SeparationRatioBounds tangent_separation_ratio_bounds(double radius_rad) noexcept;

}  // namespace satveto::geometry
