"""runtime=executorch: a PyTorch model (model.py + model.pt) exported to an ExecuTorch program.

The host links the executorch package's own runtime (this runs in CI); cross targets
compile an ExecuTorch source tree given by EXECUTORCH_ROOT and skip without one. The glue
and the PyTorch source's errors without a build: tests/unit/test_executorch.py.
"""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from conftest import copy_project, scons, shared_file
from nnbuild.runtimes.executorch import sources as executorch_sources, steps as executorch
from nnbuild.verify import parse_outputs


def _scons_package(repo, *args, quiet="-Q"):
    """scons with runtime=executorch and no tree: the host links the executorch package."""
    env = {k: v for k, v in os.environ.items() if k != "EXECUTORCH_ROOT"}
    return subprocess.run([sys.executable, "-m", "SCons", quiet, "runtime=executorch", *args], cwd=repo,
                          capture_output=True, text=True, env=env)


def _json(*parts):
    with open(os.path.join(*parts)) as f:
        return json.load(f)


@pytest.fixture(scope="module")
def host_build(tmp_path_factory):
    shared_file("af_detection", "ecg_eval.npz")
    repo = copy_project(str(tmp_path_factory.mktemp("executorch")))
    proc = _scons_package(repo, "target=host", "model=af_detection")
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return repo, proc


@pytest.mark.slow
def test_host_firmware_matches_executorch_and_pytorch(host_build):
    repo, proc = host_build
    folder = os.path.join(repo, "build", "host", "executorch", "af_detection")
    verify = _json(folder, "verify.json")
    assert verify["mismatches"] == 0 and verify["vectors"] == 600
    assert verify["max_relative_error"]["executorch"] <= executorch.RTOL_EXECUTORCH
    assert verify["max_relative_error"]["eager"] <= executorch.RTOL_EAGER
    assert verify["accuracy"] > 0.9
    assert "of eager PyTorch on 600 vectors" in proc.stdout


@pytest.mark.slow
def test_program_memory_is_planned_and_static(host_build):
    repo, _ = host_build
    models = os.path.join(repo, "build", "models", "af_detection")
    program = _json(models, "program.json")
    assert "aten::convolution.out" in program["operators"]
    assert not any("batch_norm" in op for op in program["operators"])  # folded into the convolutions
    assert program["input"]["shape"] == [1, 1, 1250, 1] and program["input"]["dtype"] == "float32"
    size = _json(repo, "build", "host", "executorch", "af_detection", "size.json")
    arena = size["arena"]
    # The arena holds the program's planned buffers; the method pool the runtime's structures.
    assert arena["bytes"] == sum((b + 15) // 16 * 16 for b in program["planned_buffers"])
    assert size["ram"]["components"]["arena"] == arena["bytes"]
    assert arena["method_pool"] >= arena["method_pool_measured"] > 0
    assert size["flash"]["components"]["model weights"] >= program["bytes"]
    assert "libexecutorch.so" in size["shared_libraries"]  # the package's runtime, outside the ELF
    header = open(os.path.join(models, "executorch", "af_detection.h")).read()
    assert "typedef float af_detection_input_t;" in header and "AF_DETECTION_INPUT_SIZE 1250" in header
    glue = open(os.path.join(models, "executorch", "af_detection_executorch.cpp")).read()
    assert "malloc" not in glue and "alignas(NN_ALIGNMENT) uint8_t af_detection_arena[AF_DETECTION_ARENA_SIZE]" in glue


@pytest.mark.slow
def test_firmware_reads_float_vectors_and_prints_exact_bits(host_build):
    repo, _ = host_build
    folder = os.path.join(repo, "build", "host", "executorch", "af_detection")
    x = np.random.default_rng(1).standard_normal((3, 1250)).astype(np.float32)
    proc = subprocess.run([os.path.join(folder, "firmware")], input=x.tobytes(), capture_output=True, check=True)
    got = parse_outputs(proc.stdout.decode(), 3, (2,), np.float32)
    expected = executorch.executorch_outputs(os.path.join(repo, "build", "models", "af_detection", "af_detection.pte"),
                                             x.reshape(3, 1, 1250, 1))
    assert np.array_equal(got.reshape(3, 2), expected.reshape(3, 2))


@pytest.mark.slow
def test_a_second_build_is_a_no_op(host_build):
    repo, _ = host_build
    proc = _scons_package(repo, "target=host", "model=af_detection", quiet="-q")
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.slow
def test_int8_program_is_exact_and_says_what_runs_in_int8(tmp_path):
    shared_file("af_detection", "ecg_calib.npz")
    repo = copy_project(str(tmp_path))
    proc = _scons_package(repo, "target=host", "model=af_detection", "quantize=int8", "vectors=100")
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    program = _json(repo, "build", "models", "af_detection", "program.json")
    assert program["precision"] == "int8"
    assert "quantized_decomposed::dequantize_per_channel.out" in program["operators"]
    in_float = program["int8"].split("computes on int8;")[1]  # convolutions have no int8 kernel here
    assert "aten::convolution.out" in in_float and "compute in float" in in_float
    assert "aten::max_pool2d_with_indices.out" in program["int8_operators"]  # pooled on int8
    verify = _json(repo, "build", "host", "executorch", "af_detection", "verify.json")
    assert verify["precision"] == "int8" and verify["bit_exact"] and verify["tolerance"]["executorch"] == 0
    assert verify["accuracy"] > 0.9
    assert "int8: weights and the activations between layers are int8" in proc.stdout


@pytest.mark.slow
@pytest.mark.parametrize("args, expected", [
    (["target=loongarch64"], "EXECUTORCH_ROOT"),
    (["target=cortex-m55"], "only Linux targets"),
    (["target=host", "toolchain=zig"], "cannot link"),
    (["target=host", "model=models/af_detection/model.onnx"], "needs a model folder"),
    (["target=host", "quantize=int16x8"], "float (the default) or int8"),
])
def test_mistakes_stop_with_one_clean_error(tmp_path_factory, args, expected):
    repo = copy_project(str(tmp_path_factory.mktemp("executorch_errors")))
    proc = _scons_package(repo, *args)
    assert proc.returncode != 0
    errors = [line for line in (proc.stdout + proc.stderr).splitlines() if line.startswith("nnbuild: error:")]
    assert len(errors) == 1 and expected in errors[0], proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr


# --- with an ExecuTorch source tree (EXECUTORCH_ROOT) ------------------------------------

TREE = os.environ.get("EXECUTORCH_ROOT", "")
NO_TREE = "EXECUTORCH_ROOT is not set. " + executorch_sources.HOW_TO_GET_A_TREE


@pytest.fixture(scope="module")
def tree_build(tmp_path_factory):
    if not TREE:
        pytest.skip(NO_TREE)
    shared_file("af_detection", "ecg_eval.npz")
    repo = copy_project(str(tmp_path_factory.mktemp("executorch_tree")))
    proc = scons(repo, "-j2", "target=host,loongarch64", "model=af_detection", "runtime=executorch", f"executorch={TREE}")
    return repo, proc


@pytest.mark.slow
@pytest.mark.skipif(not TREE, reason=NO_TREE)
@pytest.mark.parametrize("target", ["host", "loongarch64"])
def test_tree_firmware_is_bit_exact_with_executorchs_runtime(tree_build, target):
    repo, _ = tree_build
    folder = os.path.join(repo, "build", target, "executorch", "af_detection")
    verify = _json(folder, "verify.json")
    assert verify["bit_exact"] and verify["mismatches"] == 0 and verify["vectors"] == 600
    size = _json(folder, "size.json")
    components = size["flash"]["components"]
    assert components["executorch"] > 10_000 and components["kernels"] > 10_000
    assert not size["shared_libraries"]  # static: everything is in the firmware
    kernels = _json(repo, "build", "models", "af_detection", "executorch", "selected", "kernels.json")
    program = _json(repo, "build", "models", "af_detection", "program.json")
    assert kernels["operators"] == program["operators"] and len(kernels["sources"]) == len(program["operators"])


@pytest.mark.slow
@pytest.mark.skipif(not TREE, reason=NO_TREE)
def test_new_weights_rebuild_the_program_not_the_runtime(tree_build):
    import torch

    repo, _ = tree_build
    weights = os.path.join(repo, "models", "af_detection", "model.pt")
    state = torch.load(weights, weights_only=True)
    state["3.weight"] = state["3.weight"] * 1.01  # the classifier's weights
    torch.save(state, weights)
    proc = scons(repo, "target=loongarch64", "model=af_detection", "runtime=executorch", f"executorch={TREE}")
    steps = [line for line in proc.stdout.splitlines() if line.startswith("[")]
    assert any(line.startswith("[export]") for line in steps)
    assert not any(line.startswith("[c++]") and "/runtime/" in line for line in steps), steps
    assert not any("libexecutorch.a" in line for line in steps), steps
