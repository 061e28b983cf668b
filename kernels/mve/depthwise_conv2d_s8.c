/*
 * DEPTHWISE_CONV_2D, int8, with Helium (MVE): eight output channels at a time, every output
 * pixel of a block of channels before the next block, so the block's bias, multipliers and
 * shifts are loaded once. VLDRB.S16 widens eight inputs and eight weights of a tap; VMULLB
 * and VMULLT multiply the even and the odd channels into int32 (MVE has no integer
 * vector-by-vector multiply-accumulate), so the sums are the reference's int32 sums, kept as
 * even and odd channels; VQMOVNB and VQMOVNT put them back in order for one store.
 *
 * A whole block with one filter per channel (depth multiplier 1, as in MobileNets and
 * DS-CNNs) loads its taps unpredicated: a pixel whose window is inside the image from the
 * bias with the input offset folded in, a pixel on the border only its taps inside the image,
 * each input plus the offset, from the bias without it. Any other block (the last channels,
 * other depth multipliers) gathers each lane's input channel and reads a tap in the padding
 * as the input zero point, which takes back that tap's share of the offset in the bias.
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

/* A window's rows x cols taps in a whole block: x and w at its first tap, the filter's rows
 * w_row_step apart. `add_offset` (a constant): the input offset is added to each input (a
 * pixel on the border, whose sums start from the bias without it). */
static inline __attribute__((always_inline)) sums whole_taps(const int8_t *x, const int8_t *w, int32_t rows,
                                                             int32_t cols, int32_t row_step, int32_t tap_step,
                                                             int32_t w_row_step, int32_t channels, int add_offset,
                                                             int16_t offset, sums s)
{
    for (int32_t fy = 0; fy < rows; ++fy, x += row_step, w += w_row_step) {
        const int8_t *xt = x, *wt = w;
        for (int32_t fx = 0; fx < cols; ++fx, xt += tap_step, wt += channels) {
            int16x8_t xv = vldrbq_s16(xt);
            if (add_offset) {
                xv = vaddq_n_s16(xv, offset);
            }
            s = add_products(s, xv, vldrbq_s16(wt));
            /* The next tap's loads wait for this tap's sums: loaded early, they would need
             * more than MVE's eight vector registers. */
            __asm__("" : "+r"(xt) : "w"(s.even), "w"(s.odd));
        }
    }
    return s;
}

/* Two pixels side by side inside the image, `pixel_step` apart in the input, in a whole block:
 * each weight is loaded once for both. */
static inline __attribute__((always_inline)) void whole_taps_x2(const int8_t *x, int32_t pixel_step,
                                                                const int8_t *w, int32_t rows, int32_t cols,
                                                                int32_t row_step, int32_t tap_step,
                                                                int32_t w_row_step, int32_t channels, sums *a,
                                                                sums *b)
{
    sums s0 = *a, s1 = *b;
    for (int32_t fy = 0; fy < rows; ++fy, x += row_step, w += w_row_step) {
        const int8_t *xt = x, *wt = w;
        for (int32_t fx = 0; fx < cols; ++fx, xt += tap_step, wt += channels) {
            const int16x8_t wv = vldrbq_s16(wt);
            s0 = add_products(s0, vldrbq_s16(xt), wv);
            s1 = add_products(s1, vldrbq_s16(xt + pixel_step), wv);
            __asm__("" : "+r"(xt) : "w"(s0.even), "w"(s0.odd), "w"(s1.even), "w"(s1.odd));
        }
    }
    *a = s0;
    *b = s1;
}

/* A pixel of any block: lane j reads input channel `channel`[j] of each tap inside the image
 * (image: channel 0 of its first pixel), the zero point for a tap in the padding. */
static __attribute__((noinline)) sums any_pixel(const nn_conv_params *p, const int8_t *image, const int8_t *w,
                                                uint16x8_t channel, mve_pred16_t lanes, int32_t iy0,
                                                int32_t ix0, sums s)
{
    const nn_shape4 in = p->input, fs = p->filter;
    const int32_t channels = p->output.c, tap_step = p->dilation_w * in.c;
    const int16x8_t zero_point = vdupq_n_s16((int16_t)-p->input_offset);
    const nn_taps rows = nn_taps_inside(iy0, p->dilation_h, fs.h, in.h);
    const nn_taps cols = nn_taps_inside(ix0, p->dilation_w, fs.w, in.w);
    for (int32_t fy = 0; fy < fs.h; ++fy) {
        int32_t fx = 0;
        if (fy >= rows.first && fy < rows.end) {
            for (; fx < cols.first; ++fx, w += channels) {
                s = add_products(s, zero_point, vldrbq_z_s16(w, lanes));
            }
            const int8_t *x = image + ((iy0 + p->dilation_h * fy) * in.w + ix0 + p->dilation_w * fx) * in.c;
            for (; fx < cols.end; ++fx, w += channels, x += tap_step) {
                s = add_products(s, vldrbq_gather_offset_z_s16(x, channel, lanes), vldrbq_z_s16(w, lanes));
            }
        }
        for (; fx < fs.w; ++fx, w += channels) {
            s = add_products(s, zero_point, vldrbq_z_s16(w, lanes));
        }
    }
    return s;
}

/* A block's requantization: per-channel multipliers and shifts split into left and right, even
 * and odd channels apart as the sums are. */
typedef struct {
    int32x4_t m_even, m_odd, left_even, left_odd, right_even, right_odd;
} block_requant;

static inline void store_pixel(int8_t *pixel, sums s, const block_requant *q, int32_t output_offset,
                               int16x8_t lo, int16x8_t hi, mve_pred16_t lanes, int whole)
{
    const int32x4_t y_even =
        vaddq_n_s32(nn_requantize_split_x4(s.even, q->m_even, q->left_even, q->right_even), output_offset);
    const int32x4_t y_odd =
        vaddq_n_s32(nn_requantize_split_x4(s.odd, q->m_odd, q->left_odd, q->right_odd), output_offset);
    /* Saturated to int16 first: the clamp to [act_min, act_max] within int8 then gives the same. */
    const int16x8_t y = vqmovntq_s32(vqmovnbq_s32(vreinterpretq_s16_s32(y_even), y_even), y_odd);
    if (whole) {
        vstrbq_s16(pixel, vminq_s16(vmaxq_s16(y, lo), hi));
    } else {
        vstrbq_p_s16(pixel, vminq_s16(vmaxq_s16(y, lo), hi), lanes);
    }
}

void nn_depthwise_conv2d_s8(const nn_conv_params *p, const int8_t *input, const int8_t *filter,
                            const int32_t *bias, int8_t *output)
{
    const nn_shape4 in = p->input, fs = p->filter, out = p->output;
    const int32_t channels = out.c, multiplier = p->depth_multiplier, output_offset = p->output_offset;
    const int32_t row_step = p->dilation_h * in.w * in.c, tap_step = p->dilation_w * in.c;
    const int32_t pixel_step = p->stride_w * in.c, w_row_step = fs.w * channels;
    const int16_t offset = (int16_t)p->input_offset;
    const nn_taps inside_y = nn_outputs_inside(p->stride_h, p->pad_h, p->dilation_h, fs.h, in.h, out.h);
    const nn_taps inside_x = nn_outputs_inside(p->stride_w, p->pad_w, p->dilation_w, fs.w, in.w, out.w);
    const uint32x4_t stride2 = vmulq_n_u32(vidupq_n_u32(0, 1), 2); /* 0, 2, 4, 6: one parity */
    const int16x8_t lo = vdupq_n_s16((int16_t)p->act_min), hi = vdupq_n_s16((int16_t)p->act_max);
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
        const int32x4_t s_even = vldrwq_gather_shifted_offset_z_s32(p->shift + c, stride2, even);
        const int32x4_t s_odd = vldrwq_gather_shifted_offset_z_s32(p->shift + c + 1, stride2, odd);
        const block_requant q = {vldrwq_gather_shifted_offset_z_s32(p->multiplier + c, stride2, even),
                                 vldrwq_gather_shifted_offset_z_s32(p->multiplier + c + 1, stride2, odd),
                                 vmaxq_s32(s_even, zero), vmaxq_s32(s_odd, zero),
                                 vminq_s32(s_even, zero), vminq_s32(s_odd, zero)};
        sums start = {zero, zero}, raw; /* the bias, with and without the input offset folded in */
        if (bias) {
            start.even = vldrwq_gather_shifted_offset_z_s32(bias + c, stride2, even);
            start.odd = vldrwq_gather_shifted_offset_z_s32(bias + c + 1, stride2, odd);
        }
        raw = start;
        if (whole) {
            const int16x8_t minus_offset = vdupq_n_s16((int16_t)-offset);
            for (int32_t t = 0; t < fs.h * fs.w; ++t) {
                raw = add_products(raw, minus_offset, vldrbq_s16(filter + c + t * channels));
            }
        }
        int8_t *pixel = output + c;
        for (int32_t b = 0; b < out.n; ++b) {
            const int8_t *image = input + b * in.h * in.w * in.c;
            for (int32_t oy = 0; oy < out.h; ++oy) {
                const int32_t iy0 = oy * p->stride_h - p->pad_h;
                const nn_taps rows = nn_taps_inside(iy0, p->dilation_h, fs.h, in.h);
                /* The run of pixels whose window is inside the image (none: first = out.w). */
                const int run = whole && oy >= inside_y.first && oy < inside_y.end && inside_x.first < inside_x.end;
                const int32_t first = run ? inside_x.first : out.w;
                for (int32_t ox = 0; ox < out.w;) {
                    if (ox == first) {
                        const int8_t *x = image + (iy0 * in.w + ox * p->stride_w - p->pad_w) * in.c + c;
                        for (; ox + 1 < inside_x.end; ox += 2, pixel += 2 * channels, x += 2 * pixel_step) {
                            sums a = start, b = start;
                            whole_taps_x2(x, pixel_step, filter + c, fs.h, fs.w, row_step, tap_step, w_row_step,
                                          channels, &a, &b);
                            store_pixel(pixel, a, &q, output_offset, lo, hi, lanes, 1);
                            store_pixel(pixel + channels, b, &q, output_offset, lo, hi, lanes, 1);
                        }
                        for (; ox < inside_x.end; ++ox, pixel += channels, x += pixel_step) {
                            const sums s = whole_taps(x, filter + c, fs.h, fs.w, row_step, tap_step, w_row_step,
                                                      channels, 0, 0, start);
                            store_pixel(pixel, s, &q, output_offset, lo, hi, lanes, 1);
                        }
                        continue;
                    }
                    const int32_t ix0 = ox * p->stride_w - p->pad_w;
                    sums s;
                    if (whole) {
                        const nn_taps cols = nn_taps_inside(ix0, p->dilation_w, fs.w, in.w);
                        const int32_t y = iy0 + p->dilation_h * rows.first, x = ix0 + p->dilation_w * cols.first;
                        s = whole_taps(image + (y * in.w + x) * in.c + c,
                                       filter + c + (rows.first * fs.w + cols.first) * channels,
                                       rows.end - rows.first, cols.end - cols.first, row_step, tap_step,
                                       w_row_step, channels, 1, offset, raw);
                    } else {
                        s = any_pixel(p, image, filter + c, lane_channel, lanes, iy0, ix0, start);
                    }
                    store_pixel(pixel, s, &q, output_offset, lo, hi, lanes, whole);
                    ++ox;
                    pixel += channels;
                }
            }
        }
    }
}
