#include "matching/veto.hpp"

#include "common/angles.hpp"
#include "frames/frames.hpp"

#include <algorithm>
#include <optional>

#include <cmath>

namespace satveto::matching {
namespace {

// The pixel area of a box (pixel centres at integers) as four corners, counter-clockwise.
std::array<geometry::Vec2, 4> pixel_corners(const geometry::BBox& b) {
    const double x0 = static_cast<double>(b.x0) - 0.5, x1 = static_cast<double>(b.x1) + 0.5;
    const double y0 = static_cast<double>(b.y0) - 0.5, y1 = static_cast<double>(b.y1) + 0.5;
    return {{{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}}};
}

// A footprint's quadrilateral with its centre and radius, tried against track segments.
class QuadProbe {
public:
    explicit QuadProbe(const Quad& quad) : quad_(quad) {
        centre_ = {(quad[0].x + quad[1].x + quad[2].x + quad[3].x) / 4,
                   (quad[0].y + quad[1].y + quad[2].y + quad[3].y) / 4};
        for (const Point& p : quad) radius_ = std::max(radius_, norm(p - centre_));
    }

    // Source boxes are a few arcseconds across and reaches are tens or hundreds: the distance
    // from the box's centre, give or take the box's radius, settles nearly every segment; the
    // exact segment-to-quadrilateral distance is needed only in the band between.
    bool within(const TrackSegment& seg, double reach) const {
        const double d = point_segment_distance(centre_, seg.a, seg.b);
        if (d <= reach - radius_) return true;  // the whole box is within reach
        if (d > reach + radius_) return false;  // no part of it is
        return segment_quad_distance(seg.a, seg.b, quad_) <= reach;
    }

private:
    Quad quad_;
    Point centre_{};
    double radius_ = 0.0;
};

// The position in `segments` of the first segment whose reach (plus `bow`) takes in the quad,
// or segments.size() when none does; with `revealed`, the candidates of that segment and of
// every later one that also reaches it are marked (segments of candidates already marked are
// skipped: a vetoed box costs at most what an allowed one does).
std::size_t quad_on_track(const Quad& quad, double bow, const VisitTracks& visit,
                          std::span<const std::uint32_t> segments, Revealed* revealed) {
    const QuadProbe probe(quad);
    for (std::size_t k = 0; k < segments.size(); ++k) {
        const TrackSegment& seg = visit.segments[segments[k]];
        if (!probe.within(seg, seg.reach + bow)) continue;
        if (revealed != nullptr) {
            revealed->mark(seg.candidate);
            for (std::size_t j = k + 1; j < segments.size(); ++j) {
                const TrackSegment& other = visit.segments[segments[j]];
                if (!revealed->marked(other.candidate) && probe.within(other, other.reach + bow))
                    revealed->mark(other.candidate);
            }
        }
        return k;
    }
    return segments.size();
}

// Pixel (0-based) -> the visit's tangent plane under a TAN WCS.  Both are gnomonic projections,
// so the map is a homography: exact, and free of trigonometry per corner.  The WCS plane's axis
// vectors are taken from wcs_pixel_to_sky itself (at intermediate coordinates (1, 0) and (0, 1)
// of a unit-CD copy), so whatever its pole convention, they agree with it exactly.
class WcsToTangent {
public:
    WcsToTangent(const geometry::TanWcs& wcs, const frames::TangentBasis& visit) {
        geometry::TanWcs unit = wcs;
        unit.crpix = {1.0, 1.0};
        unit.cd[0][0] = unit.cd[1][1] = 1.0;
        unit.cd[0][1] = unit.cd[1][0] = 0.0;
        const frames::Vec3 c = frames::unit_vector(wcs.crval.ra, wcs.crval.dec);
        auto axis = [&](geometry::Vec2 at) {  // sqrt(2) * direction(c + axis) - c
            const geometry::RaDec d = geometry::wcs_pixel_to_sky(unit, at);
            const frames::Vec3 u = frames::unit_vector(d.ra, d.dec);
            return frames::Vec3{M_SQRT2 * u[0] - c[0], M_SQRT2 * u[1] - c[1], M_SQRT2 * u[2] - c[2]};
        };
        const frames::Vec3 ex = axis({1.0, 0.0}), ey = axis({0.0, 1.0});
        // v(p) = x ex + y ey + c with (x, y) = CD (p + 1 - crpix); rows of H project v on the
        // visit's east, north and centre directions.
        const frames::Vec3* rows[3] = {&visit.east, &visit.north, &visit.center};
        for (int r = 0; r < 3; ++r) {
            const frames::Vec3& w = *rows[r];
            const double wx = w[0] * ex[0] + w[1] * ex[1] + w[2] * ex[2];
            const double wy = w[0] * ey[0] + w[1] * ey[1] + w[2] * ey[2];
            const double wc = w[0] * c[0] + w[1] * c[1] + w[2] * c[2];
            h_[r][0] = wx * wcs.cd[0][0] + wy * wcs.cd[1][0];
            h_[r][1] = wx * wcs.cd[0][1] + wy * wcs.cd[1][1];
            h_[r][2] = wc + h_[r][0] * (1.0 - wcs.crpix.x) + h_[r][1] * (1.0 - wcs.crpix.y);
        }
    }

    // False when the pixel's direction is not in front of the visit's tangent plane.
    bool map(geometry::Vec2 pixel, Point& out) const {
        const double z = h_[2][0] * pixel.x + h_[2][1] * pixel.y + h_[2][2];
        if (!(z > 1e-6)) return false;
        out = {(h_[0][0] * pixel.x + h_[0][1] * pixel.y + h_[0][2]) / z,
               (h_[1][0] * pixel.x + h_[1][1] * pixel.y + h_[1][2]) / z};
        return true;
    }

private:
    double h_[3][3];
};

// As quad_on_track, for the rotation-agnostic rule: a segment whose radius range, widened by
// its reach, meets the annulus.
std::size_t annulus_on_track(const geometry::RadiusRange& radii, double bow, const VisitTracks& visit,
                             std::span<const std::uint32_t> segments, Revealed* revealed) {
    auto within = [&](const TrackSegment& seg) {
        const double reach = seg.reach + bow;
        return seg.r_max >= radii.min - reach && seg.r_min <= radii.max + reach;
    };
    for (std::size_t k = 0; k < segments.size(); ++k) {
        const TrackSegment& seg = visit.segments[segments[k]];
        if (!within(seg)) continue;
        if (revealed != nullptr) {
            revealed->mark(seg.candidate);
            for (std::size_t j = k + 1; j < segments.size(); ++j) {
                const TrackSegment& other = visit.segments[segments[j]];
                if (!revealed->marked(other.candidate) && within(other)) revealed->mark(other.candidate);
            }
        }
        return k;
    }
    return segments.size();
}

}  // namespace

std::vector<char> veto_boxes(const VisitTracks& visit, const geometry::Detector& detector,
                             std::span<const geometry::BBox> boxes, const geometry::TanWcs* wcs, Revealed* revealed) {
    std::vector<char> vetoed(boxes.size(), visit.veto_everything ? 1 : 0);
    if (visit.veto_everything && revealed != nullptr && !boxes.empty()) revealed->mark_all();
    if (visit.veto_everything || visit.segments.empty()) return vetoed;

    // With a WCS the detector's placement comes from the WCS, not the camera model: the
    // segments that can touch it are found here, against its footprint under that WCS.
    const frames::TangentBasis basis = frames::tangent_basis(visit.params.boresight_ra_deg * common::deg,
                                                             visit.params.boresight_dec_deg * common::deg);
    std::optional<WcsToTangent> to_tangent;
    std::vector<std::uint32_t> binned;
    std::span<const std::uint32_t> suspects;
    if (wcs != nullptr) {
        to_tangent.emplace(*wcs, basis);
        const geometry::BBox whole{0, 0, detector.n_pix_x - 1, detector.n_pix_y - 1};
        Quad footprint;
        bool in_front = true;
        const auto corners = pixel_corners(whole);
        for (int c = 0; c < 4; ++c) in_front = in_front && to_tangent->map(corners[c], footprint[c]);
        if (!in_front) {  // a WCS that does not face the boresight cannot be judged: veto all
            std::fill(vetoed.begin(), vetoed.end(), 1);
            return vetoed;
        }
        Box box;
        for (const Point& p : footprint) box.add(p);
        for (std::uint32_t s = 0; s < visit.segments.size(); ++s) {
            const TrackSegment& seg = visit.segments[s];
            Box sbox;
            sbox.add(seg.a);
            sbox.add(seg.b);
            if (sbox.grown(seg.reach).overlaps(box) && segment_quad_distance(seg.a, seg.b, footprint) <= seg.reach)
                binned.push_back(s);
        }
        suspects = binned;
    } else {
        suspects = visit.by_detector.at(static_cast<std::size_t>(detector.id));
    }
    if (suspects.empty()) return vetoed;

    const double rotation_rad = visit.params.rotation_deg.value_or(0.0) * common::deg;
    // Camera-model footprints only (the WCS path passes 0): edge bow plus differential refraction.
    const double bow = geometry::bbox_edge_bow_bound_rad(detector) + visit.camera_refraction_rad;
    for (std::size_t i = 0; i < boxes.size(); ++i) {
        if (to_tangent) {
            // A TAN WCS maps pixel lines to great circles, which every gnomonic projection
            // maps to straight lines: the quad's edges are exact, no bow.
            Quad quad;
            bool in_front = true;
            const auto corners = pixel_corners(boxes[i]);
            for (int c = 0; c < 4; ++c) in_front = in_front && to_tangent->map(corners[c], quad[c]);
            // A box that does not face the boresight cannot be judged: veto it (fail safe).
            vetoed[i] = !in_front || quad_on_track(quad, 0.0, visit, suspects, revealed) < suspects.size();
        } else if (visit.params.rotation_deg) {
            const geometry::Quad fa = geometry::bbox_field_angle_corners(detector, boxes[i]);
            Quad quad;
            for (int c = 0; c < 4; ++c) quad[c] = geometry::field_angle_to_tangent(fa[c], rotation_rad);
            vetoed[i] = quad_on_track(quad, bow, visit, suspects, revealed) < suspects.size();
        } else {
            const geometry::Quad fa = geometry::bbox_field_angle_corners(detector, boxes[i]);
            vetoed[i] = annulus_on_track(geometry::field_angle_radius_range(fa), bow, visit, suspects, revealed) <
                        suspects.size();
        }
    }
    return vetoed;
}

}  // namespace satveto::matching
