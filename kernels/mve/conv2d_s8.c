/*
 * CONV_2D, int8, with Helium (MVE): the portable kernel's loops (conv2d_impl.h: a
 * receptive-field patch per pixel, or the filter rows' segments for filters larger than
 * it) with its four steps in Helium. Four output channels of a pixel at a time are dot
 * products of VMLADAVA (16 int8 products added into int32 per instruction, exactly the
 * reference's sum; tails predicated), one input load for four weight rows; the four sums are
 * requantized as one vector. A receptive field in one run (a patch, or in place) is a fully
 * connected layer's row: nn_mve_rows.
 */
#include <stddef.h>

#include "nn_kernels.h"
#include "nn_mve.h"
#include "nn_requantize.h"

/* Adds the sums of n weights from `offset` of each of w[0..3] to padded[0..3]. */
static inline void sums4(const int8_t *const w[4], int32_t offset, int32_t n, int32_t padded[4])
{
    for (int32_t k = 0; k < 4; ++k) {
        int32_t sum = 0;
        for (int32_t d = 0; d < n; d += 16) {
            const mve_pred16_t lanes = vctp8q((uint32_t)(n - d));
            sum = vaddvaq_p_s8(sum, vldrbq_z_s8(w[k] + offset + d, lanes), lanes);
        }
        padded[k] += sum;
    }
}

/* Copy n bytes, or fill them with the zero point when src is NULL. */
static inline void fill(int8_t *dst, const int8_t *src, int32_t n, int8_t zero_point)
{
    for (int32_t d = 0; d < n; d += 16) {
        const mve_pred16_t lanes = vctp8q((uint32_t)(n - d));
        vstrbq_p_s8(dst + d, src ? vldrbq_z_s8(src + d, lanes) : vdupq_n_s8(zero_point), lanes);
    }
}

/* Output channels oc..oc + rows - 1 of a pixel, requantized as one vector. */
static inline void store4(const nn_conv_params *p, int8_t *pixel, int32_t oc, int32_t rows, const int32_t acc[4],
                          const int32_t padded[4], const int32_t *bias)
{
    const mve_pred16_t lanes = vctp32q((uint32_t)rows);
    int32x4_t sum = vmlaq_n_s32(vldrwq_s32(acc), vldrwq_s32(padded), -p->input_offset);
    if (bias) {
        sum = vaddq_s32(sum, vldrwq_z_s32(bias + oc, lanes));
    }
    nn_store_requantized_x4(pixel + oc, sum, p->multiplier + oc, p->shift + oc, 1, p->output_offset, p->act_min,
                            p->act_max, lanes);
}

/* Output channels [oc, end) of a pixel whose receptive field is one run of n elements. */
static inline void channels(const nn_conv_params *p, const int8_t *field, const int8_t *filter, int32_t n,
                            int32_t oc, int32_t end, const int32_t *bias, int8_t *pixel)
{
    const nn_mve_requant q = {p->multiplier + oc, p->shift + oc, 1, p->output_offset, p->act_min, p->act_max};
    nn_mve_rows(field, filter + oc * n, n, end - oc, bias ? bias + oc : NULL, &q, pixel + oc);
}

#define NN_CONV2D nn_conv2d_s8
#define NN_T int8_t
#define NN_ACC int32_t
#define NN_REQUANTIZE_ACC nn_requantize
#define NN_CONV_DOT4 nn_dot_x4
#define NN_CONV_SUMS4 sums4
#define NN_CONV_FILL fill
#define NN_CONV_STORE4 store4
#define NN_CONV_CHANNELS channels
#include "conv2d_impl.h"
