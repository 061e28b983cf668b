/* int16 tensor operators: MEAN, PAD/PADV2, STRIDED_SLICE, TRANSPOSE, CONCATENATION, PACK,
 * SPLIT, SPLIT_V and UNPACK (tensor_ops_impl.h). */
#include <string.h>

#include "nn_kernels.h"
#include "nn_requantize.h"

#define NN_GATHER nn_gather_s16
#define NN_PAD nn_pad_s16
#define NN_MEAN nn_mean_s16
#define NN_CONCAT nn_concat_s16
#define NN_SPLIT nn_split_s16
#define NN_T int16_t
#define NN_T_MIN INT16_MIN
#define NN_T_MAX INT16_MAX
#include "tensor_ops_impl.h"
