"""QUANTIZE and DEQUANTIZE: reference_ops::Requantize between integer types, AffineQuantize
from float32 and Dequantize to float32, for every pair of types TFLite Micro converts."""

import numpy as np

from nnbuild import quant_math
from nnbuild.runtimes.aot.ops.common import (Lowering, Unsupported, call_with_params, elementwise_in_place, kernel,
                                             quant)

QUANTIZE_CONVERSIONS = ("float32 to int8", "float32 to int16", "int8 to int8", "int8 to int16", "int8 to int32",
                        "int16 to int8", "int16 to int16", "int16 to int32", "int32 to int8", "int32 to int16")
DEQUANTIZE_CONVERSIONS = ("int8 to float32", "int16 to float32")


def _size(t):
    return int(np.prod(t.shape, dtype=np.int64))


def _per_tensor(t):
    if t.scale.size != 1:
        raise Unsupported(f"per-channel quantized tensor '{t.name}' (TFLite Micro quantizes per tensor)")


def _kernel(x, y):
    """nn_quantize_<type> between equal types, nn_quantize_<input>_<output> or nn_dequantize_<input>_f32."""
    if x.dtype == y.dtype:
        return kernel("quantize", x.dtype)
    verb = "dequantize" if y.dtype == "float32" else "quantize"
    return kernel(verb, x.dtype, y.dtype)


def _lower_float_conversion(op, names, x, y, quantized):
    """float32 to and from the `quantized` side's scale and zero point."""
    scale, zero_point = quant(quantized)
    fields = {"size": _size(x), "scale": "%.9ef" % scale, "zero_point": zero_point}
    return call_with_params(op, names, _kernel(x, y), "nn_float_quant_params", fields, [x, y])


def lower_quantize(graph, op, names):
    x, y = graph.tensors[op.inputs[0]], graph.tensors[op.outputs[0]]
    _per_tensor(y)
    if x.dtype == "float32":
        return _lower_float_conversion(op, names, x, y, y)
    in_scale, in_zp = quant(x)
    out_scale, out_zp = quant(y)
    multiplier, shift = quant_math.quantize_multiplier(in_scale / out_scale)  # in double
    fields = {"size": _size(x), "input_zero_point": in_zp, "output_zero_point": out_zp,
              "multiplier": multiplier, "shift": shift}
    return call_with_params(op, names, _kernel(x, y), "nn_quantize_params", fields, [x, y])


def lower_dequantize(graph, op, names):
    x, y = graph.tensors[op.inputs[0]], graph.tensors[op.outputs[0]]
    _per_tensor(x)
    return _lower_float_conversion(op, names, x, y, x)


LOWERINGS = {
    "QUANTIZE": Lowering(lower_quantize, QUANTIZE_CONVERSIONS, converts=True, in_place=elementwise_in_place),
    "DEQUANTIZE": Lowering(lower_dequantize, DEQUANTIZE_CONVERSIONS, converts=True),
}
