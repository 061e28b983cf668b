/*
 * Kernels for 64-bit cores without SIMD (kernels/scalar64/): int8 dot products two at a time
 * per 64-bit multiply, shared by FULLY_CONNECTED and CONV_2D.
 */
#ifndef NN_SCALAR64_H
#define NN_SCALAR64_H

#include <stdint.h>

/* A requantization: per_channel 0, multiplier[0] and shift[0] for every output. */
typedef struct {
    const int32_t *multiplier, *shift;
    int32_t per_channel, output_offset, act_min, act_max;
} nn_scalar64_requant;

/* For `rows` (1 to 4) inputs x[k] of n int8 values: out[k * out_step + o] for o < count, the
 * dot product with weight row o (rows n apart from w) plus bias[o] (bias may be NULL),
 * requantized. The inputs are packed in pairs (x0 + 2^32 * x1, at most NN_SCALAR64_DEPTH
 * values), so one 64-bit multiply by a weight makes two products, and one int64 accumulator
 * holds both sums: its low 32 bits are the first (|sum| <= n * 2^14 < 2^31), the rest, once the
 * first is taken out, the second. Four inputs by four outputs share every load. */
void nn_scalar64_rows_x4(const int8_t *const x[4], int32_t rows, const int8_t *w, int32_t n, int32_t count,
                         const int32_t *bias, const nn_scalar64_requant *q, int8_t *out, int32_t out_step);

#define NN_SCALAR64_DEPTH 1024 /* two pairs of packed inputs: 16 KB of stack */

#endif /* NN_SCALAR64_H */
