"""16x8 kernels (int16 activations, int8 weights, int64 bias) against the TFLite Micro interpreter.

As in test_kernels.py, hypothesis draws shapes, strides, scales and activations;
each single-operator model is compiled with sanitizers and fed random int16
inputs over the whole range, and must match the reference byte for byte.
int16 LOGISTIC and TANH are checked on all 65536 inputs. Zero points are 0, as
16x8 quantization makes them, except where TFLite's int16 kernels honour others.
The model builders of the int8 tests are reused with int16 tensors where the
operator is the same; an operator that TFLite Micro runs on int8 only is refused
with one clear error.
"""

import shutil

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from aot_harness import assert_bit_exact, build_runner, run_runner
from nnbuild.runtimes.aot.codegen import generate_aot
from nnbuild.errors import UserError
from nnbuild.reference import reference_outputs
from nnbuild.tflite_model import parse_tflite
from test_kernels import _out_size
from test_kernels_elementwise import binary_model, broadcast_shapes, prelu_cases, prelu_model
from test_kernels_tensor_ops import pack_cases, pack_model, slice_cases, split_cases, split_model
from tflite_builder import T, build_model, options


def _cases(n):
    return settings(max_examples=n, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


ACTIVATIONS = st.sampled_from([0, 1, 3])          # NONE, RELU, RELU6
PADDING = st.sampled_from([0, 1])                 # SAME, VALID
SCALE = st.floats(1e-4, 0.01)                     # int16 steps: a range of +-3 to +-300
ZERO_POINT = st.sampled_from([0, 0, -700, 1234])  # for the kernels that honour one


def _check(tmp_path_factory, ops, tensors, name):
    """A model whose input is tensor 0 and whose output is the last tensor."""
    model = build_model(ops, tensors, [0], [len(tensors) - 1])
    assert_bit_exact(model, str(tmp_path_factory.mktemp(name)))


def _int32(values):
    values = np.asarray(values, dtype=np.int32)
    return T(values.shape, dtype="int32", data=values)


def _weights(rng, shape, channels, per_channel):
    scale = list(rng.uniform(0.001, 0.05, channels)) if per_channel else float(rng.uniform(0.001, 0.05))
    return rng.integers(-127, 128, shape).astype(np.int8), scale


def _bias(rng, n, in_scale, w_scale, dtype="int64"):
    return T((n,), dtype=dtype, data=rng.integers(-2**24, 2**24, n).astype(dtype),
             scale=list(in_scale * np.atleast_1d(w_scale)))


INT64, INT32 = 4, 2  # schema TensorType, as quantizedBiasType names them


conv_case = st.fixed_dictionaries({
    # Channel counts around the kernels' blocks; 40 input channels of a 4x4 filter are more than
    # the convolution's receptive-field copy holds (512 int16 values).
    "h": st.integers(1, 10), "w": st.integers(1, 10), "cin": st.sampled_from([1, 2, 5, 17, 40]),
    "cout": st.integers(1, 9),
    "kh": st.integers(1, 4), "kw": st.integers(1, 4), "sh": st.integers(1, 3), "sw": st.integers(1, 3),
    "dh": st.integers(1, 2), "dw": st.integers(1, 2), "padding": PADDING, "act": ACTIVATIONS,
    "in_scale": SCALE, "out_scale": SCALE, "per_channel": st.booleans(), "bias": st.booleans(),
    "multiplier": st.integers(1, 3), "seed": st.integers(0, 2**16),
})


def _conv_model(c, depthwise, bias_dtype="int64"):
    """bias_dtype int32: TFLM's int16 CONV_2D accumulates in int32 (an omitted bias says so
    with quantizedBiasType)."""
    rng = np.random.default_rng(c["seed"])
    oh = _out_size(c["padding"], c["h"], c["kh"], c["sh"], c["dh"])
    ow = _out_size(c["padding"], c["w"], c["kw"], c["sw"], c["dw"])
    if oh < 1 or ow < 1:
        return None
    cout = c["cin"] * c["multiplier"] if depthwise else c["cout"]
    wshape = (1, c["kh"], c["kw"], cout) if depthwise else (cout, c["kh"], c["kw"], c["cin"])
    w, w_scale = _weights(rng, wshape, cout, c["per_channel"])
    tensors = [T((1, c["h"], c["w"], c["cin"]), dtype="int16", scale=c["in_scale"]),
               T(wshape, data=w, scale=w_scale, quantized_dimension=3 if depthwise else 0),
               _bias(rng, cout, c["in_scale"], w_scale, bias_dtype),
               T((1, oh, ow, cout), dtype="int16", scale=c["out_scale"])]
    common = dict(padding=c["padding"], strideH=c["sh"], strideW=c["sw"], dilationHFactor=c["dh"],
                  dilationWFactor=c["dw"], fusedActivationFunction=c["act"])
    # TFLM's DEPTHWISE_CONV_2D crashes on an omitted bias (it frees the absent tensor).
    inputs = [0, 1, 2] if c["bias"] or depthwise else [0, 1, -1]
    if depthwise:
        op = ("DEPTHWISE_CONV_2D", "DepthwiseConv2DOptions",
              options("DepthwiseConv2DOptions", depthMultiplier=c["multiplier"], **common), inputs, [3])
    else:
        bias_type = INT32 if bias_dtype == "int32" else INT64
        op = ("CONV_2D", "Conv2DOptions", options("Conv2DOptions", quantizedBiasType=bias_type, **common), inputs, [3])
    return build_model([op], tensors, [0], [3])


@_cases(10)
@given(c=conv_case)
def test_conv_2d(tmp_path_factory, c):
    model = _conv_model(c, depthwise=False)
    if model is not None:
        assert_bit_exact(model, str(tmp_path_factory.mktemp("conv16")))


@_cases(5)
@given(c=conv_case)
def test_conv_2d_int32_bias(tmp_path_factory, c):
    model = _conv_model(c, depthwise=False, bias_dtype="int32")
    if model is not None:
        assert_bit_exact(model, str(tmp_path_factory.mktemp("conv16_acc32")))


@_cases(6)
@given(c=conv_case)
def test_depthwise_conv_2d(tmp_path_factory, c):
    model = _conv_model(c, depthwise=True)
    if model is not None:
        assert_bit_exact(model, str(tmp_path_factory.mktemp("dwconv16")))


@_cases(8)
@given(batches=st.integers(1, 3), depth=st.integers(1, 40), units=st.integers(1, 12), act=ACTIVATIONS,
       in_scale=SCALE, in_zp=ZERO_POINT, out_scale=SCALE, out_zp=ZERO_POINT, per_channel=st.booleans(),
       bias=st.booleans(), bias_dtype=st.sampled_from(["int64", "int64", "int32"]), seed=st.integers(0, 2**16))
def test_fully_connected(tmp_path_factory, batches, depth, units, act, in_scale, in_zp, out_scale, out_zp,
                         per_channel, bias, bias_dtype, seed):
    """An int32 bias (or quantizedBiasType int32) makes TFLM accumulate in int32."""
    rng = np.random.default_rng(seed)
    w, w_scale = _weights(rng, (units, depth), units, per_channel)
    tensors = [T((batches, depth), dtype="int16", scale=in_scale, zero_point=in_zp),
               T((units, depth), data=w, scale=w_scale), _bias(rng, units, in_scale, w_scale, bias_dtype),
               T((batches, units), dtype="int16", scale=out_scale, zero_point=out_zp)]
    opts = options("FullyConnectedOptions", fusedActivationFunction=act,
                   quantizedBiasType=INT32 if bias_dtype == "int32" else INT64)
    op = ("FULLY_CONNECTED", "FullyConnectedOptions", opts, [0, 1, 2] if bias else [0, 1, -1], [3])
    _check(tmp_path_factory, [op], tensors, "fc16")


@_cases(8)
@given(h=st.integers(1, 12), w=st.integers(1, 12), c=st.sampled_from([1, 3, 5, 16, 17, 35]), fh=st.integers(1, 4),
       fw=st.integers(1, 4), sh=st.integers(1, 3), sw=st.integers(1, 3), padding=PADDING,
       act=ACTIVATIONS, scale=SCALE, zp=ZERO_POINT, kind=st.sampled_from(["AVERAGE_POOL_2D", "MAX_POOL_2D"]))
def test_pooling(tmp_path_factory, h, w, c, fh, fw, sh, sw, padding, act, scale, zp, kind):
    oh, ow = _out_size(padding, h, fh, sh, 1), _out_size(padding, w, fw, sw, 1)
    if oh < 1 or ow < 1:
        return
    tensors = [T((1, h, w, c), dtype="int16", scale=scale, zero_point=zp),
               T((1, oh, ow, c), dtype="int16", scale=scale, zero_point=zp)]
    op = (kind, "Pool2DOptions", options("Pool2DOptions", padding=padding, strideH=sh, strideW=sw,
                                         filterHeight=fh, filterWidth=fw, fusedActivationFunction=act), [0], [1])
    _check(tmp_path_factory, [op], tensors, "pool16")


binary_case = st.fixed_dictionaries({
    "shapes": broadcast_shapes(), "act": ACTIVATIONS, "input_first": st.booleans(),
    "scale1": SCALE, "zp1": ZERO_POINT, "scale2": SCALE, "zp2": ZERO_POINT,
    "out_scale": SCALE, "out_zp": ZERO_POINT, "seed": st.integers(0, 2**16),
})


def _binary(tmp_path_factory, kind, c, symmetric=False):
    """One operand is the model input, the other a constant (as the ECM model's scale and shift)."""
    shape1, shape2, out_shape = c["shapes"]
    zps = (0, 0, 0) if symmetric else (c["zp1"], c["zp2"], c["out_zp"])
    operands = [T(shape1, dtype="int16", scale=c["scale1"], zero_point=zps[0]),
                T(shape2, dtype="int16", scale=c["scale2"], zero_point=zps[1])]
    constant = 1 if c["input_first"] else 0
    operands[constant].data = np.random.default_rng(c["seed"]).integers(
        -32768, 32768, operands[constant].shape).astype(np.int16)
    tensors = operands + [T(out_shape, dtype="int16", scale=c["out_scale"], zero_point=zps[2])]
    opts = kind.capitalize() + "Options"
    op = (kind, opts, options(opts, fusedActivationFunction=c["act"]), [0, 1], [2])
    assert_bit_exact(build_model([op], tensors, [1 - constant], [2]), str(tmp_path_factory.mktemp(kind)))


@_cases(6)
@given(c=binary_case)
def test_add(tmp_path_factory, c):
    _binary(tmp_path_factory, "ADD", c)


@_cases(4)
@given(c=binary_case)
def test_sub(tmp_path_factory, c):
    _binary(tmp_path_factory, "SUB", c)


@_cases(6)
@given(c=binary_case)
def test_mul(tmp_path_factory, c):
    _binary(tmp_path_factory, "MUL", c, symmetric=True)


@_cases(3)
@given(h=st.integers(1, 40), c=st.integers(1, 8), scale=SCALE, mean_scale=SCALE, out_scale=SCALE)
def test_squeeze_excitation(tmp_path_factory, h, c, scale, mean_scale, out_scale):
    """The ECM model's gate: x * sigmoid(mean(x)), a [1,H,1,C] by [1,1,1,C] MUL of two activations."""
    tensors = [T((1, h, 1, c), dtype="int16", scale=scale), _int32([1, 2]),
               T((1, 1, 1, c), dtype="int16", scale=mean_scale), T((1, 1, 1, c), dtype="int16", scale=2**-15),
               T((1, h, 1, c), dtype="int16", scale=out_scale)]
    ops = [("MEAN", "ReducerOptions", options("ReducerOptions", keepDims=True), [0, 1], [2]),
           ("LOGISTIC", None, None, [2], [3]),
           ("MUL", "MulOptions", options("MulOptions"), [0, 3], [4])]
    _check(tmp_path_factory, ops, tensors, "se16")


def sigmoid_scales(test):
    """LOGISTIC's and TANH's input scales: powers of two take TFLite's exact path (2^-12 for
    both, 2^-11 for TANH), other scales (2^-10 too) the general rescaling."""
    for scale in (2**-12, 2**-11, 2**-10):
        test = example(scale=scale)(test)
    return given(scale=st.floats(1e-5, 2.6))(test)


EVERY_INPUT = np.arange(-32768, 32768, dtype=np.int16)


def _bit_exact_on(tmp_path_factory, model, values, name):
    """The model, whose input is [1, len(values)], fed `values` once: equal to TFLM."""
    inputs = values.reshape(1, 1, -1)
    expected = reference_outputs(model, inputs)
    command, _ = build_runner(model, str(tmp_path_factory.mktemp(name)))
    np.testing.assert_array_equal(run_runner(command, inputs, expected.shape[1:], expected.dtype), expected)


def _every_input(tmp_path_factory, kind, scale):
    tensors = [T((1, 65536), dtype="int16", scale=scale), T((1, 65536), dtype="int16", scale=2**-15)]
    model = build_model([(kind, None, None, [0], [1])], tensors, [0], [1])
    _bit_exact_on(tmp_path_factory, model, EVERY_INPUT, kind)


@_cases(4)
@sigmoid_scales
def test_logistic_on_every_input(tmp_path_factory, scale):
    _every_input(tmp_path_factory, "LOGISTIC", scale)


@_cases(4)
@sigmoid_scales
def test_tanh_on_every_input(tmp_path_factory, scale):
    _every_input(tmp_path_factory, "TANH", scale)


@_cases(6)
@given(shape=st.lists(st.integers(1, 4), min_size=0, max_size=2).map(tuple), depth=st.integers(1, 300),
       scale=st.floats(1e-5, 0.01), beta=st.sampled_from([1.0, 0.5, 2.0]))
@example(shape=(256,), depth=2, scale=1.5e-4, beta=1.0)  # pairs over [-10, 0]: any table entry off shows
def test_softmax(tmp_path_factory, shape, depth, scale, beta):
    """The exp and 1 / (1 + x) tables are filled in Python as TFLite fills them in float32."""
    tensors = [T(shape + (depth,), dtype="int16", scale=scale), T(shape + (depth,), dtype="int16", scale=2**-15)]
    op = ("SOFTMAX", "SoftmaxOptions", options("SoftmaxOptions", beta=beta), [0], [1])
    _check(tmp_path_factory, [op], tensors, "softmax16")


@st.composite
def mean_cases(draw):
    shape = draw(st.lists(st.integers(1, 6), min_size=1, max_size=4).map(tuple))
    rank = len(shape)
    if rank == 4 and draw(st.booleans()):
        axes = [1, 2]  # the spatial mean of NHWC models
    else:
        axes = draw(st.lists(st.integers(-rank, rank - 1), min_size=1, max_size=rank + 1))
    return shape, axes, draw(st.booleans()), (draw(SCALE), draw(ZERO_POINT)), (draw(SCALE), draw(ZERO_POINT))


@_cases(6)
@given(case=mean_cases())
def test_mean(tmp_path_factory, case):
    shape, axes, keep_dims, (in_scale, in_zp), (out_scale, out_zp) = case
    reduced = {a % len(shape) for a in axes}
    out_shape = tuple(1 if d in reduced else n for d, n in enumerate(shape) if keep_dims or d not in reduced)
    tensors = [T(shape, dtype="int16", scale=in_scale, zero_point=in_zp), _int32(axes),
               T(out_shape, dtype="int16", scale=out_scale, zero_point=out_zp)]
    op = ("MEAN", "ReducerOptions", options("ReducerOptions", keepDims=keep_dims), [0, 1], [2])
    _check(tmp_path_factory, [op], tensors, "mean16")


@_cases(4)
@given(shape=st.lists(st.integers(1, 4), min_size=1, max_size=4).map(tuple),
       pads=st.lists(st.integers(0, 2), min_size=8, max_size=8), zp=ZERO_POINT,
       value=st.one_of(st.none(), st.integers(-32768, 32767)))
def test_pad(tmp_path_factory, shape, pads, zp, value):
    """int16 PAD pads with 0 (not the zero point), PADV2 with its constant value."""
    paddings = np.array(pads[:2 * len(shape)], dtype=np.int32).reshape(-1, 2)
    out_shape = tuple(n + int(paddings[d].sum()) for d, n in enumerate(shape))
    tensors = [T(shape, dtype="int16", scale=0.001, zero_point=zp), _int32(paddings)]
    if value is None:
        op = ("PAD", "PadOptions", options("PadOptions"), [0, 1], [2])
    else:
        tensors.append(T((1,), dtype="int16", scale=0.001, zero_point=zp, data=np.array([value], np.int16)))
        op = ("PADV2", "PadV2Options", options("PadV2Options"), [0, 1, 2], [3])
    tensors.append(T(out_shape, dtype="int16", scale=0.001, zero_point=zp))
    _check(tmp_path_factory, [op], tensors, "pad16")


@_cases(4)
@given(shape=st.lists(st.integers(1, 5), min_size=1, max_size=5).map(tuple), data=st.data())
def test_transpose_and_reshape(tmp_path_factory, shape, data):
    """The ECM model's head: TRANSPOSE, then a RESHAPE that aliases it."""
    perm = data.draw(st.permutations(range(len(shape))))
    out_shape = tuple(shape[a] for a in perm)
    tensors = [T(shape, dtype="int16", scale=0.001), _int32(perm), T(out_shape, dtype="int16", scale=0.001),
               _int32([1, -1]), T((1, int(np.prod(shape))), dtype="int16", scale=0.001)]
    ops = [("TRANSPOSE", "TransposeOptions", options("TransposeOptions"), [0, 1], [2]),
           ("RESHAPE", None, None, [2, 3], [4])]
    _check(tmp_path_factory, ops, tensors, "transpose16")


SHAPE = st.lists(st.integers(1, 8), min_size=0, max_size=4).map(tuple).filter(lambda s: np.prod(s) <= 256)


def _unary(kind, shape, in_q, out_q, options_type=None, opts=None):
    tensors = [T(shape, dtype="int16", scale=in_q[0], zero_point=in_q[1]),
               T(shape, dtype="int16", scale=out_q[0], zero_point=out_q[1])]
    return build_model([(kind, options_type, opts, [0], [1])], tensors, [0], [1])


# The unary int16 activations see every input: a multiplier off in its last bit (TFLM's
# rescalings are computed in double) shows on a few of the 65536 values only.

@_cases(3)
@given(scale=SCALE, out_scale=SCALE)
def test_relu_on_every_input(tmp_path_factory, scale, out_scale):
    model = _unary("RELU", (1, 65536), (scale, 0), (out_scale, 0))
    _bit_exact_on(tmp_path_factory, model, EVERY_INPUT, "relu16")


@_cases(3)
@given(scale=st.floats(1e-4, 0.5), zp=ZERO_POINT, out_scale=SCALE)
def test_relu6_on_every_input(tmp_path_factory, scale, zp, out_scale):
    """Clamped to the input's own 0 and 6, zero point included."""
    model = _unary("RELU6", (1, 65536), (scale, zp), (out_scale, zp))
    _bit_exact_on(tmp_path_factory, model, EVERY_INPUT, "relu6_16")


@_cases(5)
@given(scale=SCALE, zp=ZERO_POINT, out_scale=SCALE, out_zp=ZERO_POINT, alpha=st.floats(-1.5, 1.5))
def test_leaky_relu_on_every_input(tmp_path_factory, scale, zp, out_scale, out_zp, alpha):
    """The ECG model's LEAKY_RELU, 16x8."""
    model = _unary("LEAKY_RELU", (1, 65536), (scale, zp), (out_scale, out_zp), "LeakyReluOptions",
                   options("LeakyReluOptions", alpha=alpha))
    _bit_exact_on(tmp_path_factory, model, EVERY_INPUT, "leaky_relu16")


@_cases(4)
@given(kind=st.sampled_from(["ADD", "SUB"]), scales=st.lists(SCALE, min_size=3, max_size=3),
       zero_points=st.lists(ZERO_POINT, min_size=3, max_size=3), seed=st.integers(0, 2**16))
def test_add_sub_on_every_input(tmp_path_factory, kind, scales, zero_points, seed):
    """Every input value against a random constant operand."""
    other = np.random.default_rng(seed).integers(-32768, 32768, (1, 65536)).astype(np.int16)
    tensors = [T((1, 65536), dtype="int16", scale=scales[0], zero_point=zero_points[0]),
               T((1, 65536), dtype="int16", scale=scales[1], zero_point=zero_points[1], data=other),
               T((1, 65536), dtype="int16", scale=scales[2], zero_point=zero_points[2])]
    opts = kind.capitalize() + "Options"
    model = build_model([(kind, opts, options(opts), [0, 1], [2])], tensors, [0], [2])
    _bit_exact_on(tmp_path_factory, model, EVERY_INPUT, kind.lower() + "16")


@_cases(4)
@given(c=binary_case)
def test_squared_difference(tmp_path_factory, c):
    c = {**c, "zp1": 0, "zp2": 0, "out_zp": 0}
    model = binary_model("SQUARED_DIFFERENCE", c, "int16")
    assert_bit_exact(model, str(tmp_path_factory.mktemp("squared_difference16")))


@_cases(4)
@given(c=binary_case, kind=st.sampled_from(["MAXIMUM", "MINIMUM"]))
def test_maximum_minimum(tmp_path_factory, c, kind):
    assert_bit_exact(binary_model(kind, c, "int16"), str(tmp_path_factory.mktemp(kind.lower() + "16")))


@_cases(4)
@given(c=prelu_cases("int16", ZERO_POINT, SCALE))
def test_prelu(tmp_path_factory, c):
    """int16 input and output, int8 alpha."""
    assert_bit_exact(prelu_model(c), str(tmp_path_factory.mktemp("prelu16")))


@_cases(4)
@given(c=split_cases("int16"))
def test_split(tmp_path_factory, c):
    assert_bit_exact(split_model(c), str(tmp_path_factory.mktemp("split16")))


@_cases(4)
@given(c=pack_cases("int16"))
def test_pack_unpack(tmp_path_factory, c):
    assert_bit_exact(pack_model(c), str(tmp_path_factory.mktemp("pack16")))


@_cases(3)
@given(shape=st.lists(st.integers(1, 4), min_size=1, max_size=4).map(tuple), axis_seed=st.integers(0, 7),
       sizes=st.lists(st.integers(1, 3), min_size=1, max_size=3), scales=st.lists(SCALE, min_size=4, max_size=4))
def test_concatenation(tmp_path_factory, shape, axis_seed, sizes, scales):
    """Scales may differ (TFLM requires zero points of 0, and copies raw values)."""
    rank = len(shape)
    axis = axis_seed % (2 * rank) - rank
    tensors = [T(shape, dtype="int16", scale=scales[0])]
    rng = np.random.default_rng(axis_seed)
    for i, size in enumerate(sizes):
        part = shape[:axis % rank] + (size,) + shape[axis % rank + 1:]
        tensors.append(T(part, dtype="int16", scale=scales[i + 1],
                         data=rng.integers(-32768, 32768, part).astype(np.int16)))
    out_shape = shape[:axis % rank] + (shape[axis % rank] + sum(sizes),) + shape[axis % rank + 1:]
    tensors.append(T(out_shape, dtype="int16", scale=scales[-1]))
    op = ("CONCATENATION", "ConcatenationOptions", options("ConcatenationOptions", axis=axis),
          list(range(len(tensors) - 1)), [len(tensors) - 1])
    _check(tmp_path_factory, [op], tensors, "concat16")


@_cases(4)
@given(case=slice_cases())
def test_strided_slice(tmp_path_factory, case):
    shape, axis_draws, (begin_mask, end_mask, shrink_mask) = case
    begin, end, strides = (list(v) for v in zip(*axis_draws))
    index = []
    for d, n in enumerate(shape):
        if shrink_mask & (1 << d):
            if not -n <= begin[d] < n:
                return
            strides[d] = 1
            index.append(begin[d])
        else:
            index.append(slice(None if begin_mask & (1 << d) else begin[d],
                               None if end_mask & (1 << d) else end[d], strides[d]))
    out_shape = np.empty(shape)[tuple(index)].shape
    if 0 in out_shape:
        return
    tensors = [T(shape, dtype="int16", scale=0.001), _int32(begin), _int32(end), _int32(strides),
               T(out_shape, dtype="int16", scale=0.001)]
    opts = options("StridedSliceOptions", beginMask=begin_mask, endMask=end_mask, shrinkAxisMask=shrink_mask)
    _check(tmp_path_factory, [("STRIDED_SLICE", "StridedSliceOptions", opts, [0, 1, 2, 3], [4])], tensors, "slice16")


@_cases(3)
@given(shape=SHAPE, scale=SCALE, zp=ZERO_POINT, mid_scale=st.floats(1e-5, 1.0), mid_zp=st.integers(-10**6, 10**6),
       out_scale=SCALE, out_zp=ZERO_POINT)
def test_quantize(tmp_path_factory, shape, scale, zp, mid_scale, mid_zp, out_scale, out_zp):
    """int16 -> int32 -> int16 -> int16: three requantizations."""
    tensors = [T(shape, dtype="int16", scale=scale, zero_point=zp),
               T(shape, dtype="int32", scale=mid_scale, zero_point=mid_zp),
               T(shape, dtype="int16", scale=scale * 2, zero_point=-zp),
               T(shape, dtype="int16", scale=out_scale, zero_point=out_zp)]
    ops = [("QUANTIZE", None, None, [0], [1]), ("QUANTIZE", None, None, [1], [2]), ("QUANTIZE", None, None, [2], [3])]
    _check(tmp_path_factory, ops, tensors, "quantize16")


@_cases(2)
@given(shape=SHAPE, scale=SCALE, zp=ZERO_POINT, out_scale=SCALE, out_zp=ZERO_POINT)
def test_dequantize_quantize_float(tmp_path_factory, shape, scale, zp, out_scale, out_zp):
    """int16 -> DEQUANTIZE -> float32 -> QUANTIZE -> int16."""
    tensors = [T(shape, dtype="int16", scale=scale, zero_point=zp), T(shape, dtype="float32"),
               T(shape, dtype="int16", scale=out_scale, zero_point=out_zp)]
    ops = [("DEQUANTIZE", None, None, [0], [1]), ("QUANTIZE", None, None, [1], [2])]
    _check(tmp_path_factory, ops, tensors, "dequantize16")


@_cases(3)
@given(shape=st.lists(st.integers(1, 4), min_size=0, max_size=2).map(tuple), depth=st.integers(1, 300),
       scale=st.floats(0.002, 0.9), zp=st.integers(-128, 127), beta=st.sampled_from([1.0, 0.5, 2.0]))
def test_softmax_int8_to_int16(tmp_path_factory, shape, depth, scale, zp, beta):
    tensors = [T(shape + (depth,), scale=scale, zero_point=zp),
               T(shape + (depth,), dtype="int16", scale=1 / 65536, zero_point=-32768)]
    op = ("SOFTMAX", "SoftmaxOptions", options("SoftmaxOptions", beta=beta), [0], [1])
    _check(tmp_path_factory, [op], tensors, "softmax8_16")


@_cases(4)
@given(scale=st.floats(1e-5, 0.01), out_scale=st.floats(1e-4, 0.1))
@example(scale=2**-10, out_scale=2**-8)
def test_rsqrt_on_every_input(tmp_path_factory, scale, out_scale):
    """Every valid int16 input, 0 to 32767 (TFLM fails the invoke on a negative one)."""
    tensors = [T((1, 32768), dtype="int16", scale=scale), T((1, 32768), dtype="int16", scale=out_scale)]
    model = build_model([("RSQRT", None, None, [0], [1])], tensors, [0], [1])
    _bit_exact_on(tmp_path_factory, model, EVERY_INPUT[32768:], "rsqrt16")


def _conv_with(input_zp=0, bias_dtype="int64"):
    rng = np.random.default_rng(0)
    tensors = [T((1, 4, 4, 2), dtype="int16", scale=0.001, zero_point=input_zp),
               T((3, 1, 1, 2), data=rng.integers(-127, 128, (3, 1, 1, 2)).astype(np.int8), scale=0.01),
               T((3,), dtype=bias_dtype, data=np.zeros(3, bias_dtype), scale=1e-5),
               T((1, 4, 4, 3), dtype="int16", scale=0.002)]
    op = ("CONV_2D", "Conv2DOptions", options("Conv2DOptions", padding=0, strideH=1, strideW=1), [0, 1, 2], [3])
    return build_model([op], tensors, [0], [3])


def _depthwise_with_int32_bias():
    tensors = [T((1, 4, 4, 2), dtype="int16", scale=0.001),
               T((1, 1, 1, 2), data=np.ones((1, 1, 1, 2), np.int8), scale=0.01),
               T((2,), dtype="int32", data=np.zeros(2, np.int32), scale=1e-5),
               T((1, 4, 4, 2), dtype="int16", scale=0.002)]
    opts = options("DepthwiseConv2DOptions", padding=0, strideH=1, strideW=1, depthMultiplier=1)
    return build_model([("DEPTHWISE_CONV_2D", "DepthwiseConv2DOptions", opts, [0, 1, 2], [3])], tensors, [0], [3])


def _int16_op(kind, extra_inputs=(), options_type=None, opts=None):
    tensors = [T((1, 8), dtype="int16", scale=0.001), *extra_inputs, T((1, 8), dtype="int16", scale=0.002)]
    op = (kind, options_type, opts, list(range(len(tensors) - 1)), [len(tensors) - 1])
    return build_model([op], tensors, [0], [len(tensors) - 1])


@pytest.mark.parametrize("model, message", [
    (_conv_with(input_zp=5), "zero point 5"),
    (_depthwise_with_int32_bias(), "int64 expected"),
    (_int16_op("HARD_SWISH"), "runs on int16 tensors.*HARD_SWISH is supported for int8 activations"),
    (build_model([("GATHER", "GatherOptions", options("GatherOptions", axis=1), [0, 1], [2])],
                 [T((1, 8), dtype="int16", scale=0.001), T((2,), dtype="int32", data=np.array([1, 2], np.int32)),
                  T((1, 2), dtype="int16", scale=0.001)], [0], [2]), "GATHER is supported for int8 activations"),
    (_int16_op("SQUARED_DIFFERENCE",
               [T((1, 8), dtype="int16", scale=0.001, zero_point=5, data=np.ones((1, 8), np.int16))]), "zero point 5"),
    (_int16_op("PRELU", [T((8,), dtype="int16", scale=0.001, data=np.ones(8, np.int16))]), "int8 alpha"),
], ids=["conv_zero_point", "depthwise_int32_bias", "hard_swish", "gather", "squared_difference_zero_point",
        "prelu_int16_alpha"])
def test_unsupported_16x8_is_one_clear_error(model, message):
    """What TFLite Micro would ignore (a zero point) or read as another type (an int32 bias),
    or has no int16 kernel for, is refused at build time, not miscompiled."""
    with pytest.raises(UserError, match=message):
        generate_aot(parse_tflite(model, "<test model>"), "m", "<test model>")


@pytest.mark.skipif(shutil.which("qemu-loongarch64") is None,
                    reason="qemu-loongarch64 is not installed (Debian package qemu-user)")
def test_16x8_bit_exact_under_qemu_loongarch64(tmp_path):
    """CONV_2D, LOGISTIC, MUL, MEAN, FULLY_CONNECTED and SOFTMAX, 16x8, cross-compiled and emulated."""
    rng = np.random.default_rng(3)
    w1, w1_scale = _weights(rng, (4, 3, 1, 2), 4, per_channel=True)
    w2, w2_scale = _weights(rng, (3, 4), 3, per_channel=False)
    tensors = [T((1, 20, 1, 2), dtype="int16", scale=0.002), T(w1.shape, data=w1, scale=w1_scale),
               _bias(rng, 4, 0.002, w1_scale), T((1, 20, 1, 4), dtype="int16", scale=0.004),
               T((1, 20, 1, 4), dtype="int16", scale=2**-15), T((1, 20, 1, 4), dtype="int16", scale=0.003),
               _int32([1, 2]), T((1, 1, 1, 4), dtype="int16", scale=0.002),
               T(w2.shape, data=w2, scale=w2_scale), _bias(rng, 3, 0.002, w2_scale),
               T((1, 3), dtype="int16", scale=0.004), T((1, 3), dtype="int16", scale=2**-15)]
    ops = [("CONV_2D", "Conv2DOptions", options("Conv2DOptions", padding=0, strideH=1, strideW=1), [0, 1, 2], [3]),
           ("LOGISTIC", None, None, [3], [4]),
           ("MUL", "MulOptions", options("MulOptions"), [3, 4], [5]),
           ("MEAN", "ReducerOptions", options("ReducerOptions", keepDims=True), [5, 6], [7]),
           ("FULLY_CONNECTED", "FullyConnectedOptions", options("FullyConnectedOptions"), [7, 8, 9], [10]),
           ("SOFTMAX", "SoftmaxOptions", options("SoftmaxOptions", beta=1.0), [10], [11])]
    model = build_model(ops, tensors, [0], [11])
    assert_bit_exact(model, str(tmp_path), vectors=8, target="loongarch64")
