/*
 * RESIZE_NEAREST_NEIGHBOR (reference_ops::ResizeNearestNeighbor) and RESIZE_BILINEAR
 * (reference_ops::ResizeBilinearInteger), written once and instantiated by resize_s8.c and
 * resize_s16.c, which define
 *   NN_RESIZE_NEAREST   the nearest-neighbour kernel's name
 *   NN_RESIZE_BILINEAR  the bilinear kernel's name, where TFLite Micro has one (int8 only)
 *   NN_T                the element type
 */
void NN_RESIZE_NEAREST(const nn_resize_nearest_params *p, const NN_T *input, NN_T *output)
{
    const nn_shape4 in = p->input, out = p->output;
    const size_t pixel = (size_t)in.c * sizeof(NN_T);
    for (int32_t b = 0; b < out.n; ++b) {
        const NN_T *image = input + (size_t)b * in.h * in.w * in.c;
        for (int32_t y = 0; y < out.h; ++y) {
            const NN_T *row = image + (size_t)p->y_index[y] * in.w * in.c;
            for (int32_t x = 0; x < out.w; ++x) {
                memcpy(output, row + (size_t)p->x_index[x] * in.c, pixel);
                output += in.c;
            }
        }
    }
}

#ifdef NN_RESIZE_BILINEAR
/* ComputeInterpolationValuesInteger: the source coordinate of output index `value` in Q10
 * and the two input indices around it. C division truncates toward zero, as in TFLite. */
static void source_point(int32_t value, int32_t scale, int32_t half_pixel_centers, int32_t size,
                         int32_t *point, int32_t *lower, int32_t *upper)
{
    *point = half_pixel_centers ? value * scale + scale / 2 - (1 << 9) : value * scale;
    const int32_t below = *point / (1 << 10);
    const int32_t above = (*point + (1 << 10) - 1) / (1 << 10);
    *lower = below > 0 ? below : 0;
    *upper = above < size - 1 ? above : size - 1;
}

void NN_RESIZE_BILINEAR(const nn_resize_bilinear_params *p, const NN_T *input, NN_T *output)
{
    const nn_shape4 in = p->input, out = p->output;
    for (int32_t b = 0; b < out.n; ++b) {
        const NN_T *image = input + (size_t)b * in.h * in.w * in.c;
        for (int32_t y = 0; y < out.h; ++y) {
            int32_t sy, y0, y1;
            source_point(y, p->height_scale, p->half_pixel_centers, in.h, &sy, &y0, &y1);
            const int64_t dy = sy - (y0 << 10);  /* the weight of row y1, in Q10 */
            const NN_T *row0 = image + (size_t)y0 * in.w * in.c;
            const NN_T *row1 = image + (size_t)y1 * in.w * in.c;
            for (int32_t x = 0; x < out.w; ++x) {
                int32_t sx, x0, x1;
                source_point(x, p->width_scale, p->half_pixel_centers, in.w, &sx, &x0, &x1);
                const int64_t dx = sx - (x0 << 10);
                const int64_t w00 = ((1 << 10) - dy) * ((1 << 10) - dx), w10 = dy * ((1 << 10) - dx);
                const int64_t w01 = ((1 << 10) - dy) * dx, w11 = dy * dx;
                for (int32_t c = 0; c < in.c; ++c) {
                    const int64_t sum = row0[x0 * in.c + c] * w00 + row1[x0 * in.c + c] * w10
                                        + row0[x1 * in.c + c] * w01 + row1[x1 * in.c + c] * w11;
                    /* Q20 to an integer, half away from zero (TFLite without single rounding). */
                    const int64_t round = sum > 0 ? (1 << 19) : -(1 << 19);
                    *output++ = (NN_T)((sum + round) / (1 << 20));
                }
            }
        }
    }
}
#endif
