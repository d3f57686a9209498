// The coarse ephemeris' cone index: every chord has its own object's cone, and a visit that
// looks only at the cells cells_near names still sees every cone the prefilter keeps (the
// index may never hide a chord that could reach the field), while leaving most of the catalog
// unread (what makes the visit precompute fast).
#include "methods/catalog_build.hpp"
#include "matching/coarse_ephemeris.hpp"

#include <catch2/catch.hpp>
#include <msgpack.hpp>

#include <cmath>
#include <random>
#include <string>
#include <vector>

namespace {

using satveto::frames::Vec3;
using satveto::matching::ChordCone;
using satveto::matching::CoarseEphemeris;
using satveto::matching::IndexedCone;

using Packer = msgpack::packer<msgpack::sbuffer>;

void pack_record(Packer& p, std::int64_t id, double mean_motion, double eccentricity, double inclination, double node,
                 double perigee, double anomaly, double bstar) {
    p.pack_map(11);
    p.pack("NORAD_CAT_ID");
    p.pack(id);
    p.pack("EPOCH");
    p.pack("2026-11-20T00:00:00");
    p.pack("MEAN_MOTION");
    p.pack(mean_motion);
    p.pack("ECCENTRICITY");
    p.pack(eccentricity);
    p.pack("INCLINATION");
    p.pack(inclination);
    p.pack("RA_OF_ASC_NODE");
    p.pack(node);
    p.pack("ARG_OF_PERICENTER");
    p.pack(perigee);
    p.pack("MEAN_ANOMALY");
    p.pack(anomaly);
    p.pack("BSTAR");
    p.pack(bstar);
    p.pack("MEAN_MOTION_DOT");
    p.pack(0.0);
    p.pack("MEAN_MOTION_DDOT");
    p.pack(0.0);
}

// LEO (many, some low enough to pass close over the site, some decaying within the grid),
// MEO, GEO and Molniya orbits with random orientations.
std::shared_ptr<satveto::catalog::Catalog> mixed_catalog(std::size_t count) {
    std::mt19937_64 rng(20261130);
    std::uniform_real_distribution<double> angle(0.0, 360.0), unit(0.0, 1.0);
    msgpack::sbuffer buffer;
    Packer p(buffer);
    p.pack_array(static_cast<std::uint32_t>(count));
    for (std::size_t i = 0; i < count; ++i) {
        const double pick = unit(rng);
        double n = 0.0, e = 0.0, inc = 180.0 * unit(rng), bstar = 1e-4;
        if (pick < 0.7) {
            n = 14.0 + 2.3 * unit(rng), e = 0.002 * unit(rng);
            if (unit(rng) < 0.01) n = 16.4, bstar = 0.5;  // decays: unpropagated chords
        } else if (pick < 0.8) {
            n = 2.0 + 0.1 * unit(rng), e = 0.01 * unit(rng);
        } else if (pick < 0.9) {
            n = 1.0027, e = 0.0005 * unit(rng), inc = 5.0 * unit(rng);
        } else {
            n = 2.006, e = 0.72, inc = 63.4;
        }
        pack_record(p, static_cast<std::int64_t>(i + 1), n, e, inc, angle(rng), angle(rng), angle(rng), bstar);
    }
    const msgpack::object_handle handle = msgpack::unpack(buffer.data(), buffer.size());
    auto build = satveto::engine::build_catalog(handle.get(), "index", 0.0, 2);
    REQUIRE(build.catalog != nullptr);
    return build.catalog;
}

double angle_between(const Vec3& a, const Vec3& b) {
    const Vec3 c{a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]};
    return std::atan2(std::sqrt(c[0] * c[0] + c[1] * c[1] + c[2] * c[2]), a[0] * b[0] + a[1] * b[1] + a[2] * b[2]);
}

Vec3 unit(const Vec3& v) {
    const double n = std::sqrt(v[0] * v[0] + v[1] * v[1] + v[2] * v[2]);
    return {v[0] / n, v[1] / n, v[2] / n};
}

}  // namespace

TEST_CASE("the cone index keeps every chord with its own object's cone", "[matching][index]") {
    const auto catalog = mixed_catalog(1500);
    const double start = 61364.2;  // TAI MJD, 2026-11-20 04:48
    const std::size_t steps = 8;
    CoarseEphemeris e = CoarseEphemeris::build(*catalog, start, satveto::matching::coarse_step_s, steps, 2);
    const auto orientation = std::make_shared<const satveto::frames::EarthOrientation>();
    const satveto::frames::Site site = satveto::frames::rubin_site();
    e.attach_cones(site, orientation, 2);
    REQUIRE(e.has_cones_for(site, orientation.get()));
    const satveto::frames::FrameSnapshot frame(e.time_of(steps / 2), site, *orientation);

    std::size_t unpropagated = 0, close = 0;
    for (std::size_t k = 0; k + 1 < steps; ++k) {
        std::vector<int> seen(catalog->objects, 0);
        e.for_each_cone(k, nullptr, [&](const IndexedCone& c) {
            REQUIRE(c.object < catalog->objects);
            ++seen[c.object];
            const Vec3& r0 = e.position(c.object, k);
            const Vec3& r1 = e.position(c.object, k + 1);
            if (!std::isfinite(r0[0]) || !std::isfinite(r1[0])) {
                REQUIRE(std::isnan(c.cone.range_lo_km));
                ++unpropagated;
                return;
            }
            const Vec3 s0 = frame.site_teme(e.time_of(k)), s1 = frame.site_teme(e.time_of(k + 1));
            const Vec3 p0{r0[0] - s0[0], r0[1] - s0[1], r0[2] - s0[2]};
            const Vec3 p1{r1[0] - s1[0], r1[1] - s1[1], r1[2] - s1[2]};
            const double range = std::min(std::sqrt(p0[0] * p0[0] + p0[1] * p0[1] + p0[2] * p0[2]),
                                          std::sqrt(p1[0] * p1[0] + p1[1] * p1[1] + p1[2] * p1[2]));
            REQUIRE(c.cone.range_lo_km <= range);
            if (range < 2000.0) ++close;
            if (c.cone.cos_half <= -1.0f) return;  // covers every direction
            // This object's chord: both ends inside its cone.
            const Vec3 centre{c.cone.cx, c.cone.cy, c.cone.cz};
            const double half = std::atan2(c.cone.sin_half, c.cone.cos_half);
            REQUIRE(angle_between(centre, unit(p0)) <= half + 1e-6);
            REQUIRE(angle_between(centre, unit(p1)) <= half + 1e-6);
        });
        for (std::size_t i = 0; i < catalog->objects; ++i) REQUIRE(seen[i] == 1);
    }
    // The catalog exercises what the index treats apart.
    REQUIRE(unpropagated > 0);
    REQUIRE(close > 0);
}

TEST_CASE("cells_near hands over every cone the prefilter keeps, and little else", "[matching][index]") {
    const auto catalog = mixed_catalog(3000);
    const std::size_t steps = 5;
    CoarseEphemeris e = CoarseEphemeris::build(*catalog, 61364.2, satveto::matching::coarse_step_s, steps, 2);
    e.attach_cones(satveto::frames::rubin_site(), std::make_shared<const satveto::frames::EarthOrientation>(), 2);

    // Random directions, and the cube map's own special ones: face centres, edges, corners.
    std::mt19937_64 rng(7);
    std::normal_distribution<double> gauss;
    std::vector<Vec3> directions{{1, 0, 0},        {0, -1, 0},       {0, 0, 1},          unit({1, 1, 0}),
                                 unit({-1, 0, 1}), unit({1, -1, 1}), unit({-1, -1, -1}), unit({1, 1e-9, 0})};
    for (int i = 0; i < 24; ++i) directions.push_back(unit({gauss(rng), gauss(rng), gauss(rng)}));
    // Prefilter angles: the field alone, a typical visit's, wide corridors, and the whole sky.
    const std::vector<double> reaches{0.03, 0.06, 0.2, 1.0, 2.5, 3.1};

    std::size_t narrow_handed = 0, narrow_total = 0;
    for (const Vec3& b : directions)
        for (const double reach : reaches) {
            const auto near = CoarseEphemeris::cells_near(b, reach);
            const double cos_p = std::cos(reach), sin_p = std::sin(reach);
            for (std::size_t k = 0; k + 1 < steps; ++k) {
                std::vector<int> handed(catalog->objects, 0);
                e.for_each_cone(k, &near, [&](const IndexedCone& c) { ++handed[c.object]; });
                e.for_each_cone(k, nullptr, [&](const IndexedCone& c) {
                    REQUIRE(handed[c.object] <= 1);
                    const bool kept = !satveto::matching::prefilter_judges(c.cone) ||
                                      satveto::matching::prefilter_keeps(c.cone, b, cos_p, sin_p);
                    if (kept) REQUIRE(handed[c.object] == 1);
                });
                if (reach == 0.06) {
                    for (int h : handed) narrow_handed += static_cast<std::size_t>(h);
                    narrow_total += catalog->objects;
                }
            }
        }
    // A typical visit reads a small part of the catalog.
    REQUIRE(narrow_handed * 10 < narrow_total);
}
