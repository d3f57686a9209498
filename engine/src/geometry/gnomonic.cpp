// Gnomonic projection (see gnomonic.hpp).
#include "geometry/gnomonic.hpp"

#include "common/angles.hpp"

#include <cmath>
#include <limits>

namespace satveto::geometry {

namespace {}  // namespace

Vec2 sky_to_tangent(RaDec point, RaDec center, bool* in_front) noexcept {
    const double dra = point.ra - center.ra;
    const double sin_dra = std::sin(dra);
    const double cos_dra = std::cos(dra);
    const double sin_d = std::sin(point.dec);
    const double cos_d = std::cos(point.dec);
    const double sin_d0 = std::sin(center.dec);
    const double cos_d0 = std::cos(center.dec);
    // Cosine of the angular distance from the tangent point: the projection's denominator.
    const double cos_c = sin_d0 * sin_d + cos_d0 * cos_d * cos_dra;
    const bool front = cos_c > 0.0;
    if (in_front != nullptr) *in_front = front;
    if (!front) {
        const double nan = std::numeric_limits<double>::quiet_NaN();
        return {nan, nan};
    }
    return {cos_d * sin_dra / cos_c, (cos_d0 * sin_d - sin_d0 * cos_d * cos_dra) / cos_c};
}

RaDec tangent_to_sky(Vec2 xi_eta, RaDec center) noexcept {
    const double sin_d0 = std::sin(center.dec);
    const double cos_d0 = std::cos(center.dec);
    // Direction vector (up to a positive factor) in the frame where the centre's meridian is
    // the x-z plane: centre + xi * East + eta * North.
    const double denom = cos_d0 - xi_eta.y * sin_d0;
    const double ra = center.ra + std::atan2(xi_eta.x, denom);
    const double dec = std::atan2(sin_d0 + xi_eta.y * cos_d0, std::hypot(xi_eta.x, denom));
    return {common::wrap_two_pi(ra), dec};
}

double angular_separation(RaDec a, RaDec b) noexcept {
    // Vincenty's formula: well conditioned at 0 and at pi.
    const double dra = b.ra - a.ra;
    const double sin_dra = std::sin(dra);
    const double cos_dra = std::cos(dra);
    const double sa = std::sin(a.dec);
    const double ca = std::cos(a.dec);
    const double sb = std::sin(b.dec);
    const double cb = std::cos(b.dec);
    const double num1 = cb * sin_dra;
    const double num2 = ca * sb - sa * cb * cos_dra;
    const double den = sa * sb + ca * cb * cos_dra;
    return std::atan2(std::hypot(num1, num2), den);
}

SeparationRatioBounds tangent_separation_ratio_bounds(double radius_rad) noexcept {
    const double c = std::cos(radius_rad);
    return {c * c, 1.0};
}

}  // namespace satveto::geometry
