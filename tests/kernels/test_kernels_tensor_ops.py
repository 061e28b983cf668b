"""The tensor operators' aot kernels against the TFLite Micro interpreter: SOFTMAX,
MEAN, CONCATENATION, PACK, UNPACK, SPLIT, SPLIT_V, GATHER, PAD/PADV2, STRIDED_SLICE
and TRANSPOSE.

hypothesis draws shapes, axes, slices, paddings, scales and zero points; each
model is compiled for the host with sanitizers and must match the reference byte
for byte (aot_harness.assert_bit_exact). The operators with several outputs are
followed by a CONCATENATION or PACK that joins every output they write, in
another order, or by nothing (the model's output is one of theirs, the others
unread). test_kernels_16x8.py reuses the model builders here for int16.
"""

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from aot_harness import assert_bit_exact
from nnbuild.runtimes.aot.codegen import generate_aot
from nnbuild.errors import UserError
from nnbuild.tflite_model import parse_tflite
from tflite_builder import T, build_model, options

CASES = settings(max_examples=12, deadline=None, derandomize=True,
                 suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
SCALE = st.floats(0.002, 0.5)
ZERO_POINT = st.integers(-128, 127)


def shapes(max_rank, max_dim=5):
    return st.lists(st.integers(1, max_dim), min_size=1, max_size=max_rank).map(tuple)


def _int32(values):
    values = np.asarray(values, dtype=np.int32)
    return T(values.shape, dtype="int32", data=values)


def _check(tmp_path_factory, ops, tensors, name):
    """A model whose input is tensor 0 and whose output is the last tensor."""
    model = build_model(ops, tensors, [0], [len(tensors) - 1])
    assert_bit_exact(model, str(tmp_path_factory.mktemp(name)))


@CASES
@given(shape=shapes(2, 3), depth=st.integers(1, 200), scale=st.floats(0.002, 0.9), zp=ZERO_POINT,
       beta=st.sampled_from([1.0, 0.5, 2.0, 0.1]))
def test_softmax(tmp_path_factory, shape, depth, scale, zp, beta):
    shape = shape[:-1] + (depth,)
    tensors = [T(shape, scale=scale, zero_point=zp), T(shape, scale=1 / 256, zero_point=-128)]
    _check(tmp_path_factory, [("SOFTMAX", "SoftmaxOptions", options("SoftmaxOptions", beta=beta), [0], [1])],
           tensors, "softmax")


@st.composite
def mean_cases(draw):
    shape = draw(shapes(4, 6))
    rank = len(shape)
    if rank == 4 and draw(st.booleans()):
        axes = draw(st.sampled_from([[1, 2], [2, 1], [-3, -2]]))  # the spatial mean of NHWC models
    else:
        axes = draw(st.lists(st.integers(-rank, rank - 1), min_size=1, max_size=rank + 1))
    same_quantization = draw(st.booleans())
    in_q = (draw(SCALE), draw(ZERO_POINT))
    out_q = in_q if same_quantization else (draw(SCALE), draw(ZERO_POINT))
    return shape, axes, draw(st.booleans()), in_q, out_q


@CASES
@given(case=mean_cases())
def test_mean(tmp_path_factory, case):
    shape, axes, keep_dims, (in_scale, in_zp), (out_scale, out_zp) = case
    reduced = {a % len(shape) for a in axes}
    out_shape = tuple(1 if d in reduced else n for d, n in enumerate(shape) if keep_dims or d not in reduced)
    tensors = [T(shape, scale=in_scale, zero_point=in_zp), _int32(axes),
               T(out_shape, scale=out_scale, zero_point=out_zp)]
    op = ("MEAN", "ReducerOptions", options("ReducerOptions", keepDims=keep_dims), [0, 1], [2])
    _check(tmp_path_factory, [op], tensors, "mean")


@CASES
@given(shape=shapes(4), axis_seed=st.integers(0, 7), parts=st.lists(st.integers(0, 4), min_size=1, max_size=4),
       scale=SCALE, zp=ZERO_POINT, seed=st.integers(0, 2**16))
def test_concatenation(tmp_path_factory, shape, axis_seed, parts, scale, zp, seed):
    """Inputs are the model input (part 0, possibly repeated) and constants of other sizes."""
    rng = np.random.default_rng(seed)
    rank = len(shape)
    axis = axis_seed % (2 * rank) - rank  # negative and positive axes
    tensors, inputs = [T(shape, scale=scale, zero_point=zp)], []
    for size in parts if 0 in parts else parts + [0]:
        if size == 0:
            inputs.append(0)
            continue
        part_shape = shape[:axis % rank] + (size,) + shape[axis % rank + 1:]
        tensors.append(T(part_shape, scale=scale, zero_point=zp,
                         data=rng.integers(-128, 128, part_shape).astype(np.int8)))
        inputs.append(len(tensors) - 1)
    out_shape = list(shape)
    out_shape[axis % rank] = sum(tensors[i].shape[axis % rank] for i in inputs)
    tensors.append(T(tuple(out_shape), scale=scale, zero_point=zp))
    op = ("CONCATENATION", "ConcatenationOptions", options("ConcatenationOptions", axis=axis), inputs,
          [len(tensors) - 1])
    _check(tmp_path_factory, [op], tensors, "concat")


@CASES
@given(shape=shapes(5, 4), pads=st.lists(st.integers(0, 2), min_size=10, max_size=10), scale=SCALE,
       zp=ZERO_POINT, value=st.one_of(st.none(), st.integers(-128, 127)))
def test_pad(tmp_path_factory, shape, pads, scale, zp, value):
    """PAD pads with the zero point, PADV2 with its constant value."""
    paddings = np.array(pads[:2 * len(shape)], dtype=np.int32).reshape(-1, 2)
    out_shape = tuple(n + int(paddings[d].sum()) for d, n in enumerate(shape))
    tensors = [T(shape, scale=scale, zero_point=zp), _int32(paddings)]
    if value is None:
        op = ("PAD", "PadOptions", options("PadOptions"), [0, 1], [2])
    else:
        tensors.append(T((1,), scale=scale, zero_point=zp, data=np.array([value], np.int8)))
        op = ("PADV2", "PadV2Options", options("PadV2Options"), [0, 1, 2], [3])
    tensors.append(T(out_shape, scale=scale, zero_point=zp))
    _check(tmp_path_factory, [op], tensors, "pad")


@st.composite
def slice_cases(draw):
    shape = draw(shapes(4, 7))
    rank = len(shape)
    axis_draws = [(draw(st.integers(-n - 1, n + 1)), draw(st.integers(-n - 1, n + 1)),
                   draw(st.sampled_from([1, 1, 2, 3, -1, -2]))) for n in shape]
    masks = [draw(st.integers(0, 2**rank - 1)) for _ in range(2)]
    masks.append(draw(st.integers(0, 2**rank - 1)) if draw(st.booleans()) else 0)  # shrink
    return shape, axis_draws, masks


@CASES
@given(case=slice_cases())
def test_strided_slice(tmp_path_factory, case):
    shape, axis_draws, (begin_mask, end_mask, shrink_mask) = case
    begin, end, strides = (list(v) for v in zip(*axis_draws))
    # The expected shape from Python's slicing, whose clamping rules TFLite's follow.
    index = []
    for d, n in enumerate(shape):
        if shrink_mask & (1 << d):
            assume(-n <= begin[d] < n)  # else not a valid model
            strides[d] = 1  # as converters write it: TFLM copies nothing for a negative one
            index.append(begin[d])
        else:
            index.append(slice(None if begin_mask & (1 << d) else begin[d],
                               None if end_mask & (1 << d) else end[d], strides[d]))
    out_shape = np.empty(shape)[tuple(index)].shape
    assume(0 not in out_shape)
    tensors = [T(shape, scale=0.05, zero_point=3), _int32(begin), _int32(end), _int32(strides),
               T(out_shape, scale=0.05, zero_point=3)]
    opts = options("StridedSliceOptions", beginMask=begin_mask, endMask=end_mask, shrinkAxisMask=shrink_mask)
    _check(tmp_path_factory, [("STRIDED_SLICE", "StridedSliceOptions", opts, [0, 1, 2, 3], [4])],
           tensors, "slice")


@CASES
@given(shape=shapes(5), data=st.data(), scale=SCALE, zp=ZERO_POINT)
def test_transpose(tmp_path_factory, shape, data, scale, zp):
    perm = data.draw(st.permutations(range(len(shape))))
    tensors = [T(shape, scale=scale, zero_point=zp), _int32(perm),
               T(tuple(shape[a] for a in perm), scale=scale, zero_point=zp)]
    _check(tmp_path_factory, [("TRANSPOSE", "TransposeOptions", options("TransposeOptions"), [0, 1], [2])],
           tensors, "transpose")


@st.composite
def split_cases(draw, dtype="int8"):
    """A shape, an axis (negative or not), how it is cut (sizes along the axis), and whether
    a CONCATENATION joins every part (in reverse) or the model's output is one part."""
    shape = draw(shapes(4, 4))
    rank = len(shape)
    axis = draw(st.integers(-rank, rank - 1))
    parts = draw(st.lists(st.integers(1, 3), min_size=1, max_size=4))
    return {"shape": shape, "axis": axis, "parts": parts, "dtype": dtype, "join": draw(st.booleans()),
            "equal": draw(st.booleans()), "output": draw(st.integers(0, 3)), "scale": draw(SCALE)}


def split_model(c):
    """SPLIT (equal parts) or SPLIT_V, then a CONCATENATION of its outputs in reverse order,
    or one of its outputs as the model's output."""
    dtype, axis = c["dtype"], c["axis"] % len(c["shape"])
    parts = [c["parts"][0]] * len(c["parts"]) if c["equal"] else c["parts"]
    shape = c["shape"][:axis] + (sum(parts),) + c["shape"][axis + 1:]

    def q(shape):
        return T(shape, dtype=dtype, scale=c["scale"], zero_point=0 if dtype == "int16" else 5)

    tensors = [q(shape), T((), dtype="int32", data=np.array(c["axis"], np.int32))]
    outputs = []
    for n in parts:
        tensors.append(q(shape[:axis] + (n,) + shape[axis + 1:]))
        outputs.append(len(tensors) - 1)
    if c["equal"]:
        ops = [("SPLIT", "SplitOptions", options("SplitOptions", numSplits=len(parts)), [1, 0], outputs)]
    else:
        tensors.append(_int32(parts))
        ops = [("SPLIT_V", "SplitVOptions", options("SplitVOptions", numSplits=len(parts)),
                [0, len(tensors) - 1, 1], outputs)]
    if not c["join"]:
        return build_model(ops, tensors, [0], [outputs[c["output"] % len(outputs)]])
    tensors.append(q(shape))
    ops.append(("CONCATENATION", "ConcatenationOptions", options("ConcatenationOptions", axis=c["axis"]),
                outputs[::-1], [len(tensors) - 1]))
    return build_model(ops, tensors, [0], [len(tensors) - 1])


@CASES
@given(c=split_cases())
def test_split(tmp_path_factory, c):
    assert_bit_exact(split_model(c), str(tmp_path_factory.mktemp("split")))


@st.composite
def pack_cases(draw, dtype="int8"):
    """A shape, an axis to unpack along, and where PACK puts the slices back."""
    shape = draw(shapes(3, 4))
    rank = len(shape)
    return {"shape": shape, "dtype": dtype, "unpack_axis": draw(st.integers(-rank, rank - 1)),
            "pack_axis": draw(st.integers(-rank, rank - 1)), "reverse": draw(st.booleans()),
            "scale": draw(SCALE), "zp": 0 if dtype == "int16" else draw(ZERO_POINT)}


def pack_model(c):
    """UNPACK along one axis, then PACK of the slices, maybe reversed, along another."""
    dtype, shape = c["dtype"], c["shape"]
    axis = c["unpack_axis"] % len(shape)
    count = shape[axis]
    piece = shape[:axis] + shape[axis + 1:]
    pack_axis = c["pack_axis"] % len(shape)
    packed = piece[:pack_axis] + (count,) + piece[pack_axis:]

    def q(shape):
        return T(shape, dtype=dtype, scale=c["scale"], zero_point=c["zp"])

    tensors = [q(shape)] + [q(piece) for _ in range(count)] + [q(packed)]
    pieces = list(range(1, count + 1))
    order = pieces[::-1] if c["reverse"] else pieces
    ops = [("UNPACK", "UnpackOptions", options("UnpackOptions", num=count, axis=c["unpack_axis"]), [0], pieces),
           ("PACK", "PackOptions", options("PackOptions", valuesCount=count, axis=c["pack_axis"]), order,
            [count + 1])]
    return build_model(ops, tensors, [0], [count + 1])


@CASES
@given(c=pack_cases())
def test_pack_unpack(tmp_path_factory, c):
    assert_bit_exact(pack_model(c), str(tmp_path_factory.mktemp("pack")))


@st.composite
def gather_cases(draw):
    shape = draw(shapes(4, 5))
    rank = len(shape)
    axis = draw(st.integers(0, rank - 1))
    batch_dims = draw(st.integers(0, axis))
    index_shape = shape[:batch_dims] + tuple(draw(st.lists(st.integers(1, 4), min_size=0, max_size=2)))
    return shape, axis, batch_dims, index_shape, draw(st.integers(0, 2**16)), draw(st.booleans())


@CASES
@given(case=gather_cases())
def test_gather(tmp_path_factory, case):
    """Constant indices, with batch dimensions, along any axis (given negative or not)."""
    shape, axis, batch_dims, index_shape, seed, negative_axis = case
    indices = np.random.default_rng(seed).integers(0, shape[axis], index_shape).astype(np.int32)
    out_shape = shape[:axis] + index_shape[batch_dims:] + shape[axis + 1:]
    tensors = [T(shape, scale=0.05, zero_point=-7), T(index_shape, dtype="int32", data=indices),
               T(out_shape, scale=0.05, zero_point=-7)]
    opts = options("GatherOptions", axis=axis - len(shape) if negative_axis else axis, batchDims=batch_dims)
    _check(tmp_path_factory, [("GATHER", "GatherOptions", opts, [0, 1], [2])], tensors, "gather")


@CASES
@given(rows=st.integers(5, 9), width=st.integers(1, 4), count=st.integers(1, 6))
def test_gather_runtime_indices(tmp_path_factory, rows, width, count):
    """Indices computed by the model: int8 inputs requantized to int32 values in [0, 4]
    (QUANTIZE to int32), which pick rows of a constant table."""
    table = np.arange(rows * width, dtype=np.int8).reshape(rows, width)
    tensors = [T((count,), scale=1.0, zero_point=-128), T((count,), dtype="int32", scale=64.0, zero_point=0),
               T((rows, width), data=table, scale=0.1), T((count, width), scale=0.1)]
    ops = [("QUANTIZE", None, None, [0], [1]),
           ("GATHER", "GatherOptions", options("GatherOptions", axis=0), [2, 1], [3])]
    _check(tmp_path_factory, ops, tensors, "gather_runtime")


def _gather_model(indices, index_dtype="int32"):
    tensors = [T((2, 5), scale=0.1), T((len(indices),), dtype=index_dtype, data=np.array(indices, index_dtype)),
               T((2, len(indices)), scale=0.1)]
    return build_model([("GATHER", "GatherOptions", options("GatherOptions", axis=1), [0, 1], [2])],
                       tensors, [0], [2])


def _pack_model(values_count):
    tensors = [T((3,), scale=0.1), T((3,), scale=0.1, data=np.zeros(3, np.int8)), T((2, 3), scale=0.1)]
    opts = options("PackOptions", valuesCount=values_count, axis=0)
    return build_model([("PACK", "PackOptions", opts, [0, 1], [2])], tensors, [0], [2])


@pytest.mark.parametrize("model, message", [
    (_gather_model([1, 5]), r"indices \[1, 5\] outside \[0, 5\)"),
    (_gather_model([1, 2], "int64"), "indices of type int64"),
    (_pack_model(3), "values_count 3 with 2 inputs"),
], ids=["gather_index_out_of_range", "gather_int64_indices", "pack_values_count"])
def test_refused_with_a_reason(model, message):
    """What TFLite Micro rejects, or would read outside a tensor for, stops the build."""
    with pytest.raises(UserError, match=message):
        generate_aot(parse_tflite(model, "<test model>"), "m", "<test model>")
