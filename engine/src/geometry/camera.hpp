// LSSTCam camera model: pixel -> focal plane -> field angle -> tangent plane.
//
// The chain (facts from obs_lsst / afw, see docs/camera.md):
//
//   pixel (0-based, centres at integers)
//     --[Detector orientation: centre + Rot(yaw) * ((pix - centre_pix) * pixel_size)]-->
//   focal plane (mm; +X along CCD rows of the yaw-0 science sensors, origin on the axis)
//     --[radial polynomial, plate scale 20.005867576692737 arcsec/mm]-->
//   field angle (radians, same axes as the focal plane: LSSTCam has no focal-plane parity flip)
//     --[rotation by rotSkyPos theta with the sky parity flip]-->
//   standard coordinates (xi toward East, eta toward North) of the gnomonic projection about
//   the boresight (see gnomonic.hpp for tangent plane <-> sky).
//
// As in afw's makeSkyWcs, the field-angle components (radians) are used directly as gnomonic
// projection-plane coordinates, so the sky distance from the boresight is atan(|FA|), not |FA|
// (the two differ by 2.5 arcsec at the edge of the field; the camera model is defined that way).
//
// Every function is pure, thread-safe and noexcept; nothing allocates.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "geometry/types.hpp"

namespace satveto::geometry {

// afw DetectorType of the sensor.
enum class DetectorType : std::uint8_t { science, guider, wavefront };

// One LSSTCam detector (a row of engine/data/lsstcam_detectors.csv).
struct Detector {
    int id;                          // 0-188 science, 189-204 guider and wavefront
    std::string_view name;           // e.g. "R22_S11"
    std::string_view raft;           // e.g. "R22"
    std::string_view sensor;         // e.g. "S11", "SG0", "SW1"
    std::string_view physical_type;  // obs_lsst physicalType: "E2V", "ITL", "ITL_G", "ITL_WF"
    DetectorType type;
    Vec2 center_mm;  // focal-plane position of the centre of the pixel array
    double yaw_deg;  // pixel axes turned counter-clockwise (+X toward +Y) from the
                     // focal-plane axes; table value, a multiple of 90 for LSSTCam
    int n_pix_x;     // trimmed pixel counts
    int n_pix_y;
    double pixel_size_um;  // 10 for every LSSTCam detector
};

// The 205 detectors, ordered by id (ids are 0..204, contiguous).
std::span<const Detector> all_detectors() noexcept;

// The detector with this id, or nullptr when there is none.
const Detector* find_detector(int id) noexcept;

// ---------------------------------------------------------------- pixel <-> focal plane

// Focal-plane position (mm) of a pixel position (0-based, pixel centres at integers, so the
// array spans [-0.5, n_pix - 0.5] in each axis). afw Orientation convention.
Vec2 pixel_to_focal_plane(const Detector& detector, Vec2 pixel) noexcept;

// Inverse of pixel_to_focal_plane (exact: the map is a rigid motion plus a scale).
Vec2 focal_plane_to_pixel(const Detector& detector, Vec2 focal_plane_mm) noexcept;

// True when the pixel position lies in the detector's pixel area
// [-0.5, n_pix_x - 0.5] x [-0.5, n_pix_y - 0.5] (edges included).
bool pixel_in_detector(const Detector& detector, Vec2 pixel) noexcept;

// ---------------------------------------------------------------- focal plane <-> field angle

// LSSTCam FOCAL_PLANE -> FIELD_ANGLE radial distortion (obs_lsst cameraTransforms.yaml):
// theta [rad] = plate_scale [rad/mm] * (r - 8.33713991e-9 r^3 - 1.41389858e-15 r^5), r in mm.
inline constexpr double plate_scale_arcsec_per_mm = 20.005867576692737;
inline constexpr double radial_coeff3_per_mm2 = -8.33713991e-09;
inline constexpr double radial_coeff5_per_mm4 = -1.41389858e-15;

// theta (rad) of a focal-plane radius r (mm >= 0).
double focal_plane_radius_to_field_angle(double r_mm) noexcept;

// Inverse of focal_plane_radius_to_field_angle by Newton's method (converged to < 1e-9 mm).
// theta_rad must be >= 0 and below the polynomial's maximum (about 0.27 rad, far beyond the
// 0.035 rad camera); NaN outside that domain.
double field_angle_to_focal_plane_radius(double theta_rad) noexcept;

// Field angle (rad, focal-plane axes) of a focal-plane position (mm). The direction of the
// vector is kept; only its length is distorted.
Vec2 focal_plane_to_field_angle(Vec2 focal_plane_mm) noexcept;

// Inverse of focal_plane_to_field_angle (Newton on the radius, < 1e-9 mm).
Vec2 field_angle_to_focal_plane(Vec2 field_angle_rad) noexcept;

// ---------------------------------------------------------------- field angle <-> tangent plane

// Standard coordinates (xi toward East, eta toward North; gnomonic projection-plane units)
// of a field angle (rad) for sky rotation rotSkyPos = rotation_rad (position angle of
// focal-plane +Y, from North through East):
//   xi  = -cos(theta) FA_x + sin(theta) FA_y
//   eta =  sin(theta) FA_x + cos(theta) FA_y
// At rotation 0, +Y points North and +X West; at 90 deg, +Y East and +X North.
Vec2 field_angle_to_tangent(Vec2 field_angle_rad, double rotation_rad) noexcept;

// Inverse of field_angle_to_tangent (the matrix is a reflection, its own inverse).
Vec2 tangent_to_field_angle(Vec2 xi_eta, double rotation_rad) noexcept;

// Sky position of a pixel of a detector: the whole chain with the gnomonic projection about
// the boresight (rotation_rad = rotSkyPos).
RaDec camera_pixel_to_sky(const Detector& detector, Vec2 pixel, RaDec boresight, double rotation_rad) noexcept;

// ---------------------------------------------------------------- source boxes

// Field angles (rad) of the four corners of the area a bbox covers (grown by half a pixel:
// [x0 - 0.5, x1 + 0.5] x [y0 - 0.5, y1 + 0.5]), in the order (x0, y0), (x1, y0), (x1, y1),
// (x0, y1): counter-clockwise in field-angle space.
//
// The straight segments between these corners are not the exact images of the box edges: the
// radial distortion bends straight pixel lines. max_bbox_edge_bow_bound_rad bounds how far the true
// edge can be from its chord; add it to any margin that treats the quad as the footprint.
Quad bbox_field_angle_corners(const Detector& detector, BBox bbox) noexcept;

// Upper bound (rad, field-angle units) of the distance between the image of any straight
// segment inside this detector's pixel area, parallel to a pixel axis, and the chord between
// the images of its end points. It is max|d^2 FA / ds^2| * L^2 / 8 (s the focal-plane arc
// length in mm, L the detector's longest side), with the curvature term bounded analytically
// at the detector's outermost corner, so it holds for every sub-box of the detector.
double bbox_edge_bow_bound_rad(const Detector& detector) noexcept;

// The largest bbox_edge_bow_bound_rad over all 205 detectors, rounded up: 4.1e-7 rad
// (0.085 arcsec). The brute-force maximum over whole-detector edges is 1.13e-7 rad
// (0.023 arcsec). A unit test recomputes both. The distance on the sky is no larger (the
// gnomonic deprojection shrinks lengths).
inline constexpr double max_bbox_edge_bow_bound_rad = 4.1e-7;

// Smallest and largest |v| over a quadrilateral (any simple polygon with these vertices):
// min is 0 when the quad contains the origin, otherwise the distance from the origin to the
// nearest edge; max is the largest vertex norm. For the rotation-agnostic (annulus) rule.
RadiusRange field_angle_radius_range(const Quad& quad) noexcept;

// Largest field angle (rad) of any pixel-area corner of any detector: the camera's field
// radius, 0.0357456 rad (2.04807 deg), reached at the outer corners of the E2V science
// CCDs R14_S02, R30_S20 and R34_S22 (guiders and wavefront chips: 2.0155 deg). Points of
// the camera are at most atan(that) from the boresight on the sky.
double camera_field_radius_rad() noexcept;

}  // namespace satveto::geometry
