#include "frames/earth_orientation.hpp"

#include "common/angles.hpp"
#include "frames/time_scales.hpp"

#include <algorithm>
#include <cmath>

namespace satveto::frames {
namespace {

constexpr double utc_max_ut1_offset_s = 0.9;  // |UT1 - UTC| < 0.9 s by the definition of UTC
constexpr double max_pole_arcsec = 0.7;       // |x_p|, |y_p| have stayed below 0.6"
constexpr double observed_ut1_error_s = 1e-3;
constexpr double observed_pole_error_arcsec = 1e-3;
constexpr double prediction_sigmas = 5.0;
constexpr double drift_ut1_s_per_day = 3e-3;
constexpr double drift_pole_arcsec_per_day = 1e-3;
constexpr double earth_rotation_rad_per_s = 7.2921150e-5;

// "column[row]: what", built by appending (GCC 12 reports a false -Wrestrict for
// "literal" + std::string at -O3).
std::string row_problem(const char* column, std::size_t row, const char* what) {
    std::string text(column);
    text.append("[").append(std::to_string(row)).append("]: ").append(what);
    return text;
}

}  // namespace

std::string EarthOrientation::build(const std::vector<double>& mjd_utc, const std::vector<double>& ut1_utc_s,
                                    const std::vector<double>& xp_arcsec, const std::vector<double>& yp_arcsec,
                                    double last_observed_mjd, EarthOrientation& out) {
    const std::size_t n = mjd_utc.size();
    if (n < 2) return "mjd: at least two rows are needed";
    if (ut1_utc_s.size() != n) return "ut1_utc_s: expected one value per mjd";
    if (xp_arcsec.size() != n) return "xp_arcsec: expected one value per mjd";
    if (yp_arcsec.size() != n) return "yp_arcsec: expected one value per mjd";
    EarthOrientation t;
    for (std::size_t i = 0; i < n; ++i) {
        if (!(mjd_utc[i] >= 41317.0 && mjd_utc[i] <= 88069.0))
            return row_problem("mjd", i, "must be an MJD from 1972 to 2099");
        if (i > 0 && !(mjd_utc[i] > mjd_utc[i - 1])) return row_problem("mjd", i, "not increasing");
        if (i > 0 && mjd_utc[i] - mjd_utc[i - 1] > 31.0) return row_problem("mjd", i, "gap of more than 31 days");
        if (!(std::fabs(ut1_utc_s[i]) <= 1.0)) return row_problem("ut1_utc_s", i, "must be within [-1, 1] s");
        if (!(std::fabs(xp_arcsec[i]) <= 2.0)) return row_problem("xp_arcsec", i, "must be within [-2, 2] arcsec");
        if (!(std::fabs(yp_arcsec[i]) <= 2.0)) return row_problem("yp_arcsec", i, "must be within [-2, 2] arcsec");
        t.mjd_utc_.push_back(mjd_utc[i]);
        t.ut1_minus_utc_s_.push_back(ut1_utc_s[i]);
        t.ut1_minus_tai_s_.push_back(ut1_utc_s[i] - tai_minus_utc_s(mjd_utc[i]));
        t.xp_rad_.push_back(xp_arcsec[i] * common::arcsec);
        t.yp_rad_.push_back(yp_arcsec[i] * common::arcsec);
    }
    if (!(last_observed_mjd >= mjd_utc.front() - 1.0 && last_observed_mjd <= mjd_utc.back()))
        return "last_observed_mjd: must lie within the table";
    t.last_observed_mjd_ = last_observed_mjd;
    out = std::move(t);
    return {};
}

EarthOrientationSample EarthOrientation::at(double mjd_tai) const {
    EarthOrientationSample s;
    const double mjd_utc = mjd_utc_from_tai(mjd_tai);
    if (!has_table()) {
        s.ut1_minus_tai_s = -tai_minus_utc_s(mjd_utc);
        s.ut1_error_s = utc_max_ut1_offset_s;
        s.pole_error_rad = max_pole_arcsec * common::arcsec;
        return s;
    }
    const std::size_t n = mjd_utc_.size();
    double ut1_error = observed_ut1_error_s, pole_error_arcsec = observed_pole_error_arcsec;
    if (mjd_utc > last_observed_mjd_) {
        const double d = std::min(mjd_utc, mjd_utc_.back()) - last_observed_mjd_;
        ut1_error += prediction_sigmas * 0.00025 * std::pow(d, 0.75);
        pole_error_arcsec += prediction_sigmas * 0.00068 * std::pow(d, 0.80);
    }
    if (mjd_utc <= mjd_utc_.front() || mjd_utc >= mjd_utc_.back()) {
        // Outside the table: hold the nearest row's values, UT1 - UTC held (not UT1 - TAI,
        // which would carry a leap second's jump along).
        const std::size_t k = mjd_utc <= mjd_utc_.front() ? 0 : n - 1;
        s.ut1_minus_tai_s = ut1_minus_utc_s_[k] - tai_minus_utc_s(mjd_utc);
        s.xp_rad = xp_rad_[k];
        s.yp_rad = yp_rad_[k];
        const double days_out = std::fabs(mjd_utc - mjd_utc_[k]);
        ut1_error = std::min(ut1_error + drift_ut1_s_per_day * days_out,
                             utc_max_ut1_offset_s + std::fabs(ut1_minus_utc_s_[k]));
        pole_error_arcsec = std::min(
            pole_error_arcsec + drift_pole_arcsec_per_day * days_out,
            max_pole_arcsec + std::max(std::fabs(xp_rad_[k]), std::fabs(yp_rad_[k])) / common::arcsec);
    } else {
        const auto upper = std::upper_bound(mjd_utc_.begin(), mjd_utc_.end(), mjd_utc);
        const auto k = static_cast<std::size_t>(upper - mjd_utc_.begin()) - 1;
        const double f = (mjd_utc - mjd_utc_[k]) / (mjd_utc_[k + 1] - mjd_utc_[k]);
        auto lerp = [&](const std::vector<double>& y) { return y[k] + f * (y[k + 1] - y[k]); };
        s.ut1_minus_tai_s = lerp(ut1_minus_tai_s_);
        s.xp_rad = lerp(xp_rad_);
        s.yp_rad = lerp(yp_rad_);
    }
    s.ut1_error_s = ut1_error;
    s.pole_error_rad = pole_error_arcsec * common::arcsec;
    return s;
}

double site_displacement_km(const EarthOrientationSample& sample, double site_axis_distance_km,
                            double site_geocentric_distance_km) {
    return earth_rotation_rad_per_s * sample.ut1_error_s * site_axis_distance_km +
           M_SQRT2 * sample.pole_error_rad * site_geocentric_distance_km;
}

}  // namespace satveto::frames
