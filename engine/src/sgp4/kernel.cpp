// Near-Earth secular stage and the shared periodic stage (see kernel.hpp).
#include "sgp4/kernel.hpp"

#include <cmath>
#include <limits>

#include "sgp4/constants.hpp"
#include "sgp4/fast_math.hpp"

namespace satveto::sgp4::detail {

namespace {

constexpr double status_ok = 0.0;

// Keeps the first error: a lane that already failed stays at its code. (Written as
// two selects on doubles so that the lane loops still vectorise.)
[[gnu::always_inline]] inline double flag(double status, bool failed, ErrorCode code) {
    const double candidate = failed ? static_cast<double>(code) : status_ok;
    return status != status_ok ? status : candidate;
}

bool any_above(const double* values, std::size_t n, double threshold) {
    for (std::size_t i = 0; i < n; ++i) {
        if (std::fabs(values[i]) >= threshold) return true;
    }
    return false;
}

}  // namespace

void load_terms(LaneBlock& block, std::size_t lane, const NearEarthTerms& terms) noexcept {
    for (std::size_t k = 0; k < term::count; ++k) block.term[k][lane] = terms[k];
}

SATVETO_LANE_CLONES void secular_near_earth(LaneBlock& b) noexcept {
    const std::size_t n = b.count;
    for (std::size_t i = 0; i < n; ++i) {
        const double t = b.tsince[i];
        const double t2 = t * t;
        const double t3 = t2 * t;
        const double t4 = t3 * t;

        // Secular effect of J2/J4 on the angles.
        const double mean_anomaly_df = b.term[term::mean_anomaly0][i] + b.term[term::mean_anomaly_rate][i] * t;
        const double argp_df = b.term[term::arg_perigee0][i] + b.term[term::arg_perigee_rate][i] * t;
        const double node_df = b.term[term::node0][i] + b.term[term::node_rate][i] * t;
        const double node = node_df + b.term[term::node_drag2][i] * t2;

        // Drag. For "simplified" objects the higher-order coefficients are zero and
        // every extra term below adds exactly 0, reproducing the simplified model.
        const double del_argp = b.term[term::drag_arg_perigee][i] * t;
        const double eta_term = 1.0 + b.term[term::eta][i] * sincos(mean_anomaly_df).cos;
        const double del_mean = b.term[term::drag_mean_anomaly][i] *
                                (eta_term * eta_term * eta_term - b.term[term::del_m0][i]);
        const double drag_shift = del_argp + del_mean;
        const double mean_anomaly = mean_anomaly_df + drag_shift;
        const double argp = argp_df - drag_shift;

        double tempa = 1.0 - b.term[term::drag_c1][i] * t;
        tempa = tempa - b.term[term::drag_d2][i] * t2 - b.term[term::drag_d3][i] * t3 - b.term[term::drag_d4][i] * t4;
        double tempe = b.term[term::drag_eccentricity][i] * t;
        tempe = tempe +
                b.term[term::drag_eccentricity2][i] * (sincos(mean_anomaly).sin - b.term[term::sin_mean_anomaly0][i]);
        double templ = b.term[term::drag_mean_longitude2][i] * t2;
        templ = templ + b.term[term::drag_mean_longitude3][i] * t3 +
                t4 * (b.term[term::drag_mean_longitude4][i] + t * b.term[term::drag_mean_longitude5][i]);

        const double no = b.term[term::mean_motion][i];
        const double am = b.term[term::semi_major_axis_factor][i] * tempa * tempa;
        const double nm = xke / (am * std::sqrt(am));
        double em = b.term[term::eccentricity][i] - tempe;
        double status = status_ok;
        status = flag(status, !(em < 1.0 && em >= min_mean_eccentricity), ErrorCode::mean_eccentricity);
        em = em < eccentricity_floor ? eccentricity_floor : em;

        b.am[i] = am;
        b.nm[i] = nm;
        b.ep[i] = em;
        b.inclp[i] = b.term[term::inclination][i];
        b.sinip[i] = b.term[term::sin_inclination][i];
        b.cosip[i] = b.term[term::cos_inclination][i];
        b.nodep[i] = node;
        b.argpp[i] = argp;
        b.mp[i] = mean_anomaly + no * templ;
        b.aycof[i] = b.term[term::aycof][i];
        b.xlcof[i] = b.term[term::xlcof][i];
        b.con41[i] = b.term[term::con41][i];
        b.x1mth2[i] = b.term[term::x1mth2][i];
        b.x7thm1[i] = b.term[term::x7thm1][i];
        b.status[i] = status;
    }
}

namespace {

// Kepler iteration state of a block. Each pass reads one copy and writes another,
// so that every store is unconditional and the pass vectorises.
struct KeplerState {
    double ecc_anomaly[lanes];
    double step[lanes];  // last Newton correction
    double sin_e[lanes];
    double cos_e[lanes];
};

// One damped Newton step of Kepler's equation for u = E - axnl sin E + aynl cos E,
// applied only to lanes whose previous step was not yet below the tolerance.
[[gnu::always_inline]] inline void kepler_pass(std::size_t n, const double* axnl, const double* aynl, const double* u,
                                               const KeplerState& in, KeplerState& out) {
    for (std::size_t i = 0; i < n; ++i) {
        const double e0 = in.ecc_anomaly[i];
        const bool running = std::fabs(in.step[i]) >= kepler_tolerance;
        const SinCos e = sincos(e0);
        double delta = 1.0 - e.cos * axnl[i] - e.sin * aynl[i];
        delta = (u[i] - aynl[i] * e.cos + axnl[i] * e.sin - e0) / delta;
        delta = delta > kepler_max_step ? kepler_max_step : delta;
        delta = delta < -kepler_max_step ? -kepler_max_step : delta;
        out.sin_e[i] = running ? e.sin : in.sin_e[i];
        out.cos_e[i] = running ? e.cos : in.cos_e[i];
        out.ecc_anomaly[i] = running ? e0 + delta : e0;
        out.step[i] = running ? delta : in.step[i];
    }
}

}  // namespace

SATVETO_LANE_CLONES void periodics_and_position(LaneBlock& b) noexcept {
    const std::size_t n = b.count;
    double axnl[lanes], aynl[lanes], u[lanes];
    KeplerState even, odd;

    // Long-period periodics (J3) and the argument of latitude in "u" form.
    for (std::size_t i = 0; i < n; ++i) {
        const SinCos argp = sincos(b.argpp[i]);
        const double ep = b.ep[i];
        axnl[i] = ep * argp.cos;
        const double temp = 1.0 / (b.am[i] * (1.0 - ep * ep));
        aynl[i] = ep * argp.sin + temp * b.aycof[i];
        const double xl = b.mp[i] + b.argpp[i] + b.nodep[i] + temp * b.xlcof[i] * axnl[i];
        u[i] = reduce_angle(xl - b.nodep[i]);
        even.ecc_anomaly[i] = u[i];
        even.step[i] = 9999.9;  // anything above the tolerance: every lane does a first iteration
        even.sin_e[i] = 0.0;
        even.cos_e[i] = 0.0;
    }

    // Kepler's equation. Each pass updates only lanes that have not converged yet, so
    // every lane sees exactly the reference's iteration sequence; the block stops as
    // soon as all lanes have converged. As in the reference, sin E and cos E are those
    // of the last iterate before its final correction.
    const KeplerState* result = &even;
    for (int pass = 0; pass < kepler_max_iterations && any_above(result->step, n, kepler_tolerance); ++pass) {
        if (result == &even) {
            kepler_pass(n, axnl, aynl, u, even, odd);
            result = &odd;
        } else {
            kepler_pass(n, axnl, aynl, u, odd, even);
            result = &even;
        }
    }
    const double* sin_ecc = result->sin_e;
    const double* cos_ecc = result->cos_e;

    // Short-period periodics (J2) and the state vector.
    for (std::size_t i = 0; i < n; ++i) {
        const double am = b.am[i];
        const double ecose = axnl[i] * cos_ecc[i] + aynl[i] * sin_ecc[i];
        const double esine = axnl[i] * sin_ecc[i] - aynl[i] * cos_ecc[i];
        const double el2 = axnl[i] * axnl[i] + aynl[i] * aynl[i];
        const double pl = am * (1.0 - el2);
        double status = flag(b.status[i], pl < 0.0, ErrorCode::semi_latus_rectum);

        const double rl = am * (1.0 - ecose);
        const double rdotl = std::sqrt(am) * esine / rl;
        const double rvdotl = std::sqrt(pl) / rl;
        const double betal = std::sqrt(1.0 - el2);
        double temp = esine / (1.0 + betal);
        const double sinu = am / rl * (sin_ecc[i] - aynl[i] - axnl[i] * temp);
        const double cosu = am / rl * (cos_ecc[i] - axnl[i] + aynl[i] * temp);
        const double sin2u = (cosu + cosu) * sinu;
        const double cos2u = 1.0 - 2.0 * sinu * sinu;
        temp = 1.0 / pl;
        const double temp1 = 0.5 * j2 * temp;
        const double temp2 = temp1 * temp;

        const double con41 = b.con41[i];
        const double x1mth2 = b.x1mth2[i];
        const double sinip = b.sinip[i];
        const double cosip = b.cosip[i];
        const double mrt = rl * (1.0 - 1.5 * temp2 * betal * con41) + 0.5 * temp1 * x1mth2 * cos2u;
        const double xnode = b.nodep[i] + 1.5 * temp2 * cosip * sin2u;
        const double xinc = b.inclp[i] + 1.5 * temp2 * cosip * sinip * cos2u;
        const double mvt = rdotl - b.nm[i] * temp1 * x1mth2 * sin2u / xke;
        const double rvdot = rvdotl + b.nm[i] * temp1 * (x1mth2 * cos2u + 1.5 * con41) / xke;

        // u corrected by the short-period term: instead of atan2 then sin/cos, rotate the
        // unit vector (cos u, sin u) by the (small) correction angle.
        const double norm = std::sqrt(sinu * sinu + cosu * cosu);
        const double sin_u0 = sinu / norm;
        const double cos_u0 = cosu / norm;
        const SinCos du = sincos(-0.25 * temp2 * b.x7thm1[i] * sin2u);
        const double sinsu = sin_u0 * du.cos + cos_u0 * du.sin;
        const double cossu = cos_u0 * du.cos - sin_u0 * du.sin;

        const SinCos node = sincos(xnode);
        const SinCos inc = sincos(xinc);
        const double xmx = -node.sin * inc.cos;
        const double xmy = node.cos * inc.cos;
        const double ux = xmx * sinsu + node.cos * cossu;
        const double uy = xmy * sinsu + node.sin * cossu;
        const double uz = inc.sin * sinsu;
        const double vx = xmx * cossu - node.cos * sinsu;
        const double vy = xmy * cossu - node.sin * sinsu;
        const double vz = inc.sin * cossu;

        status = flag(status, mrt < 1.0, ErrorCode::decayed);
        const double radius_km = mrt * earth_radius_km;
        b.r[0][i] = radius_km * ux;
        b.r[1][i] = radius_km * uy;
        b.r[2][i] = radius_km * uz;
        b.v[0][i] = (mvt * ux + rvdot * vx) * velocity_km_per_s;
        b.v[1][i] = (mvt * uy + rvdot * vy) * velocity_km_per_s;
        b.v[2][i] = (mvt * uz + rvdot * vz) * velocity_km_per_s;
        b.status[i] = status;
    }
}

StateVector lane_state(const LaneBlock& b, std::size_t lane) noexcept {
    StateVector s;
    s.error = static_cast<ErrorCode>(static_cast<int>(b.status[lane]));
    if (s.error != ErrorCode::ok) {
        constexpr double nan = std::numeric_limits<double>::quiet_NaN();
        s.r_km = {nan, nan, nan};
        s.v_km_s = {nan, nan, nan};
        return s;
    }
    for (std::size_t k = 0; k < 3; ++k) {
        s.r_km[k] = b.r[k][lane];
        s.v_km_s[k] = b.v[k][lane];
    }
    return s;
}

void propagate_block_single(const Satellite& satellite, LaneBlock& block) noexcept {
    if (satellite.deep_space) {
        for (std::size_t i = 0; i < block.count; ++i) deep_space_mean_elements(satellite, block, i);
    } else {
        for (std::size_t k = 0; k < term::count; ++k) {
            for (std::size_t i = 0; i < block.count; ++i) block.term[k][i] = satellite.terms[k];
        }
        secular_near_earth(block);
    }
    periodics_and_position(block);
}

}  // namespace satveto::sgp4::detail
