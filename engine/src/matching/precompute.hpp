// register_visit's work: from the catalog to the track segments of one visit.
#pragma once

#include "catalog/catalog.hpp"
#include "frames/frames.hpp"
#include "matching/coarse_ephemeris.hpp"
#include "matching/visit.hpp"

#include <memory>

namespace satveto::matching {

// `ephemeris` (built from `catalog`) is used when it covers the visit's padded window and was
// made for the same site and Earth-orientation table; otherwise a private coarse ephemeris is
// built for the window on `threads` threads (same algorithm, slower).  Tracks are in the star
// frame (frames/star_frame.hpp).
// `require_sunlit`: candidates dark for their whole padded window are left out (shadow.hpp).
VisitTracks precompute_visit(const catalog::Catalog& catalog, const VisitParams& params,
                             const ToleranceModel& tolerance, const frames::Site& site,
                             const std::shared_ptr<const frames::EarthOrientation>& earth_orientation,
                             const CoarseEphemeris* ephemeris, unsigned threads, bool require_sunlit = false);

// The largest field angle (radians) of any detector corner: the field of view's radius.
double field_of_view_radius_rad();

}  // namespace satveto::matching
