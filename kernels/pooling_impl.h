/*
 * AVERAGE_POOL_2D and MAX_POOL_2D: integer_ops::AveragePool / MaxPool, written once for
 * int8 and int16 and instantiated by pooling_s8.c and pooling_s16.c, which define
 *   NN_AVG_POOL, NN_MAX_POOL  the kernels' names
 *   NN_T, NN_T_MIN            the element type and its minimum
 */
static inline int32_t max_i32(int32_t a, int32_t b) { return a > b ? a : b; }
static inline int32_t min_i32(int32_t a, int32_t b) { return a < b ? a : b; }

/* The window of an output position, clipped to the input (padding is skipped, not zero). */
typedef struct {
    int32_t iy0, ix0, fy0, fy1, fx0, fx1;
} pool_window;

static pool_window window_at(const nn_pool_params *p, int32_t oy, int32_t ox)
{
    pool_window win;
    win.iy0 = oy * p->stride_h - p->pad_h;
    win.ix0 = ox * p->stride_w - p->pad_w;
    win.fy0 = max_i32(0, -win.iy0);
    win.fy1 = min_i32(p->filter_h, p->input.h - win.iy0);
    win.fx0 = max_i32(0, -win.ix0);
    win.fx1 = min_i32(p->filter_w, p->input.w - win.ix0);
    return win;
}

void NN_AVG_POOL(const nn_pool_params *p, const NN_T *input, NN_T *output)
{
    const nn_shape4 in = p->input, out = p->output;
    for (int32_t b = 0; b < out.n; ++b) {
        for (int32_t oy = 0; oy < out.h; ++oy) {
            for (int32_t ox = 0; ox < out.w; ++ox) {
                const pool_window win = window_at(p, oy, ox);
                for (int32_t c = 0; c < out.c; ++c) {
                    int32_t acc = 0;
                    int32_t count = 0;
                    for (int32_t fy = win.fy0; fy < win.fy1; ++fy) {
                        for (int32_t fx = win.fx0; fx < win.fx1; ++fx) {
                            acc += input[((b * in.h + win.iy0 + fy) * in.w + win.ix0 + fx) * in.c + c];
                            ++count;
                        }
                    }
                    /* Round half away from zero; an empty window cannot occur with valid shapes. */
                    if (count > 0) {
                        acc = acc > 0 ? (acc + count / 2) / count : (acc - count / 2) / count;
                    }
                    output[((b * out.h + oy) * out.w + ox) * out.c + c] =
                        (NN_T)nn_clamp(acc, p->act_min, p->act_max);
                }
            }
        }
    }
}

void NN_MAX_POOL(const nn_pool_params *p, const NN_T *input, NN_T *output)
{
    const nn_shape4 in = p->input, out = p->output;
    for (int32_t b = 0; b < out.n; ++b) {
        for (int32_t oy = 0; oy < out.h; ++oy) {
            for (int32_t ox = 0; ox < out.w; ++ox) {
                const pool_window win = window_at(p, oy, ox);
                for (int32_t c = 0; c < out.c; ++c) {
                    int32_t best = NN_T_MIN;
                    for (int32_t fy = win.fy0; fy < win.fy1; ++fy) {
                        for (int32_t fx = win.fx0; fx < win.fx1; ++fx) {
                            best = max_i32(best, input[((b * in.h + win.iy0 + fy) * in.w + win.ix0 + fx) * in.c + c]);
                        }
                    }
                    output[((b * out.h + oy) * out.w + ox) * out.c + c] =
                        (NN_T)nn_clamp(best, p->act_min, p->act_max);
                }
            }
        }
    }
}
