// Small exact geometry in the tangent plane of a visit (gnomonic coordinates, radians).
#pragma once

#include "geometry/types.hpp"

#include <algorithm>
#include <array>
#include <cmath>

namespace satveto::matching {

using Point = geometry::Vec2;
using Quad = geometry::Quad;  // corners in order around the boundary

inline Point operator-(Point a, Point b) { return {a.x - b.x, a.y - b.y}; }
inline double dot(Point a, Point b) { return a.x * b.x + a.y * b.y; }
inline double cross(Point a, Point b) { return a.x * b.y - a.y * b.x; }
inline double norm(Point a) { return std::hypot(a.x, a.y); }

// Distance from point p to segment [a, b].
inline double point_segment_distance(Point p, Point a, Point b) {
    const Point ab = b - a;
    const double length2 = dot(ab, ab);
    double t = length2 > 0.0 ? dot(p - a, ab) / length2 : 0.0;
    t = std::clamp(t, 0.0, 1.0);
    return norm(p - Point{a.x + t * ab.x, a.y + t * ab.y});
}

// Whether segments [a, b] and [c, d] intersect (touching counts).
inline bool segments_intersect(Point a, Point b, Point c, Point d) {
    const double d1 = cross(b - a, c - a), d2 = cross(b - a, d - a);
    const double d3 = cross(d - c, a - c), d4 = cross(d - c, b - c);
    if (((d1 > 0 && d2 < 0) || (d1 < 0 && d2 > 0)) && ((d3 > 0 && d4 < 0) || (d3 < 0 && d4 > 0))) return true;
    auto on_segment = [](Point p, Point q, Point r) {  // r on [p, q], given collinear
        return std::min(p.x, q.x) <= r.x && r.x <= std::max(p.x, q.x) && std::min(p.y, q.y) <= r.y &&
               r.y <= std::max(p.y, q.y);
    };
    return (d1 == 0 && on_segment(a, b, c)) || (d2 == 0 && on_segment(a, b, d)) || (d3 == 0 && on_segment(c, d, a)) ||
           (d4 == 0 && on_segment(c, d, b));
}

inline double segment_segment_distance(Point a, Point b, Point c, Point d) {
    if (segments_intersect(a, b, c, d)) return 0.0;
    return std::min({point_segment_distance(a, c, d), point_segment_distance(b, c, d), point_segment_distance(c, a, b),
                     point_segment_distance(d, a, b)});
}

// Whether p lies inside (or on) a convex quadrilateral of either orientation.
inline bool quad_contains(const Quad& q, Point p) {
    bool any_positive = false, any_negative = false;
    for (int i = 0; i < 4; ++i) {
        const double c = cross(q[(i + 1) % 4] - q[i], p - q[i]);
        any_positive = any_positive || c > 0;
        any_negative = any_negative || c < 0;
    }
    return !(any_positive && any_negative);
}

// Distance from segment [a, b] to a convex quadrilateral (0 when they overlap).
inline double segment_quad_distance(Point a, Point b, const Quad& q) {
    if (quad_contains(q, a) || quad_contains(q, b)) return 0.0;
    double best = INFINITY;
    for (int i = 0; i < 4; ++i) best = std::min(best, segment_segment_distance(a, b, q[i], q[(i + 1) % 4]));
    return best;
}

// Smallest and largest distance from the origin over segment [a, b].
inline void segment_radius_range(Point a, Point b, double& r_min, double& r_max) {
    r_min = point_segment_distance({0.0, 0.0}, a, b);
    r_max = std::max(norm(a), norm(b));
}

// Axis-aligned box, for cheap rejection before exact tests.
struct Box {
    double x_min = INFINITY, y_min = INFINITY, x_max = -INFINITY, y_max = -INFINITY;
    void add(Point p) {
        x_min = std::min(x_min, p.x);
        y_min = std::min(y_min, p.y);
        x_max = std::max(x_max, p.x);
        y_max = std::max(y_max, p.y);
    }
    Box grown(double by) const { return {x_min - by, y_min - by, x_max + by, y_max + by}; }
    bool overlaps(const Box& o) const {
        return x_min <= o.x_max && o.x_min <= x_max && y_min <= o.y_max && o.y_min <= y_max;
    }
};

}  // namespace satveto::matching
