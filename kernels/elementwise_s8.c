/* ADD, SUB and MUL, int8, with broadcasting: reference_integer_ops::Add / Mul and reference_ops::Sub. */
#include "nn_kernels.h"
#include "nn_requantize.h"

#define NN_ADD nn_add_s8
#define NN_SUB nn_sub_s8
#define NN_MUL nn_mul_s8
#define NN_T int8_t
#include "elementwise_impl.h"
