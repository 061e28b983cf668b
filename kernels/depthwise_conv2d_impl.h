/*
 * DEPTHWISE_CONV_2D, per-channel: integer_ops::DepthwiseConvPerChannel, written once for
 * int8 and 16x8 and instantiated by depthwise_conv2d_s8.c and depthwise_conv2d_s16.c,
 * which define
 *   NN_DEPTHWISE_CONV2D  the kernel's name
 *   NN_T                 the activation type
 *   NN_ACC               the accumulator and bias type
 *   NN_REQUANTIZE_ACC    MultiplyByQuantizedMultiplier for an NN_ACC
 * and, for an instruction set (kernels/lsx/depthwise_conv2d_s8.c), may define its own
 *   NN_DW_WHOLE_BLOCK(p, image, filter, bias, pixel, win, c)
 * for the NN_DW_BLOCK channels from c of a pixel with depth multiplier 1.
 *
 * Channels innermost: per output pixel, blocks of NN_DW_BLOCK channels accumulate tap after
 * tap (inputs and weights of a tap are contiguous in NHWC: a loop of a constant trip count,
 * which a compiler vectorizes); channels past the last whole block go one at a time (one
 * vectorized copy of the loops keeps the code small).
 * The taps inside the image are a rectangle computed once per pixel; a tap in the padding
 * takes back its share of the input offset folded into the bias (zero point times its
 * weights).
 */
#include "nn_window.h"

#define NN_DW_JOIN2(a, b) a##_##b
#define NN_DW_JOIN(a, b) NN_DW_JOIN2(a, b)
#define NN_DW_HELPER(name) NN_DW_JOIN(NN_DEPTHWISE_CONV2D, name)
#define NN_DW_BLOCK 8
/* The block's loops unrolled at every optimization level (-Os too): its accumulators then live
 * in registers on cores without SIMD, not on the stack. */
#define NN_DW_UNROLL _Pragma("GCC unroll 8")

/* Output channels [c, c + n) of one pixel, inlined with n a constant: NN_DW_BLOCK or 1. */
static inline __attribute__((always_inline)) void NN_DW_HELPER(block)(
    const nn_conv_params *p, const NN_T *image, const int8_t *filter, const NN_ACC *bias, NN_T *pixel,
    const nn_window *win, int32_t c, int32_t n)
{
    const nn_shape4 in = p->input, fs = p->filter;
    const int32_t channels = p->output.c, multiplier = p->depth_multiplier;
    NN_ACC acc[NN_DW_BLOCK];
    NN_DW_UNROLL
    for (int32_t j = 0; j < n; ++j) {
        acc[j] = bias ? bias[c + j] : 0;
    }
    const int32_t tap_step = p->dilation_w * in.c;
    for (int32_t fy = 0; fy < fs.h; ++fy) {
        const int inside_row = fy >= win->rows.first && fy < win->rows.end;
        /* Where the row's first tap would be (in the padding: never read there). */
        const int32_t row_at = ((win->iy0 + p->dilation_h * fy) * in.w + win->ix0) * in.c;
        for (int32_t fx = 0; fx < fs.w; ++fx) {
            const int8_t *restrict w = filter + (fy * fs.w + fx) * channels + c;
            if (!inside_row || fx < win->cols.first || fx >= win->cols.end) {
                const NN_ACC zero_point = -p->input_offset;
                NN_DW_UNROLL
    for (int32_t j = 0; j < n; ++j) {
                    acc[j] += w[j] * zero_point;
                }
                continue;
            }
            const NN_T *x = image + row_at + fx * tap_step;
            if (multiplier == 1) {
                const NN_T *restrict xc = x + c;
                NN_DW_UNROLL
    for (int32_t j = 0; j < n; ++j) {
                    acc[j] += w[j] * xc[j];
                }
            } else {
                NN_DW_UNROLL
    for (int32_t j = 0; j < n; ++j) {
                    acc[j] += w[j] * x[(c + j) / multiplier];
                }
            }
        }
    }
    NN_DW_UNROLL
    for (int32_t j = 0; j < n; ++j) {
        const int32_t y = NN_REQUANTIZE_ACC(acc[j], p->multiplier[c + j], p->shift[c + j]) + p->output_offset;
        pixel[c + j] = (NN_T)nn_clamp(y, p->act_min, p->act_max);
    }
}

void NN_DEPTHWISE_CONV2D(const nn_conv_params *p, const NN_T *input, const int8_t *filter,
                         const NN_ACC *bias, NN_T *output)
{
    const nn_shape4 in = p->input, fs = p->filter, out = p->output;
    for (int32_t b = 0; b < out.n; ++b) {
        const NN_T *image = input + b * in.h * in.w * in.c;
        for (int32_t oy = 0; oy < out.h; ++oy) {
            nn_window win;
            win.iy0 = oy * p->stride_h - p->pad_h;
            win.rows = nn_taps_inside(win.iy0, p->dilation_h, fs.h, in.h);
            for (int32_t ox = 0; ox < out.w; ++ox) {
                win.ix0 = ox * p->stride_w - p->pad_w;
                win.cols = nn_taps_inside(win.ix0, p->dilation_w, fs.w, in.w);
                NN_T *pixel = output + ((b * out.h + oy) * out.w + ox) * out.c;
                int32_t c = 0;
                for (; c + NN_DW_BLOCK <= out.c; c += NN_DW_BLOCK) {
#ifdef NN_DW_WHOLE_BLOCK
                    if (p->depth_multiplier == 1) {
                        NN_DW_WHOLE_BLOCK(p, image, filter, bias, pixel, &win, c);
                        continue;
                    }
#endif
                    NN_DW_HELPER(block)(p, image, filter, bias, pixel, &win, c, NN_DW_BLOCK);
                }
                for (; c < out.c; ++c) {
                    NN_DW_HELPER(block)(p, image, filter, bias, pixel, &win, c, 1);
                }
            }
        }
    }
}

#undef NN_DW_BLOCK
#undef NN_DW_UNROLL
#undef NN_DW_WHOLE_BLOCK
#undef NN_DW_HELPER
