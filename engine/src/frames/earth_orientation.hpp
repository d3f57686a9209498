// Earth orientation: UT1 - UTC and polar motion, from the IERS table the frontend sends with
// `configure` (finals2000A, daily values at 0h UTC), interpolated linearly.
//
// UT1 - UTC jumps by one second at a leap second; UT1 - TAI does not, so the table is kept and
// interpolated as UT1 - TAI.  Every answer carries a bound on its own error, which the
// matching adds to the corridor (as a displacement of the site, see `site_displacement_km`):
//
//   * no table (an older frontend, tests that call the engine directly): UT1 = UTC and no
//     polar motion; |UT1 - UTC| < 0.9 s by the definition of UTC, |x_p|, |y_p| < 0.7".
//   * within the observed part of the table: the IERS values' own errors (tens of
//     microseconds, < 1 mas), bounded as 1 ms and 1 mas.
//   * within the predicted part: IERS Bulletin A's prediction error,
//     sigma_UT1 = 0.00025 s * d^0.75 and sigma_pm = 0.00068" * d^0.80 (d days after the last
//     observed value), taken at 5 sigma.
//   * past the table's end: the last values held, plus 3 ms/day of UT1 drift (twice the
//     largest excess length of day of recent decades) and 1 mas/day of polar motion;
//     never more than 0.9 s + |last UT1 - UTC| and 0.7" + |last pole| (UTC stays within 0.9 s).
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace satveto::frames {

struct EarthOrientationSample {
    double ut1_minus_tai_s = 0.0;
    double xp_rad = 0.0;
    double yp_rad = 0.0;
    double ut1_error_s = 0.0;     // bound of |UT1 - TAI| error
    double pole_error_rad = 0.0;  // bound of the polar-motion error (each axis)
};

class EarthOrientation {
public:
    // No table: UT1 = UTC, no polar motion, with the bounds above.
    EarthOrientation() = default;

    // From the frontend's columns (MJD of 0h UTC ascending, UT1 - UTC s, x_p and y_p arcsec),
    // with the MJD of the last observed (not predicted) row.  Returns an empty string on
    // success, else what is wrong ("mjd[3]: not increasing").
    static std::string build(const std::vector<double>& mjd_utc, const std::vector<double>& ut1_utc_s,
                             const std::vector<double>& xp_arcsec, const std::vector<double>& yp_arcsec,
                             double last_observed_mjd, EarthOrientation& out);

    bool has_table() const { return !mjd_utc_.empty(); }
    std::size_t rows() const { return mjd_utc_.size(); }
    double first_mjd() const { return has_table() ? mjd_utc_.front() : 0.0; }
    double last_mjd() const { return has_table() ? mjd_utc_.back() : 0.0; }
    double last_observed_mjd() const { return last_observed_mjd_; }

    EarthOrientationSample at(double mjd_tai) const;

private:
    std::vector<double> mjd_utc_;
    std::vector<double> ut1_minus_tai_s_;
    std::vector<double> xp_rad_;
    std::vector<double> yp_rad_;
    std::vector<double> ut1_minus_utc_s_;
    double last_observed_mjd_ = 0.0;
};

// How far the site may be from where the engine puts it (km) given the sample's error bounds:
// the Earth's rotation over the UT1 error at the site's distance from the axis, plus the
// polar-motion error at the site's distance from the geocentre.
double site_displacement_km(const EarthOrientationSample& sample, double site_axis_distance_km,
                            double site_geocentric_distance_km);

}  // namespace satveto::frames
