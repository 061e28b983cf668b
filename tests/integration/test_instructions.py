"""Instructions per inference (benchmarks/instructions.py) for af_detection.

The qemu plugin and callgrind must count deterministically inside af_detection_invoke
(the whole program is not deterministic: the runner's timing code reads the clock),
and that count must agree with the difference method on whole-program counts,
(count(-n 10) - count(-n 5)) / 5, which needs no symbols.
"""

import importlib.util
import json
import os
import shutil
import subprocess

import numpy as np
import pytest

from conftest import copy_project, scons
from nnbuild import instruction_count
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
    """Between one instruction per 16 multiply-accumulates (an int8 vector of Helium's or
    LSX's VMLADAVA / dot products) and 100 per multiply-accumulate."""
    macs = _macs(f"{repo}/build/models/af_detection/af_detection.tflite")
    assert macs / 16 <= per_inference <= 100 * macs, (per_inference, macs)


def test_plugin_is_rebuilt_only_when_its_source_changes(tmp_path):
    source = tmp_path / "qemu_insn_count.c"
    shutil.copy(instruction_count.PLUGIN_SOURCE, source)
    plugin = instruction_count.build_plugin(str(tmp_path), str(source))
    built = os.path.getmtime(plugin)
    assert instruction_count.build_plugin(str(tmp_path), str(source)) == plugin and os.path.getmtime(plugin) == built
    os.utime(source, (built + 10, built + 10))
    instruction_count.build_plugin(str(tmp_path), str(source))
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


def test_a_qemu_without_plugins_counts_the_same_by_trace(project, tmp_path):
    """bookworm-backports' qemu 10 (a static build: no plugins) runs loongarch64-lsx; its
    instructions are counted from its execution log by the plugin's rules. The plain
    loongarch64 firmware runs on both qemus: the same counts inside the invoke, and the same
    split at the calls of a mark (here each convolution's)."""
    repo, _ = project
    model_dir = f"{repo}/build/loongarch64/aot/af_detection"
    graph = load_tflite(f"{repo}/build/models/af_detection/af_detection.tflite")
    first = tmp_path / "first.bin"  # one input vector: the log has a line per instruction
    size = int(np.prod(graph.tensors[graph.inputs[0]].shape))
    with open(f"{model_dir}/vectors.bin", "rb") as f:
        first.write_bytes(f.read(size))
    plugin = instruction_count.build_plugin(str(tmp_path))
    counted = [instruction_count.count_under_qemu([emulator], plugin, f"{model_dir}/firmware.elf", [str(first)],
                                                  "af_detection_invoke", mark="nn_conv2d_s8")
               for emulator in ("qemu-loongarch64", "qemu-loongarch64-10")]
    with_plugin, by_trace = counted
    assert with_plugin["calls"] == by_trace["calls"] == 1
    assert 0 < by_trace["inside"] == with_plugin["inside"]
    assert len(by_trace["buckets"]) == 7 and by_trace["buckets"] == with_plugin["buckets"]  # six convolutions


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


def test_profile_splits_an_inference_into_its_operators(project):
    """profile=1: per-operator counts that add up to the inference, under each board's qemu
    (qemu-x86_64 for the host); the Linux firmware's -n N times each operator."""
    repo, instructions = project
    boards = ("loongarch64", "host", "cortex-m55")
    plain = {t: instructions.instructions_per_inference(t, f"{repo}/build/{t}/aot/af_detection") for t in boards}
    proc = scons(repo, f"target={','.join(boards)}", "model=af_detection", f"vectors={VECTORS}", "profile=1")
    with open(f"{repo}/build/models/af_detection/aot/aot_info.json") as f:
        nodes = json.load(f)["nodes"]
    assert sum(n["macs"] for n in nodes) == _macs(f"{repo}/build/models/af_detection/af_detection.tflite")
    for target in boards:
        assert f"af_detection on {target}: instructions per inference by operator" in proc.stdout
        with open(f"{repo}/build/{target}/aot/af_detection/profile.json") as f:
            profile = json.load(f)
        operators = profile["operators"]
        assert profile["calls"] == VECTORS
        assert [o["opcode"] for o in operators] == [n["opcode"] for n in nodes]
        assert all(o["instructions"] > 0 for o in operators)
        parts = sum(o["instructions"] for o in operators) + profile["input_output_copy"]
        assert abs(parts - profile["instructions"]) <= len(operators) + 1  # rounding of the means
        # The marks cost little: the profile's inference is the plain build's, within 5%.
        assert profile["instructions"] == pytest.approx(plain[target], rel=0.05)
        assert sum(o["share"] for o in operators if o["opcode"] == "CONV_2D") > 0.5  # the convolutions dominate
    folder = f"{repo}/build/loongarch64/aot/af_detection"
    timed = subprocess.run(["qemu-loongarch64", f"{folder}/firmware", "-n", "3", f"{folder}/vectors.bin"],
                           capture_output=True, text=True, check=True).stdout
    times = [line.split() for line in timed.splitlines() if line.startswith("node ")]
    assert [int(t[1]) for t in times] == list(range(len(nodes))) and all(int(t[2]) >= 0 for t in times)
