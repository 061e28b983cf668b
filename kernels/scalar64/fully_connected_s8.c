/*
 * FULLY_CONNECTED, int8, for 64-bit cores without SIMD (the MilkV Duo's C906): four batches at a
 * time, two products per 64-bit multiply (nn_scalar64_rows_x4, defined here for CONV_2D too).
 * Pointwise convolutions run here (a batch per pixel); a single batch, and depths past
 * NN_SCALAR64_DEPTH, three outputs per input load.
 */
#include "nn_kernels.h"
#include "nn_requantize.h"
#include "nn_scalar64.h"

/* packed[d] = x0[d] + 2^32 * x1[d]. */
static void pack_pair(const int8_t *x0, const int8_t *x1, int32_t n, int64_t *packed)
{
    for (int32_t d = 0; d < n; ++d) {
        packed[d] = (int64_t)x0[d] + (int64_t)x1[d] * ((int64_t)1 << 32);
    }
}

/* Three dot products of n values, x with w0..w2, into acc[0..2]: eight values per iteration (at -Os
 * the compiler unrolls nothing, and a loop of its pointers costs as much as its multiply-adds);
 * three rows, as a fourth's pointer and loads would not fit the registers. */
static inline __attribute__((always_inline)) void dot3(const int8_t *restrict x, const int8_t *restrict w0,
                                                       const int8_t *restrict w1, const int8_t *restrict w2,
                                                       int32_t n, int32_t acc[3])
{
    int32_t a0 = 0, a1 = 0, a2 = 0;
    int32_t d = 0;
    for (; d + 8 <= n; d += 8) {
        _Pragma("GCC unroll 8") for (int32_t j = d; j < d + 8; ++j) {
            const int32_t v = x[j];
            a0 += w0[j] * v, a1 += w1[j] * v, a2 += w2[j] * v;
        }
    }
    for (; d < n; ++d) {
        const int32_t v = x[d];
        a0 += w0[d] * v, a1 += w1[d] * v, a2 += w2[d] * v;
    }
    acc[0] = a0, acc[1] = a1, acc[2] = a2;
}

/* Weight rows w0..w3 times the packed pairs v0 and v1 into acc[0..3] and acc[4..7]. */
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

static inline void store(const nn_scalar64_requant *q, const int32_t *bias, int32_t o, int32_t sum, int8_t *out)
{
    const int32_t ch = q->per_channel ? o : 0;
    const int32_t y = nn_requantize(sum + (bias ? bias[o] : 0), q->multiplier[ch], q->shift[ch]) + q->output_offset;
    *out = (int8_t)nn_clamp(y, q->act_min, q->act_max);
}

void nn_scalar64_rows_x4(const int8_t *const x[4], int32_t rows, const int8_t *w, int32_t n, int32_t count,
                         const int32_t *bias, const nn_scalar64_requant *q, int8_t *out, int32_t out_step)
{
    int64_t packed[2][NN_SCALAR64_DEPTH];
    const int32_t pairs = rows > 2 ? 2 : 1; /* an odd input is paired with itself, its twin dropped */
    pack_pair(x[0], rows > 1 ? x[1] : x[0], n, packed[0]);
    if (pairs == 2) {
        pack_pair(x[2], rows > 3 ? x[3] : x[2], n, packed[1]);
    }
    for (int32_t o = 0; o < count; o += 4) {
        const int32_t group = count - o < 4 ? count - o : 4;
        /* Missing rows of the last group read row o again: no load past the weights. */
        const int8_t *w0 = w + o * n;
        int64_t acc[8];
        dot4_pairs(packed[0], packed[pairs - 1], w0, group > 1 ? w0 + n : w0, group > 2 ? w0 + 2 * n : w0,
                   group > 3 ? w0 + 3 * n : w0, n, acc);
        for (int32_t k = 0; k < group; ++k) {
            for (int32_t i = 0; i < rows; ++i) {
                const int64_t a = acc[4 * (i / 2) + k];
                const int32_t first = (int32_t)a;
                store(q, bias, o + k, i % 2 ? (int32_t)((a - first) >> 32) : first, out + i * out_step + o + k);
            }
        }
    }
}

/* One batch: three outputs per input load. */
static void one_batch(const int8_t *x, const int8_t *w, int32_t n, int32_t count, const int32_t *bias,
                      const nn_scalar64_requant *q, int8_t *out)
{
    /* Copies: the int8 stores below may alias *q, which would reload it every time. */
    const int32_t *multiplier = q->multiplier, *shift = q->shift, step = q->per_channel ? 1 : 0;
    const int32_t offset = q->output_offset, lo = q->act_min, hi = q->act_max;
    for (int32_t o = 0; o < count; o += 3) {
        const int32_t group = count - o < 3 ? count - o : 3;
        const int8_t *w0 = w + o * n; /* missing rows read row o again */
        int32_t acc[3];
        dot3(x, w0, group > 1 ? w0 + n : w0, group > 2 ? w0 + 2 * n : w0, n, acc);
        for (int32_t k = 0; k < group; ++k) {
            const int32_t ch = (o + k) * step;
            const int32_t y = nn_requantize(acc[k] + (bias ? bias[o + k] : 0), multiplier[ch], shift[ch]);
            out[o + k] = (int8_t)nn_clamp(y + offset, lo, hi);
        }
    }
}

void nn_fully_connected_s8(const nn_fc_params *p, const int8_t *input, const int8_t *filter,
                           const int32_t *bias, int8_t *output)
{
    const int32_t depth = p->accum_depth, outputs = p->output_depth;
    const nn_scalar64_requant q = {p->multiplier, p->shift, p->per_channel, p->output_offset, p->act_min,
                                   p->act_max};
    for (int32_t b = 0; b < p->batches; b += 4) {
        const int32_t rows = p->batches - b < 4 ? p->batches - b : 4;
        if (rows == 1 || depth > NN_SCALAR64_DEPTH) {
            for (int32_t k = 0; k < rows; ++k) {
                one_batch(input + (b + k) * depth, filter, depth, outputs, bias, &q, output + (b + k) * outputs);
            }
            continue;
        }
        const int8_t *const x[4] = {input + b * depth, input + (b + 1) * depth, input + (b + 2) * depth,
                                    input + (b + 3) * depth}; /* read: the first `rows` */
        nn_scalar64_rows_x4(x, rows, filter, depth, outputs, bias, &q, output + b * outputs, outputs);
    }
}
