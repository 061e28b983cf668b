/* DEPTHWISE_CONV_2D, int8, per-channel: integer_ops::DepthwiseConvPerChannel. */
#include "nn_kernels.h"
#include "nn_requantize.h"

#define NN_DEPTHWISE_CONV2D nn_depthwise_conv2d_s8
#define NN_T int8_t
#define NN_ACC int32_t
#define NN_REQUANTIZE_ACC nn_requantize
#include "depthwise_conv2d_impl.h"
