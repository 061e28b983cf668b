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

/* A requantization's multiplier and its shift split in two, the left one plus `left` more (ADD's
 * common shift): the multiplier and the left shift scalars for the vector-by-scalar VQRDMULH
 * and VSHL, the right shift a vector. So ADD's three scales and its clamp fit MVE's eight
 * vector registers, and their scalars the general-purpose ones. */
typedef struct {
    int32_t multiplier, left;
    int32x4_t right;
} scale;

static inline scale scale_of(int32_t multiplier, int32_t shift, int32_t left)
{
    const scale s = {multiplier, left + (shift > 0 ? shift : 0), vdupq_n_s32(shift > 0 ? 0 : shift)};
    return s;
}

/* nn_requantize_split_x4 with a scale. */
static inline int32x4_t rescale_x4(int32x4_t x, const scale *s)
{
    const int32x4_t y = vqrdmulhq_n_s32(vshlq_r_s32(x, s->left), s->multiplier);
    const int32x4_t fixup = vshrq_n_s32(vandq_s32(y, s->right), 31); /* -1: negative and shifted */
    return vrshlq_s32(vqaddq_s32(y, fixup), s->right);
}

/* Four elements of ADD, from its inputs' four lanes. */
static inline int32x4_t add_x4(int32x4_t x1, int32x4_t x2, int32_t offset1, int32_t offset2, const scale *s1,
                               const scale *s2, const scale *s, int32_t offset, int32x4_t lo, int32x4_t hi)
{
    const int32x4_t sum = vaddq_s32(rescale_x4(vaddq_n_s32(x1, offset1), s1), rescale_x4(vaddq_n_s32(x2, offset2), s2));
    const int32x4_t y = vaddq_n_s32(rescale_x4(sum, s), offset);
    return vminq_s32(vmaxq_s32(y, lo), hi);
}

/* ADD of n contiguous elements of each input: whole vectors unpredicated, then the tail. */
static void add_row(const nn_add_params *p, const int8_t *x1, const int8_t *x2, int8_t *output, int32_t n)
{
    /* Copies: the int8 stores below may alias *p, which would reload it every time. */
    const scale s1 = scale_of(p->input1_multiplier, p->input1_shift, p->left_shift);
    const scale s2 = scale_of(p->input2_multiplier, p->input2_shift, p->left_shift);
    const scale s = scale_of(p->output_multiplier, p->output_shift, 0);
    const int32_t offset1 = p->input1_offset, offset2 = p->input2_offset, offset = p->output_offset;
    const int32x4_t lo = vdupq_n_s32(p->act_min), hi = vdupq_n_s32(p->act_max);
    int32_t i = 0;
    for (; i + 4 <= n; i += 4) {
        vstrbq_s32(output + i, add_x4(vldrbq_s32(x1 + i), vldrbq_s32(x2 + i), offset1, offset2, &s1, &s2, &s, offset,
                                      lo, hi));
    }
    if (i < n) {
        const mve_pred16_t lanes = vctp32q((uint32_t)(n - i));
        vstrbq_p_s32(output + i,
                     add_x4(vldrbq_z_s32(x1 + i, lanes), vldrbq_z_s32(x2 + i, lanes), offset1, offset2, &s1, &s2, &s,
                            offset, lo, hi),
                     lanes);
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
