/*
 * CONV_2D, int8, with Helium (MVE): four output channels of a pixel at a time, each a dot
 * product of VMLADAVA (16 int8 products added into int32 per instruction, exactly the
 * reference's sum; tails predicated), one input load for four weight rows.
 *
 * Filters of up to PATCH_BYTES: the pixel's receptive field is first copied into one
 * contiguous patch (im2col), taps in the padding holding the input zero point, so the
 * bias's folded input offset needs no correction and the whole filter is one dot product,
 * however few its input channels. Larger filters: along a filter row the taps inside the
 * image are one contiguous run of input (NHWC) and of weights, a dot product each; taps in
 * the padding take back their share (the zero point times the sum of their weights).
 * Grouped and x-dilated convolutions run the reference loops.
 */
#include <stddef.h>

#include "nn_kernels.h"
#include "nn_mve.h"
#include "nn_requantize.h"
#include "nn_window.h"

#define NN_CONV2D nn_conv2d_s8_portable /* its reference loops: grouped and x-dilated convolutions */
#define NN_T int8_t
#define NN_ACC int32_t
#define NN_REQUANTIZE_ACC nn_requantize
#include "conv2d_impl.h"

static inline int32_t sum_s8(const int8_t *w, int32_t n)
{
    int32_t sum = 0;
    for (int32_t d = 0; d < n; d += 16) {
        const mve_pred16_t lanes = vctp8q((uint32_t)(n - d));
        sum = vaddvaq_p_s8(sum, vldrbq_z_s8(w + d, lanes), lanes);
    }
    return sum;
}

#define PATCH_BYTES 1024 /* on the stack */

/* Copy n bytes, or fill them with `value` when src is NULL. */
static inline void copy_or_fill(int8_t *dst, const int8_t *src, int32_t n, int8_t value)
{
    for (int32_t d = 0; d < n; d += 16) {
        const mve_pred16_t lanes = vctp8q((uint32_t)(n - d));
        vstrbq_p_s8(dst + d, src ? vldrbq_z_s8(src + d, lanes) : vdupq_n_s8(value), lanes);
    }
}

/* Four dot products of n bytes from `offset` of each of w[0..3], with x, added to acc[0..3]. */
static inline void dot_x4(const int8_t *x, const int8_t *const w[4], int32_t offset, int32_t n, int32_t acc[4])
{
    nn_dot_x4(x, w[0] + offset, w[1] + offset, w[2] + offset, w[3] + offset, n, acc);
}

/* Adds the sums of n weights from `offset` of each of w[0..3] to pad[0..3]. */
static inline void sums_x4(const int8_t *const w[4], int32_t offset, int32_t n, int32_t pad[4])
{
    for (int32_t k = 0; k < 4; ++k) {
        pad[k] += sum_s8(w[k] + offset, n);
    }
}

void nn_conv2d_s8(const nn_conv_params *p, const int8_t *input, const int8_t *filter,
                  const int32_t *bias, int8_t *output)
{
    const nn_shape4 in = p->input, fs = p->filter, out = p->output;
    if (in.c != fs.c || p->dilation_w != 1) {
        nn_conv2d_s8_portable_reference(p, input, filter, bias, output);
        return;
    }
    const int32_t depth = in.c, row = fs.w * depth, filter_size = fs.h * row;
    const int use_patch = filter_size <= PATCH_BYTES;
    const int8_t zero_point = (int8_t)-p->input_offset;
    int8_t patch[PATCH_BYTES];
    for (int32_t b = 0; b < out.n; ++b) {
        for (int32_t oy = 0; oy < out.h; ++oy) {
            const int32_t iy0 = oy * p->stride_h - p->pad_h;
            for (int32_t ox = 0; ox < out.w; ++ox) {
                const int32_t ix0 = ox * p->stride_w - p->pad_w;
                /* Filter columns [fx0, fx1) see the image; the others, the padding. */
                const nn_taps cols = nn_taps_inside(ix0, 1, fs.w, in.w);
                const int32_t fx0 = cols.first, fx1 = cols.end;
                const int32_t run = (fx1 - fx0) * depth;
                const int8_t *pixel_in = input + ((b * in.h) * in.w + ix0 + fx0) * depth;
                int8_t *pixel_out = output + ((b * out.h + oy) * out.w + ox) * out.c;
                for (int32_t fy = 0; use_patch && fy < fs.h; ++fy) {
                    const int32_t iy = iy0 + p->dilation_h * fy;
                    int8_t *dst = patch + fy * row;
                    if (iy < 0 || iy >= in.h) {
                        copy_or_fill(dst, NULL, row, zero_point);
                        continue;
                    }
                    copy_or_fill(dst, NULL, fx0 * depth, zero_point);
                    copy_or_fill(dst + fx0 * depth, pixel_in + iy * in.w * depth, run, 0);
                    copy_or_fill(dst + fx1 * depth, NULL, (fs.w - fx1) * depth, zero_point);
                }
                for (int32_t oc = 0; oc < out.c; oc += 4) {
                    const int32_t rows = out.c - oc < 4 ? out.c - oc : 4;
                    /* Missing rows of the last group read row oc again: no load past the weights. */
                    const int8_t *w0 = filter + oc * filter_size;
                    const int8_t *const w[4] = {w0, rows > 1 ? w0 + filter_size : w0,
                                                rows > 2 ? w0 + 2 * filter_size : w0,
                                                rows > 3 ? w0 + 3 * filter_size : w0};
                    int32_t acc[4] = {0, 0, 0, 0}, pad[4] = {0, 0, 0, 0}; /* pad: weights of padding taps */
                    if (use_patch) {
                        dot_x4(patch, w, 0, filter_size, acc);
                    }
                    for (int32_t fy = 0; !use_patch && fy < fs.h; ++fy) {
                        const int32_t iy = iy0 + p->dilation_h * fy, r = fy * row;
                        if (iy < 0 || iy >= in.h) {
                            sums_x4(w, r, row, pad);
                            continue;
                        }
                        dot_x4(pixel_in + iy * in.w * depth, w, r + fx0 * depth, run, acc);
                        if (run != row) { /* columns in the padding, left and right */
                            sums_x4(w, r, fx0 * depth, pad);
                            sums_x4(w, r + fx1 * depth, (fs.w - fx1) * depth, pad);
                        }
                    }
                    const mve_pred16_t lanes = vctp32q((uint32_t)rows);
                    int32x4_t sum = vmlaq_n_s32(vldrwq_s32(acc), vldrwq_s32(pad), -p->input_offset);
                    if (bias) {
                        sum = vaddq_s32(sum, vldrwq_z_s32(bias + oc, lanes));
                    }
                    nn_store_requantized_x4(pixel_out + oc, sum, p->multiplier + oc, p->shift + oc, 1,
                                            p->output_offset, p->act_min, p->act_max, lanes);
                }
            }
        }
    }
}
