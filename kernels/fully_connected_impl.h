/*
 * FULLY_CONNECTED: integer_ops::FullyConnected and FullyConnectedPerChannel, written once
 * for int8 and 16x8 and instantiated by fully_connected_s8.c and fully_connected_s16.c,
 * which define (the input offset is folded into the bias at build time)
 *   NN_FULLY_CONNECTED  the kernel's name
 *   NN_T                the activation type
 *   NN_ACC              the accumulator and bias type
 *   NN_REQUANTIZE_ACC   MultiplyByQuantizedMultiplier for an NN_ACC
 */
void NN_FULLY_CONNECTED(const nn_fc_params *p, const NN_T *input, const int8_t *filter,
                        const NN_ACC *bias, NN_T *output)
{
    for (int32_t b = 0; b < p->batches; ++b) {
        const NN_T *x = input + b * p->accum_depth;
        for (int32_t o = 0; o < p->output_depth; ++o) {
            const int8_t *w = filter + o * p->accum_depth;
            NN_ACC acc = 0;
            for (int32_t d = 0; d < p->accum_depth; ++d) {
                acc += w[d] * x[d];
            }
            if (bias) {
                acc += bias[o];
            }
            const int32_t ch = p->per_channel ? o : 0;
            const int32_t y = NN_REQUANTIZE_ACC(acc, p->multiplier[ch], p->shift[ch]) + p->output_offset;
            output[b * p->output_depth + o] = (NN_T)nn_clamp(y, p->act_min, p->act_max);
        }
    }
}
