"""runtime=tflm: TensorFlow Lite Micro compiled from a tree the user gives (tflm=PATH or TFLM_ROOT).

Without a tree, scons stops with one clean error. The builds (host and loongarch64,
bit-exact with the TFLite Micro interpreter, the library built once for every model) need
TFLM_ROOT. They use the kernels the tree was made for: a tree made with
OPTIMIZED_KERNEL_DIR=cmsis_nn runs CMSIS-NN's portable C code there. With such a tree,
cortex-m55 is built and verified with CMSIS-NN's Helium (MVE) code too. The op-resolver
generation, the source listing and the errors on their own: tests/unit/test_tflm.py.
"""

import json
import os
import re
import subprocess
import sys

import numpy as np
import pytest

from conftest import copy_project, scons, shared_file
from nnbuild.runtimes.tflm import glue as tflm
from nnbuild.errors import UserError
from tflite_builder import fc_softmax_model as _fc_softmax_model


# --- without a tree ---------------------------------------------------------------

@pytest.mark.slow
def test_scons_without_a_tree_stops_with_one_clean_error(tmp_path):
    repo = copy_project(str(tmp_path))
    env = {k: v for k, v in os.environ.items() if k != "TFLM_ROOT"}
    proc = subprocess.run([sys.executable, "-m", "SCons", "-Q", "target=host", "runtime=tflm"],
                          cwd=repo, capture_output=True, text=True, env=env)
    assert proc.returncode != 0
    errors = [line for line in (proc.stdout + proc.stderr).splitlines() if line.startswith("nnbuild: error:")]
    assert len(errors) == 1 and "create_tflm_tree.py" in errors[0], proc.stderr
    assert "Traceback" not in proc.stderr


# --- with a tree (TFLM_ROOT) ---------------------------------------------------------

TREE = os.environ.get("TFLM_ROOT", "")
needs_tree = pytest.mark.skipif(not TREE, reason="TFLM_ROOT is not set. " + tflm.NO_TREE)
TARGETS = "target=host,loongarch64"


def _steps(proc):
    return [line for line in proc.stdout.splitlines() if re.match(r"\[\w+\] ", line)]


@pytest.fixture(scope="module")
def tflm_project(tmp_path_factory):
    if not TREE:
        pytest.skip("TFLM_ROOT is not set. " + tflm.NO_TREE)
    shared_file("af_detection", "ecg_eval.npz")
    repo = copy_project(str(tmp_path_factory.mktemp("tflm")))
    first = scons(repo, "-j2", TARGETS, "runtime=tflm", f"tflm={TREE}", "model=af_detection")
    return repo, first


def _check_verified(repo, target, model):
    folder = os.path.join(repo, "build", target, "tflm", model)
    with open(os.path.join(folder, "verify.json")) as f:
        verify = json.load(f)
    assert verify["bit_exact"] and verify["mismatches"] == 0 and verify["vectors"] > 0
    with open(os.path.join(folder, "size.json")) as f:
        size = json.load(f)
    assert size["flash"]["components"]["tflm"] > 10_000
    assert size["arena"]["tflm"] > 0 and size["arena"]["bytes"] >= size["arena"]["tflm"]
    assert size["ram"]["components"]["arena"] == size["arena"]["bytes"]
    return size


@pytest.mark.slow
@needs_tree
def test_af_detection_is_bit_exact_on_host_and_loongarch64(tflm_project):
    repo, first = tflm_project
    steps = _steps(first)
    assert sum(1 for s in steps if s.startswith("[ar] ") and s.endswith("libtflm.a")) == 2   # once per target
    assert not any("aot" in s for s in steps)        # the aot runtime is not built
    for target in ("host", "loongarch64"):
        _check_verified(repo, target, "af_detection")
        assert re.search(rf"{target} \(zig\): build/{target}/tflm/af_detection/firmware", first.stdout)
    assert first.stdout.count("verify: bit-exact") == 2
    assert re.search(r"arena \d+ B \(lower bound \d+ B, TFLite Micro \d+ B\)", first.stdout)


@pytest.mark.slow
@needs_tree
def test_a_second_model_reuses_the_library(tflm_project):
    repo, _ = tflm_project
    kws = "model=../shared/models/kws_ref_model.tflite"
    shared_file("models", "kws_ref_model.tflite")
    second = scons(repo, "-j2", TARGETS, "runtime=tflm", f"tflm={TREE}", kws)
    steps = _steps(second)
    assert not any(TREE in s or "libtflm.a" in s for s in steps), steps   # no TFLM source compiled, no archive
    assert any(s.startswith("[link] ") for s in steps)
    for target in ("host", "loongarch64"):
        _check_verified(repo, target, "kws_ref_model")
    # Nothing left to do for either model.
    assert scons(repo, "-q", TARGETS, "runtime=tflm", f"tflm={TREE}", kws, check=False).returncode == 0
    assert scons(repo, "-q", TARGETS, "runtime=tflm", f"tflm={TREE}", "model=af_detection",
                 check=False).returncode == 0


@pytest.mark.slow
@needs_tree
def test_a_model_change_does_not_recompile_tflm(tflm_project, tmp_path):
    repo, _ = tflm_project
    model = tmp_path / "net.tflite"
    model.write_bytes(_fc_softmax_model())
    first = scons(repo, "-j2", "target=host", "runtime=tflm", f"tflm={TREE}", f"model={model}")
    assert not any(TREE in s for s in _steps(first))
    w = np.full((4, 4), 3, dtype=np.int8)   # new weights, same operators
    data = _fc_softmax_model().replace(np.arange(16, dtype=np.int8).tobytes(), w.tobytes())
    model.write_bytes(data)
    second = scons(repo, "target=host", "runtime=tflm", f"tflm={TREE}", f"model={model}")
    steps = _steps(second)
    assert any(s.startswith("[carray] ") for s in steps) and any(s.startswith("[link] ") for s in steps)
    assert not any(TREE in s or "libtflm.a" in s for s in steps), steps
    assert "verify: bit-exact" in second.stdout


def _cmsis_nn_skip_reason():
    """Why the CMSIS-NN build cannot be tested with TFLM_ROOT, or "" when it can."""
    if not TREE:
        return "TFLM_ROOT is not set. " + tflm.NO_TREE
    try:
        tflm.choose_kernels(tflm.find_tree(TREE), "cmsis_nn")
    except UserError as e:
        return f"TFLM_ROOT={TREE} was not made for CMSIS-NN kernels: {e}"
    return ""


def _mve_instructions(elf, function):
    """Helium (MVE) instructions in the disassembly of one function of the firmware."""
    listing = subprocess.run(["arm-none-eabi-objdump", "-d", f"--disassemble={function}", elf],
                             capture_output=True, text=True, check=True).stdout
    return re.findall(r"\t(vldrb|vldrw|vmlava|vmladava|vaddva|vqrdmulh|vstrb|dlstp|letp|wlstp)\S*", listing)


@pytest.mark.slow
@pytest.mark.skipif(bool(_cmsis_nn_skip_reason()), reason=_cmsis_nn_skip_reason())
def test_cmsis_nn_on_cortex_m55_uses_helium_and_is_bit_exact(tflm_project):
    repo, _ = tflm_project
    proc = scons(repo, "target=cortex-m55", "runtime=tflm", f"tflm={TREE}", "tflm_kernels=cmsis_nn",
                 "model=af_detection")
    steps = _steps(proc)
    assert any(s.startswith("[ar] ") and "/tflm-cmsis_nn-" in s and s.endswith("libtflm.a") for s in steps)
    assert any("arm_convolve_s8.c" in s for s in steps)      # CMSIS-NN's own sources are in the library
    assert "verify: bit-exact" in proc.stdout
    size = _check_verified(repo, "cortex-m55", "af_detection")
    assert size["arena"]["kernel_scratch"] > 0            # room for CMSIS-NN's scratch buffers
    with open(os.path.join(repo, "build", "models", "af_detection", "tflm", "tflm_info.json")) as f:
        assert json.load(f)["kernels"] == "cmsis_nn"
    # -mcpu=cortex-m55 -mfloat-abi=hard defines __ARM_FEATURE_MVE, so CMSIS-NN takes its
    # ARM_MATH_MVEI paths: its int8 matrix multiply is Helium code.
    elf = os.path.join(repo, "build", "cortex-m55", "tflm", "af_detection", "firmware.elf")
    assert len(_mve_instructions(elf, "arm_nn_mat_mult_nt_t_s8")) >= 4
