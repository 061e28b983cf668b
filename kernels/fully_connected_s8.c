/* FULLY_CONNECTED, int8: integer_ops::FullyConnected and FullyConnectedPerChannel. */
#include "nn_kernels.h"
#include "nn_requantize.h"

#ifndef NN_FULLY_CONNECTED /* kernels/scalar64/fully_connected_s8.c renames it: its fallback */
#define NN_FULLY_CONNECTED nn_fully_connected_s8
#endif
#define NN_T int8_t
#define NN_ACC int32_t
#define NN_REQUANTIZE_ACC nn_requantize
#include "fully_connected_impl.h"
