/*
 * FULLY_CONNECTED: integer_ops::FullyConnected and FullyConnectedPerChannel, written once
 * for int8 and 16x8 and instantiated by fully_connected_s8.c and fully_connected_s16.c,
 * which define (the input offset is folded into the bias at build time)
 *   NN_FULLY_CONNECTED  the kernel's name
 *   NN_T                the activation type
 *   NN_ACC              the accumulator and bias type
 *   NN_REQUANTIZE_ACC   MultiplyByQuantizedMultiplier for an NN_ACC
 * and, for an instruction set (kernels/lsx/fully_connected_s8.c), may define its own
 *   NN_FC_DOT4(x, w0, w1, w2, w3, n, acc)
 *
 * Four outputs at a time: each input value is loaded once for four weight rows, a loop a
 * compiler vectorizes. Pointwise convolutions run here too.
 */
#define NN_FC_JOIN2(a, b) a##_##b
#define NN_FC_JOIN(a, b) NN_FC_JOIN2(a, b)

#ifndef NN_FC_DOT4
#define NN_FC_DOT4 NN_FC_JOIN(NN_FULLY_CONNECTED, dot4)
#define NN_DOT4 NN_FC_DOT4
#include "dot4_impl.h"
#undef NN_DOT4
#endif

void NN_FULLY_CONNECTED(const nn_fc_params *p, const NN_T *input, const int8_t *filter,
                        const NN_ACC *bias, NN_T *output)
{
    const int32_t depth = p->accum_depth, outputs = p->output_depth;
    for (int32_t b = 0; b < p->batches; ++b) {
        const NN_T *x = input + b * depth;
        for (int32_t o = 0; o < outputs; o += 4) {
            const int32_t rows = outputs - o < 4 ? outputs - o : 4;
            /* Missing rows of the last group read row o again: no load past the weights. */
            const int8_t *w0 = filter + o * depth;
            NN_ACC acc[4] = {0, 0, 0, 0};
            NN_FC_DOT4(x, w0, rows > 1 ? w0 + depth : w0, rows > 2 ? w0 + 2 * depth : w0,
                       rows > 3 ? w0 + 3 * depth : w0, depth, acc);
            for (int32_t k = 0; k < rows; ++k) {
                const int32_t ch = p->per_channel ? o + k : 0;
                const NN_ACC sum = acc[k] + (bias ? bias[o + k] : 0);
                const int32_t y = NN_REQUANTIZE_ACC(sum, p->multiplier[ch], p->shift[ch]) + p->output_offset;
                output[b * outputs + o + k] = (NN_T)nn_clamp(y, p->act_min, p->act_max);
            }
        }
    }
}

#undef NN_FC_DOT4 /* the next instantiation (fully_connected_s16.c makes two) defines its own */
