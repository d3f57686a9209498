// Positions of every catalog object on a coarse time grid.
//
// The visit precompute must find, among tens of thousands of objects, the few whose track can
// reach the field of view; propagating all of them at every visit would cost more than the
// whole time budget.  So positions are kept on a grid (e.g. every 30 s), computed ahead of
// the clock by a background thread, and each visit only tests the chords between grid points,
// inflated by a proven bound on how far the true path can leave its chord.
#pragma once

#include "catalog/catalog.hpp"
#include "common/angles.hpp"
#include "frames/frames.hpp"

#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

namespace satveto::matching {

// The directions (seen from the site) that the path between grid steps k and k+1 can take,
// as a cone: centre, half-angle (chord bound included) and a lower bound of the range.
// Independent of any visit, so computed once with the ephemeris; a visit then rejects an
// object's chord with one dot product.  Floats: the test that reads them widens its threshold
// by `cone_float_allowance_rad`.
struct ChordCone {
    float cx = 0, cy = 0, cz = 0;  // unit centre direction, TEME axes
    float cos_half = -1, sin_half = 0;
    float range_lo_km = NAN;  // NaN: the object did not propagate at one end
};
inline constexpr double cone_float_allowance_rad = 1e-5;

// Below this range a cone does not bound what a visit's prefilter assumes of a chord's
// corridor (matching/precompute.cpp); such chords always get the exact test.
inline constexpr double prefilter_range_floor_km = 100.0;

// Whether the prefilter judges a cone: propagated, and at a range of at least the floor.
inline bool prefilter_judges(const ChordCone& cone) { return cone.range_lo_km >= prefilter_range_floor_km; }

// The prefilter: false when every direction of the cone is farther than the angle P (given as
// its cosine and sine) from the unit vector `direction`.  The cosine and sine of P plus the
// half-angle come from the angle sum; when that sum passes pi the cone cannot be rejected.
inline bool prefilter_keeps(const ChordCone& cone, const frames::Vec3& direction, double cos_p, double sin_p) {
    const double sum_sin = sin_p * cone.cos_half + cos_p * cone.sin_half;
    const double sum_cos = cos_p * cone.cos_half - sin_p * cone.sin_half;
    const double along = direction[0] * cone.cx + direction[1] * cone.cy + direction[2] * cone.cz;
    return !(sum_sin >= 0.0 && along < sum_cos - 1e-6);
}

// A chord's cone with the catalog index of its object.
struct IndexedCone {
    ChordCone cone;
    std::uint32_t object = 0;
};

// The cone index sorts each step's cones by where their centre lies on the sky: a cube map
// (TEME axes) of sky_cells cells, in three tiers by half-angle.  A visit whose prefilter
// rejects every chord farther than an angle P from its boresight (the cone's own half-angle
// added) then looks only at the cells of each tier whose centre is within P + the tier's
// largest half-angle + the cells' radius of the boresight, instead of at every object: a
// cone in any other cell fails the prefilter, which is what bounds the search (see
// `cells_near` for the proof's numbers).  Cones the prefilter does not judge (no propagation,
// a range below the prefilter's floor, no centre, or wider than the last tier) sit in an
// "always" bucket that every visit looks at.
inline constexpr std::size_t cube_cells_per_edge = 16;
inline constexpr std::size_t sky_cells = 6 * cube_cells_per_edge * cube_cells_per_edge;
inline constexpr std::size_t cone_tiers = 3;
inline constexpr std::array<double, cone_tiers> cone_tier_half_rad{1.0 * common::deg, 4.0 * common::deg,
                                                                   16.0 * common::deg};
inline constexpr std::size_t cone_buckets = cone_tiers * sky_cells + 1;  // the last: always looked at

// The cell of a direction (need not be unit); the same for every caller.
std::size_t sky_cell_of(double x, double y, double z);

// What bounds every object's padded window in a catalog: its extreme element epochs (UTC MJD)
// and the lowest of its speed bounds, floored at 0.1 km/s as the tolerance model floors them.
struct CatalogSpan {
    double min_epoch_mjd = INFINITY;
    double max_epoch_mjd = -INFINITY;
    double min_speed_km_s = INFINITY;
};
CatalogSpan catalog_span(const catalog::Catalog& catalog);

// Cells a visit must look at, per tier (a bucket list), from `cells_near`.
struct NearCells {
    std::vector<std::uint32_t> buckets;  // ascending; the always bucket last
};

class CoarseEphemeris {
public:
    CoarseEphemeris() = default;

    // TEME positions of every catalog object at start_mjd_tai + k*step_s, k = 0..steps-1 (TAI;
    // SGP4 is given the UTC of each instant).  Objects that fail to propagate at a step hold
    // NaN there.
    static CoarseEphemeris build(const catalog::Catalog& catalog, double start_mjd_tai, double step_s,
                                 std::size_t steps, unsigned threads);

    bool covers(double begin_mjd, double end_mjd) const {
        return steps_ >= 2 && begin_mjd >= start_mjd_ && end_mjd <= time_of(steps_ - 1);
    }
    double start_mjd() const { return start_mjd_; }
    double step_s() const { return step_s_; }
    std::size_t steps() const { return steps_; }
    std::size_t objects() const { return objects_; }
    double time_of(std::size_t k) const { return start_mjd_ + static_cast<double>(k) * step_s_ / 86400.0; }
    // catalog_span of the catalog it was built from.
    const CatalogSpan& span() const { return span_; }
    const frames::Vec3& position(std::size_t object, std::size_t k) const { return xyz_[k * objects_ + object]; }

    // Computes the chord cones as seen from `site` with the Earth's orientation from
    // `earth_orientation` (replacing any for another site or table), and their index.
    void attach_cones(const frames::Site& site, std::shared_ptr<const frames::EarthOrientation> earth_orientation,
                      unsigned threads);
    bool has_cones_for(const frames::Site& site, const frames::EarthOrientation* earth_orientation) const {
        return !cones_.empty() && site.latitude_rad == cone_site_.latitude_rad &&
               site.longitude_rad == cone_site_.longitude_rad && site.height_m == cone_site_.height_m &&
               earth_orientation == cone_orientation_.get();
    }

    // The buckets holding every cone, at any step, whose centre can be within
    // `reach_rad` + its half-angle of the unit vector `direction` (TEME axes): a superset.
    static NearCells cells_near(const frames::Vec3& direction, double reach_rad);

    // The cones of the chord from step k to k+1 in `near`'s buckets; all of them when `near`
    // is null.  Each object appears once per step.
    template <typename Visit>
    void for_each_cone(std::size_t k, const NearCells* near, Visit&& visit) const {
        const IndexedCone* step = cones_.data() + k * objects_;
        const std::uint32_t* start = bucket_start_.data() + k * (cone_buckets + 1);
        if (near == nullptr) {
            for (std::size_t i = 0; i < objects_; ++i) visit(step[i]);
            return;
        }
        for (const std::uint32_t b : near->buckets)
            for (std::uint32_t j = start[b]; j < start[b + 1]; ++j) visit(step[j]);
    }

private:
    double start_mjd_ = 0.0;
    double step_s_ = 0.0;
    std::size_t steps_ = 0;
    std::size_t objects_ = 0;
    CatalogSpan span_;
    std::vector<frames::Vec3> xyz_;  // step-major: a step's positions are written and read together
    // Step-major: the cones of chord k are entries [k*objects, (k+1)*objects), in bucket order,
    // bucket b of chord k being [bucket_start_[k*(cone_buckets+1) + b], ... + b + 1]).
    std::vector<IndexedCone> cones_;
    std::vector<std::uint32_t> bucket_start_;
    frames::Site cone_site_;
    std::shared_ptr<const frames::EarthOrientation> cone_orientation_;
};

// Largest acceleration of a catalog object relative to the site (km/s^2): Earth's gravity at
// its surface (9.82 m/s^2) with a 20% allowance for the model's perturbations, plus the
// site's centripetal acceleration.  Bounds how far a path can leave its chord:
// over a step of duration h, by at most max_relative_acceleration * h^2 / 8.
inline constexpr double max_relative_acceleration_km_s2 = 1.2 * 9.82e-3 + 0.034e-3;

// The grid step (s) of every coarse ephemeris: at 30 s the chord bound is 1.3 km.
inline constexpr double coarse_step_s = 30.0;

inline double chord_deviation_bound_km(double step_s) {
    return max_relative_acceleration_km_s2 * step_s * step_s / 8.0;
}

// A lower bound of an object's speed over its orbit (km/s): the apocentre speed of the mean
// ellipse, with a 10% allowance for the model's perturbations.
double slowest_speed_km_s(const sgp4::Satellite& satellite);

}  // namespace satveto::matching
