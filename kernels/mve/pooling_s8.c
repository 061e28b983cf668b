/*
 * AVERAGE_POOL_2D and MAX_POOL_2D, int8, with Helium (MVE): MAX_POOL_2D takes 16 channels of
 * an output position at a time, VMAX over the window's taps (the last channels predicated),
 * clamped to the activation's range and stored. AVERAGE_POOL_2D sums eight channels at a time
 * in int32 lanes (VLDRB.S32 widens), then rounds and divides each as the reference does.
 */
#include "nn_mve.h"
#include "nn_window.h"

#define NN_AVG_POOL nn_avg_pool_s8_portable /* the reference kernels renamed: unused, dropped by the linker */
#define NN_MAX_POOL nn_max_pool_s8_portable
#include "../pooling_s8.c"

/* MAX_POOL_2D's 16 channels from c of one output position: its window's taps rows x cols, tap
 * (fy, fx) at image + at + fy * row_step + fx * input.c (`at` may be in the padding). */
static inline void max_channels(const nn_pool_params *p, const int8_t *image, int32_t at, nn_taps rows, nn_taps cols,
                                int8_t *pixel, int32_t c)
{
    const int32_t channels = p->output.c, row_step = p->input.w * p->input.c;
    const mve_pred16_t lanes = vctp8q((uint32_t)(channels - c));
    int8x16_t best = vdupq_n_s8(INT8_MIN);
    for (int32_t fy = rows.first; fy < rows.end; ++fy) {
        for (int32_t fx = cols.first; fx < cols.end; ++fx) {
            best = vmaxq_s8(best, vldrbq_z_s8(image + at + fy * row_step + fx * p->input.c, lanes));
        }
    }
    best = vminq_s8(vmaxq_s8(best, vdupq_n_s8((int8_t)p->act_min)), vdupq_n_s8((int8_t)p->act_max));
    vstrbq_p_s8(pixel + c, best, lanes);
}

/* AVERAGE_POOL_2D's eight channels from c of one output position, as max_channels. */
static inline void avg_channels(const nn_pool_params *p, const int8_t *image, int32_t at, nn_taps rows, nn_taps cols,
                                int8_t *pixel, int32_t c)
{
    const int32_t channels = p->output.c, row_step = p->input.w * p->input.c;
    const int32_t count = (rows.end - rows.first) * (cols.end - cols.first);
    const mve_pred16_t low = vctp32q((uint32_t)(channels - c));
    const mve_pred16_t high = vctp32q((uint32_t)(channels - c > 4 ? channels - c - 4 : 0));
    int32x4_t sum_low = vdupq_n_s32(0), sum_high = sum_low;
    for (int32_t fy = rows.first; fy < rows.end; ++fy) {
        for (int32_t fx = cols.first; fx < cols.end; ++fx) {
            const int8_t *tap = image + at + fy * row_step + fx * p->input.c;
            sum_low = vaddq_s32(sum_low, vldrbq_z_s32(tap, low));
            sum_high = vaddq_s32(sum_high, vldrbq_z_s32(tap + 4, high));
        }
    }
    int32_t sums[8];
    vst1q_s32(sums, sum_low);
    vst1q_s32(sums + 4, sum_high);
    for (int32_t j = 0; j < 8 && c + j < channels; ++j) {
        int32_t a = sums[j];
        /* Round half away from zero; an empty window cannot occur with valid shapes. */
        if (count > 0) {
            a = a > 0 ? (a + count / 2) / count : (a - count / 2) / count;
        }
        pixel[c + j] = (int8_t)nn_clamp(a, p->act_min, p->act_max);
    }
}

/* Every output position of a pool, its channels by blocks; avg: which of the two (inlined with
 * it a constant). */
static inline __attribute__((always_inline)) void pool(const nn_pool_params *p, const int8_t *input,
                                                       int8_t *output, int avg)
{
    const nn_shape4 in = p->input, out = p->output;
    for (int32_t b = 0; b < out.n; ++b) {
        const int8_t *image = input + b * in.h * in.w * in.c;
        for (int32_t oy = 0; oy < out.h; ++oy) {
            const int32_t iy0 = oy * p->stride_h - p->pad_h;
            const nn_taps rows = nn_taps_inside(iy0, 1, p->filter_h, in.h);
            for (int32_t ox = 0; ox < out.w; ++ox) {
                const int32_t ix0 = ox * p->stride_w - p->pad_w;
                const nn_taps cols = nn_taps_inside(ix0, 1, p->filter_w, in.w);
                int8_t *pixel = output + ((b * out.h + oy) * out.w + ox) * out.c;
                for (int32_t c = 0; c < out.c; c += avg ? 8 : 16) {
                    const int32_t at = (iy0 * in.w + ix0) * in.c + c;
                    if (avg) {
                        avg_channels(p, image, at, rows, cols, pixel, c);
                    } else {
                        max_channels(p, image, at, rows, cols, pixel, c);
                    }
                }
            }
        }
    }
}

void nn_max_pool_s8(const nn_pool_params *p, const int8_t *input, int8_t *output)
{
    pool(p, input, output, 0);
}

void nn_avg_pool_s8(const nn_pool_params *p, const int8_t *input, int8_t *output)
{
    pool(p, input, output, 1);
}
