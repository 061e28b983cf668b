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
    const int32_t first = start < 0 ? (-start + dilation - 1) / dilation : 0;
    const int32_t end = size - start <= 0 ? 0 : (size - start + dilation - 1) / dilation;
    nn_taps t;
    t.first = first < taps ? first : taps;
    t.end = end < t.first ? t.first : (end < taps ? end : taps);
    return t;
}

/* The window of an output position: from input position (iy0, ix0), filter rows
 * [rows.first, rows.end) and columns [cols.first, cols.end) read the input; the others, the
 * padding. */
typedef struct {
    int32_t iy0, ix0;
    nn_taps rows, cols;
} nn_window;

#endif /* NN_WINDOW_H */
