"""SOFTMAX: reference_ops::Softmax, int8 in and int8 or int16 out (TFLite Micro's gemmlowp
fixed-point path), and reference_ops::SoftmaxInt16, int16 in and out (tables of exp and
1 / (1 + x))."""

import numpy as np

from nnbuild import quant_math
from nnbuild.runtimes.aot.ops.common import (Lowering, Unsupported, c_const_array, call_with_params, kernel, quant,
                                             require_zero_point_0)

# The output quantization TFLM's Prepare insists on (the kernels hardcode it): int8 (zero
# point, scale, tolerance) for an int8 input.
_INT8_INPUT_OUTPUTS = {"int8": (-128, 1 / 256, 0.0), "int16": (-32768, 1 / 65536, 0.001 / 65536)}


def _rows(x):
    if not x.shape:
        raise Unsupported("a scalar input")
    return int(np.prod(x.shape[:-1], dtype=np.int64)), x.shape[-1]


def _lower_softmax_s16(graph, op, names, x, y):
    """CalculateSoftmaxParams for int16: the input difference rescaled so that 65535 steps
    are 10.0, in double."""
    require_zero_point_0([x, y], "TFLite's int16 SOFTMAX requires 0")
    f = np.float32
    if abs(f(quant(y)[0]) - f(1 / 32768)) > f(0.001) * f(1 / 32768):
        raise Unsupported(f"output scale {quant(y)[0]} (int16 softmax outputs have scale 1/32768)")
    outer, depth = _rows(x)
    if depth > 65535:
        raise Unsupported(f"a softmax over {depth} values (at most 65535: the sum of exponentials overflows)")
    beta_scale = float(f(quant(x)[0])) * float(f(op.option("beta", 1.0))) / (10.0 / 65535.0)
    multiplier, shift = quant_math.quantize_multiplier(beta_scale)
    exp_table, reciprocal_table = quant_math.softmax_int16_tables()
    p = names.op_prefix(op)
    tables = [c_const_array("int16_t", f"{p}_exp_table", exp_table, per_row=16),
              c_const_array("int16_t", f"{p}_reciprocal_table", reciprocal_table, per_row=16)]
    return call_with_params(op, names, kernel("softmax", "int16"), "nn_softmax_s16_params", {
        "outer": outer, "depth": depth, "input_multiplier": multiplier, "input_shift": shift,
        "exp_table": f"{p}_exp_table", "reciprocal_table": f"{p}_reciprocal_table",
    }, [x, y], tables)


def lower_softmax(graph, op, names):
    x, y = graph.tensors[op.inputs[0]], graph.tensors[op.outputs[0]]
    if (x.dtype, y.dtype) == ("int16", "int16"):
        return _lower_softmax_s16(graph, op, names, x, y)
    if (x.dtype, y.dtype) not in (("int8", "int8"), ("int8", "int16")):
        raise Unsupported(f"input type {x.dtype} and output type {y.dtype} (TFLite Micro's SOFTMAX takes "
                          "int8 to int8, int8 to int16 and int16 to int16)")
    outer, depth = _rows(x)
    out_scale, out_zp = quant(y)
    zero_point, scale, tolerance = _INT8_INPUT_OUTPUTS[y.dtype]
    f = np.float32
    if abs(f(out_scale) - f(scale)) > f(tolerance) or out_zp != zero_point:
        raise Unsupported(f"output scale {out_scale} and zero point {out_zp} (softmax's {y.dtype} outputs "
                          f"of an int8 input have scale 1/{round(1 / scale)} and zero point {zero_point})")
    # The sum of exponentials is a Q12.19 fixed-point number: 4096 equal inputs overflow it.
    if depth >= 4096:
        raise Unsupported(f"a softmax over {depth} values (at most 4095: TFLite's fixed-point "
                          "sum of exponentials overflows)")
    multiplier, left_shift, diff_min = quant_math.softmax_input_params(op.option("beta", 1.0), quant(x)[0])
    if left_shift < 0:
        raise Unsupported("beta * input scale below 2^-26")
    function = kernel("softmax", "int8") if y.dtype == "int8" else kernel("softmax", "int8", "int16")
    return call_with_params(op, names, function, "nn_softmax_params", {
        "outer": outer, "depth": depth, "input_multiplier": multiplier,
        "input_left_shift": left_shift, "diff_min": diff_min,
    }, [x, y])


LOWERINGS = {"SOFTMAX": Lowering(lower_softmax)}
