// How far from the boresight a sky-corner footprint may reach and still be judged.
#pragma once

#include "geometry/camera.hpp"
#include "matching/tolerance.hpp"

#include <cmath>

namespace satveto::matching {

// The visit's field for sky-corner footprints (rad): the camera's field radius plus the
// geometry margin.  A footprint with a corner beyond it is denied, never judged (docs/design.md,
// "Security"), and precompute keeps every track segment that can come within reach of any
// point inside it (its candidate search, its segment filter and its projection-stretch bound
// all use this radius), so a footprint inside it is judged against every track that matters.
// Capped at 0.5 rad, far beyond any sensible margin, so that the tangent plane stays usable
// whatever margin configure was given.
inline double sky_field_radius_rad(const ToleranceModel& tolerance) {
    return std::fmin(geometry::camera_field_radius_rad() + tolerance.margin_rad(), 0.5);
}

// Default of configure's max_footprint_deg: a streak piece may cover a whole 4k x 4k detector
// of 0.2 arcsec pixels, about 0.23 deg a side and 0.32 deg across the diagonal.
inline constexpr double default_max_footprint_deg = 0.35;

}  // namespace satveto::matching
