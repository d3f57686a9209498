// Sky-corner footprints: four ICRS corners sent by the client (AP maps the corners of a
// source's pixel box with its full WCS), taken to the visit's tangent plane.
//
// The footprint is the spherical quadrilateral whose edges are great-circle arcs between
// consecutive corners.  The gnomonic projection about the boresight maps great circles to
// straight lines, so within the hemisphere in front of the boresight the quadrilateral maps
// exactly to the planar quadrilateral of its projected corners; no sampling, no bow.
//
// Clients are not trusted to send a simple, convex, well-ordered quadrilateral.  Whatever the
// order of the corners (a "bow-tie" order makes two edges cross), whether corners coincide or
// lie on one line, the footprint is taken as the convex hull of the four corners.  The hull
// contains the quadrilateral for every order, so vetoing on the hull is conservative; for the
// convex, well-ordered boxes AP sends it is the quadrilateral itself.
#pragma once

#include "geometry/types.hpp"

#include <array>

namespace satveto::geometry {

// Four corners, radians (ra in [0, 2 pi), dec in [-pi/2, pi/2]), in the client's order.
struct SkyQuad {
    std::array<RaDec, 4> corners;
};

// A planar convex polygon of 1 to 4 vertices, counter-clockwise, no two vertices equal and no
// three on one line (up to rounding).  n == 1 is a point, n == 2 a segment.
struct ConvexPolygon {
    std::array<Vec2, 4> v{};
    int n = 0;
};

// The convex hull of four points (Andrew's monotone chain).  Coincident points collapse to
// one vertex and points on an edge of the hull (within 1e-12 of the set's extent, so that
// rounding cannot make nearly collinear corners inconsistent) are dropped, so a zero-area set
// of corners gives a segment (n == 2) or a point (n == 1).  Pure and allocation-free.
ConvexPolygon convex_hull(const std::array<Vec2, 4>& points) noexcept;

// Unit vectors (equatorial axes) of a visit's tangent plane: the boresight and its local
// East and North.  Must be the same vectors the visit's track segments were projected with.
struct TangentFrame {
    std::array<double, 3> center;
    std::array<double, 3> east;
    std::array<double, 3> north;
};

enum class SkyQuadStatus {
    usable,         // hull holds the footprint in the tangent plane
    outside_field,  // a corner is farther than the field limit from the boresight
    too_large,      // two corners are farther apart than the span limit
};

struct ProjectedSkyQuad {
    SkyQuadStatus status = SkyQuadStatus::usable;
    ConvexPolygon hull;  // meaningful only when status == usable
};

// Checks a footprint against the secrecy limits and, when it passes, projects it.
//
// outside_field when any corner's angular distance from frame.center exceeds field_limit_rad;
// else too_large when the largest angular distance between two of its corners exceeds
// max_span_rad; else usable, with `hull` the convex hull of the corners' standard
// coordinates (xi = u.east / u.center, eta = u.north / u.center; tangent-plane units).
// Every point of the hull is then within field_limit_rad of the boresight too (a cap smaller
// than a hemisphere is convex).  Meant for 0 < field_limit_rad < pi/2 (so every usable corner
// is in front of the plane) and max_span_rad >= 0; a corner within 1e-6 of the plane's horizon
// or behind it (a limit beyond pi/2) is reported outside_field.  Distances are compared as chord lengths,
// which is exact to rounding at every scale.  Pure and allocation-free.
ProjectedSkyQuad project_sky_quad(const SkyQuad& quad, const TangentFrame& frame, double field_limit_rad,
                                  double max_span_rad) noexcept;

}  // namespace satveto::geometry
