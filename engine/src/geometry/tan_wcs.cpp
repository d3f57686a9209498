// FITS TAN WCS (Calabretta & Greisen 2002, A&A 395, 1077: "Paper II").
//
// Pixel -> world in three steps, each as the paper writes it:
//   1. intermediate world coordinates (x, y) = CD (p - CRPIX), p the 1-based FITS pixel;
//   2. TAN deprojection to native spherical (phi, theta): R = sqrt(x^2 + y^2),
//      phi = arg(-y, x) = atan2(x, -y), theta = atan(1 / R) (R in radians; eq. 14 and 54);
//   3. native -> celestial rotation (eq. 2) with the native pole at (alpha_p, delta_p) =
//      CRVAL (zenithal projections have (phi_0, theta_0) = (0, 90 deg)) and phi_p = LONPOLE,
//      default 180 deg when delta_0 < theta_0 = 90 deg and 0 otherwise (section 2.4).
#include "geometry/tan_wcs.hpp"

#include "common/angles.hpp"

#include <cmath>
#include <limits>

namespace satveto::geometry {

namespace {


// Default LONPOLE (rad) of a zenithal projection.
double default_lonpole(const TanWcs& wcs) noexcept { return wcs.crval.dec >= common::half_pi ? 0.0 : common::pi; }

}  // namespace

TanWcs tan_wcs_from_degrees(double crval_ra_deg, double crval_dec_deg, Vec2 crpix,
                            const double (&cd_deg_per_pixel)[2][2]) noexcept {
    TanWcs wcs;
    wcs.crval = {crval_ra_deg * common::deg, crval_dec_deg * common::deg};
    wcs.crpix = crpix;
    for (int i = 0; i < 2; ++i) {
        for (int j = 0; j < 2; ++j) wcs.cd[i][j] = cd_deg_per_pixel[i][j] * common::deg;
    }
    return wcs;
}

RaDec wcs_pixel_to_sky(const TanWcs& wcs, Vec2 pixel0) noexcept {
    // 1. FITS pixels are 1-based.
    const double d1 = pixel0.x + 1.0 - wcs.crpix.x;
    const double d2 = pixel0.y + 1.0 - wcs.crpix.y;
    const double x = wcs.cd[0][0] * d1 + wcs.cd[0][1] * d2;
    const double y = wcs.cd[1][0] * d1 + wcs.cd[1][1] * d2;
    // 2. Native spherical: theta = atan(1 / R), so (cos theta, sin theta) = (R, 1) / sqrt(1 + R^2);
    //    no trigonometric call is needed.
    const double r = std::hypot(x, y);
    const double norm = std::hypot(1.0, r);
    const double sin_theta = 1.0 / norm;
    // sin(phi) = x / R, cos(phi) = -y / R; cos(theta) sin(phi) = x / norm etc. (defined at R = 0).
    const double cos_theta_sin_phi = x / norm;
    const double cos_theta_cos_phi = -y / norm;
    // 3. Rotate by phi_p: cos(phi - phi_p), sin(phi - phi_p) scaled by cos(theta).
    const double phi_p = default_lonpole(wcs);
    const double cp = std::cos(phi_p);
    const double sp = std::sin(phi_p);
    const double ct_cos_dphi = cos_theta_cos_phi * cp + cos_theta_sin_phi * sp;
    const double ct_sin_dphi = cos_theta_sin_phi * cp - cos_theta_cos_phi * sp;
    const double sin_dp = std::sin(wcs.crval.dec);
    const double cos_dp = std::cos(wcs.crval.dec);
    const double east = -ct_sin_dphi;
    const double north_x = sin_theta * cos_dp - ct_cos_dphi * sin_dp;
    const double z = sin_theta * sin_dp + ct_cos_dphi * cos_dp;
    return {common::wrap_two_pi(wcs.crval.ra + std::atan2(east, north_x)), std::atan2(z, std::hypot(east, north_x))};
}

Vec2 wcs_sky_to_pixel(const TanWcs& wcs, RaDec sky, bool* in_front) noexcept {
    const double nan = std::numeric_limits<double>::quiet_NaN();
    // Celestial -> native (Paper II eq. 5).
    const double dra = sky.ra - wcs.crval.ra;
    const double sin_d = std::sin(sky.dec);
    const double cos_d = std::cos(sky.dec);
    const double sin_dp = std::sin(wcs.crval.dec);
    const double cos_dp = std::cos(wcs.crval.dec);
    // cos(theta) sin(phi - phi_p), cos(theta) cos(phi - phi_p), sin(theta):
    const double ct_sin_dphi = -cos_d * std::sin(dra);
    const double ct_cos_dphi = sin_d * cos_dp - cos_d * sin_dp * std::cos(dra);
    const double sin_theta = sin_d * sin_dp + cos_d * cos_dp * std::cos(dra);
    const bool front = sin_theta > 0.0;
    if (in_front != nullptr) *in_front = front;
    if (!front) return {nan, nan};
    const double phi_p = default_lonpole(wcs);
    const double cp = std::cos(phi_p);
    const double sp = std::sin(phi_p);
    const double ct_sin_phi = ct_sin_dphi * cp + ct_cos_dphi * sp;
    const double ct_cos_phi = ct_cos_dphi * cp - ct_sin_dphi * sp;
    // TAN: R = cot(theta), x = R sin(phi), y = -R cos(phi).
    const double x = ct_sin_phi / sin_theta;
    const double y = -ct_cos_phi / sin_theta;
    const double det = wcs.cd[0][0] * wcs.cd[1][1] - wcs.cd[0][1] * wcs.cd[1][0];
    if (det == 0.0) return {nan, nan};
    const double d1 = (wcs.cd[1][1] * x - wcs.cd[0][1] * y) / det;
    const double d2 = (-wcs.cd[1][0] * x + wcs.cd[0][0] * y) / det;
    return {wcs.crpix.x + d1 - 1.0, wcs.crpix.y + d2 - 1.0};
}

}  // namespace satveto::geometry
