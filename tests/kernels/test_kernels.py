"""Each aot kernel against the TFLite Micro interpreter, on single-operator models.

Shapes, strides, paddings, dilations, scales and zero points are drawn by
hypothesis; each case is compiled for the host with address and undefined-
behaviour sanitizers and must match the reference byte for byte.
"""

import os

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aot_harness import assert_bit_exact
from tflite_builder import T, build_model, options

CASES = settings(max_examples=12, deadline=None, derandomize=True,
                 suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
ACTIVATIONS = st.sampled_from([0, 1, 3])          # NONE, RELU, RELU6
PADDING = st.sampled_from([0, 1])                 # SAME, VALID
SCALE = st.floats(0.002, 0.5)
ZERO_POINT = st.integers(-128, 127)


def _out_size(padding, size, k, stride, dilation):
    effective = (k - 1) * dilation + 1
    return (size + stride - 1) // stride if padding == 0 else (size + stride - effective) // stride


def _seeded(seed):
    return np.random.default_rng(seed)


conv_case = st.fixed_dictionaries({
    # Channel counts below, at and above the kernels' blocks (4 output channels of a convolution,
    # 16 of a depthwise convolution or pool).
    "h": st.integers(1, 12), "w": st.integers(1, 12), "cin": st.sampled_from([1, 2, 3, 5, 6, 16, 17, 33]),
    "cout": st.integers(1, 9),
    "kh": st.integers(1, 4), "kw": st.integers(1, 4), "sh": st.integers(1, 3), "sw": st.integers(1, 3),
    "dh": st.integers(1, 2), "dw": st.integers(1, 2), "padding": PADDING, "act": ACTIVATIONS,
    "in_scale": SCALE, "in_zp": ZERO_POINT, "out_scale": SCALE, "out_zp": ZERO_POINT,
    "per_channel": st.booleans(), "seed": st.integers(0, 2**16), "multiplier": st.integers(1, 3),
})


def _conv_model(c, depthwise):
    """c["groups"] (default 1): a grouped CONV_2D, each filter reading cin / groups channels."""
    rng = _seeded(c["seed"])
    oh = _out_size(c["padding"], c["h"], c["kh"], c["sh"], c["dh"])
    ow = _out_size(c["padding"], c["w"], c["kw"], c["sw"], c["dw"])
    if oh < 1 or ow < 1:
        return None
    cout = c["cin"] * c["multiplier"] if depthwise else c["cout"]
    wshape = (1, c["kh"], c["kw"], cout) if depthwise else (cout, c["kh"], c["kw"], c["cin"] // c.get("groups", 1))
    w = rng.integers(-127, 128, wshape).astype(np.int8)
    w_scale = list(rng.uniform(0.001, 0.05, cout)) if c["per_channel"] else float(rng.uniform(0.001, 0.05))
    bias = rng.integers(-5000, 5000, cout).astype(np.int32)
    tensors = [
        T((1, c["h"], c["w"], c["cin"]), scale=c["in_scale"], zero_point=c["in_zp"]),
        T(wshape, data=w, scale=w_scale, quantized_dimension=3 if depthwise else 0),
        T((cout,), dtype="int32", data=bias, scale=list(c["in_scale"] * np.atleast_1d(w_scale))),
        T((1, oh, ow, cout), scale=c["out_scale"], zero_point=c["out_zp"]),
    ]
    common = dict(padding=c["padding"], strideH=c["sh"], strideW=c["sw"], dilationHFactor=c["dh"],
                  dilationWFactor=c["dw"], fusedActivationFunction=c["act"])
    if depthwise:
        op = ("DEPTHWISE_CONV_2D", "DepthwiseConv2DOptions",
              options("DepthwiseConv2DOptions", depthMultiplier=c["multiplier"], **common), [0, 1, 2], [3])
    else:
        op = ("CONV_2D", "Conv2DOptions", options("Conv2DOptions", **common), [0, 1, 2], [3])
    return build_model([op], tensors, [0], [3])


@CASES
@given(c=conv_case)
def test_conv_2d(tmp_path_factory, c):
    model = _conv_model(c, depthwise=False)
    if model is not None:
        assert_bit_exact(model, str(tmp_path_factory.mktemp("conv")))


@CASES
@given(c=conv_case)
def test_depthwise_conv_2d(tmp_path_factory, c):
    model = _conv_model(c, depthwise=True)
    if model is not None:
        assert_bit_exact(model, str(tmp_path_factory.mktemp("dwconv")))


@CASES
@given(batches=st.integers(1, 3), depth=st.integers(1, 40), units=st.integers(1, 12),
       act=ACTIVATIONS, in_scale=SCALE, in_zp=ZERO_POINT, out_scale=SCALE, out_zp=ZERO_POINT,
       per_channel=st.booleans(), bias=st.booleans(), seed=st.integers(0, 2**16))
def test_fully_connected(tmp_path_factory, batches, depth, units, act, in_scale, in_zp, out_scale,
                         out_zp, per_channel, bias, seed):
    model = _fc_model(batches, depth, units, act, in_scale, in_zp, out_scale, out_zp, per_channel, bias, seed)
    assert_bit_exact(model, str(tmp_path_factory.mktemp("fc")))


def _fc_model(batches, depth, units, act, in_scale, in_zp, out_scale, out_zp, per_channel, bias, seed):
    rng = _seeded(seed)
    w = rng.integers(-127, 128, (units, depth)).astype(np.int8)
    w_scale = list(rng.uniform(0.001, 0.05, units)) if per_channel else float(rng.uniform(0.001, 0.05))
    tensors = [T((batches, depth), scale=in_scale, zero_point=in_zp),
               T((units, depth), data=w, scale=w_scale),
               T((units,), dtype="int32", data=rng.integers(-5000, 5000, units).astype(np.int32),
                 scale=list(in_scale * np.atleast_1d(w_scale))),  # TFLM checks bias scale = in * w
               T((batches, units), scale=out_scale, zero_point=out_zp)]
    inputs = [0, 1, 2] if bias else [0, 1, -1]
    op = ("FULLY_CONNECTED", "FullyConnectedOptions",
          options("FullyConnectedOptions", fusedActivationFunction=act), inputs, [3])
    return build_model([op], tensors, [0], [3])


@CASES
@given(h=st.integers(1, 12), w=st.integers(1, 12), c=st.sampled_from([1, 3, 5, 16, 17, 35]), fh=st.integers(1, 4),
       fw=st.integers(1, 4), sh=st.integers(1, 3), sw=st.integers(1, 3), padding=PADDING,
       act=ACTIVATIONS, scale=SCALE, zp=ZERO_POINT, kind=st.sampled_from(["AVERAGE_POOL_2D", "MAX_POOL_2D"]))
def test_pooling(tmp_path_factory, h, w, c, fh, fw, sh, sw, padding, act, scale, zp, kind):
    model = _pool_model(h, w, c, fh, fw, sh, sw, padding, act, scale, zp, kind)
    if model is not None:
        assert_bit_exact(model, str(tmp_path_factory.mktemp("pool")))


def _pool_model(h, w, c, fh, fw, sh, sw, padding, act, scale, zp, kind):
    """A pool of kind AVERAGE_POOL_2D or MAX_POOL_2D; None when its output would be empty."""
    oh, ow = _out_size(padding, h, fh, sh, 1), _out_size(padding, w, fw, sw, 1)
    if oh < 1 or ow < 1:
        return None
    # Pooling keeps the input's quantization (TFLite requires equal scales).
    tensors = [T((1, h, w, c), scale=scale, zero_point=zp), T((1, oh, ow, c), scale=scale, zero_point=zp)]
    op = (kind, "Pool2DOptions", options("Pool2DOptions", padding=padding, strideH=sh, strideW=sw,
                                         filterHeight=fh, filterWidth=fw, fusedActivationFunction=act), [0], [1])
    return build_model([op], tensors, [0], [1])


@pytest.mark.parametrize("stride", [1, 2])
def test_conv_2d_with_a_filter_larger_than_the_patch(tmp_path, stride):
    """A 5x5x60 filter (1500 bytes) is more than the kernel's receptive-field copy holds: it
    runs row by row, SAME padding taking back the padding's share at every border."""
    case = {"h": 6, "w": 7, "cin": 60, "cout": 6, "kh": 5, "kw": 5, "sh": stride, "sw": stride, "dh": 1, "dw": 1,
            "padding": 0, "act": 1, "in_scale": 0.05, "in_zp": -37, "out_scale": 0.4, "out_zp": 9,
            "per_channel": True, "seed": stride, "multiplier": 1}
    assert_bit_exact(_conv_model(case, depthwise=False), str(tmp_path))


@pytest.mark.parametrize("w,padding", [(1, 0), (3, 1)])
def test_conv_2d_with_filters_as_wide_as_the_image(tmp_path, w, padding):
    """A 1-D signal (width 1) or a filter as wide as the image: receptive fields inside the image
    are read in place; SAME padding's first and last rows still go through the patch."""
    case = {"h": 40, "w": w, "cin": 3, "cout": 6, "kh": 7, "kw": w, "sh": 2, "sw": 1, "dh": 1, "dw": 1,
            "padding": padding, "act": 1, "in_scale": 0.05, "in_zp": -20, "out_scale": 0.2, "out_zp": 4,
            "per_channel": True, "seed": w, "multiplier": 1}
    assert_bit_exact(_conv_model(case, depthwise=False), str(tmp_path))


GROUPED = [(2, 3, 1, 8), (3, 2, 2, 9), (2, 5, 2, 96)]  # groups, filter width, x dilation, input channels


def _grouped_conv_model(groups, kw, dw, cin):
    case = {"h": 7, "w": 9, "cin": cin, "cout": 3 * groups, "kh": 3, "kw": kw, "sh": 1, "sw": 2, "dh": 2, "dw": dw,
            "padding": 0, "act": 0, "in_scale": 0.05, "in_zp": 11, "out_scale": 0.3, "out_zp": -5,
            "per_channel": True, "seed": groups, "multiplier": 1, "groups": groups}
    return _conv_model(case, depthwise=False)


@pytest.mark.parametrize("groups,kw,dw,cin", GROUPED)
def test_grouped_and_x_dilated_conv_2d(tmp_path, groups, kw, dw, cin):
    """Grouped convolutions (TFLite's filters of cin / groups channels, 3 output channels per
    group: a partial four) and x dilation split a filter row tap by tap; the last case's
    filter (3x5x48) is larger than the kernel's receptive-field copy."""
    assert_bit_exact(_grouped_conv_model(groups, kw, dw, cin), str(tmp_path))


def test_reshape_aliases_its_input(tmp_path):
    """RESHAPE between two FULLY_CONNECTED ops costs no code and no memory."""
    rng = _seeded(1)
    w1 = rng.integers(-127, 128, (12, 8)).astype(np.int8)
    w2 = rng.integers(-127, 128, (3, 12)).astype(np.int8)
    tensors = [T((1, 8), scale=0.1, zero_point=2), T((12, 8), data=w1, scale=0.01),
               T((1, 12), scale=0.2, zero_point=-3), T((2,), dtype="int32", data=np.array([1, 12], np.int32)),
               T((1, 12), scale=0.2, zero_point=-3), T((3, 12), data=w2, scale=0.02),
               T((1, 3), scale=0.3, zero_point=1)]
    fc = options("FullyConnectedOptions", fusedActivationFunction=0)
    ops = [("FULLY_CONNECTED", "FullyConnectedOptions", fc, [0, 1, -1], [2]),
           ("RESHAPE", None, None, [2, 3], [4]),
           ("FULLY_CONNECTED", "FullyConnectedOptions", fc, [4, 5, -1], [6])]
    model = build_model(ops, tensors, [0], [6])
    assert_bit_exact(model, str(tmp_path))
    source = (tmp_path / "m.c").read_text()
    assert "aliases its input" in source and "RESHAPE" in source



@CASES
@given(c=conv_case.map(lambda c: {**c, "kh": 1, "kw": 1, "sh": 1, "sw": 1}))
def test_pointwise_conv_2d_runs_as_a_matrix_product(tmp_path_factory, c):
    workdir = str(tmp_path_factory.mktemp("pointwise"))
    assert_bit_exact(_conv_model(c, depthwise=False), workdir)
    with open(os.path.join(workdir, "m.c")) as f:
        assert "nn_fully_connected_s8(" in f.read()
