/*
 * Activations and (de)quantization, int8: RELU, RELU6 and LEAKY_RELU as in
 * TFLite Micro's reference kernels; LOGISTIC, TANH and HARD_SWISH as
 * 256-entry tables that the code generator fills by evaluating TFLite's
 * integer code path for every int8 input; QUANTIZE and DEQUANTIZE
 * (reference_ops::Requantize, AffineQuantize, Dequantize).
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

static inline int32_t requantize_value(const nn_quantize_params *p, int32_t x, int32_t lo, int32_t hi)
{
    return nn_clamp(nn_requantize(x - p->input_zero_point, p->multiplier, p->shift) + p->output_zero_point,
                    lo, hi);
}

void nn_quantize_s8(const nn_quantize_params *p, const int8_t *input, int8_t *output)
{
    for (int32_t i = 0; i < p->size; ++i) {
        output[i] = (int8_t)requantize_value(p, input[i], INT8_MIN, INT8_MAX);
    }
}

void nn_quantize_s8_s16(const nn_quantize_params *p, const int8_t *input, int16_t *output)
{
    for (int32_t i = 0; i < p->size; ++i) {
        output[i] = (int16_t)requantize_value(p, input[i], INT16_MIN, INT16_MAX);
    }
}

void nn_quantize_s16_s8(const nn_quantize_params *p, const int16_t *input, int8_t *output)
{
    for (int32_t i = 0; i < p->size; ++i) {
        output[i] = (int8_t)requantize_value(p, input[i], INT8_MIN, INT8_MAX);
    }
}

/* std::round (half away from zero) without libm. Values far outside int8 saturate, which
 * keeps the int conversion defined and changes nothing after clamping to int8. */
static int32_t round_saturated(float x)
{
    if (!(x > -1000.0f)) {
        return -1000;
    }
    if (x > 1000.0f) {
        return 1000;
    }
    const int32_t i = (int32_t)x;
    const float fraction = x - (float)i;
    return fraction >= 0.5f ? i + 1 : (fraction <= -0.5f ? i - 1 : i);
}

void nn_quantize_f32_s8(const nn_float_quant_params *p, const float *input, int8_t *output)
{
    for (int32_t i = 0; i < p->size; ++i) {
        /* A division, not a multiplication by 1/scale: that would round differently. */
        output[i] = (int8_t)nn_clamp(round_saturated(input[i] / p->scale) + p->zero_point, INT8_MIN, INT8_MAX);
    }
}

void nn_dequantize_s8_f32(const nn_float_quant_params *p, const int8_t *input, float *output)
{
    for (int32_t i = 0; i < p->size; ++i) {
        /* TFLite multiplies in double; the product of a float and a small integer is exact
         * in double, so rounding it to float once is what one float multiply does. */
        output[i] = p->scale * (float)(input[i] - p->zero_point);
    }
}
