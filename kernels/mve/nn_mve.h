/*
 * Helium (MVE) helpers shared by the kernels of kernels/mve/: four dot products sharing
 * their input loads, requantization of four int32 accumulators at once, bit-exact with
 * nn_requantize (nn_requantize.h), and the step from requantized values to int8 outputs.
 */
#ifndef NN_MVE_H
#define NN_MVE_H

#include <arm_mve.h>
#include <stdint.h>

/* MultiplyByQuantizedMultiplier on four lanes. VQRDMULH is gemmlowp's
 * SaturatingRoundingDoublingHighMul exactly (ties of negative products included); the
 * rounding right shift rounds half away from zero as RoundingDivideByPOT does: a negative
 * value is lowered by one before VRSHL's round-half-up (saturating, so INT32_MIN stays). */
static inline int32x4_t nn_requantize_x4(int32x4_t x, int32x4_t multiplier, int32x4_t shift)
{
    const int32x4_t zero = vdupq_n_s32(0);
    const mve_pred16_t left = vcmpgtq_n_s32(shift, 0);
    const int32x4_t left_shift = vpselq_s32(shift, zero, left);
    const int32x4_t right_shift = vpselq_s32(zero, shift, left); /* <= 0: a right shift, negated */
    const int32x4_t y = vqrdmulhq_s32(vshlq_s32(x, left_shift), multiplier);
    const int32x4_t fixup = vshrq_n_s32(vandq_s32(y, right_shift), 31); /* -1: negative and shifted */
    return vrshlq_s32(vqaddq_s32(y, fixup), right_shift);
}

/* Four dot products of n int8 values, x with each of w0..w3, added to acc[0..3]: whole
 * vectors unpredicated (a VPST per predicated instruction would double the loop), then the
 * tail predicated. */
static inline void nn_dot_x4(const int8_t *x, const int8_t *w0, const int8_t *w1, const int8_t *w2,
                             const int8_t *w3, int32_t n, int32_t acc[4])
{
    int32_t a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3];
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
    acc[0] = a0, acc[1] = a1, acc[2] = a2, acc[3] = a3;
}

/* Requantized accumulators plus the output offset, clamped to the activation's range. */
static inline int32x4_t nn_output_x4(int32x4_t acc, int32x4_t multiplier, int32x4_t shift, int32_t output_offset,
                                     int32_t act_min, int32_t act_max)
{
    const int32x4_t y = vaddq_n_s32(nn_requantize_x4(acc, multiplier, shift), output_offset);
    return vminq_s32(vmaxq_s32(y, vdupq_n_s32(act_min)), vdupq_n_s32(act_max));
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

#endif /* NN_MVE_H */
