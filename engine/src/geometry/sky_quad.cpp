// Sky-corner footprints (see sky_quad.hpp).
#include "geometry/sky_quad.hpp"

#include "common/angles.hpp"

#include <algorithm>
#include <cmath>

namespace satveto::geometry {
namespace {

using Vec3 = std::array<double, 3>;

double cross(Vec2 o, Vec2 a, Vec2 b) { return (a.x - o.x) * (b.y - o.y) - (a.y - o.y) * (b.x - o.x); }

double dot(const Vec3& a, const Vec3& b) { return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]; }

double chord2(const Vec3& a, const Vec3& b) {
    const double dx = a[0] - b[0], dy = a[1] - b[1], dz = a[2] - b[2];
    return dx * dx + dy * dy + dz * dz;
}

// Squared chord of an angle: the squared straight-line distance between two unit vectors
// that far apart.  Monotonic in the angle over [0, pi].
double chord2_of_angle(double angle_rad) {
    const double half_chord = std::sin(0.5 * std::clamp(angle_rad, 0.0, common::pi));
    return 4.0 * half_chord * half_chord;
}

Vec3 unit(RaDec p) {
    const double c = std::cos(p.dec);
    return {c * std::cos(p.ra), c * std::sin(p.ra), std::sin(p.dec)};
}

}  // namespace

ConvexPolygon convex_hull(const std::array<Vec2, 4>& points) noexcept {
    std::array<Vec2, 4> p = points;
    std::sort(p.begin(), p.end(), [](Vec2 a, Vec2 b) { return a.x < b.x || (a.x == b.x && a.y < b.y); });
    // Turns flatter than this count as straight.  Floating-point orientation tests are not
    // consistent for nearly collinear points: without a tolerance both chains could keep the
    // same middle points and return more vertices than there are corners.  A point dropped this
    // way is within 1e-12 of the extent from the hull's edge (1e-14 rad for the largest allowed
    // footprint), far below every reach.
    const double extent_x = p[3].x - p[0].x;
    double y_min = p[0].y, y_max = p[0].y;
    for (const Vec2& q : p) y_min = std::min(y_min, q.y), y_max = std::max(y_max, q.y);
    const double flat = 1e-12 * (extent_x * extent_x + (y_max - y_min) * (y_max - y_min));
    // Lower then upper chain; a point that does not turn left by more than `flat` is dropped,
    // which also removes duplicates and points on a hull edge.
    std::array<Vec2, 8> chain{};
    int k = 0;
    for (int i = 0; i < 4; ++i) {
        while (k >= 2 && cross(chain[k - 2], chain[k - 1], p[i]) <= flat) --k;
        chain[k++] = p[i];
    }
    const int lower = k + 1;
    for (int i = 2; i >= 0; --i) {
        while (k >= lower && cross(chain[k - 2], chain[k - 1], p[i]) <= flat) --k;
        chain[k++] = p[i];
    }
    ConvexPolygon hull;
    if (k - 1 > 4) {
        // Cannot happen with the tolerance; should it, the bounding box (counter-clockwise)
        // contains every corner, so judging it stays conservative.
        hull.n = 4;
        hull.v = {{{p[0].x, y_min}, {p[3].x, y_min}, {p[3].x, y_max}, {p[0].x, y_max}}};
        return hull;
    }
    // The chain ends where it began; drop the repeat.  All points equal leaves [p, p].
    hull.n = std::max(1, k - 1);
    for (int i = 0; i < hull.n; ++i) hull.v[i] = chain[i];
    if (hull.n == 2 && hull.v[0].x == hull.v[1].x && hull.v[0].y == hull.v[1].y) hull.n = 1;
    return hull;
}

ProjectedSkyQuad project_sky_quad(const SkyQuad& quad, const TangentFrame& frame, double field_limit_rad,
                                  double max_span_rad) noexcept {
    ProjectedSkyQuad out;
    std::array<Vec3, 4> u;
    for (int i = 0; i < 4; ++i) u[i] = unit(quad.corners[i]);

    const double field_chord2 = chord2_of_angle(field_limit_rad);
    for (const Vec3& c : u) {
        if (!(chord2(c, frame.center) <= field_chord2)) {
            out.status = SkyQuadStatus::outside_field;
            return out;
        }
    }
    const double span_chord2 = chord2_of_angle(max_span_rad);
    for (int i = 0; i < 4; ++i) {
        for (int j = i + 1; j < 4; ++j) {
            if (!(chord2(u[i], u[j]) <= span_chord2)) {
                out.status = SkyQuadStatus::too_large;
                return out;
            }
        }
    }
    std::array<Vec2, 4> plane;
    for (int i = 0; i < 4; ++i) {
        const double z = dot(u[i], frame.center);  // >= cos(field_limit_rad) > 0: in front
        if (!(z > 1e-6)) {                         // only if the caller broke the precondition: deny, never divide
            out.status = SkyQuadStatus::outside_field;
            return out;
        }
        plane[i] = {dot(u[i], frame.east) / z, dot(u[i], frame.north) / z};
    }
    out.hull = convex_hull(plane);
    return out;
}

}  // namespace satveto::geometry
