"""A failed step never passes later, an interrupted build leaves nothing half done, a changed
helper module reruns its steps, scons -c cleans, and declaring a build imports none of the
heavy packages: on a tiny model built for the host. Two builds at once, an interrupted
conversion and odd names: tests/integration/test_build_robustness_full.py."""

import json
import os
import subprocess
import sys

import pytest

from conftest import REPO, error_line, interrupt as _interrupt, scons, steps as _steps
from nnbuild.code_dependencies import step_dependencies


# --- a failed step is redone -------------------------------------------------------------

def test_a_failed_budget_check_never_turns_into_a_pass(tiny):
    repo, model = tiny
    args = ["target=host", "verify=0", f"model={model}"]
    scons(repo, *args)
    over = scons(repo, *args, "flash_budget=4K", check=False)
    assert "over the flash budget of 4.0 KiB" in error_line(over)
    folder = os.path.join(repo, "build/host/aot/tiny")
    assert not os.path.exists(f"{folder}/size.json")   # nothing that could pass for this build's report
    with open(f"{folder}/size.over_budget.json") as f:  # but the report is there to read
        assert json.load(f)["flash"]["budget"] == 4096
    again = scons(repo, *args, "flash_budget=4K", check=False)  # the same command fails the same way
    assert "over the flash budget" in error_line(again)
    plain = scons(repo, *args)                            # the step is redone, not taken as up to date
    assert "[size] build/host/aot/tiny/firmware.elf" in _steps(plain)
    with open(f"{folder}/size.json") as f:
        assert json.load(f)["flash"]["budget"] == 4 << 30
    assert not os.path.exists(f"{folder}/size.over_budget.json")


def test_a_failed_verification_is_redone(tiny):
    repo, model = tiny
    with open(os.path.join(repo, "targets", "host.toml")) as f:
        board = f.read()
    with open(os.path.join(repo, "targets", "broken.toml"), "w") as f:  # an emulator that fails
        f.write(board.replace('name = "host"', 'name = "broken"').replace("emulator = []", 'emulator = ["false"]'))
    for _ in range(2):
        proc = scons(repo, "target=broken", f"model={model}", check=False)
        assert "[verify] build/broken/aot/tiny/firmware" in _steps(proc)
        assert "exited with status 1 under false" in error_line(proc)
        assert not os.path.exists(os.path.join(repo, "build/broken/aot/tiny/verify.json"))


# --- interrupts ----------------------------------------------------------------------------

def test_ctrl_c_during_verification_says_interrupted(tiny):
    repo, model = tiny
    with open(os.path.join(repo, "targets", "host.toml")) as f:
        board = f.read()
    with open(os.path.join(repo, "targets", "slow.toml"), "w") as f:  # an emulator that takes its time
        f.write(board.replace('name = "host"', 'name = "slow"').replace(
            "emulator = []", 'emulator = ["sh", "-c", "sleep 60; exec \\"$0\\" \\"$@\\""]'))
    out, err = _interrupt(repo, ["target=slow", f"model={model}"], r"\[verify\]")
    assert "nnbuild: interrupted while" in err, out + err
    assert "exited with status" not in err and "Traceback" not in err
    assert not os.path.exists(os.path.join(repo, "build/slow/aot/tiny/verify.json"))


# --- a changed helper module reruns what uses it ----------------------------------------------

def test_steps_depend_on_every_module_they_may_run():
    def names(step):
        return {os.path.relpath(p, REPO) for p in step_dependencies(step)}

    verify = names("nnbuild.verify:verify_step")
    assert {"site_scons/nnbuild/tflite_model.py", "site_scons/nnbuild/reference.py",
            "site_scons/nnbuild/quantize.py", "site_scons/nnbuild/datasets.py"} <= verify
    aot = names("nnbuild.runtimes.aot.codegen:aot_step")
    assert {"site_scons/nnbuild/reference.py", "site_scons/nnbuild/quant_math.py",
            "site_scons/nnbuild/runtimes/aot/ops/conv.py", "site_scons/nnbuild/runtimes/aot/model.c.j2",
            "templates/model.h.j2"} <= aot
    size = names("nnbuild.size_report:size_step")
    assert {"site_scons/nnbuild/budgets.py", "site_scons/nnbuild/size_html.py",
            "site_scons/nnbuild/render.py", "templates/size/size.html.j2"} <= size
    assert "site_scons/nnbuild/runtimes/aot/codegen.py" not in names("nnbuild.conversion:quantize_step")


def test_editing_a_helper_module_reruns_its_steps(tiny):
    repo, model = tiny
    args = ["target=host", f"model={model}"]
    scons(repo, *args)
    with open(os.path.join(repo, "site_scons/nnbuild/tflite_model.py"), "a") as f:
        f.write("\n# edited\n")
    steps = _steps(scons(repo, *args))
    assert "[aot] build/models/tiny/tiny.tflite" in steps
    assert "[verify] build/host/aot/tiny/firmware" in steps
    with open(os.path.join(repo, "site_scons/nnbuild/size_html.py"), "a") as f:
        f.write("\n# edited\n")
    assert _steps(scons(repo, *args)) == ["[size] build/host/aot/tiny/firmware.elf"]


# --- fast start -----------------------------------------------------------------------------

HEAVY = ("torch", "tensorflow", "onnx2tf", "onnx", "onnxruntime", "executorch", "tflite_micro")


@pytest.mark.parametrize("args", [["-h"], ["colour=blue"], ["-n", "target=host,cortex-m55"]])
def test_declaring_a_build_imports_no_heavy_package(args):
    proc = subprocess.run([sys.executable, "-X", "importtime", "-m", "SCons", "-Q", *args], cwd=REPO,
                          capture_output=True, text=True)
    imported = {line.split("|")[-1].strip().split(".")[0] for line in proc.stderr.splitlines()
                if line.startswith("import time:")}
    assert imported and not imported & set(HEAVY), sorted(imported & set(HEAVY))


# --- scons -c ----------------------------------------------------------------------------------

def test_clean_removes_work_files_and_says_nothing_of_verification(tiny):
    repo, model = tiny
    scons(repo, "target=host", f"model={model}")
    cleaned = scons(repo, "-c", "target=host", f"model={model}")
    assert "verify:" not in cleaned.stdout
    assert not os.path.exists(os.path.join(repo, "build/host/aot/tiny"))   # vectors.bin, reports
    assert not os.path.exists(os.path.join(repo, "build/models/tiny"))
