// Branch-free sine/cosine and angle reduction that GCC can vectorise (internal header).
//
// libm's sin/cos are opaque calls, so a loop that uses them stays scalar. These
// versions use only +, *, / and integer bit operations on the IEEE representation,
// which SSE2 (the x86-64 baseline) provides for two doubles at a time and AVX2 for
// four. They are used by both the scalar and the batch propagation paths so the two
// give bit-identical results. Accuracy: about 1 ulp for |x| up to ~1e6 rad (a
// 3-part Cody-Waite reduction), i.e. far below a micrometre at orbital radii.
#pragma once

#include <bit>
#include <cstdint>

namespace satveto::sgp4::detail {

struct SinCos {
  double sin;
  double cos;
};

// 1.5 * 2^52: adding it to |y| < 2^51 rounds y to the nearest integer, which
// then sits in the low bits of the sum's mantissa (two's complement for y < 0).
inline constexpr double kRoundingShift = 6755399441055744.0;
inline constexpr double kTwoOverPi = 0.63661977236758134308;
// pi/2 split in 33 + 33 + 53 bits (fdlibm's pio2_1, pio2_2, pio2_2t): n * part is
// exact for |n| < 2^20, so the reduction loses nothing for |x| < ~1.6e6.
inline constexpr double kHalfPiPart1 = 1.57079632673412561417e+00;
inline constexpr double kHalfPiPart2 = 6.07710050630396597660e-11;
inline constexpr double kHalfPiPart3 = 2.02226624879595063154e-21;

// Minimax polynomials for sin and cos on [-pi/4, pi/4] (Cephes, S. L. Moshier).
inline constexpr double kSin0 = 1.58962301576546568060e-10;
inline constexpr double kSin1 = -2.50507477628578072866e-8;
inline constexpr double kSin2 = 2.75573136213857245213e-6;
inline constexpr double kSin3 = -1.98412698295895385996e-4;
inline constexpr double kSin4 = 8.33333333332211858878e-3;
inline constexpr double kSin5 = -1.66666666666666307295e-1;
inline constexpr double kCos0 = -1.13585365213876817300e-11;
inline constexpr double kCos1 = 2.08757008419747316778e-9;
inline constexpr double kCos2 = -2.75573141792967388112e-7;
inline constexpr double kCos3 = 2.48015872888517045348e-5;
inline constexpr double kCos4 = -1.38888888888730564116e-3;
inline constexpr double kCos5 = 4.16666666666665929218e-2;

[[gnu::always_inline]] inline SinCos sincos(double x) noexcept {
  const double shifted = x * kTwoOverPi + kRoundingShift;
  const double quadrant_real = shifted - kRoundingShift;  // nearest integer to x / (pi/2)
  const std::uint64_t quadrant = std::bit_cast<std::uint64_t>(shifted);

  double r = x - quadrant_real * kHalfPiPart1;
  r = r - quadrant_real * kHalfPiPart2;
  r = r - quadrant_real * kHalfPiPart3;

  const double z = r * r;
  const double sin_r = r + r * z * (((((kSin0 * z + kSin1) * z + kSin2) * z + kSin3) * z + kSin4) * z + kSin5);
  const double cos_r =
      1.0 - 0.5 * z + z * z * (((((kCos0 * z + kCos1) * z + kCos2) * z + kCos3) * z + kCos4) * z + kCos5);

  // Quadrant q: sin x = (s, c, -s, -c)[q], cos x = (c, -s, -c, s)[q]. Done with
  // masks so that no branch or blend on a comparison is needed.
  const std::uint64_t swap = std::uint64_t{0} - (quadrant & 1U);  // all ones when q is odd
  const std::uint64_t s_bits = std::bit_cast<std::uint64_t>(sin_r);
  const std::uint64_t c_bits = std::bit_cast<std::uint64_t>(cos_r);
  const std::uint64_t sin_bits = ((s_bits & ~swap) | (c_bits & swap)) ^ ((quadrant & 2U) << 62);
  const std::uint64_t cos_bits = ((c_bits & ~swap) | (s_bits & swap)) ^ (((quadrant + 1U) & 2U) << 62);
  return {std::bit_cast<double>(sin_bits), std::bit_cast<double>(cos_bits)};
}

// 2 pi split so that n * kTwoPiHigh is exact for |n| < 2^20.
inline constexpr double kTwoPiHigh = 2.0 * kHalfPiPart1 * 2.0;
inline constexpr double kTwoPiLow = 2.0 * (kHalfPiPart2 + kHalfPiPart3) * 2.0;
inline constexpr double kOneOverTwoPi = 0.15915494309189533577;

// x reduced to [-pi, pi] by subtracting the nearest multiple of 2 pi.
[[gnu::always_inline]] inline double reduce_angle(double x) noexcept {
  const double turns = (x * kOneOverTwoPi + kRoundingShift) - kRoundingShift;
  return (x - turns * kTwoPiHigh) - turns * kTwoPiLow;
}

}  // namespace satveto::sgp4::detail
