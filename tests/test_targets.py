"""Every Linux board from the field: af_detection and an MLPerf Tiny model, built with the
target's toolchain, run under its emulator, bit-exact with TFLite Micro."""

import json
import os

import pytest
from elftools.elf.elffile import ELFFile

from conftest import copy_project, scons, shared_file

pytestmark = pytest.mark.slow
MACHINES = {"loongarch64": ("EM_LOONGARCH", 258), "milkv-duo": ("EM_RISCV",), "rpi4": ("EM_AARCH64",),
            "host": ("EM_X86_64",)}
TARGETS = ["milkv-duo", "rpi4"]  # loongarch64 and host: test_build and test_models


@pytest.fixture(scope="module")
def repo(tmp_path_factory):
    return copy_project(str(tmp_path_factory.mktemp("targets")))


@pytest.mark.parametrize("model", ["af_detection", "kws_ref_model"])
def test_linux_boards_verify_bit_exact(repo, model):
    spec = model if model == "af_detection" else shared_file("models", f"{model}.tflite")
    scons(repo, f"target={','.join(TARGETS)}", f"model={spec}", "vectors=20")
    for target in TARGETS:
        out = os.path.join(repo, "build", target, "aot", model)
        with open(os.path.join(out, "verify.json")) as f:
            verify = json.load(f)
        assert verify["bit_exact"] and verify["vectors"] == 20, (target, verify)
        assert verify["emulator"].startswith("qemu-")
        with open(os.path.join(out, "firmware.elf"), "rb") as f:
            assert ELFFile(f)["e_machine"] in MACHINES[target]
