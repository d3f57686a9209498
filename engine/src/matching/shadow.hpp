// Earth's shadow, for `matching.require_sunlit` (off by default): an object may be skipped only
// when it is certainly dark for its whole padded window.
//
// The umbra is the cone behind the Earth from which no part of the Sun's disc is visible
// (the penumbra lies outside it, so it is never counted as dark).  The Earth is taken as a
// sphere of its polar radius, 6356.75 km (its smallest cross-section, so the cone is never too
// large).  Sunlight refracted by the atmosphere reaches into the geometric umbra: rays grazing the
// Earth are bent by at most twice the horizon refraction (~0.02 rad), so at a distance x behind
// the Earth they reach 0.021 x into the cone; that depth is left out too.  A point at distance x
// along the anti-Sun axis and rho from it is dark with margin m when
//
//     x > 0  and  rho + m + 0.021 x <= R_polar - x (R_sun - R_polar) / d_sun.
//
// The region is convex, so when every vertex of a track is dark with margin m + delta (delta
// bounding how far the path leaves its chords), the whole path is.
#pragma once

#include "frames/frames.hpp"

namespace satveto::matching {

// The Sun's geocentric position (km, GCRS axes) at `mjd_tai`: eraEpv00's heliocentric Earth,
// reversed.
frames::Vec3 sun_geocentric_km(double mjd_tai);

// True when the geocentric point `r_km` is in the umbra with at least `margin_km` to spare.
bool dark_with_margin(const frames::Vec3& r_km, const frames::Vec3& sun_km, double margin_km);

// How far the shadow axis sweeps (km) at geocentric distance `radius_km` over `days`: the
// Sun's apparent motion, at most 1.02 deg/day.
double shadow_sweep_km(double radius_km, double days);

}  // namespace satveto::matching
