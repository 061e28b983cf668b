"""Build-time quantization constants, computed exactly as TFLite Micro computes them.

Every function mirrors one in tensorflow/lite/kernels/kernel_util.cc,
quantization_util.cc or padding.h, including where TFLite rounds in float32
and where in double, so that generated code is bit-exact with the reference
interpreter.
"""

import math

import numpy as np

ACTIVATIONS = {0: "NONE", 1: "RELU", 2: "RELU_N1_TO_1", 3: "RELU6", 4: "TANH", 5: "SIGN_BIT", 6: "SIGMOID"}
QRANGE = {"int8": (-128, 127), "int16": (-32768, 32767)}


def tflite_round(x):
    """std::round: half away from zero."""
    return math.floor(x + 0.5) if x >= 0 else math.ceil(x - 0.5)


def quantize_multiplier(real):
    """QuantizeMultiplier: a double as a Q31 significand and a power-of-two shift."""
    if real == 0.0:
        return 0, 0
    q, shift = math.frexp(real)
    q_fixed = int(tflite_round(q * (1 << 31)))
    if q_fixed == (1 << 31):
        q_fixed //= 2
        shift += 1
    if shift < -31:
        return 0, 0
    return q_fixed, shift


def per_channel_multipliers(input_scale, filter_scales, output_scale, channels):
    """PopulateConvolutionQuantizationParams: double(input) * double(filter) / double(output)."""
    scales = np.asarray(filter_scales, dtype=np.float32)
    if scales.size == 1:
        scales = np.repeat(scales, channels)
    mults, shifts = [], []
    for s in scales:
        m, sh = quantize_multiplier(float(np.float32(input_scale)) * float(s) / float(np.float32(output_scale)))
        mults.append(m)
        shifts.append(sh)
    return mults, shifts


def per_tensor_multiplier(input_scale, filter_scale, output_scale):
    """GetQuantizedConvolutionMultipler: the scale product is rounded to float32 first."""
    product = float(np.float32(input_scale) * np.float32(filter_scale))
    return quantize_multiplier(product / float(np.float32(output_scale)))


def _quantize_value(scale, zero_point, value):
    # kernel_util.cc Quantize(): float division and rounding in float32.
    return int(zero_point) + int(tflite_round(float(np.float32(value) / np.float32(scale))))


def activation_range(activation, dtype, scale, zero_point):
    """CalculateActivationRangeQuantized for a fused activation code."""
    qmin, qmax = QRANGE[dtype]
    name = ACTIVATIONS.get(activation, str(activation))
    if name == "NONE":
        return qmin, qmax
    if name == "RELU":
        return max(qmin, _quantize_value(scale, zero_point, 0.0)), qmax
    if name == "RELU6":
        return (max(qmin, _quantize_value(scale, zero_point, 0.0)),
                min(qmax, _quantize_value(scale, zero_point, 6.0)))
    if name == "RELU_N1_TO_1":
        return (max(qmin, _quantize_value(scale, zero_point, -1.0)),
                min(qmax, _quantize_value(scale, zero_point, 1.0)))
    raise ValueError(name)


def same_or_valid_padding(padding, in_size, filter_size, stride, dilation):
    """ComputePaddingHeightWidth for one dimension: (output size, leading padding)."""
    effective = (filter_size - 1) * dilation + 1
    if padding == 0:  # SAME
        out = (in_size + stride - 1) // stride
    else:             # VALID
        out = (in_size + stride - effective) // stride
    total = max((out - 1) * stride + effective - in_size, 0)
    return out, total // 2


def softmax_input_params(beta, input_scale):
    """int8 SOFTMAX's Prepare (CalculateSoftmaxParams): PreprocessSoftmaxScaling with 5 integer
    bits, then diff_min = -CalculateInputRadius. Returns (multiplier, left shift, diff_min)."""
    integer_bits = 5
    real = min(float(np.float32(beta)) * float(np.float32(input_scale)) * (1 << (31 - integer_bits)),
               (1 << 31) - 1.0)
    multiplier, left_shift = quantize_multiplier(real)  # QuantizeMultiplierGreaterThanOne
    radius = math.floor(((1 << integer_bits) - 1) * (1 << (31 - integer_bits)) / 2.0 ** left_shift)
    return multiplier, left_shift, -radius


def mean_multiplier(input_scale, output_scale, count):
    """int8 MEAN: QuantizeMultiplier(input / output scale) in Prepare, then 1/count folded in
    as reference_ops::QuantizedMeanOrSum does (shift clamped, multiplier truncated)."""
    multiplier, shift = quantize_multiplier(float(np.float32(input_scale)) / float(np.float32(output_scale)))
    fold = min(count.bit_length() - 1, 32, 31 + shift)
    return (multiplier << fold) // count, shift - fold


# Integer arithmetic of the reference kernels (gemmlowp fixedpoint.h, common.h), for
# evaluating TFLite's integer code paths at build time, e.g. into lookup tables.
# Python integers do not overflow: `wrap` gives C's two's-complement narrowing.

def wrap(x, bits=32):
    """x narrowed to a signed `bits`-bit integer, as a static_cast does."""
    return (x + (1 << (bits - 1))) % (1 << bits) - (1 << (bits - 1))


def _c_div(a, b):
    """C integer division: truncates toward zero."""
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b > 0) else -q


def saturating_rounding_doubling_high_mul(a, b, bits=32):
    lo = -(1 << (bits - 1))
    if a == b == lo:
        return -lo - 1
    ab = a * b
    nudge = (1 << (bits - 2)) if ab >= 0 else 1 - (1 << (bits - 2))
    return wrap(_c_div(ab + nudge, 1 << (bits - 1)), bits)


def rounding_divide_by_pot(x, exponent, bits=32):
    mask = wrap((1 << exponent) - 1, bits)
    threshold = wrap((mask >> 1) + (1 if x < 0 else 0), bits)
    return wrap((x >> exponent) + (1 if (x & mask) > threshold else 0), bits)


def saturating_rounding_multiply_by_pot(x, exponent, bits=32):
    if exponent <= 0:
        return rounding_divide_by_pot(x, -exponent, bits)
    limit = (1 << (bits - 1 - exponent)) - 1
    if x > limit:
        return (1 << (bits - 1)) - 1
    if x < -limit:
        return -(1 << (bits - 1))
    return wrap(x << exponent, bits)


def multiply_by_quantized_multiplier(x, multiplier, shift):
    """MultiplyByQuantizedMultiplier (int32, double rounding): what nn_requantize computes."""
    left, right = max(shift, 0), max(-shift, 0)
    return rounding_divide_by_pot(saturating_rounding_doubling_high_mul(wrap(x << left), multiplier), right)


# gemmlowp fixed point (int32 raw values): a FixedPoint<int32_t, k> is its raw value and
# k; multiplying two adds their integer bits, Rescale<k> is a rounding multiply by 2^(k_src - k).

def _fp_mul(a, b):
    return saturating_rounding_doubling_high_mul(a, b)


def _exp_on_interval_between_negative_one_quarter_and_0_excl(a):
    constant_term, one_third = 1895147668, 715827883  # exp(-1/8), 1/3 in Q0.31
    x = wrap(a + (1 << 28))
    x2 = _fp_mul(x, x)
    x3 = _fp_mul(x2, x)
    x4 = _fp_mul(x2, x2)
    x4_over_4 = rounding_divide_by_pot(x4, 2)
    poly = rounding_divide_by_pot(wrap(_fp_mul(wrap(x4_over_4 + x3), one_third) + x2), 1)
    return wrap(constant_term + _fp_mul(constant_term, wrap(x + poly)))


def exp_on_negative_values(a, integer_bits):
    """gemmlowp::exp_on_negative_values: raw Q0.31 exp(a) of a raw FixedPoint<int32, integer_bits> a <= 0."""
    fractional_bits = 31 - integer_bits
    one_quarter = 1 << (fractional_bits - 2)
    a_mod_quarter_minus_one_quarter = wrap((a & (one_quarter - 1)) - one_quarter)
    result = _exp_on_interval_between_negative_one_quarter_and_0_excl(
        saturating_rounding_multiply_by_pot(a_mod_quarter_minus_one_quarter, integer_bits))
    remainder = wrap(a_mod_quarter_minus_one_quarter - a)
    barrel = [(-2, 1672461947), (-1, 1302514674), (0, 790015084), (1, 290630308),
              (2, 39332535), (3, 720401), (4, 242)]  # exp(-2^e) in Q0.31
    for exponent, multiplier in barrel:
        if integer_bits > exponent and remainder & (1 << (fractional_bits + exponent)):
            result = _fp_mul(result, multiplier)
    if integer_bits > 5 and a < -(1 << (36 - integer_bits)):
        result = 0
    return (1 << 31) - 1 if a == 0 else result


def _one_over_one_plus_x_newton(a):
    """gemmlowp's Newton-Raphson division for a raw Q0.31 a in (0, 1): raw Q2.29 2 / (1 + a)."""
    s = a + (1 << 31) - 1  # RoundingHalfSum(a, One): (sum + sign) / 2 in 64 bits
    half_denominator = wrap(_c_div(s + (1 if s >= 0 else -1), 2))
    x = wrap(1515870810 + _fp_mul(half_denominator, -1010580540))  # 48/17 - 32/17 * d in Q2.29
    one_q2 = 1 << 29
    for _ in range(3):
        one_minus_dx = wrap(one_q2 - _fp_mul(half_denominator, x))
        x = wrap(x + saturating_rounding_multiply_by_pot(_fp_mul(x, one_minus_dx), 2))
    return x


def gemmlowp_logistic(a, integer_bits):
    """gemmlowp::logistic of a raw FixedPoint<int32, integer_bits>: raw Q0.31."""
    if a == 0:
        return 1 << 30
    positive = a > 0
    e = exp_on_negative_values(-a if positive else a, integer_bits)
    # one_over_one_plus_x_for_x_in_0_1: Rescale<0>(ExactMulByPot<-1>(x)), Q1.30 -> Q0.31
    result = saturating_rounding_multiply_by_pot(_one_over_one_plus_x_newton(e), 1)
    return result if positive else wrap((1 << 31) - 1 - result)


def gemmlowp_tanh(a, integer_bits):
    """gemmlowp::tanh of a raw FixedPoint<int32, integer_bits>: raw Q0.31."""
    if a == 0:
        return 0
    n = a if a < 0 else -a
    # neg_tanh_on_negative_values: exp of 2n (ExactMulByPot<1>: one more integer bit),
    # then one_minus_x_over_one_plus_x_for_x_in_0_1: Rescale<0>(x - One) from Q2.29.
    e = exp_on_negative_values(n, integer_bits + 1)
    t = saturating_rounding_multiply_by_pot(wrap(_one_over_one_plus_x_newton(e) - (1 << 29)), 2)
    return wrap(-t) if a < 0 else t


def inv_sqrt_multiplier_exp(value):
    """GetInvSqrtQuantizedMultiplierExp(value, kReverseShift): 1/sqrt(value) of an int32 value > 0
    as (multiplier, shift), by gemmlowp Newton-Raphson iterations in Q3.28."""
    if value <= 1:
        return (1 << 31) - 1, 0
    shift = 11
    while value >= 1 << 29:
        value //= 4
        shift += 1
    left_shift_bit_pairs = (32 - value.bit_length() - 1) // 2 - 1  # CountLeadingZeros - 1, in pairs
    shift -= left_shift_bit_pairs
    value <<= 2 * left_shift_bit_pairs
    half_input = rounding_divide_by_pot(value >> 1, 1)
    half_three = (1 << 28) + (1 << 27)  # 1.5 in Q3.28
    x = 1 << 28                         # 1.0
    for _ in range(5):
        x3 = saturating_rounding_multiply_by_pot(_fp_mul(_fp_mul(x, x), x), 6)  # Rescale<3> of Q9.22
        x = saturating_rounding_multiply_by_pot(wrap(_fp_mul(half_three, x) - _fp_mul(half_input, x3)), 3)
    x = _fp_mul(x, 1518500250)  # sqrt(2) / 2 in Q0.31
    if shift < 0:
        x, shift = wrap(x << -shift), 0
    return x, -shift


# 16x8 (int16 activations): build-time constants of TFLite Micro's int16 kernels.

def checked_log2(x):
    """CheckedLog2, in float32 as TFLite computes it: (log2(x) rounded, whether x is a power
    of two, i.e. whether log2(x) is within 1e-3 of an integer)."""
    f = np.float32
    x_log2 = f(np.log(f(x))) * (f(1.0) / f(np.log(f(2.0))))
    rounded = f(tflite_round(float(x_log2)))
    return int(rounded), abs(float(x_log2 - rounded)) < float(f(1e-3))


def int16_sigmoid_rescaling(input_scale, pot_left_shifts):
    """int16 LOGISTIC and TANH Prepare: (multiplier, right shift) that take an input to steps
    of 1/(3 * 4096) for reference_integer_ops::Logistic / Tanh. A power-of-two input scale
    whose shift is in `pot_left_shifts` takes the kernel's exact path, multiplier 3 << shift."""
    log2, is_pot = checked_log2(input_scale)
    left_shift = 12 + log2  # (15 - 3 input integer bits) + log2(scale)
    if is_pot and left_shift in pot_left_shifts:
        return 3 << left_shift, 0
    multiplier, shift = float(np.float32(input_scale)) * 4096.0 * 3.0, 0
    while multiplier <= 32767.0 / 2.0 and shift <= 30:
        shift += 1
        multiplier *= 2.0
    return int(multiplier), shift


def lut_int16(transform, input_scale, input_zero_point, output_scale, output_zero_point):
    """LUTPopulateInt16<float>: 513 samples of a float32 function over the int16 input range,
    each lowered by half the interpolation error at its interval's midpoint."""
    f = np.float32

    def rnd(v):
        return f(tflite_round(float(v)))

    def clamp(v):
        return int(min(max(v, f(-32768)), f(32767)))

    input_min = f(input_scale) * f(-32768 - input_zero_point)
    input_max = f(input_scale) * f(32767 - input_zero_point)
    output_range = f(output_scale) * f(32767 - output_zero_point) - f(output_scale) * f(-32768 - output_zero_point)
    step = (input_max - input_min) / f(512)
    scaling = f(65536) / output_range
    table = []
    for i in range(512):
        x = input_min + f(i) * step
        value, midpoint, following = transform(x), transform(x + step / f(2)), transform(input_min + f(i + 1) * step)
        interpolated = rnd((following * scaling + rnd(value * scaling)) / f(2))
        bias = rnd((interpolated - rnd(midpoint * scaling)) / f(2))
        table.append(clamp(rnd(value * scaling) - bias))
    table.append(clamp(rnd(transform(input_max) * scaling)))
    return table


def softmax_int16_tables():
    """int16 SOFTMAX's Prepare (InitializeLutForInt16): exp over [-10, 0] and 1 / (1 + x)
    over [0, 1], both to an output range of [-1, 1]. expf is taken as exp in double rounded
    to float32."""
    f = np.float32
    exp_table = lut_int16(lambda v: f(math.exp(float(v))), f(10.0) / f(65535), 32767, f(2.0) / f(65535), 0)
    reciprocal_table = lut_int16(lambda v: f(1.0) / (f(1.0) + v), f(1.0) / f(65535), -32768,
                                 f(2.0) / f(65535), 0)
    return exp_table, reciprocal_table
