"""What every operator lowering shares: the result type and small C-emitting helpers."""

from dataclasses import dataclass, field


@dataclass
class LoweredOp:
    kernel: str                 # kernel function name, or "" for an alias
    decls: list = field(default_factory=list)
    call: str = ""


class Unsupported(Exception):
    """The operator, or this use of it, has no aot kernel; the message says what is missing."""


def shape4(shape):
    """A shape as a C nn_shape4 initializer, padded to 4-D with leading ones."""
    shape = tuple(shape)
    if len(shape) > 4:
        raise Unsupported(f"a {len(shape)}-D tensor (shape {list(shape)})")
    shape = (1,) * (4 - len(shape)) + shape
    return "{%d, %d, %d, %d}" % shape


def c_array(values):
    return "{" + ", ".join(str(int(v)) for v in values) + "}"


def require_int8(graph, op, indices):
    for i in indices:
        t = graph.tensors[i]
        if t.dtype != "int8":
            raise Unsupported(f"tensor '{t.name}' of type {t.dtype} (the aot kernels take int8)")


def quant(t):
    """(scale, zero point) of a per-tensor quantized tensor."""
    return float(t.scale[0]), int(t.zero_point[0])


def optional_input(graph, op, position):
    """The op's input tensor at `position`, or None if it is omitted."""
    if len(op.inputs) > position and op.inputs[position] >= 0:
        return graph.tensors[op.inputs[position]]
    return None
