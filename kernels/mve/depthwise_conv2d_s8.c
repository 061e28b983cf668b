/*
 * DEPTHWISE_CONV_2D, int8, with Helium (MVE): eight output channels at a time, every output
 * pixel of a block of channels before the next block, so the block's bias, multipliers and
 * shifts are loaded once. VLDRB.S16 widens eight inputs and eight weights of a tap; VMULLB
 * and VMULLT multiply the even and the odd channels into int32 (MVE has no integer
 * vector-by-vector multiply-accumulate), so the sums are the reference's int32 sums, kept as
 * even and odd channels and stored back in place by a scatter.
 *
 * A pixel whose window is inside the image, in a whole block with one filter per channel
 * (depth multiplier 1, as in MobileNets and DS-CNNs), loads its taps unpredicated. Any other
 * (the border, the last channels, other depth multipliers) gathers each lane's input channel
 * and reads a tap in the padding as the input zero point, which takes back that tap's share
 * of the input offset folded into the bias.
 */
#include "nn_kernels.h"
#include "nn_mve.h"
#include "nn_window.h"

/* The int32 sums of a block's even and odd channels. */
typedef struct {
    int32x4_t even, odd;
} sums;

static inline sums add_products(sums s, int16x8_t x, int16x8_t w)
{
    s.even = vaddq_s32(s.even, vmullbq_int_s16(x, w));
    s.odd = vaddq_s32(s.odd, vmulltq_int_s16(x, w));
    return s;
}

/* The taps of a pixel anywhere: lane j reads input channel `channel`[j] of each tap inside the
 * image (image: channel 0 of its first pixel), the zero point for a tap in the padding.
 * Inlined with `whole` a constant: a whole block of depth multiplier 1 loads its eight
 * channels unpredicated, without a gather. */
static inline __attribute__((always_inline)) sums taps_anywhere(const nn_conv_params *p, const int8_t *image,
                                                                const int8_t *w, uint16x8_t channel,
                                                                mve_pred16_t lanes, int16x8_t zero_point,
                                                                int32_t iy0, int32_t ix0, sums s, int whole)
{
    const nn_shape4 in = p->input, fs = p->filter;
    const int32_t channels = p->output.c, tap_step = p->dilation_w * in.c;
    const nn_taps rows = nn_taps_inside(iy0, p->dilation_h, fs.h, in.h);
    const nn_taps cols = nn_taps_inside(ix0, p->dilation_w, fs.w, in.w);
    for (int32_t fy = 0; fy < fs.h; ++fy) {
        int32_t fx = 0;
        if (fy >= rows.first && fy < rows.end) {
            for (; fx < cols.first; ++fx, w += channels) {
                s = add_products(s, zero_point, whole ? vldrbq_s16(w) : vldrbq_z_s16(w, lanes));
            }
            const int8_t *x = image + ((iy0 + p->dilation_h * fy) * in.w + ix0 + p->dilation_w * fx) * in.c;
            for (; fx < cols.end; ++fx, w += channels, x += tap_step) {
                const int16x8_t xv = whole ? vldrbq_s16(x) : vldrbq_gather_offset_z_s16(x, channel, lanes);
                s = add_products(s, xv, whole ? vldrbq_s16(w) : vldrbq_z_s16(w, lanes));
            }
        }
        for (; fx < fs.w; ++fx, w += channels) {
            s = add_products(s, zero_point, whole ? vldrbq_s16(w) : vldrbq_z_s16(w, lanes));
        }
    }
    return s;
}

static __attribute__((noinline)) sums border_pixel(const nn_conv_params *p, const int8_t *image, const int8_t *w,
                                                   int16x8_t zero_point, int32_t iy0, int32_t ix0, sums s)
{
    return taps_anywhere(p, image, w, vdupq_n_u16(0), vctp16q(8), zero_point, iy0, ix0, s, 1);
}

static __attribute__((noinline)) sums any_pixel(const nn_conv_params *p, const int8_t *image, const int8_t *w,
                                                uint16x8_t channel, mve_pred16_t lanes, int16x8_t zero_point,
                                                int32_t iy0, int32_t ix0, sums s)
{
    return taps_anywhere(p, image, w, channel, lanes, zero_point, iy0, ix0, s, 0);
}

void nn_depthwise_conv2d_s8(const nn_conv_params *p, const int8_t *input, const int8_t *filter,
                            const int32_t *bias, int8_t *output)
{
    const nn_shape4 in = p->input, fs = p->filter, out = p->output;
    const int32_t channels = out.c, multiplier = p->depth_multiplier;
    const int32_t offset = p->output_offset, lo = p->act_min, hi = p->act_max;
    const int32_t row_step = p->dilation_h * in.w * in.c, tap_step = p->dilation_w * in.c;
    const nn_taps inside_y = nn_outputs_inside(p->stride_h, p->pad_h, p->dilation_h, fs.h, in.h, out.h);
    const nn_taps inside_x = nn_outputs_inside(p->stride_w, p->pad_w, p->dilation_w, fs.w, in.w, out.w);
    const int16x8_t zero_point = vdupq_n_s16((int16_t)-p->input_offset);
    const uint32x4_t stride2 = vmulq_n_u32(vidupq_n_u32(0, 1), 2); /* 0, 2, 4, 6: one parity */
    for (int32_t c = 0; c < channels; c += 8) {
        const int32_t left = channels - c < 8 ? channels - c : 8;
        const int whole = multiplier == 1 && left == 8;
        const mve_pred16_t lanes = vctp16q((uint32_t)left);
        const mve_pred16_t even = vctp32q((uint32_t)((left + 1) / 2)), odd = vctp32q((uint32_t)(left / 2));
        uint16_t channel[8]; /* the input channel of each lane */
        for (int32_t j = 0; j < 8; ++j) {
            channel[j] = (uint16_t)((c + j) / multiplier);
        }
        const uint16x8_t lane_channel = vldrhq_u16(channel);
        const int32x4_t zero = vdupq_n_s32(0);
        const int32x4_t m_even = vldrwq_gather_shifted_offset_z_s32(p->multiplier + c, stride2, even);
        const int32x4_t m_odd = vldrwq_gather_shifted_offset_z_s32(p->multiplier + c + 1, stride2, odd);
        const int32x4_t s_even = vldrwq_gather_shifted_offset_z_s32(p->shift + c, stride2, even);
        const int32x4_t s_odd = vldrwq_gather_shifted_offset_z_s32(p->shift + c + 1, stride2, odd);
        const int32x4_t left_even = vmaxq_s32(s_even, zero), right_even = vminq_s32(s_even, zero);
        const int32x4_t left_odd = vmaxq_s32(s_odd, zero), right_odd = vminq_s32(s_odd, zero);
        sums start = {zero, zero};
        if (bias) {
            start.even = vldrwq_gather_shifted_offset_z_s32(bias + c, stride2, even);
            start.odd = vldrwq_gather_shifted_offset_z_s32(bias + c + 1, stride2, odd);
        }
        int8_t *pixel = output + c;
        for (int32_t b = 0; b < out.n; ++b) {
            const int8_t *image = input + b * in.h * in.w * in.c;
            for (int32_t oy = 0; oy < out.h; ++oy) {
                const int32_t iy0 = oy * p->stride_h - p->pad_h;
                const int inside_row = whole && oy >= inside_y.first && oy < inside_y.end;
                for (int32_t ox = 0; ox < out.w; ++ox, pixel += channels) {
                    const int32_t ix0 = ox * p->stride_w - p->pad_w;
                    sums s = start;
                    if (inside_row && ox >= inside_x.first && ox < inside_x.end) {
                        const int8_t *x = image + (iy0 * in.w + ix0) * in.c + c, *w = filter + c;
                        for (int32_t fy = 0; fy < fs.h; ++fy, x += row_step) {
                            const int8_t *xt = x;
                            for (int32_t fx = 0; fx < fs.w; ++fx, w += channels, xt += tap_step) {
                                s = add_products(s, vldrbq_s16(xt), vldrbq_s16(w));
                                /* The next tap's loads wait for this tap's sums: loaded early, they
                                 * would need more than MVE's eight vector registers. */
                                __asm__("" : "+r"(xt) : "w"(s.even), "w"(s.odd));
                            }
                        }
                    } else if (whole) {
                        s = border_pixel(p, image + c, filter + c, zero_point, iy0, ix0, s);
                    } else {
                        s = any_pixel(p, image, filter + c, lane_channel, lanes, zero_point, iy0, ix0, s);
                    }
                    const int32x4_t y_even = nn_requantize_split_x4(s.even, m_even, left_even, right_even);
                    const int32x4_t y_odd = nn_requantize_split_x4(s.odd, m_odd, left_odd, right_odd);
                    vstrbq_scatter_offset_p_s32(pixel, stride2, nn_clamp_x4(y_even, offset, lo, hi), even);
                    vstrbq_scatter_offset_p_s32(pixel + 1, stride2, nn_clamp_x4(y_odd, offset, lo, hi), odd);
                }
            }
        }
    }
}
