/* FULLY_CONNECTED, int8: integer_ops::FullyConnected and FullyConnectedPerChannel. */
#include "nn_kernels.h"
#include "nn_requantize.h"

void nn_fully_connected_s8(const nn_fc_params *p, const int8_t *input, const int8_t *filter,
                           const int32_t *bias, int8_t *output)
{
    for (int32_t b = 0; b < p->batches; ++b) {
        const int8_t *x = input + b * p->accum_depth;
        for (int32_t o = 0; o < p->output_depth; ++o) {
            const int8_t *w = filter + o * p->accum_depth;
            int32_t acc = 0;
            for (int32_t d = 0; d < p->accum_depth; ++d) {
                acc += w[d] * (x[d] + p->input_offset);
            }
            if (bias) {
                acc += bias[o];
            }
            const int32_t ch = p->per_channel ? o : 0;
            acc = nn_requantize(acc, p->multiplier[ch], p->shift[ch]) + p->output_offset;
            output[b * p->output_depth + o] = (int8_t)nn_clamp(acc, p->act_min, p->act_max);
        }
    }
}
