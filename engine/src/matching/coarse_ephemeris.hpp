// Positions of every catalog object on a coarse time grid.
//
// The visit precompute must find, among tens of thousands of objects, the few whose track can
// reach the field of view; propagating all of them at every visit would cost more than the
// whole time budget.  So positions are kept on a grid (e.g. every 30 s), computed ahead of
// the clock by a background thread, and each visit only tests the chords between grid points,
// inflated by a proven bound on how far the true path can leave its chord.
#pragma once

#include "catalog/catalog.hpp"
#include "frames/frames.hpp"

#include <cmath>
#include <cstddef>
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
    const frames::Vec3& position(std::size_t object, std::size_t k) const { return xyz_[object * steps_ + k]; }

    // Computes the chord cones as seen from `site` with the Earth's orientation from
    // `earth_orientation` (replacing any for another site or table).
    void attach_cones(const frames::Site& site, std::shared_ptr<const frames::EarthOrientation> earth_orientation,
                      unsigned threads);
    bool has_cones_for(const frames::Site& site, const frames::EarthOrientation* earth_orientation) const {
        return !cones_.empty() && site.latitude_rad == cone_site_.latitude_rad &&
               site.longitude_rad == cone_site_.longitude_rad && site.height_m == cone_site_.height_m &&
               earth_orientation == cone_orientation_.get();
    }
    const ChordCone& cone(std::size_t object, std::size_t k) const { return cones_[object * steps_ + k]; }

private:
    double start_mjd_ = 0.0;
    double step_s_ = 0.0;
    std::size_t steps_ = 0;
    std::size_t objects_ = 0;
    std::vector<frames::Vec3> xyz_;  // object-major: the candidate search walks one object's steps
    std::vector<ChordCone> cones_;   // same layout; entry k is the chord from step k to k+1
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
