// The star-calibrated (ICRS astrometric) direction of a satellite (docs/design.md, "Matching
// semantics"): where a source on the satellite's image lands under a WCS fitted to Gaia stars.
//
// The rigorous chain is (1) the topocentric vector to the satellite at the retarded time
// t - rho/c, (2) aberrated by the site's geocentric velocity (diurnal aberration), (3) stellar
// aberration inverted with the observer's barycentric velocity (Earth + site).  To first order
// in v/c the site's velocity cancels between (2) and (3), and what remains is
//
//     q = p - (|p| / c) (v_sat + V_earth)
//
// with p the geometric topocentric vector at t, v_sat the satellite's geocentric (GCRS)
// velocity and V_earth the Earth's barycentric velocity: the satellite is seen displaced by its
// barycentric velocity times the light time, as any solar-system body is against the stars.
// The neglected terms are of order (v/c)^2 ~ 1e-8 rad; engine/tests/test_aberration.cpp
// compares q with the full ERFA chain (eraAb iterated) and holds it within 5 mas.
// Gravitational light deflection of the stars by the Sun (< 5 mas at night) is not inverted.
#pragma once

#include "frames/frames.hpp"

namespace satveto::frames {

inline constexpr double speed_of_light_km_s = 299792.458;

// Highest speed of a catalogued object relative to the geocentre (km/s): escape speed at the
// Earth's surface.  Bounds the light-time part of the offset.
inline constexpr double max_satellite_speed_km_s = 11.2;

// q above, a vector whose direction is the star-frame direction and whose length is the
// range to first order.  All vectors in GCRS axes; km and km/s.
Vec3 star_frame_vector(const Vec3& p_km, const Vec3& v_satellite_km_s, const Vec3& v_earth_km_s);

// The largest angle between a satellite's geometric and star-frame directions at one instant
// (rad): |v_sat + V_earth| / c with v_sat at most max_satellite_speed_km_s, plus 1 % for the
// second-order terms.  About 29" with the Earth's 30.3 km/s.
double star_frame_offset_bound_rad(double earth_speed_km_s);

// A bound of |d^2/dt^2 (|p| (v_sat + V_earth) / c)| (km/s^2): how much the star-frame shift
// bends a track beyond the geometric path's own bending, for a chord whose range stays within
// [range_lo_km, range_hi_km].  Added to the chord bound of the dense tracks.
double star_frame_bending_km_s2(double range_lo_km, double range_hi_km, double earth_speed_km_s);

}  // namespace satveto::frames
