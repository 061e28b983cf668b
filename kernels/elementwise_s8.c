/* Binary element-wise operators, int8, with broadcasting: ADD, SUB, MUL, SQUARED_DIFFERENCE,
 * MAXIMUM, MINIMUM and PRELU (elementwise_impl.h). */
#include "nn_kernels.h"
#include "nn_requantize.h"

#ifndef NN_ADD /* kernels/mve/elementwise_s8.c renames it: its fallback */
#define NN_ADD nn_add_s8
#endif
#define NN_SUB nn_sub_s8
#define NN_MUL nn_mul_s8
#define NN_SQUARED_DIFFERENCE nn_squared_difference_s8
#define NN_MAXIMUM nn_maximum_s8
#define NN_MINIMUM nn_minimum_s8
#define NN_PRELU nn_prelu_s8
#define NN_T int8_t
#define NN_T_MIN INT8_MIN
#define NN_T_MAX INT8_MAX
#include "elementwise_impl.h"
