"""Models the aot runtime cannot compile stop the build with one clear paragraph
that names the file (and the node), and leave no half-written outputs."""

import os

import numpy as np
import pytest

from conftest import copy_project, scons
from tflite_builder import T, build_model


@pytest.fixture(scope="module")
def repo(tmp_path_factory):
    return copy_project(str(tmp_path_factory.mktemp("unsupported")))


def _build(repo, name, data):
    path = os.path.join(repo, f"{name}.tflite")
    with open(path, "wb") as f:
        f.write(data)
    proc = scons(repo, "target=host", f"model={path}", check=False)
    output = proc.stdout + proc.stderr
    assert proc.returncode != 0, output
    assert "Traceback" not in output
    errors = [line for line in output.splitlines() if line.startswith("nnbuild: error:")]
    assert len(errors) == 1, output
    assert path in errors[0] or f"{name}.tflite" in errors[0]
    generated = os.path.join(repo, "build", "models", name, "aot")
    assert not os.path.exists(generated) or not os.listdir(generated), "half-written outputs left behind"
    return errors[0]


def test_operator_without_kernel(repo):
    model = build_model([("FLOOR", None, None, [0], [1])],
                        [T((1, 4), scale=0.1, name="x"), T((1, 4), scale=0.1, name="floored")], [0], [1])
    error = _build(repo, "floor_net", model)
    assert "node 0 (FLOOR, output 'floored')" in error
    assert "CONV_2D" in error and "runtime=tflm" in error


def test_operator_without_kernel_for_its_types(repo):
    """An operator the aot runtime has, on types it has no kernel for: the error says which it takes."""
    model = build_model([("HARD_SWISH", None, None, [0], [1])],
                        [T((1, 4), dtype="int16", scale=0.001, name="x"),
                         T((1, 4), dtype="int16", scale=0.001, name="swished")], [0], [1])
    error = _build(repo, "hard_swish16_net", model)
    assert "node 0 (HARD_SWISH, output 'swished') runs on int16 tensors" in error
    assert "HARD_SWISH is supported for int8 activations" in error and "runtime=tflm" in error


def test_float_model(repo):
    model = build_model([("RELU", None, None, [0], [1])],
                        [T((1, 4), dtype="float32"), T((1, 4), dtype="float32")], [0], [1])
    error = _build(repo, "float_net", model)
    assert "float (non-quantized)" in error and "quantize" in error


def test_dynamic_shape(repo):
    model = build_model([("RELU", None, None, [0], [1])],
                        [T((1, 4), scale=0.1, shape_signature=(1, -1)),
                         T((1, 4), scale=0.1, shape_signature=(1, -1))], [0], [1])
    error = _build(repo, "dynamic_net", model)
    assert "dynamic shape" in error and "static" in error


def test_corrupt_file(repo):
    data = b"\x18\x00\x00\x00TFL3" + np.random.default_rng(0).integers(0, 256, 300, np.uint8).tobytes()
    error = _build(repo, "corrupt_net", data)
    assert "corrupt" in error


def test_not_a_tflite_file(repo):
    error = _build(repo, "text_net", b"this is not a model\n")
    assert "not a TFLite flatbuffer" in error
