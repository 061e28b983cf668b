/* int16 RESIZE_NEAREST_NEIGHBOR (resize_impl.h); TFLite Micro's RESIZE_BILINEAR takes no int16. */
#include <stddef.h>
#include <string.h>

#include "nn_kernels.h"

#define NN_RESIZE_NEAREST nn_resize_nearest_s16
#define NN_T int16_t
#include "resize_impl.h"
