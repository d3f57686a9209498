// Distance from a track segment to a convex polygon in the tangent plane: the exact test
// behind sky-corner footprints (geometry/sky_quad.hpp gives the polygon).
#pragma once

#include "geometry/sky_quad.hpp"
#include "matching/plane.hpp"

namespace satveto::matching {

// Whether p lies inside or on a convex polygon of at least three counter-clockwise vertices.
inline bool polygon_contains(const geometry::ConvexPolygon& poly, Point p) {
    for (int i = 0; i < poly.n; ++i)
        if (cross(poly.v[(i + 1) % poly.n] - poly.v[i], p - poly.v[i]) < 0.0) return false;
    return true;
}

// Euclidean distance from segment [a, b] to the polygon (every point of it, interior
// included): 0 when they meet.  A point (n == 1) and a segment (n == 2) are handled as such;
// for n >= 3 the distance is 0 when an end of [a, b] is inside, else the smallest distance to
// an edge (a segment that crosses the polygon crosses an edge).
inline double segment_polygon_distance(Point a, Point b, const geometry::ConvexPolygon& poly) {
    if (poly.n == 1) return point_segment_distance(poly.v[0], a, b);
    if (poly.n == 2) return segment_segment_distance(a, b, poly.v[0], poly.v[1]);
    if (polygon_contains(poly, a) || polygon_contains(poly, b)) return 0.0;
    double best = INFINITY;
    for (int i = 0; i < poly.n; ++i)
        best = std::min(best, segment_segment_distance(a, b, poly.v[i], poly.v[(i + 1) % poly.n]));
    return best;
}

}  // namespace satveto::matching
