/*
 * AVERAGE_POOL_2D and MAX_POOL_2D, int8, with Helium (MVE): MAX_POOL_2D takes 16 channels of
 * an output position at a time, VMAX over the window's taps (the last channels predicated),
 * clamped to the activation's range and stored. AVERAGE_POOL_2D is the portable kernel's.
 */
#include "nn_mve.h"
#include "nn_window.h"

#define NN_MAX_POOL nn_max_pool_s8_portable /* the reference kernels, MAX_POOL_2D renamed: unused */
#include "../pooling_s8.c"

void nn_max_pool_s8(const nn_pool_params *p, const int8_t *input, int8_t *output)
{
    const nn_shape4 in = p->input, out = p->output;
    const int8x16_t lowest = vdupq_n_s8(INT8_MIN);
    const int8x16_t act_min = vdupq_n_s8((int8_t)p->act_min), act_max = vdupq_n_s8((int8_t)p->act_max);
    for (int32_t b = 0; b < out.n; ++b) {
        const int8_t *image = input + b * in.h * in.w * in.c;
        for (int32_t oy = 0; oy < out.h; ++oy) {
            const int32_t iy0 = oy * p->stride_h - p->pad_h;
            const nn_taps rows = nn_taps_inside(iy0, 1, p->filter_h, in.h);
            for (int32_t ox = 0; ox < out.w; ++ox) {
                const int32_t ix0 = ox * p->stride_w - p->pad_w;
                const nn_taps cols = nn_taps_inside(ix0, 1, p->filter_w, in.w);
                int8_t *pixel = output + ((b * out.h + oy) * out.w + ox) * out.c;
                for (int32_t c = 0; c < out.c; c += 16) {
                    const mve_pred16_t lanes = vctp8q((uint32_t)(out.c - c));
                    int8x16_t best = lowest;
                    for (int32_t fy = rows.first; fy < rows.end; ++fy) {
                        const int8_t *x = image + ((iy0 + fy) * in.w + ix0) * in.c + c;
                        for (int32_t fx = cols.first; fx < cols.end; ++fx) {
                            best = vmaxq_s8(best, vldrbq_z_s8(x + fx * in.c, lanes));
                        }
                    }
                    vstrbq_p_s8(pixel + c, vminq_s8(vmaxq_s8(best, act_min), act_max), lanes);
                }
            }
        }
    }
}
