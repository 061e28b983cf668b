/*
 * DEPTHWISE_CONV_2D written over its own input (TinyEngine's in-place depthwise, by rows): the
 * board's nn_depthwise_conv2d_s8 / _s16 runs one output row at a time on a window of the input
 * rows that row reads, copied to `window` (the op's arena scratch: filter-height rows), so that
 * output row oy may overwrite input rows no later output row reads from `input` (`output` is the
 * same memory; the build
 * checks this for the op's shape, conv.py). The output needs no memory of its own: the
 * input's and output's largest at once become one buffer. Depth multiplier 1 only (the
 * output channel c of pixel p then sits where the input's channel c of some pixel did).
 */
#include <string.h>

#include "nn_kernels.h"

/* Defines `name`, running `kernel` in place, for element type T and bias type B. */
#define NN_DW_IN_PLACE(name, kernel, T, B)                                                                  \
    void name(const nn_conv_params *p, const T *input, const int8_t *filter, const B *bias, T *output,     \
              T *window)                                                                                    \
    {                                                                                                       \
        const size_t row = (size_t)p->input.w * p->input.c * sizeof(T);                                    \
        const size_t out_row = (size_t)p->output.w * p->output.c;                                           \
        const int32_t reach = (p->filter.h - 1) * p->dilation_h + 1; /* input rows an output row reads */  \
        nn_conv_params one = *p;                                                                            \
        one.output.h = 1;                                                                                   \
        int32_t held = 0, held_end = 0; /* window holds input rows [held, held_end) */                     \
        for (int32_t oy = 0; oy < p->output.h; ++oy) {                                                      \
            const int32_t top = oy * p->stride_h - p->pad_h;                                                \
            const int32_t first = top > 0 ? top : 0;                                                        \
            const int32_t end = top + reach < p->input.h ? top + reach : p->input.h;                        \
            int32_t kept = 0;                                                                               \
            if (first >= held && first < held_end) {                                                        \
                kept = held_end - first;                                                                    \
                memmove(window, (char *)window + (size_t)(first - held) * row, (size_t)kept * row);        \
            }                                                                                               \
            if (end > first + kept) {                                                                       \
                memcpy((char *)window + (size_t)kept * row, (const char *)input + (size_t)(first + kept) * row, \
                       (size_t)(end - first - kept) * row);                                                 \
            }                                                                                               \
            held = first;                                                                                   \
            held_end = end > first ? end : first;                                                           \
            one.input.h = held_end - held;                                                                  \
            one.pad_h = first - top;                                                                        \
            kernel(&one, window, filter, bias, output + (size_t)oy * out_row);                                \
        }                                                                                                   \
    }

NN_DW_IN_PLACE(nn_depthwise_conv2d_s8_in_place, nn_depthwise_conv2d_s8, int8_t, int32_t)
NN_DW_IN_PLACE(nn_depthwise_conv2d_s16_in_place, nn_depthwise_conv2d_s16, int16_t, int64_t)
