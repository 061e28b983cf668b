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

/* A requantization's multiplier and its shift split in two (nn_requantize_split_x4). */
typedef struct {
    int32x4_t multiplier, left, right;
} scale_x4;

static inline scale_x4 scale_of(int32_t multiplier, int32_t shift)
{
    const scale_x4 s = {vdupq_n_s32(multiplier), vdupq_n_s32(shift > 0 ? shift : 0),
                        vdupq_n_s32(shift > 0 ? 0 : shift)};
    return s;
}

/* One input's four lanes, offset, shifted left and rescaled to the common scale. */
static inline int32x4_t rescale_x4(int32x4_t x, int32_t offset, int32x4_t left_shift, scale_x4 s)
{
    return nn_requantize_split_x4(vshlq_s32(vaddq_n_s32(x, offset), left_shift), s.multiplier, s.left, s.right);
}

/* ADD of n contiguous elements of each input. */
static void add_row(const nn_add_params *p, const int8_t *x1, const int8_t *x2, int8_t *output, int32_t n)
{
    /* Copies: the int8 stores below may alias *p, which would reload it every time. */
    const int32x4_t left_shift = vdupq_n_s32(p->left_shift);
    const scale_x4 s1 = scale_of(p->input1_multiplier, p->input1_shift);
    const scale_x4 s2 = scale_of(p->input2_multiplier, p->input2_shift);
    const scale_x4 s = scale_of(p->output_multiplier, p->output_shift);
    const int32_t offset1 = p->input1_offset, offset2 = p->input2_offset;
    const int32_t offset = p->output_offset, lo = p->act_min, hi = p->act_max;
    for (int32_t i = 0; i < n; i += 4) {
        const mve_pred16_t lanes = vctp32q((uint32_t)(n - i));
        const int32x4_t a = rescale_x4(vldrbq_z_s32(x1 + i, lanes), offset1, left_shift, s1);
        const int32x4_t c = rescale_x4(vldrbq_z_s32(x2 + i, lanes), offset2, left_shift, s2);
        const int32x4_t sum = nn_requantize_split_x4(vaddq_s32(a, c), s.multiplier, s.left, s.right);
        vstrbq_p_s32(output + i, nn_clamp_x4(sum, offset, lo, hi), lanes);
    }
}

void nn_add_s8(const nn_add_params *p, const int8_t *input1, const int8_t *input2, int8_t *output)
{
    const nn_broadcast *b = &p->broadcast;
    if (b->stride1[3] != 1 || b->stride2[3] != 1) {
        nn_add_s8_portable(p, input1, input2, output);
        return;
    }
    const int32_t n = b->shape[3];
    if (b->stride1[2] == n && b->stride2[2] == n && b->stride1[1] == n * b->shape[2] &&
        b->stride2[1] == n * b->shape[2] && b->stride1[0] == n * b->shape[2] * b->shape[1] &&
        b->stride2[0] == n * b->shape[2] * b->shape[1]) { /* both inputs whole: one row */
        add_row(p, input1, input2, output, n * b->shape[2] * b->shape[1] * b->shape[0]);
        return;
    }
    for (int32_t i0 = 0; i0 < b->shape[0]; ++i0) {
        for (int32_t i1 = 0; i1 < b->shape[1]; ++i1) {
            for (int32_t i2 = 0; i2 < b->shape[2]; ++i2) {
                add_row(p, input1 + i0 * b->stride1[0] + i1 * b->stride1[1] + i2 * b->stride1[2],
                        input2 + i0 * b->stride2[0] + i1 * b->stride2[1] + i2 * b->stride2[2], output, n);
                output += n;
            }
        }
    }
}
