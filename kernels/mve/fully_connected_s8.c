/*
 * FULLY_CONNECTED, int8, with Helium (MVE): four outputs at a time. Each input vector is
 * loaded once for four weight rows (nn_dot_x4v); VMLADAVA adds the 16 products of two int8
 * vectors into a 32-bit accumulator, exactly the reference's int32 sum, and the tail is
 * predicated (VCTP), so any depth works without a scalar loop. The four sums are requantized as one
 * vector. The input offset is in the bias (folded at build time), so the inputs are
 * multiplied as they are. Pointwise convolutions run here too, and CONV_2D's pixels
 * (kernels/mve/conv2d_s8.c) through nn_mve_rows.
 */
#include <stddef.h>

#include "nn_kernels.h"
#include "nn_mve.h"

/* Outputs o..o + 3 (rows of them exist): requantized and stored. Inlined with `full` a
 * constant: four whole outputs need no predicate. */
static inline __attribute__((always_inline)) void four_outputs(const int8_t *x, const int8_t *w, int32_t n,
                                                               int32_t rows, const int32_t *bias,
                                                               const int32_t *multiplier, const int32_t *shift,
                                                               int32_t per_channel, int32_t offset, int32_t lo,
                                                               int32_t hi, int8_t *out, int full)
{
    const int8_t *w1 = w + n, *w2 = w1 + n, *w3 = w2 + n;
    if (!full) { /* missing rows read row 0 again: no load past the weights */
        w1 = rows > 1 ? w1 : w;
        w2 = rows > 2 ? w2 : w;
        w3 = w;
    }
    const mve_pred16_t lanes = vctp32q((uint32_t)rows);
    int32x4_t acc = nn_dot_x4v(x, w, w1, w2, w3, n);
    if (bias) {
        acc = vaddq_s32(acc, full ? vldrwq_s32(bias) : vldrwq_z_s32(bias, lanes));
    }
    int32x4_t m = vdupq_n_s32(*multiplier), s = vdupq_n_s32(*shift);
    if (per_channel) {
        m = full ? vldrwq_s32(multiplier) : vldrwq_z_s32(multiplier, lanes);
        s = full ? vldrwq_s32(shift) : vldrwq_z_s32(shift, lanes);
    }
    const int32x4_t y = nn_output_x4(acc, m, s, offset, lo, hi);
    if (full) {
        vstrbq_s32(out, y);
    } else {
        vstrbq_p_s32(out, y, lanes);
    }
}

void nn_mve_rows(const int8_t *restrict x, const int8_t *restrict w, int32_t n, int32_t count,
                 const int32_t *restrict bias, const nn_mve_requant *q, int8_t *restrict out)
{
    /* Copies: the int8 stores below may alias *q, which would reload it every time. */
    const int32_t *multiplier = q->multiplier, *shift = q->shift;
    const int32_t per_channel = q->per_channel, step = per_channel ? 4 : 0;
    const int32_t offset = q->output_offset, lo = q->act_min, hi = q->act_max;
    for (; count >= 4; count -= 4, w += 4 * n, out += 4, multiplier += step, shift += step) {
        four_outputs(x, w, n, 4, bias, multiplier, shift, per_channel, offset, lo, hi, out, 1);
        bias = bias ? bias + 4 : NULL;
    }
    if (count > 0) {
        four_outputs(x, w, n, count, bias, multiplier, shift, per_channel, offset, lo, hi, out, 0);
    }
}

/* One copy for the FULLY_CONNECTED and CONV_2D kernels (not inlined into the first). */
__attribute__((noinline)) void nn_mve_rows_x4(const int8_t *const x[4], int32_t rows, const int8_t *restrict w,
                                              int32_t n, int32_t count, const int32_t *restrict bias,
                                              const nn_mve_requant *q, int8_t *restrict out, int32_t out_step)
{
    /* Copies: the int8 stores below may alias *q, which would reload it every time. */
    const int32_t *multiplier = q->multiplier, *shift = q->shift;
    const int32_t step = q->per_channel ? 1 : 0;
    const int32_t offset = q->output_offset, lo = q->act_min, hi = q->act_max;
    const int8_t *x0 = x[0], *x1 = rows > 1 ? x[1] : x0, *x2 = rows > 2 ? x[2] : x0, *x3 = rows > 3 ? x[3] : x0;
    const uint32x4_t apart = vmulq_n_u32(vidupq_n_u32(0, 1), (uint32_t)out_step);
    const mve_pred16_t lanes = vctp32q((uint32_t)rows);
    const int32x4_t lo_x4 = vdupq_n_s32(lo), hi_x4 = vdupq_n_s32(hi);
    for (int32_t o = 0; o < count; ++o, w += n, multiplier += step, shift += step) {
        int32x4_t acc = nn_dot_x4v(w, x0, x1, x2, x3, n);
        if (bias) {
            acc = vaddq_n_s32(acc, bias[o]);
        }
        /* nn_requantize_split_x4 with scalar multiplier and shifts (one per output here). */
        const int32_t left = *shift > 0 ? *shift : 0, right = *shift > 0 ? 0 : *shift;
        int32x4_t y = vqrdmulhq_n_s32(vshlq_r_s32(acc, left), *multiplier);
        if (right) {
            y = vqaddq_s32(y, vshrq_n_s32(y, 31)); /* -1: negative and shifted */
        }
        y = vaddq_n_s32(vrshlq_n_s32(y, right), offset);
        vstrbq_scatter_offset_p_s32(out + o, apart, vminq_s32(vmaxq_s32(y, lo_x4), hi_x4), lanes);
    }
}

void nn_fully_connected_s8(const nn_fc_params *p, const int8_t *input, const int8_t *filter,
                           const int32_t *bias, int8_t *output)
{
    const int32_t depth = p->accum_depth, outputs = p->output_depth;
    const nn_mve_requant q = {p->multiplier, p->shift, p->per_channel, p->output_offset, p->act_min, p->act_max};
    int32_t b = 0;
    for (; b + 4 <= p->batches; b += 4) { /* pointwise convolutions: four pixels per weight load */
        const int8_t *const x[4] = {input + b * depth, input + (b + 1) * depth, input + (b + 2) * depth,
                                    input + (b + 3) * depth};
        nn_mve_rows_x4(x, 4, filter, depth, outputs, bias, &q, output + b * outputs, outputs);
    }
    for (; b < p->batches; ++b) {
        nn_mve_rows(input + b * depth, filter, depth, outputs, bias, &q, output + b * outputs);
    }
}
