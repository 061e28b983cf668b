"""A sample of the kernel tests, cross-compiled with zig for loongarch64 and run under qemu:
the kernels must be bit-exact on the target too, not only on the host."""

import shutil

import numpy as np
import pytest

from aot_harness import assert_bit_exact
from test_kernels import _conv_model
from test_kernels_elementwise import _binary_model
from tflite_builder import T, build_model, options

pytestmark = pytest.mark.skipif(shutil.which("qemu-loongarch64") is None,
                                reason="qemu-loongarch64 is not installed (Debian package qemu-user)")

CONV = {"h": 9, "w": 7, "cin": 3, "cout": 5, "kh": 3, "kw": 2, "sh": 2, "sw": 1, "dh": 1, "dw": 2,
        "padding": 0, "act": 1, "in_scale": 0.05, "in_zp": 3, "out_scale": 0.1, "out_zp": -7,
        "per_channel": True, "seed": 7, "multiplier": 2}
ADD = {"shapes": ((1, 4, 4, 3), (1, 1, 1, 3), (1, 4, 4, 3)), "seed": 3, "scale1": 0.05, "zp1": -2,
       "scale2": 0.02, "zp2": 5, "out_scale": 0.08, "out_zp": 1, "act": 0, "input_first": True}


def _softmax():
    tensors = [T((1, 10), scale=0.1, zero_point=4), T((1, 10), scale=1 / 256, zero_point=-128)]
    op = ("SOFTMAX", "SoftmaxOptions", options("SoftmaxOptions", beta=1.0), [0], [1])
    return build_model([op], tensors, [0], [1])


def _mean():
    tensors = [T((1, 5, 6, 4), scale=0.05, zero_point=-3),
               T((2,), dtype="int32", data=np.array([1, 2], np.int32)),
               T((1, 1, 1, 4), scale=0.04, zero_point=2)]
    op = ("MEAN", "ReducerOptions", options("ReducerOptions", keepDims=True), [0, 1], [2])
    return build_model([op], tensors, [0], [2])


SAMPLE = {
    "conv_2d": lambda: _conv_model(CONV, depthwise=False),
    "depthwise_conv_2d": lambda: _conv_model(CONV, depthwise=True),
    "add_broadcast": lambda: _binary_model("ADD", ADD),
    "mul_broadcast": lambda: _binary_model("MUL", ADD),
    "softmax": _softmax,
    "mean": _mean,
}


@pytest.mark.parametrize("name", SAMPLE)
def test_kernel_bit_exact_under_qemu_loongarch64(tmp_path, name):
    assert_bit_exact(SAMPLE[name](), str(tmp_path), vectors=8, target="loongarch64")
