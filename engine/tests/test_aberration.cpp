// The star-frame direction: the engine's first-order form (frames/star_frame.hpp) against the
// full ERFA chain of docs/design.md, written out here step by step: light time by re-propagating
// the satellite at the retarded instant, diurnal aberration with eraAb and the site's
// velocity, then stellar aberration inverted with the observer's barycentric velocity by
// iterating eraAb.
#include "common/angles.hpp"
#include "frames/frames.hpp"
#include "frames/star_frame.hpp"
#include "frames/time_scales.hpp"
#include "sgp4/sgp4.hpp"

#include <catch2/catch.hpp>
#include <erfa.h>

#include <cmath>

using namespace satveto;
using frames::Vec3;

namespace {

using satveto::common::mas;
constexpr double c_km_s = 299792.458;
constexpr double au_km = 149597870.7;

Vec3 unit(const Vec3& v) {
    const double n = std::sqrt(v[0] * v[0] + v[1] * v[1] + v[2] * v[2]);
    return {v[0] / n, v[1] / n, v[2] / n};
}
double angle(const Vec3& a, const Vec3& b) {
    const Vec3 u = unit(a), v = unit(b);
    const Vec3 x{u[1] * v[2] - u[2] * v[1], u[2] * v[0] - u[0] * v[2], u[0] * v[1] - u[1] * v[0]};
    return std::atan2(std::sqrt(x[0] * x[0] + x[1] * x[1] + x[2] * x[2]), u[0] * v[0] + u[1] * v[1] + u[2] * v[2]);
}
Vec3 rotate(const frames::Mat3& m, const Vec3& v) {
    return {m[0][0] * v[0] + m[0][1] * v[1] + m[0][2] * v[2], m[1][0] * v[0] + m[1][1] * v[1] + m[1][2] * v[2],
            m[2][0] * v[0] + m[2][1] * v[1] + m[2][2] * v[2]};
}

// eraAb for an observer velocity `v_km_s` (BCRS, km/s) at `sun_distance_au`.
Vec3 aberrate(const Vec3& direction, const Vec3& v_km_s, double sun_distance_au) {
    double pnat[3] = {direction[0], direction[1], direction[2]};
    double beta[3] = {v_km_s[0] / c_km_s, v_km_s[1] / c_km_s, v_km_s[2] / c_km_s};
    const double bm1 = std::sqrt(1.0 - (beta[0] * beta[0] + beta[1] * beta[1] + beta[2] * beta[2]));
    double ppr[3];
    eraAb(pnat, beta, sun_distance_au, bm1, ppr);
    return {ppr[0], ppr[1], ppr[2]};
}

struct Orbit {
    const char* name;
    double mean_motion, eccentricity, inclination, arg_perigee;
};

// The rigorous star-frame direction of `satellite` at `mjd_tai`.
Vec3 full_chain(const sgp4::Satellite& satellite, const frames::FrameSnapshot& frame, double mjd_tai) {
    auto teme_at = [&](double t_tai) {
        const auto s = sgp4::propagate(satellite, sgp4::minutes_since_epoch(satellite, frames::mjd_utc_from_tai(t_tai)));
        return Vec3{s.r_km[0], s.r_km[1], s.r_km[2]};
    };
    const Vec3 site = frame.site_teme(mjd_tai);
    // 1. light time: the satellite where it was when the light left it.
    double tau_s = 0.0;
    Vec3 p{};
    for (int i = 0; i < 4; ++i) {
        const Vec3 r = teme_at(mjd_tai - tau_s / 86400.0);
        p = rotate(frame.teme_to_gcrs(), {r[0] - site[0], r[1] - site[1], r[2] - site[2]});
        tau_s = std::sqrt(p[0] * p[0] + p[1] * p[1] + p[2] * p[2]) / c_km_s;
    }
    // The site's geocentric velocity, by differencing its position over +-0.5 s.
    const Vec3 s0 = frame.site_teme(mjd_tai - 0.5 / 86400.0), s1 = frame.site_teme(mjd_tai + 0.5 / 86400.0);
    const Vec3 v_site = rotate(frame.teme_to_gcrs(), {s1[0] - s0[0], s1[1] - s0[1], s1[2] - s0[2]});
    // The Earth's barycentric velocity and the Sun's distance, from eraEpv00 directly.
    const double tt = mjd_tai + frames::tt_minus_tai_s / 86400.0;
    double pvh[2][3], pvb[2][3];
    eraEpv00(2400000.5, tt, pvh, pvb);
    const double sun_au = std::sqrt(pvh[0][0] * pvh[0][0] + pvh[0][1] * pvh[0][1] + pvh[0][2] * pvh[0][2]);
    const Vec3 v_earth{pvb[1][0] * au_km / 86400.0, pvb[1][1] * au_km / 86400.0, pvb[1][2] * au_km / 86400.0};
    // 2. diurnal aberration: the apparent direction for the site moving about the geocentre.
    const Vec3 apparent = aberrate(unit(p), v_site, sun_au);
    // 3. the star whose light, aberrated for the observer's barycentric velocity, arrives from
    //    the same apparent direction: eraAb inverted by fixed-point iteration.
    const Vec3 v_observer{v_earth[0] + v_site[0], v_earth[1] + v_site[1], v_earth[2] + v_site[2]};
    Vec3 star = apparent;
    for (int i = 0; i < 6; ++i) {
        const Vec3 seen = aberrate(star, v_observer, sun_au);
        star = unit({star[0] + apparent[0] - seen[0], star[1] + apparent[1] - seen[1], star[2] + apparent[2] - seen[2]});
    }
    return star;
}

}  // namespace

TEST_CASE("the star-frame direction agrees with the full ERFA chain within 5 mas", "[frames][aberration]") {
    const Orbit orbits[] = {{"LEO", 15.2, 0.001, 53.0, 90.0},
                            {"GNSS", 2.0056, 0.01, 55.0, 0.0},
                            {"GEO", 1.0027, 0.0002, 0.05, 0.0},
                            {"Molniya", 2.006, 0.72, 63.4, 270.0}};
    double worst_mas = 0.0, largest_offset = 0.0;
    // Dates spread over a year: the Earth's velocity turns through every direction.
    for (int month = 0; month < 12; ++month) {
        const double mjd_tai = 61041.3 + 30.4 * month;  // from 2026-01-01
        const frames::FrameSnapshot frame(mjd_tai, frames::rubin_site());
        for (const Orbit& o : orbits)
            for (int phase = 0; phase < 360; phase += 45) {
                sgp4::OmmElements omm;
                omm.norad_cat_id = 1;
                // Epoch a day before the instant (ISO UTC).
                int y, m, d;
                double f;
                eraJd2cal(2400000.5, std::floor(mjd_tai) - 1.0, &y, &m, &d, &f);
                char epoch[40];
                std::snprintf(epoch, sizeof epoch, "%04d-%02d-%02dT06:00:00", y, m, d);
                omm.epoch = epoch;
                omm.mean_motion = o.mean_motion;
                omm.eccentricity = o.eccentricity;
                omm.inclination = o.inclination;
                omm.ra_of_asc_node = 30.0 * month;
                omm.arg_of_pericenter = o.arg_perigee;
                omm.mean_anomaly = phase;
                const auto satellite = sgp4::init_satellite(omm);
                REQUIRE(satellite);
                const auto s = sgp4::propagate(
                    *satellite, sgp4::minutes_since_epoch(*satellite, frames::mjd_utc_from_tai(mjd_tai)));
                REQUIRE(s.error == sgp4::ErrorCode::ok);
                const Vec3 r{s.r_km[0], s.r_km[1], s.r_km[2]}, v{s.v_km_s[0], s.v_km_s[1], s.v_km_s[2]};
                const Vec3 fast = frame.star_frame_gcrs(r, v, mjd_tai);
                const Vec3 rigorous = full_chain(*satellite, frame, mjd_tai);
                const double error = angle(fast, rigorous);
                worst_mas = std::max(worst_mas, error / mas);
                REQUIRE(error < 5.0 * mas);
                // And the offset from the geometric direction stays within its stated bound.
                const double offset = angle(fast, frame.topocentric_gcrs(r, mjd_tai));
                largest_offset = std::max(largest_offset, offset);
                REQUIRE(offset <= frames::star_frame_offset_bound_rad(frame.earth_speed_km_s()));
            }
    }
    INFO("worst difference " << worst_mas << " mas; largest offset " << largest_offset / (mas * 1000) << " arcsec");
    CHECK(worst_mas < 5.0);
    // The effect is real: ~20" of annual aberration, plus the light time.
    REQUIRE(largest_offset > 15.0 * 1000 * mas);
}

TEST_CASE("the engine's Earth velocity is eraEpv00's", "[frames][aberration]") {
    const double mjd_tai = 61200.0;
    const frames::FrameSnapshot frame(mjd_tai, frames::rubin_site());
    double pvh[2][3], pvb[2][3];
    eraEpv00(2400000.5, mjd_tai + 20.0 / 86400.0 + frames::tt_minus_tai_s / 86400.0, pvh, pvb);
    const Vec3 v = frame.earth_velocity_km_s(mjd_tai + 20.0 / 86400.0);
    for (int i = 0; i < 3; ++i) REQUIRE(v[i] == Approx(pvb[1][i] * au_km / 86400.0).margin(1e-6));
    REQUIRE(frame.earth_speed_km_s() == Approx(29.8).margin(0.8));
}
