/* AVERAGE_POOL_2D and MAX_POOL_2D, int8: integer_ops::AveragePool / MaxPool. */
#include "nn_kernels.h"
#include "nn_requantize.h"

#ifndef NN_AVG_POOL /* kernels/mve/pooling_s8.c renames both (it replaces them) */
#define NN_AVG_POOL nn_avg_pool_s8
#define NN_MAX_POOL nn_max_pool_s8
#endif
#define NN_T int8_t
#define NN_T_MIN INT8_MIN
#include "pooling_impl.h"
