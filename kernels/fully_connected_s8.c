/* FULLY_CONNECTED, int8: integer_ops::FullyConnected and FullyConnectedPerChannel. */
#include "nn_kernels.h"
#include "nn_requantize.h"

#define NN_FULLY_CONNECTED nn_fully_connected_s8
#define NN_T int8_t
#define NN_ACC int32_t
#define NN_REQUANTIZE_ACC nn_requantize
#include "fully_connected_impl.h"
