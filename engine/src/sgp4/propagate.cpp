// Single-object propagation and the deep-space lane stage.
#include <cmath>
#include <limits>

#include "common/angles.hpp"
#include "sgp4/constants.hpp"
#include "sgp4/deep_space.hpp"
#include "sgp4/kernel.hpp"
#include "sgp4/sgp4.hpp"

namespace satveto::sgp4 {

namespace detail {

namespace {

void fail_lane(LaneBlock& b, std::size_t i, ErrorCode code) {
    constexpr double nan = std::numeric_limits<double>::quiet_NaN();
    for (double* column : {b.am, b.nm, b.ep, b.inclp, b.sinip, b.cosip, b.nodep, b.argpp, b.mp, b.aycof, b.xlcof,
                           b.con41, b.x1mth2, b.x7thm1}) {
        column[i] = nan;
    }
    b.status[i] = static_cast<double>(code);
}

}  // namespace

void deep_space_mean_elements(const Satellite& sat, LaneBlock& b, std::size_t i) noexcept {
    const NearEarthTerms& c = sat.terms;
    const double t = b.tsince[i];
    const double t2 = t * t;

    // Secular gravity and (simplified) drag, as for near-Earth objects.
    const double mean_anomaly_df = c[term::mean_anomaly0] + c[term::mean_anomaly_rate] * t;
    const double argp_df = c[term::arg_perigee0] + c[term::arg_perigee_rate] * t;
    const double node_df = c[term::node0] + c[term::node_rate] * t;
    const double node = node_df + c[term::node_drag2] * t2;
    const double tempa = 1.0 - c[term::drag_c1] * t;
    const double tempe = c[term::drag_eccentricity] * t;
    const double templ = c[term::drag_mean_longitude2] * t2;

    const DeepSecular s = deep_space_secular(sat.deep, c, t, argp_df, node, mean_anomaly_df);
    if (s.mean_motion <= 0.0) return fail_lane(b, i, ErrorCode::mean_motion);

    const double am = std::pow(xke / s.mean_motion, two_thirds) * tempa * tempa;
    const double nm = xke / std::pow(am, 1.5);
    double em = s.eccentricity - tempe;
    if (em >= 1.0 || em < min_mean_eccentricity) return fail_lane(b, i, ErrorCode::mean_eccentricity);
    if (em < eccentricity_floor) em = eccentricity_floor;

    // Reduce the angles before the periodics, as the reference does (C fmod keeps the sign).
    const double mean_anomaly = s.mean_anomaly + c[term::mean_motion] * templ;
    const double mean_longitude = std::fmod(mean_anomaly + s.arg_perigee + s.node, common::two_pi);
    DeepPeriodic mean{};
    mean.eccentricity = em;
    mean.inclination = s.inclination;
    mean.node = std::fmod(s.node, common::two_pi);
    mean.arg_perigee = std::fmod(s.arg_perigee, common::two_pi);
    mean.mean_anomaly = std::fmod(mean_longitude - mean.arg_perigee - mean.node, common::two_pi);

    DeepPeriodic p = apply_lunar_solar_periodics(sat.deep, t, mean);
    if (p.inclination < 0.0) {  // keep i in [0, pi] by flipping the orbit normal
        p.inclination = -p.inclination;
        p.node = p.node + common::pi;
        p.arg_perigee = p.arg_perigee - common::pi;
    }
    if (p.eccentricity < 0.0 || p.eccentricity > 1.0) return fail_lane(b, i, ErrorCode::perturbed_eccentricity);

    // Long- and short-period coefficients depend on the perturbed inclination.
    const double sinip = std::sin(p.inclination);
    const double cosip = std::cos(p.inclination);
    const double cosisq = cosip * cosip;
    const double one_plus_cos = std::fabs(cosip + 1.0) > retrograde_guard ? 1.0 + cosip : retrograde_guard;
    b.am[i] = am;
    b.nm[i] = nm;
    b.ep[i] = p.eccentricity;
    b.inclp[i] = p.inclination;
    b.sinip[i] = sinip;
    b.cosip[i] = cosip;
    b.nodep[i] = p.node;
    b.argpp[i] = p.arg_perigee;
    b.mp[i] = p.mean_anomaly;
    b.aycof[i] = -0.5 * j3_over_j2 * sinip;
    b.xlcof[i] = -0.25 * j3_over_j2 * sinip * (3.0 + 5.0 * cosip) / one_plus_cos;
    b.con41[i] = 3.0 * cosisq - 1.0;
    b.x1mth2[i] = 1.0 - cosisq;
    b.x7thm1[i] = 7.0 * cosisq - 1.0;
    b.status[i] = 0.0;
}

}  // namespace detail

std::string_view describe(ErrorCode code) noexcept {
    switch (code) {
        case ErrorCode::ok: return "ok";
        case ErrorCode::mean_eccentricity: return "mean eccentricity out of range";
        case ErrorCode::mean_motion: return "mean motion not positive";
        case ErrorCode::perturbed_eccentricity: return "perturbed eccentricity out of range";
        case ErrorCode::semi_latus_rectum: return "semi-latus rectum negative";
        case ErrorCode::decayed: return "satellite has decayed";
        case ErrorCode::invalid_element: return "invalid element";
        case ErrorCode::invalid_epoch: return "invalid epoch";
        case ErrorCode::invalid_time: return "invalid propagation time";
        case ErrorCode::invalid_tle: return "invalid TLE";
    }
    return "unknown error";
}

StateVector propagate(const Satellite& satellite, double minutes) {
    StateVector out;
    propagate_times(satellite, std::span<const double>(&minutes, 1), std::span<StateVector>(&out, 1), 1);
    return out;
}

double minutes_since_epoch(const Satellite& satellite, std::int64_t mjd_day, double day_fraction) noexcept {
    const Epoch& epoch = satellite.elements.epoch;
    return detail::minutes_between(epoch.mjd_day, epoch.day_fraction, mjd_day, day_fraction);
}

double minutes_since_epoch(const Satellite& satellite, double mjd_utc) noexcept {
    // Beyond a billion days the whole-day split below would overflow; no orbit is meaningful there.
    constexpr double max_mjd = 1.0e9;
    if (!(std::fabs(mjd_utc) <= max_mjd)) return std::numeric_limits<double>::quiet_NaN();
    const double day = std::floor(mjd_utc);
    return minutes_since_epoch(satellite, static_cast<std::int64_t>(day), mjd_utc - day);
}

}  // namespace satveto::sgp4
