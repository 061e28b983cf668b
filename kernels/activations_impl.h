/*
 * RELU, RELU6 and LEAKY_RELU as TFLite Micro's reference kernels compute them
 * (ReluQuantized, Relu6Quantized, reference_ops::QuantizeLeakyRelu), written once for
 * int8 and int16 and instantiated by activations_s8.c and activations_s16.c, which define
 *   NN_RELU, NN_RELU6, NN_LEAKY_RELU  the kernels' names
 *   NN_T, NN_T_MIN, NN_T_MAX          the element type and its range
 */
void NN_RELU(const nn_relu_params *p, const NN_T *input, NN_T *output)
{
    for (int32_t i = 0; i < p->size; ++i) {
        const int32_t y = nn_requantize(input[i] - p->input_zero_point, p->multiplier, p->shift) +
                          p->output_zero_point;
        output[i] = (NN_T)nn_clamp(y, p->act_min, p->act_max);
    }
}

void NN_RELU6(const nn_relu6_params *p, const NN_T *input, NN_T *output)
{
    for (int32_t i = 0; i < p->size; ++i) {
        output[i] = (NN_T)nn_clamp(input[i], p->lower, p->upper);
    }
}

void NN_LEAKY_RELU(const nn_leaky_relu_params *p, const NN_T *input, NN_T *output)
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
        output[i] = (NN_T)nn_clamp(y + p->output_zero_point, NN_T_MIN, NN_T_MAX);
    }
}
