/*
 * Binary element-wise operators with broadcasting: ADD, SUB and MUL
 * (reference_integer_ops::Add / Mul and reference_ops::Sub), SQUARED_DIFFERENCE,
 * MAXIMUM, MINIMUM and PRELU, with TFLite's BroadcastBinaryOpSimple loops, written
 * once for int8 and int16 and instantiated by elementwise_s8.c and elementwise_s16.c,
 * which define
 *   NN_ADD, NN_SUB, NN_MUL, NN_SQUARED_DIFFERENCE,
 *   NN_MAXIMUM, NN_MINIMUM, NN_PRELU        the kernels' names
 *   NN_T                                    the element type
 *
 * The output is written in order; nn_broadcast (built at generation time)
 * says how far each input moves per output step in each of up to four
 * loops, so every broadcast pattern runs through one loop nest.
 */
/* Where the walk over the output is: a loop index per loop and each input's offset. */
typedef struct {
    int32_t index[NN_BROADCAST_LOOPS];
    int32_t offset1, offset2;
} walk;

static int32_t walk_size(const nn_broadcast *b)
{
    int32_t size = 1;
    for (int d = 0; d < NN_BROADCAST_LOOPS; ++d) {
        size *= b->shape[d];
    }
    return size;
}

static inline void walk_next(const nn_broadcast *b, walk *w)
{
    for (int d = NN_BROADCAST_LOOPS - 1; d >= 0; --d) {
        w->offset1 += b->stride1[d];
        w->offset2 += b->stride2[d];
        if (++w->index[d] < b->shape[d]) {
            return;
        }
        w->index[d] = 0;
        w->offset1 -= b->stride1[d] * b->shape[d];
        w->offset2 -= b->stride2[d] * b->shape[d];
    }
}

/* ADD and SUB rescale both inputs to a common scale, left-shifted by 20 bits (int8) or 15 (int16). */
static inline int32_t rescale_input(int32_t x, int32_t offset, int32_t left_shift, int32_t multiplier,
                                    int32_t shift)
{
    return nn_requantize((x + offset) * (1 << left_shift), multiplier, shift);
}

static void add_or_sub(const nn_add_params *p, const NN_T *input1, const NN_T *input2,
                       NN_T *output, int subtract)
{
    const int32_t size = walk_size(&p->broadcast);
    walk w = {{0}, 0, 0};
    for (int32_t i = 0; i < size; ++i) {
        const int32_t x1 = rescale_input(input1[w.offset1], p->input1_offset, p->left_shift,
                                         p->input1_multiplier, p->input1_shift);
        const int32_t x2 = rescale_input(input2[w.offset2], p->input2_offset, p->left_shift,
                                         p->input2_multiplier, p->input2_shift);
        const int32_t sum = subtract ? x1 - x2 : x1 + x2;
        const int32_t y = nn_requantize(sum, p->output_multiplier, p->output_shift) + p->output_offset;
        output[i] = (NN_T)nn_clamp(y, p->act_min, p->act_max);
        walk_next(&p->broadcast, &w);
    }
}

void NN_ADD(const nn_add_params *p, const NN_T *input1, const NN_T *input2, NN_T *output)
{
    add_or_sub(p, input1, input2, output, 0);
}

void NN_SUB(const nn_add_params *p, const NN_T *input1, const NN_T *input2, NN_T *output)
{
    add_or_sub(p, input1, input2, output, 1);
}

void NN_MUL(const nn_mul_params *p, const NN_T *input1, const NN_T *input2, NN_T *output)
{
    const int32_t size = walk_size(&p->broadcast);
    walk w = {{0}, 0, 0};
    for (int32_t i = 0; i < size; ++i) {
        const int32_t product = (input1[w.offset1] + p->input1_offset) * (input2[w.offset2] + p->input2_offset);
        const int32_t y = nn_requantize(product, p->output_multiplier, p->output_shift) + p->output_offset;
        output[i] = (NN_T)nn_clamp(y, p->act_min, p->act_max);
        walk_next(&p->broadcast, &w);
    }
}

/* SQUARED_DIFFERENCE: both inputs rescaled as for SUB, the difference squared, then rescaled
 * to the output. The left shift (7 for int8, 0 for int16) keeps the square in int32. */
void NN_SQUARED_DIFFERENCE(const nn_add_params *p, const NN_T *input1, const NN_T *input2, NN_T *output)
{
    const int32_t size = walk_size(&p->broadcast);
    walk w = {{0}, 0, 0};
    for (int32_t i = 0; i < size; ++i) {
        const int32_t x1 = rescale_input(input1[w.offset1], p->input1_offset, p->left_shift,
                                         p->input1_multiplier, p->input1_shift);
        const int32_t x2 = rescale_input(input2[w.offset2], p->input2_offset, p->left_shift,
                                         p->input2_multiplier, p->input2_shift);
        const int32_t diff = x1 - x2;
        const int32_t y = nn_requantize(diff * diff, p->output_multiplier, p->output_shift) + p->output_offset;
        output[i] = (NN_T)nn_clamp(y, p->act_min, p->act_max);
        walk_next(&p->broadcast, &w);
    }
}

/* MAXIMUM and MINIMUM compare the raw values: TFLite requantizes nothing. */
void NN_MAXIMUM(const nn_broadcast *b, const NN_T *input1, const NN_T *input2, NN_T *output)
{
    const int32_t size = walk_size(b);
    walk w = {{0}, 0, 0};
    for (int32_t i = 0; i < size; ++i) {
        const NN_T x1 = input1[w.offset1], x2 = input2[w.offset2];
        output[i] = x1 > x2 ? x1 : x2;
        walk_next(b, &w);
    }
}

void NN_MINIMUM(const nn_broadcast *b, const NN_T *input1, const NN_T *input2, NN_T *output)
{
    const int32_t size = walk_size(b);
    walk w = {{0}, 0, 0};
    for (int32_t i = 0; i < size; ++i) {
        const NN_T x1 = input1[w.offset1], x2 = input2[w.offset2];
        output[i] = x1 < x2 ? x1 : x2;
        walk_next(b, &w);
    }
}

/* PRELU: reference_ops::BroadcastPrelu4DSlow. Inputs at or above the zero point are
 * rescaled to the output, the others multiplied by alpha (int8 for both types) first. */
void NN_PRELU(const nn_prelu_params *p, const NN_T *input, const int8_t *alpha, NN_T *output)
{
    const int32_t size = walk_size(&p->broadcast);
    walk w = {{0}, 0, 0};
    for (int32_t i = 0; i < size; ++i) {
        const int32_t x = input[w.offset1] + p->input_offset;
        int32_t y;
        if (x >= 0) {
            y = nn_requantize(x, p->identity_multiplier, p->identity_shift);
        } else {
            y = nn_requantize(x * (alpha[w.offset2] + p->alpha_offset), p->alpha_multiplier, p->alpha_shift);
        }
        output[i] = (NN_T)nn_clamp(y + p->output_offset, NN_T_MIN, NN_T_MAX);
        walk_next(&p->broadcast, &w);
    }
}
