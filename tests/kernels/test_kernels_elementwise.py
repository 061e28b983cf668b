"""Element-wise operators and activations against the TFLite Micro interpreter.

As in test_kernels.py, hypothesis draws shapes (with broadcasting), scales,
zero points and activations; each case is compiled with sanitizers and must
match TFLM byte for byte. The tables behind LOGISTIC, TANH, HARD_SWISH and RSQRT
are also checked against TFLM on all 256 inputs, for many more quantizations
than it would be quick to compile. test_kernels_16x8.py reuses the model
builders here for int16.
"""

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aot_harness import assert_bit_exact, build_runner, run_runner
from nnbuild.runtimes.aot.ops import activations
from nnbuild.reference import reference_outputs
from tflite_builder import T, build_model, options


def _cases(n):
    return settings(max_examples=n, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


ACTIVATIONS = st.sampled_from([0, 1, 3])          # NONE, RELU, RELU6
SCALE = st.floats(0.002, 0.5)
ZERO_POINT = st.integers(-128, 127)
# Small tensors: the reference interpreter's arena is ten times the model's size.
SHAPE = st.lists(st.integers(1, 8), min_size=0, max_size=4).map(tuple).filter(lambda s: np.prod(s) <= 256)


def _vectors(shape):
    """Enough input vectors that a unary op sees nearly every int8 value."""
    return max(4, 2048 // max(1, int(np.prod(shape))))


@st.composite
def broadcast_shapes(draw):
    """Two operand shapes that broadcast, up to 4-D: each drops leading axes of a common
    shape and sets some of its axes to 1."""
    full = draw(st.lists(st.integers(1, 5), min_size=0, max_size=4))

    def operand():
        kept = full[len(full) - draw(st.integers(0, len(full))):]
        return tuple(d if draw(st.booleans()) else 1 for d in kept)

    shape1, shape2 = operand(), operand()
    return shape1, shape2, tuple(np.broadcast_shapes(shape1, shape2))


binary_case = st.fixed_dictionaries({
    "shapes": broadcast_shapes(), "act": ACTIVATIONS, "input_first": st.booleans(),
    "scale1": SCALE, "zp1": ZERO_POINT, "scale2": SCALE, "zp2": ZERO_POINT,
    "out_scale": SCALE, "out_zp": ZERO_POINT, "seed": st.integers(0, 2**16),
})


def _binary_model(kind, c):
    """One operand is the model input, the other a constant (TFLM's kernels do not care)."""
    shape1, shape2, out_shape = c["shapes"]
    rng = np.random.default_rng(c["seed"])
    operands = [T(shape1, scale=c["scale1"], zero_point=c["zp1"]),
                T(shape2, scale=c["scale2"], zero_point=c["zp2"])]
    constant = 1 if c["input_first"] else 0
    operands[constant].data = rng.integers(-128, 128, operands[constant].shape).astype(np.int8)
    tensors = operands + [T(out_shape, scale=c["out_scale"], zero_point=c["out_zp"])]
    opts = kind.capitalize() + "Options"
    op = (kind, opts, options(opts, fusedActivationFunction=c["act"]), [0, 1], [2])
    return build_model([op], tensors, [1 - constant], [2])


@_cases(6)
@given(c=binary_case)
def test_add(tmp_path_factory, c):
    assert_bit_exact(_binary_model("ADD", c), str(tmp_path_factory.mktemp("add")))


@_cases(5)
@given(c=binary_case)
def test_sub(tmp_path_factory, c):
    assert_bit_exact(_binary_model("SUB", c), str(tmp_path_factory.mktemp("sub")))


@_cases(6)
@given(c=binary_case)
def test_mul(tmp_path_factory, c):
    assert_bit_exact(_binary_model("MUL", c), str(tmp_path_factory.mktemp("mul")))


OPTIONS = {"SQUARED_DIFFERENCE": None, "MAXIMUM": None, "MINIMUM": None}


def binary_model(kind, c, dtype="int8", act=True):
    """`kind` on one model input and one constant operand, in either order, of type `dtype`."""
    shape1, shape2, out_shape = c["shapes"]
    info = np.iinfo(dtype)
    operands = [T(shape1, dtype=dtype, scale=c["scale1"], zero_point=c["zp1"]),
                T(shape2, dtype=dtype, scale=c["scale2"], zero_point=c["zp2"])]
    constant = 1 if c["input_first"] else 0
    operands[constant].data = np.random.default_rng(c["seed"]).integers(
        info.min, info.max + 1, operands[constant].shape).astype(dtype)
    tensors = operands + [T(out_shape, dtype=dtype, scale=c["out_scale"], zero_point=c["out_zp"])]
    opts = kind.capitalize() + "Options"
    op = (kind, None, None, [0, 1], [2]) if kind in OPTIONS else \
        (kind, opts, options(opts, fusedActivationFunction=c["act"] if act else 0), [0, 1], [2])
    return build_model([op], tensors, [1 - constant], [2])


@_cases(5)
@given(c=binary_case)
def test_squared_difference(tmp_path_factory, c):
    assert_bit_exact(binary_model("SQUARED_DIFFERENCE", c), str(tmp_path_factory.mktemp("squared_difference")))


@_cases(5)
@given(c=binary_case, kind=st.sampled_from(["MAXIMUM", "MINIMUM"]))
def test_maximum_minimum(tmp_path_factory, c, kind):
    """Raw values compared: the operands' quantizations do not matter to TFLM, nor to us."""
    assert_bit_exact(binary_model(kind, c), str(tmp_path_factory.mktemp(kind.lower())))


@st.composite
def prelu_cases(draw, dtype="int8", zero_point=ZERO_POINT, scale=SCALE):
    """An input shape and an alpha shape that broadcasts against it (alpha per channel, per
    position, or one), with quantizations."""
    shape = draw(st.lists(st.integers(1, 5), min_size=1, max_size=4).map(tuple))
    kept = shape[len(shape) - draw(st.integers(0, len(shape))):]
    alpha_shape = tuple(d if draw(st.booleans()) else 1 for d in kept)
    return {"shape": shape, "alpha_shape": alpha_shape, "dtype": dtype,
            "in_q": (draw(scale), draw(zero_point)), "alpha_q": (draw(st.floats(0.001, 0.05)), draw(ZERO_POINT)),
            "out_q": (draw(scale), draw(zero_point)), "seed": draw(st.integers(0, 2**16))}


def prelu_model(c):
    """PRELU with a constant int8 alpha, as converters write it."""
    alpha = np.random.default_rng(c["seed"]).integers(-128, 128, c["alpha_shape"]).astype(np.int8)
    tensors = [T(c["shape"], dtype=c["dtype"], scale=c["in_q"][0], zero_point=c["in_q"][1]),
               T(c["alpha_shape"], data=alpha, scale=c["alpha_q"][0], zero_point=c["alpha_q"][1]),
               T(c["shape"], dtype=c["dtype"], scale=c["out_q"][0], zero_point=c["out_q"][1])]
    return build_model([("PRELU", None, None, [0, 1], [2])], tensors, [0], [2])


@_cases(5)
@given(c=prelu_cases())
def test_prelu(tmp_path_factory, c):
    assert_bit_exact(prelu_model(c), str(tmp_path_factory.mktemp("prelu")))


@_cases(2)
@given(h=st.integers(1, 6), w=st.integers(1, 6), c=st.integers(1, 8), scale=SCALE, zp=ZERO_POINT,
       out_scale=SCALE, out_zp=ZERO_POINT, gate_first=st.booleans())
def test_squeeze_excitation(tmp_path_factory, h, w, c, scale, zp, out_scale, out_zp, gate_first):
    """x * sigmoid(mean(x)): a [1,H,W,C] by [1,1,1,C] MUL whose operands are both activations."""
    tensors = [T((1, h, w, c), scale=scale, zero_point=zp), T((1, 1, 1, c), scale=scale, zero_point=zp),
               T((1, 1, 1, c), scale=1 / 256, zero_point=-128), T((1, h, w, c), scale=out_scale, zero_point=out_zp)]
    pool = options("Pool2DOptions", padding=1, strideH=1, strideW=1, filterHeight=h, filterWidth=w)
    ops = [("AVERAGE_POOL_2D", "Pool2DOptions", pool, [0], [1]),
           ("LOGISTIC", None, None, [1], [2]),
           ("MUL", "MulOptions", options("MulOptions"), [2, 0] if gate_first else [0, 2], [3])]
    assert_bit_exact(build_model(ops, tensors, [0], [3]), str(tmp_path_factory.mktemp("se")))


def _unary_model(kind, shape, in_q, out_q, options_type=None, opts=None):
    tensors = [T(shape, scale=in_q[0], zero_point=in_q[1]), T(shape, scale=out_q[0], zero_point=out_q[1])]
    return build_model([(kind, options_type, opts, [0], [1])], tensors, [0], [1])


@_cases(2)
@given(shape=SHAPE, scale=st.floats(0.001, 0.5), zp=ZERO_POINT)
def test_logistic(tmp_path_factory, shape, scale, zp):
    model = _unary_model("LOGISTIC", shape, (scale, zp), (1 / 256, -128))
    assert_bit_exact(model, str(tmp_path_factory.mktemp("logistic")), vectors=_vectors(shape))


@_cases(2)
@given(shape=SHAPE, scale=st.floats(0.001, 0.5), zp=ZERO_POINT)
def test_tanh(tmp_path_factory, shape, scale, zp):
    model = _unary_model("TANH", shape, (scale, zp), (1 / 128, 0))
    assert_bit_exact(model, str(tmp_path_factory.mktemp("tanh")), vectors=_vectors(shape))


@_cases(2)
@given(shape=SHAPE, scale=SCALE, zp=ZERO_POINT, out_scale=st.floats(0.004, 0.5), out_zp=ZERO_POINT)
def test_hard_swish(tmp_path_factory, shape, scale, zp, out_scale, out_zp):
    model = _unary_model("HARD_SWISH", shape, (scale, zp), (out_scale, out_zp))
    assert_bit_exact(model, str(tmp_path_factory.mktemp("hard_swish")), vectors=_vectors(shape))


@_cases(3)
@given(shape=SHAPE, scale=SCALE, zp=ZERO_POINT, out_scale=SCALE, out_zp=ZERO_POINT)
def test_relu(tmp_path_factory, shape, scale, zp, out_scale, out_zp):
    model = _unary_model("RELU", shape, (scale, zp), (out_scale, out_zp))
    assert_bit_exact(model, str(tmp_path_factory.mktemp("relu")), vectors=_vectors(shape))


@_cases(2)
@given(shape=SHAPE, scale=SCALE, zp=ZERO_POINT, out_scale=SCALE, out_zp=ZERO_POINT)
def test_relu6(tmp_path_factory, shape, scale, zp, out_scale, out_zp):
    """TFLM clamps RELU6's raw input and ignores the output quantization; so must we."""
    model = _unary_model("RELU6", shape, (scale, zp), (out_scale, out_zp))
    assert_bit_exact(model, str(tmp_path_factory.mktemp("relu6")), vectors=_vectors(shape))


@_cases(4)
@given(shape=SHAPE, scale=SCALE, zp=ZERO_POINT, out_scale=SCALE, out_zp=ZERO_POINT,
       alpha=st.floats(-1.5, 1.5))
def test_leaky_relu(tmp_path_factory, shape, scale, zp, out_scale, out_zp, alpha):
    model = _unary_model("LEAKY_RELU", shape, (scale, zp), (out_scale, out_zp),
                         "LeakyReluOptions", options("LeakyReluOptions", alpha=alpha))
    assert_bit_exact(model, str(tmp_path_factory.mktemp("leaky_relu")), vectors=_vectors(shape))


@_cases(3)
@given(shape=SHAPE, scale=SCALE, zp=ZERO_POINT, out_scale=SCALE, out_zp=ZERO_POINT, seed=st.integers(0, 2**16))
def test_rsqrt(tmp_path_factory, shape, scale, zp, out_scale, out_zp, seed):
    """Inputs at or above the zero point: TFLM fails the invoke on a negative one."""
    model = _unary_model("RSQRT", shape, (scale, zp), (out_scale, out_zp))
    inputs = np.random.default_rng(seed).integers(zp, 128, (_vectors(shape), *shape)).astype(np.int8)
    expected = reference_outputs(model, inputs)
    command, _ = build_runner(model, str(tmp_path_factory.mktemp("rsqrt")))
    np.testing.assert_array_equal(run_runner(command, inputs, expected.shape[1:], expected.dtype), expected)


@_cases(2)
@given(shape=SHAPE, scale=SCALE, zp=ZERO_POINT, out_scale=SCALE, out_zp=ZERO_POINT)
def test_quantize_int8(tmp_path_factory, shape, scale, zp, out_scale, out_zp):
    model = _unary_model("QUANTIZE", shape, (scale, zp), (out_scale, out_zp))
    assert_bit_exact(model, str(tmp_path_factory.mktemp("quantize")), vectors=_vectors(shape))


@_cases(2)
@given(shape=SHAPE, scale=SCALE, zp=ZERO_POINT, mid_scale=st.floats(1e-5, 0.01),
       mid_zp=st.integers(-300, 300), out_scale=SCALE, out_zp=ZERO_POINT)
def test_quantize_int8_int16(tmp_path_factory, shape, scale, zp, mid_scale, mid_zp, out_scale, out_zp):
    """int8 -> int16 -> int8: both requantizations."""
    tensors = [T(shape, scale=scale, zero_point=zp), T(shape, dtype="int16", scale=mid_scale, zero_point=mid_zp),
               T(shape, scale=out_scale, zero_point=out_zp)]
    ops = [("QUANTIZE", None, None, [0], [1]), ("QUANTIZE", None, None, [1], [2])]
    model = build_model(ops, tensors, [0], [2])
    assert_bit_exact(model, str(tmp_path_factory.mktemp("quantize16")), vectors=_vectors(shape))


@_cases(2)
@given(shape=SHAPE, scale=SCALE, zp=ZERO_POINT, mid_scale=st.floats(1e-4, 1.0),
       mid_zp=st.integers(-10**6, 10**6), out_scale=SCALE, out_zp=ZERO_POINT)
def test_quantize_int8_int32(tmp_path_factory, shape, scale, zp, mid_scale, mid_zp, out_scale, out_zp):
    """int8 -> int32 -> int8."""
    tensors = [T(shape, scale=scale, zero_point=zp), T(shape, dtype="int32", scale=mid_scale, zero_point=mid_zp),
               T(shape, scale=out_scale, zero_point=out_zp)]
    ops = [("QUANTIZE", None, None, [0], [1]), ("QUANTIZE", None, None, [1], [2])]
    model = build_model(ops, tensors, [0], [2])
    assert_bit_exact(model, str(tmp_path_factory.mktemp("quantize32")), vectors=_vectors(shape))


@_cases(2)
@given(shape=SHAPE, scale=SCALE, zp=ZERO_POINT, out_scale=SCALE, out_zp=ZERO_POINT)
def test_dequantize_quantize_float(tmp_path_factory, shape, scale, zp, out_scale, out_zp):
    """int8 -> DEQUANTIZE -> float32 -> QUANTIZE -> int8: both float conversions."""
    tensors = [T(shape, scale=scale, zero_point=zp), T(shape, dtype="float32"),
               T(shape, scale=out_scale, zero_point=out_zp)]
    ops = [("DEQUANTIZE", None, None, [0], [1]), ("QUANTIZE", None, None, [1], [2])]
    model = build_model(ops, tensors, [0], [2])
    assert_bit_exact(model, str(tmp_path_factory.mktemp("dequantize")), vectors=_vectors(shape))


def test_tables_match_tflm_on_every_input():
    """The LOGISTIC, TANH, HARD_SWISH and RSQRT tables, against TFLM fed all 256 int8 values
    (RSQRT: those at or above the zero point), for input scales from 1e-5 to 10 and every
    zero point region."""
    rng = np.random.default_rng(7)
    every_input = np.arange(-128, 128, dtype=np.int8).reshape(1, 1, 256)

    def tflm(kind, in_q, out_q):
        return list(reference_outputs(_unary_model(kind, (1, 256), in_q, out_q), every_input).reshape(-1))

    for _ in range(60):
        in_q = (float(np.float32(np.exp(rng.uniform(np.log(1e-5), np.log(10))))), int(rng.integers(-128, 128)))
        out_q = (float(np.float32(in_q[0] * np.exp(rng.uniform(np.log(1 / 100), np.log(4))))),
                 int(rng.integers(-128, 128)))
        assert activations.logistic_table(*in_q) == tflm("LOGISTIC", in_q, (1 / 256, -128)), in_q
        assert activations.tanh_table(*in_q) == tflm("TANH", in_q, (1 / 128, 0)), in_q
        assert activations.hard_swish_table(*in_q, *out_q) == tflm("HARD_SWISH", in_q, out_q), (in_q, out_q)
        valid = np.arange(in_q[1], 128, dtype=np.int8).reshape(1, 1, -1)
        rsqrt = _unary_model("RSQRT", valid.shape[1:], in_q, out_q)
        assert activations.rsqrt_table(*in_q, *out_q)[in_q[1] + 128:] == \
            list(reference_outputs(rsqrt, valid).reshape(-1)), (in_q, out_q)
