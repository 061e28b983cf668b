"""SPACE_TO_BATCH_ND and BATCH_TO_SPACE_ND (int8; TFLite Micro has no int16 kernels for them)
against the TFLite Micro interpreter.

hypothesis draws 4-D NHWC and 3-D NHC shapes, block shapes, paddings and crops, scales
and zero points; each single-operator model is compiled for the host with sanitizers and
must match the reference byte for byte. TFLite Micro pads SPACE_TO_BATCH_ND with memory it
never initializes (tflite-micro issue #1646), so padded elements are compared with the
zero point, as TensorFlow pads, and every other element with TFLite Micro.
"""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aot_harness import assert_bit_exact, build_runner, run_runner
from nnbuild.runtimes.aot.codegen import generate_aot
from nnbuild.errors import UserError
from nnbuild.reference import reference_outputs
from nnbuild.tflite_model import parse_tflite
from tflite_builder import T, build_model, options

CASES = settings(max_examples=12, deadline=None, derandomize=True,
                 suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
SCALE = st.floats(0.002, 0.5)
ZERO_POINT = st.integers(-128, 127)


def _int32(values):
    values = np.asarray(values, dtype=np.int32)
    return T(values.shape, dtype="int32", data=values)


def space_to_batch(x, block, paddings):
    """TensorFlow's definition: pad with zeros, split each spatial axis into (size / block, block),
    move the block axes in front of the batch."""
    spatial = len(block)
    padded = np.pad(x, [(0, 0), *paddings, *[(0, 0)] * (x.ndim - 1 - spatial)])
    split = [padded.shape[0]]
    for d, b in enumerate(block):
        split += [padded.shape[1 + d] // b, b]
    split += list(padded.shape[1 + spatial:])
    blocks = [2 + 2 * d for d in range(spatial)]
    order = blocks + [0] + [1 + 2 * d for d in range(spatial)] + list(range(1 + 2 * spatial, len(split)))
    out = padded.reshape(split).transpose(order)
    return out.reshape([-1, *[padded.shape[1 + d] // b for d, b in enumerate(block)], *padded.shape[1 + spatial:]])


def _space_batch_model(kind, x_shape, y_shape, block, margins, scale, zp, dtype="int8"):
    opts = {"SPACE_TO_BATCH_ND": "SpaceToBatchNDOptions", "BATCH_TO_SPACE_ND": "BatchToSpaceNDOptions"}[kind]
    tensors = [T(x_shape, dtype=dtype, scale=scale, zero_point=zp), _int32(block), _int32(margins),
               T(y_shape, dtype=dtype, scale=scale, zero_point=zp)]
    return build_model([(kind, opts, options(opts), [0, 1, 2], [3])], tensors, [0], [3])


@st.composite
def space_to_batch_cases(draw):
    rank = draw(st.sampled_from([4, 4, 3]))
    block = [draw(st.integers(1, 3)) for _ in range(rank - 2)]
    spatial, paddings = [], []
    for b in block:
        size = draw(st.integers(1, 7))
        before = draw(st.integers(0, 3))
        after = draw(st.integers(0, 3))
        after += -(size + before + after) % b  # the padded size is a multiple of the block
        spatial.append(size)
        paddings.append([before, after])
    x_shape = (draw(st.integers(1, 2)), *spatial, draw(st.integers(1, 4)))
    return x_shape, block, paddings


@CASES
@given(case=space_to_batch_cases(), scale=SCALE, zp=ZERO_POINT, seed=st.integers(0, 2**16))
def test_space_to_batch_nd(tmp_path_factory, case, scale, zp, seed):
    x_shape, block, paddings = case
    y_shape = space_to_batch(np.zeros(x_shape), block, paddings).shape
    model = _space_batch_model("SPACE_TO_BATCH_ND", x_shape, y_shape, block, paddings, scale, zp)
    inputs = np.random.default_rng(seed).integers(-128, 128, (3, *x_shape)).astype(np.int8)
    command, _ = build_runner(model, str(tmp_path_factory.mktemp("s2b")))
    got = run_runner(command, inputs, y_shape, np.int8)
    padded = np.broadcast_to(space_to_batch(np.ones(x_shape), block, paddings) == 0, got.shape)
    np.testing.assert_array_equal(got[padded], zp)
    np.testing.assert_array_equal(got[~padded], reference_outputs(model, inputs)[~padded])


@st.composite
def batch_to_space_cases(draw):
    rank = draw(st.sampled_from([4, 4, 3]))
    block = [draw(st.integers(1, 3)) for _ in range(rank - 2)]
    spatial, crops = [], []
    for b in block:
        size = draw(st.integers(1, 5))
        before = draw(st.integers(0, size * b - 1))
        crops.append([before, draw(st.integers(0, size * b - 1 - before))])
        spatial.append(size)
    x_shape = (draw(st.integers(1, 2)) * int(np.prod(block)), *spatial, draw(st.integers(1, 4)))
    return x_shape, block, crops


@CASES
@given(case=batch_to_space_cases(), scale=SCALE, zp=ZERO_POINT)
def test_batch_to_space_nd(tmp_path_factory, case, scale, zp):
    x_shape, block, crops = case
    y_shape = [x_shape[0] // int(np.prod(block))]
    y_shape += [x_shape[1 + d] * b - sum(crops[d]) for d, b in enumerate(block)] + [x_shape[-1]]
    model = _space_batch_model("BATCH_TO_SPACE_ND", x_shape, tuple(y_shape), block, crops, scale, zp)
    assert_bit_exact(model, str(tmp_path_factory.mktemp("b2s")))


def test_dilated_convolution(tmp_path_factory):
    """A 3x3 convolution dilated by 2 as TensorFlow writes it: SPACE_TO_BATCH_ND, CONV_2D,
    BATCH_TO_SPACE_ND with crops."""
    rng = np.random.default_rng(3)
    w = rng.integers(-127, 128, (5, 3, 3, 4)).astype(np.int8)
    tensors = [T((1, 8, 10, 4), scale=0.05, zero_point=-3), _int32([2, 2]), _int32([[0, 0], [0, 0]]),
               T((4, 4, 5, 4), scale=0.05, zero_point=-3),
               T((5, 3, 3, 4), data=w, scale=list(rng.uniform(0.002, 0.02, 5))),
               T((4, 2, 3, 5), scale=0.1, zero_point=7), _int32([2, 2]), _int32([[0, 1], [1, 0]]),
               T((1, 3, 5, 5), scale=0.1, zero_point=7)]
    ops = [("SPACE_TO_BATCH_ND", "SpaceToBatchNDOptions", options("SpaceToBatchNDOptions"), [0, 1, 2], [3]),
           ("CONV_2D", "Conv2DOptions", options("Conv2DOptions", padding=1, strideH=1, strideW=1,
                                                dilationHFactor=1, dilationWFactor=1), [3, 4, -1], [5]),
           ("BATCH_TO_SPACE_ND", "BatchToSpaceNDOptions", options("BatchToSpaceNDOptions"), [5, 6, 7], [8])]
    assert_bit_exact(build_model(ops, tensors, [0], [8]), str(tmp_path_factory.mktemp("dilated")), vectors=8)


def test_space_batch_rejections():
    """int16 (no TFLite Micro kernel) and shapes that the block does not divide stop with the reason."""
    def lower(*args, **kwargs):
        return generate_aot(parse_tflite(_space_batch_model(*args, **kwargs), "<test model>"), "m", "<test model>")

    with pytest.raises(UserError, match="SPACE_TO_BATCH_ND is supported for int8 activations"):
        lower("SPACE_TO_BATCH_ND", (1, 4, 4, 1), (4, 2, 2, 1), [2, 2], [[0, 0], [0, 0]], 0.1, 0, dtype="int16")
    with pytest.raises(UserError, match="padded size 5x4 that the block 2x2 does not divide"):
        lower("SPACE_TO_BATCH_ND", (1, 4, 4, 1), (4, 2, 2, 1), [2, 2], [[1, 0], [0, 0]], 0.1, 0)
    with pytest.raises(UserError, match="a batch of 3 that the block 2x1 does not divide"):
        lower("BATCH_TO_SPACE_ND", (3, 2, 2, 1), (1, 4, 2, 1), [2, 1], [[0, 0], [0, 0]], 0.1, 0)
    with pytest.raises(UserError, match=r"output shape \[1, 4, 4, 1\] where its block shape and crops give"):
        lower("BATCH_TO_SPACE_ND", (4, 2, 2, 1), (1, 4, 4, 1), [2, 2], [[1, 0], [0, 0]], 0.1, 0)
