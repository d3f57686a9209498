#include "matching/veto_sky.hpp"

#include "common/angles.hpp"
#include "frames/frames.hpp"
#include "matching/polygon_distance.hpp"
#include "matching/sky_field.hpp"
#include "matching/veto.hpp"

#include <algorithm>
#include <cmath>

namespace satveto::matching {
namespace {

// A segment that can touch some footprint of the request, with its box grown by its reach.
struct Suspect {
    Box reach_box;
    std::uint32_t segment;
};

// Distance from p to segment [a, b]; as point_segment_distance, with sqrt in place of hypot
// (tangent-plane values are far from overflow), since this runs for every source.
double fast_point_segment_distance(Point p, Point a, Point b) {
    const Point ab = b - a, ap = p - a;
    const double length2 = dot(ab, ab);
    const double t = length2 > 0.0 ? std::clamp(dot(ap, ab) / length2, 0.0, 1.0) : 0.0;
    const double dx = ap.x - t * ab.x, dy = ap.y - t * ab.y;
    return std::sqrt(dx * dx + dy * dy);
}

// The position in `suspects` of the first segment whose reach takes in the hull, or
// suspects.size(); with `revealed`, the candidates of every segment that reaches it are marked.
std::size_t hull_on_track(const geometry::ConvexPolygon& hull, const VisitTracks& visit,
                          std::span<const Suspect> suspects, Revealed* revealed) {
    Box box;
    Point centre{0.0, 0.0};
    for (int i = 0; i < hull.n; ++i) {
        box.add(hull.v[i]);
        centre.x += hull.v[i].x / hull.n;
        centre.y += hull.v[i].y / hull.n;
    }
    double radius2 = 0.0;
    for (int i = 0; i < hull.n; ++i) radius2 = std::max(radius2, dot(hull.v[i] - centre, hull.v[i] - centre));
    const double radius = std::sqrt(radius2);
    auto within = [&](const Suspect& s) {
        if (!s.reach_box.overlaps(box)) return false;
        const TrackSegment& seg = visit.segments[s.segment];
        // As for boxes: the distance from the centre, give or take the hull's radius, settles
        // most segments; the exact segment-to-polygon distance decides the band between.
        const double d = fast_point_segment_distance(centre, seg.a, seg.b);
        if (d <= seg.reach - radius) return true;
        if (d > seg.reach + radius) return false;
        return segment_polygon_distance(seg.a, seg.b, hull) <= seg.reach;
    };
    for (std::size_t k = 0; k < suspects.size(); ++k) {
        if (!within(suspects[k])) continue;
        if (revealed != nullptr) {
            revealed->mark(visit.segments[suspects[k].segment].candidate);
            for (std::size_t j = k + 1; j < suspects.size(); ++j) {
                const std::uint32_t other = visit.segments[suspects[j].segment].candidate;
                if (!revealed->marked(other) && within(suspects[j])) revealed->mark(other);
            }
        }
        return k;
    }
    return suspects.size();
}

}  // namespace

std::vector<char> veto_sky_quads(const VisitTracks& visit, std::span<const geometry::SkyQuad> quads,
                                 double max_footprint_rad, Revealed* revealed) {
    std::vector<char> vetoed(quads.size(), visit.veto_everything ? 1 : 0);
    if (visit.veto_everything && revealed != nullptr && !quads.empty()) revealed->mark_all();
    if (visit.veto_everything) return vetoed;

    const frames::TangentBasis basis = frames::tangent_basis(visit.params.boresight_ra_deg * common::deg,
                                                             visit.params.boresight_dec_deg * common::deg);
    const geometry::TangentFrame frame{basis.center, basis.east, basis.north};
    const double field_rad = sky_field_radius_rad(visit.tolerance);

    // Secrecy limits first: a denied footprint is never judged.
    std::vector<geometry::ConvexPolygon> hulls(quads.size());
    Box all;
    for (std::size_t i = 0; i < quads.size(); ++i) {
        const geometry::ProjectedSkyQuad p = geometry::project_sky_quad(quads[i], frame, field_rad, max_footprint_rad);
        if (p.status != geometry::SkyQuadStatus::usable) {
            vetoed[i] = 1;
            continue;
        }
        hulls[i] = p.hull;
        for (int k = 0; k < p.hull.n; ++k) all.add(p.hull.v[k]);
    }

    std::vector<Suspect> suspects;
    for (std::uint32_t s = 0; s < visit.segments.size(); ++s) {
        const TrackSegment& seg = visit.segments[s];
        Box sbox;
        sbox.add(seg.a);
        sbox.add(seg.b);
        const Box grown = sbox.grown(seg.reach);
        if (grown.overlaps(all)) suspects.push_back({grown, s});
    }
    if (suspects.empty()) return vetoed;
    for (std::size_t i = 0; i < quads.size(); ++i)
        if (!vetoed[i]) vetoed[i] = hull_on_track(hulls[i], visit, suspects, revealed) < suspects.size() ? 1 : 0;
    return vetoed;
}

std::vector<char> veto_footprints(const VisitTracks& visit, const geometry::Detector& detector,
                                  const Footprints& footprints, std::uint32_t sources, const geometry::TanWcs* wcs,
                                  double max_footprint_rad, Revealed* revealed) {
    std::vector<char> vetoed(sources, 0);
    if (!footprints.boxes.empty()) {
        const std::vector<char> v = veto_boxes(visit, detector, footprints.boxes, wcs, revealed);
        for (std::size_t k = 0; k < v.size(); ++k) vetoed[footprints.box_sources[k]] = v[k];
    }
    if (!footprints.sky.empty()) {
        const std::vector<char> v = veto_sky_quads(visit, footprints.sky, max_footprint_rad, revealed);
        for (std::size_t k = 0; k < v.size(); ++k) vetoed[footprints.sky_sources[k]] = v[k];
    }
    return vetoed;
}

}  // namespace satveto::matching
