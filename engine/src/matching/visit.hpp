// A visit as the engine keeps it: its parameters and the track segments of every catalog
// object that can reach its field of view, ready for fast source vetting.
#pragma once

#include "matching/plane.hpp"
#include "matching/tolerance.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace satveto::matching {

struct VisitParams {
    std::uint64_t visit_id = 0;
    double exposure_start_mjd = 0.0;  // UTC
    double exposure_end_mjd = 0.0;
    double boresight_ra_deg = 0.0;
    double boresight_dec_deg = 0.0;
    std::optional<double> rotation_deg;  // rotSkyPos; absent: rotation-agnostic matching
    std::string catalog = "current";     // the catalog the visit is matched against

    bool operator==(const VisitParams&) const = default;
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
    std::vector<std::int64_t> candidate_ids;         // NORAD ids (diagnostics only, never in answers)
    std::vector<TrackSegment> segments;
    std::vector<std::vector<std::uint32_t>> by_detector;  // detector id -> segments that can touch it
    bool veto_everything = false;  // a corridor so wide it covers the whole field
    double elapsed_ms = 0.0;
    bool used_cached_ephemeris = false;
    std::size_t unpropagated_objects = 0;  // objects whose model failed in the window (decayed, ...)
};

}  // namespace satveto::matching
