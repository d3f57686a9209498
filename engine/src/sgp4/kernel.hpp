// Block-wise propagation kernel shared by the scalar and batch APIs (internal header).
//
// A LaneBlock holds up to lanes independent propagations (object x instant) as
// structure of arrays. Each stage is a plain loop over the lanes with no calls and
// no data-dependent branches, so the compiler vectorises it; error conditions are
// carried as a per-lane status instead of early returns.
//
//   near-Earth:  load terms -> secular_near_earth -> periodics_and_position
//   deep-space:  deep_space_mean_elements (scalar, per lane) -> periodics_and_position
#pragma once

#include <cstddef>
#include <cstdint>

#include "sgp4/sgp4.hpp"
#include "sgp4/terms.hpp"

namespace satveto::sgp4::detail {

inline constexpr std::size_t lanes = 128;

struct LaneBlock {
    std::size_t count = 0;
    double tsince[lanes];             // minutes since epoch
    double term[term::count][lanes];  // near-Earth coefficients (secular stage input)

    // Osculating-ready mean elements: output of the secular (and lunar-solar) stage.
    double am[lanes];  // semi-major axis, Earth radii
    double nm[lanes];  // mean motion, rad/min
    double ep[lanes];  // eccentricity
    double inclp[lanes];
    double sinip[lanes];
    double cosip[lanes];
    double nodep[lanes];
    double argpp[lanes];
    double mp[lanes];
    double aycof[lanes];
    double xlcof[lanes];
    double con41[lanes];
    double x1mth2[lanes];
    double x7thm1[lanes];

    // ErrorCode as double so that status updates vectorise with the double arithmetic.
    double status[lanes];

    double r[3][lanes];  // km
    double v[3][lanes];  // km/s
};

// Minutes from an epoch to an instant, both as (MJD day, fraction). The one place
// this is computed, so that the batch and scalar APIs agree to the bit.
inline double minutes_between(std::int64_t epoch_day, double epoch_fraction, std::int64_t day, double fraction) noexcept {
    constexpr double minutes_per_day = 1440.0;
    return static_cast<double>(day - epoch_day) * minutes_per_day + (fraction - epoch_fraction) * minutes_per_day;
}

// The two lane loops are compiled twice on x86-64, for the baseline and for x86-64-v3 (AVX2),
// and the loader picks the clone the CPU supports: one portable binary, twice the speed on any
// server since 2013.  Both clones round identically: -ffp-contract=off forbids the fused
// multiply-adds AVX2 would otherwise bring, and the math library calls are the same.  The
// attribute goes on the definitions only; callers reach the clone through one ifunc symbol.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define SATVETO_LANE_CLONES __attribute__((target_clones("arch=x86-64-v3", "default")))
#else
#define SATVETO_LANE_CLONES
#endif

// Fills lane `lane` of the secular-stage input from one object's terms.
void load_terms(LaneBlock& block, std::size_t lane, const NearEarthTerms& terms) noexcept;

// Secular gravity and drag for near-Earth lanes; reads term/tsince, writes the mean elements and status.
void secular_near_earth(LaneBlock& block) noexcept;  // SATVETO_LANE_CLONES

// Secular, resonance and lunar-solar terms for one deep-space lane (scalar).
void deep_space_mean_elements(const Satellite& satellite, LaneBlock& block, std::size_t lane) noexcept;

// Kepler's equation, short-period terms and the TEME state for every lane.
void periodics_and_position(LaneBlock& block) noexcept;  // SATVETO_LANE_CLONES

// Copies lane results out (NaN state for lanes with an error).
StateVector lane_state(const LaneBlock& block, std::size_t lane) noexcept;

// Whole pipeline for lanes of one object at block.tsince[0 .. count).
void propagate_block_single(const Satellite& satellite, LaneBlock& block) noexcept;

}  // namespace satveto::sgp4::detail
