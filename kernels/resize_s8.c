/* int8 RESIZE_NEAREST_NEIGHBOR and RESIZE_BILINEAR (resize_impl.h). */
#include <stddef.h>
#include <string.h>

#include "nn_kernels.h"

#define NN_RESIZE_NEAREST nn_resize_nearest_s8
#define NN_RESIZE_BILINEAR nn_resize_bilinear_s8
#define NN_T int8_t
#include "resize_impl.h"
