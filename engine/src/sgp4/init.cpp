// init_satellite: validation and the model coefficients fixed at epoch.
#include <cmath>
#include <cstdio>
#include <string>

#include "common/angles.hpp"
#include "sgp4/constants.hpp"
#include "sgp4/deep_space.hpp"
#include "sgp4/sgp4.hpp"

namespace satveto::sgp4 {

namespace {

using namespace detail;

// Days between JD 0 and the model's epoch origin 1949-12-31 0h UTC.
constexpr double jd_of_epoch_origin = 2433281.5;

std::string format_value(double value) {
    char buffer[48];
    std::snprintf(buffer, sizeof buffer, "%.17g", value);
    return buffer;
}

Error element_error(ErrorCode code, const char* field, double value, const char* requirement) {
    return Error{code, std::string(field) + " = " + format_value(value) + " " + requirement};
}

// Returns ok when the elements are usable by the model, else the first problem found.
Error validate(const MeanElements& e) {
    const struct {
        const char* name;
        double value;
    } finite_fields[] = {
        {"epoch_days", e.epoch_days},
        {"mean_motion", e.mean_motion},
        {"eccentricity", e.eccentricity},
        {"inclination", e.inclination},
        {"ra_of_asc_node", e.ra_of_asc_node},
        {"arg_of_perigee", e.arg_of_perigee},
        {"mean_anomaly", e.mean_anomaly},
        {"bstar", e.bstar},
        {"mean_motion_dot", e.mean_motion_dot},
        {"mean_motion_ddot", e.mean_motion_ddot},
        {"epoch day_fraction", e.epoch.day_fraction},
    };
    for (const auto& f : finite_fields) {
        if (!std::isfinite(f.value)) return element_error(ErrorCode::invalid_element, f.name, f.value, "is not finite");
    }
    if (!(e.eccentricity >= 0.0 && e.eccentricity < 1.0)) {
        return element_error(ErrorCode::mean_eccentricity, "eccentricity", e.eccentricity, "is outside [0, 1)");
    }
    if (!(e.mean_motion > 0.0)) {
        return element_error(ErrorCode::mean_motion, "mean_motion", e.mean_motion, "(rad/min) is not positive");
    }
    if (!(e.inclination >= 0.0 && e.inclination <= common::pi)) {
        return element_error(ErrorCode::invalid_element, "inclination", e.inclination, "(rad) is outside [0, pi]");
    }
    // Angles are periodic, but values beyond a few turns mean a unit mix-up.
    constexpr double max_angle = 4.0 * common::two_pi;
    const struct {
        const char* name;
        double value;
    } angles[] = {
        {"ra_of_asc_node", e.ra_of_asc_node}, {"arg_of_perigee", e.arg_of_perigee}, {"mean_anomaly", e.mean_anomaly}};
    for (const auto& a : angles) {
        if (std::fabs(a.value) > max_angle) {
            return element_error(ErrorCode::invalid_element, a.name, a.value, "(rad) is beyond +-4 turns");
        }
    }
    if (!(e.epoch.day_fraction >= 0.0 && e.epoch.day_fraction < 1.0)) {
        return element_error(ErrorCode::invalid_epoch, "epoch day_fraction", e.epoch.day_fraction, "is outside [0, 1)");
    }
    return Error{};
}

// Brouwer mean motion from the Kozai mean motion of the element set (the
// "un-Kozai" step), following Hoots & Roehrich eq. for a1, delta1, a0, delta0.
double brouwer_mean_motion(double kozai_mean_motion, double cos_i2, double beta0, double beta0_squared) {
    const double a1 = std::pow(xke / kozai_mean_motion, two_thirds);
    const double d1 = 0.75 * j2 * (3.0 * cos_i2 - 1.0) / (beta0 * beta0_squared);
    double del = d1 / (a1 * a1);
    const double a0 = a1 * (1.0 - del * del - del * (1.0 / 3.0 + 134.0 * del * del / 81.0));
    del = d1 / (a0 * a0);
    return kozai_mean_motion / (1.0 + del);
}

NearEarthTerms near_earth_terms(const MeanElements& e, bool& simplified_drag, bool& deep_space) {
    NearEarthTerms c{};
    const double ecc = e.eccentricity;
    const double eccsq = ecc * ecc;
    const double omeosq = 1.0 - eccsq;
    const double rteosq = std::sqrt(omeosq);
    const double cosio = std::cos(e.inclination);
    const double cosio2 = cosio * cosio;
    const double sinio = std::sin(e.inclination);

    const double no = brouwer_mean_motion(e.mean_motion, cosio2, rteosq, omeosq);
    const double ao = std::pow(xke / no, two_thirds);
    const double po = ao * omeosq;
    const double con42 = 1.0 - 5.0 * cosio2;
    const double con41 = -con42 - cosio2 - cosio2;
    const double posq = po * po;
    const double rp = ao * (1.0 - ecc);
    const double perigee_km = (rp - 1.0) * earth_radius_km;

    // Atmospheric density parameters s and (q0 - s)^4, lowered for low perigees.
    double sfour = drag_s0_km / earth_radius_km + 1.0;
    const double q0ms = (drag_q0_km - drag_s0_km) / earth_radius_km;
    double qzms24 = q0ms * q0ms * q0ms * q0ms;
    if (perigee_km < low_perigee_km) {
        double s_km = perigee_km - drag_s0_km;
        if (perigee_km < very_low_perigee_km) s_km = very_low_perigee_skm;
        const double q = (drag_q0_km - s_km) / earth_radius_km;
        qzms24 = q * q * q * q;
        sfour = s_km / earth_radius_km + 1.0;
    }

    const double pinvsq = 1.0 / posq;
    const double tsi = 1.0 / (ao - sfour);
    const double eta = ao * ecc * tsi;
    const double etasq = eta * eta;
    const double eeta = ecc * eta;
    const double psisq = std::fabs(1.0 - etasq);
    const double coef = qzms24 * std::pow(tsi, 4.0);
    const double coef1 = coef / std::pow(psisq, 3.5);
    const double cc2 = coef1 * no *
                       (ao * (1.0 + 1.5 * etasq + eeta * (4.0 + etasq)) +
                        0.375 * j2 * tsi / psisq * con41 * (8.0 + 3.0 * etasq * (8.0 + etasq)));
    const double cc1 = e.bstar * cc2;
    double cc3 = 0.0;
    if (ecc > circular_eccentricity) cc3 = -2.0 * coef * tsi * j3_over_j2 * no * sinio / ecc;
    const double x1mth2 = 1.0 - cosio2;
    const double cc4 = 2.0 * no * coef1 * ao * omeosq *
                       (eta * (2.0 + 0.5 * etasq) + ecc * (0.5 + 2.0 * etasq) -
                        j2 * tsi / (ao * psisq) *
                            (-3.0 * con41 * (1.0 - 2.0 * eeta + etasq * (1.5 - 0.5 * eeta)) +
                             0.75 * x1mth2 * (2.0 * etasq - eeta * (1.0 + etasq)) * std::cos(2.0 * e.arg_of_perigee)));
    const double cc5 = 2.0 * coef1 * ao * omeosq * (1.0 + 2.75 * (etasq + eeta) + eeta * etasq);

    // Secular rates from J2 and J4.
    const double cosio4 = cosio2 * cosio2;
    const double temp1 = 1.5 * j2 * pinvsq * no;
    const double temp2 = 0.5 * temp1 * j2 * pinvsq;
    const double temp3 = -0.46875 * j4 * pinvsq * pinvsq * no;
    const double mdot = no + 0.5 * temp1 * rteosq * con41 +
                        0.0625 * temp2 * rteosq * (13.0 - 78.0 * cosio2 + 137.0 * cosio4);
    const double argpdot = -0.5 * temp1 * con42 + 0.0625 * temp2 * (7.0 - 114.0 * cosio2 + 395.0 * cosio4) +
                           temp3 * (3.0 - 36.0 * cosio2 + 49.0 * cosio4);
    const double xhdot1 = -temp1 * cosio;
    const double nodedot = xhdot1 + (0.5 * temp2 * (4.0 - 19.0 * cosio2) + 2.0 * temp3 * (3.0 - 7.0 * cosio2)) * cosio;

    deep_space = common::two_pi / no >= deep_space_period_min;
    simplified_drag = deep_space || rp < simple_drag_perigee_km / earth_radius_km + 1.0;

    c[term::mean_motion] = no;
    c[term::semi_major_axis_factor] = std::pow(xke / no, two_thirds);
    c[term::eccentricity] = ecc;
    c[term::inclination] = e.inclination;
    c[term::sin_inclination] = sinio;
    c[term::cos_inclination] = cosio;
    c[term::node0] = e.ra_of_asc_node;
    c[term::arg_perigee0] = e.arg_of_perigee;
    c[term::mean_anomaly0] = e.mean_anomaly;
    c[term::mean_anomaly_rate] = mdot;
    c[term::arg_perigee_rate] = argpdot;
    c[term::node_rate] = nodedot;
    c[term::node_drag2] = 3.5 * omeosq * xhdot1 * cc1;
    c[term::drag_c1] = cc1;
    c[term::drag_eccentricity] = e.bstar * cc4;
    c[term::drag_mean_longitude2] = 1.5 * cc1;
    c[term::aycof] = -0.5 * j3_over_j2 * sinio;
    const double one_plus_cos = std::fabs(cosio + 1.0) > retrograde_guard ? 1.0 + cosio : retrograde_guard;
    c[term::xlcof] = -0.25 * j3_over_j2 * sinio * (3.0 + 5.0 * cosio) / one_plus_cos;
    c[term::con41] = con41;
    c[term::x1mth2] = x1mth2;
    c[term::x7thm1] = 7.0 * cosio2 - 1.0;

    // Full drag model only for perigees above 220 km; otherwise these stay 0 (see terms.hpp).
    if (!simplified_drag) {
        c[term::drag_arg_perigee] = e.bstar * cc3 * std::cos(e.arg_of_perigee);
        c[term::eta] = eta;
        if (ecc > circular_eccentricity) c[term::drag_mean_anomaly] = -two_thirds * coef * e.bstar / eeta;
        const double delmo_root = 1.0 + eta * std::cos(e.mean_anomaly);
        c[term::del_m0] = delmo_root * delmo_root * delmo_root;
        c[term::drag_eccentricity2] = e.bstar * cc5;
        c[term::sin_mean_anomaly0] = std::sin(e.mean_anomaly);
        const double cc1sq = cc1 * cc1;
        const double d2 = 4.0 * ao * tsi * cc1sq;
        const double temp = d2 * tsi * cc1 / 3.0;
        const double d3 = (17.0 * ao + sfour) * temp;
        const double d4 = 0.5 * temp * ao * tsi * (221.0 * ao + 31.0 * sfour) * cc1;
        c[term::drag_d2] = d2;
        c[term::drag_d3] = d3;
        c[term::drag_d4] = d4;
        c[term::drag_mean_longitude3] = d2 + 2.0 * cc1sq;
        c[term::drag_mean_longitude4] = 0.25 * (3.0 * d3 + cc1 * (12.0 * d2 + 10.0 * cc1sq));
        c[term::drag_mean_longitude5] = 0.2 *
                                        (3.0 * d4 + 12.0 * cc1 * d3 + 6.0 * d2 * d2 + 15.0 * cc1sq * (2.0 * d2 + cc1sq));
    }
    return c;
}

}  // namespace

Expected<Satellite> init_satellite(const MeanElements& elements) {
    if (Error problem = validate(elements); problem.code != ErrorCode::ok) return problem;

    Satellite sat;
    sat.elements = elements;
    bool simplified_drag = false;
    sat.terms = near_earth_terms(elements, simplified_drag, sat.deep_space);
    if (sat.deep_space) {
        const double gsto = greenwich_sidereal_angle(elements.epoch_days + jd_of_epoch_origin);
        sat.deep = init_deep_space(elements, sat.terms, gsto);
    }
    return sat;
}

Expected<Satellite> init_satellite(const OmmElements& omm) {
    Expected<MeanElements> elements = to_mean_elements(omm);
    if (!elements) return elements.error();
    return init_satellite(*elements);
}

}  // namespace satveto::sgp4
