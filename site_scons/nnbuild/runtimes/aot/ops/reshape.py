"""Operators that only reinterpret a shape: their output aliases the input's memory."""

from nnbuild.runtimes.aot.ops.common import Lowering, LoweredOp

ALIAS_OPS = {"RESHAPE", "SQUEEZE", "EXPAND_DIMS"}


def lower_alias(graph, op, names):
    return LoweredOp()


# Any type: no kernel reads the data. (float32 appears between DEQUANTIZE and QUANTIZE.)
LOWERINGS = {name: Lowering(lower_alias, ("int8", "int16", "int32", "float32")) for name in ALIAS_OPS}
