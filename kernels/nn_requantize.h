/*
 * Fixed-point requantization, identical to TFLite's
 * MultiplyByQuantizedMultiplier (gemmlowp double rounding, the default when
 * TFLITE_SINGLE_ROUNDING is not set, as in TFLite Micro), and its int64 overload.
 */
#ifndef NN_REQUANTIZE_H
#define NN_REQUANTIZE_H

#include <stdint.h>

/* gemmlowp's SaturatingRoundingDoublingHighMul: (a * b + nudge) / 2^31 with the nudge +-2^30 by
 * the product's sign and the division truncating is floor((a * b + 2^30) / 2^31), one
 * arithmetic shift. */
static inline int32_t nn_saturating_rounding_doubling_high_mul(int32_t a, int32_t b)
{
    if (a == b && a == INT32_MIN) {
        return INT32_MAX;
    }
    return (int32_t)(((int64_t)a * (int64_t)b + ((int64_t)1 << 30)) >> 31);
}

/* gemmlowp's RoundingDivideByPOT, round half away from zero: floor((x + 2^(e-1) - [x < 0]) / 2^e),
 * in 64 bits so the sum cannot overflow. */
static inline int32_t nn_rounding_divide_by_pot(int32_t x, int exponent)
{
    if (exponent == 0) {
        return x;
    }
    return (int32_t)(((int64_t)x + ((int64_t)1 << (exponent - 1)) - (x < 0)) >> exponent);
}

static inline int32_t nn_requantize(int32_t x, int32_t multiplier, int32_t shift)
{
    const int left_shift = shift > 0 ? shift : 0;
    const int right_shift = shift > 0 ? 0 : -shift;
    /* Unsigned multiply: wraps like TFLite's int32 multiply instead of being UB. */
    const int32_t shifted = (int32_t)((uint32_t)x * ((uint32_t)1 << left_shift));
    return nn_rounding_divide_by_pot(
        nn_saturating_rounding_doubling_high_mul(shifted, multiplier), right_shift);
}

/* MultiplyByQuantizedMultiplier for the int64 accumulators of 16x8 CONV_2D, DEPTHWISE_CONV_2D
 * and FULLY_CONNECTED: the multiplier is first rounded to 16 bits, then applied with a single
 * rounding. The code generator keeps shift <= 7, as TFLite requires. */
static inline int32_t nn_requantize64(int64_t x, int32_t multiplier, int32_t shift)
{
    const int64_t reduced = multiplier < 0x7FFF0000 ? (multiplier + (1 << 15)) >> 16 : 0x7FFF;
    const int total_shift = 15 - shift;
    return (int32_t)((x * reduced + ((int64_t)1 << (total_shift - 1))) >> total_shift);
}

/* gemmlowp SaturatingRoundingMultiplyByPOT<exponent> for exponent > 0. */
static inline int32_t nn_saturating_shift_left(int32_t x, int exponent)
{
    const int32_t threshold = (int32_t)((1u << (31 - exponent)) - 1);
    if (x > threshold) {
        return INT32_MAX;
    }
    if (x < -threshold) {
        return INT32_MIN;
    }
    return (int32_t)((uint32_t)x << exponent);
}

static inline int nn_count_leading_zeros(uint32_t x)
{
    int n = 0;
    for (; n < 32 && !(x & 0x80000000u); ++n) {
        x <<= 1;
    }
    return n;
}

static inline int32_t nn_clamp(int32_t x, int32_t lo, int32_t hi)
{
    return x < lo ? lo : (x > hi ? hi : x);
}

/* The sum of n int8 weights: a convolution tap in the padding takes back the share of the
 * input offset that was folded into the bias at build time. */
static inline int32_t nn_sum_s8(const int8_t *w, int32_t n)
{
    int32_t sum = 0;
    for (int32_t i = 0; i < n; ++i) {
        sum += w[i];
    }
    return sum;
}

#endif /* NN_REQUANTIZE_H */
