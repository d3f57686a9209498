#include "matching/coarse_ephemeris.hpp"

#include "common/angles.hpp"
#include "common/parallel.hpp"
#include "frames/time_scales.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace satveto::matching {

CoarseEphemeris CoarseEphemeris::build(const catalog::Catalog& catalog, double start_mjd_tai, double step_s,
                                       std::size_t steps, unsigned threads) {
    CoarseEphemeris e;
    e.start_mjd_ = start_mjd_tai;
    e.step_s_ = step_s;
    e.steps_ = steps;
    e.objects_ = catalog.objects;
    e.xyz_.assign(e.objects_ * steps, frames::Vec3{});
    std::vector<sgp4::StateVector> states(e.objects_);
    const double nan = std::numeric_limits<double>::quiet_NaN();
    for (std::size_t k = 0; k < steps; ++k) {
        catalog.batch.propagate_at(frames::mjd_utc_from_tai(e.time_of(k)), states, threads);
        for (std::size_t i = 0; i < e.objects_; ++i) {
            const sgp4::StateVector& s = states[i];
            e.xyz_[i * steps + k] =
                s.error == sgp4::ErrorCode::ok ? frames::Vec3{s.r_km[0], s.r_km[1], s.r_km[2]} : frames::Vec3{nan, nan, nan};
        }
    }
    return e;
}

double slowest_speed_km_s(const sgp4::Satellite& satellite) {
    constexpr double mu_km3_s2 = 398600.8;  // WGS-72, as the propagator
    const double n_rad_s = satellite.elements.mean_motion / 60.0;
    const double a_km = std::cbrt(mu_km3_s2 / (n_rad_s * n_rad_s));
    const double e = std::clamp(satellite.elements.eccentricity, 0.0, 0.999);
    return 0.9 * std::sqrt(mu_km3_s2 / a_km * (1.0 - e) / (1.0 + e));
}

void CoarseEphemeris::attach_cones(const frames::Site& site,
                                   std::shared_ptr<const frames::EarthOrientation> earth_orientation,
                                   unsigned threads) {
    cone_site_ = site;
    cone_orientation_ = std::move(earth_orientation);
    cones_.assign(xyz_.size(), ChordCone{});
    if (steps_ < 2) return;
    // Only sidereal time and polar motion matter for the site in TEME axes; one snapshot
    // serves the grid.
    const frames::FrameSnapshot frame(time_of(steps_ / 2), site, *cone_orientation_);
    std::vector<frames::Vec3> site_teme(steps_);
    for (std::size_t k = 0; k < steps_; ++k) site_teme[k] = frame.site_teme(time_of(k));
    const double deviation_km = chord_deviation_bound_km(step_s_);
    common::parallel_for(objects_, threads, [&](std::size_t begin, std::size_t end) {
        for (std::size_t i = begin; i < end; ++i)
            for (std::size_t k = 0; k + 1 < steps_; ++k) {
                const frames::Vec3& r0 = position(i, k);
                const frames::Vec3& r1 = position(i, k + 1);
                if (!std::isfinite(r0[0]) || !std::isfinite(r1[0])) continue;
                const frames::Vec3 p0{r0[0] - site_teme[k][0], r0[1] - site_teme[k][1], r0[2] - site_teme[k][2]};
                const frames::Vec3 p1{r1[0] - site_teme[k + 1][0], r1[1] - site_teme[k + 1][1],
                                      r1[2] - site_teme[k + 1][2]};
                const double l0 = std::sqrt(p0[0] * p0[0] + p0[1] * p0[1] + p0[2] * p0[2]);
                const double l1 = std::sqrt(p1[0] * p1[0] + p1[1] * p1[1] + p1[2] * p1[2]);
                const frames::Vec3 u0{p0[0] / l0, p0[1] / l0, p0[2] / l0};
                const frames::Vec3 u1{p1[0] / l1, p1[1] / l1, p1[2] / l1};
                frames::Vec3 c{u0[0] + u1[0], u0[1] + u1[1], u0[2] + u1[2]};
                const double lc = std::sqrt(c[0] * c[0] + c[1] * c[1] + c[2] * c[2]);
                // Closest approach of the chord to the site, less the chord bound.
                const frames::Vec3 d{p1[0] - p0[0], p1[1] - p0[1], p1[2] - p0[2]};
                const double d2 = d[0] * d[0] + d[1] * d[1] + d[2] * d[2];
                const double t = d2 > 0 ? std::clamp(-(p0[0] * d[0] + p0[1] * d[1] + p0[2] * d[2]) / d2, 0.0, 1.0) : 0.0;
                const double closest = std::sqrt(std::pow(p0[0] + t * d[0], 2) + std::pow(p0[1] + t * d[1], 2) +
                                                 std::pow(p0[2] + t * d[2], 2));
                const double range_lo = std::max(1.0, closest - deviation_km);
                ChordCone& cone = cones_[i * steps_ + k];
                cone.range_lo_km = static_cast<float>(range_lo);
                if (lc < 1e-9) continue;  // opposite directions: leave cos_half = -1 (any direction)
                const double cos_u = std::clamp(u0[0] * u1[0] + u0[1] * u1[1] + u0[2] * u1[2], -1.0, 1.0);
                const double half = 0.5 * std::acos(cos_u) + std::asin(std::min(1.0, deviation_km / range_lo)) +
                                    cone_float_allowance_rad;
                if (half >= common::pi) continue;
                cone.cx = static_cast<float>(c[0] / lc);
                cone.cy = static_cast<float>(c[1] / lc);
                cone.cz = static_cast<float>(c[2] / lc);
                cone.cos_half = static_cast<float>(std::cos(half));
                cone.sin_half = static_cast<float>(std::sin(half));
            }
    });
}

}  // namespace satveto::matching
