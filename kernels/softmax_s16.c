/*
 * SOFTMAX, int16 in and out: reference_ops::SoftmaxInt16, TFLite Micro's 16x8 path.
 *
 * exp() and 1/(1 + x) are read from 513-entry tables with linear interpolation
 * (LUTLookup); the code generator fills the tables as TFLite's Prepare does.
 */
#include "nn_kernels.h"
#include "nn_requantize.h"

/* LUTLookup: the top 9 bits of value pick a table entry, the low 7 interpolate. */
static int16_t table_lookup(int16_t value, const int16_t *table)
{
    const int32_t index = 256 + (value >> 7);
    const int16_t slope = (int16_t)(table[index + 1] - table[index]);
    return (int16_t)(table[index] + ((slope * (value & 0x7f) + 64) >> 7));
}

/* exp(x - max) in Q0.15: the difference scaled so that [-65535, 0] is [-10, 0], then
 * recentred on the table's int16 input range. */
static int16_t exp_of_difference(const nn_softmax_s16_params *p, int32_t diff)
{
    const int32_t scaled = nn_requantize(diff, p->input_multiplier, p->input_shift) + 32767;
    return table_lookup((int16_t)nn_clamp(scaled, INT16_MIN, INT16_MAX), p->exp_table);
}

void nn_softmax_s16(const nn_softmax_s16_params *p, const int16_t *input, int16_t *output)
{
    for (int32_t i = 0; i < p->outer; ++i) {
        const int16_t *x = input + i * p->depth;
        int16_t *y = output + i * p->depth;
        int32_t max_in_row = INT16_MIN;
        for (int32_t c = 0; c < p->depth; ++c) {
            max_in_row = x[c] > max_in_row ? x[c] : max_in_row;
        }
        /* The exps wait in the output, as in TFLite; their sum is Q16.15. */
        int32_t sum_of_exps = 0;
        for (int32_t c = 0; c < p->depth; ++c) {
            y[c] = exp_of_difference(p, x[c] - max_in_row);
            sum_of_exps += y[c];
        }
        /* 1 / sum: the sum normalized to [1, 2) in Q1.14, minus 1, recentred on the int16 range. */
        const int headroom_plus_one = nn_count_leading_zeros((uint32_t)sum_of_exps);
        const int32_t shifted_sum =
            (int32_t)((((int64_t)sum_of_exps << (headroom_plus_one - 1)) + (1 << 13)) >> 14);
        const int32_t reciprocal = table_lookup(
            (int16_t)nn_clamp(shifted_sum - ((1 << 15) + (1 << 16)), INT16_MIN, INT16_MAX), p->reciprocal_table);
        const int right_shift = 31 - headroom_plus_one;
        for (int32_t c = 0; c < p->depth; ++c) {
            const int32_t result =
                (int32_t)(((int64_t)y[c] * reciprocal + (1 << (right_shift - 1))) >> right_shift);
            y[c] = (int16_t)nn_clamp(result, 0, INT16_MAX);
        }
    }
}
