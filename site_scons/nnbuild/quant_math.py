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
