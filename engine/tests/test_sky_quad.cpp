// Sky-corner footprints: the convex hull, the projection into a visit's tangent plane with
// its secrecy limits, the segment-to-polygon distance, and the veto of sky quads against
// synthetic tracks.  (The end-to-end check against a dense spherical brute force is in
// tests/accuracy/test_sky_corners_oracle.py.)
#include "common/angles.hpp"
#include "frames/frames.hpp"
#include "geometry/camera.hpp"
#include "geometry/sky_quad.hpp"
#include "matching/polygon_distance.hpp"
#include "matching/sky_field.hpp"
#include "matching/veto_sky.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <random>

using namespace satveto;
using geometry::ConvexPolygon;
using geometry::Vec2;

namespace {

using satveto::common::arcsec;
using satveto::common::deg;

// Signed area (positive counter-clockwise), as a fan from v[0] so that rounding is relative
// to the polygon's size, not to its distance from the origin.
double polygon_area(const ConvexPolygon& p) {
    double a = 0.0;
    for (int i = 1; i + 1 < p.n; ++i) {
        const Vec2 e1{p.v[i].x - p.v[0].x, p.v[i].y - p.v[0].y};
        const Vec2 e2{p.v[i + 1].x - p.v[0].x, p.v[i + 1].y - p.v[0].y};
        a += e1.x * e2.y - e1.y * e2.x;
    }
    return 0.5 * a;
}

bool has_vertex(const ConvexPolygon& p, Vec2 q) {
    for (int i = 0; i < p.n; ++i)
        if (p.v[i].x == q.x && p.v[i].y == q.y) return true;
    return false;
}

// Sky position at angular distance `rho` and position angle `pa` (from North through East)
// from (ra0, dec0), all radians, via the tangent-plane basis of the frames module.
geometry::RaDec offset(double ra0, double dec0, double rho, double pa) {
    const frames::TangentBasis b = frames::tangent_basis(ra0, dec0);
    frames::Vec3 v;
    for (int k = 0; k < 3; ++k)
        v[k] = std::cos(rho) * b.center[k] + std::sin(rho) * (std::sin(pa) * b.east[k] + std::cos(pa) * b.north[k]);
    geometry::RaDec out;
    frames::ra_dec_of(v, out.ra, out.dec);
    return out;
}

geometry::TangentFrame frame_at(double ra, double dec) {
    const frames::TangentBasis b = frames::tangent_basis(ra, dec);
    return {b.center, b.east, b.north};
}

}  // namespace

TEST_CASE("convex hull of four corners in every order", "[sky_quad]") {
    std::array<Vec2, 4> square{{{0, 0}, {1, 0}, {1, 1}, {0, 1}}};
    std::sort(square.begin(), square.end(), [](Vec2 a, Vec2 b) { return a.x < b.x || (a.x == b.x && a.y < b.y); });
    int orders = 0;
    do {  // all 24 orders, including the bow-tie ones whose edges cross
        const ConvexPolygon h = geometry::convex_hull(square);
        REQUIRE(h.n == 4);
        REQUIRE(polygon_area(h) == Approx(1.0));  // positive: counter-clockwise
        for (const Vec2& p : square) REQUIRE(has_vertex(h, p));
        ++orders;
    } while (std::next_permutation(square.begin(), square.end(),
                                   [](Vec2 a, Vec2 b) { return a.x < b.x || (a.x == b.x && a.y < b.y); }));
    REQUIRE(orders == 24);
}

TEST_CASE("convex hull of degenerate corners", "[sky_quad]") {
    // A corner inside the triangle of the others (a dart) is dropped.
    ConvexPolygon h = geometry::convex_hull({{{0, 0}, {4, 0}, {1, 1}, {0, 4}}});
    REQUIRE(h.n == 3);
    REQUIRE(polygon_area(h) == Approx(8.0));
    // Two coincident corners: a triangle.
    h = geometry::convex_hull({{{0, 0}, {2, 0}, {2, 0}, {0, 2}}});
    REQUIRE(h.n == 3);
    // A corner on an edge is dropped.
    h = geometry::convex_hull({{{0, 0}, {1, 0}, {2, 0}, {0, 2}}});
    REQUIRE(h.n == 3);
    REQUIRE_FALSE(has_vertex(h, {1, 0}));
    // Collinear corners in a scrambled order: the segment between the extreme two.
    h = geometry::convex_hull({{{2, 2}, {0, 0}, {3, 3}, {1, 1}}});
    REQUIRE(h.n == 2);
    REQUIRE(has_vertex(h, {0, 0}));
    REQUIRE(has_vertex(h, {3, 3}));
    // A vertical line (equal x): still two ends.
    h = geometry::convex_hull({{{1, 5}, {1, -2}, {1, 0}, {1, 3}}});
    REQUIRE(h.n == 2);
    REQUIRE(has_vertex(h, {1, -2}));
    REQUIRE(has_vertex(h, {1, 5}));
    // Two distinct points, each twice; then one point four times.
    h = geometry::convex_hull({{{1, 1}, {2, 3}, {1, 1}, {2, 3}}});
    REQUIRE(h.n == 2);
    h = geometry::convex_hull({{{0.5, -0.25}, {0.5, -0.25}, {0.5, -0.25}, {0.5, -0.25}}});
    REQUIRE(h.n == 1);
    REQUIRE(has_vertex(h, {0.5, -0.25}));
}

TEST_CASE("convex hull of nearly collinear corners stays a hull", "[sky_quad]") {
    // Rounding makes orientation tests on such points inconsistent; the hull must still have
    // at most four vertices, turn left, and hold every corner (to the stated 1e-12 tolerance).
    std::mt19937 rng(5);
    std::uniform_real_distribution<double> u(-1.0, 1.0);
    for (int trial = 0; trial < 20000; ++trial) {
        const Vec2 origin{u(rng) * 0.03, u(rng) * 0.03};
        const Vec2 direction{u(rng), u(rng)};
        const double size = std::pow(10.0, -6.0 + 4.0 * (u(rng) + 1.0) / 2.0);
        const double wobble = trial % 2 == 0 ? 0.0 : size * 1e-15 * u(rng);
        std::array<Vec2, 4> corners;
        for (auto& c : corners) {
            const double t = u(rng) * size;
            c = {origin.x + t * direction.x - wobble * direction.y, origin.y + t * direction.y + wobble * direction.x};
        }
        const ConvexPolygon h = geometry::convex_hull(corners);
        REQUIRE(h.n >= 1);
        REQUIRE(h.n <= 4);
        REQUIRE(polygon_area(h) >= 0.0);
        for (const Vec2& c : corners)
            REQUIRE(matching::segment_polygon_distance(c, c, h) <=
                    1e-11 * size * std::hypot(direction.x, direction.y) + 1e-18);
    }
}

TEST_CASE("segment-polygon distance agrees with dense sampling for every hull size", "[sky_quad]") {
    std::mt19937 rng(11);
    std::uniform_real_distribution<double> u(-2.0, 2.0);
    std::uniform_int_distribution<int> pick(0, 3);
    int by_size[5] = {0, 0, 0, 0, 0};
    for (int trial = 0; trial < 2000; ++trial) {
        std::array<Vec2, 4> corners;
        for (auto& c : corners) c = {u(rng) * 0.5, u(rng) * 0.5};
        // Make a share of them degenerate: repeated corners and collinear corners.
        if (trial % 5 == 1) corners[2] = corners[0], corners[3] = corners[1];
        if (trial % 5 == 2) corners[1] = corners[2] = corners[3] = corners[0];
        if (trial % 5 == 3)
            for (int k = 1; k < 4; ++k) {
                const double t = u(rng);
                corners[k] = {corners[0].x + t * 0.3, corners[0].y - t * 0.7};
            }
        const ConvexPolygon h = geometry::convex_hull(corners);
        ++by_size[h.n];
        const Vec2 a{u(rng), u(rng)}, b{u(rng), u(rng)};
        // Brute force: sample the segment, and the polygon as a fan of triangles from v[0]
        // (for n <= 2 the fan degenerates to the point or the segment itself).
        double sampled = INFINITY;
        const int m = 120;
        for (int i = 0; i <= m; ++i) {
            const double s = static_cast<double>(i) / m;
            const Vec2 p{a.x + s * (b.x - a.x), a.y + s * (b.y - a.y)};
            for (int t = 0; t < std::max(1, h.n - 2); ++t) {
                const Vec2 p0 = h.v[0], p1 = h.v[std::min(t + 1, h.n - 1)], p2 = h.v[std::min(t + 2, h.n - 1)];
                for (int j = 0; j <= 30; ++j)
                    for (int k = 0; j + k <= 30; ++k) {
                        const double wj = j / 30.0, wk = k / 30.0;
                        const Vec2 q{p0.x + wj * (p1.x - p0.x) + wk * (p2.x - p0.x),
                                     p0.y + wj * (p1.y - p0.y) + wk * (p2.y - p0.y)};
                        sampled = std::min(sampled, std::hypot(p.x - q.x, p.y - q.y));
                    }
            }
        }
        const double exact = matching::segment_polygon_distance(a, b, h);
        REQUIRE(exact <= sampled + 1e-12);  // never more than any sampled pair
        REQUIRE(exact >= sampled - 0.06);   // sampling spacing: 4/120 along, 1/30 of the hull across
    }
    REQUIRE(by_size[1] > 0);
    REQUIRE(by_size[2] > 0);
    REQUIRE(by_size[3] > 0);
    REQUIRE(by_size[4] > 0);
}

TEST_CASE("great-circle edges of a sky quad project onto the hull's straight edges", "[sky_quad]") {
    const double ra0 = 150.1 * deg, dec0 = -30.2 * deg;
    const geometry::TangentFrame frame = frame_at(ra0, dec0);
    geometry::SkyQuad q;
    const double pas[4] = {10.0, 100.0, 190.0, 280.0};
    for (int k = 0; k < 4; ++k) q.corners[k] = offset(ra0, dec0, 1.8 * deg, pas[k] * deg);
    const auto p = geometry::project_sky_quad(q, frame, 2.0 * deg, 5.0 * deg);
    REQUIRE(p.status == geometry::SkyQuadStatus::usable);
    REQUIRE(p.hull.n == 4);
    // Points along the great circle between corners 0 and 1 lie on the line of their images.
    const frames::Vec3 u0 = frames::unit_vector(q.corners[0].ra, q.corners[0].dec);
    const frames::Vec3 u1 = frames::unit_vector(q.corners[1].ra, q.corners[1].dec);
    auto project = [&](const frames::Vec3& v) {
        const double z = v[0] * frame.center[0] + v[1] * frame.center[1] + v[2] * frame.center[2];
        return Vec2{(v[0] * frame.east[0] + v[1] * frame.east[1] + v[2] * frame.east[2]) / z,
                    (v[0] * frame.north[0] + v[1] * frame.north[1] + v[2] * frame.north[2]) / z};
    };
    const Vec2 a = project(u0), b = project(u1);
    for (int i = 1; i < 10; ++i) {
        const double t = i / 10.0;
        frames::Vec3 w{u0[0] * (1 - t) + u1[0] * t, u0[1] * (1 - t) + u1[1] * t, u0[2] * (1 - t) + u1[2] * t};
        const Vec2 m = project(w);  // the normalisation of w cancels in the projection
        const double off_line = ((b.x - a.x) * (m.y - a.y) - (b.y - a.y) * (m.x - a.x)) /
                                std::hypot(b.x - a.x, b.y - a.y);
        REQUIRE(std::fabs(off_line) < 1e-15);
        // And the great-circle point is on the hull's boundary (to rounding).
        REQUIRE(matching::segment_polygon_distance(m, m, p.hull) < 1e-15);
    }
}

TEST_CASE("sky quads outside the field or too large are denied", "[sky_quad]") {
    const double ra0 = 20.0 * deg, dec0 = 10.0 * deg;
    const geometry::TangentFrame frame = frame_at(ra0, dec0);
    const double field = 2.05 * deg, span = 0.35 * deg;
    auto quad_at = [&](double rho, double pa, double half) {
        const geometry::RaDec c = offset(ra0, dec0, rho, pa);
        geometry::SkyQuad q;
        for (int k = 0; k < 4; ++k) q.corners[k] = offset(c.ra, c.dec, half, (pa + 90.0 * k * deg));
        return q;
    };
    using S = geometry::SkyQuadStatus;
    REQUIRE(geometry::project_sky_quad(quad_at(1.0 * deg, 0.3, 10 * arcsec), frame, field, span).status == S::usable);
    // A corner just outside: denied; the same quad moved 1" inward: usable.
    const double half = 10 * arcsec;
    REQUIRE(geometry::project_sky_quad(quad_at(field - half + 1 * arcsec, 0.0, half), frame, field, span).status ==
            S::outside_field);
    REQUIRE(geometry::project_sky_quad(quad_at(field - half - 1 * arcsec, 0.0, half), frame, field, span).status ==
            S::usable);
    // Far away and behind the sky: denied, never projected.
    REQUIRE(geometry::project_sky_quad(quad_at(90.0 * deg, 1.0, half), frame, field, span).status == S::outside_field);
    REQUIRE(geometry::project_sky_quad(quad_at(179.0 * deg, 1.0, half), frame, field, span).status == S::outside_field);
    // Diagonal 2 * half: just above and just below the span limit.
    REQUIRE(geometry::project_sky_quad(quad_at(0.5 * deg, 2.0, 0.5 * span + 0.5 * arcsec), frame, field, span).status ==
            S::too_large);
    REQUIRE(geometry::project_sky_quad(quad_at(0.5 * deg, 2.0, 0.5 * span - 0.5 * arcsec), frame, field, span).status ==
            S::usable);
    // A long thin sliver: two corners far apart is enough.
    geometry::SkyQuad sliver;
    sliver.corners = {offset(ra0, dec0, 0.0, 0.0), offset(ra0, dec0, 0.0, 0.0), offset(ra0, dec0, 0.0, 0.0),
                      offset(ra0, dec0, 0.4 * deg, 1.0)};
    REQUIRE(geometry::project_sky_quad(sliver, frame, field, span).status == S::too_large);
}

TEST_CASE("RA wrap and the pole", "[sky_quad]") {
    using S = geometry::SkyQuadStatus;
    // Boresight at RA 0: corners at RA 359.99 and 0.01 are 0.02 deg apart, not 359.98.
    {
        const geometry::TangentFrame frame = frame_at(0.0, 0.0);
        geometry::SkyQuad q;
        q.corners = {geometry::RaDec{359.99 * deg, -0.01 * deg}, geometry::RaDec{0.01 * deg, -0.01 * deg},
                     geometry::RaDec{0.01 * deg, 0.01 * deg}, geometry::RaDec{359.99 * deg, 0.01 * deg}};
        const auto p = geometry::project_sky_quad(q, frame, 2.05 * deg, 0.35 * deg);
        REQUIRE(p.status == S::usable);
        REQUIRE(p.hull.n == 4);
        REQUIRE(polygon_area(p.hull) == Approx(std::pow(std::tan(0.02 * deg), 2)).epsilon(1e-3));
    }
    // Boresight at the north pole; a small quad around the pole has corners at every RA.
    for (const double dec0 : {90.0, 89.95}) {
        const geometry::TangentFrame frame = frame_at(123.0 * deg, dec0 * deg);
        geometry::SkyQuad q;
        for (int k = 0; k < 4; ++k) q.corners[k] = {(10.0 + 90.0 * k) * deg, 89.99 * deg};
        const auto p = geometry::project_sky_quad(q, frame, 2.05 * deg, 0.35 * deg);
        REQUIRE(p.status == S::usable);
        REQUIRE(p.hull.n == 4);
        // A square of diagonal 0.02 deg: area 2 * (0.01 deg)^2 whatever the RA of the corners.
        REQUIRE(polygon_area(p.hull) == Approx(2.0 * std::pow(0.01 * deg, 2)).epsilon(1e-3));
    }
}

namespace {

// A visit at (ra0, dec0) whose only segment runs east-west through the tangent-plane point
// (0, eta), reach 25" (tangent-plane units).
matching::VisitTracks visit_with_segment(double ra0_deg, double dec0_deg, double eta) {
    matching::VisitTracks v;
    v.params.visit_id = 7;
    v.params.boresight_ra_deg = ra0_deg;
    v.params.boresight_dec_deg = dec0_deg;
    matching::TrackSegment s;
    s.a = {-0.03, eta};
    s.b = {0.03, eta};
    s.reach = 25 * arcsec;
    matching::segment_radius_range(s.a, s.b, s.r_min, s.r_max);
    v.segments.push_back(s);
    return v;
}

// A small square sky quad centred on tangent-plane point (xi, eta) of the visit, half-side h
// (tangent-plane units), corners in the given order of {0, 1, 2, 3} around it.
geometry::SkyQuad square_at(const matching::VisitTracks& v, double xi, double eta, double h,
                            std::array<int, 4> order = {0, 1, 2, 3}) {
    const geometry::RaDec centre{v.params.boresight_ra_deg * deg, v.params.boresight_dec_deg * deg};
    const Vec2 around[4] = {{xi - h, eta - h}, {xi + h, eta - h}, {xi + h, eta + h}, {xi - h, eta + h}};
    const frames::TangentBasis b = frames::tangent_basis(centre.ra, centre.dec);
    geometry::SkyQuad q;
    for (int k = 0; k < 4; ++k) {
        const Vec2 p = around[order[k]];
        frames::Vec3 w;
        for (int c = 0; c < 3; ++c) w[c] = b.center[c] + p.x * b.east[c] + p.y * b.north[c];
        frames::ra_dec_of(w, q.corners[k].ra, q.corners[k].dec);
    }
    return q;
}

}  // namespace

TEST_CASE("sky quads on a track are vetoed, off it allowed, and the limits deny", "[sky_quad]") {
    for (const double dec0 : {-30.0, 0.0, 89.9, 90.0, -90.0}) {
        for (const double ra0 : {0.0, 359.999, 150.0}) {
            const matching::VisitTracks v = visit_with_segment(ra0, dec0, 0.01);
            const double h = 2 * arcsec, reach = 25 * arcsec;
            const std::vector<geometry::SkyQuad> quads{
                square_at(v, 0.0, 0.01, h),                              // on the track
                square_at(v, 0.0, 0.01 + reach + h - 0.01 * arcsec, h),  // edge just within reach
                square_at(v, 0.0, 0.01 + reach + h + 0.01 * arcsec, h),  // edge just beyond
                square_at(v, 0.0, -0.01, h),                             // far
                square_at(v, 0.0, 0.01, h, {0, 2, 1, 3}),                // bow-tie order, on the track
                square_at(v, 0.0, 0.01 + reach + h - 0.01 * arcsec, h, {0, 2, 1, 3}),
                square_at(v, 0.0, 0.01, 0.0),         // zero area: a point on it
                square_at(v, 0.0, 0.0358 + h, h),     // beyond the field: denied
                square_at(v, 0.0, 0.01, 0.15 * deg),  // 0.42 deg diagonal: denied
            };
            const std::vector<char> expected{1, 1, 0, 0, 1, 1, 1, 1, 1};
            const std::vector<char> vetoed = matching::veto_sky_quads(v, quads, 0.35 * deg);
            REQUIRE(vetoed == expected);
            // A larger span limit lets the big quad be judged: it is on the track anyway; and a
            // big quad far from the track is allowed under that limit, denied under 0.35 deg.
            const std::vector<geometry::SkyQuad> big{square_at(v, 0.0, -0.01, 0.15 * deg)};
            REQUIRE(matching::veto_sky_quads(v, big, 1.0 * deg) == std::vector<char>{0});
            REQUIRE(matching::veto_sky_quads(v, big, 0.35 * deg) == std::vector<char>{1});
        }
    }
}

TEST_CASE("the sky field is the camera's plus the margin, and denies whatever the tracks", "[sky_quad]") {
    matching::VisitTracks v = visit_with_segment(10.0, -40.0, 0.5);  // segment far outside the field
    const double field = matching::sky_field_radius_rad(v.tolerance);
    REQUIRE(field == Approx(geometry::camera_field_radius_rad() + 5 * arcsec));
    const double h = 1 * arcsec;
    // tan() because the square is placed in tangent-plane units; the field is an angle.
    const std::vector<geometry::SkyQuad> quads{square_at(v, 0.0, std::tan(field) - h - 1e-3 * arcsec, h),
                                               square_at(v, 0.0, std::tan(field) - h + 0.1 * arcsec, h)};
    REQUIRE(matching::veto_sky_quads(v, quads, 0.35 * deg) == std::vector<char>{0, 1});
    v.veto_everything = true;
    REQUIRE(matching::veto_sky_quads(v, quads, 0.35 * deg) == std::vector<char>{1, 1});
}

TEST_CASE("veto_footprints puts box and sky verdicts back in source order", "[sky_quad]") {
    const geometry::Detector& d = *geometry::find_detector(94);
    matching::VisitTracks v = visit_with_segment(150.0, -30.0, 0.01);
    v.params.rotation_deg = 0.0;
    v.by_detector.assign(205, {});
    matching::Footprints f;
    f.sky = {square_at(v, 0.0, 0.01, 1 * arcsec), square_at(v, 0.0, -0.01, 1 * arcsec)};
    f.sky_sources = {3, 0};
    f.boxes = {{10, 10, 20, 20}, {30, 30, 40, 40}};
    f.box_sources = {1, 2};
    // No segment is binned to the detector: boxes allowed; sky quad 3 on the track, 0 not.
    REQUIRE(matching::veto_footprints(v, d, f, 4, nullptr, 0.35 * deg) == std::vector<char>{0, 0, 0, 1});
}

TEST_CASE("a vetoed sky quad reveals every object whose corridor reaches it; a denied one none", "[sky_quad]") {
    // Candidate 0 runs east-west through eta = 0.01, candidate 1 north-south through xi = 0.
    matching::VisitTracks v = visit_with_segment(150.0, -30.0, 0.01);
    v.candidate_ids = {25544, 44713};
    matching::TrackSegment s;
    s.a = {0.0, -0.03};
    s.b = {0.0, 0.03};
    s.reach = 25 * arcsec;
    s.candidate = 1;
    matching::segment_radius_range(s.a, s.b, s.r_min, s.r_max);
    v.segments.push_back(s);
    const double h = 2 * arcsec;
    auto revealed_by = [&](const std::vector<geometry::SkyQuad>& quads) {
        matching::Revealed revealed(v.candidate_ids.size());
        const auto vetoed = matching::veto_sky_quads(v, quads, 0.35 * deg, &revealed);
        REQUIRE(vetoed == matching::veto_sky_quads(v, quads, 0.35 * deg));  // the same answer
        auto list = revealed.candidates();
        std::sort(list.begin(), list.end());
        return list;
    };
    REQUIRE(revealed_by({square_at(v, 0.02, 0.01, h)}) == std::vector<std::uint32_t>{0});
    REQUIRE(revealed_by({square_at(v, 0.0, -0.02, h)}) == std::vector<std::uint32_t>{1});
    REQUIRE(revealed_by({square_at(v, 0.0, 0.01, h)}) == std::vector<std::uint32_t>{0, 1});  // the crossing
    REQUIRE(revealed_by({square_at(v, 0.02, -0.02, h)}).empty());                            // off both
    // Denied (spanning 0.42 deg) though on both tracks: left out, but no object named.
    REQUIRE(revealed_by({square_at(v, 0.0, 0.01, 0.15 * deg)}).empty());
    v.veto_everything = true;
    REQUIRE(revealed_by({square_at(v, 0.02, -0.02, h)}) == std::vector<std::uint32_t>{0, 1});
}
