#include "matching/refraction.hpp"

#include <cmath>

namespace satveto::matching {
namespace {

constexpr double arcsec_rad = M_PI / (180.0 * 3600.0);
constexpr double r0_rad = 60.4 * arcsec_rad;
constexpr double lowest_zenith_distance_rad = 85.0 * M_PI / 180.0;
constexpr double horizon_refraction_rad = 35.0 * 60.0 * arcsec_rad;
constexpr double altitude_allowance_rad = 0.1 * M_PI / 180.0;  // apparent vs geometric altitude

}  // namespace

double camera_refraction_bound_rad(double altitude_rad, double field_radius_rad) {
    const double z = std::fmax(0.0, M_PI / 2.0 - altitude_rad + altitude_allowance_rad);
    const double z_far = z + field_radius_rad;
    if (z_far >= lowest_zenith_distance_rad) return horizon_refraction_rad;
    return r0_rad * (std::tan(z_far) - std::tan(z)) + r0_rad * field_radius_rad;
}

}  // namespace satveto::matching
