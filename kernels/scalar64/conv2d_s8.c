/*
 * CONV_2D, int8, for 64-bit cores without SIMD (the MilkV Duo's C906): without groups and with
 * filters of at most NN_SCALAR64_DEPTH values, the receptive fields of four pixels at a time
 * copied to patches (the portable kernel's segments), then two products per 64-bit multiply,
 * four pixels by four outputs per load (nn_scalar64_rows_x4). Other convolutions run the
 * portable kernel.
 */
#include "nn_kernels.h"
#include "nn_requantize.h"
#include "nn_scalar64.h"

#define NN_CONV2D nn_conv2d_s8_portable /* the reference kernel: the fallback, and its segments */
#include "../conv2d_s8.c"

void nn_conv2d_s8(const nn_conv_params *p, const int8_t *input, const int8_t *filter, const int32_t *bias,
                  int8_t *output)
{
    const nn_shape4 in = p->input, fs = p->filter, out = p->output;
    const int32_t row = fs.w * fs.c, n = fs.h * row, pixels = out.h * out.w;
    if (fs.c != in.c || n > NN_SCALAR64_DEPTH) {
        nn_conv2d_s8_portable(p, input, filter, bias, output);
        return;
    }
    const nn_scalar64_requant q = {p->multiplier, p->shift, 1, p->output_offset, p->act_min, p->act_max};
    int8_t patches[4][NN_SCALAR64_DEPTH];
    const int8_t *const x[4] = {patches[0], patches[1], patches[2], patches[3]};
    for (int32_t b = 0; b < out.n; ++b) {
        const int8_t *image = input + b * in.h * in.w * in.c;
        int8_t *pixel = output + b * pixels * out.c;
        for (int32_t first = 0; first < pixels; first += 4, pixel += 4 * out.c) {
            const int32_t rows = pixels - first < 4 ? pixels - first : 4;
            for (int32_t k = 0; k < rows; ++k) {
                const int32_t iy0 = (first + k) / out.w * p->stride_h - p->pad_h;
                const int32_t ix0 = (first + k) % out.w * p->stride_w - p->pad_w;
                const nn_taps cols = nn_taps_inside(ix0, p->dilation_w, fs.w, in.w);
                nn_conv2d_s8_portable_fill_patch(p, image, 0, iy0, ix0, cols, p->dilation_w == 1, patches[k]);
            }
            nn_scalar64_rows_x4(x, rows, filter, n, out.c, bias, &q, pixel, out.c);
        }
    }
}
