/*
 * Activations, int16: RELU, RELU6 and LEAKY_RELU (activations_impl.h), RSQRT, and LOGISTIC
 * and TANH: reference_integer_ops::Logistic / Tanh, TFLite's 16x8 path.
 *
 * The input is rescaled to steps of 1/(3 * 4096) (the code generator folds the input
 * scale into multiplier and shift), then sigmoid(|x|) is interpolated linearly in a
 * table of 256 points 1/24 apart, [0, 10.6], and mirrored for negative x;
 * tanh(x) = 2 sigmoid(2x) - 1 reads the same table at twice the rate.
 */
#include "nn_kernels.h"
#include "nn_requantize.h"

#define NN_RELU nn_relu_s16
#define NN_RELU6 nn_relu6_s16
#define NN_LEAKY_RELU nn_leaky_relu_s16
#define NN_T int16_t
#define NN_T_MIN INT16_MIN
#define NN_T_MAX INT16_MAX
#include "activations_impl.h"

/* sigmoid(i / 24) in Q0.16 (65536 = 1), TFLite's sigmoid_table_uint16. */
static const uint16_t sigmoid_table[256] = {
    32768, 33451, 34133, 34813, 35493, 36169, 36843, 37513, 38180, 38841, 39498, 40149,
    40794, 41432, 42064, 42688, 43304, 43912, 44511, 45102, 45683, 46255, 46817, 47369,
    47911, 48443, 48964, 49475, 49975, 50464, 50942, 51409, 51865, 52311, 52745, 53169,
    53581, 53983, 54374, 54755, 55125, 55485, 55834, 56174, 56503, 56823, 57133, 57433,
    57724, 58007, 58280, 58544, 58800, 59048, 59288, 59519, 59743, 59959, 60168, 60370,
    60565, 60753, 60935, 61110, 61279, 61441, 61599, 61750, 61896, 62036, 62172, 62302,
    62428, 62549, 62666, 62778, 62886, 62990, 63090, 63186, 63279, 63368, 63454, 63536,
    63615, 63691, 63765, 63835, 63903, 63968, 64030, 64090, 64148, 64204, 64257, 64308,
    64357, 64405, 64450, 64494, 64536, 64576, 64614, 64652, 64687, 64721, 64754, 64786,
    64816, 64845, 64873, 64900, 64926, 64950, 64974, 64997, 65019, 65039, 65060, 65079,
    65097, 65115, 65132, 65149, 65164, 65179, 65194, 65208, 65221, 65234, 65246, 65258,
    65269, 65280, 65291, 65301, 65310, 65319, 65328, 65337, 65345, 65352, 65360, 65367,
    65374, 65381, 65387, 65393, 65399, 65404, 65410, 65415, 65420, 65425, 65429, 65433,
    65438, 65442, 65445, 65449, 65453, 65456, 65459, 65462, 65465, 65468, 65471, 65474,
    65476, 65479, 65481, 65483, 65485, 65488, 65489, 65491, 65493, 65495, 65497, 65498,
    65500, 65501, 65503, 65504, 65505, 65507, 65508, 65509, 65510, 65511, 65512, 65513,
    65514, 65515, 65516, 65517, 65517, 65518, 65519, 65520, 65520, 65521, 65522, 65522,
    65523, 65523, 65524, 65524, 65525, 65525, 65526, 65526, 65526, 65527, 65527, 65528,
    65528, 65528, 65529, 65529, 65529, 65529, 65530, 65530, 65530, 65530, 65531, 65531,
    65531, 65531, 65531, 65532, 65532, 65532, 65532, 65532, 65532, 65533, 65533, 65533,
    65533, 65533, 65533, 65533, 65533, 65534, 65534, 65534, 65534, 65534, 65534, 65534,
    65534, 65534, 65534, 65535,
};

/* The input in steps of 1/(3 * 4096), rounded to nearest (ties up). */
static int32_t rescale(const nn_sigmoid_s16_params *p, int16_t value)
{
    const int32_t round = p->input_right_shift > 0 ? 1 << (p->input_right_shift - 1) : 0;
    return (value * p->input_multiplier + round) >> p->input_right_shift;
}

/* The table interpolated at a, a table index with `fraction_bits` fractional bits:
 * sigmoid in Q0.(16 + fraction_bits). */
static uint32_t interpolate(uint32_t a, int fraction_bits)
{
    const uint32_t lo = sigmoid_table[a >> fraction_bits], hi = sigmoid_table[(a >> fraction_bits) + 1];
    return (lo << fraction_bits) + (a & ((1u << fraction_bits) - 1)) * (hi - lo);
}

void nn_logistic_s16(const nn_sigmoid_s16_params *p, const int16_t *input, int16_t *output)
{
    for (int32_t i = 0; i < p->size; ++i) {
        const int32_t x = rescale(p, input[i]);
        const uint32_t a = (uint32_t)(x < 0 ? -x : x);
        /* A table step, 1/24, is 512 input steps: the index has 9 fractional bits. */
        const uint32_t s = (a >> 9) >= 255 ? 0x7FFFu << 10 : interpolate(a, 9);
        /* sigmoid(-x) = 1 - sigmoid(x); rounded to Q0.15. */
        const uint32_t y = x >= 0 ? s + (1u << 9) : (1u << 25) - s + (1u << 9) - 1;
        output[i] = (int16_t)(y >> 10);
    }
}

void nn_tanh_s16(const nn_sigmoid_s16_params *p, const int16_t *input, int16_t *output)
{
    for (int32_t i = 0; i < p->size; ++i) {
        const int32_t x = rescale(p, input[i]);
        const uint32_t a = (uint32_t)(x < 0 ? -x : x);
        /* sigmoid(2x): a table step is 256 input steps. */
        const int32_t s = (a >> 8) >= 255 ? 0xFFFF << 8 : (int32_t)interpolate(a, 8);
        /* 2 sigmoid(2x) - 1, odd in x; rounded to Q0.15. */
        const int32_t y = x >= 0 ? s - (1 << 23) + (1 << 7) : -s + (1 << 23) + (1 << 7) - 1;
        output[i] = (int16_t)(y >> 8);
    }
}

/* GetInvSqrtQuantizedMultiplierExp(x, kReverseShift) for x > 0: 1/sqrt(x) as a multiplier and a
 * shift, by five gemmlowp Newton-Raphson steps in Q3.28 from x normalized to [2^27, 2^29). */
static void inv_sqrt_multiplier_exp(int32_t x, int32_t *multiplier, int32_t *shift)
{
    if (x <= 1) {
        *multiplier = INT32_MAX;
        *shift = 0;
        return;
    }
    int32_t right_shift = 11;
    while (x >= (1 << 29)) {
        x /= 4;
        ++right_shift;
    }
    const int left_shift_bit_pairs = (nn_count_leading_zeros((uint32_t)x) - 1) / 2 - 1;
    right_shift -= left_shift_bit_pairs;
    x <<= 2 * left_shift_bit_pairs;
    const int32_t half_x = nn_rounding_divide_by_pot(x >> 1, 1);
    const int32_t half_three = (1 << 28) + (1 << 27);
    int32_t y = 1 << 28;
    for (int i = 0; i < 5; ++i) {
        const int32_t y3 = nn_saturating_shift_left(
            nn_saturating_rounding_doubling_high_mul(nn_saturating_rounding_doubling_high_mul(y, y), y), 6);
        const int32_t step = (int32_t)((uint32_t)nn_saturating_rounding_doubling_high_mul(half_three, y) -
                                       (uint32_t)nn_saturating_rounding_doubling_high_mul(half_x, y3));
        y = nn_saturating_shift_left(step, 3);
    }
    y = nn_saturating_rounding_doubling_high_mul(y, 1518500250); /* times sqrt(2) / 2 */
    if (right_shift < 0) {
        y = (int32_t)((uint32_t)y << -right_shift);
        right_shift = 0;
    }
    *multiplier = y;
    *shift = -right_shift;
}

/* RSQRT, int16 (symmetric): RsqrtEvalQuantized. 0 gives the maximum; so does a negative
 * input, for which TFLite Micro fails the invoke. */
void nn_rsqrt_s16(const nn_rsqrt_params *p, const int16_t *input, int16_t *output)
{
    for (int32_t i = 0; i < p->size; ++i) {
        const int32_t x = input[i] - p->input_zero_point;
        if (x <= 0) {
            output[i] = INT16_MAX;
            continue;
        }
        int32_t inv_sqrt, inv_sqrt_shift;
        inv_sqrt_multiplier_exp(x, &inv_sqrt, &inv_sqrt_shift);
        /* kShift = 20 keeps 1/sqrt(x) an integer between the two rescalings. */
        const int32_t scaled = nn_requantize(1, inv_sqrt, inv_sqrt_shift + 20);
        const int32_t y = nn_requantize(scaled, p->multiplier, p->shift - 20) + p->output_zero_point;
        output[i] = (int16_t)nn_clamp(y, INT16_MIN, INT16_MAX);
    }
}
