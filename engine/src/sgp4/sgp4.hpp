// satveto SGP4/SDP4 propagator: public API.
//
// Implements the near-Earth SGP4 and deep-space SDP4 models of Spacetrack
// Report #3 (Hoots & Roehrich 1980) as revised by Vallado, Crawford, Hujsak &
// Kelso (AIAA 2006-6753), with WGS-72 constants and the improved ('i')
// initialisation that space-track element sets assume.
//
// Units: km, km/s, minutes since the element epoch; states are in the TEME frame.
//
// Typical use (one object):
//
//   auto sat = satveto::sgp4::init_satellite(omm);          // Expected<Satellite>
//   if (!sat) report(sat.error().message);
//   double t = satveto::sgp4::minutes_since_epoch(*sat, mjd_utc);
//   satveto::sgp4::StateVector s = satveto::sgp4::propagate(*sat, t);
//   if (s.error != satveto::sgp4::ErrorCode::ok) ...       // r, v are NaN then
//
// Many objects / many instants: SatelliteBatch and propagate_times below.
//
// Every function here is thread-safe; a const Satellite or SatelliteBatch may be
// shared by any number of threads. Nothing throws except std::bad_alloc.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "sgp4/terms.hpp"

namespace satveto::sgp4 {

// Numeric codes 1-6 are those of the reference implementation (Vallado's
// SGP4.cpp and python-sgp4); codes from 10 on are input validation done here.
enum class ErrorCode : int {
    ok = 0,
    mean_eccentricity = 1,       // mean eccentricity outside [-0.001, 1) while propagating, or input e outside [0, 1)
    mean_motion = 2,             // mean motion <= 0 (input or while propagating)
    perturbed_eccentricity = 3,  // eccentricity after lunar-solar periodics outside [0, 1]
    semi_latus_rectum = 4,       // semi-latus rectum < 0
    decayed = 6,                 // radius below one Earth radius
    invalid_element = 10,        // an element is NaN/inf or outside its domain (e.g. inclination > 180 deg)
    invalid_epoch = 11,          // epoch text malformed or out of range
    invalid_time = 12,           // propagation time is NaN/inf
    invalid_tle = 13,            // TLE line malformed (layout, field or checksum)
};

// Short fixed description of a code, e.g. "satellite has decayed".
std::string_view describe(ErrorCode code) noexcept;

struct Error {
    ErrorCode code = ErrorCode::ok;
    std::string message;  // names the offending field/value
};

// Minimal stand-in for C++23 std::expected<T, Error>.
template <class T>
class Expected {
public:
    Expected(T value) : state_(std::move(value)) {}      // NOLINT: implicit by design
    Expected(Error error) : state_(std::move(error)) {}  // NOLINT
    bool has_value() const noexcept { return state_.index() == 0; }
    explicit operator bool() const noexcept { return has_value(); }
    const T& value() const& { return std::get<0>(state_); }
    T& value() & { return std::get<0>(state_); }
    const T& operator*() const& { return value(); }
    const T* operator->() const { return &value(); }
    const Error& error() const& { return std::get<1>(state_); }

private:
    std::variant<T, Error> state_;
};

// ---------------------------------------------------------------- epochs

// A UTC instant as Modified Julian Date split into whole day and fraction, so
// that sub-microsecond resolution survives (a double MJD resolves ~0.6 us).
struct Epoch {
    std::int64_t mjd_day = 0;   // MJD at 0h UTC of the day
    double day_fraction = 0.0;  // [0, 1)
    double mjd() const noexcept { return static_cast<double>(mjd_day) + day_fraction; }
};

// Strict ISO 8601 UTC: "YYYY-MM-DDTHH:MM:SS[.f...][Z]" (1 to 9 fractional digits,
// rounded to the microsecond; years 1900-2199; no leap second). The error
// message names the problem.
Expected<Epoch> parse_epoch(std::string_view iso_utc);

// ---------------------------------------------------------------- elements

// Orbit Mean-Elements Message fields as in space-track's GP JSON.
struct OmmElements {
    std::int64_t norad_cat_id = 0;
    std::string epoch;       // ISO 8601 UTC, e.g. "2026-11-20T12:34:56.123456"
    double mean_motion = 0;  // rev/day (Kozai)
    double eccentricity = 0;
    double inclination = 0;        // deg
    double ra_of_asc_node = 0;     // deg
    double arg_of_pericenter = 0;  // deg
    double mean_anomaly = 0;       // deg
    double bstar = 0;              // 1/Earth radii
    double mean_motion_dot = 0;    // rev/day^2, TLE convention (already halved)
    double mean_motion_ddot = 0;   // rev/day^3, TLE convention (already divided by 6)
};

// Mean elements in SGP4's internal units.
struct MeanElements {
    std::int64_t catalog_number = 0;
    Epoch epoch;             // exact epoch, used to convert times
    double epoch_days = 0;   // days since 1949-12-31 00:00 UTC as the model uses it
    double mean_motion = 0;  // rad/min (Kozai)
    double eccentricity = 0;
    double inclination = 0;       // rad
    double ra_of_asc_node = 0;    // rad
    double arg_of_perigee = 0;    // rad
    double mean_anomaly = 0;      // rad
    double bstar = 0;             // 1/Earth radii
    double mean_motion_dot = 0;   // rad/min^2 (not used by the model; kept for completeness)
    double mean_motion_ddot = 0;  // rad/min^3 (idem)
};

// Converts OMM units to model units exactly as python-sgp4's sgp4.omm.initialize does.
Expected<MeanElements> to_mean_elements(const OmmElements& omm);

struct TleOptions {
    bool verify_checksum = true;
};

// Parses the two 69-column lines of a TLE (trailing whitespace ignored).
// Catalog numbers may be Alpha-5 ("A0000" = 100000). Conversion of units and
// epoch follows Vallado's twoline2rv.
Expected<MeanElements> parse_tle(std::string_view line1, std::string_view line2, TleOptions options = {});

// Decodes a 5-character TLE catalog field (digits or Alpha-5); -1 if malformed.
std::int64_t decode_catalog_number(std::string_view field) noexcept;

// ---------------------------------------------------------------- single object

struct Satellite {
    MeanElements elements;
    bool deep_space = false;         // period >= 225 min: SDP4
    detail::NearEarthTerms terms{};  // see terms.hpp
    detail::DeepSpaceTerms deep;     // only meaningful when deep_space
};

// Validates the elements (finite; 0 <= e < 1; n > 0; 0 <= i <= pi; finite
// angles and B*) and computes the model coefficients. Problems that only show
// while propagating (decay, eccentricity leaving its range) are reported per
// instant by propagate, as the reference does.
Expected<Satellite> init_satellite(const MeanElements& elements);
Expected<Satellite> init_satellite(const OmmElements& omm);

struct StateVector {
    std::array<double, 3> r_km{};     // TEME position
    std::array<double, 3> v_km_s{};   // TEME velocity
    ErrorCode error = ErrorCode::ok;  // when not ok, r and v are NaN
};

// State at `minutes` minutes after the element epoch.
StateVector propagate(const Satellite& satellite, double minutes);

// Minutes from the element epoch to a UTC instant given as MJD.
double minutes_since_epoch(const Satellite& satellite, double mjd_utc) noexcept;
double minutes_since_epoch(const Satellite& satellite, std::int64_t mjd_day, double day_fraction) noexcept;

// ---------------------------------------------------------------- batches

// One object at many instants (minutes since its epoch); out.size() must equal
// minutes.size(). `threads` > 1 splits the instants over that many std::jthreads.
// Results are bit-identical to calling propagate() for each instant.
void propagate_times(const Satellite& satellite, std::span<const double> minutes, std::span<StateVector> out,
                     unsigned threads = 1);

// Many objects stored as structure of arrays for the vectorised near-Earth kernel.
class SatelliteBatch {
public:
    SatelliteBatch() = default;
    explicit SatelliteBatch(std::span<const Satellite> satellites);

    std::size_t size() const noexcept { return count_; }

    // State of every object at one UTC instant; out[i] belongs to satellites[i].
    // out.size() must equal size(). Bit-identical to per-object propagate().
    void propagate_at(double mjd_utc, std::span<StateVector> out, unsigned threads = 1) const;
    void propagate_at(std::int64_t mjd_day, double day_fraction, std::span<StateVector> out, unsigned threads = 1) const;

private:
    struct NearEarthColumns {
        std::array<std::vector<double>, detail::term::count> term;
        std::vector<std::int64_t> epoch_mjd_day;
        std::vector<double> epoch_day_fraction;
        std::vector<std::size_t> output_index;
    };
    void propagate_near_range(std::size_t begin, std::size_t end, std::int64_t mjd_day, double day_fraction,
                              std::span<StateVector> out) const;
    void propagate_deep_range(std::size_t first, std::size_t stride, std::int64_t mjd_day, double day_fraction,
                              std::span<StateVector> out) const;

    std::size_t count_ = 0;
    NearEarthColumns near_;        // near-Earth objects, one column per coefficient
    std::vector<Satellite> deep_;  // deep-space objects, scalar path
    std::vector<std::size_t> deep_output_index_;
};

}  // namespace satveto::sgp4
