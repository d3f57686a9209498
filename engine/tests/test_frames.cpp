// Frames: the TEME -> topocentric GCRS chain (checked against an independent oracle in the
// Python suite; here, the properties that must hold whatever the reference).  Instants are TAI.
#include "common/angles.hpp"
#include "frames/frames.hpp"

#include <catch2/catch.hpp>

#include <cmath>

using namespace satveto::frames;
namespace common = satveto::common;

TEST_CASE("the TEME to GCRS rotation is orthonormal and small", "[frames]") {
    const FrameSnapshot frame(61365.25, rubin_site());
    const Mat3& m = frame.teme_to_gcrs();
    for (int i = 0; i < 3; ++i)
        for (int j = 0; j < 3; ++j) {
            double dot = 0;
            for (int k = 0; k < 3; ++k) dot += m[i][k] * m[j][k];
            REQUIRE(dot == Approx(i == j ? 1.0 : 0.0).margin(1e-14));
        }
    // 26 years of precession from J2000: the z axes differ by about 0.1 deg.
    const double tilt_deg = std::acos(m[2][2]) / common::deg;
    REQUIRE(tilt_deg > 0.05);
    REQUIRE(tilt_deg < 0.2);
}

TEST_CASE("a point straight above the site is seen at the zenith", "[frames]") {
    const Site site = rubin_site();
    const double mjd = 61365.25;
    const FrameSnapshot frame(mjd, site);
    const Vec3 s = frame.site_teme(mjd);
    const double r = std::sqrt(s[0] * s[0] + s[1] * s[1] + s[2] * s[2]);
    // The geocentric direction of the site differs from the geodetic vertical by ~0.17 deg
    // at latitude -30; a point 500 km further out along the geocentric direction is seen at
    // that angle from the zenith, within the same 0.2 deg.
    const Vec3 above{s[0] * (1 + 500 / r), s[1] * (1 + 500 / r), s[2] * (1 + 500 / r)};
    const Vec3 d = frame.topocentric_gcrs(above, mjd);
    const double range = std::sqrt(d[0] * d[0] + d[1] * d[1] + d[2] * d[2]);
    REQUIRE(range == Approx(500.0).margin(1e-6));
    double ra = 0, dec = 0;
    ra_dec_of(d, ra, dec);
    REQUIRE(dec / common::deg == Approx(-30.24).margin(0.25));  // zenith declination = latitude
}

TEST_CASE("the site turns once per sidereal day", "[frames]") {
    const FrameSnapshot frame(61365.25, rubin_site());
    const Vec3 a = frame.site_teme(61365.25);
    const Vec3 b = frame.site_teme(61365.25 + 0.99726957);  // one sidereal day later
    for (int k = 0; k < 3; ++k) REQUIRE(a[k] == Approx(b[k]).margin(1e-3));
}
