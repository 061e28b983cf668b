/* CONV_2D, int8, with LoongArch LSX: the portable kernel (conv2d_impl.h) with its dot
 * products of four output channels 16 bytes at a time (nn_lsx.h). */
#include "nn_kernels.h"
#include "nn_lsx.h"
#include "nn_requantize.h"

#define NN_CONV2D nn_conv2d_s8
#define NN_T int8_t
#define NN_ACC int32_t
#define NN_REQUANTIZE_ACC nn_requantize
#define NN_CONV_DOT4 nn_lsx_dot_x4
#include "conv2d_impl.h"
