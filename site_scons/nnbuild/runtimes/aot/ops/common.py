"""What every operator lowering shares: the result type, the declaration of what each lowering
supports, and small C-emitting helpers."""

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from nnbuild import quant_math
from nnbuild.c_literals import c_array, c_rows


@dataclass
class LoweredOp:
    decls: list = field(default_factory=list)  # static const C declarations
    call: str = ""                             # the one statement that runs the op; "" for an alias
    function: str = ""                         # the kernel the call runs, and its C arguments
    args: list = field(default_factory=list)
    weights: list = field(default_factory=list)  # Weight arrays computed at build time (with the model's weights)


@dataclass
class Weight:
    """A constant array the build computes from the model's (a folded bias): it goes with the
    weights, in their memory and their share of the size report."""
    symbol: str
    dtype: str          # int8, int32, int64
    values: list
    comment: str


class Unsupported(Exception):
    """The operator, or this use of it, has no aot kernel; the message says what is missing."""


BOTH = ("int8", "int16")  # int8 and 16x8 (int16 activations) kernels
INT8 = ("int8",)          # TFLite Micro has no int16 kernel for the operator either


@dataclass(frozen=True)
class Lowering:
    """A lowering and the tensor types its kernels take: the one place that says which.

    `types` lists the types of the op's data input (input `data_input`), or, for an op that
    converts (`converts`), "<input type> to <output type>" pairs. Code generation checks them
    before lowering, and says them when a model's types are not among them."""
    lower: Callable
    types: tuple = BOTH
    data_input: int = 0
    converts: bool = False
    # Bytes of arena the op's kernel needs for itself while it runs (graph, op -> bytes): the
    # largest of its instruction-set variants' (the model's C is the same for every board).
    # The planner places it; the lowering passes names.scratch(op) to the kernel.
    scratch: Callable = None
    # (graph, op -> (the inputs its output may be written over, scratch bytes then) or None): the
    # planner decides whether it is (arena_planner.InPlace), the lowering asks names.in_place(op).
    in_place: Callable = None

    def __call__(self, graph, op, names):
        return self.lower(graph, op, names)

    def in_place_inputs(self, graph, op):
        return self.in_place(graph, op) if self.in_place else None

    def scratch_bytes(self, graph, op):
        return self.scratch(graph, op) if self.scratch else 0

    def signature(self, graph, op):
        """What `types` lists, for this op: its data type, or its conversion."""
        x = graph.tensors[op.inputs[self.data_input]]
        return f"{x.dtype} to {graph.tensors[op.outputs[0]].dtype}" if self.converts else x.dtype

    def supported(self, opcode):
        """A sentence saying which types the aot runtime runs the operator on."""
        listed = ", ".join(self.types[:-1]) + (" and " if len(self.types) > 1 else "") + self.types[-1]
        if self.converts:
            return f"{opcode} is supported from {listed}"
        return f"{opcode} is supported for {listed} activations"


def elementwise_in_place(graph, op):
    """Every element-wise kernel (each instruction set's too) reads element i of its inputs before it
    writes element i, in order: an input with as many elements as the output, each as wide, can
    hold it (an int16 to int8 QUANTIZE too)."""
    y = graph.tensors[op.outputs[0]]
    size = int(np.prod(y.shape, dtype=np.int64))
    inputs = tuple(i for i in op.inputs if i >= 0 and not graph.tensors[i].is_constant
                   and int(np.prod(graph.tensors[i].shape, dtype=np.int64)) == size
                   and graph.tensors[i].nbytes >= y.nbytes)
    return (inputs, 0) if inputs else None


def shape4(shape):
    """A shape as a C nn_shape4 initializer, padded to 4-D with leading ones."""
    shape = tuple(shape)
    if len(shape) > 4:
        raise Unsupported(f"a {len(shape)}-D tensor (shape {list(shape)})")
    return c_array((1,) * (4 - len(shape)) + shape)


WIDTH = 100  # columns that c_struct fills a line of fields up to


def _in_rows(head, rows):
    """`head = {...};` with one row of initializers a line, each ending in a comma."""
    return f"{head} = {{\n" + "".join(f"    {row},\n" for row in rows) + "};"


def _fields(fields, indent):
    """Designated initializers of `fields` (member name: C expression), as many a line as fit in WIDTH."""
    rows = [""]
    for item in (f".{k} = {v}" for k, v in fields.items()):
        if rows[-1] and len(f"{indent}{rows[-1]}, {item},") > WIDTH:
            rows.append("")
        rows[-1] = f"{rows[-1]}, {item}" if rows[-1] else item
    return rows


def c_struct(ctype, name, fields):
    """A static const struct of designated initializers, `fields` mapping member names to C
    expressions, on as many lines of up to WIDTH columns as they need."""
    return _in_rows(f"static const {ctype} {name}", _fields(fields, "    "))


def c_struct_array(ctype, name, elements):
    """A static const array of structs, each element's `fields` as c_struct lays them out."""
    body = "".join("    {\n" + "".join(f"        {row},\n" for row in _fields(fields, "        ")) + "    },\n"
                   for fields in elements)
    return f"static const {ctype} {name}[{len(elements)}] = {{\n{body}}};"


def c_const_array(ctype, name, values, per_row=None):
    """A static const array of C expressions: on one line, or in rows of `per_row` values,
    which lays a lookup table out so that an entry's row and column give its index."""
    head = f"static const {ctype} {name}[{len(values)}]"
    values = [str(v) for v in values]
    if per_row is None:
        return f"{head} = {{{', '.join(values)}}};"
    return _in_rows(head, c_rows(values, per_row))


def kernel_call(kernel, *args):
    """The statement that runs a kernel on C expressions `args`."""
    return f"{kernel}({', '.join(args)});"


def call_with_params(op, names, kernel, params_type, fields, tensors, extra_decls=()):
    """The usual lowering: `extra_decls`, a `params_type` {prefix}_params struct of `fields`, and the
    call kernel(&{prefix}_params, tensors...), in which None is an omitted optional input (NULL)
    and a string a C expression (an array of extra_decls)."""
    p = names.op_prefix(op)
    args = [t if isinstance(t, str) else names.tensor(t) if t is not None else "NULL" for t in tensors]
    args = [f"&{p}_params", *args]
    return LoweredOp(decls=[*extra_decls, c_struct(params_type, f"{p}_params", fields)],
                     call=kernel_call(kernel, *args), function=kernel, args=args)


SUFFIX = {"int8": "s8", "int16": "s16"}  # kernel name suffix per activation type
TYPE_SUFFIX = {**SUFFIX, "int32": "s32", "float32": "f32"}


def kernel(operation, *types, variant=""):
    """The C function that runs `operation` on tensors of `types` (the input's, then the
    output's when it converts): kernel("conv2d", "int16", variant="acc32") is
    nn_conv2d_s16_acc32. The one place that names kernels; which source defines the
    function (the reference or an instruction set's override) is the board's choice."""
    return "_".join(["nn", operation, *(TYPE_SUFFIX[t] for t in types), *([variant] if variant else [])])


def activation_dtype(graph, op, indices):
    """The one type of the op's activation tensors: int8, or int16 (16x8 quantization)."""
    tensors = [graph.tensors[i] for i in indices]
    for t in tensors:
        if t.dtype not in SUFFIX:
            raise Unsupported(f"tensor '{t.name}' of type {t.dtype} (the aot kernels take int8 or int16)")
        if t.dtype != tensors[0].dtype:
            raise Unsupported(f"tensors '{tensors[0].name}' and '{t.name}' of types "
                              f"{tensors[0].dtype} and {t.dtype}")
    return tensors[0].dtype


def require_zero_point_0(tensors, why):
    """16x8 quantization is symmetric; some of TFLite's int16 kernels insist on it, or assume it."""
    for t in tensors:
        if quant(t)[1] != 0:
            raise Unsupported(f"int16 tensor '{t.name}' with zero point {quant(t)[1]} ({why})")


def quant(t):
    """(scale, zero point) of a per-tensor quantized tensor."""
    return float(t.scale[0]), int(t.zero_point[0])


def fused_activation_range(op, y):
    """(act_min, act_max): the output range, in y's quantization, that the op's fused activation
    clamps to."""
    return quant_math.activation_range(op.option("fusedActivationFunction", 0), y.dtype, *quant(y))


def optional_input(graph, op, position):
    """The op's input tensor at `position`, or None if it is omitted."""
    if len(op.inputs) > position and op.inputs[position] >= 0:
        return graph.tensors[op.inputs[position]]
    return None


INT32_BIAS = 2  # schema TensorType.INT32, as quantizedBiasType names it


def accumulator(op, b, dtype, int32_16x8_variant):
    """The type TFLite Micro's kernel accumulates in, and reads the bias as: int32 for int8; for
    16x8 int64, or int32 in the kernels that have that variant (`int32_16x8_variant`), chosen
    by an int32 bias or, without a bias, by quantizedBiasType."""
    if dtype == "int8":
        if b is not None and b.dtype != "int32":
            raise Unsupported(f"bias '{b.name}' of type {b.dtype} (int32 expected)")
        return "int32"
    if b is not None and b.dtype not in ("int32", "int64"):
        raise Unsupported(f"bias '{b.name}' of type {b.dtype} (int64 or int32 expected)")
    if not int32_16x8_variant:
        if b is not None and b.dtype != "int64":
            raise Unsupported(f"bias '{b.name}' of type {b.dtype} (int64 expected: TFLite Micro's "
                              f"int16 {op.opcode} reads int64 biases)")
        return "int64"
    wants_int32 = b.dtype == "int32" if b is not None else op.option("quantizedBiasType", 0) == INT32_BIAS
    return "int32" if wants_int32 else "int64"


def weighted_operands(graph, op, int32_16x8_variant):
    """Input, int8 weights, optional bias (None) and output of a convolution or fully connected
    op, its activation type and its accumulator type."""
    x, w = graph.tensors[op.inputs[0]], graph.tensors[op.inputs[1]]
    b = optional_input(graph, op, 2)
    y = graph.tensors[op.outputs[0]]
    dtype = activation_dtype(graph, op, [x.index, y.index])
    if w.dtype != "int8":
        raise Unsupported(f"weights '{w.name}' of type {w.dtype} (the aot kernels take int8 weights)")
    return x, w, b, y, dtype, accumulator(op, b, dtype, int32_16x8_variant)


def folded_bias(names, op, w, b, input_offset, acc, channel_axis=0):
    """The bias with the input offset folded in at build time, a Weight: bias[o] + input_offset
    * sum(w[o]) (o along `channel_axis` of the weights), so the kernel multiplies the raw input
    (sum w*(x+offset) + bias, exactly, in the arithmetic of the accumulator `acc`, int32 or
    int64, TFLite Micro's)."""
    weights = np.moveaxis(w.data, channel_axis, 0)
    sums = weights.reshape(weights.shape[0], -1).astype(np.int64).sum(axis=1)
    folded = sums * input_offset + (b.data.astype(np.int64) if b is not None else 0)
    if acc == "int32":
        folded = (folded + 2**31) % 2**32 - 2**31
    return Weight(names.derived_symbol(op, "bias"), acc, folded.tolist(),
                  f"node {op.index}: its bias with the input offset folded in")


def weighted_call(op, names, function, params_type, fields, operands, requantization, acc, channel_axis=0,
                  extra_args=()):
    """The lowering of a kernel with weights (fully connected, convolutions): the multiplier and
    shift arrays of `requantization` (one, or one per output channel), the bias with the input
    offset folded in (folded_bias) when the input has one, and the call with `fields` (and C
    expressions `extra_args` after the output)."""
    x, w, b, y = operands
    in_zp = quant(x)[1]
    if in_zp and not w.is_constant:
        raise Unsupported("non-constant weights")
    p = names.op_prefix(op)
    mults, shifts = requantization
    arrays = [c_const_array("int32_t", f"{p}_multiplier", mults), c_const_array("int32_t", f"{p}_shift", shifts)]
    folded = [folded_bias(names, op, w, b, -in_zp, acc, channel_axis)] if in_zp else []
    lowered = call_with_params(op, names, function, params_type,
                               {**fields, "multiplier": f"{p}_multiplier", "shift": f"{p}_shift"},
                               [x, w, folded[0].symbol if folded else b, y, *extra_args], arrays)
    lowered.weights = folded
    return lowered


def accumulator_variant(dtype, acc):
    """The kernel variant of a 16x8 op with an int32 bias: "acc32" (else an int64 accumulator)."""
    return "acc32" if dtype == "int16" and acc == "int32" else ""


def check_int64_requantization(shifts):
    """MultiplyByQuantizedMultiplier for int64 accumulators takes shifts up to 7."""
    if max(shifts) > 7:
        raise Unsupported(f"an output rescaling factor of 2^{max(shifts) - 1} or more "
                          "(TFLite's 16x8 requantization takes factors below 2^7)")
