/*
 * DEPTHWISE_CONV_2D, int8, with LoongArch LSX: with one filter per channel (depth multiplier
 * 1, as in MobileNets and DS-CNNs) and whole blocks of eight channels, a tap of a block is
 * eight inputs and eight weights widened to int16 (VSLLWIL.H.B) and multiplied into the
 * int32 sums of its even and odd channels (VMADDWEV.W.H / VMADDWOD.W.H): the reference's
 * int32 sums. A tap in the padding multiplies the input zero point, which takes back that
 * tap's share of the input offset folded into the bias. The sums are requantized one channel
 * at a time (nn_requantize). The portable kernel's loops (depthwise_conv2d_impl.h) run it
 * for each whole block; other depth multipliers and the last channels, the portable steps.
 */
#include <lsxintrin.h>

#include "nn_kernels.h"
#include "nn_requantize.h"
#include "nn_window.h"

/* Eight int8 values at p as eight int16 lanes (an 8-byte load: no read past the block). */
static inline __m128i widen8(const int8_t *p)
{
    return __lsx_vsllwil_h_b(__lsx_vldrepl_d(p, 0), 0);
}

/* Channels [c, c + 8) of one output pixel. */
static inline void whole_block(const nn_conv_params *p, const int8_t *image, const int8_t *filter,
                               const int32_t *bias, int8_t *pixel, const nn_window *win, int32_t c)
{
    const __m128i zero_point = __lsx_vreplgr2vr_h(-p->input_offset);
    const nn_shape4 in = p->input, fs = p->filter;
    const int32_t channels = p->output.c;
    __m128i even = __lsx_vldi(0), odd = even; /* channels c, c + 2, ... and c + 1, c + 3, ... */
    const int8_t *w = filter + c;
    for (int32_t fy = 0; fy < fs.h; ++fy) {
        const int inside_row = fy >= win->rows.first && fy < win->rows.end;
        const int32_t at = ((win->iy0 + p->dilation_h * fy) * in.w + win->ix0) * channels + c; /* tap 0 */
        for (int32_t fx = 0; fx < fs.w; ++fx, w += channels) {
            const int inside = inside_row && fx >= win->cols.first && fx < win->cols.end;
            const __m128i xv = inside ? widen8(image + at + p->dilation_w * fx * channels) : zero_point;
            const __m128i wv = widen8(w);
            even = __lsx_vmaddwev_w_h(even, xv, wv);
            odd = __lsx_vmaddwod_w_h(odd, xv, wv);
        }
    }
    int32_t acc[8];
    __lsx_vst(__lsx_vilvl_w(odd, even), acc, 0);
    __lsx_vst(__lsx_vilvh_w(odd, even), acc, 16);
    /* Copies: the int8 stores below may alias *p, which would reload it every time. */
    const int32_t *multiplier = p->multiplier + c, *shift = p->shift + c;
    const int32_t offset = p->output_offset, lo = p->act_min, hi = p->act_max;
    for (int32_t j = 0; j < 8; ++j) {
        const int32_t sum = acc[j] + (bias ? bias[c + j] : 0);
        pixel[c + j] = (int8_t)nn_clamp(nn_requantize(sum, multiplier[j], shift[j]) + offset, lo, hi);
    }
}

#define NN_DEPTHWISE_CONV2D nn_depthwise_conv2d_s8
#define NN_T int8_t
#define NN_ACC int32_t
#define NN_REQUANTIZE_ACC nn_requantize
#define NN_DW_WHOLE_BLOCK whole_block
#include "depthwise_conv2d_impl.h"
