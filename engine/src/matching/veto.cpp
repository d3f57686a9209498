#include "matching/veto.hpp"

#include "geometry/gnomonic.hpp"

#include <cmath>
#include <numeric>

namespace satveto::matching {
namespace {

// The pixel area of a box (pixel centres at integers) as four corners, counter-clockwise.
std::array<geometry::Vec2, 4> pixel_corners(const geometry::BBox& b) {
    const double x0 = static_cast<double>(b.x0) - 0.5, x1 = static_cast<double>(b.x1) + 0.5;
    const double y0 = static_cast<double>(b.y0) - 0.5, y1 = static_cast<double>(b.y1) + 0.5;
    return {{{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}}};
}

bool quad_on_track(const Quad& quad, double bow, const VisitTracks& visit, std::span<const std::uint32_t> segments) {
    Box box;
    for (const Point& p : quad) box.add(p);
    for (std::uint32_t s : segments) {
        const TrackSegment& seg = visit.segments[s];
        const double reach = seg.reach + bow;
        Box sbox;
        sbox.add(seg.a);
        sbox.add(seg.b);
        if (!sbox.grown(reach).overlaps(box)) continue;
        if (segment_quad_distance(seg.a, seg.b, quad) <= reach) return true;
    }
    return false;
}

bool annulus_on_track(const geometry::RadiusRange& radii, double bow, const VisitTracks& visit,
                      std::span<const std::uint32_t> segments) {
    for (std::uint32_t s : segments) {
        const TrackSegment& seg = visit.segments[s];
        const double reach = seg.reach + bow;
        if (seg.r_max >= radii.min - reach && seg.r_min <= radii.max + reach) return true;
    }
    return false;
}

}  // namespace

std::vector<char> veto_boxes(const VisitTracks& visit, const geometry::Detector& detector,
                             std::span<const geometry::BBox> boxes, const geometry::TanWcs* wcs) {
    std::vector<char> vetoed(boxes.size(), visit.veto_everything ? 1 : 0);
    if (visit.veto_everything || visit.segments.empty()) return vetoed;

    // With a WCS the detector's placement comes from the WCS, not the camera model, so every
    // segment of the visit is a suspect (they are few; the box test rejects most at once).
    std::vector<std::uint32_t> all;
    std::span<const std::uint32_t> suspects;
    if (wcs != nullptr) {
        all.resize(visit.segments.size());
        std::iota(all.begin(), all.end(), 0u);
        suspects = all;
    } else {
        suspects = visit.by_detector.at(static_cast<std::size_t>(detector.id));
    }
    if (suspects.empty()) return vetoed;

    const double rotation_rad = visit.params.rotation_deg.value_or(0.0) * M_PI / 180.0;
    const geometry::RaDec boresight{visit.params.boresight_ra_deg * M_PI / 180.0,
                                    visit.params.boresight_dec_deg * M_PI / 180.0};
    const double bow = geometry::bbox_edge_bow_bound_rad(detector);
    for (std::size_t i = 0; i < boxes.size(); ++i) {
        if (wcs != nullptr) {
            // A TAN WCS maps pixel lines to great circles, which every gnomonic projection
            // maps to straight lines: the quad's edges are exact, no bow.
            Quad quad;
            bool usable = true;
            const auto corners = pixel_corners(boxes[i]);
            for (int c = 0; c < 4; ++c) {
                bool in_front = false;
                quad[c] = geometry::sky_to_tangent(geometry::wcs_pixel_to_sky(*wcs, corners[c]), boresight, &in_front);
                usable = usable && in_front;
            }
            // A box that does not even face the boresight cannot be judged: veto it (fail safe).
            vetoed[i] = !usable || quad_on_track(quad, 0.0, visit, suspects);
        } else if (visit.params.rotation_deg) {
            const geometry::Quad fa = geometry::bbox_field_angle_corners(detector, boxes[i]);
            Quad quad;
            for (int c = 0; c < 4; ++c) quad[c] = geometry::field_angle_to_tangent(fa[c], rotation_rad);
            vetoed[i] = quad_on_track(quad, bow, visit, suspects);
        } else {
            const geometry::Quad fa = geometry::bbox_field_angle_corners(detector, boxes[i]);
            vetoed[i] = annulus_on_track(geometry::field_angle_radius_range(fa), bow, visit, suspects);
        }
    }
    return vetoed;
}

}  // namespace satveto::matching
