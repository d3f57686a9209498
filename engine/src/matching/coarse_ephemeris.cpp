#include "matching/coarse_ephemeris.hpp"

#include "common/angles.hpp"
#include "common/parallel.hpp"
#include "frames/time_scales.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace satveto::matching {

CoarseEphemeris CoarseEphemeris::build(const catalog::Catalog& catalog, double start_mjd_tai, double step_s,
                                       std::size_t steps, unsigned threads) {
    CoarseEphemeris e;
    e.start_mjd_ = start_mjd_tai;
    e.step_s_ = step_s;
    e.steps_ = steps;
    e.objects_ = catalog.objects;
    e.span_ = catalog_span(catalog);
    e.xyz_.assign(e.objects_ * steps, frames::Vec3{});
    std::vector<sgp4::StateVector> states(e.objects_);
    const double nan = std::numeric_limits<double>::quiet_NaN();
    for (std::size_t k = 0; k < steps; ++k) {
        catalog.batch.propagate_at(frames::mjd_utc_from_tai(e.time_of(k)), states, threads);
        for (std::size_t i = 0; i < e.objects_; ++i) {
            const sgp4::StateVector& s = states[i];
            e.xyz_[k * e.objects_ + i] = s.error == sgp4::ErrorCode::ok ? frames::Vec3{s.r_km[0], s.r_km[1], s.r_km[2]}
                                                                        : frames::Vec3{nan, nan, nan};
        }
    }
    return e;
}

CatalogSpan catalog_span(const catalog::Catalog& catalog) {
    CatalogSpan span;
    for (std::size_t i = 0; i < catalog.objects; ++i) {
        span.min_epoch_mjd = std::min(span.min_epoch_mjd, catalog.epoch_mjd[i]);
        span.max_epoch_mjd = std::max(span.max_epoch_mjd, catalog.epoch_mjd[i]);
        const double speed = catalog.slowest_speed_km_s[i];
        span.min_speed_km_s = std::min(span.min_speed_km_s, speed > 0.1 ? speed : 0.1);  // NaN: 0.1, as fmax
    }
    return span;
}

double slowest_speed_km_s(const sgp4::Satellite& satellite) {
    constexpr double mu_km3_s2 = 398600.8;  // WGS-72, as the propagator
    const double n_rad_s = satellite.elements.mean_motion / 60.0;
    const double a_km = std::cbrt(mu_km3_s2 / (n_rad_s * n_rad_s));
    const double e = std::clamp(satellite.elements.eccentricity, 0.0, 0.999);
    return 0.9 * std::sqrt(mu_km3_s2 / a_km * (1.0 - e) / (1.0 + e));
}

namespace {

// The cube map's cells: a direction's face is its largest component (ties to the first), its
// cell the square of the face's gnomonic grid it falls in.
struct CubeCell {
    int axis;     // 0, 1, 2: x, y, z
    double sign;  // the face's side of that axis
    std::size_t iu, iv;
};

std::size_t face_index(const CubeCell& c) { return static_cast<std::size_t>(2 * c.axis + (c.sign > 0 ? 0 : 1)); }

std::size_t grid_index(double t) {  // t in [-1, 1]
    const double scaled = std::floor((t + 1.0) * 0.5 * static_cast<double>(cube_cells_per_edge));
    return static_cast<std::size_t>(std::clamp(scaled, 0.0, static_cast<double>(cube_cells_per_edge - 1)));
}

// The unit vector at face coordinates (u, v) of a face.
frames::Vec3 face_point(int axis, double sign, double u, double v) {
    frames::Vec3 p{};
    p[static_cast<std::size_t>(axis)] = sign;
    p[static_cast<std::size_t>((axis + 1) % 3)] = u;
    p[static_cast<std::size_t>((axis + 2) % 3)] = v;
    const double n = std::sqrt(p[0] * p[0] + p[1] * p[1] + p[2] * p[2]);
    return {p[0] / n, p[1] / n, p[2] / n};
}

double angle_between(const frames::Vec3& a, const frames::Vec3& b) {
    const frames::Vec3 c{a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]};
    return std::atan2(std::sqrt(c[0] * c[0] + c[1] * c[1] + c[2] * c[2]), a[0] * b[0] + a[1] * b[1] + a[2] * b[2]);
}

// Every cell's centre (unit vector) and the largest angle from a cell's centre to any point of
// it.  A cell is the gnomonic image of a square, a spherical quadrilateral bounded by great
// circles: it lies within the cap about its centre through its farthest corner (caps under a
// right angle are convex), so the corners give the radius.
struct CellGeometry {
    std::vector<frames::Vec3> centre;
    double radius_rad = 0.0;
};

const CellGeometry& cell_geometry() {
    static const CellGeometry geometry = [] {
        CellGeometry g;
        g.centre.resize(sky_cells);
        const double side = 2.0 / static_cast<double>(cube_cells_per_edge);
        for (int axis = 0; axis < 3; ++axis)
            for (double sign : {1.0, -1.0})
                for (std::size_t iu = 0; iu < cube_cells_per_edge; ++iu)
                    for (std::size_t iv = 0; iv < cube_cells_per_edge; ++iv) {
                        const double u0 = -1.0 + side * static_cast<double>(iu);
                        const double v0 = -1.0 + side * static_cast<double>(iv);
                        const frames::Vec3 centre = face_point(axis, sign, u0 + 0.5 * side, v0 + 0.5 * side);
                        const CubeCell cell{axis, sign, iu, iv};
                        g.centre[(face_index(cell) * cube_cells_per_edge + iu) * cube_cells_per_edge + iv] = centre;
                        for (double u : {u0, u0 + side})
                            for (double v : {v0, v0 + side})
                                g.radius_rad = std::max(g.radius_rad,
                                                        angle_between(centre, face_point(axis, sign, u, v)));
                    }
        return g;
    }();
    return geometry;
}

// Slack of the cell selection (rad): covers the float cones' rounding and the prefilter's own
// 1e-6 allowance on the cosine, which near a zero angle is worth up to 1.5e-3 rad (see
// cells_near).
constexpr double cell_selection_slack_rad = 0.01;

}  // namespace

std::size_t sky_cell_of(double x, double y, double z) {
    const double ax = std::fabs(x), ay = std::fabs(y), az = std::fabs(z);
    CubeCell c{};
    double major = 0.0, u = 0.0, v = 0.0;
    if (ax >= ay && ax >= az) {
        c.axis = 0, major = x, u = y, v = z;
    } else if (ay >= az) {
        c.axis = 1, major = y, u = z, v = x;
    } else {
        c.axis = 2, major = z, u = x, v = y;
    }
    c.sign = major >= 0.0 ? 1.0 : -1.0;
    const double scale = std::fabs(major);
    if (!(scale > 0.0)) return 0;  // no direction (the caller never asks)
    c.iu = grid_index(u / scale);
    c.iv = grid_index(v / scale);
    return (face_index(c) * cube_cells_per_edge + c.iu) * cube_cells_per_edge + c.iv;
}

NearCells CoarseEphemeris::cells_near(const frames::Vec3& direction, double reach_rad) {
    // A cone in tier t has half-angle h <= H_t and centre c (floats).  The prefilter keeps it
    // only if the angle-sum sine (~ sin(P + h)) is negative or b.c >= cos(P + h) - 1e-6 - (float
    // rounding, < 2e-7).  While P + H_t + slack stays a few slack below pi the sine is positive
    // (P >= 1e-3 rad: the field radius and more; a smaller P takes every cell), and
    // cos(P + h) - cos(P + h + slack) >= 2 sin^2(slack / 2) = 5e-5 outweighs both allowances: a
    // kept cone has its centre within P + H_t + slack of b.
    // Its cell's centre is within the cell radius of that centre.  So a cell farther than
    // radius + P + H_t + slack from b holds no cone the prefilter keeps.
    const CellGeometry& cells = cell_geometry();
    NearCells near;
    for (std::size_t t = 0; t < cone_tiers; ++t) {
        const double limit = cells.radius_rad + 1e-9 + reach_rad + cone_tier_half_rad[t] + cell_selection_slack_rad;
        const bool everywhere = !(reach_rad >= 1e-3) || limit + 2.0 * cell_selection_slack_rad >= common::pi;
        const double cos_limit = everywhere ? -2.0 : std::cos(limit) - 1e-12;
        for (std::size_t c = 0; c < sky_cells; ++c) {
            const frames::Vec3& centre = cells.centre[c];
            if (direction[0] * centre[0] + direction[1] * centre[1] + direction[2] * centre[2] >= cos_limit)
                near.buckets.push_back(static_cast<std::uint32_t>(t * sky_cells + c));
        }
    }
    near.buckets.push_back(static_cast<std::uint32_t>(cone_buckets - 1));
    return near;
}

void CoarseEphemeris::attach_cones(const frames::Site& site,
                                   std::shared_ptr<const frames::EarthOrientation> earth_orientation, unsigned threads) {
    cone_site_ = site;
    cone_orientation_ = std::move(earth_orientation);
    cones_.clear();
    bucket_start_.clear();
    if (steps_ < 2) return;
    const std::size_t chords = steps_ - 1;
    cones_.resize(chords * objects_);
    bucket_start_.assign(chords * (cone_buckets + 1), 0);
    // Only sidereal time and polar motion matter for the site in TEME axes; one snapshot
    // serves the grid.
    const frames::FrameSnapshot frame(time_of(steps_ / 2), site, *cone_orientation_);
    std::vector<frames::Vec3> site_teme(steps_);
    for (std::size_t k = 0; k < steps_; ++k) site_teme[k] = frame.site_teme(time_of(k));
    const double deviation_km = chord_deviation_bound_km(step_s_);
    common::parallel_for(
        chords, threads,
        [&](std::size_t k_begin, std::size_t k_end) {
        std::vector<ChordCone> cone(objects_);
        std::vector<std::uint16_t> bucket(objects_);
        static_assert(cone_buckets <= 65536);
        for (std::size_t k = k_begin; k < k_end; ++k) {
            for (std::size_t i = 0; i < objects_; ++i) {
                bucket[i] = static_cast<std::uint16_t>(cone_buckets - 1);
                cone[i] = ChordCone{};
                const frames::Vec3& r0 = position(i, k);
                const frames::Vec3& r1 = position(i, k + 1);
                if (!std::isfinite(r0[0]) || !std::isfinite(r1[0])) continue;
                const frames::Vec3 p0{r0[0] - site_teme[k][0], r0[1] - site_teme[k][1], r0[2] - site_teme[k][2]};
                const frames::Vec3 p1{r1[0] - site_teme[k + 1][0], r1[1] - site_teme[k + 1][1],
                                      r1[2] - site_teme[k + 1][2]};
                const double l0 = std::sqrt(p0[0] * p0[0] + p0[1] * p0[1] + p0[2] * p0[2]);
                const double l1 = std::sqrt(p1[0] * p1[0] + p1[1] * p1[1] + p1[2] * p1[2]);
                const frames::Vec3 u0{p0[0] / l0, p0[1] / l0, p0[2] / l0};
                const frames::Vec3 u1{p1[0] / l1, p1[1] / l1, p1[2] / l1};
                frames::Vec3 c{u0[0] + u1[0], u0[1] + u1[1], u0[2] + u1[2]};
                const double lc = std::sqrt(c[0] * c[0] + c[1] * c[1] + c[2] * c[2]);
                // Closest approach of the chord to the site, less the chord bound.
                const frames::Vec3 d{p1[0] - p0[0], p1[1] - p0[1], p1[2] - p0[2]};
                const double d2 = d[0] * d[0] + d[1] * d[1] + d[2] * d[2];
                const double t = d2 > 0 ? std::clamp(-(p0[0] * d[0] + p0[1] * d[1] + p0[2] * d[2]) / d2, 0.0, 1.0) : 0.0;
                const double closest = std::sqrt(std::pow(p0[0] + t * d[0], 2) + std::pow(p0[1] + t * d[1], 2) +
                                                 std::pow(p0[2] + t * d[2], 2));
                const double range_lo = std::max(1.0, closest - deviation_km);
                ChordCone& out = cone[i];
                out.range_lo_km = static_cast<float>(range_lo);
                if (lc < 1e-9) continue;  // opposite directions: leave cos_half = -1 (any direction)
                const double cos_u = std::clamp(u0[0] * u1[0] + u0[1] * u1[1] + u0[2] * u1[2], -1.0, 1.0);
                const double half = 0.5 * std::acos(cos_u) + std::asin(std::min(1.0, deviation_km / range_lo)) +
                                    cone_float_allowance_rad;
                if (half >= common::pi) continue;
                out.cx = static_cast<float>(c[0] / lc);
                out.cy = static_cast<float>(c[1] / lc);
                out.cz = static_cast<float>(c[2] / lc);
                out.cos_half = static_cast<float>(std::cos(half));
                out.sin_half = static_cast<float>(std::sin(half));
                // Indexed by where its centre lies, unless the prefilter does not judge it.
                if (!(out.range_lo_km >= static_cast<float>(prefilter_range_floor_km))) continue;
                for (std::size_t tier = 0; tier < cone_tiers; ++tier)
                    if (half <= cone_tier_half_rad[tier]) {
                        bucket[i] = static_cast<std::uint16_t>(tier * sky_cells + sky_cell_of(out.cx, out.cy, out.cz));
                        break;
                    }
            }
            // Counting sort of the step's cones by bucket, objects ascending within a bucket.
            std::uint32_t* start = bucket_start_.data() + k * (cone_buckets + 1);
            for (std::size_t i = 0; i < objects_; ++i) ++start[bucket[i] + 1];
            for (std::size_t b = 0; b < cone_buckets; ++b) start[b + 1] += start[b];
            std::vector<std::uint32_t> next(start, start + cone_buckets);
            IndexedCone* row = cones_.data() + k * objects_;
            for (std::size_t i = 0; i < objects_; ++i)
                row[next[bucket[i]]++] = IndexedCone{cone[i], static_cast<std::uint32_t>(i)};
        }
        },
        1);
}

}  // namespace satveto::matching
