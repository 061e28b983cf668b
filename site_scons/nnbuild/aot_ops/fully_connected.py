"""FULLY_CONNECTED: integer_ops::FullyConnected and FullyConnectedPerChannel, int8 or 16x8
(int16 activations, int8 weights, int64 bias accumulated in int64)."""

import numpy as np

from nnbuild import quant_math
from nnbuild.aot_ops.common import (SUFFIX, LoweredOp, Unsupported, activation_dtype, c_array, check_bias,
                                    check_int64_requantization, optional_input, quant, require_int8)


def lower_fully_connected(graph, op, names):
    x, w = graph.tensors[op.inputs[0]], graph.tensors[op.inputs[1]]
    b = optional_input(graph, op, 2)
    y = graph.tensors[op.outputs[0]]
    dtype = activation_dtype(graph, op, [x.index, y.index])
    require_int8(graph, op, [w.index])
    check_bias(op, b, dtype)
    if op.option("weightsFormat", 0) != 0:
        raise Unsupported("shuffled weights format")
    if not w.is_constant:
        raise Unsupported("non-constant weights")
    out_depth, accum_depth = w.shape[-2], w.shape[-1]
    batches = int(np.prod(y.shape)) // y.shape[-1]
    in_scale, in_zp = quant(x)
    out_scale, out_zp = quant(y)
    per_channel = w.scale.size > 1
    if per_channel:
        mults, shifts = quant_math.per_channel_multipliers(in_scale, w.scale, out_scale, out_depth)
    else:
        m, s = quant_math.per_tensor_multiplier(in_scale, w.scale[0], out_scale)
        mults, shifts = [m], [s]
    if dtype == "int16":
        check_int64_requantization(shifts)
    act_min, act_max = quant_math.activation_range(op.option("fusedActivationFunction", 0), dtype, out_scale, out_zp)
    p = names.op_prefix(op)
    decls = [
        f"static const int32_t {p}_multiplier[{len(mults)}] = {c_array(mults)};",
        f"static const int32_t {p}_shift[{len(shifts)}] = {c_array(shifts)};",
        f"static const nn_fc_params {p}_params = {{\n"
        f"    .batches = {batches}, .accum_depth = {accum_depth}, .output_depth = {out_depth},\n"
        f"    .input_offset = {-in_zp}, .output_offset = {out_zp}, .act_min = {act_min}, .act_max = {act_max},\n"
        f"    .per_channel = {int(per_channel)}, .multiplier = {p}_multiplier, .shift = {p}_shift,\n}};",
    ]
    bias = names.tensor(b) if b is not None else "NULL"
    kernel = f"nn_fully_connected_{SUFFIX[dtype]}"
    call = f"{kernel}(&{p}_params, {names.tensor(x)}, {names.tensor(w)}, {bias}, {names.tensor(y)});"
    return LoweredOp(kernel=kernel, decls=decls, call=call)


LOWERINGS = {"FULLY_CONNECTED": lower_fully_connected}
