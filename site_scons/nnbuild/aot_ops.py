"""Lowering of TFLite operators to calls into the aot kernels (kernels/nn_kernels.h).

Each lowering takes the graph, the operator and a `names` helper, and returns
a LoweredOp: the static parameter declarations and the one call that runs the
operator. All quantization constants are computed here, at build time.
"""

from dataclasses import dataclass, field

import numpy as np

from nnbuild import quant_math

# Operators that only reinterpret the shape: their output shares the input's memory.
ALIAS_OPS = {"RESHAPE", "SQUEEZE", "EXPAND_DIMS"}


@dataclass
class LoweredOp:
    kernel: str                 # kernel function name, or "" for an alias
    decls: list = field(default_factory=list)
    call: str = ""


class Unsupported(Exception):
    """The operator, or this use of it, has no aot kernel; the message says what is missing."""


def _shape4(shape):
    shape = tuple(shape)
    if len(shape) > 4:
        raise Unsupported(f"a {len(shape)}-D tensor (shape {list(shape)})")
    shape = (1,) * (4 - len(shape)) + shape
    return "{%d, %d, %d, %d}" % shape


def _c_array(values):
    return "{" + ", ".join(str(int(v)) for v in values) + "}"


def _require_int8(graph, op, indices):
    for i in indices:
        t = graph.tensors[i]
        if t.dtype != "int8":
            raise Unsupported(f"tensor '{t.name}' of type {t.dtype} (the aot kernels take int8)")


def _quant(t):
    return float(t.scale[0]), int(t.zero_point[0])


def _lower_conv(graph, op, names, depthwise):
    x, w = graph.tensors[op.inputs[0]], graph.tensors[op.inputs[1]]
    b = graph.tensors[op.inputs[2]] if len(op.inputs) > 2 and op.inputs[2] >= 0 else None
    y = graph.tensors[op.outputs[0]]
    _require_int8(graph, op, [x.index, w.index, y.index])
    if b is not None and b.dtype != "int32":
        raise Unsupported(f"bias '{b.name}' of type {b.dtype} (int32 expected)")
    if len(x.shape) != 4:
        raise Unsupported(f"input of rank {len(x.shape)} (NHWC expected)")
    stride_h, stride_w = op.option("strideH", 1), op.option("strideW", 1)
    dil_h, dil_w = op.option("dilationHFactor", 1), op.option("dilationWFactor", 1)
    _, fh, fw, _ = w.shape
    oh, pad_h = quant_math.same_or_valid_padding(op.option("padding"), x.shape[1], fh, stride_h, dil_h)
    ow, pad_w = quant_math.same_or_valid_padding(op.option("padding"), x.shape[2], fw, stride_w, dil_w)
    if (oh, ow) != tuple(y.shape[1:3]):
        raise Unsupported(f"output shape {list(y.shape)} that does not follow from its padding and strides")
    in_scale, in_zp = _quant(x)
    out_scale, out_zp = _quant(y)
    channels = y.shape[3]
    mults, shifts = quant_math.per_channel_multipliers(in_scale, w.scale, out_scale, channels)
    act_min, act_max = quant_math.activation_range(op.option("fusedActivationFunction", 0), "int8", out_scale, out_zp)
    p = names.op_prefix(op)
    depth_multiplier = channels // x.shape[3] if depthwise else 1
    decls = [
        f"static const int32_t {p}_multiplier[{channels}] = {_c_array(mults)};",
        f"static const int32_t {p}_shift[{channels}] = {_c_array(shifts)};",
        f"static const nn_conv_params {p}_params = {{\n"
        f"    .input = {_shape4(x.shape)}, .filter = {_shape4(w.shape)}, .output = {_shape4(y.shape)},\n"
        f"    .stride_h = {stride_h}, .stride_w = {stride_w}, .dilation_h = {dil_h}, .dilation_w = {dil_w},\n"
        f"    .pad_h = {pad_h}, .pad_w = {pad_w}, .depth_multiplier = {depth_multiplier},\n"
        f"    .input_offset = {-in_zp}, .output_offset = {out_zp}, .act_min = {act_min}, .act_max = {act_max},\n"
        f"    .multiplier = {p}_multiplier, .shift = {p}_shift,\n}};",
    ]
    kernel = "nn_depthwise_conv2d_s8" if depthwise else "nn_conv2d_s8"
    bias = names.tensor(b) if b is not None else "NULL"
    call = f"{kernel}(&{p}_params, {names.tensor(x)}, {names.tensor(w)}, {bias}, {names.tensor(y)});"
    return LoweredOp(kernel=kernel, decls=decls, call=call)


def lower_conv_2d(graph, op, names):
    return _lower_conv(graph, op, names, depthwise=False)


def lower_depthwise_conv_2d(graph, op, names):
    return _lower_conv(graph, op, names, depthwise=True)


def lower_fully_connected(graph, op, names):
    x, w = graph.tensors[op.inputs[0]], graph.tensors[op.inputs[1]]
    b = graph.tensors[op.inputs[2]] if len(op.inputs) > 2 and op.inputs[2] >= 0 else None
    y = graph.tensors[op.outputs[0]]
    _require_int8(graph, op, [x.index, w.index, y.index])
    if op.option("weightsFormat", 0) != 0:
        raise Unsupported("shuffled weights format")
    if not w.is_constant:
        raise Unsupported("non-constant weights")
    out_depth, accum_depth = w.shape[-2], w.shape[-1]
    batches = int(np.prod(y.shape)) // y.shape[-1]
    in_scale, in_zp = _quant(x)
    out_scale, out_zp = _quant(y)
    per_channel = w.scale.size > 1
    if per_channel:
        mults, shifts = quant_math.per_channel_multipliers(in_scale, w.scale, out_scale, out_depth)
    else:
        m, s = quant_math.per_tensor_multiplier(in_scale, w.scale[0], out_scale)
        mults, shifts = [m], [s]
    act_min, act_max = quant_math.activation_range(op.option("fusedActivationFunction", 0), "int8", out_scale, out_zp)
    p = names.op_prefix(op)
    decls = [
        f"static const int32_t {p}_multiplier[{len(mults)}] = {_c_array(mults)};",
        f"static const int32_t {p}_shift[{len(shifts)}] = {_c_array(shifts)};",
        f"static const nn_fc_params {p}_params = {{\n"
        f"    .batches = {batches}, .accum_depth = {accum_depth}, .output_depth = {out_depth},\n"
        f"    .input_offset = {-in_zp}, .output_offset = {out_zp}, .act_min = {act_min}, .act_max = {act_max},\n"
        f"    .per_channel = {int(per_channel)}, .multiplier = {p}_multiplier, .shift = {p}_shift,\n}};",
    ]
    bias = names.tensor(b) if b is not None else "NULL"
    call = f"nn_fully_connected_s8(&{p}_params, {names.tensor(x)}, {names.tensor(w)}, {bias}, {names.tensor(y)});"
    return LoweredOp(kernel="nn_fully_connected_s8", decls=decls, call=call)


def _lower_pool(graph, op, names, kernel):
    x, y = graph.tensors[op.inputs[0]], graph.tensors[op.outputs[0]]
    _require_int8(graph, op, [x.index, y.index])
    fh, fw = op.option("filterHeight"), op.option("filterWidth")
    stride_h, stride_w = op.option("strideH"), op.option("strideW")
    oh, pad_h = quant_math.same_or_valid_padding(op.option("padding"), x.shape[1], fh, stride_h, 1)
    ow, pad_w = quant_math.same_or_valid_padding(op.option("padding"), x.shape[2], fw, stride_w, 1)
    if (oh, ow) != tuple(y.shape[1:3]):
        raise Unsupported(f"output shape {list(y.shape)} that does not follow from its padding and strides")
    out_scale, out_zp = _quant(y)
    act_min, act_max = quant_math.activation_range(op.option("fusedActivationFunction", 0), "int8", out_scale, out_zp)
    p = names.op_prefix(op)
    decls = [
        f"static const nn_pool_params {p}_params = {{\n"
        f"    .input = {_shape4(x.shape)}, .output = {_shape4(y.shape)},\n"
        f"    .filter_h = {fh}, .filter_w = {fw}, .stride_h = {stride_h}, .stride_w = {stride_w},\n"
        f"    .pad_h = {pad_h}, .pad_w = {pad_w}, .act_min = {act_min}, .act_max = {act_max},\n}};",
    ]
    call = f"{kernel}(&{p}_params, {names.tensor(x)}, {names.tensor(y)});"
    return LoweredOp(kernel=kernel, decls=decls, call=call)


def lower_average_pool_2d(graph, op, names):
    return _lower_pool(graph, op, names, "nn_avg_pool_s8")


def lower_max_pool_2d(graph, op, names):
    return _lower_pool(graph, op, names, "nn_max_pool_s8")


def lower_alias(graph, op, names):
    return LoweredOp(kernel="")


LOWERINGS = {
    "CONV_2D": lower_conv_2d,
    "DEPTHWISE_CONV_2D": lower_depthwise_conv_2d,
    "FULLY_CONNECTED": lower_fully_connected,
    "AVERAGE_POOL_2D": lower_average_pool_2d,
    "MAX_POOL_2D": lower_max_pool_2d,
    **{name: lower_alias for name in ALIAS_OPS},
}
