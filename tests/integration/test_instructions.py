"""Instructions per inference (benchmarks/instructions.py) for af_detection.

The qemu plugin and callgrind must count deterministically inside af_detection_invoke
(the whole program is not deterministic: the runner's timing code reads the clock),
and that count must agree with the difference method on whole-program counts,
(count(-n 10) - count(-n 5)) / 5, which needs no symbols.
"""

import importlib.util
import json
import os

import numpy as np
import pytest

from conftest import copy_project, scons
from nnbuild.tflite_model import load_tflite

pytestmark = pytest.mark.slow
VECTORS = 20


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    repo = copy_project(str(tmp_path_factory.mktemp("project")))
    scons(repo, "target=loongarch64,host,cortex-m55", "model=af_detection", f"vectors={VECTORS}")
    # The copy's module, so that its plugin source and build/tools are the copy's.
    spec = importlib.util.spec_from_file_location("instructions", f"{repo}/benchmarks/instructions.py")
    instructions = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(instructions)
    return repo, instructions


def _macs(tflite):
    """Multiply-accumulates of one inference (af_detection: conv and fully connected layers)."""
    graph = load_tflite(tflite)
    shape = lambda index: graph.tensors[index].shape  # noqa: E731
    return sum(int(np.prod(shape(op.outputs[0]))) * int(np.prod(shape(op.inputs[1])[1:]))
               for op in graph.operators if op.opcode in ("CONV_2D", "FULLY_CONNECTED"))


def _assert_sane(repo, per_inference):
    macs = _macs(f"{repo}/build/models/af_detection/af_detection.tflite")
    assert macs <= per_inference <= 100 * macs, (per_inference, macs)


def test_plugin_is_rebuilt_only_when_its_source_changes(project):
    repo, instructions = project
    plugin = instructions.build_plugin(f"{repo}/build")
    built = os.path.getmtime(plugin)
    assert instructions.build_plugin(f"{repo}/build") == plugin and os.path.getmtime(plugin) == built
    os.utime(instructions.PLUGIN_SOURCE, (built + 10, built + 10))
    instructions.build_plugin(f"{repo}/build")
    assert os.path.getmtime(plugin) > built


@pytest.mark.parametrize("target", ["loongarch64", "host"])
def test_linux_counts_are_deterministic_and_match_the_difference_method(project, target):
    repo, instructions = project
    model_dir = f"{repo}/build/{target}/aot/af_detection"
    five = instructions.count(target, model_dir, repeat=5)
    ten = instructions.count(target, model_dir, repeat=10)
    again = instructions.count(target, model_dir, repeat=5)
    assert (again.invoke, again.calls) == (five.invoke, five.calls)
    assert (five.calls, ten.calls) == (VECTORS + 5, VECTORS + 10)
    assert 0 < five.invoke < five.program
    assert ten.per_inference == pytest.approx(five.per_inference, rel=0.01)
    difference = (ten.program - five.program) / 5  # the last vector, start-up and I/O cancelled
    assert difference == pytest.approx(five.per_inference, rel=0.01)
    _assert_sane(repo, five.per_inference)
    assert instructions.instructions_per_inference(target, model_dir) == pytest.approx(five.per_inference,
                                                                                       rel=0.01)


def test_cortex_m55_counts_its_compiled_in_vectors(project):
    repo, instructions = project
    model_dir = f"{repo}/build/cortex-m55/aot/af_detection"
    first = instructions.count("cortex-m55", model_dir)
    again = instructions.count("cortex-m55", model_dir)
    assert (again.invoke, again.calls) == (first.invoke, first.calls)
    with open(f"{model_dir}/verify.json") as f:
        assert first.calls == json.load(f)["vectors"] == VECTORS
    assert 0 < first.invoke < first.program
    _assert_sane(repo, instructions.instructions_per_inference("cortex-m55", model_dir))
