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
 * loops, so every broadcast pattern runs through one loop nest, its innermost
 * loop a row of elements.
 */
#include <stddef.h>

#define NN_EW_JOIN2(a, b) a##_##b
#define NN_EW_JOIN(a, b) NN_EW_JOIN2(a, b)
#define NN_EW_HELPER(name) NN_EW_JOIN(NN_ADD, name)

/* The output value of one element from its two inputs and the operator's parameters. */
typedef NN_T (*NN_EW_HELPER(element))(const void *params, int32_t x1, int32_t x2);

/* Defines `name`, which writes the output in order, f of each element's inputs (input 2 of
 * type T2): the outer loops step the inputs by their strides, the innermost loop is a row.
 * Inlined with f a constant, so f is too. */
#define NN_EW_DEFINE_FOR_EACH(name, T2)                                                                         \
    static inline __attribute__((always_inline)) void name(const nn_broadcast *b, const void *params,           \
                                                           const NN_T *input1, const T2 *input2, NN_T *output, \
                                                           NN_EW_HELPER(element) f)                            \
    {                                                                                                           \
        const int32_t n = b->shape[3], s1 = b->stride1[3], s2 = b->stride2[3];                                  \
        for (int32_t i0 = 0; i0 < b->shape[0]; ++i0) {                                                          \
            for (int32_t i1 = 0; i1 < b->shape[1]; ++i1) {                                                      \
                for (int32_t i2 = 0; i2 < b->shape[2]; ++i2) {                                                  \
                    const NN_T *x1 = input1 + i0 * b->stride1[0] + i1 * b->stride1[1] + i2 * b->stride1[2];     \
                    const T2 *x2 = input2 + i0 * b->stride2[0] + i1 * b->stride2[1] + i2 * b->stride2[2];       \
                    for (int32_t i = 0; i < n; ++i) {                                                           \
                        output[i] = f(params, x1[i * s1], x2[i * s2]);                                          \
                    }                                                                                           \
                    output += n;                                                                                \
                }                                                                                               \
            }                                                                                                   \
        }                                                                                                       \
    }

_Static_assert(NN_BROADCAST_LOOPS == 4, "for_each runs four loops");
NN_EW_DEFINE_FOR_EACH(NN_EW_HELPER(for_each), NN_T)
NN_EW_DEFINE_FOR_EACH(NN_EW_HELPER(for_each_alpha), int8_t) /* PRELU: int8 alpha for either type */

/* ADD, SUB and SQUARED_DIFFERENCE rescale both inputs to a common scale, left-shifted by 20
 * bits (int8 ADD and SUB), 15 (int16) or 7 (int8 SQUARED_DIFFERENCE). */
static inline int32_t NN_EW_HELPER(rescale)(const nn_add_params *p, int32_t x, int32_t offset, int32_t multiplier,
                                            int32_t shift)
{
    return nn_requantize((x + offset) * (1 << p->left_shift), multiplier, shift);
}

static inline int32_t NN_EW_HELPER(rescale1)(const nn_add_params *p, int32_t x)
{
    return NN_EW_HELPER(rescale)(p, x, p->input1_offset, p->input1_multiplier, p->input1_shift);
}

static inline int32_t NN_EW_HELPER(rescale2)(const nn_add_params *p, int32_t x)
{
    return NN_EW_HELPER(rescale)(p, x, p->input2_offset, p->input2_multiplier, p->input2_shift);
}

/* The output of a rescaled result: requantized, offset and clamped. */
static inline NN_T NN_EW_HELPER(output)(const nn_add_params *p, int32_t x)
{
    const int32_t y = nn_requantize(x, p->output_multiplier, p->output_shift) + p->output_offset;
    return (NN_T)nn_clamp(y, p->act_min, p->act_max);
}

static inline NN_T NN_EW_HELPER(add)(const void *params, int32_t x1, int32_t x2)
{
    const nn_add_params *p = params;
    return NN_EW_HELPER(output)(p, NN_EW_HELPER(rescale1)(p, x1) + NN_EW_HELPER(rescale2)(p, x2));
}

static inline NN_T NN_EW_HELPER(sub)(const void *params, int32_t x1, int32_t x2)
{
    const nn_add_params *p = params;
    return NN_EW_HELPER(output)(p, NN_EW_HELPER(rescale1)(p, x1) - NN_EW_HELPER(rescale2)(p, x2));
}

/* SQUARED_DIFFERENCE: the difference of the rescaled inputs squared, then rescaled to the
 * output. The left shift (7 for int8, 0 for int16) keeps the square in int32. */
static inline NN_T NN_EW_HELPER(squared_difference)(const void *params, int32_t x1, int32_t x2)
{
    const nn_add_params *p = params;
    const int32_t diff = NN_EW_HELPER(rescale1)(p, x1) - NN_EW_HELPER(rescale2)(p, x2);
    return NN_EW_HELPER(output)(p, diff * diff);
}

void NN_ADD(const nn_add_params *p, const NN_T *input1, const NN_T *input2, NN_T *output)
{
    NN_EW_HELPER(for_each)(&p->broadcast, p, input1, input2, output, NN_EW_HELPER(add));
}

void NN_SUB(const nn_add_params *p, const NN_T *input1, const NN_T *input2, NN_T *output)
{
    NN_EW_HELPER(for_each)(&p->broadcast, p, input1, input2, output, NN_EW_HELPER(sub));
}

void NN_SQUARED_DIFFERENCE(const nn_add_params *p, const NN_T *input1, const NN_T *input2, NN_T *output)
{
    NN_EW_HELPER(for_each)(&p->broadcast, p, input1, input2, output, NN_EW_HELPER(squared_difference));
}

static inline NN_T NN_EW_HELPER(mul)(const void *params, int32_t x1, int32_t x2)
{
    const nn_mul_params *p = params;
    const int32_t product = (x1 + p->input1_offset) * (x2 + p->input2_offset);
    const int32_t y = nn_requantize(product, p->output_multiplier, p->output_shift) + p->output_offset;
    return (NN_T)nn_clamp(y, p->act_min, p->act_max);
}

void NN_MUL(const nn_mul_params *p, const NN_T *input1, const NN_T *input2, NN_T *output)
{
    NN_EW_HELPER(for_each)(&p->broadcast, p, input1, input2, output, NN_EW_HELPER(mul));
}

/* MAXIMUM and MINIMUM compare the raw values: TFLite requantizes nothing. */
static inline NN_T NN_EW_HELPER(maximum)(const void *params, int32_t x1, int32_t x2)
{
    (void)params;
    return (NN_T)(x1 > x2 ? x1 : x2);
}

static inline NN_T NN_EW_HELPER(minimum)(const void *params, int32_t x1, int32_t x2)
{
    (void)params;
    return (NN_T)(x1 < x2 ? x1 : x2);
}

void NN_MAXIMUM(const nn_broadcast *b, const NN_T *input1, const NN_T *input2, NN_T *output)
{
    NN_EW_HELPER(for_each)(b, NULL, input1, input2, output, NN_EW_HELPER(maximum));
}

void NN_MINIMUM(const nn_broadcast *b, const NN_T *input1, const NN_T *input2, NN_T *output)
{
    NN_EW_HELPER(for_each)(b, NULL, input1, input2, output, NN_EW_HELPER(minimum));
}

/* PRELU: reference_ops::BroadcastPrelu4DSlow. Inputs at or above the zero point are
 * rescaled to the output, the others multiplied by alpha (int8 for both types) first. */
static inline NN_T NN_EW_HELPER(prelu)(const void *params, int32_t input, int32_t alpha)
{
    const nn_prelu_params *p = params;
    const int32_t x = input + p->input_offset;
    const int32_t y = x >= 0 ? nn_requantize(x, p->identity_multiplier, p->identity_shift)
                             : nn_requantize(x * (alpha + p->alpha_offset), p->alpha_multiplier, p->alpha_shift);
    return (NN_T)nn_clamp(y + p->output_offset, NN_T_MIN, NN_T_MAX);
}

void NN_PRELU(const nn_prelu_params *p, const NN_T *input, const int8_t *alpha, NN_T *output)
{
    NN_EW_HELPER(for_each_alpha)(&p->broadcast, p, input, alpha, output, NN_EW_HELPER(prelu));
}

#undef NN_EW_DEFINE_FOR_EACH
#undef NN_EW_HELPER
