// Physical and model constants of SGP4/SDP4 (internal header).
//
// The gravity model is WGS-72, which is what the element sets published by
// space-track are fitted with; using any other set (e.g. WGS-84) would add a
// systematic error of the order of a kilometre after a day.
#pragma once

#include <cmath>

namespace satveto::sgp4::detail {

inline constexpr double kTwoThirds = 2.0 / 3.0;
inline constexpr double kMinutesPerDay = 1440.0;

// ---- WGS-72 (Spacetrack Report #3 / Vallado 2006, "wgs72") ----
inline constexpr double kMuKm3PerS2 = 398600.8;
inline constexpr double kEarthRadiusKm = 6378.135;
inline constexpr double kJ2 = 0.001082616;
inline constexpr double kJ3 = -0.00000253881;
inline constexpr double kJ4 = -0.00000165597;
inline constexpr double kJ3OverJ2 = kJ3 / kJ2;
// sqrt(mu / Re^3) in 1/min: the unit of mean motion when lengths are in Earth radii.
inline const double kXke = 60.0 / std::sqrt(kEarthRadiusKm * kEarthRadiusKm * kEarthRadiusKm / kMuKm3PerS2);
// Earth radii per minute to km per second.
inline const double kVelocityKmPerS = kEarthRadiusKm * kXke / 60.0;

// ---- atmosphere model of the drag terms ----
// Density function parameter s = 78 km above the surface and (q0 - s)^4 with q0 = 120 km.
inline constexpr double kDragS0Km = 78.0;
inline constexpr double kDragQ0Km = 120.0;
// Perigee heights where the drag model switches to its low-perigee variants.
inline constexpr double kLowPerigeeKm = 156.0;
inline constexpr double kVeryLowPerigeeKm = 98.0;
inline constexpr double kVeryLowPerigeeSKm = 20.0;
// Below this perigee height the higher-order drag terms are dropped ("simplified" drag).
inline constexpr double kSimpleDragPerigeeKm = 220.0;

// Orbits with a period of at least this many minutes are propagated with SDP4.
inline constexpr double kDeepSpacePeriodMin = 225.0;

// Eccentricities at or below this are treated as circular for the terms that divide by e.
inline constexpr double kCircularEccentricity = 1.0e-4;
// Guard against the singularity of the long-period term at inclination 180 degrees.
inline constexpr double kRetrogradeGuard = 1.5e-12;

// ---- Kepler equation solver ----
inline constexpr double kKeplerTolerance = 1.0e-12;
inline constexpr int kKeplerMaxIterations = 10;
inline constexpr double kKeplerMaxStep = 0.95;

// ---- validity limits applied while propagating (reference error conditions) ----
inline constexpr double kMinMeanEccentricity = -0.001;
inline constexpr double kEccentricityFloor = 1.0e-6;

}  // namespace satveto::sgp4::detail
