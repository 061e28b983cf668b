"""Operators that copy blocks of elements unchanged: CONCATENATION and PACK join their inputs,
SPLIT, SPLIT_V and UNPACK cut their input into several outputs, GATHER picks blocks by index.

None of them requantizes: TFLite Micro copies the raw values whatever the tensors'
quantization (only CONCATENATION checks it). Each splits its tensors at one axis into
`outer` rows, outside the axis, and blocks of `copy_size` elements, the axis and inside
it, so that one loop over rows and blocks serves every rank and axis.
"""

import numpy as np

from nnbuild.c_literals import C_TYPES
from nnbuild.runtimes.aot.ops.common import (INT8, LoweredOp, Lowering, Unsupported, activation_dtype, c_const_array,
                                             c_struct, kernel, kernel_call, quant, require_zero_point_0)


def _size(shape):
    return int(np.prod(shape, dtype=np.int64))


def _axis(axis, rank, what):
    """A possibly negative axis of a rank-`rank` tensor, as a positive one."""
    if not -rank <= axis < rank:
        raise Unsupported(f"{what} {axis} of a {rank}-D tensor")
    return axis + rank if axis < 0 else axis


def _constant_axis(graph, op, position):
    t = graph.tensors[op.inputs[position]]
    if not t.is_constant or t.dtype != "int32" or t.data.size != 1:
        raise Unsupported("an axis that is not a constant int32 scalar (TFLite Micro needs one)")
    return int(t.data.reshape(-1)[0])


def _is_read(graph, t):
    """Whether a later operator, or the caller, reads tensor t."""
    return t.index in graph.outputs or any(t.index in op.inputs for op in graph.operators)


def _join(op, names, inputs, y, dtype, outer, copy_sizes):
    """Each of the `outer` output rows is a block of copy_sizes[i] elements of every input i in turn."""
    p = names.op_prefix(op)
    pointers = c_const_array(f"{C_TYPES[dtype]} *const", f"{p}_inputs", [names.tensor(t) for t in inputs])
    decls = [
        c_const_array("int32_t", f"{p}_copy_size", copy_sizes),
        c_struct("nn_concat_params", f"{p}_params",
                 {"inputs": len(inputs), "outer": outer, "copy_size": f"{p}_copy_size"}),
    ]
    call = kernel_call(kernel("concat", dtype), f"&{p}_params", f"{p}_inputs", names.tensor(y))
    if any(names.is_external(t) for t in inputs):  # invoke's argument, known when it runs only
        return LoweredOp(decls=decls, call=f"{{ {pointers.replace('static ', '', 1)} {call} }}")
    return LoweredOp(decls=[*decls, pointers], call=call)


def _cut(graph, op, names, x, outputs, dtype, outer, copy_sizes):
    """The reverse of _join: each of the `outer` input rows is cut into blocks of copy_sizes[i]
    elements for output i. An output that nothing reads gets no memory and is skipped (NULL)."""
    p = names.op_prefix(op)
    ctype = C_TYPES[dtype]
    pointers = [names.tensor(t) if _is_read(graph, t) else "NULL" for t in outputs]
    decls = [
        c_const_array("int32_t", f"{p}_copy_size", copy_sizes),
        f"static {ctype} *const {p}_outputs[{len(outputs)}] = {{{', '.join(pointers)}}};",
        c_struct("nn_split_params", f"{p}_params",
                 {"outputs": len(outputs), "outer": outer, "copy_size": f"{p}_copy_size"}),
    ]
    return LoweredOp(decls=decls, call=kernel_call(kernel("split", dtype), f"&{p}_params", names.tensor(x),
                                                   f"{p}_outputs"))


def _require_shape(t, shape, why):
    if tuple(t.shape) != tuple(shape):
        raise Unsupported(f"tensor '{t.name}' of shape {list(t.shape)} where {why} gives {list(shape)}")


def lower_concatenation(graph, op, names):
    inputs = [graph.tensors[i] for i in op.inputs]
    y = graph.tensors[op.outputs[0]]
    dtype = activation_dtype(graph, op, [*op.inputs, y.index])
    if op.option("fusedActivationFunction", 0) != 0:
        raise Unsupported("a fused activation (TFLite Micro allows none)")
    if len(inputs) > 10:
        raise Unsupported(f"{len(inputs)} inputs (TFLite Micro takes at most 10)")
    # TFLM's Prepare rejects int8 inputs whose scale or zero point differs from the output's,
    # and int16 ones with a zero point, so there is no reference requantization to match.
    if dtype == "int8":
        for t in inputs:
            if np.float32(quant(t)[0]) != np.float32(quant(y)[0]) or quant(t)[1] != quant(y)[1]:
                raise Unsupported(f"input '{t.name}' quantized differently from the output "
                                  "(TFLite Micro requires equal scales and zero points)")
    else:
        require_zero_point_0([*inputs, y], "TFLite Micro's int16 CONCATENATION requires 0")
    rank = len(y.shape)
    axis = _axis(op.option("axis", 0), rank, "axis")
    if any(len(t.shape) != rank for t in inputs):
        raise Unsupported(f"axis {op.option('axis', 0)} for inputs of shapes {[list(t.shape) for t in inputs]}")
    if sum(t.shape[axis] for t in inputs) != y.shape[axis]:
        raise Unsupported(f"output shape {list(y.shape)} that is not its inputs' concatenation")
    inner = _size(y.shape[axis + 1:])
    return _join(op, names, inputs, y, dtype, _size(y.shape[:axis]), [t.shape[axis] * inner for t in inputs])


def lower_pack(graph, op, names):
    """PACK: the inputs, all of one shape, stacked along a new output axis."""
    inputs = [graph.tensors[i] for i in op.inputs]
    y = graph.tensors[op.outputs[0]]
    dtype = activation_dtype(graph, op, [*op.inputs, y.index])
    if op.option("valuesCount", len(inputs)) != len(inputs):
        raise Unsupported(f"values_count {op.option('valuesCount')} with {len(inputs)} inputs")
    axis = _axis(op.option("axis", 0), len(y.shape), "axis")
    stacked = y.shape[:axis] + y.shape[axis + 1:]
    for t in inputs:
        _require_shape(t, stacked, f"packing into {list(y.shape)} along axis {axis}")
    if y.shape[axis] != len(inputs):
        raise Unsupported(f"output shape {list(y.shape)} for {len(inputs)} inputs packed along axis {axis}")
    inner = _size(y.shape[axis + 1:])
    return _join(op, names, inputs, y, dtype, _size(y.shape[:axis]), [inner] * len(inputs))


def lower_unpack(graph, op, names):
    """UNPACK: the input cut along one axis into outputs without that axis."""
    x = graph.tensors[op.inputs[0]]
    outputs = [graph.tensors[i] for i in op.outputs]
    dtype = activation_dtype(graph, op, [x.index, *op.outputs])
    axis = _axis(op.option("axis", 0), len(x.shape), "axis")
    if op.option("num", len(outputs)) != len(outputs) or x.shape[axis] != len(outputs):
        raise Unsupported(f"{len(outputs)} outputs of an input of shape {list(x.shape)} unpacked along axis {axis}")
    for t in outputs:
        _require_shape(t, x.shape[:axis] + x.shape[axis + 1:], f"unpacking {list(x.shape)} along axis {axis}")
    inner = _size(x.shape[axis + 1:])
    return _cut(graph, op, names, x, outputs, dtype, _size(x.shape[:axis]), [inner] * len(outputs))


def _lower_split(graph, op, names, x, axis):
    """SPLIT and SPLIT_V: the outputs' shapes say where the input is cut (TFLite Micro reads no
    size_splits at run time)."""
    outputs = [graph.tensors[i] for i in op.outputs]
    dtype = activation_dtype(graph, op, [x.index, *op.outputs])
    axis = _axis(axis, len(x.shape), "axis")
    shapes = [list(t.shape) for t in outputs]
    if any(len(s) != len(x.shape) or s[:axis] + s[axis + 1:] != list(x.shape[:axis] + x.shape[axis + 1:])
           for s in shapes) or sum(s[axis] for s in shapes) != x.shape[axis]:
        raise Unsupported(f"outputs of shapes {shapes} that are not parts of the input's "
                          f"{list(x.shape)} along axis {axis}")
    inner = _size(x.shape[axis + 1:])
    return _cut(graph, op, names, x, outputs, dtype, _size(x.shape[:axis]), [t.shape[axis] * inner for t in outputs])


def lower_split(graph, op, names):
    x = graph.tensors[op.inputs[1]]
    shapes = {tuple(graph.tensors[i].shape) for i in op.outputs}
    if len(shapes) != 1:
        raise Unsupported(f"outputs of different shapes {sorted(shapes)} (SPLIT cuts equal parts; use SPLIT_V)")
    return _lower_split(graph, op, names, x, _constant_axis(graph, op, 0))


def lower_split_v(graph, op, names):
    return _lower_split(graph, op, names, graph.tensors[op.inputs[0]], _constant_axis(graph, op, 2))


def lower_gather(graph, op, names):
    """GATHER: reference Gather, for each batch and outer row, the blocks at the given indices
    of the axis. Constant indices are checked here; an index out of range at run time (TFLite
    Micro reads outside the input then) gives a block of zeros."""
    x, indices = graph.tensors[op.inputs[0]], graph.tensors[op.inputs[1]]
    y = graph.tensors[op.outputs[0]]
    dtype = activation_dtype(graph, op, [x.index, y.index])
    if indices.dtype != "int32":
        raise Unsupported(f"indices of type {indices.dtype} (TFLite Micro's GATHER takes int32)")
    rank, index_rank = len(x.shape), len(indices.shape)
    axis = _axis(op.option("axis", 0), rank, "axis")
    batch_dims = op.option("batchDims", 0)
    batch_dims = batch_dims + index_rank if batch_dims < 0 else batch_dims
    if not 0 <= batch_dims <= min(axis, index_rank) or batch_dims >= rank \
            or tuple(x.shape[:batch_dims]) != tuple(indices.shape[:batch_dims]):
        raise Unsupported(f"batch_dims {op.option('batchDims', 0)} for input shape {list(x.shape)}, "
                          f"indices shape {list(indices.shape)} and axis {axis}")
    _require_shape(y, x.shape[:axis] + indices.shape[batch_dims:] + x.shape[axis + 1:],
                   f"gathering {list(indices.shape)} indices along axis {axis} of {list(x.shape)}")
    if indices.is_constant and indices.data.size and not 0 <= indices.data.min() <= indices.data.max() < x.shape[axis]:
        raise Unsupported(f"indices {indices.data.reshape(-1).tolist()} outside [0, {x.shape[axis]}) "
                          "(TFLite Micro reads outside the input)")
    p = names.op_prefix(op)
    return LoweredOp(
        decls=[c_struct("nn_gather_rows_params", f"{p}_params", {
            "batches": _size(x.shape[:batch_dims]), "outer": _size(x.shape[batch_dims:axis]),
            "axis_size": x.shape[axis], "indices": _size(indices.shape[batch_dims:]),
            "inner": _size(x.shape[axis + 1:])})],
        call=kernel_call(kernel("gather_rows", dtype), f"&{p}_params", names.tensor(x), names.tensor(indices),
                         names.tensor(y)))


LOWERINGS = {
    "CONCATENATION": Lowering(lower_concatenation),
    "PACK": Lowering(lower_pack),
    "UNPACK": Lowering(lower_unpack),
    "SPLIT": Lowering(lower_split, data_input=1),
    "SPLIT_V": Lowering(lower_split_v),
    "GATHER": Lowering(lower_gather, INT8),  # TFLite Micro's GATHER takes float32 and int8 only
}
