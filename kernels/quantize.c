/*
 * QUANTIZE and DEQUANTIZE for every pair of types TFLite Micro converts between:
 * reference_ops::Requantize among int8, int16 and int32, AffineQuantize from float32
 * and Dequantize to float32.
 */
#include "nn_kernels.h"
#include "nn_requantize.h"

/* Requantize: x rescaled from the input's scale to the output's, clamped to the output type.
 * The zero point is subtracted with wrapping, as TFLite's int32 arithmetic does. */
static inline int32_t requantize_value(const nn_quantize_params *p, int32_t x, int32_t lo, int32_t hi)
{
    const int32_t centred = (int32_t)((uint32_t)x - (uint32_t)p->input_zero_point);
    return nn_clamp(nn_requantize(centred, p->multiplier, p->shift) + p->output_zero_point, lo, hi);
}

/* One requantizing kernel: NAME(params, IN_T input[], OUT_T output[]). */
#define NN_DEFINE_REQUANTIZE(NAME, IN_T, OUT_T, OUT_MIN, OUT_MAX)                         \
    void NAME(const nn_quantize_params *p, const IN_T *input, OUT_T *output)              \
    {                                                                                     \
        for (int32_t i = 0; i < p->size; ++i) {                                           \
            output[i] = (OUT_T)requantize_value(p, input[i], OUT_MIN, OUT_MAX);           \
        }                                                                                 \
    }

NN_DEFINE_REQUANTIZE(nn_quantize_s8, int8_t, int8_t, INT8_MIN, INT8_MAX)
NN_DEFINE_REQUANTIZE(nn_quantize_s8_s16, int8_t, int16_t, INT16_MIN, INT16_MAX)
NN_DEFINE_REQUANTIZE(nn_quantize_s8_s32, int8_t, int32_t, INT32_MIN, INT32_MAX)
NN_DEFINE_REQUANTIZE(nn_quantize_s16_s8, int16_t, int8_t, INT8_MIN, INT8_MAX)
NN_DEFINE_REQUANTIZE(nn_quantize_s16, int16_t, int16_t, INT16_MIN, INT16_MAX)
NN_DEFINE_REQUANTIZE(nn_quantize_s16_s32, int16_t, int32_t, INT32_MIN, INT32_MAX)
NN_DEFINE_REQUANTIZE(nn_quantize_s32_s8, int32_t, int8_t, INT8_MIN, INT8_MAX)
NN_DEFINE_REQUANTIZE(nn_quantize_s32_s16, int32_t, int16_t, INT16_MIN, INT16_MAX)

/* std::round (half away from zero) without libm. Values far outside int16 saturate, which
 * keeps the int conversion defined and changes nothing after clamping to the output type. */
static int32_t round_saturated(float x)
{
    if (!(x > -1e9f)) {
        return -1000000000;
    }
    if (x > 1e9f) {
        return 1000000000;
    }
    const int32_t i = (int32_t)x;
    const float fraction = x - (float)i;
    return fraction >= 0.5f ? i + 1 : (fraction <= -0.5f ? i - 1 : i);
}

static int32_t quantize_float(const nn_float_quant_params *p, float x, int32_t lo, int32_t hi)
{
    /* A division, not a multiplication by 1/scale: that would round differently. */
    return nn_clamp(round_saturated(x / p->scale) + p->zero_point, lo, hi);
}

void nn_quantize_f32_s8(const nn_float_quant_params *p, const float *input, int8_t *output)
{
    for (int32_t i = 0; i < p->size; ++i) {
        output[i] = (int8_t)quantize_float(p, input[i], INT8_MIN, INT8_MAX);
    }
}

void nn_quantize_f32_s16(const nn_float_quant_params *p, const float *input, int16_t *output)
{
    for (int32_t i = 0; i < p->size; ++i) {
        output[i] = (int16_t)quantize_float(p, input[i], INT16_MIN, INT16_MAX);
    }
}

/* TFLite multiplies in double; the product of a float and an integer below 2^24 is exact in
 * double, so rounding it to float once is what one float multiply does. */
void nn_dequantize_s8_f32(const nn_float_quant_params *p, const int8_t *input, float *output)
{
    for (int32_t i = 0; i < p->size; ++i) {
        output[i] = p->scale * (float)(input[i] - p->zero_point);
    }
}

void nn_dequantize_s16_f32(const nn_float_quant_params *p, const int16_t *input, float *output)
{
    for (int32_t i = 0; i < p->size; ++i) {
        output[i] = p->scale * (float)(input[i] - p->zero_point);
    }
}
