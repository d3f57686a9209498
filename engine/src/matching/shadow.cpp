#include "matching/shadow.hpp"

#include "common/angles.hpp"
#include "frames/time_scales.hpp"

#include <erfa.h>

#include <cmath>

namespace satveto::matching {
namespace {

constexpr double au_km = 149597870.7;
constexpr double earth_polar_radius_km = 6356.75;
constexpr double sun_radius_km = 696000.0;
constexpr double refraction_reach = 0.021;  // twice the horizon refraction (35'), with margin
constexpr double sun_motion_rad_per_day = 1.02 * common::deg;

double dot(const frames::Vec3& a, const frames::Vec3& b) { return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]; }

}  // namespace

frames::Vec3 sun_geocentric_km(double mjd_tai) {
    const double tt = mjd_tai + frames::tt_minus_tai_s / 86400.0;
    double heliocentric[2][3], barycentric[2][3];
    eraEpv00(2400000.5, tt, heliocentric, barycentric);
    return {-heliocentric[0][0] * au_km, -heliocentric[0][1] * au_km, -heliocentric[0][2] * au_km};
}

bool dark_with_margin(const frames::Vec3& r_km, const frames::Vec3& sun_km, double margin_km) {
    const double sun_distance = std::sqrt(dot(sun_km, sun_km));
    const frames::Vec3 toward_sun{sun_km[0] / sun_distance, sun_km[1] / sun_distance, sun_km[2] / sun_distance};
    const double behind = -dot(r_km, toward_sun);
    if (!(behind > 0.0)) return false;
    const frames::Vec3 off_axis{r_km[0] + behind * toward_sun[0], r_km[1] + behind * toward_sun[1],
                                r_km[2] + behind * toward_sun[2]};
    const double umbra_radius = earth_polar_radius_km - behind * (sun_radius_km - earth_polar_radius_km) / sun_distance;
    return std::sqrt(dot(off_axis, off_axis)) + margin_km + refraction_reach * behind <= umbra_radius;
}

double shadow_sweep_km(double radius_km, double days) { return radius_km * sun_motion_rad_per_day * std::fabs(days); }

}  // namespace satveto::matching
