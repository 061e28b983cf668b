/* CONV_2D, 16x8 (int16 activations, int8 weights): integer_ops::ConvPerChannel with a 64-bit
 * accumulator and int64 bias, or, as TFLite Micro does for an int32 bias, a 32-bit one.
 * TFLite's int16 kernel ignores zero points; the code generator accepts only symmetric int16
 * tensors, whose offsets are 0. */
#include "nn_kernels.h"
#include "nn_requantize.h"

#define NN_CONV2D nn_conv2d_s16
#define NN_T int16_t
#define NN_ACC int64_t
#define NN_REQUANTIZE_ACC nn_requantize64
#include "conv2d_impl.h"

#undef NN_CONV2D
#undef NN_ACC
#undef NN_REQUANTIZE_ACC
#define NN_CONV2D nn_conv2d_s16_acc32
#define NN_ACC int32_t
#define NN_REQUANTIZE_ACC nn_requantize
#include "conv2d_impl.h"
