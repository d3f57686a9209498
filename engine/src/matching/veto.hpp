// filter_sources' work: which source boxes of one detector lie on a predicted track.
#pragma once

#include "geometry/camera.hpp"
#include "geometry/tan_wcs.hpp"
#include "matching/visit.hpp"

#include <span>
#include <vector>

namespace satveto::matching {

// One flag per box, true when the box is vetoed.  The footprint of a box is mapped with the
// detector's TAN WCS when one is given, else with the camera model at the visit's rotation,
// else (rotation unknown) taken at every rotation: the annulus of its field-angle radii.
std::vector<char> veto_boxes(const VisitTracks& visit, const geometry::Detector& detector,
                             std::span<const geometry::BBox> boxes, const geometry::TanWcs* wcs);

}  // namespace satveto::matching
