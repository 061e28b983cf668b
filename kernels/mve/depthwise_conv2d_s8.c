/*
 * DEPTHWISE_CONV_2D, int8, with Helium (MVE): with one filter per channel (depth multiplier
 * 1, as in MobileNets and DS-CNNs), eight channels of an output pixel at a time. VLDRB.S16
 * widens eight inputs and eight weights of a tap; VMULLB and VMULLT multiply the even and
 * the odd channels into int32 (MVE has no integer vector-by-vector multiply-accumulate), so
 * the sums are the reference's int32 sums, kept as even and odd channels and stored back in
 * place by a scatter. The taps inside the image are a rectangle computed once per pixel; a
 * tap in the padding takes back its share of the input offset folded into the bias (input
 * zero point times its weights). Other depth multipliers run the portable kernel.
 */
#include "nn_kernels.h"
#include "nn_mve.h"
#include "nn_requantize.h"
#include "nn_window.h"

#define NN_DEPTHWISE_CONV2D nn_depthwise_conv2d_s8_portable
#define NN_T int8_t
#define NN_ACC int32_t
#define NN_REQUANTIZE_ACC nn_requantize
#include "depthwise_conv2d_impl.h"

/* Requantize the even and odd channels of an eight-channel block and store them. */
static inline void store_block(const nn_conv_params *p, int8_t *out, int32_t c, int32_t left, int32x4_t even,
                               int32x4_t odd)
{
    const uint32x4_t stride2 = vmulq_n_u32(vidupq_n_u32(0, 1), 2); /* 0, 2, 4, 6 */
    const mve_pred16_t even_lanes = vctp32q((uint32_t)((left + 1) / 2)), odd_lanes = vctp32q((uint32_t)(left / 2));
    const int32x4_t m_even = vldrwq_gather_shifted_offset_z_s32(p->multiplier + c, stride2, even_lanes);
    const int32x4_t s_even = vldrwq_gather_shifted_offset_z_s32(p->shift + c, stride2, even_lanes);
    const int32x4_t m_odd = vldrwq_gather_shifted_offset_z_s32(p->multiplier + c + 1, stride2, odd_lanes);
    const int32x4_t s_odd = vldrwq_gather_shifted_offset_z_s32(p->shift + c + 1, stride2, odd_lanes);
    const int32_t lo = p->act_min, hi = p->act_max, offset = p->output_offset;
    vstrbq_scatter_offset_p_s32(out + c, stride2, nn_output_x4(even, m_even, s_even, offset, lo, hi), even_lanes);
    vstrbq_scatter_offset_p_s32(out + c + 1, stride2, nn_output_x4(odd, m_odd, s_odd, offset, lo, hi), odd_lanes);
}

/* Eight channels (or the `left` last ones) of one output pixel. Inlined with `full` a
 * constant: whole blocks load unpredicated (a predicated load needs a VPST of its own). */
static inline __attribute__((always_inline)) void block(const nn_conv_params *p, const int8_t *image,
                                                        const int8_t *filter, const int32_t *bias, int8_t *pixel,
                                                        const nn_window *win, int border, int32_t c,
                                                        int32_t left, int full)
{
    const nn_shape4 in = p->input, fs = p->filter;
    const int32_t channels = p->output.c;
    const uint32x4_t stride2 = vmulq_n_u32(vidupq_n_u32(0, 1), 2);
    const mve_pred16_t lanes = vctp16q((uint32_t)left);
    int32x4_t even = vdupq_n_s32(0), odd = even;
    if (bias) {
        even = vldrwq_gather_shifted_offset_z_s32(bias + c, stride2, vctp32q((uint32_t)((left + 1) / 2)));
        odd = vldrwq_gather_shifted_offset_z_s32(bias + c + 1, stride2, vctp32q((uint32_t)(left / 2)));
    }
    for (int32_t fy = win->rows.first; fy < win->rows.end; ++fy) {
        const int8_t *x = image + ((win->iy0 + p->dilation_h * fy) * in.w + win->ix0) * channels + c;
        const int8_t *w = filter + fy * fs.w * channels + c;
#define TAP(xp, wp)                                                              \
    do {                                                                         \
        const int16x8_t xv = full ? vldrbq_s16(xp) : vldrbq_z_s16(xp, lanes);    \
        const int16x8_t wv = full ? vldrbq_s16(wp) : vldrbq_z_s16(wp, lanes);    \
        even = vaddq_s32(even, vmullbq_int_s16(xv, wv));                         \
        odd = vaddq_s32(odd, vmulltq_int_s16(xv, wv));                           \
    } while (0)
        if (win->cols.end - win->cols.first == 3 && p->dilation_w == 1) { /* a whole row of a 3-wide filter, unrolled */
            const int8_t *xp = x + win->cols.first * channels, *wp = w + win->cols.first * channels;
            TAP(xp, wp);
            TAP(xp + channels, wp + channels);
            TAP(xp + 2 * channels, wp + 2 * channels);
            continue;
        }
        for (int32_t fx = win->cols.first; fx < win->cols.end; ++fx) {
            TAP(x + p->dilation_w * fx * channels, w + fx * channels);
        }
#undef TAP
    }
    if (border) { /* the taps in the padding: zero point times their weights */
        const int16x8_t zp = vdupq_n_s16((int16_t)-p->input_offset);
        for (int32_t fy = 0; fy < fs.h; ++fy) {
            for (int32_t fx = 0; fx < fs.w; ++fx) {
                if (fy >= win->rows.first && fy < win->rows.end && fx >= win->cols.first && fx < win->cols.end) {
                    continue;
                }
                const int16x8_t wv = vldrbq_z_s16(filter + (fy * fs.w + fx) * channels + c, lanes);
                even = vaddq_s32(even, vmullbq_int_s16(zp, wv));
                odd = vaddq_s32(odd, vmulltq_int_s16(zp, wv));
            }
        }
    }
    store_block(p, pixel, c, left, even, odd);
}

void nn_depthwise_conv2d_s8(const nn_conv_params *p, const int8_t *input, const int8_t *filter,
                            const int32_t *bias, int8_t *output)
{
    if (p->depth_multiplier != 1) {
        nn_depthwise_conv2d_s8_portable(p, input, filter, bias, output);
        return;
    }
    const nn_shape4 in = p->input, fs = p->filter, out = p->output;
    const int32_t channels = out.c;
    for (int32_t b = 0; b < out.n; ++b) {
        const int8_t *image = input + b * in.h * in.w * channels;
        for (int32_t oy = 0; oy < out.h; ++oy) {
            nn_window win;
            win.iy0 = oy * p->stride_h - p->pad_h;
            win.rows = nn_taps_inside(win.iy0, p->dilation_h, fs.h, in.h);
            for (int32_t ox = 0; ox < out.w; ++ox) {
                win.ix0 = ox * p->stride_w - p->pad_w;
                win.cols = nn_taps_inside(win.ix0, p->dilation_w, fs.w, in.w);
                const int border = win.rows.first > 0 || win.rows.end < fs.h || win.cols.first > 0 ||
                                   win.cols.end < fs.w;
                int8_t *pixel = output + ((b * out.h + oy) * out.w + ox) * channels;
                int32_t c = 0;
                for (; c + 8 <= channels; c += 8) {
                    block(p, image, filter, bias, pixel, &win, border, c, 8, 1);
                }
                if (c < channels) {
                    block(p, image, filter, bias, pixel, &win, border, c, channels - c, 0);
                }
            }
        }
    }
}
