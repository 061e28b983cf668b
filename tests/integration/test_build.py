"""End to end: `scons target=loongarch64,host model=af_detection` in a copy of the project.

The loongarch64 firmware must be a LoongArch ELF that runs under qemu and is
bit-exact with TFLite Micro; sizes must add up; and rebuilds must do exactly
the work a change calls for, observed through the steps SCons runs.
"""

import json
import os
import re
import subprocess

import numpy as np
import onnx
import pytest
from elftools.elf.elffile import ELFFile
from onnx import numpy_helper

from conftest import copy_project, scons, shared_file

pytestmark = pytest.mark.slow
TARGETS = "target=loongarch64,host"
FIRMWARE = "build/loongarch64/aot/af_detection"


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    shared_file("af_detection", "ecg_eval.npz")
    repo = copy_project(str(tmp_path_factory.mktemp("project")))
    first = scons(repo, TARGETS)
    return repo, first


def _steps(proc):
    """The one-line step messages of a build, e.g. '[cc] kernels/conv2d_s8.c'."""
    return [line for line in proc.stdout.splitlines() if re.match(r"\[\w+\] ", line)]


def _path(repo, *parts):
    return os.path.join(repo, *parts)


def test_build_prints_steps_and_summary(project):
    _, first = project
    steps = _steps(first)
    assert "[quantize] models/af_detection/model.onnx" in steps
    assert any(s.startswith("[aot] ") for s in steps)
    assert any(s.startswith("[verify] ") for s in steps)
    assert f"loongarch64 (zig): {FIRMWARE}/firmware" in first.stdout
    assert "verify: bit-exact" in first.stdout
    assert "float 0." in first.stdout and "int8 0." in first.stdout


def test_firmware_is_a_static_loongarch_elf(project):
    repo, _ = project
    with open(_path(repo, FIRMWARE, "firmware.elf"), "rb") as f:
        elf = ELFFile(f)
        assert elf["e_machine"] in ("EM_LOONGARCH", 258)
        assert elf.get_section_by_name(".symtab") is not None      # unstripped
        assert not any(seg["p_type"] == "PT_INTERP" for seg in elf.iter_segments())  # static
    with open(_path(repo, FIRMWARE, "firmware"), "rb") as f:
        assert ELFFile(f).get_section_by_name(".symtab") is None    # the deployable is stripped
    assert os.path.getsize(_path(repo, FIRMWARE, "firmware.map")) > 0


def test_firmware_runs_under_qemu_and_rejects_a_wrong_input_size(project):
    repo, _ = project
    firmware = _path(repo, FIRMWARE, "firmware")
    ok = subprocess.run(["qemu-loongarch64", firmware, "-n", "3"], input=bytes(1250),
                        capture_output=True, check=True)
    lines = ok.stdout.decode().splitlines()
    assert len(lines[0].split()) == 2 and lines[1].startswith("latency_us: ")
    bad = subprocess.run(["qemu-loongarch64", firmware], input=bytes(1000), capture_output=True)
    assert bad.returncode == 2
    assert b"has 1000 bytes; the model takes 1250 bytes" in bad.stderr


def test_verify_is_bit_exact(project):
    repo, _ = project
    for target in ("loongarch64", "host"):
        with open(_path(repo, "build", target, "aot", "af_detection", "verify.json")) as f:
            result = json.load(f)
        assert result["vectors"] >= 20
        assert result["mismatches"] == 0 and result["bit_exact"] is True
    assert result["emulator"] == "native"


def test_size_report_adds_up_to_the_elf(project):
    repo, _ = project
    with open(_path(repo, FIRMWARE, "size.json")) as f:
        size = json.load(f)
    for memory in ("flash", "ram"):
        assert sum(size[memory]["components"].values()) == size[memory]["total"]
        assert sum(size[memory]["sections"].values()) == size[memory]["total"]
    for component in ("model weights", "kernels", "model code", "runner", "C library"):
        assert size["flash"]["components"][component] > 0, component
    with open(_path(repo, "build/models/af_detection/aot/aot_info.json")) as f:
        info = json.load(f)
    assert size["flash"]["components"]["model weights"] >= info["weights_bytes"]
    assert size["ram"]["components"]["arena"] == size["arena"]["bytes"] == info["arena"]["bytes"]
    assert size["arena"]["plan_bound"] <= size["arena"]["bytes"] <= size["arena"]["lower_bound"]
    assert "model weights" in open(_path(repo, FIRMWARE, "size.txt")).read()
    html = open(_path(repo, FIRMWARE, "size.html")).read()
    assert all(component in html for component in size["flash"]["components"])


def test_second_build_does_nothing(project):
    repo, _ = project
    assert scons(repo, "-q", TARGETS, check=False).returncode == 0


def test_touching_the_runner_template_rebuilds_only_the_runner(project):
    repo, _ = project
    path = _path(repo, "site_scons/nnbuild/families/linux/runner.c.j2")
    with open(path) as f:
        template = f.read()
    with open(path, "w") as f:  # a change that reaches the object code, so it must relink
        f.write(template.replace("usage: firmware", "usage (edited): firmware"))
    steps = _steps(scons(repo, TARGETS))
    compiled = sorted(s for s in steps if s.startswith("[cc] "))
    assert compiled == ["[cc] build/host/aot/af_detection/runner.c",
                        "[cc] build/loongarch64/aot/af_detection/runner.c"]
    assert "[link] build/loongarch64/aot/af_detection/firmware.elf" in steps
    assert not any(s.startswith(("[quantize]", "[aot]", "[ar]")) for s in steps)


def test_new_model_reconverts_but_compiles_no_kernel(project):
    repo, _ = project
    path = _path(repo, "models/af_detection/model.onnx")
    model = onnx.load(path)
    weights = next(t for t in model.graph.initializer if len(t.dims) == 4)
    weights.CopyFrom(numpy_helper.from_array(numpy_helper.to_array(weights) * np.float32(1.01), weights.name))
    onnx.save(model, path)
    proc = scons(repo, TARGETS)
    steps = _steps(proc)
    assert "[quantize] models/af_detection/model.onnx" in steps
    assert any(s.startswith("[aot] ") for s in steps)
    assert not any(s.startswith("[cc] kernels/") or s.startswith("[ar] ") for s in steps)
    # The size report keeps the previous one and compares with it.
    assert os.path.exists(_path(repo, FIRMWARE, "size.previous.json"))


def test_more_vectors_than_data_says_how_many_it_used(project):
    repo, _ = project
    proc = scons(repo, "target=host", "vectors=1000")
    assert "vectors=1000: ../shared/af_detection/ecg_eval.npz has 600 samples; comparing all 600" in proc.stdout
