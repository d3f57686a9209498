// filter_sources' work for a mixed request: pixel boxes (veto.hpp) and sky-corner footprints.
#pragma once

#include "geometry/camera.hpp"
#include "geometry/sky_quad.hpp"
#include "geometry/tan_wcs.hpp"
#include "matching/veto.hpp"
#include "matching/visit.hpp"

#include <cstdint>
#include <span>
#include <vector>

namespace satveto::matching {

// One flag per footprint, true when it must be left out of the allow list:
// - denied (secrecy, docs/design.md "Security model"): a corner outside sky_field_radius_rad of the
//   visit, or two corners more than max_footprint_rad apart;
// - vetoed: the convex hull of its corners in the visit's tangent plane comes within a track
//   segment's reach (tangent-plane units, margin included) of that segment;
// - everything, when the visit is marked veto_everything.
// The hull is exact for convex, well-ordered corners and contains the quadrilateral for any
// other order (geometry/sky_quad.hpp): never less than the true footprint is vetoed.
// With `revealed`, the candidates whose corridors veto a footprint are marked (veto.hpp);
// denied footprints reveal nothing.
std::vector<char> veto_sky_quads(const VisitTracks& visit, std::span<const geometry::SkyQuad> quads,
                                 double max_footprint_rad, Revealed* revealed = nullptr);

// The footprints of one filter_sources request, each list with the index of its source.
struct Footprints {
    std::vector<geometry::BBox> boxes;
    std::vector<std::uint32_t> box_sources;
    std::vector<geometry::SkyQuad> sky;
    std::vector<std::uint32_t> sky_sources;
};

// One flag per source (`sources` of them), true when it is not allowed: boxes through
// veto_boxes (camera model or `wcs`), sky corners through veto_sky_quads; with `revealed`,
// the candidates whose corridors veto any of them.
std::vector<char> veto_footprints(const VisitTracks& visit, const geometry::Detector& detector,
                                  const Footprints& footprints, std::uint32_t sources, const geometry::TanWcs* wcs,
                                  double max_footprint_rad, Revealed* revealed = nullptr);

}  // namespace satveto::matching
