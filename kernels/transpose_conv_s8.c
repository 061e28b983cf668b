/* TRANSPOSE_CONV, int8, per-channel: reference_integer_ops::TransposeConv. */
#include "nn_kernels.h"
#include "nn_requantize.h"

#define NN_TRANSPOSE_CONV nn_transpose_conv_s8
#define NN_T int8_t
#define NN_ACC int32_t
#define NN_REQUANTIZE_ACC nn_requantize
#include "transpose_conv_impl.h"
