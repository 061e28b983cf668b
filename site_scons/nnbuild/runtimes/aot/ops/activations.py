"""Activations and RSQRT, as TFLite Micro's reference kernels compute them.

RELU, RELU6 and LEAKY_RELU get small kernels, int8 and int16. LOGISTIC, TANH,
HARD_SWISH and RSQRT map each of the 256 int8 inputs through a chain of
fixed-point steps that depends only on the quantization: that chain is evaluated
here, step by step as TFLM's integer code does it (gemmlowp for LOGISTIC and TANH,
reference_ops::HardSwish, GetInvSqrtQuantizedMultiplierExp for RSQRT), into a
256-entry table that the kernel indexes. int16 LOGISTIC and TANH (16x8) run
TFLite's own int16 kernels, which interpolate in a fixed sigmoid table; int16
RSQRT computes TFLite's Newton-Raphson 1/sqrt in the kernel. TFLite Micro has no
int16 HARD_SWISH.
"""

import math

import numpy as np

from nnbuild import quant_math
from nnbuild.runtimes.aot.ops.common import (INT8, Lowering, Unsupported, activation_dtype, c_const_array,
                                             elementwise_in_place,
                                             call_with_params, kernel, quant, require_zero_point_0)
from nnbuild.quant_math import multiply_by_quantized_multiplier, rounding_divide_by_pot, wrap

F32 = np.float32


def _size(t):
    return int(np.prod(t.shape, dtype=np.int64))


def _unary(graph, op, dtypes=("int8", "int8")):
    x, y = graph.tensors[op.inputs[0]], graph.tensors[op.outputs[0]]
    if (x.dtype, y.dtype) != dtypes:
        raise Unsupported(f"input type {x.dtype} and output type {y.dtype} "
                          f"(the aot kernel takes {dtypes[0]} to {dtypes[1]})")
    return x, y


# ---- tables: TFLM's int8 code for one input value -------------------------------

def _fixed_point_input(input_scale):
    """Logistic and tanh Prepare: the input rescaled to a gemmlowp Q4.27 number.
    Returns (multiplier, left shift, radius beyond which the output saturates)."""
    q, left_shift = math.frexp(input_scale * (1 << 27))
    multiplier = int(quant_math.tflite_round(q * (1 << 31)))
    radius = math.floor(math.ldexp(15 << 27, -left_shift))  # CalculateInputRadius(4, shift, 31)
    return multiplier, left_shift, radius


def _fixed_point_table(input_scale, input_zero_point, function, output_shift, output_zero_point):
    """reference_integer_ops::Logistic and Tanh (int8): a gemmlowp function of the Q4.27 input,
    its Q0.31 result rounded to the fixed output scale 2^-output_shift."""
    multiplier, left_shift, radius = _fixed_point_input(input_scale)
    table = []
    for value in range(-128, 128):
        x = value - input_zero_point
        if x <= -radius:
            table.append(-128)
        elif x >= radius:
            table.append(127)
        else:
            q0 = function(multiply_by_quantized_multiplier(x, multiplier, left_shift), 4)
            q = rounding_divide_by_pot(q0, 31 - output_shift) + output_zero_point
            table.append(min(max(q, -128), 127))
    return table


def logistic_table(input_scale, input_zero_point):
    """LOGISTIC, whose int8 output has scale 1/256 and zero point -128 whatever the tensor says."""
    return _fixed_point_table(input_scale, input_zero_point, quant_math.gemmlowp_logistic, 8, -128)


def tanh_table(input_scale, input_zero_point):
    """TANH, whose int8 output has scale 1/128 and zero point 0 whatever the tensor says."""
    return _fixed_point_table(input_scale, input_zero_point, quant_math.gemmlowp_tanh, 7, 0)


def _int16_multiplier(real):
    """QuantizeMultiplier, then DownScaleInt32ToInt16Multiplier."""
    m, exponent = quant_math.quantize_multiplier(real)
    return (32767 if m >= (1 << 31) - 1 - (1 << 15) else (m + (1 << 15)) >> 16), exponent


def _saturating_left_shift16(value, amount):
    return min(max(value * (1 << amount), -32768), 32767)


def hard_swish_table(input_scale, input_zero_point, output_scale, output_zero_point):
    """HardSwishPrepare and reference_ops::HardSwish<int8_t>, whose arithmetic is int16."""
    hires_input_scale = F32(1.0 / 128.0) * F32(input_scale)
    out_multiplier, out_exponent = _int16_multiplier(float(hires_input_scale / F32(output_scale)))
    if out_exponent > 0:
        raise Unsupported(f"input scale {input_scale} over 128 times the output scale {output_scale} "
                          "(TFLite's int8 HARD_SWISH rejects it)")
    reluish_multiplier, reluish_exponent = _int16_multiplier(
        float(hires_input_scale / (F32(3.0) / F32(32768.0))))
    srdhm = quant_math.saturating_rounding_doubling_high_mul
    table = []
    for value in range(-128, 128):
        hires = wrap((value - input_zero_point) * 128, 16)
        preshift_output = srdhm(hires, out_multiplier, 16)
        # The input rescaled so that 3.0 is 2^15 (saturating), a "relu-ish" value in [-1, 1].
        reluish = hires
        if reluish_exponent > 0:
            reluish = _saturating_left_shift16(reluish, reluish_exponent - 1)
        reluish = srdhm(reluish, reluish_multiplier, 16)
        if reluish_exponent > 0:
            reluish = _saturating_left_shift16(reluish, 1)
        if reluish_exponent < 0:
            reluish = rounding_divide_by_pot(reluish, -reluish_exponent, 16)
        reluish = wrap((reluish + (1 << 15)) >> 1, 16)  # now in [0, 1]
        # SaturatingDoublingHighMul: like srdhm, but truncating toward zero (exact in double).
        product = reluish * preshift_output
        output = 32767 if reluish == preshift_output == -32768 else wrap(int(product / (1 << 15)), 16)
        output = wrap(rounding_divide_by_pot(output, -out_exponent, 16) + output_zero_point, 16)
        table.append(min(max(output, -128), 127))
    return table


def _rsqrt_multiplier(input_scale, output_scale):
    """SetRsqrtOutputMultiplier: std::sqrt of a float is a float, times the output scale in float.
    The kernel applies it with a shift 20 lower, which must stay within TFLite's range."""
    multiplier, shift = quant_math.quantize_multiplier(
        1.0 / float(F32(np.sqrt(F32(input_scale))) * F32(output_scale)))
    if shift - 20 < -31:
        raise Unsupported(f"input scale {input_scale} and output scale {output_scale}, whose rescaling "
                          "1 / (sqrt(input scale) * output scale) is below 2^-11")
    return multiplier, shift


def rsqrt_table(input_scale, input_zero_point, output_scale, output_zero_point):
    """PrepareAbsRsqrt and RsqrtEvalQuantized (int8). An input below the zero point is a
    negative number, for which TFLite Micro fails the invoke; its entry is 127, as for 0."""
    multiplier, shift = _rsqrt_multiplier(input_scale, output_scale)
    table = []
    for value in range(-128, 128):
        x = value - input_zero_point
        if x <= 0:
            table.append(127)
            continue
        inv_sqrt, inv_sqrt_shift = quant_math.inv_sqrt_multiplier_exp(x)
        # kShift = 20 keeps 1/sqrt(x) an integer between the two rescalings.
        data = multiply_by_quantized_multiplier(1, inv_sqrt, inv_sqrt_shift + 20)
        y = multiply_by_quantized_multiplier(data, multiplier, shift - 20) + output_zero_point
        table.append(min(max(y, -128), 127))
    return table


def _lower_table(graph, op, names, table):
    x, y = _unary(graph, op)
    p = names.op_prefix(op)
    return call_with_params(op, names, kernel("lut", "int8"), "nn_lut_params", {"size": _size(x), "table": f"{p}_table"},
                            [x, y], [c_const_array("int8_t", f"{p}_table", table, per_row=16)])


def _lower_sigmoid_s16(graph, op, names, kernel, pot_left_shifts):
    """LOGISTIC and TANH, int16: CalculateArithmeticOpDataLogistic and TanhPrepare."""
    x, y = _unary(graph, op, ("int16", "int16"))
    require_zero_point_0([x, y], f"TFLite's int16 {op.opcode} requires 0")
    log2, is_pot = quant_math.checked_log2(quant(y)[0])
    if not is_pot or log2 != -15:
        raise Unsupported(f"output scale {quant(y)[0]} (TFLite's int16 {op.opcode} needs 2^-15)")
    multiplier, shift = quant_math.int16_sigmoid_rescaling(quant(x)[0], pot_left_shifts)
    if multiplier > 32767:
        raise Unsupported(f"input scale {quant(x)[0]} (TFLite's int16 {op.opcode} takes at most 32767 / 12288)")
    fields = {"size": _size(x), "input_multiplier": multiplier, "input_right_shift": shift}
    return call_with_params(op, names, kernel, "nn_sigmoid_s16_params", fields, [x, y])


def lower_logistic(graph, op, names):
    if graph.tensors[op.inputs[0]].dtype == "int16":
        return _lower_sigmoid_s16(graph, op, names, kernel("logistic", "int16"), (0,))
    x, y = _unary(graph, op)
    if quant(y)[1] != -128:
        raise Unsupported(f"output zero point {quant(y)[1]} (TFLite's int8 LOGISTIC needs -128)")
    return _lower_table(graph, op, names, logistic_table(*quant(x)))


def lower_tanh(graph, op, names):
    if graph.tensors[op.inputs[0]].dtype == "int16":
        return _lower_sigmoid_s16(graph, op, names, kernel("tanh", "int16"), (0, 1))
    x, _ = _unary(graph, op)
    return _lower_table(graph, op, names, tanh_table(*quant(x)))


def lower_hard_swish(graph, op, names):
    x, y = _unary(graph, op)
    return _lower_table(graph, op, names, hard_swish_table(*quant(x), *quant(y)))


def lower_rsqrt(graph, op, names):
    """int8: a table; int16 (symmetric, as TFLite requires) computes 1/sqrt in the kernel."""
    if graph.tensors[op.inputs[0]].dtype == "int8":
        x, y = _unary(graph, op)
        return _lower_table(graph, op, names, rsqrt_table(*quant(x), *quant(y)))
    x, y = _unary(graph, op, ("int16", "int16"))
    require_zero_point_0([x, y], "TFLite's int16 RSQRT requires 0")
    multiplier, shift = _rsqrt_multiplier(quant(x)[0], quant(y)[0])
    return call_with_params(op, names, kernel("rsqrt", "int16"), "nn_rsqrt_params", {
        "size": _size(x), "input_zero_point": 0, "output_zero_point": 0, "multiplier": multiplier, "shift": shift,
    }, [x, y])


# ---- piecewise linear activations -------------------------------------------------

def _same_type(graph, op):
    """Input, output and their one type, int8 or int16."""
    x, y = graph.tensors[op.inputs[0]], graph.tensors[op.outputs[0]]
    return x, y, activation_dtype(graph, op, [x.index, y.index])


def lower_relu(graph, op, names):
    x, y, dtype = _same_type(graph, op)
    if dtype == "int16":
        require_zero_point_0([x, y], "TFLite's int16 RELU requires 0")
    (in_scale, in_zp), (out_scale, out_zp) = quant(x), quant(y)
    # CalculateReluOpData: the scale ratio in double. (The TFLM tree divides in float; the
    # tflite_micro package, the reference, in double, which int16 inputs tell apart.)
    multiplier, shift = quant_math.quantize_multiplier(in_scale / out_scale)
    qmin, qmax = quant_math.QRANGE[dtype]
    fields = {"size": _size(x), "input_zero_point": in_zp, "output_zero_point": out_zp,
              "multiplier": multiplier, "shift": shift, "act_min": max(qmin, out_zp), "act_max": qmax}
    return call_with_params(op, names, kernel("relu", dtype), "nn_relu_params", fields, [x, y])


def lower_relu6(graph, op, names):
    x, y, dtype = _same_type(graph, op)
    in_scale, in_zp = quant(x)
    # Relu6Prepare: FloatToQuantizedType(6.0f, input scale, input zero point).
    qmin, qmax = quant_math.QRANGE[dtype]
    six = min(max(in_zp + int(quant_math.tflite_round(float(F32(6.0) / F32(in_scale)))), qmin), qmax)
    return call_with_params(op, names, kernel("relu6", dtype), "nn_relu6_params",
                            {"size": _size(x), "lower": in_zp, "upper": six}, [x, y])


def lower_leaky_relu(graph, op, names):
    x, y, dtype = _same_type(graph, op)
    (in_scale, in_zp), (out_scale, out_zp) = quant(x), quant(y)
    alpha = float(F32(op.option("alpha", 0.0)))
    # CalculateOpDataLeakyRelu: both scale ratios in double, as for RELU.
    alpha_m, alpha_shift = quant_math.quantize_multiplier(in_scale * alpha / out_scale)
    identity_m, identity_shift = quant_math.quantize_multiplier(in_scale / out_scale)
    fields = {"size": _size(x), "input_zero_point": in_zp, "output_zero_point": out_zp,
              "identity_multiplier": identity_m, "identity_shift": identity_shift,
              "alpha_multiplier": abs(alpha_m), "alpha_shift": alpha_shift, "alpha_negative": int(alpha_m < 0)}
    return call_with_params(op, names, kernel("leaky_relu", dtype), "nn_leaky_relu_params", fields, [x, y])


LOWERINGS = {
    "LOGISTIC": Lowering(lower_logistic, in_place=elementwise_in_place),
    "TANH": Lowering(lower_tanh, in_place=elementwise_in_place),
    "HARD_SWISH": Lowering(lower_hard_swish, INT8, in_place=elementwise_in_place),
    "RSQRT": Lowering(lower_rsqrt, in_place=elementwise_in_place),
    "RELU": Lowering(lower_relu, in_place=elementwise_in_place),
    "RELU6": Lowering(lower_relu6, in_place=elementwise_in_place),
    "LEAKY_RELU": Lowering(lower_leaky_relu, in_place=elementwise_in_place),
}
