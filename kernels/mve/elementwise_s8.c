/*
 * Binary element-wise operators, int8, with Helium (MVE): ADD on rows where both inputs are
 * contiguous (no broadcast along the row, as in residual connections), four elements at a
 * time: each input rescaled by nn_requantize_x4 (bit-exact with nn_requantize), summed and
 * requantized to the output; the tail predicated. Broadcast rows and the other operators run
 * the portable kernels (elementwise_impl.h).
 */
#include "nn_mve.h"

#define NN_ADD nn_add_s8_portable /* the reference kernels, ADD renamed: its fallback */
#include "../elementwise_s8.c"

/* One input's four lanes, offset, shifted left and rescaled to the common scale. */
static inline int32x4_t rescale_x4(int32x4_t x, int32_t offset, int32x4_t left_shift, int32x4_t multiplier,
                                   int32x4_t shift)
{
    return nn_requantize_x4(vshlq_s32(vaddq_n_s32(x, offset), left_shift), multiplier, shift);
}

void nn_add_s8(const nn_add_params *p, const int8_t *input1, const int8_t *input2, int8_t *output)
{
    const nn_broadcast *b = &p->broadcast;
    if (b->stride1[3] != 1 || b->stride2[3] != 1) {
        nn_add_s8_portable(p, input1, input2, output);
        return;
    }
    const int32x4_t left_shift = vdupq_n_s32(p->left_shift);
    const int32x4_t m1 = vdupq_n_s32(p->input1_multiplier), s1 = vdupq_n_s32(p->input1_shift);
    const int32x4_t m2 = vdupq_n_s32(p->input2_multiplier), s2 = vdupq_n_s32(p->input2_shift);
    const int32x4_t m = vdupq_n_s32(p->output_multiplier), s = vdupq_n_s32(p->output_shift);
    const int32_t n = b->shape[3];
    for (int32_t i0 = 0; i0 < b->shape[0]; ++i0) {
        for (int32_t i1 = 0; i1 < b->shape[1]; ++i1) {
            for (int32_t i2 = 0; i2 < b->shape[2]; ++i2) {
                const int8_t *x1 = input1 + i0 * b->stride1[0] + i1 * b->stride1[1] + i2 * b->stride1[2];
                const int8_t *x2 = input2 + i0 * b->stride2[0] + i1 * b->stride2[1] + i2 * b->stride2[2];
                for (int32_t i = 0; i < n; i += 4) {
                    const mve_pred16_t lanes = vctp32q((uint32_t)(n - i));
                    const int32x4_t a = rescale_x4(vldrbq_z_s32(x1 + i, lanes), p->input1_offset, left_shift, m1, s1);
                    const int32x4_t c = rescale_x4(vldrbq_z_s32(x2 + i, lanes), p->input2_offset, left_shift, m2, s2);
                    const int32x4_t y = nn_output_x4(vaddq_s32(a, c), m, s, p->output_offset, p->act_min, p->act_max);
                    vstrbq_p_s32(output + i, y, lanes);
                }
                output += n;
            }
        }
    }
}
