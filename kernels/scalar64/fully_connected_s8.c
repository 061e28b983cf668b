/*
 * FULLY_CONNECTED, int8, for 64-bit cores without SIMD (the MilkV Duo's C906): the inputs of two
 * batches packed into one int64 per depth, x0 + 2^32 * x1, so one 64-bit multiply by a weight
 * makes both products and one int64 accumulator holds both sums: the low 32 bits are the
 * first sum (|sum| <= depth * 2^14 < 2^31), the rest, once the first is taken out, the second.
 * Four batches (two pairs) and four outputs at a time share every load. Pointwise convolutions
 * run here (a batch per pixel); a single batch, and depths past PAIRED_DEPTH, run the portable
 * kernel.
 */
#include "nn_kernels.h"
#include "nn_requantize.h"

#define NN_FULLY_CONNECTED nn_fully_connected_s8_portable /* the reference kernel: the fallback */
#include "../fully_connected_s8.c"

#define PAIRED_DEPTH 1024 /* two pairs of packed inputs: 16 KB of stack */

/* packed[d] = x0[d] + 2^32 * x1[d]. */
static void pack_pair(const int8_t *x0, const int8_t *x1, int32_t depth, int64_t *packed)
{
    for (int32_t d = 0; d < depth; ++d) {
        packed[d] = (int64_t)x0[d] + (int64_t)x1[d] * ((int64_t)1 << 32);
    }
}

/* Weight rows w0..w3 times the packed pairs v0 and v1, added to acc[0..3] and acc[4..7]. */
static __attribute__((noinline)) void dot4_pairs(const int64_t *restrict v0, const int64_t *restrict v1,
                                                 const int8_t *restrict w0, const int8_t *restrict w1,
                                                 const int8_t *restrict w2, const int8_t *restrict w3, int32_t n,
                                                 int64_t acc[8])
{
    int64_t a0 = 0, a1 = 0, a2 = 0, a3 = 0, b0 = 0, b1 = 0, b2 = 0, b3 = 0;
    for (int32_t d = 0; d < n; ++d) {
        const int64_t x = v0[d], y = v1[d];
        const int64_t k0 = w0[d], k1 = w1[d], k2 = w2[d], k3 = w3[d];
        a0 += k0 * x, a1 += k1 * x, a2 += k2 * x, a3 += k3 * x;
        b0 += k0 * y, b1 += k1 * y, b2 += k2 * y, b3 += k3 * y;
    }
    acc[0] = a0, acc[1] = a1, acc[2] = a2, acc[3] = a3, acc[4] = b0, acc[5] = b1, acc[6] = b2, acc[7] = b3;
}

static inline void store(const nn_fc_params *p, const int32_t *bias, int32_t o, int32_t sum, int8_t *out)
{
    const int32_t ch = p->per_channel ? o : 0;
    const int32_t y = nn_requantize(sum + (bias ? bias[o] : 0), p->multiplier[ch], p->shift[ch]) + p->output_offset;
    *out = (int8_t)nn_clamp(y, p->act_min, p->act_max);
}

void nn_fully_connected_s8(const nn_fc_params *p, const int8_t *input, const int8_t *filter,
                           const int32_t *bias, int8_t *output)
{
    const int32_t depth = p->accum_depth, outputs = p->output_depth;
    int32_t b = 0;
    if (depth <= PAIRED_DEPTH) {
        int64_t packed[2][PAIRED_DEPTH];
        for (int32_t pairs = 0; b + 2 <= p->batches; b += 2 * pairs) {
            pairs = p->batches - b >= 4 ? 2 : 1; /* one pair: its sums twice, once kept */
            pack_pair(input + b * depth, input + (b + 1) * depth, depth, packed[0]);
            if (pairs == 2) {
                pack_pair(input + (b + 2) * depth, input + (b + 3) * depth, depth, packed[1]);
            }
            for (int32_t o = 0; o < outputs; o += 4) {
                const int32_t rows = outputs - o < 4 ? outputs - o : 4;
                /* Missing rows of the last group read row o again: no load past the weights. */
                const int8_t *w0 = filter + o * depth;
                int64_t acc[8];
                dot4_pairs(packed[0], packed[pairs - 1], w0, rows > 1 ? w0 + depth : w0,
                           rows > 2 ? w0 + 2 * depth : w0, rows > 3 ? w0 + 3 * depth : w0, depth, acc);
                for (int32_t k = 0; k < rows; ++k) {
                    for (int32_t q = 0; q < pairs; ++q) {
                        const int64_t a = acc[4 * q + k];
                        const int32_t first = (int32_t)a, second = (int32_t)((a - first) >> 32);
                        int8_t *out = output + (b + 2 * q) * outputs + o + k;
                        store(p, bias, o + k, first, out);
                        store(p, bias, o + k, second, out + outputs);
                    }
                }
            }
        }
    }
    if (b < p->batches) {
        nn_fc_params rest = *p;
        rest.batches = p->batches - b;
        nn_fully_connected_s8_portable(&rest, input + b * depth, filter, bias, output + b * outputs);
    }
}
