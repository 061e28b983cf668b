"""RESIZE_NEAREST_NEIGHBOR (int8, int16) and RESIZE_BILINEAR (int8) against the TFLite Micro
interpreter.

hypothesis draws input and output sizes (up- and downscaling, either axis), the
align_corners and half_pixel_centers options, scales and zero points; each single-operator
model is compiled for the host with sanitizers and must match the reference byte for byte.
"""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aot_harness import assert_bit_exact
from nnbuild.runtimes.aot.codegen import generate_aot
from nnbuild.errors import UserError
from nnbuild.tflite_model import parse_tflite
from tflite_builder import T, build_model, options

CASES = settings(max_examples=12, deadline=None, derandomize=True,
                 suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
SIZE = st.integers(1, 9)
ZERO_POINTS = {"int8": st.integers(-128, 127), "int16": st.sampled_from([0, -700, 1234])}
OPTIONS = {"RESIZE_NEAREST_NEIGHBOR": "ResizeNearestNeighborOptions", "RESIZE_BILINEAR": "ResizeBilinearOptions"}


def _resize_model(kind, dtype, n, h, w, c, out_h, out_w, align, half, scale=0.05, zp=0):
    size = np.array([out_h, out_w], dtype=np.int32)
    tensors = [T((n, h, w, c), dtype=dtype, scale=scale, zero_point=zp), T((2,), dtype="int32", data=size),
               T((n, out_h, out_w, c), dtype=dtype, scale=scale, zero_point=zp)]
    opts = options(OPTIONS[kind], alignCorners=align, halfPixelCenters=half)
    return build_model([(kind, OPTIONS[kind], opts, [0, 1], [2])], tensors, [0], [2])


resize_case = st.fixed_dictionaries({
    "n": st.integers(1, 2), "h": SIZE, "w": SIZE, "c": st.integers(1, 4), "out_h": st.integers(1, 20),
    "out_w": st.integers(1, 20), "align": st.booleans(), "half": st.booleans(), "scale": st.floats(0.002, 0.5),
})


@CASES
@given(case=resize_case, dtype=st.sampled_from(["int8", "int16"]), data=st.data())
def test_resize_nearest_neighbor(tmp_path_factory, case, dtype, data):
    """TFLite Micro takes align_corners and half_pixel_centers together here, unlike in RESIZE_BILINEAR."""
    model = _resize_model("RESIZE_NEAREST_NEIGHBOR", dtype, **case, zp=data.draw(ZERO_POINTS[dtype]))
    assert_bit_exact(model, str(tmp_path_factory.mktemp("nearest")))


@CASES
@given(case=resize_case, zp=ZERO_POINTS["int8"])
def test_resize_bilinear(tmp_path_factory, case, zp):
    case["half"] = case["half"] and not case["align"]
    model = _resize_model("RESIZE_BILINEAR", "int8", **case, zp=zp)
    assert_bit_exact(model, str(tmp_path_factory.mktemp("bilinear")))


@pytest.mark.parametrize("align,half", [(False, False), (True, False), (False, True)])
def test_resize_bilinear_exact_halves(tmp_path_factory, align, half):
    """2x and 4x upscaling put samples exactly halfway between integers: rounding half away
    from zero, on negative values too, is TFLite's."""
    for out in (8, 16):
        model = _resize_model("RESIZE_BILINEAR", "int8", 1, 4, 4, 3, out, out, align, half)
        assert_bit_exact(model, str(tmp_path_factory.mktemp("bilinear_halves")), vectors=8)


def _lower(model):
    return generate_aot(parse_tflite(model, "<test model>"), "m", "<test model>")


def test_resize_rejections():
    """What TFLite Micro rejects (int16 bilinear, both bilinear options), or reads outside its
    input for, stops with the reason."""
    with pytest.raises(UserError, match="RESIZE_BILINEAR is supported for int8 activations"):
        _lower(_resize_model("RESIZE_BILINEAR", "int16", 1, 2, 2, 1, 4, 4, False, False))
    with pytest.raises(UserError, match="align_corners and half_pixel_centers together"):
        _lower(_resize_model("RESIZE_BILINEAR", "int8", 1, 2, 2, 1, 4, 4, True, True))
    with pytest.raises(UserError, match="reads outside the input"):
        _lower(_resize_model("RESIZE_BILINEAR", "int8", 1, 1, 1, 1, 55, 1, False, False))
    model = _resize_model("RESIZE_NEAREST_NEIGHBOR", "int8", 1, 2, 2, 1, 4, 4, False, False)
    graph = parse_tflite(model, "<test model>")
    graph.tensors[2].shape = (1, 4, 5, 1)
    with pytest.raises(UserError, match=r"output shape \[1, 4, 5, 1\] for size \[4, 4\]"):
        generate_aot(graph, "m", "<test model>")
