// A visit as the engine keeps it: its parameters and the track segments of every catalog
// object that can reach its field of view, ready for fast source vetting.
#pragma once

#include "frames/time_scales.hpp"
#include "matching/plane.hpp"
#include "matching/tolerance.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace satveto::matching {

struct VisitParams {
    std::uint64_t visit_id = 0;
    double exposure_start_mjd = 0.0;  // as given, in `time_scale`
    double exposure_end_mjd = 0.0;
    frames::TimeScale time_scale = frames::TimeScale::tai;
    double boresight_ra_deg = 0.0;
    double boresight_dec_deg = 0.0;
    std::optional<double> rotation_deg;  // rotSkyPos; absent: rotation-agnostic matching
    std::string catalog = "current";     // the catalog the visit is matched against

    bool operator==(const VisitParams&) const = default;

    double start_mjd_tai() const { return frames::mjd_tai_from(time_scale, exposure_start_mjd); }
    double end_mjd_tai() const { return frames::mjd_tai_from(time_scale, exposure_end_mjd); }
};

// One straight piece of a predicted track in the visit's tangent plane (gnomonic about the
// boresight, radians).  A source footprint that comes within `reach` of [a, b] is vetoed:
// reach already holds the corridor, the bound on the track's departure from this chord, the
// geometry margin, and the projection's stretch.
struct TrackSegment {
    Point a;
    Point b;
    double reach = 0.0;
    double r_min = 0.0;  // distance range of [a, b] from the boresight (rotation-agnostic rule)
    double r_max = 0.0;
    std::uint32_t candidate = 0;  // index into VisitTracks::candidate_ids
};

struct VisitTracks {
    VisitParams params;
    ToleranceModel tolerance;
    std::vector<std::int64_t> candidate_ids;  // NORAD ids (diagnostics only, never in answers)
    std::vector<TrackSegment> segments;
    std::vector<std::vector<std::uint32_t>> by_detector;  // detector id -> segments that can touch it
    bool veto_everything = false;                         // a corridor so wide it covers the whole field
    // Camera-model footprints only: the differential refraction across the field at the
    // visit's altitude (tangent-plane radians), added to their reach (docs/matching.md).
    double camera_refraction_rad = 0.0;
    double site_displacement_km = 0.0;  // the Earth-orientation bound added to every corridor
    double elapsed_ms = 0.0;
    bool used_cached_ephemeris = false;
    std::size_t unpropagated_objects = 0;  // objects whose model failed in the window (decayed, ...)
    std::size_t skipped_dark = 0;          // candidates left out as in the umbra throughout (require_sunlit)
};

}  // namespace satveto::matching
