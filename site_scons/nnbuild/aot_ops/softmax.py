"""SOFTMAX: reference_ops::Softmax, int8 in and out (TFLite Micro's gemmlowp fixed-point path)."""

import numpy as np

from nnbuild import quant_math
from nnbuild.aot_ops.common import LoweredOp, Unsupported, quant, require_int8


def lower_softmax(graph, op, names):
    x, y = graph.tensors[op.inputs[0]], graph.tensors[op.outputs[0]]
    require_int8(graph, op, [x.index, y.index])
    if not x.shape:
        raise Unsupported("a scalar input")
    out_scale, out_zp = quant(y)
    # TFLM's Prepare insists on this output quantization (the kernel hardcodes it).
    if np.float32(out_scale) != np.float32(1 / 256) or out_zp != -128:
        raise Unsupported(f"output scale {out_scale} and zero point {out_zp} "
                          "(int8 softmax outputs have scale 1/256 and zero point -128)")
    depth = x.shape[-1]
    outer = int(np.prod(x.shape[:-1], dtype=np.int64))
    # The sum of exponentials is a Q12.19 fixed-point number: 4096 equal inputs overflow it.
    if depth >= 4096:
        raise Unsupported(f"a softmax over {depth} values (at most 4095: TFLite's fixed-point "
                          "sum of exponentials overflows)")
    multiplier, left_shift, diff_min = quant_math.softmax_input_params(op.option("beta", 1.0), quant(x)[0])
    if left_shift < 0:
        raise Unsupported("beta * input scale below 2^-26")
    p = names.op_prefix(op)
    decls = [
        f"static const nn_softmax_params {p}_params = {{\n"
        f"    .outer = {outer}, .depth = {depth}, .input_multiplier = {multiplier},\n"
        f"    .input_left_shift = {left_shift}, .diff_min = {diff_min},\n}};",
    ]
    call = f"nn_softmax_s8(&{p}_params, {names.tensor(x)}, {names.tensor(y)});"
    return LoweredOp(kernel="nn_softmax_s8", decls=decls, call=call)


LOWERINGS = {"SOFTMAX": lower_softmax}
