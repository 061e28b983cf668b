/*
 * CONV_2D, per-channel: integer_ops::ConvPerChannel (grouped conv included), written once
 * for int8 and 16x8 and instantiated by conv2d_s8.c and conv2d_s16.c, which define
 *   NN_CONV2D          the kernel's name
 *   NN_T               the activation type
 *   NN_ACC             the accumulator and bias type
 *   NN_REQUANTIZE_ACC  MultiplyByQuantizedMultiplier for an NN_ACC
 *
 * One group, no x dilation (nearly every model): per output pixel the receptive field is
 * copied into one contiguous patch (im2col; taps in the padding hold the input zero point,
 * so the offset folded into the bias needs no correction), then four output channels at a
 * time are dot products with it that share its loads, loops a compiler vectorizes. Filters
 * larger than the patch: along a filter row, the taps inside the image are one contiguous
 * run of input (NHWC) and of weights; taps in the padding take back their share (zero
 * point times their weights). Grouped and x-dilated convolutions run the reference loops.
 */
#include <stddef.h>

#include "nn_window.h"

#define NN_CONV_JOIN2(a, b) a##_##b
#define NN_CONV_JOIN(a, b) NN_CONV_JOIN2(a, b)
#define NN_CONV_HELPER(name) NN_CONV_JOIN(NN_CONV2D, name)
#define NN_CONV_PATCH (1024 / (int32_t)sizeof(NN_T)) /* elements, on the stack */

/* The reference loops, for any group count and dilation (also the fallback of kernel variants). */
static void NN_CONV_HELPER(reference)(const nn_conv_params *p, const NN_T *input, const int8_t *filter,
                                const NN_ACC *bias, NN_T *output)
{
    const nn_shape4 in = p->input, fs = p->filter, out = p->output;
    const int32_t groups = in.c / fs.c;
    const int32_t filters_per_group = out.c / groups;

    for (int32_t b = 0; b < out.n; ++b) {
        for (int32_t oy = 0; oy < out.h; ++oy) {
            const int32_t iy0 = oy * p->stride_h - p->pad_h;
            for (int32_t ox = 0; ox < out.w; ++ox) {
                const int32_t ix0 = ox * p->stride_w - p->pad_w;
                for (int32_t oc = 0; oc < out.c; ++oc) {
                    const int32_t group = oc / filters_per_group;
                    NN_ACC acc = 0, padded = 0;  /* padded: the weights of taps in the padding */
                    for (int32_t fy = 0; fy < fs.h; ++fy) {
                        const int32_t iy = iy0 + p->dilation_h * fy;
                        const int8_t *row = filter + (oc * fs.h + fy) * fs.w * fs.c;
                        if (iy < 0 || iy >= in.h) {
                            padded += nn_sum_s8(row, fs.w * fs.c);
                            continue;
                        }
                        for (int32_t fx = 0; fx < fs.w; ++fx) {
                            const int32_t ix = ix0 + p->dilation_w * fx;
                            const int8_t *w = row + fx * fs.c;
                            if (ix < 0 || ix >= in.w) {
                                padded += nn_sum_s8(w, fs.c);
                                continue;
                            }
                            const NN_T *x = input + ((b * in.h + iy) * in.w + ix) * in.c
                                            + group * fs.c;
                            for (int32_t ic = 0; ic < fs.c; ++ic) {
                                acc += w[ic] * x[ic];
                            }
                        }
                    }
                    acc -= padded * p->input_offset;
                    if (bias) {
                        acc += bias[oc];
                    }
                    const int32_t y =
                        NN_REQUANTIZE_ACC(acc, p->multiplier[oc], p->shift[oc]) + p->output_offset;
                    output[((b * out.h + oy) * out.w + ox) * out.c + oc] =
                        (NN_T)nn_clamp(y, p->act_min, p->act_max);
                }
            }
        }
    }
}

/* Four dot products of n values: x with w[k] + offset, added to acc[k]. */
static inline void NN_CONV_HELPER(dot4)(const NN_T *restrict x, const int8_t *const w[4], int32_t offset,
                                        int32_t n, NN_ACC acc[4])
{
    const int8_t *restrict w0 = w[0] + offset, *restrict w1 = w[1] + offset;
    const int8_t *restrict w2 = w[2] + offset, *restrict w3 = w[3] + offset;
    NN_ACC a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3];
    for (int32_t d = 0; d < n; ++d) {
        const NN_T v = x[d];
        a0 += w0[d] * v;
        a1 += w1[d] * v;
        a2 += w2[d] * v;
        a3 += w3[d] * v;
    }
    acc[0] = a0, acc[1] = a1, acc[2] = a2, acc[3] = a3;
}

/* Adds the sums of n weights from w[k] + offset to padded[k]. */
static inline void NN_CONV_HELPER(sums4)(const int8_t *const w[4], int32_t offset, int32_t n, NN_ACC padded[4])
{
    for (int32_t k = 0; k < 4; ++k) {
        padded[k] += nn_sum_s8(w[k] + offset, n);
    }
}

/* n elements of the patch: copied from src, or the zero point where src is NULL. */
static inline void NN_CONV_HELPER(fill)(NN_T *restrict dst, const NN_T *restrict src, int32_t n, NN_T zero_point)
{
    for (int32_t d = 0; d < n; ++d) {
        dst[d] = src ? src[d] : zero_point;
    }
}

void NN_CONV2D(const nn_conv_params *p, const NN_T *input, const int8_t *filter, const NN_ACC *bias,
               NN_T *output)
{
    const nn_shape4 in = p->input, fs = p->filter, out = p->output;
    if (in.c != fs.c || p->dilation_w != 1) {
        NN_CONV_HELPER(reference)(p, input, filter, bias, output);
        return;
    }
    const int32_t depth = in.c, row = fs.w * depth, filter_size = fs.h * row;
    const int use_patch = filter_size <= NN_CONV_PATCH;
    const NN_T zero_point = (NN_T)-p->input_offset;
    NN_T patch[NN_CONV_PATCH];
    for (int32_t b = 0; b < out.n; ++b) {
        for (int32_t oy = 0; oy < out.h; ++oy) {
            const int32_t iy0 = oy * p->stride_h - p->pad_h;
            for (int32_t ox = 0; ox < out.w; ++ox) {
                const int32_t ix0 = ox * p->stride_w - p->pad_w;
                const nn_taps cols = nn_taps_inside(ix0, 1, fs.w, in.w); /* the others: padding */
                const int32_t run = (cols.end - cols.first) * depth;
                const NN_T *first = input + ((b * in.h) * in.w + ix0 + cols.first) * depth;
                NN_T *pixel = output + ((b * out.h + oy) * out.w + ox) * out.c;
                for (int32_t fy = 0; use_patch && fy < fs.h; ++fy) {
                    const int32_t iy = iy0 + p->dilation_h * fy;
                    NN_T *dst = patch + fy * row;
                    if (iy < 0 || iy >= in.h) {
                        NN_CONV_HELPER(fill)(dst, NULL, row, zero_point);
                        continue;
                    }
                    NN_CONV_HELPER(fill)(dst, NULL, cols.first * depth, zero_point);
                    NN_CONV_HELPER(fill)(dst + cols.first * depth, first + iy * in.w * depth, run, 0);
                    NN_CONV_HELPER(fill)(dst + cols.end * depth, NULL, (fs.w - cols.end) * depth, zero_point);
                }
                for (int32_t oc = 0; oc < out.c; oc += 4) {
                    const int32_t rows = out.c - oc < 4 ? out.c - oc : 4;
                    /* Missing rows of the last group read row oc again: no load past the weights. */
                    const int8_t *w0 = filter + oc * filter_size;
                    const int8_t *const w[4] = {w0, rows > 1 ? w0 + filter_size : w0,
                                                rows > 2 ? w0 + 2 * filter_size : w0,
                                                rows > 3 ? w0 + 3 * filter_size : w0};
                    NN_ACC acc[4] = {0, 0, 0, 0}, padded[4] = {0, 0, 0, 0};
                    if (use_patch) {
                        NN_CONV_HELPER(dot4)(patch, w, 0, filter_size, acc);
                    }
                    for (int32_t fy = 0; !use_patch && fy < fs.h; ++fy) {
                        const int32_t iy = iy0 + p->dilation_h * fy, r = fy * row;
                        if (iy < 0 || iy >= in.h) {
                            NN_CONV_HELPER(sums4)(w, r, row, padded);
                            continue;
                        }
                        NN_CONV_HELPER(dot4)(first + iy * in.w * depth, w, r + cols.first * depth, run, acc);
                        if (run != row) { /* columns in the padding, left and right */
                            NN_CONV_HELPER(sums4)(w, r, cols.first * depth, padded);
                            NN_CONV_HELPER(sums4)(w, r + cols.end * depth, (fs.w - cols.end) * depth, padded);
                        }
                    }
                    for (int32_t k = 0; k < rows; ++k) {
                        NN_ACC sum = acc[k] - padded[k] * p->input_offset;
                        if (bias) {
                            sum += bias[oc + k];
                        }
                        const int32_t y = NN_REQUANTIZE_ACC(sum, p->multiplier[oc + k], p->shift[oc + k])
                                          + p->output_offset;
                        pixel[oc + k] = (NN_T)nn_clamp(y, p->act_min, p->act_max);
                    }
                }
            }
        }
    }
}

#undef NN_CONV_PATCH
#undef NN_CONV_HELPER
