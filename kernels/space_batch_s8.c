/*
 * SPACE_TO_BATCH_ND and BATCH_TO_SPACE_ND, int8 (TFLite Micro has no int16 kernels for them):
 * reference_ops::SpaceToBatchND / BatchToSpaceND on NHWC tensors, each output pixel copied
 * whole (its channels are contiguous in both tensors).
 */
#include <stddef.h>
#include <string.h>

#include "nn_kernels.h"

void nn_space_to_batch_s8(const nn_space_to_batch_params *p, const int8_t *input, int8_t *output)
{
    const nn_shape4 in = p->input, out = p->output;
    for (int32_t ob = 0; ob < out.n; ++ob) {
        const int32_t b = ob % in.n, tile = ob / in.n;
        const int32_t sy = tile / p->block_w, sx = tile % p->block_w;
        for (int32_t oy = 0; oy < out.h; ++oy) {
            const int32_t iy = oy * p->block_h + sy - p->pad_top;
            for (int32_t ox = 0; ox < out.w; ++ox) {
                const int32_t ix = ox * p->block_w + sx - p->pad_left;
                if (iy < 0 || iy >= in.h || ix < 0 || ix >= in.w) {
                    memset(output, p->pad_value, (size_t)out.c);
                } else {
                    memcpy(output, input + (((size_t)b * in.h + iy) * in.w + ix) * in.c, (size_t)out.c);
                }
                output += out.c;
            }
        }
    }
}

void nn_batch_to_space_s8(const nn_batch_to_space_params *p, const int8_t *input, int8_t *output)
{
    /* Output pixel (oy, ox) of batch ob comes from input batch (sy * block_w + sx) * out.n + ob,
     * where (oy + crop_top, ox + crop_left) = (iy * block_h + sy, ix * block_w + sx). */
    const nn_shape4 in = p->input, out = p->output;
    for (int32_t ob = 0; ob < out.n; ++ob) {
        for (int32_t oy = 0; oy < out.h; ++oy) {
            const int32_t iy = (oy + p->crop_top) / p->block_h, sy = (oy + p->crop_top) % p->block_h;
            for (int32_t ox = 0; ox < out.w; ++ox) {
                const int32_t ix = (ox + p->crop_left) / p->block_w, sx = (ox + p->crop_left) % p->block_w;
                const int32_t b = (sy * p->block_w + sx) * out.n + ob;
                memcpy(output, input + (((size_t)b * in.h + iy) * in.w + ix) * in.c, (size_t)out.c);
                output += out.c;
            }
        }
    }
}
