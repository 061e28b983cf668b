/* ADD, SUB and MUL, int16, with broadcasting: TFLite's general int16 paths (AddElementwise
 * with a left shift of 15, not the power-of-two-scale Add, which TFLite Micro never takes;
 * SubElementwise; MulElementwise), the same arithmetic as int8. */
#include "nn_kernels.h"
#include "nn_requantize.h"

#define NN_ADD nn_add_s16
#define NN_SUB nn_sub_s16
#define NN_MUL nn_mul_s16
#define NN_T int16_t
#include "elementwise_impl.h"
