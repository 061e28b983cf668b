"""CONV_2D, DEPTHWISE_CONV_2D and TRANSPOSE_CONV: integer_ops::ConvPerChannel /
DepthwiseConvPerChannel / TransposeConv, int8 or 16x8 (int16 activations, int8 weights, int64
bias accumulated in int64; CONV_2D also with an int32 bias, accumulated in int32, as TFLite
Micro does)."""

from dataclasses import dataclass

import numpy as np

from nnbuild import quant_math
from nnbuild.runtimes.aot.ops.common import (LoweredOp, Lowering, Unsupported, accumulator_variant, activation_dtype,
                                             c_const_array, c_struct, check_int64_requantization, fused_activation_range,
                                             kernel, kernel_call, optional_input, quant, require_zero_point_0, shape4,
                                             weighted_call, weighted_operands)


@dataclass(frozen=True)
class Geometry:
    stride_h: int
    stride_w: int
    dilation_h: int
    dilation_w: int
    filter_h: int
    filter_w: int
    pad_h: int  # rows and columns of padding before the input
    pad_w: int


def geometry(graph, op):
    """A convolution's strides, dilations, filter size and leading padding: its padding option's,
    or that of a PAD folded into it (Operator.padding)."""
    x, w, y = graph.tensors[op.inputs[0]], graph.tensors[op.inputs[1]], graph.tensors[op.outputs[0]]
    if len(x.shape) != 4:
        raise Unsupported(f"input of rank {len(x.shape)} (NHWC expected)")
    stride_h, stride_w = op.option("strideH", 1), op.option("strideW", 1)
    dil_h, dil_w = op.option("dilationHFactor", 1), op.option("dilationWFactor", 1)
    _, fh, fw, _ = w.shape
    top, bottom, left, right = op.padding or (0, 0, 0, 0)
    padding = op.option("padding")
    oh, pad_h = quant_math.same_or_valid_padding(padding, x.shape[1] + top + bottom, fh, stride_h, dil_h)
    ow, pad_w = quant_math.same_or_valid_padding(padding, x.shape[2] + left + right, fw, stride_w, dil_w)
    if (oh, ow) != tuple(y.shape[1:3]):
        raise Unsupported(f"output shape {list(y.shape)} that does not follow from its padding and strides")
    return Geometry(stride_h, stride_w, dil_h, dil_w, fh, fw, pad_h + top, pad_w + left)


def _lower_conv(graph, op, names, depthwise):
    # TFLite Micro's int16 DEPTHWISE_CONV_2D has no int32-bias variant.
    x, w, b, y, dtype, acc = weighted_operands(graph, op, int32_16x8_variant=not depthwise)
    if dtype == "int16":
        require_zero_point_0([x, y], "TFLite's int16 convolutions ignore zero points")
    g = geometry(graph, op)
    fh, fw, stride_h, stride_w, pad_h, pad_w = g.filter_h, g.filter_w, g.stride_h, g.stride_w, g.pad_h, g.pad_w
    in_scale, in_zp = quant(x)
    out_scale, out_zp = quant(y)
    channels = y.shape[3]
    mults, shifts = quant_math.per_channel_multipliers(in_scale, w.scale, out_scale, channels)
    if acc == "int64":
        check_int64_requantization(shifts)
    act_min, act_max = fused_activation_range(op, y)
    variant = accumulator_variant(dtype, acc)
    if not depthwise and (fh, fw, stride_h, stride_w, pad_h, pad_w) == (1, 1, 1, 1, 0, 0) and w.shape[3] == x.shape[3]:
        # A pointwise convolution is a matrix product over the pixels: the fully connected
        # kernel, per channel, with the same sums and requantization (the build knows the shape).
        return weighted_call(op, names, kernel("fully_connected", dtype, variant=variant), "nn_fc_params", {
            "batches": x.shape[0] * x.shape[1] * x.shape[2], "accum_depth": x.shape[3], "output_depth": channels,
            "output_offset": out_zp, "act_min": act_min, "act_max": act_max, "per_channel": 1,
        }, (x, w, b, y), (mults, shifts), acc)
    # The input offset goes into the bias; the kernel takes back padding's share.
    in_place = depthwise and names.in_place(op)
    function = kernel("depthwise_conv2d" if depthwise else "conv2d", dtype, variant="in_place" if in_place else variant)
    return weighted_call(op, names, function, "nn_conv_params", {
        "input": shape4(x.shape), "filter": shape4(w.shape), "output": shape4(y.shape),
        "stride_h": stride_h, "stride_w": stride_w, "dilation_h": g.dilation_h, "dilation_w": g.dilation_w,
        "pad_h": pad_h, "pad_w": pad_w, "depth_multiplier": channels // x.shape[3] if depthwise else 1,
        "input_offset": -in_zp, "output_offset": out_zp, "act_min": act_min, "act_max": act_max,
    }, (x, w, b, y), (mults, shifts), acc, channel_axis=3 if depthwise else 0,
        extra_args=[names.scratch(op)] if in_place else [])

def depthwise_in_place(graph, op):
    """Whether nn_depthwise_conv2d_*_in_place can write this op's output over its input: depth
    multiplier 1, and, output row after output row, every input row it copies into its window not
    yet overwritten by the rows written before. Returns ((input,), window bytes) or None."""
    x, w, y = graph.tensors[op.inputs[0]], graph.tensors[op.inputs[1]], graph.tensors[op.outputs[0]]
    if x.is_constant or x.dtype != y.dtype or len(x.shape) != 4 or not w.shape[3] == x.shape[3] == y.shape[3]:
        return None
    try:
        g = geometry(graph, op)
    except Unsupported:
        return None
    (height, width), out_width = x.shape[1:3], y.shape[2]
    reach = (g.filter_h - 1) * g.dilation_h + 1
    held, held_end = 0, 0  # the window's input rows, as the kernel moves it
    for oy in range(y.shape[1]):
        top = oy * g.stride_h - g.pad_h
        first, end = max(top, 0), min(top + reach, height)
        kept = held_end - first if held <= first < held_end else 0
        if end > first + kept and (first + kept) * width < oy * out_width:
            return None  # a row it still reads from the input is already written over
        held, held_end = first, max(end, first)
    return (x.index,), reach * width * x.shape[3] * (x.nbytes // int(np.prod(x.shape)))


def lower_conv_2d(graph, op, names):
    return _lower_conv(graph, op, names, depthwise=False)


def lower_depthwise_conv_2d(graph, op, names):
    return _lower_conv(graph, op, names, depthwise=True)


def _transpose_conv_bias(op, names, b, dtype):
    """The C expression of TRANSPOSE_CONV's bias and the declarations it needs. TFLite Micro reads
    an int32 bias for int8 and an int64 one for 16x8; a 16x8 model's int16 bias it widens to int64
    at run time, here at build time."""
    if b is None:
        return "NULL", []
    if dtype == "int16" and b.dtype == "int16":
        name = f"{names.op_prefix(op)}_bias"
        return name, [c_const_array("int64_t", name, [int(v) for v in b.data.reshape(-1)])]
    expected = "int32" if dtype == "int8" else "int64"
    if b.dtype != expected:
        raise Unsupported(f"bias '{b.name}' of type {b.dtype} ({expected} expected)")
    return names.tensor(b), []


def lower_transpose_conv(graph, op, names):
    # Inputs: the output shape (TFLite Micro takes the output tensor's instead), filter, input, bias.
    w, x, y = graph.tensors[op.inputs[1]], graph.tensors[op.inputs[2]], graph.tensors[op.outputs[0]]
    b = optional_input(graph, op, 3)
    dtype = activation_dtype(graph, op, [x.index, y.index])
    if w.dtype != "int8":
        raise Unsupported(f"filter '{w.name}' of type {w.dtype} (the aot kernels take int8 weights)")
    if dtype == "int16":
        require_zero_point_0([x, y], "TFLite's int16 TRANSPOSE_CONV ignores zero points")
    if not len(x.shape) == len(w.shape) == len(y.shape) == 4:
        raise Unsupported(f"input of rank {len(x.shape)} (NHWC expected)")
    out_c, fh, fw, in_c = w.shape
    if (x.shape[0], x.shape[3], out_c) != (y.shape[0], in_c, y.shape[3]):
        raise Unsupported(f"filter of shape {list(w.shape)} between input {list(x.shape)} and output {list(y.shape)}")
    if w.scale.size not in (1, out_c) or (w.scale.size > 1 and w.shape[w.quantized_dimension] != out_c):
        raise Unsupported(f"filter '{w.name}' with {w.scale.size} scales for {out_c} output channels")
    stride_h, stride_w = op.option("strideH", 1), op.option("strideW", 1)
    # The padding is that of the convolution this one transposes, from the output to the input.
    ih, pad_h = quant_math.same_or_valid_padding(op.option("padding"), y.shape[1], fh, stride_h, 1)
    iw, pad_w = quant_math.same_or_valid_padding(op.option("padding"), y.shape[2], fw, stride_w, 1)
    if (ih, iw) != tuple(x.shape[1:3]):
        raise Unsupported(f"output shape {list(y.shape)} that its padding and strides do not take back "
                          f"to the input shape {list(x.shape)}")
    bias, bias_decls = _transpose_conv_bias(op, names, b, dtype)
    in_scale, in_zp = quant(x)
    out_scale, out_zp = quant(y)
    mults, shifts = quant_math.per_channel_multipliers(in_scale, w.scale, out_scale, out_c)
    if dtype == "int16":
        check_int64_requantization(shifts)
    act_min, act_max = fused_activation_range(op, y)
    p = names.op_prefix(op)
    decls = [*bias_decls, c_const_array("int32_t", f"{p}_multiplier", mults),
             c_const_array("int32_t", f"{p}_shift", shifts),
             c_struct("nn_transpose_conv_params", f"{p}_params", {
                 "input": shape4(x.shape), "filter": shape4(w.shape), "output": shape4(y.shape),
                 "stride_h": stride_h, "stride_w": stride_w, "pad_h": pad_h, "pad_w": pad_w,
                 "input_offset": -in_zp, "output_offset": out_zp, "act_min": act_min, "act_max": act_max,
                 "multiplier": f"{p}_multiplier", "shift": f"{p}_shift"})]
    return LoweredOp(decls=decls, call=kernel_call(kernel("transpose_conv", dtype), f"&{p}_params",
                                                   names.tensor(x), names.tensor(w), bias, names.tensor(y)))


LOWERINGS = {"CONV_2D": Lowering(lower_conv_2d), "DEPTHWISE_CONV_2D": Lowering(lower_depthwise_conv_2d, in_place=depthwise_in_place),
             "TRANSPOSE_CONV": Lowering(lower_transpose_conv, data_input=2)}
