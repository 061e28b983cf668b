/* FULLY_CONNECTED, int8, with LoongArch LSX: the portable kernel (fully_connected_impl.h)
 * with its dot products of four outputs 16 bytes at a time (nn_lsx.h). */
#include "nn_kernels.h"
#include "nn_lsx.h"
#include "nn_requantize.h"

#define NN_FULLY_CONNECTED nn_fully_connected_s8
#define NN_T int8_t
#define NN_ACC int32_t
#define NN_REQUANTIZE_ACC nn_requantize
#define NN_FC_DOT4 nn_lsx_dot_x4
#include "fully_connected_impl.h"
