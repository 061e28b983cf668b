/*
 * int8 tensor operators: MEAN, PAD/PADV2, STRIDED_SLICE and TRANSPOSE (tensor_ops_impl.h),
 * and CONCATENATION.
 */
#include <string.h>

#include "nn_kernels.h"
#include "nn_requantize.h"

#define NN_GATHER nn_gather_s8
#define NN_PAD nn_pad_s8
#define NN_MEAN nn_mean_s8
#define NN_T int8_t
#define NN_T_MIN INT8_MIN
#define NN_T_MAX INT8_MAX
#include "tensor_ops_impl.h"

void nn_concat_s8(const nn_concat_params *p, const int8_t *const *inputs, int8_t *output)
{
    for (int32_t o = 0; o < p->outer; ++o) {
        for (int32_t i = 0; i < p->inputs; ++i) {
            memcpy(output, inputs[i] + o * p->copy_size[i], (size_t)p->copy_size[i]);
            output += p->copy_size[i];
        }
    }
}
