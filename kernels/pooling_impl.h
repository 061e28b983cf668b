/*
 * AVERAGE_POOL_2D and MAX_POOL_2D: integer_ops::AveragePool / MaxPool, written once for
 * int8 and int16 and instantiated by pooling_s8.c and pooling_s16.c, which define
 *   NN_AVG_POOL, NN_MAX_POOL  the kernels' names
 *   NN_T, NN_T_MIN            the element type and its minimum
 *
 * Channels innermost: per output position, blocks of NN_POOL_BLOCK channels combine the
 * window's taps one after the other (a tap's channels are contiguous in NHWC: a loop of a
 * constant trip count, which a compiler vectorizes); channels past the last whole block go
 * one at a time (one vectorized copy of each loop keeps the code small). Padding is
 * skipped, not zero: the window is clipped to the input.
 */
#include "nn_window.h"

#define NN_POOL_JOIN2(a, b) a##_##b
#define NN_POOL_JOIN(a, b) NN_POOL_JOIN2(a, b)
#define NN_POOL_HELPER(name) NN_POOL_JOIN(NN_MAX_POOL, name)
#define NN_POOL_BLOCK 8

/* The window of an output position, clipped to the input. */
static inline nn_window NN_POOL_HELPER(window_at)(const nn_pool_params *p, int32_t oy, int32_t ox)
{
    nn_window win;
    win.iy0 = oy * p->stride_h - p->pad_h;
    win.ix0 = ox * p->stride_w - p->pad_w;
    win.rows = nn_taps_inside(win.iy0, 1, p->filter_h, p->input.h);
    win.cols = nn_taps_inside(win.ix0, 1, p->filter_w, p->input.w);
    return win;
}

/* The input of tap (fy, fx) of the window, from channel c. */
static inline const NN_T *NN_POOL_HELPER(tap)(const nn_pool_params *p, const NN_T *image,
                                              const nn_window *win, int32_t fy, int32_t fx,
                                              int32_t c)
{
    return image + ((win->iy0 + fy) * p->input.w + win->ix0 + fx) * p->input.c + c;
}

/* Channels [c, c + n) of one output position; inlined with n a constant: NN_POOL_BLOCK
 * or 1. */
static inline __attribute__((always_inline)) void NN_POOL_HELPER(avg_block)(
    const nn_pool_params *p, const NN_T *image, const nn_window *win, NN_T *pixel, int32_t c,
    int32_t n)
{
    int32_t acc[NN_POOL_BLOCK];
    for (int32_t j = 0; j < n; ++j) {
        acc[j] = 0;
    }
    for (int32_t fy = win->rows.first; fy < win->rows.end; ++fy) {
        for (int32_t fx = win->cols.first; fx < win->cols.end; ++fx) {
            const NN_T *restrict x = NN_POOL_HELPER(tap)(p, image, win, fy, fx, c);
            for (int32_t j = 0; j < n; ++j) {
                acc[j] += x[j];
            }
        }
    }
    const int32_t count = (win->rows.end - win->rows.first) * (win->cols.end - win->cols.first);
    for (int32_t j = 0; j < n; ++j) {
        int32_t a = acc[j];
        /* Round half away from zero; an empty window cannot occur with valid shapes. */
        if (count > 0) {
            a = a > 0 ? (a + count / 2) / count : (a - count / 2) / count;
        }
        pixel[c + j] = (NN_T)nn_clamp(a, p->act_min, p->act_max);
    }
}

static inline __attribute__((always_inline)) void NN_POOL_HELPER(max_block)(
    const nn_pool_params *p, const NN_T *image, const nn_window *win, NN_T *pixel, int32_t c,
    int32_t n)
{
    NN_T best[NN_POOL_BLOCK];
    for (int32_t j = 0; j < n; ++j) {
        best[j] = NN_T_MIN;
    }
    for (int32_t fy = win->rows.first; fy < win->rows.end; ++fy) {
        for (int32_t fx = win->cols.first; fx < win->cols.end; ++fx) {
            const NN_T *restrict x = NN_POOL_HELPER(tap)(p, image, win, fy, fx, c);
            for (int32_t j = 0; j < n; ++j) {
                best[j] = x[j] > best[j] ? x[j] : best[j];
            }
        }
    }
    for (int32_t j = 0; j < n; ++j) {
        pixel[c + j] = (NN_T)nn_clamp(best[j], p->act_min, p->act_max);
    }
}

/* Every output position and channel block of a pool; avg: which of the two (one copy of the
 * loops for both, for size). */
static void NN_POOL_HELPER(pool)(const nn_pool_params *p, const NN_T *input,
                                                                      NN_T *output, int avg)
{
    const nn_shape4 in = p->input, out = p->output;
    for (int32_t b = 0; b < out.n; ++b) {
        const NN_T *image = input + b * in.h * in.w * in.c;
        for (int32_t oy = 0; oy < out.h; ++oy) {
            for (int32_t ox = 0; ox < out.w; ++ox) {
                const nn_window win = NN_POOL_HELPER(window_at)(p, oy, ox);
                NN_T *pixel = output + ((b * out.h + oy) * out.w + ox) * out.c;
                int32_t c = 0;
                for (; c + NN_POOL_BLOCK <= out.c; c += NN_POOL_BLOCK) {
                    if (avg) {
                        NN_POOL_HELPER(avg_block)(p, image, &win, pixel, c, NN_POOL_BLOCK);
                    } else {
                        NN_POOL_HELPER(max_block)(p, image, &win, pixel, c, NN_POOL_BLOCK);
                    }
                }
                for (; c < out.c; ++c) {
                    if (avg) {
                        NN_POOL_HELPER(avg_block)(p, image, &win, pixel, c, 1);
                    } else {
                        NN_POOL_HELPER(max_block)(p, image, &win, pixel, c, 1);
                    }
                }
            }
        }
    }
}

void NN_AVG_POOL(const nn_pool_params *p, const NN_T *input, NN_T *output)
{
    NN_POOL_HELPER(pool)(p, input, output, 1);
}

void NN_MAX_POOL(const nn_pool_params *p, const NN_T *input, NN_T *output)
{
    NN_POOL_HELPER(pool)(p, input, output, 0);
}

#undef NN_POOL_BLOCK
#undef NN_POOL_HELPER
