/*
 * CONV_2D, per-channel: integer_ops::ConvPerChannel (grouped conv included), written once
 * for int8 and 16x8 and instantiated by conv2d_s8.c and conv2d_s16.c, which define
 *   NN_CONV2D          the kernel's name
 *   NN_T               the activation type
 *   NN_ACC             the accumulator and bias type
 *   NN_REQUANTIZE_ACC  MultiplyByQuantizedMultiplier for an NN_ACC
 */
void NN_CONV2D(const nn_conv_params *p, const NN_T *input, const int8_t *filter,
               const NN_ACC *bias, NN_T *output)
{
    const nn_shape4 in = p->input, fs = p->filter, out = p->output;
    const int32_t groups = in.c / fs.c;
    const int32_t filters_per_group = out.c / groups;

    for (int32_t b = 0; b < out.n; ++b) {
        for (int32_t oy = 0; oy < out.h; ++oy) {
            const int32_t iy0 = oy * p->stride_h - p->pad_h;
            for (int32_t ox = 0; ox < out.w; ++ox) {
                const int32_t ix0 = ox * p->stride_w - p->pad_w;
                for (int32_t oc = 0; oc < out.c; ++oc) {
                    const int32_t group = oc / filters_per_group;
                    NN_ACC acc = 0, padded = 0;  /* padded: the weights of taps in the padding */
                    for (int32_t fy = 0; fy < fs.h; ++fy) {
                        const int32_t iy = iy0 + p->dilation_h * fy;
                        const int8_t *row = filter + (oc * fs.h + fy) * fs.w * fs.c;
                        if (iy < 0 || iy >= in.h) {
                            padded += nn_sum_s8(row, fs.w * fs.c);
                            continue;
                        }
                        for (int32_t fx = 0; fx < fs.w; ++fx) {
                            const int32_t ix = ix0 + p->dilation_w * fx;
                            const int8_t *w = row + fx * fs.c;
                            if (ix < 0 || ix >= in.w) {
                                padded += nn_sum_s8(w, fs.c);
                                continue;
                            }
                            const NN_T *x = input + ((b * in.h + iy) * in.w + ix) * in.c
                                            + group * fs.c;
                            for (int32_t ic = 0; ic < fs.c; ++ic) {
                                acc += w[ic] * x[ic];
                            }
                        }
                    }
                    acc -= padded * p->input_offset;
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
