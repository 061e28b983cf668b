/*
 * FULLY_CONNECTED, int8, with Helium (MVE): four outputs at a time. Each input vector is
 * loaded once for four weight rows; VMLADAVA adds the 16 products of two int8 vectors into
 * a 32-bit accumulator, exactly the reference's int32 sum, and the tail is predicated
 * (VCTP), so any depth works without a scalar loop. The four sums are requantized as one
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
            int32_t acc0 = 0, acc1 = 0, acc2 = 0, acc3 = 0;
            for (int32_t d = 0; d < depth; d += 16) {
                const mve_pred16_t lanes = vctp8q((uint32_t)(depth - d));
                const int8x16_t xv = vldrbq_z_s8(x + d, lanes);
                acc0 = vmladavaq_p_s8(acc0, xv, vldrbq_z_s8(w0 + d, lanes), lanes);
                acc1 = vmladavaq_p_s8(acc1, xv, vldrbq_z_s8(w1 + d, lanes), lanes);
                acc2 = vmladavaq_p_s8(acc2, xv, vldrbq_z_s8(w2 + d, lanes), lanes);
                acc3 = vmladavaq_p_s8(acc3, xv, vldrbq_z_s8(w3 + d, lanes), lanes);
            }
            const mve_pred16_t lanes = vctp32q((uint32_t)rows);
            int32x4_t acc = vsetq_lane_s32(acc3, vsetq_lane_s32(acc2, vsetq_lane_s32(acc1,
                            vdupq_n_s32(acc0), 1), 2), 3);
            if (bias) {
                acc = vaddq_s32(acc, vldrwq_z_s32(bias + o, lanes));
            }
            const int32_t ch = p->per_channel ? o : 0;
            nn_store_requantized_x4(output + b * outputs + o, acc, p->multiplier + ch, p->shift + ch,
                                    p->per_channel, p->output_offset, p->act_min, p->act_max, lanes);
        }
    }
}
