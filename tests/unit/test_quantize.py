"""nnbuild.quantize without a conversion: a corrupt ONNX file and calibration data of the
wrong shape are user errors; inputs round half away from zero. The ECM model converted:
tests/integration/test_quantize_conversion.py."""

import numpy as np
import pytest

from conftest import ECM_ONNX as ONNX, needs_ecm as needs_af
from nnbuild import quantize
from nnbuild.errors import UserError


def test_corrupt_onnx_is_a_user_error(tmp_path):
    bad = tmp_path / "broken.onnx"
    bad.write_bytes(b"\x08\x07\x12\x04this is not an ONNX model\xff\xfe")
    with pytest.raises(UserError) as error:
        quantize.quantize_onnx(bad, np.zeros((1, 4), np.float32), tmp_path / "m.tflite", tmp_path / "w")
    assert str(bad) in str(error.value)
    assert not (tmp_path / "m.tflite").exists()


@needs_af
def test_calibration_shape_mismatch_is_a_user_error(tmp_path):
    with pytest.raises(UserError, match=r"\[N, 1250\]"):
        quantize.quantize_onnx(ONNX, np.zeros((4, 1000), np.float32), tmp_path / "m.tflite", tmp_path / "w")


def test_quantize_input_rounds_half_away_from_zero():
    x = np.array([0.5, 1.5, 2.5, -0.5, -2.5, 0.49999997, 1000.0, -1000.0], np.float32)
    q = quantize.quantize_input(x, 1.0, 0, np.int8)
    assert q.tolist() == [1, 2, 3, -1, -3, 0, 127, -128]
    assert quantize.quantize_input(np.float32([0.0]), 0.5, -5, np.int16).tolist() == [-5]
