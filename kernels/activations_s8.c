/*
 * Activations, int8: RELU, RELU6 and LEAKY_RELU as in TFLite Micro's reference
 * kernels; LOGISTIC, TANH and HARD_SWISH as 256-entry tables that the code
 * generator fills by evaluating TFLite's integer code path for every int8 input.
 */
#include "nn_kernels.h"
#include "nn_requantize.h"

void nn_lut_s8(const nn_lut_params *p, const int8_t *input, int8_t *output)
{
    for (int32_t i = 0; i < p->size; ++i) {
        output[i] = p->table[input[i] + 128];
    }
}

void nn_relu_s8(const nn_relu_params *p, const int8_t *input, int8_t *output)
{
    for (int32_t i = 0; i < p->size; ++i) {
        const int32_t y = nn_requantize(input[i] - p->input_zero_point, p->multiplier, p->shift) +
                          p->output_zero_point;
        output[i] = (int8_t)nn_clamp(y, p->act_min, p->act_max);
    }
}

void nn_relu6_s8(const nn_relu6_params *p, const int8_t *input, int8_t *output)
{
    for (int32_t i = 0; i < p->size; ++i) {
        output[i] = (int8_t)nn_clamp(input[i], p->lower, p->upper);
    }
}

void nn_leaky_relu_s8(const nn_leaky_relu_params *p, const int8_t *input, int8_t *output)
{
    for (int32_t i = 0; i < p->size; ++i) {
        const int32_t x = input[i] - p->input_zero_point;
        int32_t y;
        if (x >= 0) {
            y = nn_requantize(x, p->identity_multiplier, p->identity_shift);
        } else {
            y = nn_requantize(x, p->alpha_multiplier, p->alpha_shift);
            y = p->alpha_negative ? -y : y;
        }
        output[i] = (int8_t)nn_clamp(y + p->output_zero_point, INT8_MIN, INT8_MAX);
    }
}
