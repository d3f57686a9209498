// The bounds request values must meet, as protocol/README.md ("Request rules") states them.
//
// The frontend checks each first and owns the HTTP error; the engine checks the same numbers
// again, answering invalid_params naming the field, as defence in depth: an honest request
// never meets an engine refusal.  tests/package/test_request_rules.py compares these numbers with the
// spec and with the frontend's, so all three change together.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>

namespace satveto::engine::rules {

// Exposure MJDs (exposure_start_mjd, exposure_end_mjd), inclusive.
inline constexpr double mjd_min = 15020.0;  // 1900-01-01
inline constexpr double mjd_max = 88069.0;  // 2100-01-01
// end - start, in seconds; the frontend's limits.max_exposure_s may only be lower.
inline constexpr double exposure_max_s = 3600.0;
// RA in [0, ra_max_deg) and Dec in [-dec_max_abs_deg, dec_max_abs_deg]: boresights, sky
// corners, a WCS's crval.
inline constexpr double ra_max_deg = 360.0;
inline constexpr double dec_max_abs_deg = 90.0;
// rotation_deg in [-rotation_max_abs_deg, rotation_max_abs_deg].
inline constexpr double rotation_max_abs_deg = 360.0;
// A WCS's pixel scale sqrt(|det cd|) in degrees per pixel, both bounds exclusive.
inline constexpr double pixel_scale_min_deg = 1e-7;
inline constexpr double pixel_scale_max_deg = 0.01;
// Sources in one filter_sources request; the frontend's limits.max_sources may only be lower.
inline constexpr std::uint32_t sources_max = 10'000'000;
// visit_id and source ids in [0, id_max]: they fit a signed 64-bit integer on every side.
inline constexpr std::int64_t id_max = 9'223'372'036'854'775'807;
// configure's max_footprint_deg, inclusive.
inline constexpr double footprint_min_deg = 0.001;
inline constexpr double footprint_max_deg = 5.0;
// configure's tolerance values in [0, tolerance_max].
inline constexpr double tolerance_max = 1e6;
// configure's site, inclusive.
inline constexpr double site_latitude_max_abs_deg = 90.0;
inline constexpr double site_longitude_min_deg = -180.0;
inline constexpr double site_longitude_max_deg = 360.0;
inline constexpr double site_height_min_m = -500.0;
inline constexpr double site_height_max_m = 10000.0;

// A bound as the messages write it ("15020", "1e-07").
inline std::string text(double bound) {
    char buffer[32];
    std::snprintf(buffer, sizeof(buffer), "%g", bound);
    return buffer;
}

}  // namespace satveto::engine::rules
