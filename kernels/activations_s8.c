/*
 * Activations, int8: RELU, RELU6 and LEAKY_RELU (activations_impl.h), and LOGISTIC, TANH,
 * HARD_SWISH and RSQRT as 256-entry tables that the code generator fills by evaluating
 * TFLite's integer code path for every int8 input.
 */
#include "nn_kernels.h"
#include "nn_requantize.h"

#define NN_RELU nn_relu_s8
#define NN_RELU6 nn_relu6_s8
#define NN_LEAKY_RELU nn_leaky_relu_s8
#define NN_T int8_t
#define NN_T_MIN INT8_MIN
#define NN_T_MAX INT8_MAX
#include "activations_impl.h"

void nn_lut_s8(const nn_lut_params *p, const int8_t *input, int8_t *output)
{
    for (int32_t i = 0; i < p->size; ++i) {
        output[i] = p->table[input[i] + 128];
    }
}
