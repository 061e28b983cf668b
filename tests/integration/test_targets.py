"""Every board from the field: af_detection and an MLPerf Tiny model, built with the
target's toolchain, run under its emulator, bit-exact with TFLite Micro; GNU cross
toolchains as an alternative to zig."""

import json
import os
import shutil

import pytest
from elftools.elf.elffile import ELFFile

from conftest import copy_project, scons, shared_file

pytestmark = pytest.mark.slow
MACHINES = {"loongarch64": ("EM_LOONGARCH", 258), "milkv-duo": ("EM_RISCV",), "rpi4": ("EM_AARCH64",),
            "host": ("EM_X86_64",), "cortex-m55": ("EM_ARM",)}
TARGETS = ["milkv-duo", "rpi4", "cortex-m55"]  # loongarch64 and host: test_build and test_models


@pytest.fixture(scope="module")
def repo(tmp_path_factory):
    return copy_project(str(tmp_path_factory.mktemp("targets")))


@pytest.mark.parametrize("model", ["af_detection", "kws_ref_model"])
def test_boards_verify_bit_exact(repo, model):
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
        with open(os.path.join(out, "size.json")) as f:
            size = json.load(f)
        for memory in ("flash", "ram"):  # every byte attributed, on every target's linker
            assert sum(size[memory]["components"].values()) == size[memory]["total"] > 0


def _verify(repo, target, model="af_detection"):
    with open(os.path.join(repo, "build", target, "aot", model, "verify.json")) as f:
        return json.load(f)


def test_cortex_m55_image_fits_its_memories(repo):
    """The bare-metal image: a raw binary of flash only, the budgets of the target file checked,
    a small model's weights beside the code in the ITCM and its arena in the DTCM."""
    out = os.path.join(repo, "build", "cortex-m55", "aot", "af_detection")
    with open(os.path.join(out, "size.json")) as f:
        size = json.load(f)
    assert size["flash"]["budget"] == size["ram"]["budget"] == 6656 * 1024
    assert size["flash"]["total"] <= size["flash"]["budget"] and size["ram"]["total"] <= size["ram"]["budget"]
    regions = size["regions"]
    assert regions["itcm"]["used"] == size["flash"]["total"] and regions["itcm"]["length"] == 512 * 1024
    assert regions["dtcm"]["used"] == size["ram"]["total"]
    assert regions["sram"]["used"] == regions["isram"]["used"] == 0
    with open(os.path.join(out, "link.ld")) as f:
        assert "model weights (11392 B)\n * in itcm, tensor arena (7496 B) in dtcm" in f.read()
    # The raw image is the flash contents (the vectors compiled in for verification are not in it).
    assert os.path.getsize(os.path.join(out, "firmware.bin")) <= size["flash"]["total"]
    assert ".test_vectors" not in size["flash"]["sections"]


@pytest.mark.parametrize("target", ["milkv-duo", "rpi4"])
def test_gnu_cross_toolchain(repo, target):
    prefix = {"milkv-duo": "riscv64-linux-gnu-", "rpi4": "aarch64-linux-gnu-"}[target]
    if shutil.which(prefix + "gcc") is None:
        pytest.skip(f"{prefix}gcc is not installed (./install.sh installs it)")
    proc = scons(repo, f"target={target}", "toolchain=gnu", "vectors=20")
    assert f"{target} (gnu)" in proc.stdout
    assert _verify(repo, target)["bit_exact"]
    with open(os.path.join(repo, "build", target, "aot", "af_detection", "firmware.elf"), "rb") as f:
        comment = ELFFile(f).get_section_by_name(".comment").data()
    assert b"GCC" in comment


def test_missing_cross_compiler_is_a_clear_error(repo):
    proc = scons(repo, "target=milkv-duo", "toolchain=gnu", "CROSS_COMPILE=no-such-prefix-", check=False)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "no-such-prefix-gcc is not on PATH" in proc.stderr and "toolchain=zig" in proc.stderr
