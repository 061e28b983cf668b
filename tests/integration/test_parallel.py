"""The whole target matrix in one invocation: conversion shared, and -j2 builds exactly
what -j1 builds, byte for byte, in two separate checkouts."""

import filecmp
import os

import pytest

from conftest import copy_project, scons, shared_file

pytestmark = pytest.mark.slow
MATRIX = "target=loongarch64,milkv-duo,rpi4,cortex-m55,host"
# What a user deploys or reads; logs and SCons' own database are not artifacts.
ARTIFACTS = ("firmware", "firmware.bin", "firmware.elf", "size.json", "verify.json", ".tflite",
             "quant_report.json", ".c", ".h")


def _artifacts(repo):
    found = {}
    for folder, _, files in os.walk(os.path.join(repo, "build")):
        for name in files:
            if name.endswith(ARTIFACTS) and "quantize" not in folder:
                path = os.path.join(folder, name)
                found[os.path.relpath(path, repo)] = path
    return found


def test_matrix_with_two_jobs_is_byte_identical_to_one(tmp_path):
    shared_file("af_detection", "ecg_eval.npz")
    one = copy_project(str(tmp_path / "one"))
    two = copy_project(str(tmp_path / "two"))
    first = scons(one, "-j1", MATRIX, "vectors=20")
    scons(two, "-j2", MATRIX, "vectors=20")
    assert first.stdout.count("[quantize] ") == 1  # one conversion serves all five targets
    a, b = _artifacts(one), _artifacts(two)
    assert a.keys() == b.keys() and len(a) >= 30
    differing = [name for name in sorted(a) if not filecmp.cmp(a[name], b[name], shallow=False)]
    assert differing == []
    for target in ("loongarch64", "milkv-duo", "rpi4", "cortex-m55", "host"):
        assert f"build/{target}/aot/af_detection/verify.json" in a
