/* TRANSPOSE_CONV, 16x8 (int16 activations, int8 weights, int64 bias): the int16 overload of
 * reference_integer_ops::TransposeConv, which accumulates in int64 and ignores zero points; the
 * code generator accepts only symmetric int16 tensors, whose offsets are 0. */
#include "nn_kernels.h"
#include "nn_requantize.h"

#define NN_TRANSPOSE_CONV nn_transpose_conv_s16
#define NN_T int16_t
#define NN_ACC int64_t
#define NN_REQUANTIZE_ACC nn_requantize64
#include "transpose_conv_impl.h"
