/* FULLY_CONNECTED, 16x8 (int16 activations, int8 weights): integer_ops::FullyConnected and
 * FullyConnectedPerChannel with a 64-bit accumulator and int64 bias, or, as TFLite Micro does
 * for an int32 bias, a 32-bit one. */
#include "nn_kernels.h"
#include "nn_requantize.h"

#define NN_FULLY_CONNECTED nn_fully_connected_s16
#define NN_T int16_t
#define NN_ACC int64_t
#define NN_REQUANTIZE_ACC nn_requantize64
#include "fully_connected_impl.h"

#undef NN_FULLY_CONNECTED
#undef NN_ACC
#undef NN_REQUANTIZE_ACC
#define NN_FULLY_CONNECTED nn_fully_connected_s16_acc32
#define NN_ACC int32_t
#define NN_REQUANTIZE_ACC nn_requantize
#include "fully_connected_impl.h"
