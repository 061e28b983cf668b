/* Binary element-wise operators, int16, with broadcasting (elementwise_impl.h): ADD, SUB and
 * MUL take TFLite's general int16 paths (AddElementwise with a left shift of 15, not the
 * power-of-two-scale Add, which TFLite Micro never takes; SubElementwise; MulElementwise),
 * the same arithmetic as int8; SQUARED_DIFFERENCE, MAXIMUM, MINIMUM and PRELU too. */
#include "nn_kernels.h"
#include "nn_requantize.h"

#define NN_ADD nn_add_s16
#define NN_SUB nn_sub_s16
#define NN_MUL nn_mul_s16
#define NN_SQUARED_DIFFERENCE nn_squared_difference_s16
#define NN_MAXIMUM nn_maximum_s16
#define NN_MINIMUM nn_minimum_s16
#define NN_PRELU nn_prelu_s16
#define NN_T int16_t
#define NN_T_MIN INT16_MIN
#define NN_T_MAX INT16_MAX
#include "elementwise_impl.h"
