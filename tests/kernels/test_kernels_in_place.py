"""The memory-saving forms of the aot code (option inplace): a PAD folded into the convolution
that reads it, depthwise convolutions, element-wise ops and activations written over their
input. Each model is compiled with sanitizers and matched byte for byte with the TFLite Micro
interpreter, and its arena report must say the form was used (a plan that quietly kept every
tensor whole would pass the comparison alone)."""

import numpy as np
import pytest

from aot_harness import assert_bit_exact
from test_kernels import _out_size
from tflite_builder import T, build_model, options

VALID, SAME = 1, 0
BIAS = {"int8": "int32", "int16": "int64"}


def _tensor(shape, dtype, rng, scale=None):
    """An activation of `dtype`: int8 with a random zero point, int16 symmetric (16x8)."""
    zero_point = int(rng.integers(-100, 100)) if dtype == "int8" else 0
    return T(shape, dtype=dtype, scale=scale or float(rng.uniform(0.01, 0.1)), zero_point=zero_point)


def _conv(tensors, rng, x, kind, k, stride, dilation, padding, cout, dtype, out_shape):
    """Appends a CONV_2D or DEPTHWISE_CONV_2D of x (tensor index) and returns the op."""
    cin = tensors[x].shape[3]
    depthwise = kind == "DEPTHWISE_CONV_2D"
    wshape = (1, k, k, cin) if depthwise else (cout, k, k, cin)
    channels = wshape[3] if depthwise else cout
    w_scale = list(rng.uniform(0.002, 0.02, channels))
    tensors.append(T(wshape, data=rng.integers(-127, 128, wshape).astype(np.int8), scale=w_scale,
                     quantized_dimension=3 if depthwise else 0))
    tensors.append(T((channels,), dtype=BIAS[dtype], data=rng.integers(-3000, 3000, channels).astype(BIAS[dtype]),
                     scale=list(tensors[x].scale * np.asarray(w_scale))))
    tensors.append(_tensor(out_shape, dtype, rng))
    common = dict(padding=padding, strideH=stride, strideW=stride, dilationHFactor=dilation,
                  dilationWFactor=dilation, fusedActivationFunction=1)
    n = len(tensors)
    if depthwise:
        return (kind, "DepthwiseConv2DOptions", options("DepthwiseConv2DOptions", depthMultiplier=1, **common),
                [x, n - 3, n - 2], [n - 1])
    return (kind, "Conv2DOptions", options("Conv2DOptions", **common), [x, n - 3, n - 2], [n - 1])


def pad_conv_model(kind, dtype, h, w, cin, pads, k, stride, dilation, seed, padv2=False):
    """x -> PAD (or PADV2 with the zero point) by (top, bottom, left, right) -> a VALID convolution."""
    rng = np.random.default_rng(seed)
    top, bottom, left, right = pads
    x = _tensor((1, h, w, cin), dtype, rng)
    padded = T((1, h + top + bottom, w + left + right, cin), dtype=dtype, scale=x.scale, zero_point=x.zero_point)
    paddings = np.array([[0, 0], [top, bottom], [left, right], [0, 0]], np.int32)
    tensors = [x, T((4, 2), dtype="int32", data=paddings), padded]
    if padv2:
        tensors.append(T((1,), dtype=dtype, data=np.array([x.zero_point], dtype), scale=x.scale,
                         zero_point=x.zero_point))
        pad = ("PADV2", "PadV2Options", options("PadV2Options"), [0, 1, 3], [2])
    else:
        pad = ("PAD", "PadOptions", options("PadOptions"), [0, 1], [2])
    oh = _out_size(VALID, padded.shape[1], k, stride, dilation)
    ow = _out_size(VALID, padded.shape[2], k, stride, dilation)
    conv = _conv(tensors, rng, 2, kind, k, stride, dilation, VALID, 5, dtype, (1, oh, ow, cin if kind != "CONV_2D" else 5))
    return build_model([pad, conv], tensors, [0], [len(tensors) - 1])


def block_model(dtype, h, w, c, seed):
    """An inverted-residual tail: 1x1 CONV_2D, 3x3 depthwise (stride 1), ADD of the block's input,
    RELU, then a 3x3 depthwise of stride 2: all but the first can run over their input."""
    rng = np.random.default_rng(seed)
    tensors = [_tensor((1, h, w, c), dtype, rng)]
    ops = [_conv(tensors, rng, 0, "CONV_2D", 1, 1, 1, SAME, c, dtype, (1, h, w, c))]
    ops.append(_conv(tensors, rng, len(tensors) - 1, "DEPTHWISE_CONV_2D", 3, 1, 1, SAME, c, dtype, (1, h, w, c)))
    tensors.append(_tensor((1, h, w, c), dtype, rng))
    ops.append(("ADD", "AddOptions", options("AddOptions", fusedActivationFunction=0),
                [len(tensors) - 2, 0], [len(tensors) - 1]))
    tensors.append(_tensor((1, h, w, c), dtype, rng))
    ops.append(("RELU", None, None, [len(tensors) - 2], [len(tensors) - 1]))
    half = ((h + 1) // 2, (w + 1) // 2)
    ops.append(_conv(tensors, rng, len(tensors) - 1, "DEPTHWISE_CONV_2D", 3, 2, 1, SAME, c, dtype, (1, *half, c)))
    return build_model(ops, tensors, [0], [len(tensors) - 1])


PAD_CASES = [  # kind, dtype, h, w, cin, (top, bottom, left, right), k, stride, dilation, PADV2
    ("DEPTHWISE_CONV_2D", "int8", 9, 8, 16, (1, 1, 1, 1), 3, 1, 1, False),
    ("DEPTHWISE_CONV_2D", "int8", 10, 10, 17, (0, 1, 0, 1), 3, 2, 1, False),   # PyTorch's stride 2 as onnx2tf writes it
    ("DEPTHWISE_CONV_2D", "int8", 7, 9, 8, (2, 2, 2, 2), 3, 1, 2, True),
    ("CONV_2D", "int8", 12, 12, 3, (1, 1, 1, 1), 3, 2, 1, False),              # a stem on RGB
    ("CONV_2D", "int8", 6, 5, 4, (2, 0, 0, 3), 3, 1, 1, True),
    ("CONV_2D", "int16", 8, 8, 5, (1, 1, 1, 1), 3, 1, 1, False),
    ("DEPTHWISE_CONV_2D", "int16", 9, 9, 6, (0, 1, 0, 1), 3, 2, 1, False),
]


@pytest.mark.parametrize("case", PAD_CASES, ids=lambda c: f"{c[0].lower()}-{c[1]}-{'x'.join(map(str, c[5]))}")
def test_pad_folds_into_its_convolution(tmp_path, case):
    kind, dtype, h, w, cin, pads, k, stride, dilation, padv2 = case
    info = assert_bit_exact(pad_conv_model(kind, dtype, h, w, cin, pads, k, stride, dilation, seed=len(str(case)),
                                           padv2=padv2), str(tmp_path))
    arena = info["arena"]
    assert len(arena["folded_pads"]) == 1, arena
    assert arena["bytes"] < arena["lower_bound"], arena


@pytest.mark.parametrize("dtype", ["int8", "int16"])
@pytest.mark.parametrize("shape", [(8, 8, 16), (7, 5, 3), (12, 1, 8)])
def test_a_block_runs_over_its_own_memory(tmp_path, dtype, shape):
    info = assert_bit_exact(block_model(dtype, *shape, seed=sum(shape)), str(tmp_path))
    arena = info["arena"]
    in_place = sorted(name.split(" (")[1].split(",")[0] for name in arena["in_place"])
    assert in_place == ["ADD", "DEPTHWISE_CONV_2D", "DEPTHWISE_CONV_2D", "RELU"], arena
    assert arena["bytes"] < arena["lower_bound"], arena


def chain_model(dtype, h, w, cin, layers, seed):
    """A chain of convolutions from an input (1, h, w, cin): `layers` of (kind, filter size,
    stride, dilation, output channels; None for a depthwise one), each SAME-padded; with
    ("PAD", top, bottom, left, right) a PAD before the next (VALID) convolution."""
    rng = np.random.default_rng(seed)
    tensors, ops, pads = [_tensor((1, h, w, cin), dtype, rng)], [], None
    for layer in layers:
        x = len(tensors) - 1
        shape = tensors[x].shape
        if layer[0] == "PAD":
            pads = layer[1:]
            padded = (1, shape[1] + pads[0] + pads[1], shape[2] + pads[2] + pads[3], shape[3])
            tensors += [T((4, 2), dtype="int32", data=np.array([[0, 0], pads[:2], pads[2:], [0, 0]], np.int32)),
                        T(padded, dtype=dtype, scale=tensors[x].scale, zero_point=tensors[x].zero_point)]
            ops.append(("PAD", "PadOptions", options("PadOptions"), [x, x + 1], [x + 2]))
            continue
        kind, k, stride, dilation, cout = layer
        padding = VALID if pads else SAME
        oh = _out_size(padding, shape[1], k, stride, dilation)
        ow = _out_size(padding, shape[2], k if kind == "CONV_2D" or shape[2] > 1 else 1, stride, dilation)
        ops.append(_conv(tensors, rng, x, kind, k, stride, dilation, padding, cout, dtype,
                         (1, oh, ow, cout or shape[3])))
        pads = None
    return build_model(ops, tensors, [0], [len(tensors) - 1])


STEM = [("PAD", 0, 1, 0, 1), ("CONV_2D", 3, 2, 1, 8), ("DEPTHWISE_CONV_2D", 3, 1, 1, None),
        ("CONV_2D", 1, 1, 1, 24), ("PAD", 1, 1, 1, 1), ("DEPTHWISE_CONV_2D", 3, 2, 1, None),
        ("CONV_2D", 1, 1, 1, 8)]
CHAIN_CASES = {  # name: input (h, w, channels), layers
    "mobilenet-stem": ((24, 24, 3), STEM),
    "odd-sizes": ((17, 13, 5), STEM),
    "dilated": ((16, 16, 4), [("CONV_2D", 1, 1, 1, 16), ("DEPTHWISE_CONV_2D", 3, 1, 2, None),
                              ("CONV_2D", 3, 1, 1, 6), ("DEPTHWISE_CONV_2D", 5, 2, 1, None)]),
}


@pytest.mark.parametrize("dtype", ["int8", "int16"])
@pytest.mark.parametrize("case", CHAIN_CASES)
def test_a_chain_of_convolutions_runs_row_by_row(tmp_path, case, dtype):
    (h, w, c), layers = CHAIN_CASES[case]
    info = assert_bit_exact(chain_model(dtype, h, w, c, layers, seed=len(case)), str(tmp_path))
    arena = info["arena"]
    assert arena["row_stages"] and all(len(s["layers"]) >= 2 for s in arena["row_stages"]), arena
    assert arena["bytes"] < arena["lower_bound"], arena
