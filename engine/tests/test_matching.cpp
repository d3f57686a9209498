// Matching building blocks: plane geometry, the tolerance model, the visit cache, and the
// veto of source boxes against synthetic tracks (the end-to-end check against a brute-force
// oracle lives in the Python suite).
#include "common/angles.hpp"
#include "state/visit_cache.hpp"
#include "geometry/camera.hpp"
#include "matching/plane.hpp"
#include "matching/tolerance.hpp"
#include "matching/veto.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <random>

using namespace satveto;
using matching::Point;
using matching::Quad;

TEST_CASE("segment distances", "[matching]") {
    REQUIRE(matching::point_segment_distance({0, 1}, {-1, 0}, {1, 0}) == Approx(1.0));
    REQUIRE(matching::point_segment_distance({3, 0}, {-1, 0}, {1, 0}) == Approx(2.0));
    REQUIRE(matching::segment_segment_distance({0, -1}, {0, 1}, {-1, 0}, {1, 0}) == 0.0);  // crossing
    REQUIRE(matching::segment_segment_distance({0, 1}, {1, 1}, {0, 0}, {1, 0}) == Approx(1.0));
    const Quad square{{{0, 0}, {1, 0}, {1, 1}, {0, 1}}};
    REQUIRE(matching::segment_quad_distance({0.2, 0.2}, {0.4, 0.4}, square) == 0.0);  // inside
    REQUIRE(matching::segment_quad_distance({-1, 0.5}, {2, 0.5}, square) == 0.0);     // through
    REQUIRE(matching::segment_quad_distance({2, 0}, {2, 1}, square) == Approx(1.0));  // beside
    REQUIRE(matching::segment_quad_distance({2, 2}, {3, 3}, square) == Approx(std::sqrt(2.0)));
    double r_min = 0, r_max = 0;
    matching::segment_radius_range({-1, 1}, {2, 1}, r_min, r_max);
    REQUIRE(r_min == Approx(1.0));
    REQUIRE(r_max == Approx(std::sqrt(5.0)));
}

TEST_CASE("segment-quad distance agrees with dense sampling", "[matching]") {
    std::mt19937 rng(7);
    std::uniform_real_distribution<double> u(-2.0, 2.0);
    for (int trial = 0; trial < 300; ++trial) {
        const Quad q{{{0, 0}, {1, 0.1}, {1.1, 1}, {-0.1, 0.9}}};
        const Point a{u(rng), u(rng)}, b{u(rng), u(rng)};
        double sampled = INFINITY;
        for (int i = 0; i <= 400; ++i) {
            const double t = i / 400.0;
            const Point p{a.x + t * (b.x - a.x), a.y + t * (b.y - a.y)};
            double d = matching::quad_contains(q, p) ? 0.0 : INFINITY;
            for (int k = 0; k < 4; ++k) d = std::min(d, matching::point_segment_distance(p, q[k], q[(k + 1) % 4]));
            sampled = std::min(sampled, d);
        }
        const double exact = matching::segment_quad_distance(a, b, q);
        REQUIRE(exact <= sampled + 1e-12);
        REQUIRE(exact >= sampled - 0.02);  // sampling step bound
    }
}

TEST_CASE("tolerance model follows docs/design.md", "[matching]") {
    matching::ToleranceModel t;
    t.min_arcsec = 10;
    t.a_km = 1;
    t.b_km_per_day = 2;
    t.c_km = 3;
    t.d_km_per_day = 4;
    // atan((1 + 2*1.5) km / 1000 km) = 4 mrad, far above the 10" floor.
    REQUIRE(t.corridor_rad(1.5, 1000.0) == Approx(std::atan(4.0 / 1000.0)));
    REQUIRE(t.corridor_rad(-1.5, 1000.0) == Approx(std::atan(4.0 / 1000.0)));  // epoch after the visit
    REQUIRE(t.corridor_rad(0.0, 1e6) == Approx(10 * common::arcsec));          // the floor
    REQUIRE(t.time_pad_s(2.0, 5.5) == Approx((3.0 + 8.0) / 5.5 + 1.0));
}

TEST_CASE("visit cache evicts the least recently used", "[matching]") {
    engine::VisitCache cache(2);
    auto make = [](std::uint64_t id, double ra) {
        auto v = std::make_shared<matching::VisitTracks>();
        v->params.visit_id = id;
        v->params.boresight_ra_deg = ra;
        return std::shared_ptr<const matching::VisitTracks>(v);
    };
    cache.insert(make(1, 10));
    cache.insert(make(2, 20));
    REQUIRE(cache.find(1) != nullptr);  // 1 becomes most recent
    cache.insert(make(3, 30));          // evicts 2
    REQUIRE(cache.find(2) == nullptr);
    REQUIRE(cache.find(1) != nullptr);
    REQUIRE(cache.evictions() == 1);
    // A second insert of an id keeps the first (the caller detects conflicts).
    REQUIRE(cache.insert(make(1, 99))->params.boresight_ra_deg == 10);
    REQUIRE(cache.erase(1));
    REQUIRE_FALSE(cache.erase(1));
}

namespace {

// A visit whose only track runs straight through the centre of detector 94 (R22_S11 region
// neighbour) in the tangent plane, along the focal plane's x axis at rotation 0.
matching::VisitTracks visit_with_track_through(const geometry::Detector& d, std::optional<double> rotation_deg) {
    matching::VisitTracks v;
    v.params.visit_id = 1;
    v.params.rotation_deg = rotation_deg;
    const geometry::BBox whole{0, 0, d.n_pix_x - 1, d.n_pix_y - 1};
    const geometry::Quad fa = geometry::bbox_field_angle_corners(d, whole);
    const geometry::Vec2 centre{(fa[0].x + fa[2].x) / 2, (fa[0].y + fa[2].y) / 2};
    const geometry::Vec2 c = geometry::field_angle_to_tangent(centre, rotation_deg.value_or(0.0) * common::deg);
    matching::TrackSegment s;
    s.a = {c.x - 0.01, c.y};
    s.b = {c.x + 0.01, c.y};
    s.reach = 20 * common::arcsec;
    matching::segment_radius_range(s.a, s.b, s.r_min, s.r_max);
    v.segments.push_back(s);
    v.by_detector.assign(205, {});
    for (auto& list : v.by_detector) list.push_back(0);
    return v;
}

}  // namespace

TEST_CASE("a box on the track is vetoed, a box far from it is not", "[matching]") {
    const geometry::Detector& d = *geometry::find_detector(94);
    const matching::VisitTracks v = visit_with_track_through(d, 0.0);
    const int cy = d.n_pix_y / 2;
    // 20" is 100 pixels: a box 50 px from the track line is inside the corridor, 400 px is out.
    const std::vector<geometry::BBox> boxes{
        {100, cy - 5, 110, cy + 5}, {100, cy + 45, 110, cy + 55}, {100, cy + 400, 110, cy + 410}};
    const auto vetoed = matching::veto_boxes(v, d, boxes, nullptr);
    REQUIRE(vetoed == std::vector<char>{1, 1, 0});
}

TEST_CASE("a box is vetoed exactly when its nearest edge comes within reach", "[matching]") {
    // 11-pixel boxes stepped across the corridor's edge (20" is about 100 pixels): the boxes
    // whose centre is within reach but whose nearest edge is not must be allowed.
    const geometry::Detector& d = *geometry::find_detector(94);
    const matching::VisitTracks v = visit_with_track_through(d, 0.0);
    const matching::TrackSegment& s = v.segments[0];
    const double reach = s.reach + geometry::bbox_edge_bow_bound_rad(d) + v.camera_refraction_rad;
    const int cy = d.n_pix_y / 2;
    std::vector<geometry::BBox> boxes;
    std::vector<char> expected;
    int inside = 0;
    for (int offset = 80; offset <= 120; ++offset) {
        const geometry::BBox b{2000, cy + offset, 2010, cy + offset + 10};
        const geometry::Quad fa = geometry::bbox_field_angle_corners(d, b);
        Quad q;
        for (int c = 0; c < 4; ++c) q[c] = geometry::field_angle_to_tangent(fa[c], 0.0);
        const double nearest = matching::segment_quad_distance(s.a, s.b, q);
        // Outside, yet its centre within reach plus its circumscribed radius: the band where
        // the centre's distance alone cannot decide.
        const Point centre{(q[0].x + q[1].x + q[2].x + q[3].x) / 4, (q[0].y + q[1].y + q[2].y + q[3].y) / 4};
        double radius = 0.0;
        for (const Point& corner : q) radius = std::max(radius, std::hypot(corner.x - centre.x, corner.y - centre.y));
        inside += nearest > reach && matching::point_segment_distance(centre, s.a, s.b) <= reach + radius;
        boxes.push_back(b);
        expected.push_back(nearest <= reach ? 1 : 0);
    }
    REQUIRE(inside > 0);  // the case the fast path must not settle
    REQUIRE(std::count(expected.begin(), expected.end(), 1) > 0);
    REQUIRE(std::count(expected.begin(), expected.end(), 0) > 0);
    REQUIRE(matching::veto_boxes(v, d, boxes, nullptr) == expected);
}

TEST_CASE("the rotation-agnostic rule vetoes a superset", "[matching]") {
    const geometry::Detector& d = *geometry::find_detector(94);
    matching::VisitTracks aware = visit_with_track_through(d, 30.0);
    matching::VisitTracks agnostic = aware;
    agnostic.params.rotation_deg.reset();
    std::vector<geometry::BBox> boxes;
    for (int x = 0; x + 20 < d.n_pix_x; x += 97)
        for (int y = 0; y + 20 < d.n_pix_y; y += 89) boxes.push_back({x, y, x + 20, y + 20});
    const auto with_rotation = matching::veto_boxes(aware, d, boxes, nullptr);
    const auto without = matching::veto_boxes(agnostic, d, boxes, nullptr);
    std::size_t aware_count = 0, agnostic_count = 0;
    for (std::size_t i = 0; i < boxes.size(); ++i) {
        REQUIRE((!with_rotation[i] || without[i]));
        aware_count += with_rotation[i];
        agnostic_count += without[i];
    }
    REQUIRE(aware_count > 0);
    REQUIRE(agnostic_count > aware_count);
}

TEST_CASE("veto_everything vetoes every box and no segment vetoes none", "[matching]") {
    const geometry::Detector& d = *geometry::find_detector(10);
    matching::VisitTracks v;
    v.by_detector.assign(205, {});
    const std::vector<geometry::BBox> boxes{{0, 0, 5, 5}, {100, 100, 200, 200}};
    REQUIRE(matching::veto_boxes(v, d, boxes, nullptr) == std::vector<char>{0, 0});
    v.veto_everything = true;
    REQUIRE(matching::veto_boxes(v, d, boxes, nullptr) == std::vector<char>{1, 1});
}
