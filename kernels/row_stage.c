/*
 * Row-streamed stages: a chain of convolutions run one output row at a time (MCUNetV2's
 * patch-based inference, in row bands, with line buffers instead of recomputed halos). Each
 * layer but the first keeps a window of the input rows its next output row reads, filled by
 * the layer before it row by row; the first reads the stage's input where it lies. The
 * intermediate feature maps never exist whole, and no row is computed twice. Every row is the
 * board's own kernel run on a window: input height the window's rows, padding what lies above
 * the image, one output row (the same integers as the whole op: taps outside the window are
 * the image's padding, whose share the kernel takes back from the bias).
 */
#include <string.h>

#include "nn_kernels.h"

typedef struct {
    int32_t held, held_end; /* the window holds input rows [held, held_end) */
} nn_row_state;

/* The layer's output row `oy` into `output`, its input rows produced first where needed. */
static void nn_row_produce(const nn_row_layer *layers, nn_row_state *state, int32_t l, int32_t oy,
                           const void *input, void *output)
{
    const nn_row_layer *layer = &layers[l];
    const int32_t top = oy * layer->stride - layer->pad;
    const int32_t first = top > 0 ? top : 0;
    const int32_t end = top + layer->reach < layer->in_h ? top + layer->reach : layer->in_h;
    const void *rows = (const char *)input + (size_t)first * layer->in_row;
    if (l > 0) {
        nn_row_state *s = &state[l];
        char *window = layer->window;
        int32_t kept = 0;
        if (first >= s->held && first < s->held_end) {
            kept = s->held_end - first;
            memmove(window, window + (size_t)(first - s->held) * layer->in_row, (size_t)kept * layer->in_row);
        }
        for (int32_t r = first + kept; r < end; ++r) {
            nn_row_produce(layers, state, l - 1, r, input, window + (size_t)(r - first) * layer->in_row);
        }
        s->held = first;
        s->held_end = end > first ? end : first;
        rows = window;
    }
    layer->run(layer, rows, end > first ? end - first : 0, first - top, output);
}

void nn_row_stage(const nn_row_layer *layers, int32_t count, int32_t out_h, const void *input, void *output)
{
    nn_row_state state[NN_ROW_STAGE_MAX] = {{0, 0}};
    const nn_row_layer *last = &layers[count - 1];
    for (int32_t oy = 0; oy < out_h; ++oy) {
        nn_row_produce(layers, state, count - 1, oy, input, (char *)output + (size_t)oy * last->out_row);
    }
}

/* One output row of a CONV_2D or DEPTHWISE_CONV_2D `kernel` from `rows` input rows. */
#define NN_ROW_CONV(name, kernel)                                                                   \
    void name(const nn_row_layer *layer, const void *input, int32_t rows, int32_t pad_top, void *output) \
    {                                                                                                     \
        nn_conv_params one = *(const nn_conv_params *)layer->params;                                      \
        one.input.h = rows;                                                                               \
        one.pad_h = pad_top;                                                                              \
        one.output.h = 1;                                                                                 \
        kernel(&one, input, layer->filter, layer->bias, output);                                          \
    }

/* One output row of a pointwise convolution run as FULLY_CONNECTED: the row's pixels. */
#define NN_ROW_POINTWISE(name, kernel)                                                              \
    void name(const nn_row_layer *layer, const void *input, int32_t rows, int32_t pad_top, void *output) \
    {                                                                                                     \
        (void)rows, (void)pad_top; /* one row, unpadded */                                               \
        nn_fc_params one = *(const nn_fc_params *)layer->params;                                          \
        one.batches = layer->row_pixels;                                                                  \
        kernel(&one, input, layer->filter, layer->bias, output);                                          \
    }

NN_ROW_CONV(nn_row_conv2d_s8, nn_conv2d_s8)
NN_ROW_CONV(nn_row_depthwise_conv2d_s8, nn_depthwise_conv2d_s8)
NN_ROW_POINTWISE(nn_row_fully_connected_s8, nn_fully_connected_s8)
NN_ROW_CONV(nn_row_conv2d_s16, nn_conv2d_s16)
NN_ROW_CONV(nn_row_conv2d_s16_acc32, nn_conv2d_s16_acc32)
NN_ROW_CONV(nn_row_depthwise_conv2d_s16, nn_depthwise_conv2d_s16)
NN_ROW_POINTWISE(nn_row_fully_connected_s16, nn_fully_connected_s16)
NN_ROW_POINTWISE(nn_row_fully_connected_s16_acc32, nn_fully_connected_s16_acc32)
