/*
 * Helium (MVE) helpers shared by the kernels of kernels/mve/: four dot products sharing
 * their input loads, requantization of four int32 accumulators at once, bit-exact with
 * nn_requantize (nn_requantize.h), and the step from requantized values to int8 outputs.
 */
#ifndef NN_MVE_H
#define NN_MVE_H

#include <arm_mve.h>
#include <stdint.h>

/* MultiplyByQuantizedMultiplier on four lanes, the shift split into a left shift (>= 0) and a
 * right shift (<= 0, negated). VQRDMULH is gemmlowp's
 * SaturatingRoundingDoublingHighMul exactly (ties of negative products included); the
 * rounding right shift rounds half away from zero as RoundingDivideByPOT does: a negative
 * value is lowered by one before VRSHL's round-half-up (saturating, so INT32_MIN stays). */
static inline int32x4_t nn_requantize_split_x4(int32x4_t x, int32x4_t multiplier, int32x4_t left_shift,
                                               int32x4_t right_shift)
{
    const int32x4_t y = vqrdmulhq_s32(vshlq_s32(x, left_shift), multiplier);
    const int32x4_t fixup = vshrq_n_s32(vandq_s32(y, right_shift), 31); /* -1: negative and shifted */
    return vrshlq_s32(vqaddq_s32(y, fixup), right_shift);
}

/* The same with TFLite's shift: > 0 a left shift, < 0 a right shift. */
static inline int32x4_t nn_requantize_x4(int32x4_t x, int32x4_t multiplier, int32x4_t shift)
{
    const int32x4_t zero = vdupq_n_s32(0);
    return nn_requantize_split_x4(x, multiplier, vmaxq_s32(shift, zero), vminq_s32(shift, zero));
}

/* Four dot products of n int8 values, x with each of w0..w3, as the lanes of a vector: whole
 * vectors unpredicated (a VPST per predicated instruction would double the loop), then the
 * tail predicated. */
static inline int32x4_t nn_dot_x4v(const int8_t *x, const int8_t *w0, const int8_t *w1, const int8_t *w2,
                                   const int8_t *w3, int32_t n)
{
    int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
    int32_t d = 0;
    for (; d + 16 <= n; d += 16) {
        const int8x16_t xv = vldrbq_s8(x + d);
        a0 = vmladavaq_s8(a0, xv, vldrbq_s8(w0 + d));
        a1 = vmladavaq_s8(a1, xv, vldrbq_s8(w1 + d));
        a2 = vmladavaq_s8(a2, xv, vldrbq_s8(w2 + d));
        a3 = vmladavaq_s8(a3, xv, vldrbq_s8(w3 + d));
    }
    if (d < n) {
        const mve_pred16_t lanes = vctp8q((uint32_t)(n - d));
        const int8x16_t xv = vldrbq_z_s8(x + d, lanes);
        a0 = vmladavaq_p_s8(a0, xv, vldrbq_z_s8(w0 + d, lanes), lanes);
        a1 = vmladavaq_p_s8(a1, xv, vldrbq_z_s8(w1 + d, lanes), lanes);
        a2 = vmladavaq_p_s8(a2, xv, vldrbq_z_s8(w2 + d, lanes), lanes);
        a3 = vmladavaq_p_s8(a3, xv, vldrbq_z_s8(w3 + d, lanes), lanes);
    }
    return vsetq_lane_s32(a3, vsetq_lane_s32(a2, vsetq_lane_s32(a1, vdupq_n_s32(a0), 1), 2), 3);
}

/* nn_dot_x4v added to acc[0..3]. */
static inline void nn_dot_x4(const int8_t *x, const int8_t *w0, const int8_t *w1, const int8_t *w2,
                             const int8_t *w3, int32_t n, int32_t acc[4])
{
    vstrwq_s32(acc, vaddq_s32(vldrwq_s32(acc), nn_dot_x4v(x, w0, w1, w2, w3, n)));
}

/* Requantized accumulators plus the output offset, clamped to the activation's range. */
static inline int32x4_t nn_clamp_x4(int32x4_t requantized, int32_t output_offset, int32_t act_min, int32_t act_max)
{
    const int32x4_t y = vaddq_n_s32(requantized, output_offset);
    return vminq_s32(vmaxq_s32(y, vdupq_n_s32(act_min)), vdupq_n_s32(act_max));
}

static inline int32x4_t nn_output_x4(int32x4_t acc, int32x4_t multiplier, int32x4_t shift, int32_t output_offset,
                                     int32_t act_min, int32_t act_max)
{
    return nn_clamp_x4(nn_requantize_x4(acc, multiplier, shift), output_offset, act_min, act_max);
}

/* Requantize four accumulators of consecutive outputs (predicate: the lanes that exist)
 * and store them as int8; per_channel 0: multiplier[0] and shift[0] for all four. */
static inline void nn_store_requantized_x4(int8_t *out, int32x4_t acc, const int32_t *multiplier,
                                           const int32_t *shift, int32_t per_channel, int32_t output_offset,
                                           int32_t act_min, int32_t act_max, mve_pred16_t lanes)
{
    const int32x4_t m = per_channel ? vldrwq_z_s32(multiplier, lanes) : vdupq_n_s32(multiplier[0]);
    const int32x4_t s = per_channel ? vldrwq_z_s32(shift, lanes) : vdupq_n_s32(shift[0]);
    vstrbq_p_s32(out, nn_output_x4(acc, m, s, output_offset, act_min, act_max), lanes);
}

/* How the int32 sums of a row of outputs become int8: per-channel multipliers and shifts (or
 * the first for all), then the output offset and the activation's clamp. */
typedef struct {
    const int32_t *multiplier, *shift;
    int32_t per_channel, output_offset, act_min, act_max;
} nn_mve_requant;

/* out[o] for o < count: the dot product of the n int8 values x with weight row o (rows n
 * apart from w), plus bias[o] (bias may be NULL), requantized. FULLY_CONNECTED's row and a
 * convolution pixel's output channels (kernels/mve/fully_connected_s8.c). */
void nn_mve_rows(const int8_t *x, const int8_t *w, int32_t n, int32_t count, const int32_t *bias,
                 const nn_mve_requant *q, int8_t *out);

/* nn_mve_rows for `rows` (1 to 4) inputs at once, x[k] the k-th, its outputs at out +
 * k * out_step: four inputs share each weight load, one output at a time, stored by a
 * scatter. For several inputs of the same weights: batches, a convolution's pixels. */
void nn_mve_rows_x4(const int8_t *const x[4], int32_t rows, const int8_t *w, int32_t n, int32_t count,
                    const int32_t *bias, const nn_mve_requant *q, int8_t *out, int32_t out_step);

#endif /* NN_MVE_H */
