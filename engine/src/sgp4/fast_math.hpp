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
inline constexpr double rounding_shift = 6755399441055744.0;
inline constexpr double two_over_pi = 0.63661977236758134308;
// pi/2 split in 33 + 33 + 53 bits (fdlibm's pio2_1, pio2_2, pio2_2t): n * part is
// exact for |n| < 2^20, so the reduction loses nothing for |x| < ~1.6e6.
inline constexpr double half_pi_part1 = 1.57079632673412561417e+00;
inline constexpr double half_pi_part2 = 6.07710050630396597660e-11;
inline constexpr double half_pi_part3 = 2.02226624879595063154e-21;

// Minimax polynomials for sin and cos on [-pi/4, pi/4] (Cephes, S. L. Moshier).
inline constexpr double sin0 = 1.58962301576546568060e-10;
inline constexpr double sin1 = -2.50507477628578072866e-8;
inline constexpr double sin2 = 2.75573136213857245213e-6;
inline constexpr double sin3 = -1.98412698295895385996e-4;
inline constexpr double sin4 = 8.33333333332211858878e-3;
inline constexpr double sin5 = -1.66666666666666307295e-1;
inline constexpr double cos0 = -1.13585365213876817300e-11;
inline constexpr double cos1 = 2.08757008419747316778e-9;
inline constexpr double cos2 = -2.75573141792967388112e-7;
inline constexpr double cos3 = 2.48015872888517045348e-5;
inline constexpr double cos4 = -1.38888888888730564116e-3;
inline constexpr double cos5 = 4.16666666666665929218e-2;

[[gnu::always_inline]] inline SinCos sincos(double x) noexcept {
    const double shifted = x * two_over_pi + rounding_shift;
    const double quadrant_real = shifted - rounding_shift;  // nearest integer to x / (pi/2)
    const std::uint64_t quadrant = std::bit_cast<std::uint64_t>(shifted);

    double r = x - quadrant_real * half_pi_part1;
    r = r - quadrant_real * half_pi_part2;
    r = r - quadrant_real * half_pi_part3;

    const double z = r * r;
    const double sin_r = r + r * z * (((((sin0 * z + sin1) * z + sin2) * z + sin3) * z + sin4) * z + sin5);
    const double cos_r = 1.0 - 0.5 * z + z * z * (((((cos0 * z + cos1) * z + cos2) * z + cos3) * z + cos4) * z + cos5);

    // Quadrant q: sin x = (s, c, -s, -c)[q], cos x = (c, -s, -c, s)[q]. Done with
    // masks so that no branch or blend on a comparison is needed.
    const std::uint64_t swap = std::uint64_t{0} - (quadrant & 1U);  // all ones when q is odd
    const std::uint64_t s_bits = std::bit_cast<std::uint64_t>(sin_r);
    const std::uint64_t c_bits = std::bit_cast<std::uint64_t>(cos_r);
    const std::uint64_t sin_bits = ((s_bits & ~swap) | (c_bits & swap)) ^ ((quadrant & 2U) << 62);
    const std::uint64_t cos_bits = ((c_bits & ~swap) | (s_bits & swap)) ^ (((quadrant + 1U) & 2U) << 62);
    return {std::bit_cast<double>(sin_bits), std::bit_cast<double>(cos_bits)};
}

// 2 pi split so that n * two_pi_high is exact for |n| < 2^20.
inline constexpr double two_pi_high = 2.0 * half_pi_part1 * 2.0;
inline constexpr double two_pi_low = 2.0 * (half_pi_part2 + half_pi_part3) * 2.0;
inline constexpr double one_over_two_pi = 0.15915494309189533577;

// x reduced to [-pi, pi] by subtracting the nearest multiple of 2 pi.
[[gnu::always_inline]] inline double reduce_angle(double x) noexcept {
    const double turns = (x * one_over_two_pi + rounding_shift) - rounding_shift;
    return (x - turns * two_pi_high) - turns * two_pi_low;
}

}  // namespace satveto::sgp4::detail
