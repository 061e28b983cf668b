/* CONV_2D, int8, with LoongArch LSX: the portable kernel (conv2d_impl.h) with its dot
 * products of four output channels 16 bytes at a time (nn_lsx.h). */
#include "nn_kernels.h"
#include "nn_lsx.h"
#include "nn_requantize.h"

static inline void dot4(const int8_t *x, const int8_t *const w[4], int32_t offset, int32_t n, int32_t acc[4])
{
    nn_lsx_dot_x4(x, w[0] + offset, w[1] + offset, w[2] + offset, w[3] + offset, n, acc);
}

#define NN_CONV2D nn_conv2d_s8
#define NN_T int8_t
#define NN_ACC int32_t
#define NN_REQUANTIZE_ACC nn_requantize
#define NN_CONV_DOT4 dot4
#include "conv2d_impl.h"
