// Gnomonic projection, tangent-plane distance distortion and the FITS TAN WCS.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <random>

#include "common/angles.hpp"
#include "geometry/gnomonic.hpp"
#include "geometry/tan_wcs.hpp"

namespace geo = satveto::geometry;

namespace {

using satveto::common::arcsec;
using satveto::common::deg;
using satveto::common::pi;

// Uniform random direction on the sphere.
geo::RaDec random_direction(std::mt19937_64& rng) {
    std::uniform_real_distribution<double> u(0.0, 1.0);
    return {2 * pi * u(rng), std::asin(2 * u(rng) - 1)};
}

// A direction at angular distance rho and position angle pa from `center` (independent of
// tangent_to_sky: spherical trigonometry of the direct geodesic problem).
geo::RaDec offset_direction(geo::RaDec c, double rho, double pa) {
    const double dec = std::asin(std::sin(c.dec) * std::cos(rho) + std::cos(c.dec) * std::sin(rho) * std::cos(pa));
    const double dra = std::atan2(std::sin(pa) * std::sin(rho) * std::cos(c.dec),
                                  std::cos(rho) - std::sin(c.dec) * std::sin(dec));
    double ra = std::fmod(c.ra + dra, 2 * pi);
    if (ra < 0) ra += 2 * pi;
    return {ra, dec};
}

}  // namespace

TEST_CASE("gnomonic projection: definition, round trips, hemisphere", "[geometry]") {
    SECTION("xi toward East, eta toward North, |(xi, eta)| = tan(distance)") {
        const geo::RaDec c{150.0 * deg, -30.0 * deg};
        bool front = false;
        const geo::Vec2 north = geo::sky_to_tangent({c.ra, c.dec + 1.0 * deg}, c, &front);
        CHECK(front);
        CHECK(north.x == Approx(0.0).margin(1e-15));
        CHECK(north.y == Approx(std::tan(1.0 * deg)).epsilon(1e-13));
        const geo::Vec2 east = geo::sky_to_tangent({c.ra + 0.01, c.dec}, c, nullptr);
        CHECK(east.x > 0.0);
        std::mt19937_64 rng(1);
        std::uniform_real_distribution<double> u(0.0, 1.0);
        for (int i = 0; i < 500; ++i) {
            const double rho = 3.0 * deg * u(rng);
            const double pa = 2 * pi * u(rng);
            const geo::Vec2 t = geo::sky_to_tangent(offset_direction(c, rho, pa), c, nullptr);
            CHECK(std::hypot(t.x, t.y) == Approx(std::tan(rho)).margin(1e-15).epsilon(1e-11));
            if (rho > 1e-6) {
                CHECK(std::remainder(std::atan2(t.x, t.y) - pa, 2 * pi) == Approx(0.0).margin(1e-9));
            }
        }
    }
    SECTION("round trips everywhere, including the poles and RA 0/360") {
        std::mt19937_64 rng(2);
        std::uniform_real_distribution<double> u(0.0, 1.0);
        const geo::RaDec special[] = {{0.0, 0.0},     {2 * pi - 1e-9, 0.3}, {1.0, pi / 2},
                                      {4.0, -pi / 2}, {0.0, pi / 2 - 1e-7}, {3.0, -pi / 2 + 1e-9}};
        for (int i = 0; i < 3000; ++i) {
            const geo::RaDec c = i < 6 ? special[i] : random_direction(rng);
            const geo::RaDec p = offset_direction(c, 5.0 * deg * u(rng), 2 * pi * u(rng));
            bool front = false;
            const geo::Vec2 t = geo::sky_to_tangent(p, c, &front);
            REQUIRE(front);
            const geo::RaDec back = geo::tangent_to_sky(t, c);
            CHECK(geo::angular_separation(back, p) < 1e-13);
            CHECK(back.ra >= 0.0);
            CHECK(back.ra < 2 * pi);
            const geo::Vec2 t2 = geo::sky_to_tangent(geo::tangent_to_sky(t, c), c, nullptr);
            CHECK(std::hypot(t2.x - t.x, t2.y - t.y) < 1e-13);
        }
    }
    SECTION("the far hemisphere is refused") {
        const geo::RaDec c{1.0, 0.5};
        bool front = true;
        const geo::Vec2 t = geo::sky_to_tangent({1.0 + pi, -0.5}, c, &front);
        CHECK_FALSE(front);
        CHECK(std::isnan(t.x));
        CHECK(std::isnan(t.y));
        geo::sky_to_tangent(offset_direction(c, 90.5 * deg, 1.0), c, &front);
        CHECK_FALSE(front);
        geo::sky_to_tangent(offset_direction(c, 89.5 * deg, 1.0), c, &front);
        CHECK(front);
    }
    SECTION("angular separation") {
        CHECK(geo::angular_separation({0.0, 0.0}, {pi, 0.0}) == Approx(pi));
        CHECK(geo::angular_separation({0.3, pi / 2}, {2.0, pi / 2}) == Approx(0.0).margin(1e-15));
        CHECK(geo::angular_separation({1.0, 0.2}, {1.0, 0.2 + 1e-10}) == Approx(1e-10).epsilon(1e-6));
    }
}

TEST_CASE("tangent-plane distances overstate angles by at most sec^2(radius)", "[geometry]") {
    const double radius = 2.2 * deg;
    const geo::SeparationRatioBounds b = geo::tangent_separation_ratio_bounds(radius);
    CHECK(b.max == 1.0);
    CHECK(b.min == Approx(0.998526).margin(1e-6));
    CHECK(b.min == Approx(std::cos(radius) * std::cos(radius)).epsilon(1e-15));
    std::mt19937_64 rng(5);
    std::uniform_real_distribution<double> u(0.0, 1.0);
    double lowest = 1.0;
    double highest = 0.0;
    for (int i = 0; i < 20000; ++i) {
        const geo::RaDec c = random_direction(rng);
        // Uniform over the cap's area, plus pairs on the rim (where the bound is reached).
        const double rho1 = i % 4 == 0 ? radius : radius * std::sqrt(u(rng));
        const double rho2 = i % 4 == 0 ? radius : radius * std::sqrt(u(rng));
        const geo::RaDec p1 = offset_direction(c, rho1, 2 * pi * u(rng));
        const geo::RaDec p2 = i % 8 == 0 ? offset_direction(p1, 1e-3 * u(rng), 2 * pi * u(rng))
                                         : offset_direction(c, rho2, 2 * pi * u(rng));
        if (geo::angular_separation(c, p2) > radius) continue;
        const geo::Vec2 t1 = geo::sky_to_tangent(p1, c, nullptr);
        const geo::Vec2 t2 = geo::sky_to_tangent(p2, c, nullptr);
        const double tangent = std::hypot(t1.x - t2.x, t1.y - t2.y);
        const double angle = geo::angular_separation(p1, p2);
        if (tangent < 1e-9) continue;  // ratio dominated by rounding
        const double ratio = angle / tangent;
        CHECK(ratio <= b.max * (1 + 1e-9));
        CHECK(ratio >= b.min * (1 - 1e-9));
        lowest = std::min(lowest, ratio);
        highest = std::max(highest, ratio);
    }
    // The extremes are approached: radial pairs at the rim (cos^2) and pairs at the centre (1).
    CHECK(lowest < b.min + 2e-4);
    CHECK(highest > 1.0 - 2e-4);
}

TEST_CASE("TAN WCS pixel -> sky agrees with astropy.wcs", "[geometry]") {
    struct Case {
        double crval[2];
        double crpix[2];
        double cd[2][2];
        double pixel0[2];
        double want_ra_deg, want_dec_deg;
    };
    // Produced with astropy 8.0.2 (wcslib):
    //   w = astropy.wcs.WCS(naxis=2); w.wcs.ctype = ["RA---TAN", "DEC--TAN"]
    //   w.wcs.crval, w.wcs.crpix, w.wcs.cd = crval, crpix, numpy.array(cd); w.wcs.set()
    //   ra, dec = w.all_pix2world([pixel0], 0)[0]     # origin 0: 0-based pixels
    const Case cases[] = {
        {{150.2, -30.1},
         {2036.0, 2000.0},
         {{-5.5e-05, 0.0}, {0.0, 5.5e-05}},
         {1000.0, 2000.0},
         150.26579766494797,
         -30.099928607686806},
        {{150.2, -30.1}, {2036.0, 2000.0}, {{-5.5e-05, 0.0}, {0.0, 5.5e-05}}, {0.0, 0.0}, 150.32951426162393, -30.209881214040728},
        {{150.2, -30.1},
         {2036.0, 2000.0},
         {{-5.5e-05, 0.0}, {0.0, 5.5e-05}},
         {4071.0, 3999.0},
         150.0707101174383,
         -29.98993698278271},
        {{359.9, -89.5},
         {-100.5, 4200.25},
         {{3.1e-05, -4.7e-05}, {4.6e-05, 3.2e-05}},
         {0.0, 0.0},
         28.335347916284547,
         -89.57890531080317},
        {{359.9, -89.5},
         {-100.5, 4200.25},
         {{3.1e-05, -4.7e-05}, {4.6e-05, 3.2e-05}},
         {2000.0, 1000.0},
         23.45741345379264,
         -89.46076992110576},
        {{0.05, 45.0}, {1.0, 1.0}, {{-5e-05, 1e-06}, {2e-06, 5.5e-05}}, {4000.0, -3000.0}, 359.7637015417735, 44.842642749172875},
        {{0.05, 45.0}, {1.0, 1.0}, {{-5e-05, 1e-06}, {2e-06, 5.5e-05}}, {-20000.0, 15000.0}, 1.505053618169753, 45.77571537646646},
        {{210.0, 89.99},
         {2048.5, 2002.5},
         {{0.0, 5.5e-05}, {5.5e-05, 0.0}},
         {100.0, 3900.0},
         251.72019512869454,
         89.84309797545669},
        // CRVAL exactly at the pole: LONPOLE defaults to 0 there (not 180).
        {{33.3, 90.0}, {1.0, 1.0}, {{-0.001, 0.0}, {0.0, 0.001}}, {100.0, 0.0}, 123.30000000000001, 89.90000010153895},
        {{33.3, 90.0}, {1.0, 1.0}, {{-0.001, 0.0}, {0.0, 0.001}}, {0.0, 100.0}, 33.30000000000001, 89.90000010153895},
    };
    for (const Case& c : cases) {
        const geo::TanWcs wcs = geo::tan_wcs_from_degrees(c.crval[0], c.crval[1], {c.crpix[0], c.crpix[1]}, c.cd);
        const geo::RaDec got = geo::wcs_pixel_to_sky(wcs, {c.pixel0[0], c.pixel0[1]});
        const geo::RaDec want{c.want_ra_deg * deg, c.want_dec_deg * deg};
        INFO("crval " << c.crval[0] << "," << c.crval[1] << " pixel " << c.pixel0[0] << "," << c.pixel0[1]);
        CHECK(geo::angular_separation(got, want) / arcsec < 1e-6);
        CHECK(got.dec / deg == Approx(c.want_dec_deg).margin(1e-10));
        // Back to the pixel.
        bool front = false;
        const geo::Vec2 back = geo::wcs_sky_to_pixel(wcs, got, &front);
        CHECK(front);
        CHECK(back.x == Approx(c.pixel0[0]).margin(1e-6));
        CHECK(back.y == Approx(c.pixel0[1]).margin(1e-6));
    }
}

TEST_CASE("TAN WCS: CRPIX is 1-based, and it matches the gnomonic projection", "[geometry]") {
    const double cd[2][2] = {{-5.5e-5, 0.0}, {0.0, 5.5e-5}};
    const geo::TanWcs wcs = geo::tan_wcs_from_degrees(150.2, -30.1, {2036.0, 2000.0}, cd);
    const geo::RaDec ref = geo::wcs_pixel_to_sky(wcs, {2035.0, 1999.0});
    CHECK(ref.ra / deg == Approx(150.2).epsilon(1e-15));
    CHECK(ref.dec / deg == Approx(-30.1).epsilon(1e-15));
    // With LONPOLE 180, intermediate coordinates are the standard coordinates (xi, eta).
    std::mt19937_64 rng(9);
    std::uniform_real_distribution<double> u(-5000.0, 5000.0);
    for (int i = 0; i < 200; ++i) {
        const double cdr[2][2] = {{u(rng) * 1e-8, u(rng) * 1e-8}, {u(rng) * 1e-8, u(rng) * 1e-8}};
        const geo::TanWcs w = geo::tan_wcs_from_degrees(360.0 * (u(rng) + 5000.0) / 10000.0, 89.0 * u(rng) / 5000.0,
                                                        {u(rng), u(rng)}, cdr);
        const geo::Vec2 p{u(rng), u(rng)};
        const double d1 = p.x + 1.0 - w.crpix.x;
        const double d2 = p.y + 1.0 - w.crpix.y;
        const geo::Vec2 xi_eta{w.cd[0][0] * d1 + w.cd[0][1] * d2, w.cd[1][0] * d1 + w.cd[1][1] * d2};
        const geo::RaDec a = geo::wcs_pixel_to_sky(w, p);
        const geo::RaDec b = geo::tangent_to_sky(xi_eta, w.crval);
        CHECK(geo::angular_separation(a, b) < 1e-13);
        bool front = false;
        const geo::Vec2 back = geo::wcs_sky_to_pixel(w, a, &front);
        REQUIRE(front);
        CHECK(back.x == Approx(p.x).margin(1e-6));
        CHECK(back.y == Approx(p.y).margin(1e-6));
    }
    bool front = true;
    const geo::Vec2 behind = geo::wcs_sky_to_pixel(wcs, {wcs.crval.ra + pi, -wcs.crval.dec}, &front);
    CHECK_FALSE(front);
    CHECK(std::isnan(behind.x));
}
