/* DEPTHWISE_CONV_2D, 16x8 (int16 activations, int8 weights, int64 bias):
 * integer_ops::DepthwiseConvPerChannel with a 64-bit accumulator. As for CONV_2D,
 * TFLite's int16 kernel ignores zero points and the code generator takes only 0. */
#include "nn_kernels.h"
#include "nn_requantize.h"

#define NN_DEPTHWISE_CONV2D nn_depthwise_conv2d_s16
#define NN_T int16_t
#define NN_ACC int64_t
#define NN_REQUANTIZE_ACC nn_requantize64
#include "depthwise_conv2d_impl.h"
