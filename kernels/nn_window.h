/*
 * Where a filter window meets the image: the taps of a convolution or pooling window that
 * read inside the input, computed once per output position so the loops over the taps need
 * no bounds checks.
 */
#ifndef NN_WINDOW_H
#define NN_WINDOW_H

#include <stdint.h>

/* Taps [first, end) of a window along one axis read the input. */
typedef struct {
    int32_t first, end;
} nn_taps;

/* The window starts at input index `start` (negative: in the padding) and has `taps` taps
 * `dilation` apart, on an axis of `size`: tap t reads start + dilation * t. */
static inline nn_taps nn_taps_inside(int32_t start, int32_t dilation, int32_t taps, int32_t size)
{
    nn_taps t;
    if (start >= 0 && start + dilation * (taps - 1) < size) { /* all inside: no divisions */
        t.first = 0;
        t.end = taps;
        return t;
    }
    const int32_t first = start < 0 ? (-start + dilation - 1) / dilation : 0;
    const int32_t end = size - start <= 0 ? 0 : (size - start + dilation - 1) / dilation;
    t.first = first < taps ? first : taps;
    t.end = end < t.first ? t.first : (end < taps ? end : taps);
    return t;
}

/* The output positions [first, end) of an axis whose whole window is inside the input: output
 * o starts at o * stride - pad (pad >= 0) and has `taps` taps `dilation` apart. */
static inline nn_taps nn_outputs_inside(int32_t stride, int32_t pad, int32_t dilation, int32_t taps, int32_t size,
                                        int32_t outputs)
{
    const int32_t last = size - 1 - dilation * (taps - 1) + pad; /* the last start, plus pad */
    nn_taps o;
    o.end = last < 0 ? 0 : last / stride + 1;
    o.end = o.end < outputs ? o.end : outputs;
    o.first = (pad + stride - 1) / stride;
    o.first = o.first < o.end ? o.first : o.end;
    return o;
}

/* The window of an output position: from input position (iy0, ix0), filter rows
 * [rows.first, rows.end) and columns [cols.first, cols.end) read the input; the others, the
 * padding. */
typedef struct {
    int32_t iy0, ix0;
    nn_taps rows, cols;
} nn_window;

#endif /* NN_WINDOW_H */
