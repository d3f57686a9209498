// Angle helpers shared by the geometry routines.
#pragma once

#include <cmath>
#include <numbers>

namespace satveto::geometry {

inline constexpr double kTwoPi = 2.0 * std::numbers::pi;

// An angle reduced to [0, 2 pi).
inline double wrap_two_pi(double angle_rad) noexcept {
  double a = std::fmod(angle_rad, kTwoPi);
  if (a < 0.0) a += kTwoPi;
  // fmod of a tiny negative number can round back up to exactly 2 pi.
  if (a >= kTwoPi) a = 0.0;
  return a;
}

}  // namespace satveto::geometry
