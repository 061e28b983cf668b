/*
 * FULLY_CONNECTED, int8, with Helium (MVE): the reference kernel's sums, 16 multiply-
 * accumulates per instruction. VMLADAVA adds the 16 products of two int8 vectors into a
 * 32-bit accumulator, exactly the reference's int32 sum; the tail is predicated (VCTP), so
 * any depth works without a scalar loop. The input offset is in the bias (folded at build
 * time), so the inputs are multiplied as they are. Pointwise convolutions run here too.
 */
#include <arm_mve.h>

#include "nn_kernels.h"
#include "nn_requantize.h"

void nn_fully_connected_s8(const nn_fc_params *p, const int8_t *input, const int8_t *filter,
                           const int32_t *bias, int8_t *output)
{
    const int32_t depth = p->accum_depth;
    for (int32_t b = 0; b < p->batches; ++b) {
        const int8_t *x = input + b * depth;
        for (int32_t o = 0; o < p->output_depth; ++o) {
            const int8_t *w = filter + o * depth;
            int32_t acc = 0;
            for (int32_t d = 0; d < depth; d += 16) {
                const mve_pred16_t lanes = vctp8q((uint32_t)(depth - d));
                acc = vmladavaq_p_s8(acc, vldrbq_z_s8(x + d, lanes), vldrbq_z_s8(w + d, lanes), lanes);
            }
            if (bias) {
                acc += bias[o];
            }
            const int32_t ch = p->per_channel ? o : 0;
            const int32_t y = nn_requantize(acc, p->multiplier[ch], p->shift[ch]) + p->output_offset;
            output[b * p->output_depth + o] = (int8_t)nn_clamp(y, p->act_min, p->act_max);
        }
    }
}
