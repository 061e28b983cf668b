/*
 * TRANSPOSE_CONV, per-channel: reference_integer_ops::TransposeConv, written once for int8 and
 * 16x8 and instantiated by transpose_conv_s8.c and transpose_conv_s16.c, which define
 *   NN_TRANSPOSE_CONV  the kernel's name
 *   NN_T               the activation type
 *   NN_ACC             the accumulator and bias type
 *   NN_REQUANTIZE_ACC  MultiplyByQuantizedMultiplier for an NN_ACC
 *
 * TFLite scatters each input pixel times the filter into an accumulator per output element
 * (a scratch buffer of the output's size), then requantizes. Here each output element gathers
 * the same products instead: input row iy reaches output row oy through filter row
 * fy = oy + pad_h - iy * stride_h. Integer sums do not depend on their order, so the results
 * are equal, and no scratch memory is needed.
 */
void NN_TRANSPOSE_CONV(const nn_transpose_conv_params *p, const NN_T *input, const int8_t *filter,
                       const NN_ACC *bias, NN_T *output)
{
    const nn_shape4 in = p->input, fs = p->filter, out = p->output;
    for (int32_t b = 0; b < out.n; ++b) {
        for (int32_t oy = 0; oy < out.h; ++oy) {
            for (int32_t ox = 0; ox < out.w; ++ox) {
                for (int32_t oc = 0; oc < out.c; ++oc) {
                    NN_ACC acc = 0;
                    for (int32_t fy = 0; fy < fs.h; ++fy) {
                        const int32_t ty = oy + p->pad_h - fy;  /* iy * stride_h */
                        if (ty < 0 || ty % p->stride_h != 0 || ty / p->stride_h >= in.h) {
                            continue;
                        }
                        for (int32_t fx = 0; fx < fs.w; ++fx) {
                            const int32_t tx = ox + p->pad_w - fx;
                            if (tx < 0 || tx % p->stride_w != 0 || tx / p->stride_w >= in.w) {
                                continue;
                            }
                            const NN_T *x = input + ((b * in.h + ty / p->stride_h) * in.w + tx / p->stride_w) * in.c;
                            const int8_t *w = filter + ((oc * fs.h + fy) * fs.w + fx) * fs.c;
                            for (int32_t ic = 0; ic < fs.c; ++ic) {
                                acc += (x[ic] + p->input_offset) * w[ic];
                            }
                        }
                    }
                    if (bias) {
                        acc += bias[oc];
                    }
                    const int32_t y =
                        NN_REQUANTIZE_ACC(acc, p->multiplier[oc], p->shift[oc]) + p->output_offset;
                    output[((b * out.h + oy) * out.w + ox) * out.c + oc] =
                        (NN_T)nn_clamp(y, p->act_min, p->act_max);
                }
            }
        }
    }
}
