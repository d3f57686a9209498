// The disclosure budget (state/disclosure_budget.hpp) and what feeds it: the objects whose
// corridors veto a box (matching/veto.hpp, Revealed), checked against a brute-force reference.
#include "common/angles.hpp"
#include "state/disclosure_budget.hpp"
#include "geometry/camera.hpp"
#include "geometry/tan_wcs.hpp"
#include "matching/plane.hpp"
#include "matching/tolerance.hpp"
#include "matching/veto.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <random>
#include <set>

using namespace satveto;
using engine::DisclosureBudget;
using engine::RevealedPair;
using namespace std::chrono_literals;

namespace {

// A visit at rotation `rotation_deg` (or rotation-agnostic) whose candidates each have one
// straight track through detector `d`: candidate k passes the detector's centre at angle
// angles[k] (radians, tangent plane), offset by offsets[k] (tangent-plane units) sideways.
matching::VisitTracks visit_with_tracks(const geometry::Detector& d, std::optional<double> rotation_deg,
                                        const std::vector<double>& angles, const std::vector<double>& offsets) {
    matching::VisitTracks v;
    v.params.visit_id = 5;
    v.params.rotation_deg = rotation_deg;
    const geometry::BBox whole{0, 0, d.n_pix_x - 1, d.n_pix_y - 1};
    const geometry::Quad fa = geometry::bbox_field_angle_corners(d, whole);
    const geometry::Vec2 centre{(fa[0].x + fa[2].x) / 2, (fa[0].y + fa[2].y) / 2};
    const geometry::Vec2 c = geometry::field_angle_to_tangent(centre, rotation_deg.value_or(0.0) * common::deg);
    v.by_detector.assign(205, {});
    for (std::size_t k = 0; k < angles.size(); ++k) {
        const double ux = std::cos(angles[k]), uy = std::sin(angles[k]);
        const matching::Point mid{c.x - uy * offsets[k], c.y + ux * offsets[k]};
        // Two segments per track, so a box may be reached by a later segment of the same object.
        for (int half = 0; half < 2; ++half) {
            matching::TrackSegment s;
            s.a = half == 0 ? matching::Point{mid.x - 0.01 * ux, mid.y - 0.01 * uy} : mid;
            s.b = half == 0 ? mid : matching::Point{mid.x + 0.01 * ux, mid.y + 0.01 * uy};
            s.reach = 20 * common::arcsec;
            s.candidate = static_cast<std::uint32_t>(k);
            matching::segment_radius_range(s.a, s.b, s.r_min, s.r_max);
            for (auto& list : v.by_detector) list.push_back(static_cast<std::uint32_t>(v.segments.size()));
            v.segments.push_back(s);
        }
        v.candidate_ids.push_back(40000 + static_cast<std::int64_t>(k));
    }
    return v;
}

std::set<std::uint32_t> revealed_by(const matching::VisitTracks& v, const geometry::Detector& d,
                                    const std::vector<geometry::BBox>& boxes, const geometry::TanWcs* wcs = nullptr) {
    matching::Revealed revealed(v.candidate_ids.size());
    const auto vetoed = matching::veto_boxes(v, d, boxes, wcs, &revealed);
    // Asking for the revealed objects never changes the answer.
    REQUIRE(vetoed == matching::veto_boxes(v, d, boxes, wcs));
    const auto& list = revealed.candidates();
    const std::set<std::uint32_t> set(list.begin(), list.end());
    REQUIRE(set.size() == list.size());  // each once
    return set;
}

// The reference: candidates with a segment whose reach takes in some vetoed box's quad
// (camera model at the visit's rotation, no bow: boxes well inside or well outside).
std::set<std::uint32_t> brute_force(const matching::VisitTracks& v, const geometry::Detector& d,
                                    const std::vector<geometry::BBox>& boxes) {
    std::set<std::uint32_t> out;
    const double rotation = v.params.rotation_deg.value_or(0.0) * common::deg;
    for (const auto& box : boxes) {
        const geometry::Quad fa = geometry::bbox_field_angle_corners(d, box);
        matching::Quad q;
        for (int c = 0; c < 4; ++c) q[c] = geometry::field_angle_to_tangent(fa[c], rotation);
        for (const auto& s : v.segments)
            if (matching::segment_quad_distance(s.a, s.b, q) <= s.reach) out.insert(s.candidate);
    }
    return out;
}

}  // namespace

TEST_CASE("a vetoed box reveals every object whose corridor reaches it, and only those", "[disclosure]") {
    const geometry::Detector& d = *geometry::find_detector(94);
    // Candidate 0 along the focal plane's x axis, 1 along y (they cross at the centre), 2 far
    // off the detector.
    const matching::VisitTracks v = visit_with_tracks(d, 0.0, {0.0, common::pi / 2, 0.0}, {0.0, 0.0, 0.02});
    const int cx = d.n_pix_x / 2, cy = d.n_pix_y / 2;
    // 20" is 100 pixels.
    const geometry::BBox on_x{200, cy - 5, 210, cy + 5}, on_y{cx - 5, 300, cx + 5, 310};
    const geometry::BBox crossing{cx - 5, cy - 5, cx + 5, cy + 5}, far{200, 300, 210, 310};
    REQUIRE(revealed_by(v, d, {on_x}) == std::set<std::uint32_t>{0});
    REQUIRE(revealed_by(v, d, {on_y}) == std::set<std::uint32_t>{1});
    // The first segment to reach the crossing box vetoes it; the other object counts too.
    REQUIRE(revealed_by(v, d, {crossing}) == std::set<std::uint32_t>{0, 1});
    REQUIRE(revealed_by(v, d, {far}).empty());
    REQUIRE(revealed_by(v, d, {far, on_y, on_x, on_x}) == std::set<std::uint32_t>{0, 1});
    REQUIRE(revealed_by(v, d, {}).empty());
}

TEST_CASE("revealed objects agree with a brute-force reference on random tracks and boxes", "[disclosure]") {
    const geometry::Detector& d = *geometry::find_detector(120);
    std::mt19937 rng(14);
    std::uniform_real_distribution<double> angle(0.0, common::pi), offset(-0.002, 0.002);
    std::uniform_int_distribution<int> x(0, d.n_pix_x - 30), y(0, d.n_pix_y - 30), size(2, 25);
    for (int trial = 0; trial < 20; ++trial) {
        std::vector<double> angles, offsets;
        for (int k = 0; k < 6; ++k) {
            angles.push_back(angle(rng));
            offsets.push_back(offset(rng));
        }
        const matching::VisitTracks v = visit_with_tracks(d, 37.0, angles, offsets);
        std::vector<geometry::BBox> boxes;
        for (int i = 0; i < 40; ++i) {
            const int x0 = x(rng), y0 = y(rng);
            boxes.push_back({x0, y0, x0 + size(rng), y0 + size(rng)});
        }
        const auto vetoed = matching::veto_boxes(v, d, boxes, nullptr);
        std::vector<geometry::BBox> vetoed_boxes;
        for (std::size_t i = 0; i < boxes.size(); ++i)
            if (vetoed[i]) vetoed_boxes.push_back(boxes[i]);
        // Exactly the objects that would veto one of the vetoed boxes on their own ...
        std::set<std::uint32_t> expected;
        for (std::uint32_t c = 0; c < v.candidate_ids.size(); ++c) {
            matching::VisitTracks only = v;
            only.segments.clear();
            for (const auto& s : v.segments)
                if (s.candidate == c) only.segments.push_back(s);
            for (auto& list : only.by_detector) {
                list.clear();
                for (std::uint32_t k = 0; k < only.segments.size(); ++k) list.push_back(k);
            }
            const auto alone = matching::veto_boxes(only, d, vetoed_boxes, nullptr);
            if (std::count(alone.begin(), alone.end(), 1) > 0) expected.insert(c);
        }
        const std::set<std::uint32_t> got = revealed_by(v, d, boxes);
        REQUIRE(got == expected);
        // ... which take in at least those whose corridor reaches a box by plain geometry (the
        // engine adds the edge bow and refraction bounds to the reach).
        const std::set<std::uint32_t> geometric = brute_force(v, d, vetoed_boxes);
        REQUIRE(std::includes(got.begin(), got.end(), geometric.begin(), geometric.end()));
        REQUIRE(!got.empty());
    }
}

TEST_CASE("the rotation-agnostic rule reveals the objects whose annulus takes in a box", "[disclosure]") {
    const geometry::Detector& d = *geometry::find_detector(94);
    const matching::VisitTracks v = visit_with_tracks(d, std::nullopt, {0.0, common::pi / 2, 0.0}, {0.0, 0.0, 0.02});
    const int cx = d.n_pix_x / 2, cy = d.n_pix_y / 2;
    const auto got = revealed_by(v, d, {{cx - 5, cy - 5, cx + 5, cy + 5}});
    // Both tracks through the centre span its radius; the far one (0.02 off) does not.
    REQUIRE(got == std::set<std::uint32_t>{0, 1});
}

TEST_CASE("a visit vetoed whole reveals every candidate; boxes vetoed without a track reveal none", "[disclosure]") {
    const geometry::Detector& d = *geometry::find_detector(94);
    matching::VisitTracks v = visit_with_tracks(d, 0.0, {0.0, 1.0, 2.0}, {0.02, 0.02, 0.02});
    REQUIRE(revealed_by(v, d, {{0, 0, 5, 5}}).empty());
    v.veto_everything = true;
    REQUIRE(revealed_by(v, d, {{0, 0, 5, 5}}) == std::set<std::uint32_t>{0, 1, 2});
    REQUIRE(revealed_by(v, d, {}).empty());  // no source, nothing answered about
    // A WCS that does not face the boresight: every box vetoed (fail safe), no object named.
    v.veto_everything = false;
    const double cd[2][2] = {{-5.5e-5, 0.0}, {0.0, 5.5e-5}};
    const geometry::TanWcs away = geometry::tan_wcs_from_degrees(180.0, 0.0, {2000.0, 2000.0}, cd);
    matching::Revealed revealed(v.candidate_ids.size());
    REQUIRE(matching::veto_boxes(v, d, std::vector<geometry::BBox>{{0, 0, 5, 5}}, &away, &revealed) ==
            std::vector<char>{1});
    REQUIRE(revealed.candidates().empty());
}

TEST_CASE("the budget counts distinct pairs for an hour and repeats cost nothing", "[disclosure]") {
    DisclosureBudget budget;
    const auto t0 = DisclosureBudget::Clock::time_point{} + 100h;
    const std::uint64_t current = engine::catalog_key("current"), old = engine::catalog_key("hist-20260101T0000Z");
    REQUIRE(current != old);
    const RevealedPair a{current, 1, 25544}, b{current, 1, 44713}, a2{current, 2, 25544}, a_old{old, 1, 25544};
    REQUIRE(budget.admit(std::vector{a, b, a}, t0, 10));
    REQUIRE(budget.revealed(t0) == 2);  // the same pair twice in one answer counts once
    REQUIRE(budget.admit(std::vector{b, a}, t0 + 10min, 10));
    REQUIRE(budget.revealed(t0 + 10min) == 2);  // a repeat costs nothing
    // The same object in another visit, or the same visit id in another catalog: new pairs.
    REQUIRE(budget.admit(std::vector{a2, a_old}, t0 + 30min, 10));
    REQUIRE(budget.revealed(t0 + 30min) == 4);
    // An hour after its first revelation a pair leaves the count (a repeat did not renew it).
    REQUIRE(budget.revealed(t0 + 1h - 1ms) == 4);
    REQUIRE(budget.revealed(t0 + 1h) == 2);
    REQUIRE(budget.revealed(t0 + 90min) == 0);
    // ... and is counted afresh when revealed again.
    REQUIRE(budget.admit(std::vector{a}, t0 + 2h, 10));
    REQUIRE(budget.revealed(t0 + 2h) == 1);
    REQUIRE(budget.refusals() == 0);
}

TEST_CASE("a spent budget refuses every answer, counts nothing, and reopens as pairs age", "[disclosure]") {
    DisclosureBudget budget;
    const auto t0 = DisclosureBudget::Clock::time_point{} + 100h;
    auto pair = [](std::int64_t object) { return RevealedPair{engine::catalog_key("current"), 9, object}; };
    REQUIRE_FALSE(budget.refuses(t0, 3));
    REQUIRE(budget.admit(std::vector{pair(1), pair(2)}, t0, 3));
    // Below the limit an answer is given whatever it reveals: the count passes the limit by
    // that one answer's new pairs (a refusal decided on them would disclose them).
    REQUIRE(budget.admit(std::vector{pair(3), pair(4)}, t0 + 1min, 3));
    REQUIRE(budget.revealed(t0 + 1min) == 4);
    // At the limit everything is refused, whatever it would reveal: new pairs, repeats, nothing.
    REQUIRE(budget.refuses(t0 + 2min, 3));
    REQUIRE_FALSE(budget.admit(std::vector{pair(5)}, t0 + 2min, 3));
    REQUIRE_FALSE(budget.admit(std::vector{pair(1)}, t0 + 2min, 3));
    REQUIRE_FALSE(budget.admit(std::vector<RevealedPair>{}, t0 + 2min, 3));
    REQUIRE(budget.refusals() == 4);
    REQUIRE(budget.revealed(t0 + 2min) == 4);  // a refused answer counted nothing
    // A higher limit (configure) opens it at once; a lower one closes it.
    REQUIRE(budget.admit(std::vector{pair(5)}, t0 + 3min, 100));
    REQUIRE(budget.revealed(t0 + 3min) == 5);
    // Pairs 1 and 2 leave at t0 + 1 h: 3 left, still spent at 3; 3 and 4 leave a minute later.
    REQUIRE(budget.refuses(t0 + 1h, 3));
    REQUIRE_FALSE(budget.refuses(t0 + 1h + 1min, 3));
    REQUIRE(budget.admit(std::vector{pair(1)}, t0 + 1h + 1min, 3));
    REQUIRE(budget.revealed(t0 + 1h + 1min) == 2);
    REQUIRE(budget.refusals() == 5);
}

TEST_CASE("the budget's memory stays within the limit and one answer, and its clock never runs back", "[disclosure]") {
    DisclosureBudget budget;
    const auto t0 = DisclosureBudget::Clock::time_point{} + 100h;
    const std::uint64_t limit = 50;
    std::int64_t object = 0;
    std::uint64_t given = 0;
    for (int minute = 0; minute < 600; ++minute) {  // ten hours, 3 new pairs a minute offered
        const auto now = t0 + std::chrono::minutes(minute);
        std::vector<RevealedPair> pairs;
        for (int k = 0; k < 3; ++k) pairs.push_back({engine::catalog_key("current"), 1, ++object});
        given += budget.admit(pairs, now, limit) ? 1 : 0;
        REQUIRE(budget.revealed(now) <= limit - 1 + 3);
    }
    REQUIRE(given > 0);
    REQUIRE(budget.refusals() > 0);
    // A caller that read the clock just before another: its `now` is taken as the later one.
    const auto late = t0 + 20h;
    REQUIRE(budget.admit(std::vector{RevealedPair{1, 2, 3}}, late, 1000));
    REQUIRE(budget.admit(std::vector{RevealedPair{1, 2, 4}}, late - 30min, 1000));
    REQUIRE(budget.revealed(late + 1h - 1ms) == 2);
    REQUIRE(budget.revealed(late + 1h) == 0);  // both counted at `late`, both gone an hour on
}
