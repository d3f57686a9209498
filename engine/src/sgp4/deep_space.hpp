// SDP4 deep-space terms: lunar-solar perturbations and geopotential resonance (internal header).
#pragma once

#include "sgp4/sgp4.hpp"
#include "sgp4/terms.hpp"

namespace satveto::sgp4::detail {

// Greenwich mean sidereal angle (rad, IAU-82) at a UT1 Julian date.
double greenwich_sidereal_angle(double jd_ut1) noexcept;

// Everything about the lunar-solar and resonance terms that is fixed at epoch.
// `terms` must already hold the near-Earth secular rates of the object.
DeepSpaceTerms init_deep_space(const MeanElements& elements, const NearEarthTerms& terms, double gsto) noexcept;

// Mean elements affected by the deep-space secular and resonance terms at t minutes.
struct DeepSecular {
    double eccentricity, inclination, node, arg_perigee, mean_anomaly, mean_motion;
};
DeepSecular deep_space_secular(const DeepSpaceTerms& deep, const NearEarthTerms& terms, double tsince,
                               double arg_perigee, double node, double mean_anomaly) noexcept;

// Lunar-solar long-period periodics applied to the mean elements at t minutes.
struct DeepPeriodic {
    double eccentricity, inclination, node, arg_perigee, mean_anomaly;
};
DeepPeriodic apply_lunar_solar_periodics(const DeepSpaceTerms& deep, double tsince, DeepPeriodic mean) noexcept;

}  // namespace satveto::sgp4::detail
