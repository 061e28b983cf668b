/* CONV_2D, int8, per-channel: integer_ops::ConvPerChannel (grouped conv included). */
#include "nn_kernels.h"
#include "nn_requantize.h"

#ifndef NN_CONV2D /* kernels/scalar64/conv2d_s8.c renames it: its fallback */
#define NN_CONV2D nn_conv2d_s8
#endif
#define NN_T int8_t
#define NN_ACC int32_t
#define NN_REQUANTIZE_ACC nn_requantize
#include "conv2d_impl.h"
