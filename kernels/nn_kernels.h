/*
 * nnbuild aot kernels: int8 and 16x8 reference kernels, bit-exact with TensorFlow
 * Lite Micro's reference kernels (tensorflow/lite/kernels/internal/reference).
 *
 * Tensors are NHWC, batch first. Every quantization constant (multipliers,
 * shifts, zero points, activation bounds) is computed at build time by the
 * code generator and passed in a const parameter struct, so the kernels do no
 * floating-point work.
 */
#ifndef NN_KERNELS_H
#define NN_KERNELS_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* profile=1 builds: the generated invoke calls the runner's nn_profile_node(k) before its
 * k-th operator and once more after the last, so a profiler can split an inference into
 * operators (the qemu plugin counts instructions between the calls; the Linux runner times
 * them). Other builds compile the marks away. */
#ifdef NN_PROFILE
void nn_profile_node(int32_t node);
#define NN_PROFILE_NODE(node) nn_profile_node(node)
#else
#define NN_PROFILE_NODE(node) ((void)0)
#endif

typedef struct {
    int32_t n, h, w, c;
} nn_shape4;

/* CONV_2D and DEPTHWISE_CONV_2D with per-channel requantization. The bias holds the input
 * offset times the sum of the output channel's weights (folded at build time); a tap in
 * the padding, which TFLite skips, takes its share back. */
typedef struct {
    nn_shape4 input;
    nn_shape4 filter;  /* conv: [out_c, fh, fw, in_c]; depthwise: [1, fh, fw, out_c] */
    nn_shape4 output;
    int32_t stride_h, stride_w;
    int32_t dilation_h, dilation_w;
    int32_t pad_h, pad_w;
    int32_t depth_multiplier; /* depthwise only */
    int32_t input_offset;     /* -input zero point: folded into the bias but for padding */
    int32_t output_offset;    /* output zero point */
    int32_t act_min, act_max;
    const int32_t *multiplier; /* one per output channel */
    const int32_t *shift;
} nn_conv_params;

void nn_conv2d_s8(const nn_conv_params *p, const int8_t *input, const int8_t *filter,
                  const int32_t *bias, int8_t *output);
void nn_depthwise_conv2d_s8(const nn_conv_params *p, const int8_t *input,
                            const int8_t *filter, const int32_t *bias, int8_t *output);
/* The same over its own input: `output` is `input`'s memory, `window` scratch of the filter's
 * height (dilated) in input rows (depthwise_conv2d_in_place.c). */
void nn_depthwise_conv2d_s8_in_place(const nn_conv_params *p, const int8_t *input, const int8_t *filter,
                                     const int32_t *bias, int8_t *output, int8_t *window);

/* TRANSPOSE_CONV with per-channel requantization: output pixel (oy, ox) sums
 * filter[oc][fy][fx][ic] * input[iy][ix][ic] over every iy * stride_h - pad_h + fy == oy
 * (and likewise along x), the scatter of TFLite's kernel read as a gather, which needs
 * no scratch accumulators and sums the same products. */
typedef struct {
    nn_shape4 input;
    nn_shape4 filter;         /* [out_c, fh, fw, in_c] */
    nn_shape4 output;
    int32_t stride_h, stride_w;
    int32_t pad_h, pad_w;     /* the padding of the convolution this one transposes */
    int32_t input_offset;     /* -input zero point */
    int32_t output_offset;    /* output zero point */
    int32_t act_min, act_max;
    const int32_t *multiplier; /* one per output channel */
    const int32_t *shift;
} nn_transpose_conv_params;

void nn_transpose_conv_s8(const nn_transpose_conv_params *p, const int8_t *input,
                          const int8_t *filter, const int32_t *bias, int8_t *output);

/* FULLY_CONNECTED: output[b][o] = requant(sum_d w[o][d] * in[b][d] + bias[o]), the input
 * offset folded into the bias at build time (bias[o] + input_offset * sum_d w[o][d]). */
typedef struct {
    int32_t batches, accum_depth, output_depth;
    int32_t output_offset;
    int32_t act_min, act_max;
    int32_t per_channel;       /* 0: multiplier[0]/shift[0] apply to every output */
    const int32_t *multiplier;
    const int32_t *shift;
} nn_fc_params;

void nn_fully_connected_s8(const nn_fc_params *p, const int8_t *input, const int8_t *filter,
                           const int32_t *bias, int8_t *output);

/* AVERAGE_POOL_2D and MAX_POOL_2D. */
typedef struct {
    nn_shape4 input;
    nn_shape4 output;
    int32_t filter_h, filter_w;
    int32_t stride_h, stride_w;
    int32_t pad_h, pad_w;
    int32_t act_min, act_max;
} nn_pool_params;

void nn_avg_pool_s8(const nn_pool_params *p, const int8_t *input, int8_t *output);
void nn_max_pool_s8(const nn_pool_params *p, const int8_t *input, int8_t *output);

/* ---- Tensor operators: SOFTMAX, MEAN, CONCATENATION, PACK, SPLIT, SPLIT_V, UNPACK, GATHER,
 *      PAD, STRIDED_SLICE, TRANSPOSE ---- */

#define NN_MAX_DIMS 5

/* A strided view of a tensor: element (i_0, ..., i_{rank-1}) is at
 * offset + sum(i_k * stride[k]). Strides are in elements and may be negative. */
typedef struct {
    int32_t rank;
    int32_t offset;
    int32_t shape[NN_MAX_DIMS];
    int32_t stride[NN_MAX_DIMS];
} nn_view;

/* SOFTMAX with TFLite's fixed int8 output (scale 1/256, zero point -128) over the last axis. */
typedef struct {
    int32_t outer, depth;
    int32_t input_multiplier;  /* beta * input scale in Q5.26, see PreprocessSoftmaxScaling */
    int32_t input_left_shift;
    int32_t diff_min;          /* differences from the row maximum below this give 0 */
} nn_softmax_params;

void nn_softmax_s8(const nn_softmax_params *p, const int8_t *input, int8_t *output);
/* SOFTMAX of int8 inputs to int16 outputs (scale 1/65536, zero point -32768). */
void nn_softmax_s8_s16(const nn_softmax_params *p, const int8_t *input, int16_t *output);

/* MEAN: the view lists the kept axes, then the reduced ones; every `count` elements
 * read in view order make one output. */
typedef struct {
    nn_view input;
    int32_t count;
    int32_t input_sum_offset;  /* input zero point * count */
    int32_t output_offset;     /* output zero point */
    int32_t multiplier, shift; /* input / output scale, divided by count */
} nn_mean_params;

void nn_mean_s8(const nn_mean_params *p, const int8_t *input, int8_t *output);

/* CONCATENATION and PACK: each of the `outer` output rows is one row of every input in
 * turn, copy_size[i] elements from input i. No requantization. */
typedef struct {
    int32_t inputs;
    int32_t outer;
    const int32_t *copy_size;
} nn_concat_params;

void nn_concat_s8(const nn_concat_params *p, const int8_t *const *inputs, int8_t *output);

/* SPLIT, SPLIT_V and UNPACK, the reverse: each of the `outer` input rows is cut into
 * copy_size[i] elements for output i, in turn; a NULL output (one nothing reads) is skipped. */
typedef struct {
    int32_t outputs;
    int32_t outer;
    const int32_t *copy_size;
} nn_split_params;

void nn_split_s8(const nn_split_params *p, const int8_t *input, int8_t *const *outputs);

/* GATHER: the input is [batches][outer][axis_size][inner]; for each batch and outer row, the
 * `inner` elements at each of the batch's `indices` indices are copied out in turn. */
typedef struct {
    int32_t batches, outer;
    int32_t axis_size;
    int32_t indices;  /* indices per batch */
    int32_t inner;
} nn_gather_rows_params;

void nn_gather_rows_s8(const nn_gather_rows_params *p, const int8_t *input, const int32_t *indices,
                       int8_t *output);

/* PAD and PADV2: the output is filled with pad_value, then the input is written, in
 * order, to the view of the output where it lands. */
typedef struct {
    nn_view output;
    int32_t output_size;
    int32_t pad_value;
} nn_pad_params;

void nn_pad_s8(const nn_pad_params *p, const int8_t *input, int8_t *output);

/* TRANSPOSE and STRIDED_SLICE: the output is the input's view, read in order. */
void nn_gather_s8(const nn_view *input_view, const int8_t *input, int8_t *output);

/* ---- Resizing and space/batch rearrangement: RESIZE_NEAREST_NEIGHBOR, RESIZE_BILINEAR,
 * SPACE_TO_BATCH_ND, BATCH_TO_SPACE_ND (NHWC) ---- */

/* RESIZE_NEAREST_NEIGHBOR: output pixel (y, x) is input pixel (y_index[y], x_index[x]);
 * the indices are TFLite's float rounding, evaluated at build time. */
typedef struct {
    nn_shape4 input;
    nn_shape4 output;
    const int32_t *y_index; /* output.h input rows */
    const int32_t *x_index; /* output.w input columns */
} nn_resize_nearest_params;

void nn_resize_nearest_s8(const nn_resize_nearest_params *p, const int8_t *input, int8_t *output);

/* RESIZE_BILINEAR: reference_ops::ResizeBilinearInteger, in 10 fractional bits. */
typedef struct {
    nn_shape4 input;
    nn_shape4 output;
    int32_t height_scale, width_scale; /* input / output size (or size - 1 for align_corners), Q10 */
    int32_t half_pixel_centers;
} nn_resize_bilinear_params;

void nn_resize_bilinear_s8(const nn_resize_bilinear_params *p, const int8_t *input, int8_t *output);

/* SPACE_TO_BATCH_ND: the input, padded, cut into block_h x block_w interleaved tiles; output
 * batch (sy * block_w + sx) * input.n + b holds the tile at offset (sy, sx) of input batch b.
 * A 3-D [n, h, c] tensor is [n, h, 1, c] with block_w 1. */
typedef struct {
    nn_shape4 input;
    nn_shape4 output;
    int32_t block_h, block_w;
    int32_t pad_top, pad_left;
    int32_t pad_value;
} nn_space_to_batch_params;

void nn_space_to_batch_s8(const nn_space_to_batch_params *p, const int8_t *input, int8_t *output);

/* BATCH_TO_SPACE_ND: the inverse, tiles interleaved back into space, then cropped. */
typedef struct {
    nn_shape4 input;
    nn_shape4 output;
    int32_t block_h, block_w;
    int32_t crop_top, crop_left;
} nn_batch_to_space_params;

void nn_batch_to_space_s8(const nn_batch_to_space_params *p, const int8_t *input, int8_t *output);

/* ---- Element-wise operators: ADD, SUB, MUL, SQUARED_DIFFERENCE, MAXIMUM, MINIMUM, PRELU;
 *      activations and RSQRT; QUANTIZE, DEQUANTIZE ---- */

#define NN_BROADCAST_LOOPS 4

/* How a binary operator walks its inputs while writing the output in order: loop d
 * (outermost first) runs shape[d] times and moves input k by stride<k>[d] elements,
 * 0 where input k is broadcast. Output dimensions that broadcast alike are merged
 * into one loop at build time, so any TFLite broadcast of up to 4-D fits. */
typedef struct {
    int32_t shape[NN_BROADCAST_LOOPS];
    int32_t stride1[NN_BROADCAST_LOOPS];
    int32_t stride2[NN_BROADCAST_LOOPS];
} nn_broadcast;

/* ADD and SUB: both inputs are rescaled to twice the larger input scale (after a left
 * shift), added or subtracted, and requantized to the output. */
typedef struct {
    nn_broadcast broadcast;
    int32_t input1_offset, input2_offset; /* -input zero points */
    int32_t output_offset;                /* output zero point */
    int32_t left_shift;
    int32_t input1_multiplier, input1_shift;
    int32_t input2_multiplier, input2_shift;
    int32_t output_multiplier, output_shift;
    int32_t act_min, act_max;
} nn_add_params;

void nn_add_s8(const nn_add_params *p, const int8_t *input1, const int8_t *input2, int8_t *output);
void nn_sub_s8(const nn_add_params *p, const int8_t *input1, const int8_t *input2, int8_t *output);

/* SQUARED_DIFFERENCE: both inputs rescaled as for SUB (left_shift 7 for int8, 0 for int16),
 * the difference squared and requantized to the output; act_min/act_max are the type's range. */
void nn_squared_difference_s8(const nn_add_params *p, const int8_t *input1, const int8_t *input2,
                              int8_t *output);

/* MAXIMUM and MINIMUM of the raw values (TFLite requantizes nothing). */
void nn_maximum_s8(const nn_broadcast *b, const int8_t *input1, const int8_t *input2, int8_t *output);
void nn_minimum_s8(const nn_broadcast *b, const int8_t *input1, const int8_t *input2, int8_t *output);

/* PRELU: the input's elements at or above its zero point rescaled to the output, the others
 * multiplied by their alpha (int8, broadcast as input 2) and rescaled. */
typedef struct {
    nn_broadcast broadcast;
    int32_t input_offset, alpha_offset;  /* -zero points */
    int32_t output_offset;               /* output zero point */
    int32_t identity_multiplier, identity_shift;
    int32_t alpha_multiplier, alpha_shift;
} nn_prelu_params;

void nn_prelu_s8(const nn_prelu_params *p, const int8_t *input, const int8_t *alpha, int8_t *output);

/* MUL: output = requant((in1 + input1_offset) * (in2 + input2_offset)) + output_offset. */
typedef struct {
    nn_broadcast broadcast;
    int32_t input1_offset, input2_offset, output_offset;
    int32_t output_multiplier, output_shift;
    int32_t act_min, act_max;
} nn_mul_params;

void nn_mul_s8(const nn_mul_params *p, const int8_t *input1, const int8_t *input2, int8_t *output);

/* LOGISTIC, TANH, HARD_SWISH and RSQRT: output = table[input + 128]. */
typedef struct {
    int32_t size;
    const int8_t *table;
} nn_lut_params;

void nn_lut_s8(const nn_lut_params *p, const int8_t *input, int8_t *output);

/* RELU: requantized to the output, then clamped at the output's zero. */
typedef struct {
    int32_t size;
    int32_t input_zero_point, output_zero_point;
    int32_t multiplier, shift;
    int32_t act_min, act_max;
} nn_relu_params;

void nn_relu_s8(const nn_relu_params *p, const int8_t *input, int8_t *output);

/* RELU6: the input clamped to its own quantized 0 and 6 (TFLM does not requantize). */
typedef struct {
    int32_t size;
    int32_t lower, upper;
} nn_relu6_params;

void nn_relu6_s8(const nn_relu6_params *p, const int8_t *input, int8_t *output);

/* LEAKY_RELU: inputs below the zero point are scaled by alpha, the others by 1. */
typedef struct {
    int32_t size;
    int32_t input_zero_point, output_zero_point;
    int32_t identity_multiplier, identity_shift;
    int32_t alpha_multiplier, alpha_shift; /* of |alpha| */
    int32_t alpha_negative;                /* the alpha product is negated */
} nn_leaky_relu_params;

void nn_leaky_relu_s8(const nn_leaky_relu_params *p, const int8_t *input, int8_t *output);

/* QUANTIZE between integer types: requantized from the input's scale to the output's. */
typedef struct {
    int32_t size;
    int32_t input_zero_point, output_zero_point;
    int32_t multiplier, shift;
} nn_quantize_params;

void nn_quantize_s8(const nn_quantize_params *p, const int8_t *input, int8_t *output);
void nn_quantize_s8_s16(const nn_quantize_params *p, const int8_t *input, int16_t *output);
void nn_quantize_s8_s32(const nn_quantize_params *p, const int8_t *input, int32_t *output);
void nn_quantize_s16_s8(const nn_quantize_params *p, const int16_t *input, int8_t *output);
void nn_quantize_s16(const nn_quantize_params *p, const int16_t *input, int16_t *output);
void nn_quantize_s16_s32(const nn_quantize_params *p, const int16_t *input, int32_t *output);
void nn_quantize_s32_s8(const nn_quantize_params *p, const int32_t *input, int8_t *output);
void nn_quantize_s32_s16(const nn_quantize_params *p, const int32_t *input, int16_t *output);

/* QUANTIZE from float32 and DEQUANTIZE to float32, with the integer side's scale and zero point. */
typedef struct {
    int32_t size;
    float scale;
    int32_t zero_point;
} nn_float_quant_params;

void nn_quantize_f32_s8(const nn_float_quant_params *p, const float *input, int8_t *output);
void nn_quantize_f32_s16(const nn_float_quant_params *p, const float *input, int16_t *output);
void nn_dequantize_s8_f32(const nn_float_quant_params *p, const int8_t *input, float *output);
void nn_dequantize_s16_f32(const nn_float_quant_params *p, const int16_t *input, float *output);

/* ---- 16x8: int16 activations, int8 weights, int64 bias; the int8 kernels' parameters ---- */

void nn_conv2d_s16(const nn_conv_params *p, const int16_t *input, const int8_t *filter,
                   const int64_t *bias, int16_t *output);
void nn_depthwise_conv2d_s16(const nn_conv_params *p, const int16_t *input,
                             const int8_t *filter, const int64_t *bias, int16_t *output);
void nn_depthwise_conv2d_s16_in_place(const nn_conv_params *p, const int16_t *input, const int8_t *filter,
                                      const int64_t *bias, int16_t *output, int16_t *window);
void nn_fully_connected_s16(const nn_fc_params *p, const int16_t *input, const int8_t *filter,
                            const int64_t *bias, int16_t *output);
void nn_transpose_conv_s16(const nn_transpose_conv_params *p, const int16_t *input,
                           const int8_t *filter, const int64_t *bias, int16_t *output);
/* With an int32 bias TFLite Micro's CONV_2D and FULLY_CONNECTED accumulate in int32. */
void nn_conv2d_s16_acc32(const nn_conv_params *p, const int16_t *input, const int8_t *filter,
                         const int32_t *bias, int16_t *output);
void nn_fully_connected_s16_acc32(const nn_fc_params *p, const int16_t *input, const int8_t *filter,
                                  const int32_t *bias, int16_t *output);

void nn_avg_pool_s16(const nn_pool_params *p, const int16_t *input, int16_t *output);
void nn_max_pool_s16(const nn_pool_params *p, const int16_t *input, int16_t *output);

void nn_add_s16(const nn_add_params *p, const int16_t *input1, const int16_t *input2, int16_t *output);
void nn_sub_s16(const nn_add_params *p, const int16_t *input1, const int16_t *input2, int16_t *output);
void nn_mul_s16(const nn_mul_params *p, const int16_t *input1, const int16_t *input2, int16_t *output);

void nn_squared_difference_s16(const nn_add_params *p, const int16_t *input1, const int16_t *input2,
                               int16_t *output);
void nn_maximum_s16(const nn_broadcast *b, const int16_t *input1, const int16_t *input2, int16_t *output);
void nn_minimum_s16(const nn_broadcast *b, const int16_t *input1, const int16_t *input2, int16_t *output);
void nn_prelu_s16(const nn_prelu_params *p, const int16_t *input, const int8_t *alpha, int16_t *output);

void nn_mean_s16(const nn_mean_params *p, const int16_t *input, int16_t *output);
void nn_pad_s16(const nn_pad_params *p, const int16_t *input, int16_t *output);
void nn_gather_s16(const nn_view *input_view, const int16_t *input, int16_t *output);
void nn_resize_nearest_s16(const nn_resize_nearest_params *p, const int16_t *input, int16_t *output);
void nn_concat_s16(const nn_concat_params *p, const int16_t *const *inputs, int16_t *output);
void nn_split_s16(const nn_split_params *p, const int16_t *input, int16_t *const *outputs);

/* LOGISTIC and TANH, int16 (output scale 2^-15): the input times input_multiplier, rounded
 * right by input_right_shift (TFLite's input_left_shift), indexes a sigmoid table. */
typedef struct {
    int32_t size;
    int32_t input_multiplier;
    int32_t input_right_shift;
} nn_sigmoid_s16_params;

void nn_logistic_s16(const nn_sigmoid_s16_params *p, const int16_t *input, int16_t *output);
void nn_tanh_s16(const nn_sigmoid_s16_params *p, const int16_t *input, int16_t *output);

/* SOFTMAX, int16 (output scale 2^-15) over the last axis. */
typedef struct {
    int32_t outer, depth;
    int32_t input_multiplier, input_shift; /* beta * input scale / (10 / 65535) */
    const int16_t *exp_table;              /* 513 samples of exp over [-10, 0] */
    const int16_t *reciprocal_table;       /* 513 samples of 1 / (1 + x) over [0, 1] */
} nn_softmax_s16_params;

void nn_softmax_s16(const nn_softmax_s16_params *p, const int16_t *input, int16_t *output);

void nn_relu_s16(const nn_relu_params *p, const int16_t *input, int16_t *output);
void nn_relu6_s16(const nn_relu6_params *p, const int16_t *input, int16_t *output);
void nn_leaky_relu_s16(const nn_leaky_relu_params *p, const int16_t *input, int16_t *output);

/* RSQRT, int16: 1/sqrt(input - input_zero_point), computed as TFLite does, rescaled to the
 * output (multiplier and shift of 1 / (sqrt(input scale) * output scale)). */
typedef struct {
    int32_t size;
    int32_t input_zero_point, output_zero_point;
    int32_t multiplier, shift;
} nn_rsqrt_params;

void nn_rsqrt_s16(const nn_rsqrt_params *p, const int16_t *input, int16_t *output);

/* ---- Row-streamed stages (row_stage.c): a chain of convolutions one output row at a time ---- */

#define NN_ROW_STAGE_MAX 8 /* layers in a stage */

typedef struct nn_row_layer nn_row_layer;
struct nn_row_layer {
    /* One output row from `rows` input rows with `pad_top` rows of padding above them. */
    void (*run)(const nn_row_layer *layer, const void *input, int32_t rows, int32_t pad_top, void *output);
    const void *params;    /* the op's nn_conv_params, or nn_fc_params for a pointwise one */
    const int8_t *filter;
    const void *bias;
    int32_t in_h;          /* the op's input rows */
    int32_t reach;         /* input rows an output row reads: the (dilated) filter height */
    int32_t stride, pad;   /* vertical stride and leading padding */
    int32_t in_row;        /* bytes of an input row, and of an output row */
    int32_t out_row;
    int32_t row_pixels;    /* output pixels of a row (a pointwise op's batches per row) */
    void *window;          /* `reach` input rows of scratch; NULL for the first layer */
};

void nn_row_stage(const nn_row_layer *layers, int32_t count, int32_t out_h, const void *input, void *output);

#define NN_ROW_KERNEL(name) \
    void name(const nn_row_layer *layer, const void *input, int32_t rows, int32_t pad_top, void *output);
NN_ROW_KERNEL(nn_row_conv2d_s8)
NN_ROW_KERNEL(nn_row_depthwise_conv2d_s8)
NN_ROW_KERNEL(nn_row_fully_connected_s8)
NN_ROW_KERNEL(nn_row_conv2d_s16)
NN_ROW_KERNEL(nn_row_conv2d_s16_acc32)
NN_ROW_KERNEL(nn_row_depthwise_conv2d_s16)
NN_ROW_KERNEL(nn_row_fully_connected_s16)
NN_ROW_KERNEL(nn_row_fully_connected_s16_acc32)
#undef NN_ROW_KERNEL

#ifdef __cplusplus
}
#endif

#endif /* NN_KERNELS_H */
