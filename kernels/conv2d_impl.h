/*
 * CONV_2D, per-channel: integer_ops::ConvPerChannel (grouped conv included), written once
 * for int8 and 16x8 and instantiated by conv2d_s8.c and conv2d_s16.c, which define
 *   NN_CONV2D          the kernel's name
 *   NN_T               the activation type
 *   NN_ACC             the accumulator and bias type
 *   NN_REQUANTIZE_ACC  MultiplyByQuantizedMultiplier for an NN_ACC
 * and, for an instruction set (kernels/mve/conv2d_s8.c, kernels/lsx/conv2d_s8.c), any of its
 * own NN_CONV_DOT4, NN_CONV_SUMS4, NN_CONV_FILL, NN_CONV_STORE4 and NN_CONV_CHANNELS (the
 * portable steps below).
 *
 * Per output pixel (and group), the receptive field is copied into one contiguous patch
 * (im2col; taps in the padding hold the input zero point, so the offset folded into the
 * bias needs no correction), unless it already is one run of the input, then four output
 * channels at a time are dot products with it that share its loads. Filters larger than the patch read the input in place: a filter
 * row is a few segments, each a contiguous run of input (NHWC) and of weights, or taps in
 * the padding, which take back their share (zero point times their weights). Without
 * groups or x dilation the taps of a row inside the image are one segment.
 */
#include <stddef.h>

#include "nn_window.h"

#define NN_CONV_JOIN2(a, b) a##_##b
#define NN_CONV_JOIN(a, b) NN_CONV_JOIN2(a, b)
#define NN_CONV_HELPER(name) NN_CONV_JOIN(NN_CONV2D, name)
#define NN_CONV_PATCH (1024 / (int32_t)sizeof(NN_T)) /* elements, on the stack */

#ifndef NN_CONV_DOT4
#define NN_CONV_DOT4 NN_CONV_HELPER(dot4)
#define NN_DOT4 NN_CONV_DOT4
#include "dot4_impl.h"
#undef NN_DOT4
#endif

#ifndef NN_CONV_SUMS4

/* Adds the sums of n weights from w[k] + offset to padded[k]. */
static __attribute__((noinline)) void NN_CONV_HELPER(sums4)(const int8_t *const w[4], int32_t offset, int32_t n,
                                                           NN_ACC padded[4])
{
    for (int32_t k = 0; k < 4; ++k) {
        padded[k] += nn_sum_s8(w[k] + offset, n);
    }
}
#define NN_CONV_SUMS4 NN_CONV_HELPER(sums4)
#endif

#ifndef NN_CONV_FILL

/* n elements of the patch: copied from src, or the zero point where src is NULL. */
static __attribute__((noinline)) void NN_CONV_HELPER(fill)(NN_T *restrict dst, const NN_T *restrict src, int32_t n,
                                                          NN_T zero_point)
{
    for (int32_t d = 0; d < n; ++d) {
        dst[d] = src ? src[d] : zero_point;
    }
}
#define NN_CONV_FILL NN_CONV_HELPER(fill)
#endif

#ifndef NN_CONV_STORE4

/* Output channels oc..oc + rows - 1 of a pixel from their sums, the padding's share taken
 * back and the bias added. */
static inline void NN_CONV_HELPER(store4)(const nn_conv_params *p, NN_T *pixel, int32_t oc, int32_t rows,
                                          const NN_ACC acc[4], const NN_ACC padded[4], const NN_ACC *bias)
{
    for (int32_t k = 0; k < rows; ++k) {
        const NN_ACC sum = acc[k] - padded[k] * p->input_offset + (bias ? bias[oc + k] : 0);
        const int32_t y = NN_REQUANTIZE_ACC(sum, p->multiplier[oc + k], p->shift[oc + k]) + p->output_offset;
        pixel[oc + k] = (NN_T)nn_clamp(y, p->act_min, p->act_max);
    }
}
#define NN_CONV_STORE4 NN_CONV_HELPER(store4)
#endif

#ifndef NN_CONV_CHANNELS

/* Output channels [oc, end) of a pixel whose receptive field is one run of n elements: a
 * fully connected layer over the field, four channels at a time. */
static __attribute__((noinline)) void NN_CONV_HELPER(channels)(const nn_conv_params *p, const NN_T *restrict field,
                                                              const int8_t *restrict filter, int32_t n,
                                                              int32_t oc, int32_t end,
                                                              const NN_ACC *restrict bias, NN_T *restrict pixel)
{
    /* Copies: the stores to the pixel may alias *p, which would reload it every time. */
    const int32_t *multiplier = p->multiplier, *shift = p->shift;
    const int32_t offset = p->output_offset, lo = p->act_min, hi = p->act_max;
    for (; oc < end; oc += 4) {
        const int32_t rows = end - oc < 4 ? end - oc : 4;
        const int8_t *w0 = filter + oc * n; /* missing rows read row oc again */
        NN_ACC acc[4] = {0, 0, 0, 0};
        NN_CONV_DOT4(field, w0, rows > 1 ? w0 + n : w0, rows > 2 ? w0 + 2 * n : w0, rows > 3 ? w0 + 3 * n : w0, n,
                     acc);
        for (int32_t k = 0; k < rows; ++k) {
            const NN_ACC sum = acc[k] + (bias ? bias[oc + k] : 0);
            pixel[oc + k] = (NN_T)nn_clamp(NN_REQUANTIZE_ACC(sum, multiplier[oc + k], shift[oc + k]) + offset, lo, hi);
        }
    }
}
#define NN_CONV_CHANNELS NN_CONV_HELPER(channels)
#endif

/* A stretch of a filter row: filter elements [offset, offset + n) of the row, which read
 * the input from src, or the padding (src NULL). */
typedef struct {
    int32_t offset, n;
    const NN_T *src;
} NN_CONV_HELPER(segment);

/* The segment of filter row fy from tap fx; returns the tap after it. Row fy reads input row
 * iy; cols: the taps of a row inside the image; contiguous: no groups, no x dilation. */
static inline int32_t NN_CONV_HELPER(segment_at)(const nn_conv_params *p, const NN_T *image, int32_t group,
                                                 int32_t iy, int32_t ix0, nn_taps cols, int contiguous, int32_t fx,
                                                 NN_CONV_HELPER(segment) *seg)
{
    const int32_t depth = p->filter.c, taps = p->filter.w;
    int32_t end = fx + 1;
    seg->src = NULL;
    if (iy < 0 || iy >= p->input.h || fx >= cols.end) {
        end = taps;
    } else if (fx < cols.first) {
        end = cols.first;
    } else {
        end = contiguous ? cols.end : fx + 1;
        seg->src = image + (iy * p->input.w + ix0 + p->dilation_w * fx) * p->input.c + group * depth;
    }
    seg->offset = fx * depth;
    seg->n = (end - fx) * depth;
    return end;
}

/* The receptive field of group `group` of the pixel whose window starts at (iy0, ix0) (cols: its
 * taps inside the image along x), copied to patch: fs.h rows of fs.w * fs.c, the padding as the
 * zero point. */
static inline void NN_CONV_HELPER(fill_patch)(const nn_conv_params *p, const NN_T *image, int32_t group,
                                              int32_t iy0, int32_t ix0, nn_taps cols, int contiguous, NN_T *patch)
{
    const int32_t row = p->filter.w * p->filter.c;
    const NN_T zero_point = (NN_T)-p->input_offset;
    NN_CONV_HELPER(segment) seg;
    for (int32_t fy = 0; fy < p->filter.h; ++fy) {
        const int32_t iy = iy0 + p->dilation_h * fy;
        for (int32_t fx = 0; fx < p->filter.w;) {
            fx = NN_CONV_HELPER(segment_at)(p, image, group, iy, ix0, cols, contiguous, fx, &seg);
            NN_CONV_FILL(patch + fy * row + seg.offset, seg.src, seg.n, zero_point);
        }
    }
}

void NN_CONV2D(const nn_conv_params *p, const NN_T *input, const int8_t *filter, const NN_ACC *bias,
               NN_T *output)
{
    const nn_shape4 in = p->input, fs = p->filter, out = p->output;
    const int32_t groups = in.c / fs.c, per_group = out.c / groups;
    const int contiguous = groups == 1 && p->dilation_w == 1;
    const int32_t row = fs.w * fs.c, filter_size = fs.h * row;
    const int use_patch = filter_size <= NN_CONV_PATCH;
    /* Filters as wide as the image (1-D signals: width 1) read whole input rows: a receptive
     * field inside the image is then one contiguous run of the input, read in place. */
    const int whole_rows = contiguous && fs.w == in.w && p->dilation_h == 1;
    NN_T patch[NN_CONV_PATCH];
    NN_CONV_HELPER(segment) seg;
    for (int32_t b = 0; b < out.n; ++b) {
        const NN_T *image = input + b * in.h * in.w * in.c;
        for (int32_t oy = 0; oy < out.h; ++oy) {
            const int32_t iy0 = oy * p->stride_h - p->pad_h;
            for (int32_t ox = 0; ox < out.w; ++ox) {
                const int32_t ix0 = ox * p->stride_w - p->pad_w;
                const nn_taps cols = nn_taps_inside(ix0, p->dilation_w, fs.w, in.w);
                NN_T *pixel = output + ((b * out.h + oy) * out.w + ox) * out.c;
                const int in_place = whole_rows && ix0 == 0 && iy0 >= 0 && iy0 + fs.h <= in.h;
                const NN_T *field = in_place ? image + iy0 * in.w * in.c : use_patch ? patch : NULL;
                for (int32_t g = 0; g < groups; ++g) {
                    if (field == patch) {
                        NN_CONV_HELPER(fill_patch)(p, image, g, iy0, ix0, cols, contiguous, patch);
                    }
                    if (field) {
                        NN_CONV_CHANNELS(p, field, filter, filter_size, g * per_group, (g + 1) * per_group, bias,
                                         pixel);
                        continue;
                    }
                    for (int32_t oc = g * per_group; oc < (g + 1) * per_group; oc += 4) {
                        const int32_t rows = (g + 1) * per_group - oc < 4 ? (g + 1) * per_group - oc : 4;
                        /* Missing rows of the last four read row oc again: no load past the weights. */
                        const int8_t *w0 = filter + oc * filter_size;
                        const int8_t *const w[4] = {w0, rows > 1 ? w0 + filter_size : w0,
                                                    rows > 2 ? w0 + 2 * filter_size : w0,
                                                    rows > 3 ? w0 + 3 * filter_size : w0};
                        NN_ACC acc[4] = {0, 0, 0, 0}, padded[4] = {0, 0, 0, 0};
                        for (int32_t fy = 0; fy < fs.h; ++fy) {
                            const int32_t iy = iy0 + p->dilation_h * fy;
                            for (int32_t fx = 0; fx < fs.w;) {
                                fx = NN_CONV_HELPER(segment_at)(p, image, g, iy, ix0, cols, contiguous, fx, &seg);
                                const int32_t at = fy * row + seg.offset;
                                if (seg.src) {
                                    NN_CONV_DOT4(seg.src, w[0] + at, w[1] + at, w[2] + at, w[3] + at, seg.n, acc);
                                } else {
                                    NN_CONV_SUMS4(w, at, seg.n, padded);
                                }
                            }
                        }
                        NN_CONV_STORE4(p, pixel, oc, rows, acc, padded, bias);
                    }
                }
            }
        }
    }
}

/* The next instantiation (conv2d_s16.c makes two) defines its own steps. */
#undef NN_CONV_DOT4
#undef NN_CONV_SUMS4
#undef NN_CONV_FILL
#undef NN_CONV_STORE4
#undef NN_CONV_CHANNELS
#undef NN_CONV_PATCH
#undef NN_CONV_HELPER
