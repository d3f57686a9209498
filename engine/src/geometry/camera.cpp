// LSSTCam camera model (see camera.hpp for the chain and conventions).
#include "geometry/camera.hpp"

#include "common/angles.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "geometry/gnomonic.hpp"

namespace satveto::geometry {

namespace {

#include "geometry/lsstcam_detector_table.inc"

// find_detector indexes the table directly; that needs ids 0..N-1 in order.
constexpr bool ids_are_positions() {
    for (int i = 0; i < detector_table_size; ++i) {
        if (detector_table[i].id != i) return false;
    }
    return true;
}
static_assert(detector_table_size == 205, "LSSTCam has 205 detectors");
static_assert(ids_are_positions(), "detector table must be ordered by id, ids 0..N-1");

constexpr double plate_scale_rad_per_mm = plate_scale_arcsec_per_mm * common::arcsec;

struct CosSin {
    double c;
    double s;
};

// cos and sin of an angle in degrees, exact for multiples of 90 (every LSSTCam yaw), so a
// yaw of 90 maps pixel +x exactly onto focal-plane +y instead of leaving a 6e-17 cross term.
CosSin cos_sin_deg(double angle_deg) noexcept {
    const double quarter_turns = std::floor(angle_deg / 90.0);
    const double rest_rad = (angle_deg - 90.0 * quarter_turns) * common::deg;
    double c = std::cos(rest_rad);
    double s = std::sin(rest_rad);
    // Rotate (c, s) by the whole quarter turns.
    const long q = static_cast<long>(std::fmod(quarter_turns, 4.0) + 4.0) % 4;
    for (long k = 0; k < q; ++k) {
        const double t = c;
        c = -s;
        s = t;
    }
    return {c, s};
}

// Pixel coordinate of the centre of the pixel array (pixel centres at integers).
Vec2 center_pixel(const Detector& d) noexcept { return {0.5 * (d.n_pix_x - 1), 0.5 * (d.n_pix_y - 1)}; }

double pixel_size_mm(const Detector& d) noexcept { return d.pixel_size_um / 1000.0; }

// theta(r) / (scale * r) = 1 + c3 r^2 + c5 r^4, as a function of r^2 (mm^2).
double radial_factor(double r2_mm2) noexcept {
    return 1.0 + r2_mm2 * (radial_coeff3_per_mm2 + r2_mm2 * radial_coeff5_per_mm4);
}

// d theta / dr / scale = 1 + 3 c3 r^2 + 5 c5 r^4.
double radial_derivative_factor(double r2_mm2) noexcept {
    return 1.0 + r2_mm2 * (3.0 * radial_coeff3_per_mm2 + 5.0 * r2_mm2 * radial_coeff5_per_mm4);
}

// Distance from the origin to the segment [a, b].
double origin_segment_distance(Vec2 a, Vec2 b) noexcept {
    const double dx = b.x - a.x;
    const double dy = b.y - a.y;
    const double len2 = dx * dx + dy * dy;
    double t = 0.0;
    if (len2 > 0.0) t = std::clamp(-(a.x * dx + a.y * dy) / len2, 0.0, 1.0);
    return std::hypot(a.x + t * dx, a.y + t * dy);
}

// Even-odd rule: does the polygon contain the origin? Points exactly on an edge may go either
// way, which is harmless: the edge distance is then 0 anyway.
bool quad_contains_origin(const Quad& quad) noexcept {
    bool inside = false;
    for (std::size_t i = 0, j = quad.size() - 1; i < quad.size(); j = i++) {
        const Vec2 a = quad[i];
        const Vec2 b = quad[j];
        if ((a.y > 0.0) != (b.y > 0.0)) {
            const double x_cross = a.x + (0.0 - a.y) * (b.x - a.x) / (b.y - a.y);
            if (x_cross > 0.0) inside = !inside;
        }
    }
    return inside;
}

// Corners of a detector's pixel area, in focal-plane mm.
Quad detector_focal_plane_corners(const Detector& d) noexcept {
    const double x_hi = d.n_pix_x - 0.5;
    const double y_hi = d.n_pix_y - 0.5;
    return {pixel_to_focal_plane(d, {-0.5, -0.5}), pixel_to_focal_plane(d, {x_hi, -0.5}),
            pixel_to_focal_plane(d, {x_hi, y_hi}), pixel_to_focal_plane(d, {-0.5, y_hi})};
}

}  // namespace

std::span<const Detector> all_detectors() noexcept {
    return std::span<const Detector>(detector_table, detector_table_size);
}

const Detector* find_detector(int id) noexcept {
    if (id < 0 || id >= detector_table_size) return nullptr;
    return &detector_table[id];
}

Vec2 pixel_to_focal_plane(const Detector& detector, Vec2 pixel) noexcept {
    const Vec2 c = center_pixel(detector);
    const double scale = pixel_size_mm(detector);
    const double u = (pixel.x - c.x) * scale;
    const double v = (pixel.y - c.y) * scale;
    const CosSin r = cos_sin_deg(detector.yaw_deg);
    return {detector.center_mm.x + r.c * u - r.s * v, detector.center_mm.y + r.s * u + r.c * v};
}

Vec2 focal_plane_to_pixel(const Detector& detector, Vec2 focal_plane_mm) noexcept {
    const Vec2 c = center_pixel(detector);
    const double scale = pixel_size_mm(detector);
    const double dx = focal_plane_mm.x - detector.center_mm.x;
    const double dy = focal_plane_mm.y - detector.center_mm.y;
    const CosSin r = cos_sin_deg(detector.yaw_deg);
    // Rot(-yaw) = Rot(yaw)^T.
    const double u = r.c * dx + r.s * dy;
    const double v = -r.s * dx + r.c * dy;
    return {c.x + u / scale, c.y + v / scale};
}

bool pixel_in_detector(const Detector& detector, Vec2 pixel) noexcept {
    return pixel.x >= -0.5 && pixel.x <= detector.n_pix_x - 0.5 && pixel.y >= -0.5 && pixel.y <= detector.n_pix_y - 0.5;
}

double focal_plane_radius_to_field_angle(double r_mm) noexcept {
    return plate_scale_rad_per_mm * r_mm * radial_factor(r_mm * r_mm);
}

double field_angle_to_focal_plane_radius(double theta_rad) noexcept {
    if (!(theta_rad >= 0.0)) return std::numeric_limits<double>::quiet_NaN();
    // theta(r) is increasing and concave for r > 0 (both coefficients are negative), so Newton
    // from the linear guess r = theta / scale (left of the root) climbs monotonically to it
    // without overshooting; it stops when the step is below 1e-12 mm or when the derivative
    // vanishes (theta beyond the polynomial's maximum, r ~ 3300 mm).
    double r = theta_rad / plate_scale_rad_per_mm;
    for (int iter = 0; iter < 100; ++iter) {
        const double f = focal_plane_radius_to_field_angle(r) - theta_rad;
        const double df = plate_scale_rad_per_mm * radial_derivative_factor(r * r);
        if (!(df > 0.0)) break;
        const double step = f / df;
        r -= step;
        if (std::fabs(step) < 1e-12) return r;
    }
    return std::numeric_limits<double>::quiet_NaN();
}

Vec2 focal_plane_to_field_angle(Vec2 focal_plane_mm) noexcept {
    // theta(r) / r, written without the division so the axis (r = 0) needs no special case.
    const double r2 = focal_plane_mm.x * focal_plane_mm.x + focal_plane_mm.y * focal_plane_mm.y;
    const double k = plate_scale_rad_per_mm * radial_factor(r2);
    return {k * focal_plane_mm.x, k * focal_plane_mm.y};
}

Vec2 field_angle_to_focal_plane(Vec2 field_angle_rad) noexcept {
    const double theta = std::hypot(field_angle_rad.x, field_angle_rad.y);
    if (theta == 0.0) return {0.0, 0.0};
    const double r = field_angle_to_focal_plane_radius(theta);
    return {field_angle_rad.x * (r / theta), field_angle_rad.y * (r / theta)};
}

Vec2 field_angle_to_tangent(Vec2 field_angle_rad, double rotation_rad) noexcept {
    const double c = std::cos(rotation_rad);
    const double s = std::sin(rotation_rad);
    const Vec2 fa = field_angle_rad;
    return {-c * fa.x + s * fa.y, s * fa.x + c * fa.y};
}

Vec2 tangent_to_field_angle(Vec2 xi_eta, double rotation_rad) noexcept {
    // [[-c, s], [s, c]] squared is the identity.
    return field_angle_to_tangent(xi_eta, rotation_rad);
}

RaDec camera_pixel_to_sky(const Detector& detector, Vec2 pixel, RaDec boresight, double rotation_rad) noexcept {
    const Vec2 fa = focal_plane_to_field_angle(pixel_to_focal_plane(detector, pixel));
    return tangent_to_sky(field_angle_to_tangent(fa, rotation_rad), boresight);
}

Quad bbox_field_angle_corners(const Detector& detector, BBox bbox) noexcept {
    const double x_lo = static_cast<double>(bbox.x0) - 0.5;
    const double y_lo = static_cast<double>(bbox.y0) - 0.5;
    const double x_hi = static_cast<double>(bbox.x1) + 0.5;
    const double y_hi = static_cast<double>(bbox.y1) + 0.5;
    auto fa = [&](double x, double y) { return focal_plane_to_field_angle(pixel_to_focal_plane(detector, {x, y})); };
    return {fa(x_lo, y_lo), fa(x_hi, y_lo), fa(x_hi, y_hi), fa(x_lo, y_hi)};
}

double bbox_edge_bow_bound_rad(const Detector& detector) noexcept {
    // FA(p) = k p g(q), q = |p|^2, g(q) = 1 + c3 q + c5 q^2. Along p(s) = p0 + s u (|u| = 1):
    //   d^2 FA / ds^2 = k [4 (p.u) g'(q) u + p (4 (p.u)^2 g''(q) + 2 g'(q))],
    // so |d^2 FA / ds^2| <= k (6 r |g'| + 4 r^3 |g''|) with |g'| <= |c3| + 2 |c5| r^2 and
    // |g''| = 2 |c5|, increasing in r: evaluate at the detector's outermost corner. A curve
    // with |c''| <= M stays within M L^2 / 8 of its chord (L its parameter length).
    double r_max = 0.0;
    for (const Vec2& corner : detector_focal_plane_corners(detector)) {
        r_max = std::max(r_max, std::hypot(corner.x, corner.y));
    }
    const double c3 = std::fabs(radial_coeff3_per_mm2);
    const double c5 = std::fabs(radial_coeff5_per_mm4);
    const double g1 = c3 + 2.0 * c5 * r_max * r_max;
    const double g2 = 2.0 * c5;
    const double r3 = r_max * r_max * r_max;
    const double curvature = plate_scale_rad_per_mm * (6.0 * r_max * g1 + 4.0 * r3 * g2);
    const double length_mm = std::max(detector.n_pix_x, detector.n_pix_y) * pixel_size_mm(detector);
    return curvature * length_mm * length_mm / 8.0;
}

RadiusRange field_angle_radius_range(const Quad& quad) noexcept {
    RadiusRange range{std::numeric_limits<double>::infinity(), 0.0};
    for (std::size_t i = 0; i < quad.size(); ++i) {
        const Vec2 a = quad[i];
        const Vec2 b = quad[(i + 1) % quad.size()];
        // |v| is convex, so its maximum over the polygon is at a vertex.
        range.max = std::max(range.max, std::hypot(a.x, a.y));
        range.min = std::min(range.min, origin_segment_distance(a, b));
    }
    if (quad_contains_origin(quad)) range.min = 0.0;
    return range;
}

double camera_field_radius_rad() noexcept {
    // Fixed by the camera model; every visit precompute and sky-corner check asks for it.
    static const double radius = [] {
        double r_max = 0.0;
        for (const Detector& d : all_detectors()) {
            for (const Vec2& corner : detector_focal_plane_corners(d)) {
                const Vec2 fa = focal_plane_to_field_angle(corner);
                r_max = std::max(r_max, std::hypot(fa.x, fa.y));
            }
        }
        return r_max;
    }();
    return radius;
}

}  // namespace satveto::geometry
