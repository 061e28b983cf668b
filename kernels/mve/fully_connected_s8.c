/*
 * FULLY_CONNECTED, int8, with Helium (MVE): four outputs at a time. Each input vector is
 * loaded once for four weight rows (nn_dot_x4); VMLADAVA adds the 16 products of two int8
 * vectors into a 32-bit accumulator, exactly the reference's int32 sum, and the tail is
 * predicated (VCTP), so any depth works without a scalar loop. The four sums are requantized as one
 * vector. The input offset is in the bias (folded at build time), so the inputs are
 * multiplied as they are. Pointwise convolutions run here too.
 */
#include "nn_kernels.h"
#include "nn_mve.h"

void nn_fully_connected_s8(const nn_fc_params *p, const int8_t *input, const int8_t *filter,
                           const int32_t *bias, int8_t *output)
{
    const int32_t depth = p->accum_depth, outputs = p->output_depth;
    for (int32_t b = 0; b < p->batches; ++b) {
        const int8_t *x = input + b * depth;
        for (int32_t o = 0; o < outputs; o += 4) {
            const int32_t rows = outputs - o < 4 ? outputs - o : 4;
            /* Missing rows of the last group read row o again: no load past the weights. */
            const int8_t *w0 = filter + o * depth;
            const int8_t *w1 = rows > 1 ? w0 + depth : w0;
            const int8_t *w2 = rows > 2 ? w0 + 2 * depth : w0;
            const int8_t *w3 = rows > 3 ? w0 + 3 * depth : w0;
            int32_t sums[4] = {0, 0, 0, 0};
            nn_dot_x4(x, w0, w1, w2, w3, depth, sums);
            const mve_pred16_t lanes = vctp32q((uint32_t)rows);
            int32x4_t acc = vldrwq_s32(sums);
            if (bias) {
                acc = vaddq_s32(acc, vldrwq_z_s32(bias + o, lanes));
            }
            const int32_t ch = p->per_channel ? o : 0;
            nn_store_requantized_x4(output + b * outputs + o, acc, p->multiplier + ch, p->shift + ch,
                                    p->per_channel, p->output_offset, p->act_min, p->act_max, lanes);
        }
    }
}
