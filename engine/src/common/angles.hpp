// Angle units: the one definition the whole engine uses.
//
// Inside the engine every angle is in radians (geometry/types.hpp); degrees and arcseconds
// appear only at the RPC edge and in constants written the way their sources state them.
// Multiply by a unit to get radians (`30.0 * deg`), divide radians by it to get the unit back
// (`angle_rad / arcsec`).
#pragma once

#include <cmath>
#include <numbers>

namespace satveto::common {

inline constexpr double pi = std::numbers::pi;
inline constexpr double two_pi = 2.0 * std::numbers::pi;
inline constexpr double half_pi = 0.5 * std::numbers::pi;

inline constexpr double deg = std::numbers::pi / 180.0;                // one degree, in radians
inline constexpr double arcsec = std::numbers::pi / (180.0 * 3600.0);  // one arcsecond, in radians
inline constexpr double mas = arcsec / 1000.0;                         // one milliarcsecond

// An angle reduced to [0, 2 pi).
inline double wrap_two_pi(double angle_rad) noexcept {
    double a = std::fmod(angle_rad, two_pi);
    if (a < 0.0) a += two_pi;
    // fmod of a tiny negative number can round back up to exactly 2 pi.
    if (a >= two_pi) a = 0.0;
    return a;
}

}  // namespace satveto::common
