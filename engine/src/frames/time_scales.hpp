// Time scales of the engine: TAI (what Rubin's MJDs are), UTC (what SGP4's element epochs
// are), TT (precession-nutation, the Earth's barycentric motion) and UT1 (the Earth's
// rotation; see earth_orientation.hpp).
//
// Inside the engine every instant is a TAI MJD (`mjd_tai`): TAI runs uniformly, so time
// grids, windows and rates are plain arithmetic on it.  UTC is derived only where a UTC number
// is wanted: SGP4's minutes since the element epoch (OMM EPOCH is UTC).  A UTC MJD here is the
// calendar reading `day + seconds_of_day / 86400`; it cannot express a leap second
// (23:59:60.x), which these functions map to the first instant of the next day.  Leap seconds
// come from ERFA's table (eraDat).
#pragma once

#include <optional>
#include <string_view>

namespace satveto::frames {

enum class TimeScale { tai, utc };

// "tai" or "utc"; nullopt for anything else.
std::optional<TimeScale> parse_time_scale(std::string_view name);
const char* time_scale_name(TimeScale scale);

inline constexpr double tt_minus_tai_s = 32.184;

// TAI - UTC in seconds at a UTC MJD (ERFA's leap-second table; 0 before 1960, where UTC
// did not exist and ERFA has no value).
double tai_minus_utc_s(double mjd_utc);

// A UTC calendar MJD to TAI.  Exact up to floating-point rounding (~1 microsecond).
double mjd_tai_from_utc(double mjd_utc);

// A TAI MJD to the UTC calendar MJD; an instant inside a leap second gives the start of the
// following day (the UTC MJD stands still for that second).
double mjd_utc_from_tai(double mjd_tai);

// An MJD in `scale` to TAI.
double mjd_tai_from(TimeScale scale, double mjd);

// A leap second as a TAI interval: while it lasts the UTC MJD stands still, so a prediction
// made from UTC pauses for a second.  Paths that cross its ends have a kink there: chord
// bounds hold only on either side (see matching/precompute.cpp).
struct LeapSecond {
    double begin_mjd_tai = 0.0;
    double end_mjd_tai = 0.0;
};

// TAI -> UTC over a short interval, fast: one subtraction when no leap second falls inside
// the interval (the usual case), the full conversion otherwise.
class UtcFromTai {
public:
    UtcFromTai(double begin_mjd_tai, double end_mjd_tai);
    double operator()(double mjd_tai) const { return constant_ ? mjd_tai - offset_days_ : mjd_utc_from_tai(mjd_tai); }
    // The leap second within the interval (only the last if the interval holds several).
    const std::optional<LeapSecond>& leap_second() const { return leap_second_; }

private:
    bool constant_ = false;
    double offset_days_ = 0.0;
    std::optional<LeapSecond> leap_second_;
};

}  // namespace satveto::frames
