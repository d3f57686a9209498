#include "geometry/wcs_plausibility.hpp"

#include "common/angles.hpp"
#include "geometry/gnomonic.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace satveto::geometry {
namespace {


Vec2 centre_pixel(const Detector& d) noexcept { return {0.5 * (d.n_pix_x - 1), 0.5 * (d.n_pix_y - 1)}; }

// Finite-difference step: a quarter of the shorter side, long enough that rounding does not
// matter, short enough that the camera's distortion is linear over it.
double step_pixels(const Detector& d) noexcept { return 0.25 * static_cast<double>(std::min(d.n_pix_x, d.n_pix_y)); }

// The local frame of any pixel -> sky map `to_sky`, by central differences about the centre.
template <class ToSky>
LocalFrame local_frame(const Detector& d, ToSky to_sky) noexcept {
    const Vec2 c = centre_pixel(d);
    const double h = step_pixels(d);
    LocalFrame frame;
    frame.center = to_sky(c);
    const Vec2 offsets[2] = {{h, 0.0}, {0.0, h}};
    for (int column = 0; column < 2; ++column) {
        const Vec2 o = offsets[column];
        const Vec2 plus = sky_to_tangent(to_sky({c.x + o.x, c.y + o.y}), frame.center, nullptr);
        const Vec2 minus = sky_to_tangent(to_sky({c.x - o.x, c.y - o.y}), frame.center, nullptr);
        frame.jacobian[0][column] = (plus.x - minus.x) / (2.0 * h);
        frame.jacobian[1][column] = (plus.y - minus.y) / (2.0 * h);
    }
    return frame;
}

double determinant(const double (&m)[2][2]) noexcept { return m[0][0] * m[1][1] - m[0][1] * m[1][0]; }

// printf-style formatting of the refusal sentences (every argument a double).
template <class... Doubles>
std::string sentence(const char* format, Doubles... values) {
    char text[256];
    std::snprintf(text, sizeof text, format, values...);
    return text;
}

}  // namespace

LocalFrame wcs_local_frame(const TanWcs& wcs, const Detector& detector) noexcept {
    return local_frame(detector, [&](Vec2 pixel) { return wcs_pixel_to_sky(wcs, pixel); });
}

LocalFrame camera_local_frame(const Detector& detector, RaDec boresight, double rotation_rad) noexcept {
    return local_frame(detector,
                       [&](Vec2 pixel) { return camera_pixel_to_sky(detector, pixel, boresight, rotation_rad); });
}

std::optional<std::string> wcs_disagreement(const TanWcs& wcs, const Detector& detector, RaDec boresight,
                                            std::optional<double> rotation_rad) {
    const double field_deg = std::atan(camera_field_radius_rad()) / common::deg;
    const double crval_deg = angular_separation(wcs.crval, boresight) / common::deg;
    if (!(crval_deg <= field_deg + wcs_crval_margin_deg))
        return sentence("wcs: crval is %.3f deg from the boresight, beyond the camera's field (%.3f deg + %.1f deg)",
                        crval_deg, field_deg, wcs_crval_margin_deg);

    const LocalFrame ours = wcs_local_frame(wcs, detector);
    // Scale and parity do not depend on the rotation: rotation 0 serves when none is registered.
    const LocalFrame camera = camera_local_frame(detector, boresight, rotation_rad.value_or(0.0));
    const double det_wcs = determinant(ours.jacobian);
    const double det_camera = determinant(camera.jacobian);
    if (!std::isfinite(det_wcs) || !std::isfinite(ours.center.ra) || !std::isfinite(ours.center.dec))
        return "wcs: does not map the detector's centre to the sky";
    const double scale_wcs = std::sqrt(std::fabs(det_wcs)) / common::arcsec;
    const double scale_camera = std::sqrt(std::fabs(det_camera)) / common::arcsec;
    if (!(std::fabs(scale_wcs / scale_camera - 1.0) <= wcs_scale_tolerance))
        return sentence("wcs: pixel scale %.4g arcsec, the camera's is %.4f arcsec at this detector (tolerance %.0f %%)",
                        scale_wcs, scale_camera, 100.0 * wcs_scale_tolerance);
    if ((det_wcs > 0.0) != (det_camera > 0.0))
        return sentence("wcs: parity %+.0f (sign of det cd), the camera's is %+.0f", det_wcs > 0.0 ? 1.0 : -1.0,
                        det_camera > 0.0 ? 1.0 : -1.0);

    if (rotation_rad) {
        const double separation_deg = angular_separation(ours.center, camera.center) / common::deg;
        if (!(separation_deg <= wcs_position_tolerance_deg))
            return sentence(
                "wcs: the detector's centre is %.3f deg from where the camera model puts it (tolerance %.2f deg)",
                separation_deg, wcs_position_tolerance_deg);
        // Angle between the images of the pixel x axis (both frames have East/North axes at
        // points within the tolerance, so they are comparable).
        const double ax = ours.jacobian[0][0], ay = ours.jacobian[1][0];
        const double bx = camera.jacobian[0][0], by = camera.jacobian[1][0];
        const double turn_deg = std::fabs(std::atan2(ax * by - ay * bx, ax * bx + ay * by)) / common::deg;
        if (!(turn_deg <= wcs_orientation_tolerance_deg))
            return sentence(
                "wcs: the detector is turned %.2f deg from the camera model's orientation (tolerance %.1f deg)",
                turn_deg, wcs_orientation_tolerance_deg);
    } else {
        const double ours_deg = angular_separation(ours.center, boresight) / common::deg;
        const double camera_deg = angular_separation(camera.center, boresight) / common::deg;
        if (!(std::fabs(ours_deg - camera_deg) <= wcs_position_tolerance_deg))
            return sentence(
                "wcs: the detector's centre is %.3f deg from the boresight, the camera model's %.3f deg "
                "(tolerance %.2f deg)",
                ours_deg, camera_deg, wcs_position_tolerance_deg);
    }
    return std::nullopt;
}

}  // namespace satveto::geometry
