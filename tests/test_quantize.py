"""ONNX -> int8 TFLite conversion (nnbuild.quantize) on the ECM AF-detection model."""

import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "site_scons"))

from nnbuild import quantize  # noqa: E402
from nnbuild.errors import UserError  # noqa: E402

AF = ROOT.parent / "shared" / "af_detection"
ONNX = AF / "ecm_af_detection.onnx"
needs_af = pytest.mark.skipif(
    not ONNX.is_file(), reason=f"reference model {ONNX} not found (../shared beside the repository)")


@pytest.fixture(scope="module")
def ecm_int8(tmp_path_factory):
    """The ECM model converted twice with the same 50 calibration samples."""
    calibration = np.load(AF / "ecg_calib.npz")["x"][:50]
    runs = []
    for name in ("a", "b"):
        work = tmp_path_factory.mktemp(f"quantize_{name}")
        info = quantize.quantize_onnx(ONNX, calibration, work / "ecm.tflite", work / "work")
        runs.append((info, (work / "ecm.tflite").read_bytes()))
    return runs


@needs_af
def test_int8_model_has_integer_boundary(ecm_int8):
    from tflite_micro.python.tflite_micro import runtime

    info, data = ecm_int8[0]
    interp = runtime.Interpreter.from_bytes(data)
    assert interp.get_input_details(0)["dtype"] == np.int8
    assert interp.get_output_details(0)["dtype"] == np.int8
    assert info["input_dtype"] == info["output_dtype"] == "int8"
    assert not {"QUANTIZE", "DEQUANTIZE"} & set(info["ops"])
    # onnx2tf turns NCHW [1,1,1250,1] into NHWC [1,1250,1,1].
    assert info["input_perm"] == [0, 2, 3, 1]
    assert info["tflite_input_shape"] == [1, 1250, 1, 1]


@needs_af
def test_conversion_is_deterministic(ecm_int8):
    (_, first), (_, second) = ecm_int8
    assert first == second


@needs_af
def test_int8_accuracy_close_to_float(ecm_int8):
    info, data = ecm_int8[0]
    evaluation = np.load(AF / "ecg_eval.npz")
    # Every 6th sample: 50 AF and 50 not (the file is sorted by class, so the
    # first 100 are all AF and a constant answer would score 1.0).
    x, y = evaluation["x"][::6], evaluation["y"][::6]
    float_acc = quantize.accuracy(quantize.run_float_onnx(ONNX, x), y)
    raw, dequantized = quantize.run_quantized(data, quantize.to_tflite_layout(x, info))
    int8_acc = quantize.accuracy(dequantized, y)
    assert raw.dtype == np.int8 and raw.shape == (100, 2)
    # Naive int8 lost ~15 points on this model (TF's calibrator records the
    # ranges of in-place element-wise ops wrongly); with exact ranges int8 stays
    # within a point or two of float. Measured here: float 0.93, int8 0.90 with
    # 50 calibration samples.
    agreement = np.mean(np.argmax(dequantized, -1) == np.argmax(quantize.run_float_onnx(ONNX, x), -1))
    assert float_acc >= 0.85
    assert int8_acc >= float_acc - 0.05
    assert agreement >= 0.95


@pytest.mark.unit
def test_corrupt_onnx_is_a_user_error(tmp_path):
    bad = tmp_path / "broken.onnx"
    bad.write_bytes(b"\x08\x07\x12\x04this is not an ONNX model\xff\xfe")
    with pytest.raises(UserError) as error:
        quantize.quantize_onnx(bad, np.zeros((1, 4), np.float32), tmp_path / "m.tflite", tmp_path / "w")
    assert str(bad) in str(error.value)
    assert not (tmp_path / "m.tflite").exists()


@needs_af
@pytest.mark.unit
def test_calibration_shape_mismatch_is_a_user_error(tmp_path):
    with pytest.raises(UserError, match=r"\[N, 1250\]"):
        quantize.quantize_onnx(ONNX, np.zeros((4, 1000), np.float32), tmp_path / "m.tflite", tmp_path / "w")


@pytest.mark.unit
def test_quantize_input_rounds_half_away_from_zero():
    x = np.array([0.5, 1.5, 2.5, -0.5, -2.5, 0.49999997, 1000.0, -1000.0], np.float32)
    q = quantize.quantize_input(x, 1.0, 0, np.int8)
    assert q.tolist() == [1, 2, 3, -1, -3, 0, 127, -128]
    assert quantize.quantize_input(np.float32([0.0]), 0.5, -5, np.int16).tolist() == [-5]
