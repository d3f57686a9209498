// Does a request's TAN WCS describe what the camera can see?  (docs/design.md "Security model":
// footprints the camera can produce.)
//
// A client chooses the `wcs` of a DIASource request; without a check it could give a detector
// pixels a degree wide, or place it anywhere on the sky, and map far more than the camera
// sees.  The WCS is compared with the camera model (camera.hpp) for the same detector at the
// visit's boresight and rotation, at the detector's centre pixel, with a central-difference
// Jacobian over a quarter of the detector:
//
//   pixel scale      sqrt|det J| within wcs_scale_tolerance (relative) of the camera's there;
//   parity           sign of det J the camera's (LSSTCam: the sky parity flip);
//   orientation      (rotation registered) the image of the pixel x axis within
//                    wcs_orientation_tolerance_deg of the camera's;
//   position         (rotation registered) the centre pixel within wcs_position_tolerance_deg of
//                    the camera model's; (no rotation) its distance from the boresight within
//                    that tolerance of the camera model's distance (rotation-independent);
//   CRVAL            within the camera's field radius + wcs_crval_margin_deg of the boresight
//                    (afw puts CRVAL at the boresight or at the detector; farther, the TAN
//                    projection would stretch across the detector).
//
// The tolerances are far wider than an honest WCS needs (a TAN fit to the camera model differs
// by < 0.5 % in scale and < 0.01 deg in position, and telescope pointing errors are arcseconds)
// and far narrower than what would help a prober (a detector's own footprint is 0.23 deg).
#pragma once

#include "geometry/camera.hpp"
#include "geometry/tan_wcs.hpp"

#include <optional>
#include <string>

namespace satveto::geometry {

inline constexpr double wcs_scale_tolerance = 0.02;
inline constexpr double wcs_orientation_tolerance_deg = 1.0;
inline constexpr double wcs_position_tolerance_deg = 0.1;
inline constexpr double wcs_crval_margin_deg = 0.5;

// What the WCS and the camera model say about a detector's centre: the sky position of the
// centre pixel and the Jacobian (rad per pixel) of the pixel -> standard-coordinate map about
// that position (columns: pixel x, pixel y; rows: xi East, eta North).
struct LocalFrame {
    RaDec center;
    double jacobian[2][2] = {{0.0, 0.0}, {0.0, 0.0}};
};

// The local frame of the WCS at the detector's centre pixel.
LocalFrame wcs_local_frame(const TanWcs& wcs, const Detector& detector) noexcept;

// The local frame of the camera model at the detector's centre pixel, for a boresight and a
// rotation (rad).
LocalFrame camera_local_frame(const Detector& detector, RaDec boresight, double rotation_rad) noexcept;

// Nothing when the WCS is plausible for this detector of a visit at `boresight` with
// `rotation_rad` (nullopt: not registered); otherwise a sentence starting with "wcs: " that
// says which quantity disagrees, by how much, and the tolerance.
std::optional<std::string> wcs_disagreement(const TanWcs& wcs, const Detector& detector, RaDec boresight,
                                            std::optional<double> rotation_rad);

}  // namespace satveto::geometry
