/*
 * CONV_2D, int8, with Helium (MVE). Dot products are VMLADAVA (16 int8 products added into
 * int32 per instruction, exactly the reference's sum; tails predicated), and four pixels
 * share each weight load (nn_mve_rows_x4) where their receptive fields are at hand together:
 * rows of a signal (a filter as wide as the input) read in place, or patches of four pixels
 * (convolutions without groups, filters up to PATCH bytes). The rest (groups, larger filters,
 * a signal's padded rows) runs the portable kernel's loops (conv2d_impl.h) with its steps in
 * Helium: four output channels of a pixel per input load, requantized as one vector.
 */
#include <stddef.h>

#include "nn_window.h"

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

/* n bytes copied from src: whole vectors unpredicated, then the tail. */
static inline void copy_run(int8_t *dst, const int8_t *src, int32_t n)
{
    int32_t d = 0;
    for (; d + 16 <= n; d += 16) {
        vstrbq_s8(dst + d, vldrbq_s8(src + d));
    }
    if (d < n) {
        const mve_pred16_t lanes = vctp8q((uint32_t)(n - d));
        vstrbq_p_s8(dst + d, vldrbq_z_s8(src + d, lanes), lanes);
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

#define NN_CONV2D any_conv2d /* every pixel; nn_conv2d_s8 below runs signals first */
#define NN_T int8_t
#define NN_ACC int32_t
#define NN_REQUANTIZE_ACC nn_requantize
#define NN_CONV_DOT4 nn_dot_x4
#define NN_CONV_SUMS4 sums4
#define NN_CONV_FILL fill
#define NN_CONV_STORE4 store4
#define NN_CONV_CHANNELS channels
#include "conv2d_impl.h"

/* Output rows [first, end) of a convolution over a signal (a filter as wide as the input, from
 * its first column, no dilation, no groups), each row's receptive field inside the input:
 * one run of n input values, `step` values after the previous row's: four rows at a time
 * share each weight load (nn_mve_rows_x4). */
static void signal_rows(const nn_conv_params *p, const int8_t *image, const int8_t *filter, const int32_t *bias,
                        int8_t *output, int32_t first, int32_t end)
{
    const nn_shape4 in = p->input, fs = p->filter, out = p->output;
    const int32_t n = fs.h * fs.w * fs.c, step = p->stride_h * in.w * in.c;
    const nn_mve_requant q = {p->multiplier, p->shift, 1, p->output_offset, p->act_min, p->act_max};
    for (int32_t oy = first; oy < end; oy += 4) {
        const int8_t *x0 = image + (oy * p->stride_h - p->pad_h) * in.w * in.c;
        const int8_t *const x[4] = {x0, x0 + step, x0 + 2 * step, x0 + 3 * step}; /* read: the first `rows` */
        const int32_t rows = end - oy < 4 ? end - oy : 4;
        nn_mve_rows_x4(x, rows, filter, n, out.c, bias, &q, output + oy * out.c, out.c);
    }
}

#define PATCH 1024 /* bytes of a pixel's receptive field, as conv2d_impl.h's patch */

/* Without groups and with filters of at most PATCH values: the receptive fields of four
 * pixels at a time copied to patches (conv2d_impl.h's segments), which then share each
 * weight load (nn_mve_rows_x4). */
static void patch_pixels(const nn_conv_params *p, const int8_t *input, const int8_t *filter, const int32_t *bias,
                         int8_t *output)
{
    const nn_shape4 in = p->input, fs = p->filter, out = p->output;
    const int32_t row = fs.w * fs.c, n = fs.h * row, pixels = out.h * out.w;
    const int contiguous = p->dilation_w == 1;
    const int8_t zero_point = (int8_t)-p->input_offset;
    const mve_pred16_t row_lanes = vctp8q((uint32_t)row);
    const int32_t src_step = p->dilation_h * in.w * in.c;
    const nn_mve_requant q = {p->multiplier, p->shift, 1, p->output_offset, p->act_min, p->act_max};
    int8_t patches[4][PATCH];
    const int8_t *const x[4] = {patches[0], patches[1], patches[2], patches[3]};
    any_conv2d_segment seg;
    for (int32_t b = 0; b < out.n; ++b) {
        const int8_t *image = input + b * in.h * in.w * in.c;
        int8_t *pixel = output + b * pixels * out.c;
        for (int32_t first = 0; first < pixels; first += 4, pixel += 4 * out.c) {
            const int32_t rows = pixels - first < 4 ? pixels - first : 4;
            for (int32_t k = 0; k < rows; ++k) {
                const int32_t iy0 = (first + k) / out.w * p->stride_h - p->pad_h;
                const int32_t ix0 = (first + k) % out.w * p->stride_w - p->pad_w;
                const nn_taps cols = nn_taps_inside(ix0, p->dilation_w, fs.w, in.w);
                const int32_t inside_from = cols.first * in.c, inside_end = cols.end * in.c;
                const int whole_rows = contiguous && inside_from == 0 && inside_end == row;
                const int one_vector = whole_rows && row <= 16;
                const nn_taps rows_inside = nn_taps_inside(iy0, p->dilation_h, fs.h, in.h);
                if (whole_rows && rows_inside.first == 0 && rows_inside.end == fs.h) { /* the window inside */
                    const int8_t *src = image + (iy0 * in.w + ix0) * in.c;
                    for (int32_t fy = 0; fy < fs.h; ++fy, src += src_step) {
                        copy_run(patches[k] + fy * row, src, row);
                    }
                    continue;
                }
                for (int32_t fy = 0; fy < fs.h; ++fy) {
                    const int32_t iy = iy0 + p->dilation_h * fy;
                    int8_t *dst = patches[k] + fy * row;
                    if (one_vector && iy >= 0 && iy < in.h) { /* the row inside, in one vector */
                        vstrbq_p_s8(dst, vldrbq_z_s8(image + (iy * in.w + ix0) * in.c, row_lanes), row_lanes);
                    } else if (contiguous && iy >= 0 && iy < in.h) { /* padding, the run inside, padding */
                        fill(dst, NULL, inside_from, zero_point);
                        copy_run(dst + inside_from, image + (iy * in.w + ix0 + cols.first) * in.c,
                                 inside_end - inside_from);
                        fill(dst + inside_end, NULL, row - inside_end, zero_point);
                    } else {
                        for (int32_t fx = 0; fx < fs.w;) {
                            fx = any_conv2d_segment_at(p, image, 0, iy, ix0, cols, contiguous, fx, &seg);
                            fill(dst + seg.offset, seg.src, seg.n, zero_point);
                        }
                    }
                }
            }
            nn_mve_rows_x4(x, rows, filter, n, out.c, bias, &q, pixel, out.c);
        }
    }
}

/* A 1x1 filter without padding or groups (a strided pointwise convolution): four pixels at a
 * time read in place. */
static void pointwise_pixels(const nn_conv_params *p, const int8_t *input, const int8_t *filter,
                             const int32_t *bias, int8_t *output)
{
    const nn_shape4 in = p->input, out = p->output;
    const int32_t pixels = out.h * out.w;
    const nn_mve_requant q = {p->multiplier, p->shift, 1, p->output_offset, p->act_min, p->act_max};
    for (int32_t b = 0; b < out.n; ++b) {
        const int8_t *image = input + b * in.h * in.w * in.c;
        int8_t *pixel = output + b * pixels * out.c;
        for (int32_t first = 0; first < pixels; first += 4, pixel += 4 * out.c) {
            const int32_t rows = pixels - first < 4 ? pixels - first : 4;
            const int8_t *x[4];
            for (int32_t k = 0; k < 4; ++k) { /* the missing ones read the first */
                const int32_t at = first + (k < rows ? k : 0);
                x[k] = image + (at / out.w * p->stride_h * in.w + at % out.w * p->stride_w) * in.c;
            }
            nn_mve_rows_x4(x, rows, filter, in.c, out.c, bias, &q, pixel, out.c);
        }
    }
}

void nn_conv2d_s8(const nn_conv_params *p, const int8_t *input, const int8_t *filter, const int32_t *bias,
                  int8_t *output)
{
    const nn_shape4 in = p->input, fs = p->filter, out = p->output;
    const int groups = fs.c != in.c;
    const nn_taps inside = nn_outputs_inside(p->stride_h, p->pad_h, 1, fs.h, in.h, out.h);
    const int signal = !groups && fs.w == in.w && p->pad_w == 0 && p->dilation_h == 1 && p->dilation_w == 1 &&
                       out.n == 1 && inside.end - inside.first >= 4;
    if (signal) {
        signal_rows(p, input, filter, bias, output, inside.first, inside.end);
        /* The rows that read padding, as two convolutions of fewer output rows. */
        nn_conv_params part = *p;
        part.output.h = inside.first;
        any_conv2d(&part, input, filter, bias, output);
        part.output.h = out.h - inside.end;
        part.pad_h = p->pad_h - inside.end * p->stride_h;
        any_conv2d(&part, input, filter, bias, output + inside.end * out.w * out.c);
    } else if (!groups && fs.h == 1 && fs.w == 1 && p->pad_h == 0 && p->pad_w == 0) {
        pointwise_pixels(p, input, filter, bias, output);
    } else if (!groups && fs.h * fs.w * fs.c <= PATCH) {
        patch_pixels(p, input, filter, bias, output);
    } else {
        any_conv2d(p, input, filter, bias, output);
    }
}
