"""Real models nobody here wrote, through the whole pipeline for loongarch64 and host.

The four MLPerf Tiny int8 models enter as .tflite, the ECM atrial-fibrillation
model as ONNX through quantization. Each must verify bit-exact under qemu, and
its arena must stay within 5% of the lower bound and below TFLite Micro's.
"""

import json
import os

import pytest

from conftest import copy_project, scons, shared_file

pytestmark = pytest.mark.slow
MODELS = {
    "kws_ref_model": ("models", "kws_ref_model.tflite"),
    "pretrainedResnet_quant": ("models", "pretrainedResnet_quant.tflite"),
    "vww_96_int8": ("models", "vww_96_int8.tflite"),
    "ad01_int8": ("models", "ad01_int8.tflite"),
    "ecm_af_detection": ("af_detection", "ecm_af_detection.onnx"),
}


@pytest.fixture(scope="module")
def repo(tmp_path_factory):
    return copy_project(str(tmp_path_factory.mktemp("models")))


@pytest.mark.parametrize("name", MODELS)
def test_model_builds_and_verifies_bit_exact(repo, name):
    path = shared_file(*MODELS[name])
    args = ["target=loongarch64,host", f"model={path}", "vectors=20"]
    if path.endswith(".onnx"):
        args += [f"calibration={shared_file('af_detection', 'ecg_calib.npz')}",
                 f"eval={shared_file('af_detection', 'ecg_eval.npz')}"]
    scons(repo, *args)
    for target in ("loongarch64", "host"):
        out = os.path.join(repo, "build", target, "aot", name)
        with open(os.path.join(out, "verify.json")) as f:
            verify = json.load(f)
        assert verify["vectors"] == 20 and verify["bit_exact"] and verify["mismatches"] == 0
        with open(os.path.join(out, "size.json")) as f:
            arena = json.load(f)["arena"]
        assert arena["plan_bound"] <= arena["bytes"] <= 1.05 * arena["plan_bound"]
        assert arena["bytes"] <= arena["lower_bound"]
        assert arena["bytes"] <= arena["tflm"]
