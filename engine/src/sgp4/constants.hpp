// Physical and model constants of SGP4/SDP4 (internal header).
//
// The gravity model is WGS-72, which is what the element sets published by
// space-track are fitted with; using any other set (e.g. WGS-84) would add a
// systematic error of the order of a kilometre after a day.
#pragma once

#include <cmath>

namespace satveto::sgp4::detail {

inline constexpr double two_thirds = 2.0 / 3.0;
inline constexpr double minutes_per_day = 1440.0;

// ---- WGS-72 (Spacetrack Report #3 / Vallado 2006, "wgs72") ----
inline constexpr double mu_km3_per_s2 = 398600.8;
inline constexpr double earth_radius_km = 6378.135;
inline constexpr double j2 = 0.001082616;
inline constexpr double j3 = -0.00000253881;
inline constexpr double j4 = -0.00000165597;
inline constexpr double j3_over_j2 = j3 / j2;
// sqrt(mu / Re^3) in 1/min: the unit of mean motion when lengths are in Earth radii.
inline const double xke = 60.0 / std::sqrt(earth_radius_km * earth_radius_km * earth_radius_km / mu_km3_per_s2);
// Earth radii per minute to km per second.
inline const double velocity_km_per_s = earth_radius_km * xke / 60.0;

// ---- atmosphere model of the drag terms ----
// Density function parameter s = 78 km above the surface and (q0 - s)^4 with q0 = 120 km.
inline constexpr double drag_s0_km = 78.0;
inline constexpr double drag_q0_km = 120.0;
// Perigee heights where the drag model switches to its low-perigee variants.
inline constexpr double low_perigee_km = 156.0;
inline constexpr double very_low_perigee_km = 98.0;
inline constexpr double very_low_perigee_skm = 20.0;
// Below this perigee height the higher-order drag terms are dropped ("simplified" drag).
inline constexpr double simple_drag_perigee_km = 220.0;

// Orbits with a period of at least this many minutes are propagated with SDP4.
inline constexpr double deep_space_period_min = 225.0;

// Eccentricities at or below this are treated as circular for the terms that divide by e.
inline constexpr double circular_eccentricity = 1.0e-4;
// Guard against the singularity of the long-period term at inclination 180 degrees.
inline constexpr double retrograde_guard = 1.5e-12;

// ---- Kepler equation solver ----
inline constexpr double kepler_tolerance = 1.0e-12;
inline constexpr int kepler_max_iterations = 10;
inline constexpr double kepler_max_step = 0.95;

// ---- validity limits applied while propagating (reference error conditions) ----
inline constexpr double min_mean_eccentricity = -0.001;
inline constexpr double eccentricity_floor = 1.0e-6;

}  // namespace satveto::sgp4::detail
