/*
 * int8 tensor operators: MEAN, PAD/PADV2, STRIDED_SLICE, TRANSPOSE, CONCATENATION, PACK,
 * SPLIT, SPLIT_V and UNPACK (tensor_ops_impl.h), and GATHER.
 */
#include <string.h>

#include "nn_kernels.h"
#include "nn_requantize.h"

#define NN_GATHER nn_gather_s8
#define NN_PAD nn_pad_s8
#define NN_MEAN nn_mean_s8
#define NN_CONCAT nn_concat_s8
#define NN_SPLIT nn_split_s8
#define NN_T int8_t
#define NN_T_MIN INT8_MIN
#define NN_T_MAX INT8_MAX
#include "tensor_ops_impl.h"

/* GATHER (reference Gather; TFLite Micro has no int16 GATHER): for each batch and outer row,
 * the blocks of `inner` elements at the indices of the axis. An index outside the axis gives
 * zeros, where TFLite Micro would read outside the input. */
void nn_gather_rows_s8(const nn_gather_rows_params *p, const int8_t *input, const int32_t *indices,
                       int8_t *output)
{
    for (int32_t b = 0; b < p->batches; ++b) {
        for (int32_t o = 0; o < p->outer; ++o) {
            const int8_t *rows = input + (b * p->outer + o) * p->axis_size * p->inner;
            for (int32_t i = 0; i < p->indices; ++i) {
                const int32_t index = indices[b * p->indices + i];
                if (index >= 0 && index < p->axis_size) {
                    memcpy(output, rows + index * p->inner, (size_t)p->inner);
                } else {
                    memset(output, 0, (size_t)p->inner);
                }
                output += p->inner;
            }
        }
    }
}
