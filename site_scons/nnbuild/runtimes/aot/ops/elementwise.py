"""Binary element-wise operators with broadcasting, int8 or int16: ADD, SUB and MUL
(integer_ops::Add / Mul and reference_ops::Sub), SQUARED_DIFFERENCE, MAXIMUM and
MINIMUM, and PRELU (an int8 alpha tensor broadcast against the input).

TFLite Micro runs int16 ADD and SUB through the same general rescaling as int8
(with a left shift of 15 instead of 20), never through the power-of-two-scale
int16 Add of TFLite; int16 MUL is int8's MUL on symmetric tensors. MAXIMUM and
MINIMUM compare raw values and requantize nothing, as TFLite Micro does."""

from nnbuild import quant_math
from nnbuild.c_literals import c_array
from nnbuild.runtimes.aot.ops.common import (Lowering, Unsupported, activation_dtype, call_with_params,
                                             elementwise_in_place,
                                             fused_activation_range, kernel, quant, require_zero_point_0)

LOOPS = 4  # NN_BROADCAST_LOOPS


def broadcast_loops(shape1, shape2, out_shape):
    """The nn_broadcast of a binary op: [(extent, stride1, stride2)], outermost loop first.

    Output dimensions of extent 1 are dropped and neighbours in which the same inputs
    are broadcast merge into one loop, as TFLM's BroadcastBinaryOpSimple fuses them."""
    rank = max(len(shape1), len(shape2), len(out_shape))
    s1, s2, so = ([1] * (rank - len(s)) + list(s) for s in (shape1, shape2, out_shape))
    for d1, d2, do in zip(s1, s2, so):
        if do != max(d1, d2) or d1 not in (1, do) or d2 not in (1, do):
            raise Unsupported(f"input shapes {list(shape1)} and {list(shape2)} that do not "
                              f"broadcast to the output shape {list(out_shape)}")
    loops = []  # innermost first: [extent, input 1 broadcast, input 2 broadcast]
    for d1, d2, do in reversed(list(zip(s1, s2, so))):
        if do == 1:
            continue
        pattern = (d1 == 1, d2 == 1)
        if loops and tuple(loops[-1][1:]) == pattern:
            loops[-1][0] *= do
        else:
            loops.append([do, *pattern])
    if len(loops) > LOOPS:
        raise Unsupported(f"a broadcast of shapes {list(shape1)} and {list(shape2)} that needs "
                          f"{len(loops)} loops (at most {LOOPS})")
    result, size1, size2 = [], 1, 1
    for extent, broadcast1, broadcast2 in loops:
        result.append((extent, 0 if broadcast1 else size1, 0 if broadcast2 else size2))
        size1 *= 1 if broadcast1 else extent
        size2 *= 1 if broadcast2 else extent
    result += [(1, 0, 0)] * (LOOPS - len(result))
    return result[::-1]


def _broadcast_init(x1, x2, y):
    """A C nn_broadcast initializer."""
    extents, strides1, strides2 = zip(*broadcast_loops(x1.shape, x2.shape, y.shape))
    return f"{{.shape = {c_array(extents)}, .stride1 = {c_array(strides1)}, .stride2 = {c_array(strides2)}}}"


def _operands(graph, op):
    x1, x2, y = (graph.tensors[i] for i in (op.inputs[0], op.inputs[1], op.outputs[0]))
    return x1, x2, y, activation_dtype(graph, op, [x1.index, x2.index, y.index])


def _smaller_than_one(real, what):
    """QuantizeMultiplierSmallerThanOneExp, whose range check fails TFLM's Prepare."""
    if not 0.0 < real < 1.0:
        raise Unsupported(f"{what} rescaling factor {real} (TFLite needs it in (0, 1))")
    return quant_math.quantize_multiplier(real)


def _add_sub_multipliers(s1, s2, so, left_shift):
    """CalculateOpDataAdd / CalculateOpDataSub, both in double. (The TFLM tree computes SUB's
    in float32; the tflite_micro package, the reference, in double, which int16 tells apart.)"""
    twice_max = 2 * max(s1, s2)
    reals = (s1 / twice_max, s2 / twice_max, twice_max / ((1 << left_shift) * so))
    names = ("input 1", "input 2", "output")
    return [_smaller_than_one(r, n) for r, n in zip(reals, names)]


def _lower_add_sub(graph, op, names, subtract):
    x1, x2, y, dtype = _operands(graph, op)
    s1, s2, so = quant(x1)[0], quant(x2)[0], quant(y)[0]
    left_shift = 20 if dtype == "int8" else 15  # int16 << 15 still fits int32
    (m1, sh1), (m2, sh2), (mo, sho) = _add_sub_multipliers(s1, s2, so, left_shift)
    return _call_with_add_params(op, names, kernel("sub" if subtract else "add", dtype), (x1, x2, y), left_shift,
                                 ((m1, sh1), (m2, sh2), (mo, sho)), fused_activation_range(op, y))


def _call_with_add_params(op, names, function, tensors, left_shift, multipliers, act_range):
    """The call of an nn_add_params kernel (ADD, SUB, SQUARED_DIFFERENCE): inputs rescaled by
    the first two multipliers after `left_shift`, the result by the third."""
    x1, x2, y = tensors
    (m1, sh1), (m2, sh2), (mo, sho) = multipliers
    return call_with_params(op, names, function, "nn_add_params", {
        "broadcast": _broadcast_init(x1, x2, y),
        "input1_offset": -quant(x1)[1], "input2_offset": -quant(x2)[1], "output_offset": quant(y)[1],
        "left_shift": left_shift,
        "input1_multiplier": m1, "input1_shift": sh1, "input2_multiplier": m2, "input2_shift": sh2,
        "output_multiplier": mo, "output_shift": sho, "act_min": act_range[0], "act_max": act_range[1],
    }, [x1, x2, y])


def lower_add(graph, op, names):
    return _lower_add_sub(graph, op, names, subtract=False)


def lower_sub(graph, op, names):
    return _lower_add_sub(graph, op, names, subtract=True)


def lower_mul(graph, op, names):
    x1, x2, y, dtype = _operands(graph, op)
    if dtype == "int16":
        require_zero_point_0([x1, x2, y], "TFLite's int16 MUL requires 0")
    (s1, zp1), (s2, zp2), (so, zpo) = quant(x1), quant(x2), quant(y)
    m, shift = quant_math.quantize_multiplier(s1 * s2 / so)  # CalculateOpDataMul, in double
    act_min, act_max = fused_activation_range(op, y)
    return call_with_params(op, names, kernel("mul", dtype), "nn_mul_params", {
        "broadcast": _broadcast_init(x1, x2, y),
        "input1_offset": -zp1, "input2_offset": -zp2, "output_offset": zpo,
        "output_multiplier": m, "output_shift": shift, "act_min": act_min, "act_max": act_max,
    }, [x1, x2, y])


def _lower_max_min(graph, op, names, kind):
    x1, x2, y, dtype = _operands(graph, op)
    extents, strides1, strides2 = zip(*broadcast_loops(x1.shape, x2.shape, y.shape))
    return call_with_params(op, names, kernel(kind, dtype), "nn_broadcast", {
        "shape": c_array(extents), "stride1": c_array(strides1), "stride2": c_array(strides2),
    }, [x1, x2, y])


def lower_maximum(graph, op, names):
    return _lower_max_min(graph, op, names, "maximum")


def lower_minimum(graph, op, names):
    return _lower_max_min(graph, op, names, "minimum")


def lower_squared_difference(graph, op, names):
    """SquaredDifferencePrepare: ADD's rescaling (in double) with a left shift of 7 for int8
    (255^2 * 2^14 fits int32) and 0 for int16, then the square rescaled to the output."""
    x1, x2, y, dtype = _operands(graph, op)
    if dtype == "int16":
        require_zero_point_0([x1, x2, y], "TFLite's int16 SQUARED_DIFFERENCE requires 0")
    s1, s2, so = quant(x1)[0], quant(x2)[0], quant(y)[0]
    left_shift = 7 if dtype == "int8" else 0
    twice_max = 2 * max(s1, s2)
    (m1, sh1), (m2, sh2) = (_smaller_than_one(s / twice_max, what) for s, what in ((s1, "input 1"), (s2, "input 2")))
    # (1 << 2 * left_shift) * output scale is a float product, exact.
    mo, sho = quant_math.quantize_multiplier(twice_max * twice_max / ((1 << 2 * left_shift) * so))
    return _call_with_add_params(op, names, kernel("squared_difference", dtype), (x1, x2, y), left_shift,
                                 ((m1, sh1), (m2, sh2), (mo, sho)), quant_math.QRANGE[dtype])


def lower_prelu(graph, op, names):
    """CalculatePreluParams: input / output and input * alpha / output scales, in double."""
    x, alpha, y = (graph.tensors[i] for i in (op.inputs[0], op.inputs[1], op.outputs[0]))
    dtype = activation_dtype(graph, op, [x.index, y.index])
    if alpha.dtype != "int8":
        raise Unsupported(f"alpha '{alpha.name}' of type {alpha.dtype} (TFLite Micro's PRELU takes an int8 alpha)")
    (s_in, zp_in), (s_alpha, zp_alpha), (s_out, zp_out) = quant(x), quant(alpha), quant(y)
    m1, sh1 = quant_math.quantize_multiplier(s_in / s_out)
    m2, sh2 = quant_math.quantize_multiplier(s_in * s_alpha / s_out)
    return call_with_params(op, names, kernel("prelu", dtype), "nn_prelu_params", {
        "broadcast": _broadcast_init(x, alpha, y),
        "input_offset": -zp_in, "alpha_offset": -zp_alpha, "output_offset": zp_out,
        "identity_multiplier": m1, "identity_shift": sh1, "alpha_multiplier": m2, "alpha_shift": sh2,
    }, [x, alpha, y])


LOWERINGS = {name: Lowering(lower, in_place=elementwise_in_place) for name, lower in {
    "ADD": lower_add, "SUB": lower_sub, "MUL": lower_mul, "SQUARED_DIFFERENCE": lower_squared_difference,
    "MAXIMUM": lower_maximum, "MINIMUM": lower_minimum, "PRELU": lower_prelu,
}.items()}
