// Per-object coefficients computed once by init_satellite (internal header, included by sgp4.hpp).
//
// The near-Earth coefficients are an array indexed by an enumerator rather than a
// struct so that the batch code can store one contiguous column per coefficient
// (structure of arrays) and copy columns generically.
#pragma once

#include <array>
#include <cstddef>

namespace satveto::sgp4::detail {

// Coefficients read by the vectorised secular stage and the shared periodic stage.
// For deep-space objects only the secular rates (term::mean_anomaly_rate ... term::node_drag2)
// and the drag scalars are used; the rest are recomputed per instant.
// Namespaced so the short names (eta, inclination) cannot meet a variable of the same name.
namespace term {
enum NearEarthTerm : std::size_t {
    mean_motion,             // un-Kozai'd mean motion n0'' (rad/min)
    semi_major_axis_factor,  // (xke / n0'')^(2/3): a0'' in Earth radii
    eccentricity,
    inclination,
    sin_inclination,
    cos_inclination,
    node0,                 // right ascension of ascending node at epoch (rad)
    arg_perigee0,          // argument of perigee at epoch (rad)
    mean_anomaly0,         // mean anomaly at epoch (rad)
    mean_anomaly_rate,     // dM/dt from J2, J4 (rad/min)
    arg_perigee_rate,      // d(omega)/dt (rad/min)
    node_rate,             // d(Omega)/dt (rad/min)
    node_drag2,            // coefficient of t^2 in the node (drag)
    drag_c1,               // C1: linear decay of the semi-major axis factor
    drag_eccentricity,     // B* C4: linear decay of the eccentricity
    drag_mean_longitude2,  // 1.5 C1: t^2 term of the mean longitude
    // Higher-order drag terms; all exactly zero for "simplified" (low perigee or deep-space) objects,
    // which makes the full-drag formulas reduce to the simplified ones without a branch.
    drag_arg_perigee,  // B* C3 cos(omega0)
    eta,
    drag_mean_anomaly,   // -(2/3) q0ms^4 B* / (e eta)
    del_m0,              // (1 + eta cos M0)^3
    drag_eccentricity2,  // B* C5
    sin_mean_anomaly0,
    drag_d2,
    drag_d3,
    drag_d4,
    drag_mean_longitude3,  // t^3 coefficient of the mean longitude
    drag_mean_longitude4,  // t^4
    drag_mean_longitude5,  // t^5
    // Long-period and short-period periodic coefficients (depend on inclination only).
    aycof,
    xlcof,
    con41,   // 3 cos^2 i - 1
    x1mth2,  // 1 - cos^2 i
    x7thm1,  // 7 cos^2 i - 1
    count
};
}  // namespace term

using NearEarthTerms = std::array<double, term::count>;

// Lunar or solar periodic coefficients used by the long-period deep-space terms.
struct PerturberPeriodics {
    double e2 = 0, e3 = 0;             // eccentricity
    double i2 = 0, i3 = 0;             // inclination
    double l2 = 0, l3 = 0, l4 = 0;     // mean longitude
    double gh2 = 0, gh3 = 0, gh4 = 0;  // argument of perigee
    double h2 = 0, h3 = 0;             // node
    double mean_anomaly0 = 0;          // perturber's mean anomaly at epoch (rad)
};

// Resonance state of 12 h (half-day) and 24 h (synchronous) orbits.
enum class Resonance { none = 0, synchronous = 1, half_day = 2 };

struct DeepSpaceTerms {
    double gsto = 0;  // Greenwich sidereal angle at epoch (rad)
    PerturberPeriodics sun, moon;
    // Secular rates from the Sun and Moon (per minute).
    double dedt = 0, didt = 0, dmdt = 0, domdt = 0, dnodt = 0;
    Resonance resonance = Resonance::none;
    // Half-day resonance coefficients.
    double d2201 = 0, d2211 = 0, d3210 = 0, d3222 = 0, d4410 = 0;
    double d4422 = 0, d5220 = 0, d5232 = 0, d5421 = 0, d5433 = 0;
    // Synchronous resonance coefficients.
    double del1 = 0, del2 = 0, del3 = 0;
    double xfact = 0;  // rate of the resonant angle beyond the mean motion
    double xlamo = 0;  // resonant angle at epoch
};

}  // namespace satveto::sgp4::detail
