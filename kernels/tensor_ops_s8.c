/*
 * int8 tensor operators: MEAN (reference_ops::QuantizedMeanOrSum), CONCATENATION,
 * PAD/PADV2, STRIDED_SLICE and TRANSPOSE.
 *
 * The code generator describes each operator's data movement as a strided view
 * (nn_view, with adjacent axes merged where they are contiguous), so one loop
 * nest serves every rank, permutation, slice and padding.
 */
#include <string.h>

#include "nn_kernels.h"
#include "nn_requantize.h"

/* Moves `pos` to the start of the view's next innermost row; returns 0 after the last row. */
static int next_row(const nn_view *v, int32_t index[NN_MAX_DIMS], int32_t *pos)
{
    for (int32_t d = v->rank - 2; d >= 0; --d) {
        *pos += v->stride[d];
        if (++index[d] < v->shape[d]) {
            return 1;
        }
        *pos -= v->stride[d] * v->shape[d];
        index[d] = 0;
    }
    return 0;
}

void nn_gather_s8(const nn_view *v, const int8_t *input, int8_t *output)
{
    const int32_t n = v->shape[v->rank - 1], step = v->stride[v->rank - 1];
    int32_t index[NN_MAX_DIMS] = {0};
    int32_t pos = v->offset;
    do {
        if (step == 1) {
            memcpy(output, input + pos, (size_t)n);
        } else {
            for (int32_t i = 0; i < n; ++i) {
                output[i] = input[pos + i * step];
            }
        }
        output += n;
    } while (next_row(v, index, &pos));
}

void nn_pad_s8(const nn_pad_params *p, const int8_t *input, int8_t *output)
{
    const nn_view *v = &p->output;
    const int32_t n = v->shape[v->rank - 1], step = v->stride[v->rank - 1];
    int32_t index[NN_MAX_DIMS] = {0};
    int32_t pos = v->offset;
    memset(output, (int8_t)p->pad_value, (size_t)p->output_size);
    do {
        for (int32_t i = 0; i < n; ++i) {
            output[pos + i * step] = input[i];
        }
        input += n;
    } while (next_row(v, index, &pos));
}

void nn_concat_s8(const nn_concat_params *p, const int8_t *const *inputs, int8_t *output)
{
    for (int32_t o = 0; o < p->outer; ++o) {
        for (int32_t i = 0; i < p->inputs; ++i) {
            memcpy(output, inputs[i] + o * p->copy_size[i], (size_t)p->copy_size[i]);
            output += p->copy_size[i];
        }
    }
}

void nn_mean_s8(const nn_mean_params *p, const int8_t *input, int8_t *output)
{
    /* The view's innermost axis is a reduced one, so a row never spans two outputs. */
    const nn_view *v = &p->input;
    const int32_t n = v->shape[v->rank - 1], step = v->stride[v->rank - 1];
    int32_t index[NN_MAX_DIMS] = {0};
    int32_t pos = v->offset;
    int32_t sum = 0, summed = 0;
    do {
        for (int32_t i = 0; i < n; ++i) {
            sum += input[pos + i * step];
        }
        summed += n;
        if (summed == p->count) {
            const int32_t out = nn_requantize(sum - p->input_sum_offset, p->multiplier, p->shift) + p->output_offset;
            *output++ = (int8_t)nn_clamp(out, INT8_MIN, INT8_MAX);
            sum = 0;
            summed = 0;
        }
    } while (next_row(v, index, &pos));
}
