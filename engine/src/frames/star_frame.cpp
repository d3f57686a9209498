#include "frames/star_frame.hpp"

#include <algorithm>
#include <cmath>

namespace satveto::frames {
namespace {

// Bounds of a catalogued object's motion relative to the site (km, s): acceleration (gravity
// at the surface with 20 % for the model's perturbations, plus the site's centripetal
// acceleration), speed (escape speed plus the site's 0.47 km/s) and jerk (3 mu v / r^4 at the
// surface, with 50 % allowance).
constexpr double max_acceleration_km_s2 = 1.2 * 9.82e-3 + 0.034e-3;
constexpr double max_relative_speed_km_s = max_satellite_speed_km_s + 0.47;
constexpr double max_jerk_km_s3 = 1.5 * 3.0 * 398600.8 * max_satellite_speed_km_s / (6378.0 * 6378.0 * 6378.0 * 6378.0);
constexpr double earth_acceleration_km_s2 = 6.1e-6;  // the Sun's pull at 1 au (5.93e-6) and the Moon's tug

}  // namespace

Vec3 star_frame_vector(const Vec3& p_km, const Vec3& v_satellite_km_s, const Vec3& v_earth_km_s) {
    const double light_time_s = std::sqrt(p_km[0] * p_km[0] + p_km[1] * p_km[1] + p_km[2] * p_km[2]) /
                                speed_of_light_km_s;
    return {p_km[0] - light_time_s * (v_satellite_km_s[0] + v_earth_km_s[0]),
            p_km[1] - light_time_s * (v_satellite_km_s[1] + v_earth_km_s[1]),
            p_km[2] - light_time_s * (v_satellite_km_s[2] + v_earth_km_s[2])};
}

double star_frame_offset_bound_rad(double earth_speed_km_s) {
    return 1.01 * std::asin(std::min(1.0, (max_satellite_speed_km_s + earth_speed_km_s) / speed_of_light_km_s));
}

double star_frame_bending_km_s2(double range_lo_km, double range_hi_km, double earth_speed_km_s) {
    // k(t) = |p| w with w = (v_sat + V_earth)/c:  k'' = |p|'' w + 2 |p|' w' + |p| w'', and
    // |p|'' <= |p''| + |p'|^2 / |p|,  |p|' <= |p'|.
    const double w = (max_satellite_speed_km_s + earth_speed_km_s) / speed_of_light_km_s;
    const double w_rate = (max_acceleration_km_s2 + earth_acceleration_km_s2) / speed_of_light_km_s;
    const double w_second = max_jerk_km_s3 / speed_of_light_km_s;
    const double range_lo = std::max(range_lo_km, 1.0);
    return w * (max_acceleration_km_s2 + max_relative_speed_km_s * max_relative_speed_km_s / range_lo) +
           2.0 * max_relative_speed_km_s * w_rate + std::max(range_hi_km, range_lo) * w_second;
}

}  // namespace satveto::frames
