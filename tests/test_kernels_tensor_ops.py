"""The tensor operators' aot kernels against the TFLite Micro interpreter: SOFTMAX,
MEAN, CONCATENATION, PAD/PADV2, STRIDED_SLICE and TRANSPOSE.

hypothesis draws shapes, axes, slices, paddings, scales and zero points; each
single-operator model is compiled for the host with sanitizers and must match
the reference byte for byte (aot_harness.assert_bit_exact).
"""

import numpy as np
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from aot_harness import assert_bit_exact
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
