#include "frames/time_scales.hpp"

#include <erfa.h>

#include <cmath>

namespace satveto::frames {
namespace {

constexpr double mjd_zero_jd = 2400000.5;
constexpr double seconds_per_day = 86400.0;

}  // namespace

std::optional<TimeScale> parse_time_scale(std::string_view name) {
    if (name == "tai") return TimeScale::tai;
    if (name == "utc") return TimeScale::utc;
    return std::nullopt;
}

const char* time_scale_name(TimeScale scale) { return scale == TimeScale::tai ? "tai" : "utc"; }

double tai_minus_utc_s(double mjd_utc) {
    const double day = std::floor(mjd_utc);
    int year = 0, month = 0, day_of_month = 0;
    double fraction = 0.0;
    if (eraJd2cal(mjd_zero_jd, day, &year, &month, &day_of_month, &fraction) != 0) return 0.0;
    double delta_at = 0.0;
    // Status 1 ("dubious year": beyond the table's last update) still gives the last value.
    if (eraDat(year, month, day_of_month, mjd_utc - day, &delta_at) < 0) return 0.0;
    return delta_at;
}

double mjd_tai_from_utc(double mjd_utc) { return mjd_utc + tai_minus_utc_s(mjd_utc) / seconds_per_day; }

double mjd_utc_from_tai(double mjd_tai) {
    double u1 = 0.0, u2 = 0.0;
    if (eraTaiutc(mjd_zero_jd, mjd_tai, &u1, &u2) < 0) return mjd_tai;  // before 1960: no UTC
    // ERFA returns a "quasi" UTC date: on a day that ends with a leap second its fraction
    // spreads 86401 s over [0, 1).  Back to calendar seconds.
    const double quasi_mjd = (u1 - mjd_zero_jd) + u2;
    const double day = std::floor(quasi_mjd);
    const double day_length_s = seconds_per_day + (tai_minus_utc_s(day + 1.0) - tai_minus_utc_s(day));
    const double seconds = (quasi_mjd - day) * day_length_s;
    if (seconds >= seconds_per_day) return day + 1.0;  // inside the leap second
    return day + seconds / seconds_per_day;
}

double mjd_tai_from(TimeScale scale, double mjd) { return scale == TimeScale::tai ? mjd : mjd_tai_from_utc(mjd); }

UtcFromTai::UtcFromTai(double begin_mjd_tai, double end_mjd_tai) {
    const double begin_offset = begin_mjd_tai - mjd_utc_from_tai(begin_mjd_tai);
    const double end_offset = end_mjd_tai - mjd_utc_from_tai(end_mjd_tai);
    // Offsets are whole seconds since 1972; equal ends mean no leap second between them.
    constant_ = std::fabs(begin_offset - end_offset) * seconds_per_day < 0.5 && begin_mjd_tai >= 41317.0;
    offset_days_ = std::round(begin_offset * seconds_per_day) / seconds_per_day;
    if (!constant_ && begin_mjd_tai >= 41317.0) {
        // UTC 23:59:60 of the day before `next_day` is TAI next_day + (TAI - UTC before it).
        const double next_day = std::floor(mjd_utc_from_tai(end_mjd_tai));
        const double before_s = tai_minus_utc_s(next_day - 0.5), after_s = tai_minus_utc_s(next_day);
        if (after_s > before_s)
            leap_second_ = LeapSecond{next_day + before_s / seconds_per_day, next_day + after_s / seconds_per_day};
    }
}

}  // namespace satveto::frames
