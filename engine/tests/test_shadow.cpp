// Earth's shadow for matching.require_sunlit: the umbra test against an independent
// eclipse-geometry check, and visits that leave out a dark object and keep a lit one.
#include "common/angles.hpp"
#include "methods/catalog_build.hpp"
#include "frames/frames.hpp"
#include "frames/time_scales.hpp"
#include "matching/precompute.hpp"
#include "matching/shadow.hpp"

#include <catch2/catch.hpp>
#include <msgpack.hpp>

#include <cmath>
#include <random>

using namespace satveto;
using frames::Vec3;

namespace {

double norm(const Vec3& v) { return std::sqrt(v[0] * v[0] + v[1] * v[1] + v[2] * v[2]); }

// Seen from r, does the Earth's disc (polar radius) cover the whole Sun?  Angular radii and the
// separation of the two centres.
bool sun_fully_hidden(const Vec3& r, const Vec3& sun) {
    const Vec3 to_sun{sun[0] - r[0], sun[1] - r[1], sun[2] - r[2]};
    const Vec3 to_earth{-r[0], -r[1], -r[2]};
    const double sun_radius = std::asin(696000.0 / norm(to_sun));
    const double earth_radius = std::asin(std::min(1.0, 6356.75 / norm(to_earth)));
    const double separation = std::acos(std::clamp(
        (to_sun[0] * to_earth[0] + to_sun[1] * to_earth[1] + to_sun[2] * to_earth[2]) / (norm(to_sun) * norm(to_earth)),
        -1.0, 1.0));
    return separation + sun_radius <= earth_radius;
}

}  // namespace

TEST_CASE("the umbra test never calls a point dark that sees any of the Sun", "[shadow]") {
    const Vec3 sun = matching::sun_geocentric_km(61365.25);
    REQUIRE(norm(sun) == Approx(1.476e8).epsilon(0.01));  // late November
    const Vec3 away{-sun[0] / norm(sun), -sun[1] / norm(sun), -sun[2] / norm(sun)};
    // Straight behind the Earth: dark at LEO and GEO distances, with room to spare.
    REQUIRE(matching::dark_with_margin({7000 * away[0], 7000 * away[1], 7000 * away[2]}, sun, 1000.0));
    REQUIRE(matching::dark_with_margin({42164 * away[0], 42164 * away[1], 42164 * away[2]}, sun, 1000.0));
    // On the Sun's side, never.
    REQUIRE_FALSE(matching::dark_with_margin({-7000 * away[0], -7000 * away[1], -7000 * away[2]}, sun, 0.0));
    std::mt19937 rng(12);
    std::uniform_real_distribution<double> u(-1.0, 1.0);
    std::uniform_real_distribution<double> radius(6500.0, 50000.0);
    int dark = 0;
    for (int i = 0; i < 200000; ++i) {
        Vec3 d{u(rng), u(rng), u(rng)};
        // Bias half the points toward the shadow so that both outcomes are well sampled.
        if (i % 2) d = {away[0] + 0.1 * d[0], away[1] + 0.1 * d[1], away[2] + 0.1 * d[2]};
        const double n = norm(d), r = radius(rng);
        const Vec3 p{d[0] / n * r, d[1] / n * r, d[2] / n * r};
        if (matching::dark_with_margin(p, sun, 0.0)) {
            ++dark;
            REQUIRE(sun_fully_hidden(p, sun));
        }
    }
    REQUIRE(dark > 10000);
}

TEST_CASE("a point dark with a margin has every point within the margin fully hidden", "[shadow]") {
    // The margin is how far an object may be from where it is computed: it must stay dark
    // anywhere within it.  The worst place is straight away from the shadow's axis.
    const Vec3 sun = matching::sun_geocentric_km(61365.25);
    const Vec3 away{-sun[0] / norm(sun), -sun[1] / norm(sun), -sun[2] / norm(sun)};
    constexpr double margin_km = 1000.0;
    std::mt19937 rng(7);
    std::uniform_real_distribution<double> u(-1.0, 1.0);
    std::uniform_real_distribution<double> radius(6500.0, 50000.0);
    int dark = 0;
    for (int i = 0; i < 50000; ++i) {
        const Vec3 d{away[0] + 0.2 * u(rng), away[1] + 0.2 * u(rng), away[2] + 0.2 * u(rng)};
        const double n = norm(d), r = radius(rng);
        const Vec3 p{d[0] / n * r, d[1] / n * r, d[2] / n * r};
        if (!matching::dark_with_margin(p, sun, margin_km)) continue;
        ++dark;
        const double along = p[0] * away[0] + p[1] * away[1] + p[2] * away[2];
        const Vec3 off{p[0] - along * away[0], p[1] - along * away[1], p[2] - along * away[2]};
        const double rho = norm(off);
        const double step = rho > 0.0 ? 0.999 * margin_km / rho : 0.0;
        const Vec3 q{p[0] + step * off[0], p[1] + step * off[1], p[2] + step * off[2]};
        REQUIRE(sun_fully_hidden(q, sun));
        REQUIRE(matching::dark_with_margin(q, sun, 0.0));
    }
    REQUIRE(dark > 1000);
}

namespace {

std::shared_ptr<catalog::Catalog> one_leo(double raan_deg, double mean_anomaly_deg) {
    msgpack::sbuffer buffer;
    msgpack::packer<msgpack::sbuffer> p(buffer);
    p.pack_array(1);
    p.pack_map(11);
    p.pack("NORAD_CAT_ID");
    p.pack(40001);
    p.pack("EPOCH");
    p.pack("2026-06-20T12:00:00");
    p.pack("MEAN_MOTION");
    p.pack(14.2);
    p.pack("ECCENTRICITY");
    p.pack(0.001);
    p.pack("INCLINATION");
    p.pack(98.0);
    p.pack("RA_OF_ASC_NODE");
    p.pack(raan_deg);
    p.pack("ARG_OF_PERICENTER");
    p.pack(90.0);
    p.pack("MEAN_ANOMALY");
    p.pack(mean_anomaly_deg);
    p.pack("BSTAR");
    p.pack(1e-5);
    p.pack("MEAN_MOTION_DOT");
    p.pack(0.0);
    p.pack("MEAN_MOTION_DDOT");
    p.pack(0.0);
    const msgpack::object_handle h = msgpack::unpack(buffer.data(), buffer.size());
    return engine::build_catalog(h.get(), "shadow", 0.0, 1).catalog;
}

}  // namespace

TEST_CASE("require_sunlit leaves out an object dark all visit long and keeps a lit one", "[shadow][matching]") {
    // Rubin in June: at 04:30 UTC, the middle of the night, a LEO pass high in the sky deep in
    // the umbra; at 23:30 UTC, early in the night, a pass in sunlight.
    for (const bool want_dark : {true, false}) {
        const double mid_tai = frames::mjd_tai_from_utc(want_dark ? 61212.0 + 4.5 / 24.0 : 61211.0 + 23.5 / 24.0);
        const frames::FrameSnapshot frame(mid_tai, frames::rubin_site());
        const Vec3 sun = matching::sun_geocentric_km(mid_tai);
        std::shared_ptr<catalog::Catalog> found;
        double best = INFINITY;
        for (int raan = 0; raan < 360; raan += 10)
            for (int anomaly = 0; anomaly < 360; anomaly += 5) {
                auto c = one_leo(raan, anomaly);
                const sgp4::Satellite& s = c->satellites[0];
                const auto state = sgp4::propagate(s, sgp4::minutes_since_epoch(s, frames::mjd_utc_from_tai(mid_tai)));
                const Vec3 r{state.r_km[0], state.r_km[1], state.r_km[2]};
                Vec3 g{};
                for (int i = 0; i < 3; ++i)
                    for (int j = 0; j < 3; ++j) g[i] += frame.teme_to_gcrs()[i][j] * r[j];
                // Dark with room to spare, or plainly lit (not even dark with a negative margin).
                const bool ok = want_dark ? matching::dark_with_margin(g, sun, 300.0)
                                          : !matching::dark_with_margin(g, sun, -500.0);
                const double range = norm(frame.topocentric_gcrs(r, mid_tai));
                if (ok && range < best) {
                    best = range;
                    found = c;
                }
            }
        REQUIRE(best < 1500.0);
        const sgp4::Satellite& s = found->satellites[0];
        const auto state = sgp4::propagate(s, sgp4::minutes_since_epoch(s, frames::mjd_utc_from_tai(mid_tai)));
        double ra = 0, dec = 0;
        frames::ra_dec_of(frame.star_frame_gcrs({state.r_km[0], state.r_km[1], state.r_km[2]},
                                                {state.v_km_s[0], state.v_km_s[1], state.v_km_s[2]}, mid_tai),
                          ra, dec);
        matching::VisitParams params;
        params.visit_id = 7;
        params.exposure_start_mjd = mid_tai - 15.0 / 86400.0;
        params.exposure_end_mjd = mid_tai + 15.0 / 86400.0;
        params.boresight_ra_deg = ra / common::deg;
        params.boresight_dec_deg = dec / common::deg;
        const auto table = std::make_shared<const frames::EarthOrientation>();
        const matching::ToleranceModel tolerance;
        const auto every = matching::precompute_visit(*found, params, tolerance, frames::rubin_site(), table, nullptr,
                                                      1, false);
        const auto sunlit_only = matching::precompute_visit(*found, params, tolerance, frames::rubin_site(), table,
                                                            nullptr, 1, true);
        REQUIRE(every.candidate_ids.size() == 1);  // off by default: vetoed lit or not
        REQUIRE_FALSE(every.segments.empty());
        if (want_dark) {
            REQUIRE(sunlit_only.skipped_dark == 1);
            REQUIRE(sunlit_only.candidate_ids.empty());
            REQUIRE(sunlit_only.segments.empty());
        } else {
            REQUIRE(sunlit_only.skipped_dark == 0);
            REQUIRE(sunlit_only.segments.size() == every.segments.size());
        }
    }
}
