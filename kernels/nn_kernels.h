/*
 * nnbuild aot kernels: int8 reference kernels, bit-exact with TensorFlow Lite
 * Micro's reference kernels (tensorflow/lite/kernels/internal/reference).
 *
 * Tensors are NHWC, batch first. Every quantization constant (multipliers,
 * shifts, zero points, activation bounds) is computed at build time by the
 * code generator and passed in a const parameter struct, so the kernels do no
 * floating-point work.
 */
#ifndef NN_KERNELS_H
#define NN_KERNELS_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    int32_t n, h, w, c;
} nn_shape4;

/* CONV_2D and DEPTHWISE_CONV_2D with per-channel requantization. */
typedef struct {
    nn_shape4 input;
    nn_shape4 filter;  /* conv: [out_c, fh, fw, in_c]; depthwise: [1, fh, fw, out_c] */
    nn_shape4 output;
    int32_t stride_h, stride_w;
    int32_t dilation_h, dilation_w;
    int32_t pad_h, pad_w;
    int32_t depth_multiplier; /* depthwise only */
    int32_t input_offset;     /* -input zero point */
    int32_t output_offset;    /* output zero point */
    int32_t act_min, act_max;
    const int32_t *multiplier; /* one per output channel */
    const int32_t *shift;
} nn_conv_params;

void nn_conv2d_s8(const nn_conv_params *p, const int8_t *input, const int8_t *filter,
                  const int32_t *bias, int8_t *output);
void nn_depthwise_conv2d_s8(const nn_conv_params *p, const int8_t *input,
                            const int8_t *filter, const int32_t *bias, int8_t *output);

/* FULLY_CONNECTED: output[b][o] = requant(sum_d w[o][d] * (in[b][d] + input_offset) + bias[o]). */
typedef struct {
    int32_t batches, accum_depth, output_depth;
    int32_t input_offset, output_offset;
    int32_t act_min, act_max;
    int32_t per_channel;       /* 0: multiplier[0]/shift[0] apply to every output */
    const int32_t *multiplier;
    const int32_t *shift;
} nn_fc_params;

void nn_fully_connected_s8(const nn_fc_params *p, const int8_t *input, const int8_t *filter,
                           const int32_t *bias, int8_t *output);

/* AVERAGE_POOL_2D and MAX_POOL_2D. */
typedef struct {
    nn_shape4 input;
    nn_shape4 output;
    int32_t filter_h, filter_w;
    int32_t stride_h, stride_w;
    int32_t pad_h, pad_w;
    int32_t act_min, act_max;
} nn_pool_params;

void nn_avg_pool_s8(const nn_pool_params *p, const int8_t *input, int8_t *output);
void nn_max_pool_s8(const nn_pool_params *p, const int8_t *input, int8_t *output);

#ifdef __cplusplus
}
#endif

#endif /* NN_KERNELS_H */
