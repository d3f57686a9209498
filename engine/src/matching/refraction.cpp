#include "matching/refraction.hpp"

#include "common/angles.hpp"

#include <cmath>

namespace satveto::matching {
namespace {

constexpr double r0_rad = 60.4 * common::arcsec;
constexpr double lowest_zenith_distance_rad = 85.0 * common::deg;
constexpr double horizon_refraction_rad = 35.0 * 60.0 * common::arcsec;
constexpr double altitude_allowance_rad = 0.1 * common::deg;  // apparent vs geometric altitude

}  // namespace

double camera_refraction_bound_rad(double altitude_rad, double field_radius_rad) {
    const double z = std::fmax(0.0, common::half_pi - altitude_rad + altitude_allowance_rad);
    const double z_far = z + field_radius_rad;
    if (z_far >= lowest_zenith_distance_rad) return horizon_refraction_rad;
    return r0_rad * (std::tan(z_far) - std::tan(z)) + r0_rad * field_radius_rad;
}

}  // namespace satveto::matching
