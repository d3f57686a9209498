// SDP4 deep-space terms (Hoots & Roehrich 1980, section 10; Vallado et al. 2006).
//
// Lunar and solar gravity enter as (a) secular rates of e, i, omega, Omega and M,
// (b) long-period periodics with the perturber's mean anomaly, and (c) for 12 h and
// 24 h orbits, resonance with the tesseral harmonics of the geopotential, which is
// integrated numerically in fixed 720-minute steps from epoch.
//
// The integration always restarts from epoch, so a const satellite can be shared by
// threads. The reference keeps the last full step between calls instead; since the
// steps are the same from epoch either way, the results are identical.
#include "sgp4/deep_space.hpp"

#include "common/angles.hpp"

#include <cmath>

#include "sgp4/constants.hpp"

namespace satveto::sgp4::detail {

namespace {

// ---- Sun and Moon (mean orbital elements of the perturbers, 1950 epoch) ----
constexpr double sun_eccentricity = 0.01675;
constexpr double moon_eccentricity = 0.05490;
constexpr double sun_mean_motion = 1.19459e-5;     // rad/min
constexpr double moon_mean_motion = 1.5835218e-4;  // rad/min
constexpr double sun_coupling = 2.9864797e-6;      // C1 of the solar terms
constexpr double moon_coupling = 4.7968065e-7;
constexpr double sin_ecliptic_obliquity = 0.39785416;
constexpr double cos_ecliptic_obliquity = 0.91744867;
constexpr double cos_sun_arg_perigee = 0.1945905;
constexpr double sin_sun_arg_perigee = -0.98088458;
// Days from 1949-12-31 0h (the model's epoch origin) to 1900-01-00 12h, the origin
// of the lunar and solar mean-element polynomials.
constexpr double perturber_day_offset = 18261.5;
// Lunar node: Omega_moon = 4.5236020 - 9.2422029e-4 d; inclination terms 0.91375164, 0.03568096.
constexpr double moon_node0 = 4.5236020;
constexpr double moon_node_rate = -9.2422029e-4;
constexpr double moon_cos_inclination0 = 0.91375164;
constexpr double moon_cos_inclination_amplitude = 0.03568096;
constexpr double moon_sin_inclination_node_factor = 0.089683511;
constexpr double moon_longitude_perigee0 = 5.8351514;
constexpr double moon_longitude_perigee_rate = 0.0019443680;
constexpr double moon_mean_longitude0 = 4.7199672;
constexpr double moon_mean_longitude_rate = 0.22997150;
constexpr double sun_mean_anomaly0 = 6.2565837;
constexpr double sun_mean_anomaly_rate = 0.017201977;

// ---- Earth rotation and resonance ----
constexpr double earth_rotation_rad_per_min = 4.37526908801129966e-3;
constexpr double integrator_step_min = 720.0;
constexpr double integrator_half_step_squared = 259200.0;  // 720^2 / 2
// Synchronous resonance window on the mean motion (rad/min) and its coefficients.
constexpr double synchronous_min_motion = 0.0034906585;
constexpr double synchronous_max_motion = 0.0052359877;
constexpr double q22 = 1.7891679e-6;
constexpr double q31 = 2.1460748e-6;
constexpr double q33 = 2.2123015e-7;
constexpr double fasx2 = 0.13130908;
constexpr double fasx4 = 2.8843198;
constexpr double fasx6 = 0.37448087;
// Half-day resonance window and coefficients (G_lmp roots and phases).
constexpr double half_day_min_motion = 8.26e-3;
constexpr double half_day_max_motion = 9.24e-3;
constexpr double half_day_min_eccentricity = 0.5;
constexpr double root22 = 1.7891679e-6;
constexpr double root32 = 3.7393792e-7;
constexpr double root44 = 7.3636953e-9;
constexpr double root52 = 1.1428639e-7;
constexpr double root54 = 2.1765803e-9;
constexpr double g22 = 5.7686396;
constexpr double g32 = 0.95240898;
constexpr double g44 = 1.8014998;
constexpr double g52 = 1.0508330;
constexpr double g54 = 4.4108898;
// Below 3 degrees (or above 177) the node rate from the perturbers is dropped.
constexpr double low_inclination = 5.2359877e-2;
// The lunar-solar node/perigee periodics switch to Lyddane's form below this inclination.
constexpr double lyddane_inclination = 0.2;

// Orientation of a perturber's orbit relative to the equator of date.
struct PerturberGeometry {
    double cos_g, sin_g;  // argument of perigee
    double cos_i, sin_i;  // inclination
    double cos_h, sin_h;  // node, relative to the satellite's node
    double coupling;
};

struct SatelliteAngles {
    double eccentricity, e_squared, beta_squared, beta;
    double sin_i, cos_i, sin_omega, cos_omega;
    double inverse_mean_motion;
};

// The "s" and "z" coefficients of one perturber (Hoots & Roehrich eqs. for the
// lunar-solar terms): direction cosines of the satellite's orbit in the
// perturber's frame, combined into the expansion coefficients.
struct PerturberTerms {
    double s1, s2, s3, s4, s5, s6, s7;
    double z1, z2, z3, z11, z12, z13, z21, z22, z23, z31, z32, z33;
};

PerturberTerms perturber_terms(const PerturberGeometry& g, const SatelliteAngles& o) {
    const double a1 = g.cos_g * g.cos_h + g.sin_g * g.cos_i * g.sin_h;
    const double a3 = -g.sin_g * g.cos_h + g.cos_g * g.cos_i * g.sin_h;
    const double a7 = -g.cos_g * g.sin_h + g.sin_g * g.cos_i * g.cos_h;
    const double a8 = g.sin_g * g.sin_i;
    const double a9 = g.sin_g * g.sin_h + g.cos_g * g.cos_i * g.cos_h;
    const double a10 = g.cos_g * g.sin_i;
    const double a2 = o.cos_i * a7 + o.sin_i * a8;
    const double a4 = o.cos_i * a9 + o.sin_i * a10;
    const double a5 = -o.sin_i * a7 + o.cos_i * a8;
    const double a6 = -o.sin_i * a9 + o.cos_i * a10;

    const double x1 = a1 * o.cos_omega + a2 * o.sin_omega;
    const double x2 = a3 * o.cos_omega + a4 * o.sin_omega;
    const double x3 = -a1 * o.sin_omega + a2 * o.cos_omega;
    const double x4 = -a3 * o.sin_omega + a4 * o.cos_omega;
    const double x5 = a5 * o.sin_omega;
    const double x6 = a6 * o.sin_omega;
    const double x7 = a5 * o.cos_omega;
    const double x8 = a6 * o.cos_omega;

    const double esq = o.e_squared;
    PerturberTerms p{};
    p.z31 = 12.0 * x1 * x1 - 3.0 * x3 * x3;
    p.z32 = 24.0 * x1 * x2 - 6.0 * x3 * x4;
    p.z33 = 12.0 * x2 * x2 - 3.0 * x4 * x4;
    p.z1 = 3.0 * (a1 * a1 + a2 * a2) + p.z31 * esq;
    p.z2 = 6.0 * (a1 * a3 + a2 * a4) + p.z32 * esq;
    p.z3 = 3.0 * (a3 * a3 + a4 * a4) + p.z33 * esq;
    p.z11 = -6.0 * a1 * a5 + esq * (-24.0 * x1 * x7 - 6.0 * x3 * x5);
    p.z12 = -6.0 * (a1 * a6 + a3 * a5) + esq * (-24.0 * (x2 * x7 + x1 * x8) - 6.0 * (x3 * x6 + x4 * x5));
    p.z13 = -6.0 * a3 * a6 + esq * (-24.0 * x2 * x8 - 6.0 * x4 * x6);
    p.z21 = 6.0 * a2 * a5 + esq * (24.0 * x1 * x5 - 6.0 * x3 * x7);
    p.z22 = 6.0 * (a4 * a5 + a2 * a6) + esq * (24.0 * (x2 * x5 + x1 * x6) - 6.0 * (x4 * x7 + x3 * x8));
    p.z23 = 6.0 * a4 * a6 + esq * (24.0 * x2 * x6 - 6.0 * x4 * x8);
    p.z1 = p.z1 + p.z1 + o.beta_squared * p.z31;
    p.z2 = p.z2 + p.z2 + o.beta_squared * p.z32;
    p.z3 = p.z3 + p.z3 + o.beta_squared * p.z33;

    p.s3 = g.coupling * o.inverse_mean_motion;
    p.s2 = -0.5 * p.s3 / o.beta;
    p.s4 = p.s3 * o.beta;
    p.s1 = -15.0 * o.eccentricity * p.s4;
    p.s5 = x1 * x3 + x2 * x4;
    p.s6 = x2 * x3 + x1 * x4;
    p.s7 = x2 * x4 - x1 * x3;
    return p;
}

// Amplitudes of the long-period periodics caused by one perturber.
PerturberPeriodics periodic_amplitudes(const PerturberTerms& p, double e_squared, double perturber_eccentricity,
                                       double perturber_mean_anomaly0) {
    PerturberPeriodics a;
    a.e2 = 2.0 * p.s1 * p.s6;
    a.e3 = 2.0 * p.s1 * p.s7;
    a.i2 = 2.0 * p.s2 * p.z12;
    a.i3 = 2.0 * p.s2 * (p.z13 - p.z11);
    a.l2 = -2.0 * p.s3 * p.z2;
    a.l3 = -2.0 * p.s3 * (p.z3 - p.z1);
    a.l4 = -2.0 * p.s3 * (-21.0 - 9.0 * e_squared) * perturber_eccentricity;
    a.gh2 = 2.0 * p.s4 * p.z32;
    a.gh3 = 2.0 * p.s4 * (p.z33 - p.z31);
    a.gh4 = -18.0 * p.s4 * perturber_eccentricity;
    a.h2 = -2.0 * p.s2 * p.z22;
    a.h3 = -2.0 * p.s2 * (p.z23 - p.z21);
    a.mean_anomaly0 = perturber_mean_anomaly0;
    return a;
}

// Secular rates caused by one perturber (per minute).
struct PerturberRates {
    double e, i, m, gh, h;
};

PerturberRates perturber_rates(const PerturberTerms& p, double perturber_mean_motion, double e_squared,
                               double inclination) {
    PerturberRates r{};
    r.e = p.s1 * perturber_mean_motion * p.s5;
    r.i = p.s2 * perturber_mean_motion * (p.z11 + p.z13);
    r.m = -perturber_mean_motion * p.s3 * (p.z1 + p.z3 - 14.0 - 6.0 * e_squared);
    r.gh = p.s4 * perturber_mean_motion * (p.z31 + p.z33 - 6.0);
    r.h = -perturber_mean_motion * p.s2 * (p.z21 + p.z23);
    // Near-equatorial orbits have an ill-defined node: drop its perturber rate.
    if (inclination < low_inclination || inclination > common::pi - low_inclination) r.h = 0.0;
    return r;
}

struct PeriodicOffsets {
    double e, i, l, gh, h;
};

// Long-period periodic offsets of one perturber at t minutes.
PeriodicOffsets periodic_offsets(const PerturberPeriodics& a, double mean_motion, double eccentricity, double tsince) {
    const double zm = a.mean_anomaly0 + mean_motion * tsince;
    const double zf = zm + 2.0 * eccentricity * std::sin(zm);  // true anomaly to first order in e
    const double sinzf = std::sin(zf);
    const double f2 = 0.5 * sinzf * sinzf - 0.25;
    const double f3 = -0.5 * sinzf * std::cos(zf);
    PeriodicOffsets o{};
    o.e = a.e2 * f2 + a.e3 * f3;
    o.i = a.i2 * f2 + a.i3 * f3;
    o.l = a.l2 * f2 + a.l3 * f3 + a.l4 * sinzf;
    o.gh = a.gh2 * f2 + a.gh3 * f3 + a.gh4 * sinzf;
    o.h = a.h2 * f2 + a.h3 * f3;
    return o;
}

// Half-day (12 h, e >= 0.5) resonance: G_lmp eccentricity functions (fits in e).
void init_half_day_resonance(DeepSpaceTerms& d, const MeanElements& el, const NearEarthTerms& terms, double sin_i,
                             double cos_i, double mean_motion, double a_over_nv, double theta) {
    const double em = el.eccentricity;
    const double emsq = em * em;
    const double eoc = em * emsq;
    const double cosisq = cos_i * cos_i;

    const double g201 = -0.306 - (em - 0.64) * 0.440;
    double g211, g310, g322, g410, g422, g520;
    if (em <= 0.65) {
        g211 = 3.616 - 13.2470 * em + 16.2900 * emsq;
        g310 = -19.302 + 117.3900 * em - 228.4190 * emsq + 156.5910 * eoc;
        g322 = -18.9068 + 109.7927 * em - 214.6334 * emsq + 146.5816 * eoc;
        g410 = -41.122 + 242.6940 * em - 471.0940 * emsq + 313.9530 * eoc;
        g422 = -146.407 + 841.8800 * em - 1629.014 * emsq + 1083.4350 * eoc;
        g520 = -532.114 + 3017.977 * em - 5740.032 * emsq + 3708.2760 * eoc;
    } else {
        g211 = -72.099 + 331.819 * em - 508.738 * emsq + 266.724 * eoc;
        g310 = -346.844 + 1582.851 * em - 2415.925 * emsq + 1246.113 * eoc;
        g322 = -342.585 + 1554.908 * em - 2366.899 * emsq + 1215.972 * eoc;
        g410 = -1052.797 + 4758.686 * em - 7193.992 * emsq + 3651.957 * eoc;
        g422 = -3581.690 + 16178.110 * em - 24462.770 * emsq + 12422.520 * eoc;
        g520 = em > 0.715 ? -5149.66 + 29936.92 * em - 54087.36 * emsq + 31324.56 * eoc
                          : 1464.74 - 4664.75 * em + 3763.64 * emsq;
    }
    double g533, g521, g532;
    if (em < 0.7) {
        g533 = -919.22770 + 4988.6100 * em - 9064.7700 * emsq + 5542.21 * eoc;
        g521 = -822.71072 + 4568.6173 * em - 8491.4146 * emsq + 5337.524 * eoc;
        g532 = -853.66600 + 4690.2500 * em - 8624.7700 * emsq + 5341.4 * eoc;
    } else {
        g533 = -37995.780 + 161616.52 * em - 229838.20 * emsq + 109377.94 * eoc;
        g521 = -51752.104 + 218913.95 * em - 309468.16 * emsq + 146349.42 * eoc;
        g532 = -40023.880 + 170470.89 * em - 242699.48 * emsq + 115605.82 * eoc;
    }

    // Inclination functions F_lmp.
    const double sini2 = sin_i * sin_i;
    const double f220 = 0.75 * (1.0 + 2.0 * cos_i + cosisq);
    const double f221 = 1.5 * sini2;
    const double f321 = 1.875 * sin_i * (1.0 - 2.0 * cos_i - 3.0 * cosisq);
    const double f322 = -1.875 * sin_i * (1.0 + 2.0 * cos_i - 3.0 * cosisq);
    const double f441 = 35.0 * sini2 * f220;
    const double f442 = 39.3750 * sini2 * sini2;
    const double f522 = 9.84375 * sin_i *
                        (sini2 * (1.0 - 2.0 * cos_i - 5.0 * cosisq) + 0.33333333 * (-2.0 + 4.0 * cos_i + 6.0 * cosisq));
    const double f523 = sin_i * (4.92187512 * sini2 * (-2.0 - 4.0 * cos_i + 10.0 * cosisq) +
                                 6.56250012 * (1.0 + 2.0 * cos_i - 3.0 * cosisq));
    const double f542 = 29.53125 * sin_i * (2.0 - 8.0 * cos_i + cosisq * (-12.0 + 8.0 * cos_i + 10.0 * cosisq));
    const double f543 = 29.53125 * sin_i * (-2.0 - 8.0 * cos_i + cosisq * (12.0 + 8.0 * cos_i - 10.0 * cosisq));

    const double xno2 = mean_motion * mean_motion;
    const double ainv2 = a_over_nv * a_over_nv;
    double temp1 = 3.0 * xno2 * ainv2;
    double temp = temp1 * root22;
    d.d2201 = temp * f220 * g201;
    d.d2211 = temp * f221 * g211;
    temp1 = temp1 * a_over_nv;
    temp = temp1 * root32;
    d.d3210 = temp * f321 * g310;
    d.d3222 = temp * f322 * g322;
    temp1 = temp1 * a_over_nv;
    temp = 2.0 * temp1 * root44;
    d.d4410 = temp * f441 * g410;
    d.d4422 = temp * f442 * g422;
    temp1 = temp1 * a_over_nv;
    temp = temp1 * root52;
    d.d5220 = temp * f522 * g520;
    d.d5232 = temp * f523 * g532;
    temp = 2.0 * temp1 * root54;
    d.d5421 = temp * f542 * g521;
    d.d5433 = temp * f543 * g533;

    d.xlamo = std::fmod(el.mean_anomaly + el.ra_of_asc_node + el.ra_of_asc_node - theta - theta, common::two_pi);
    d.xfact = terms[term::mean_anomaly_rate] + d.dmdt +
              2.0 * (terms[term::node_rate] + d.dnodt - earth_rotation_rad_per_min) - terms[term::mean_motion];
}

// Synchronous (24 h) resonance.
void init_synchronous_resonance(DeepSpaceTerms& d, const MeanElements& el, const NearEarthTerms& terms, double sin_i,
                                double cos_i, double mean_motion, double a_over_nv, double theta) {
    const double emsq = el.eccentricity * el.eccentricity;
    const double g200 = 1.0 + emsq * (-2.5 + 0.8125 * emsq);
    const double g310 = 1.0 + 2.0 * emsq;
    const double g300 = 1.0 + emsq * (-6.0 + 6.60937 * emsq);
    const double f220 = 0.75 * (1.0 + cos_i) * (1.0 + cos_i);
    const double f311 = 0.9375 * sin_i * sin_i * (1.0 + 3.0 * cos_i) - 0.75 * (1.0 + cos_i);
    double f330 = 1.0 + cos_i;
    f330 = 1.875 * f330 * f330 * f330;
    const double del1 = 3.0 * mean_motion * mean_motion * a_over_nv * a_over_nv;
    d.del2 = 2.0 * del1 * f220 * g200 * q22;
    d.del3 = 3.0 * del1 * f330 * g300 * q33 * a_over_nv;
    d.del1 = del1 * f311 * g310 * q31 * a_over_nv;
    d.xlamo = std::fmod(el.mean_anomaly + el.ra_of_asc_node + el.arg_of_perigee - theta, common::two_pi);
    const double xpidot = terms[term::arg_perigee_rate] + terms[term::node_rate];
    d.xfact = terms[term::mean_anomaly_rate] + xpidot - earth_rotation_rad_per_min + d.dmdt + d.domdt + d.dnodt -
              terms[term::mean_motion];
}

// Rates of the resonant angle lambda and of the mean motion from the tesseral terms.
struct ResonanceDerivatives {
    double xndt;   // dn/dt
    double xnddt;  // d2n/dt2
    double xldot;  // dlambda/dt
};

ResonanceDerivatives resonance_derivatives(const DeepSpaceTerms& d, const NearEarthTerms& terms, double xli, double xni,
                                           double atime) {
    ResonanceDerivatives r{};
    r.xldot = xni + d.xfact;
    if (d.resonance == Resonance::synchronous) {
        r.xndt = d.del1 * std::sin(xli - fasx2) + d.del2 * std::sin(2.0 * (xli - fasx4)) +
                 d.del3 * std::sin(3.0 * (xli - fasx6));
        r.xnddt = d.del1 * std::cos(xli - fasx2) + 2.0 * d.del2 * std::cos(2.0 * (xli - fasx4)) +
                  3.0 * d.del3 * std::cos(3.0 * (xli - fasx6));
    } else {
        const double xomi = terms[term::arg_perigee0] + terms[term::arg_perigee_rate] * atime;
        const double x2omi = xomi + xomi;
        const double x2li = xli + xli;
        r.xndt = d.d2201 * std::sin(x2omi + xli - g22) + d.d2211 * std::sin(xli - g22) +
                 d.d3210 * std::sin(xomi + xli - g32) + d.d3222 * std::sin(-xomi + xli - g32) +
                 d.d4410 * std::sin(x2omi + x2li - g44) + d.d4422 * std::sin(x2li - g44) +
                 d.d5220 * std::sin(xomi + xli - g52) + d.d5232 * std::sin(-xomi + xli - g52) +
                 d.d5421 * std::sin(xomi + x2li - g54) + d.d5433 * std::sin(-xomi + x2li - g54);
        r.xnddt = d.d2201 * std::cos(x2omi + xli - g22) + d.d2211 * std::cos(xli - g22) +
                  d.d3210 * std::cos(xomi + xli - g32) + d.d3222 * std::cos(-xomi + xli - g32) +
                  d.d5220 * std::cos(xomi + xli - g52) + d.d5232 * std::cos(-xomi + xli - g52) +
                  2.0 * (d.d4410 * std::cos(x2omi + x2li - g44) + d.d4422 * std::cos(x2li - g44) +
                         d.d5421 * std::cos(xomi + x2li - g54) + d.d5433 * std::cos(-xomi + x2li - g54));
    }
    r.xnddt = r.xnddt * r.xldot;
    return r;
}

}  // namespace

double greenwich_sidereal_angle(double jd_ut1) noexcept {
    const double tut1 = (jd_ut1 - 2451545.0) / 36525.0;
    double seconds = -6.2e-6 * tut1 * tut1 * tut1 + 0.093104 * tut1 * tut1 + (876600.0 * 3600 + 8640184.812866) * tut1 +
                     67310.54841;
    // Seconds of time to radians: 360 deg / 86400 s = 1/240 deg per second.
    double angle = std::fmod(seconds * common::deg / 240.0, common::two_pi);
    if (angle < 0.0) angle += common::two_pi;
    return angle;
}

DeepSpaceTerms init_deep_space(const MeanElements& el, const NearEarthTerms& terms, double gsto) noexcept {
    DeepSpaceTerms d;
    d.gsto = gsto;
    const double mean_motion = terms[term::mean_motion];

    SatelliteAngles o{};
    o.eccentricity = el.eccentricity;
    o.e_squared = el.eccentricity * el.eccentricity;
    o.beta_squared = 1.0 - o.e_squared;
    o.beta = std::sqrt(o.beta_squared);
    o.sin_i = std::sin(el.inclination);
    o.cos_i = std::cos(el.inclination);
    o.sin_omega = std::sin(el.arg_of_perigee);
    o.cos_omega = std::cos(el.arg_of_perigee);
    o.inverse_mean_motion = 1.0 / mean_motion;
    const double sin_node = std::sin(el.ra_of_asc_node);
    const double cos_node = std::cos(el.ra_of_asc_node);

    // Lunar orbit at epoch: node, inclination to the equator and perigee.
    const double day = el.epoch_days + perturber_day_offset;
    const double moon_node = std::fmod(moon_node0 + moon_node_rate * day, common::two_pi);
    const double stem = std::sin(moon_node);
    const double ctem = std::cos(moon_node);
    const double zcosil = moon_cos_inclination0 - moon_cos_inclination_amplitude * ctem;
    const double zsinil = std::sqrt(1.0 - zcosil * zcosil);
    const double zsinhl = moon_sin_inclination_node_factor * stem / zsinil;
    const double zcoshl = std::sqrt(1.0 - zsinhl * zsinhl);
    const double gam = moon_longitude_perigee0 + moon_longitude_perigee_rate * day;
    double zx = sin_ecliptic_obliquity * stem / zsinil;
    const double zy = zcoshl * ctem + cos_ecliptic_obliquity * zsinhl * stem;
    zx = std::atan2(zx, zy);
    zx = gam + zx - moon_node;

    const PerturberGeometry sun{
        cos_sun_arg_perigee, sin_sun_arg_perigee, cos_ecliptic_obliquity, sin_ecliptic_obliquity, cos_node, sin_node,
        sun_coupling};
    const PerturberGeometry moon{std::cos(zx),
                                 std::sin(zx),
                                 zcosil,
                                 zsinil,
                                 zcoshl * cos_node + zsinhl * sin_node,
                                 sin_node * zcoshl - cos_node * zsinhl,
                                 moon_coupling};
    const PerturberTerms sun_terms = perturber_terms(sun, o);
    const PerturberTerms moon_terms = perturber_terms(moon, o);

    const double moon_anomaly_at_epoch = std::fmod(moon_mean_longitude0 + moon_mean_longitude_rate * day - gam,
                                                   common::two_pi);
    const double sun_anomaly_at_epoch = std::fmod(sun_mean_anomaly0 + sun_mean_anomaly_rate * day, common::two_pi);
    d.sun = periodic_amplitudes(sun_terms, o.e_squared, sun_eccentricity, sun_anomaly_at_epoch);
    d.moon = periodic_amplitudes(moon_terms, o.e_squared, moon_eccentricity, moon_anomaly_at_epoch);

    // Secular rates. The node terms are divided by sin i (rates of Omega, and of
    // omega through -cos i dOmega), except for exactly equatorial orbits.
    const PerturberRates s = perturber_rates(sun_terms, sun_mean_motion, o.e_squared, el.inclination);
    const PerturberRates m = perturber_rates(moon_terms, moon_mean_motion, o.e_squared, el.inclination);
    double sun_node_rate = s.h;
    if (o.sin_i != 0.0) sun_node_rate = sun_node_rate / o.sin_i;
    d.dedt = s.e + m.e;
    d.didt = s.i + m.i;
    d.dmdt = s.m + m.m;
    d.domdt = (s.gh - o.cos_i * sun_node_rate) + m.gh;
    d.dnodt = sun_node_rate;
    if (o.sin_i != 0.0) {
        d.domdt = d.domdt - o.cos_i / o.sin_i * m.h;
        d.dnodt = d.dnodt + m.h / o.sin_i;
    }

    // Geopotential resonance.
    const double theta = std::fmod(gsto, common::two_pi);
    if (mean_motion > synchronous_min_motion && mean_motion < synchronous_max_motion) {
        d.resonance = Resonance::synchronous;
    }
    if (mean_motion >= half_day_min_motion && mean_motion <= half_day_max_motion &&
        el.eccentricity >= half_day_min_eccentricity) {
        d.resonance = Resonance::half_day;
    }
    if (d.resonance != Resonance::none) {
        const double a_over_nv = std::pow(mean_motion / xke, two_thirds);
        if (d.resonance == Resonance::half_day) {
            init_half_day_resonance(d, el, terms, o.sin_i, o.cos_i, mean_motion, a_over_nv, theta);
        } else {
            init_synchronous_resonance(d, el, terms, o.sin_i, o.cos_i, mean_motion, a_over_nv, theta);
        }
    }
    return d;
}

DeepSecular deep_space_secular(const DeepSpaceTerms& d, const NearEarthTerms& terms, double t, double arg_perigee,
                               double node, double mean_anomaly) noexcept {
    const double no = terms[term::mean_motion];
    DeepSecular s{};
    s.eccentricity = terms[term::eccentricity] + d.dedt * t;
    s.inclination = terms[term::inclination] + d.didt * t;
    s.arg_perigee = arg_perigee + d.domdt * t;
    s.node = node + d.dnodt * t;
    s.mean_anomaly = mean_anomaly + d.dmdt * t;
    s.mean_motion = no;
    if (d.resonance == Resonance::none) return s;

    // Integrate lambda and n from epoch in 720-minute steps towards t, then a
    // second-order Taylor step over the remainder.
    const double theta = std::fmod(d.gsto + t * earth_rotation_rad_per_min, common::two_pi);
    const double step = t > 0.0 ? integrator_step_min : -integrator_step_min;
    double atime = 0.0;
    double xli = d.xlamo;
    double xni = no;
    ResonanceDerivatives rate = resonance_derivatives(d, terms, xli, xni, atime);
    while (std::fabs(t - atime) >= integrator_step_min) {
        xli = xli + rate.xldot * step + rate.xndt * integrator_half_step_squared;
        xni = xni + rate.xndt * step + rate.xnddt * integrator_half_step_squared;
        atime = atime + step;
        rate = resonance_derivatives(d, terms, xli, xni, atime);
    }
    const double ft = t - atime;
    const double nm = xni + rate.xndt * ft + rate.xnddt * ft * ft * 0.5;
    const double xl = xli + rate.xldot * ft + rate.xndt * ft * ft * 0.5;
    if (d.resonance == Resonance::synchronous) {
        s.mean_anomaly = xl - s.node - s.arg_perigee + theta;
    } else {
        s.mean_anomaly = xl - 2.0 * s.node + 2.0 * theta;
    }
    // Written as n0 + (n - n0) like the reference, which rounds the same way.
    s.mean_motion = no + (nm - no);
    return s;
}

DeepPeriodic apply_lunar_solar_periodics(const DeepSpaceTerms& d, double t, DeepPeriodic e) noexcept {
    const PeriodicOffsets sun = periodic_offsets(d.sun, sun_mean_motion, sun_eccentricity, t);
    const PeriodicOffsets moon = periodic_offsets(d.moon, moon_mean_motion, moon_eccentricity, t);
    const double pe = sun.e + moon.e;
    const double pinc = sun.i + moon.i;
    const double pl = sun.l + moon.l;
    double pgh = sun.gh + moon.gh;
    double ph = sun.h + moon.h;

    e.inclination = e.inclination + pinc;
    e.eccentricity = e.eccentricity + pe;
    const double sinip = std::sin(e.inclination);
    const double cosip = std::cos(e.inclination);
    if (e.inclination >= lyddane_inclination) {
        ph = ph / sinip;
        pgh = pgh - cosip * ph;
        e.arg_perigee = e.arg_perigee + pgh;
        e.node = e.node + ph;
        e.mean_anomaly = e.mean_anomaly + pl;
        return e;
    }
    // Lyddane's modification: at low inclination apply the node and inclination
    // periodics to the non-singular vector (sin i sin Omega, sin i cos Omega), and
    // the rest to the longitude of perigee, instead of dividing by sin i.
    const double sinop = std::sin(e.node);
    const double cosop = std::cos(e.node);
    double alfdp = sinip * sinop;
    double betdp = sinip * cosop;
    const double dalf = ph * cosop + pinc * cosip * sinop;
    const double dbet = -ph * sinop + pinc * cosip * cosop;
    alfdp = alfdp + dalf;
    betdp = betdp + dbet;
    e.node = std::fmod(e.node, common::two_pi);
    const double xls = e.mean_anomaly + e.arg_perigee + pl + pgh + (cosip - pinc * sinip) * e.node;
    const double old_node = e.node;
    e.node = std::atan2(alfdp, betdp);
    // atan2 answers in (-pi, pi]; keep the node on the same branch as before.
    if (std::fabs(old_node - e.node) > common::pi) {
        e.node = e.node < old_node ? e.node + common::two_pi : e.node - common::two_pi;
    }
    e.mean_anomaly = e.mean_anomaly + pl;
    e.arg_perigee = xls - e.mean_anomaly - cosip * e.node;
    return e;
}

}  // namespace satveto::sgp4::detail
