/* CONV_2D, 16x8 (int16 activations, int8 weights, int64 bias): integer_ops::ConvPerChannel
 * with a 64-bit accumulator. TFLite's int16 kernel ignores zero points; the code generator
 * accepts only symmetric int16 tensors, whose offsets are 0. */
#include "nn_kernels.h"
#include "nn_requantize.h"

#define NN_CONV2D nn_conv2d_s16
#define NN_T int16_t
#define NN_ACC int64_t
#define NN_REQUANTIZE_ACC nn_requantize64
#include "conv2d_impl.h"
