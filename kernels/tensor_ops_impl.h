/*
 * MEAN (reference_ops::QuantizedMeanOrSum), PAD/PADV2, STRIDED_SLICE, TRANSPOSE,
 * CONCATENATION and PACK (NN_CONCAT), SPLIT, SPLIT_V and UNPACK (NN_SPLIT), written once
 * for int8 and int16 and instantiated by tensor_ops_s8.c and tensor_ops_s16.c, which define
 *   NN_GATHER, NN_PAD, NN_MEAN, NN_CONCAT, NN_SPLIT  the kernels' names
 *   NN_T, NN_T_MIN, NN_T_MAX                         the element type and its range
 *
 * The code generator describes each operator's data movement as a strided view
 * (nn_view, with adjacent axes merged where they are contiguous), so one loop
 * nest serves every rank, permutation, slice and padding.
 */
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

void NN_GATHER(const nn_view *v, const NN_T *input, NN_T *output)
{
    const int32_t n = v->shape[v->rank - 1], step = v->stride[v->rank - 1];
    int32_t index[NN_MAX_DIMS] = {0};
    int32_t pos = v->offset;
    do {
        if (step == 1) {
            memcpy(output, input + pos, (size_t)n * sizeof(NN_T));
        } else {
            for (int32_t i = 0; i < n; ++i) {
                output[i] = input[pos + i * step];
            }
        }
        output += n;
    } while (next_row(v, index, &pos));
}

void NN_PAD(const nn_pad_params *p, const NN_T *input, NN_T *output)
{
    const nn_view *v = &p->output;
    const int32_t n = v->shape[v->rank - 1], step = v->stride[v->rank - 1];
    int32_t index[NN_MAX_DIMS] = {0};
    int32_t pos = v->offset;
    for (int32_t i = 0; i < p->output_size; ++i) {
        output[i] = (NN_T)p->pad_value;
    }
    do {
        for (int32_t i = 0; i < n; ++i) {
            output[pos + i * step] = input[i];
        }
        input += n;
    } while (next_row(v, index, &pos));
}

void NN_MEAN(const nn_mean_params *p, const NN_T *input, NN_T *output)
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
            *output++ = (NN_T)nn_clamp(out, NN_T_MIN, NN_T_MAX);
            sum = 0;
            summed = 0;
        }
    } while (next_row(v, index, &pos));
}

void NN_CONCAT(const nn_concat_params *p, const NN_T *const *inputs, NN_T *output)
{
    for (int32_t o = 0; o < p->outer; ++o) {
        for (int32_t i = 0; i < p->inputs; ++i) {
            memcpy(output, inputs[i] + o * p->copy_size[i], (size_t)p->copy_size[i] * sizeof(NN_T));
            output += p->copy_size[i];
        }
    }
}

void NN_SPLIT(const nn_split_params *p, const NN_T *input, NN_T *const *outputs)
{
    for (int32_t o = 0; o < p->outer; ++o) {
        for (int32_t i = 0; i < p->outputs; ++i) {
            if (outputs[i]) {
                memcpy(outputs[i] + o * p->copy_size[i], input, (size_t)p->copy_size[i] * sizeof(NN_T));
            }
            input += p->copy_size[i];
        }
    }
}
