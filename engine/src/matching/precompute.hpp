// register_visit's work: from the catalog to the track segments of one visit.
#pragma once

#include "engine/state.hpp"
#include "frames/frames.hpp"
#include "matching/coarse_ephemeris.hpp"
#include "matching/visit.hpp"

namespace satveto::matching {

// `ephemeris` is used when it covers the visit's padded window; otherwise a private coarse
// ephemeris is built for the window (same algorithm, slower).
VisitTracks precompute_visit(const engine::Catalog& catalog, const VisitParams& params,
                             const ToleranceModel& tolerance, const frames::Site& site,
                             const CoarseEphemeris* ephemeris, unsigned threads);

// The largest field angle (radians) of any detector corner: the field of view's radius.
double field_of_view_radius_rad();

}  // namespace satveto::matching
