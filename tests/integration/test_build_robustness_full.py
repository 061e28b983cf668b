"""Robustness in full builds: Ctrl-C during a conversion leaves nothing half done, two builds
at once (one of them for loongarch64, verified under qemu) do not corrupt each other, and odd
model names build and verify. The rest, on tiny host builds: tests/unit/test_build_robustness.py."""

import json
import os
import threading
import time

import pytest

from conftest import copy_project, interrupt as _interrupt, scons, steps as _steps, tiny_model_file


# --- interrupts ----------------------------------------------------------------------------

@pytest.mark.slow
def test_ctrl_c_during_quantization_says_interrupted(tmp_path):
    repo = copy_project(str(tmp_path))
    out, err = _interrupt(repo, ["target=host", "verify=0"], r"\[quantize\]")
    assert "nnbuild: interrupted while [quantize] models/af_detection/model.onnx ran" in err, out + err
    assert "onnx2tf could not" not in err and "Traceback" not in err
    assert not os.path.exists(os.path.join(repo, "build/models/af_detection/af_detection.tflite"))
    again = scons(repo, "target=host", "verify=0")
    assert "[quantize] models/af_detection/model.onnx" in _steps(again)


# --- two builds at once --------------------------------------------------------------------

def test_two_builds_at_once_take_turns_and_keep_the_records(tiny):
    repo, model = tiny
    results = {}

    def build(key, targets):
        results[key] = scons(repo, f"target={targets}", f"model={model}", check=False)

    first = threading.Thread(target=build, args=("first", "host"))
    first.start()
    time.sleep(0.3)
    build("second", "host,loongarch64")
    first.join()
    assert results["first"].returncode == 0 and results["second"].returncode == 0
    waited = [r for r in results.values() if "is in use by another scons" in r.stderr]
    assert len(waited) == 1
    assert "waiting for it to finish" in waited[0].stderr
    # Both builds' records were kept: nothing left to do.
    assert scons(repo, "-q", "target=host,loongarch64", f"model={model}", check=False).returncode == 0


@pytest.mark.slow
def test_odd_names_build_and_verify(tmp_path):
    """Derived names and name= are real builds, run and verified, for Linux and bare metal."""
    repo = copy_project(str(tmp_path))
    first = tiny_model_file(str(tmp_path), "ecm_AFNet_95-94")
    second = tiny_model_file(str(tmp_path), "2024 model")
    scons(repo, "target=host,cortex-m55", f"model={first}")
    scons(repo, "target=host", f"model={second}", "name=main")
    for folder in ("host/aot/ecm_AFNet_95_94", "cortex-m55/aot/ecm_AFNet_95_94", "host/aot/main"):
        with open(os.path.join(repo, "build", folder, "verify.json")) as f:
            assert json.load(f)["bit_exact"]
