"""FULLY_CONNECTED: integer_ops::FullyConnected and FullyConnectedPerChannel, int8 or 16x8
(int16 activations, int8 weights, int64 bias accumulated in int64, or an int32 bias
accumulated in int32)."""

import numpy as np

from nnbuild import quant_math
from nnbuild.runtimes.aot.ops.common import (Lowering, Unsupported, accumulator_variant, check_int64_requantization,
                                             fused_activation_range, kernel, quant, weighted_call, weighted_operands)


def lower_fully_connected(graph, op, names):
    x, w, b, y, dtype, acc = weighted_operands(graph, op, int32_16x8_variant=True)
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
    if acc == "int64":
        check_int64_requantization(shifts)
    act_min, act_max = fused_activation_range(op, y)
    return weighted_call(op, names, kernel("fully_connected", dtype, variant=accumulator_variant(dtype, acc)),
                         "nn_fc_params", {
                             "batches": batches, "accum_depth": accum_depth, "output_depth": out_depth,
                             "output_offset": out_zp, "act_min": act_min, "act_max": act_max,
                             "per_channel": int(per_channel),
                         }, (x, w, b, y), (mults, shifts), acc)

LOWERINGS = {"FULLY_CONNECTED": Lowering(lower_fully_connected)}
