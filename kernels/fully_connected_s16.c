/* FULLY_CONNECTED, 16x8 (int16 activations, int8 weights, int64 bias):
 * integer_ops::FullyConnected and FullyConnectedPerChannel with a 64-bit accumulator. */
#include "nn_kernels.h"
#include "nn_requantize.h"

#define NN_FULLY_CONNECTED nn_fully_connected_s16
#define NN_T int16_t
#define NN_ACC int64_t
#define NN_REQUANTIZE_ACC nn_requantize64
#include "fully_connected_impl.h"
