"""MEAN, PAD, PADV2, STRIDED_SLICE and TRANSPOSE on int8 and int16 tensors.

Everything but MEAN's requantization only moves data: the index arithmetic
(permutations, slice bounds, paddings, axes) is resolved here, at build time,
into strided views (nn_view) that the kernels walk.
"""

import numpy as np

from nnbuild import quant_math
from nnbuild.c_literals import c_array
from nnbuild.runtimes.aot.ops.common import (LoweredOp, Lowering, Unsupported, activation_dtype, call_with_params,
                                             kernel, kernel_call, optional_input, quant)

MAX_DIMS = 5  # NN_MAX_DIMS; TFLM's PAD, STRIDED_SLICE and TRANSPOSE stop at 5-D (or 4-D) too


def _size(shape):
    return int(np.prod(shape, dtype=np.int64))


def _strides(shape):
    """Row-major element strides."""
    strides = [1] * len(shape)
    for d in range(len(shape) - 2, -1, -1):
        strides[d] = strides[d + 1] * shape[d + 1]
    return strides


def _collapse(shape, strides):
    """Drop axes of size 1 and merge neighbours that are contiguous; at least one axis remains."""
    axes = [(n, s) for n, s in zip(shape, strides) if n != 1]
    merged = []
    for n, s in axes:
        if merged and merged[-1][1] == s * n:
            merged[-1] = (merged[-1][0] * n, s)
        else:
            merged.append((n, s))
    return merged or [(1, 1)]


def _view(axes, offset=0):
    """A C nn_view initializer for [(size, stride), ...]."""
    if len(axes) > MAX_DIMS:
        raise Unsupported(f"a tensor view of {len(axes)} dimensions (at most {MAX_DIMS})")
    pad = [0] * (MAX_DIMS - len(axes))
    return (f"{{.rank = {len(axes)}, .offset = {offset}, .shape = {c_array([n for n, _ in axes] + pad)}, "
            f".stride = {c_array([s for _, s in axes] + pad)}}}")


def _constant_int32(graph, op, position, what):
    t = graph.tensors[op.inputs[position]]
    if not t.is_constant:
        raise Unsupported(f"non-constant {what}")
    if t.dtype != "int32":
        raise Unsupported(f"{what} of type {t.dtype} (TFLite Micro reads int32)")
    return [int(v) for v in t.data.reshape(-1)]


def _require_rank(t, limit):
    if len(t.shape) > limit:
        raise Unsupported(f"a {len(t.shape)}-D tensor (at most {limit}-D)")


def _require_same_quantization(tensors, y, why):
    for t in tensors:
        if np.float32(quant(t)[0]) != np.float32(quant(y)[0]) or quant(t)[1] != quant(y)[1]:
            raise Unsupported(f"input '{t.name}' quantized differently from the output ({why})")


def _require_nonempty(t):
    if _size(t.shape) == 0:
        raise Unsupported(f"the empty tensor '{t.name}'")


def _gather(op, names, x, y, axes, offset):
    p = names.op_prefix(op)
    function = kernel("gather", x.dtype)
    return LoweredOp(decls=[f"static const nn_view {p}_view = {_view(axes, offset)};"],
                     call=kernel_call(function, f"&{p}_view", names.tensor(x), names.tensor(y)))


def lower_transpose(graph, op, names):
    x, y = graph.tensors[op.inputs[0]], graph.tensors[op.outputs[0]]
    activation_dtype(graph, op, [x.index, y.index])
    _require_rank(x, 5)
    _require_nonempty(x)
    perm = _constant_int32(graph, op, 1, "permutation")
    if sorted(perm) != list(range(len(x.shape))):
        raise Unsupported(f"permutation {perm} of a {len(x.shape)}-D tensor")
    if tuple(y.shape) != tuple(x.shape[a] for a in perm):
        raise Unsupported(f"output shape {list(y.shape)} that does not follow from its permutation")
    in_strides = _strides(x.shape)
    return _gather(op, names, x, y, _collapse(y.shape, [in_strides[a] for a in perm]), 0)


def _slice_axis(size, begin, end, stride, begin_masked, end_masked, shrink):
    """(start, count) of one axis, as reference_ops::StridedSlice's
    StridedSliceStartForAxis / StridedSliceEndForAxis resolve it."""
    def clamp(v):
        return min(max(v, 0), size) if stride > 0 else min(max(v, -1), size - 1)

    start = clamp(begin + size if begin < 0 else begin)
    if begin_masked:
        start = 0 if stride > 0 else size - 1
    if shrink:
        stop = start if start >= size else start + 1
    else:
        stop = clamp(end + size if end < 0 else end)
        if end_masked:
            stop = size if stride > 0 else -1
    count = -(-(stop - start) // stride)  # ceil: the loop's iterations
    return start, max(count, 0)


def lower_strided_slice(graph, op, names):
    x, y = graph.tensors[op.inputs[0]], graph.tensors[op.outputs[0]]
    activation_dtype(graph, op, [x.index, y.index])
    _require_rank(x, 4)  # StridedSlicePrepare's limit
    _require_nonempty(y)
    if op.option("ellipsisMask", 0) or op.option("newAxisMask", 0):
        raise Unsupported("an ellipsis or new-axis mask (TFLite Micro ignores them)")
    if op.option("offset", False):
        raise Unsupported("offset=true (TFLite Micro ignores it)")
    rank = len(x.shape)
    begin = _constant_int32(graph, op, 1, "begin")
    end = _constant_int32(graph, op, 2, "end")
    strides = _constant_int32(graph, op, 3, "strides")
    if not len(begin) == len(end) == len(strides) == rank or 0 in strides:
        raise Unsupported(f"begin {begin}, end {end}, strides {strides} for a {rank}-D input")
    masks = [op.option(name, 0) for name in ("beginMask", "endMask", "shrinkAxisMask")]
    in_strides = _strides(x.shape)
    axes, kept, offset = [], [], 0
    for d in range(rank):
        bit = [bool(m & (1 << d)) for m in masks]
        start, count = _slice_axis(x.shape[d], begin[d], end[d], strides[d], *bit)
        offset += start * in_strides[d]
        axes.append((count, strides[d] * in_strides[d]))
        if not bit[2]:
            kept.append(count)
        elif count != 1:
            raise Unsupported(f"shrinking axis {d} at index {begin[d]} with stride {strides[d]} "
                              "(TFLite Micro copies nothing then)")
    if tuple(kept) != tuple(y.shape):
        raise Unsupported(f"output shape {list(y.shape)} where the slice has shape {kept}")
    return _gather(op, names, x, y, _collapse(*zip(*axes)), offset)


def _lower_pad(graph, op, names):
    x, y = graph.tensors[op.inputs[0]], graph.tensors[op.outputs[0]]
    dtype = activation_dtype(graph, op, [x.index, y.index])
    _require_rank(x, MAX_DIMS)
    _require_nonempty(x)
    paddings = _constant_int32(graph, op, 1, "paddings")
    rank = len(x.shape)
    if len(paddings) != 2 * rank or min(paddings, default=0) < 0:
        raise Unsupported(f"paddings {paddings} for a {rank}-D input")
    if tuple(y.shape) != tuple(x.shape[d] + paddings[2 * d] + paddings[2 * d + 1] for d in range(rank)):
        raise Unsupported(f"output shape {list(y.shape)} that does not follow from its paddings")
    value = optional_input(graph, op, 2)
    if value is None:
        pad_value = quant(y)[1] if dtype == "int8" else 0  # TFLM pads int16 with 0, not the zero point
    else:
        if not value.is_constant or value.dtype != dtype or value.data.size != 1:
            raise Unsupported(f"a padding value that is not a constant {dtype} scalar")
        if dtype == "int8":  # TFLM checks int16 padding values' quantization not at all
            _require_same_quantization([value], y, "TFLite Micro requires equal ones")
        pad_value = int(value.data.reshape(-1)[0])
    out_strides = _strides(y.shape)
    offset = sum(paddings[2 * d] * out_strides[d] for d in range(rank))
    return call_with_params(op, names, kernel("pad", dtype), "nn_pad_params", {
        "output": _view(_collapse(x.shape, out_strides), offset), "output_size": _size(y.shape), "pad_value": pad_value,
    }, [x, y])


def lower_mean(graph, op, names):
    x, y = graph.tensors[op.inputs[0]], graph.tensors[op.outputs[0]]
    dtype = activation_dtype(graph, op, [x.index, y.index])
    _require_nonempty(x)
    rank = len(x.shape)
    axes = set()
    for a in _constant_int32(graph, op, 1, "axes"):
        if not -rank <= a < rank:
            raise Unsupported(f"axis {a} of a {rank}-D input")
        axes.add(a + rank if a < 0 else a)
    kept = [d for d in range(rank) if d not in axes]
    reduced = sorted(axes)
    if _size([x.shape[d] for d in kept]) != _size(y.shape):
        raise Unsupported(f"output shape {list(y.shape)} that does not follow from its axes")
    # One sum per output, in output order: the kept axes outside, the reduced ones inside.
    in_strides = _strides(x.shape)
    view = (_collapse([x.shape[d] for d in kept], [in_strides[d] for d in kept])
            + _collapse([x.shape[d] for d in reduced], [in_strides[d] for d in reduced]))
    count = _size([x.shape[d] for d in reduced])
    if dtype == "int16" and count >= 1 << 15:
        raise Unsupported(f"a mean of {count} int16 values (at most 32767: the int32 sum overflows)")
    in_scale, in_zp = quant(x)
    out_scale, out_zp = quant(y)
    multiplier, shift = quant_math.mean_multiplier(in_scale, out_scale, count)
    return call_with_params(op, names, kernel("mean", dtype), "nn_mean_params", {
        "input": _view(view), "count": count, "input_sum_offset": in_zp * count, "output_offset": out_zp,
        "multiplier": multiplier, "shift": shift,
    }, [x, y])


LOWERINGS = {
    "MEAN": Lowering(lower_mean),
    "PAD": Lowering(_lower_pad),
    "PADV2": Lowering(_lower_pad),
    "STRIDED_SLICE": Lowering(lower_strided_slice),
    "TRANSPOSE": Lowering(lower_transpose),
}
