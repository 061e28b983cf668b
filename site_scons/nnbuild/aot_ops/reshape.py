"""Operators that only reinterpret a shape: their output aliases the input's memory."""

from nnbuild.aot_ops.common import LoweredOp

ALIAS_OPS = {"RESHAPE", "SQUEEZE", "EXPAND_DIMS"}


def lower_alias(graph, op, names):
    return LoweredOp()


LOWERINGS = {name: lower_alias for name in ALIAS_OPS}
