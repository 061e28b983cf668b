/*
 * SOFTMAX, int8 in, int8 or int16 out: reference_ops::Softmax, TFLite Micro's int8 path.
 *
 * exp() and 1/x are gemmlowp's fixed-point approximations (fixedpoint.h),
 * transcribed step by step: every rounding must be the same for bit-exactness.
 */
#include "nn_kernels.h"
#include "nn_requantize.h"

#define SRDHM nn_saturating_rounding_doubling_high_mul

/* exp(a) for a in [-1/4, 0), Q0.31: Taylor expansion around -1/8. */
static int32_t exp_on_interval_between_negative_one_quarter_and_0_excl(int32_t a)
{
    const int32_t constant_term = 1895147668;    /* exp(-1/8) */
    const int32_t constant_1_over_3 = 715827883;
    const int32_t x = a + (1 << 28);             /* a + 1/8 */
    const int32_t x2 = SRDHM(x, x);
    const int32_t x3 = SRDHM(x2, x);
    const int32_t x4 = SRDHM(x2, x2);
    const int32_t x4_over_4 = nn_rounding_divide_by_pot(x4, 2);
    const int32_t poly = nn_rounding_divide_by_pot(SRDHM(x4_over_4 + x3, constant_1_over_3) + x2, 1);
    return constant_term + SRDHM(constant_term, x + poly);
}

/* exp(a) for a <= 0 in Q5.26, result in Q0.31. */
static int32_t exp_on_negative_values(int32_t a)
{
    /* exp(-2^k) in Q0.31 for k = -2..4, applied for each set bit of the whole quarters. */
    static const int32_t exp_of_minus_pot[7] = {
        1672461947, 1302514674, 790015084, 290630308, 39332535, 720401, 242,
    };
    const int32_t one_quarter = 1 << 24;
    const int32_t a_mod_quarter_minus_one_quarter = (a & (one_quarter - 1)) - one_quarter;
    int32_t result = exp_on_interval_between_negative_one_quarter_and_0_excl(
        nn_saturating_shift_left(a_mod_quarter_minus_one_quarter, 5));
    const int32_t remainder = a_mod_quarter_minus_one_quarter - a;
    for (int k = 0; k < 7; ++k) {
        if (remainder & (1 << (24 + k))) {
            result = SRDHM(result, exp_of_minus_pot[k]);
        }
    }
    return a == 0 ? INT32_MAX : result;
}

/* 1 / (1 + a) for a in [0, 1), Q0.31, by Newton-Raphson division. */
static int32_t one_over_one_plus_x_for_x_in_0_1(int32_t a)
{
    /* RoundingHalfSum(a, 1.0): (a + b) / 2 rounded away from zero. */
    const int64_t sum = (int64_t)a + INT32_MAX;
    const int32_t half_denominator = (int32_t)((sum + (sum >= 0 ? 1 : -1)) / 2);
    int32_t x = 1515870810 + SRDHM(half_denominator, -1010580540); /* Q2.29: 48/17 - 32/17 d */
    for (int i = 0; i < 3; ++i) {
        const int32_t one_minus_half_denominator_times_x = (1 << 29) - SRDHM(half_denominator, x);
        x += nn_saturating_shift_left(SRDHM(x, one_minus_half_denominator_times_x), 2);
    }
    return nn_saturating_shift_left(x, 1);
}

static int32_t scaled_diff(const nn_softmax_params *p, int32_t diff)
{
    /* MultiplyByQuantizedMultiplierGreaterThanOne: the shift is a left shift. */
    return nn_requantize(diff, p->input_multiplier, p->input_left_shift);
}

/* Softmax of each row into int8 (output_bits 8) or int16 (16) outputs, whose scales are
 * 2^-output_bits and zero points the type's minimum. */
static void softmax(const nn_softmax_params *p, const int8_t *input, void *output, int output_bits)
{
    const int32_t output_min = output_bits == 8 ? INT8_MIN : INT16_MIN;
    const int32_t output_max = output_bits == 8 ? INT8_MAX : INT16_MAX;
    for (int32_t i = 0; i < p->outer; ++i) {
        const int8_t *x = input + i * p->depth;
        int32_t max_in_row = INT8_MIN;
        for (int32_t c = 0; c < p->depth; ++c) {
            max_in_row = x[c] > max_in_row ? x[c] : max_in_row;
        }
        /* Sum of exps in Q12.19 (Rescale<12> of Q0.31); the code generator keeps depth < 4096. */
        int32_t sum_of_exps = 0;
        for (int32_t c = 0; c < p->depth; ++c) {
            const int32_t diff = x[c] - max_in_row;
            if (diff >= p->diff_min) {
                sum_of_exps += nn_rounding_divide_by_pot(exp_on_negative_values(scaled_diff(p, diff)), 12);
            }
        }
        /* GetReciprocal: 1/sum as a Q0.31 value times 2^-num_bits_over_unit. */
        const int headroom_plus_one = nn_count_leading_zeros((uint32_t)sum_of_exps);
        const int num_bits_over_unit = 12 - headroom_plus_one;
        const int32_t shifted_sum_minus_one =
            (int32_t)(((uint32_t)sum_of_exps << headroom_plus_one) - (1u << 31));
        const int32_t shifted_scale = one_over_one_plus_x_for_x_in_0_1(shifted_sum_minus_one);
        /* TFLM checks exponent <= 31; beyond it (int8 outputs of a sum of at least 512) every
         * output is the minimum. */
        const int exponent = num_bits_over_unit + 31 - output_bits;
        for (int32_t c = 0; c < p->depth; ++c) {
            const int32_t diff = x[c] - max_in_row;
            int32_t out = output_min;
            if (diff >= p->diff_min && exponent <= 31) {
                const int32_t exp_in_0 = exp_on_negative_values(scaled_diff(p, diff));
                out = nn_rounding_divide_by_pot(SRDHM(shifted_scale, exp_in_0), exponent) + output_min;
            }
            out = nn_clamp(out, output_min, output_max);
            if (output_bits == 8) {
                ((int8_t *)output)[i * p->depth + c] = (int8_t)out;
            } else {
                ((int16_t *)output)[i * p->depth + c] = (int16_t)out;
            }
        }
    }
}

void nn_softmax_s8(const nn_softmax_params *p, const int8_t *input, int8_t *output)
{
    softmax(p, input, output, 8);
}

void nn_softmax_s8_s16(const nn_softmax_params *p, const int8_t *input, int16_t *output)
{
    softmax(p, input, output, 16);
}
