"""runtime=tpu: models compiled by Sophgo's TPU-MLIR into .cvimodels for the MilkV Duo's TPU,
behind the same C API, verified on TPU-MLIR's simulator.

Needs TPU-MLIR's venv (./install.sh makes .tpu-mlir when the machine has a Python 3.10) and
skips without one; the board firmware needs Sophgo's SDK (CVITEK_SDK) and skips without it.
"""

import json
import os
import subprocess

import numpy as np
import pytest
from elftools.elf.elffile import ELFFile

from conftest import copy_project, scons, shared_file
from nnbuild.runtimes.tpu import toolkit

VENV = toolkit.venv_path("")
pytestmark = pytest.mark.skipif(toolkit.missing(VENV) is not None, reason=str(toolkit.missing(VENV)))


def elf_machine(path):
    with open(path, "rb") as f:
        return ELFFile(f)["e_machine"]


def _json(*parts):
    with open(os.path.join(*parts)) as f:
        return json.load(f)


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    return copy_project(str(tmp_path_factory.mktemp("tpu")))


@pytest.fixture(scope="module")
def af_build(project):
    shared_file("af_detection", "ecg_eval.npz")
    proc = scons(project, "target=milkv-duo", "runtime=tpu", "model=af_detection")
    return project, proc


def test_af_detection_auto_int8_bit_exact_on_the_simulator(af_build):
    repo, proc = af_build
    out = os.path.join(repo, "build", "milkv-duo", "tpu", "af_detection")
    report = _json(out, "quant_report.json")
    evaluation = report["evaluation"]
    # auto keeps INT8 only within one point of float on the 600 labelled segments.
    assert report["mode"] == "int8", report["reason"]
    assert evaluation["float"]["accuracy"] - evaluation["int8"]["accuracy"] <= 0.01
    assert report["chip"] == "cv180x" and evaluation["int8"]["similarity"]["quantized_vs_float"]["cosine"] >= 0.85
    assert report["transform"]["cosine"] >= 0.99
    verify = _json(out, "verify.json")
    assert verify == {**verify, "vectors": 600, "mismatches": 0, "bit_exact": True, "emulator": "simulator",
                      "mode": "int8", "chip": "cv180x"}
    assert abs(verify["accuracy"] - evaluation["int8"]["accuracy"]) < 1e-9  # the runner's own answers
    header = open(os.path.join(out, "tpu", "af_detection.h")).read()
    assert "typedef int8_t af_detection_input_t;" in header and "AF_DETECTION_INPUT_SIZE 1250" in header
    assert "bit-exact on 600 vectors" in proc.stdout and "cvitek_sdk=PATH" in proc.stdout


def test_size_report_has_the_cvimodel_and_tpu_memory(af_build):
    repo, _ = af_build
    out = os.path.join(repo, "build", "milkv-duo", "tpu", "af_detection")
    size, info = _json(out, "size.json"), _json(out, "cvimodel.json")
    tpu = size["tpu"]
    assert tpu["cvimodel_bytes"] == os.path.getsize(os.path.join(out, "af_detection.cvimodel"))
    assert tpu["weights"] > 10000 and tpu["commands"] > 0
    assert tpu["tpu_memory"] == size["arena"]["bytes"] == info["tpu_memory"] <= tpu["tpu_memory_budget"]
    assert size["flash"]["components"]["model (cvimodel file)"] == tpu["cvimodel_bytes"]
    assert size["flash"]["components"]["runner"] > 0 and size["flash"]["components"]["model code"] > 0
    # Without an SDK the runner is still compiled for the board, as objects.
    assert elf_machine(os.path.join(out, "obj", "runner.o")) == "EM_RISCV"


def test_second_build_does_nothing(af_build):
    repo, _ = af_build
    assert scons(repo, "-q", "target=milkv-duo", "runtime=tpu", "model=af_detection", check=False).returncode == 0


def test_bf16_takes_and_gives_float_bit_exact(project):
    proc = scons(project, "target=milkv-duo", "runtime=tpu", "model=af_detection", "quantize=bf16", "vectors=50")
    out = os.path.join(project, "build", "milkv-duo", "tpu", "af_detection")
    verify, report = _json(out, "verify.json"), _json(out, "quant_report.json")
    assert report["mode"] == "bf16" and verify["bit_exact"] and verify["vectors"] == 50
    assert "typedef float af_detection_input_t;" in open(os.path.join(out, "tpu", "af_detection.h")).read()
    assert "bf16 for cv180x" in proc.stdout


def test_a_2d_model_from_pytorch(project, tmp_path):
    # 32 seeded images calibrate it and judge INT8 (the model's 200 would take minutes in the simulator).
    images = tmp_path / "images.npz"
    np.savez(images, x=np.random.default_rng(0).standard_normal((32, 3, 96, 96)).astype(np.float32))
    scons(project, "target=milkv-duo", "runtime=tpu", "model=mobilenet_v2_035", f"calibration={images}", "vectors=10")
    out = os.path.join(project, "build", "milkv-duo", "tpu", "mobilenet_v2_035")
    verify, report = _json(out, "verify.json"), _json(out, "quant_report.json")
    assert verify["bit_exact"] and verify["vectors"] == 10
    assert report["mode"] in ("int8", "bf16") and "sqnr" in report["reason"].lower()


def test_another_chip_is_one_target_file(project):
    scons(project, "target=milkv-duo256m", "runtime=tpu", "model=af_detection", "quantize=int8", "vectors=20")
    verify = _json(project, "build", "milkv-duo256m", "tpu", "af_detection", "verify.json")
    assert verify["chip"] == "cv181x" and verify["bit_exact"]


def test_errors_are_one_paragraph(project):
    proc = scons(project, "target=milkv-duo", "runtime=tpu", "model=af_detection", "tpu_mlir=/nonexistent",
                 check=False)
    assert proc.returncode != 0 and "Traceback" not in proc.stderr
    assert "no TPU-MLIR in /nonexistent" in proc.stderr and "python3.10" in proc.stderr
    proc = scons(project, "target=milkv-duo", "runtime=tpu", "model=af_detection", "quantize=int16x8", check=False)
    assert "INT8 or BF16" in proc.stderr and "Traceback" not in proc.stderr
    proc = scons(project, "target=rpi4", "runtime=tpu", "model=af_detection", check=False)
    assert "[runtimes.tpu]" in proc.stderr and "Traceback" not in proc.stderr


def test_an_operator_the_tpu_cannot_run_is_named(project, tmp_path):
    import numpy as np
    import onnx
    from onnx import TensorProto, helper

    weights = helper.make_tensor("w", TensorProto.FLOAT, [8, 8], np.ones(64, np.float32))
    graph = helper.make_graph([helper.make_node("MatMul", ["input", "w"], ["m"]),
                               helper.make_node("Hardmax", ["m"], ["output"], axis=-1)], "g",
                              [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 4, 8])],
                              [helper.make_tensor_value_info("output", TensorProto.FLOAT, [1, 4, 8])], [weights])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.save(model, str(tmp_path / "hardmax.onnx"))
    proc = scons(project, "target=milkv-duo", "runtime=tpu", f"model={tmp_path / 'hardmax.onnx'}",
                 "calibration=random", check=False)
    assert proc.returncode != 0 and "Traceback" not in proc.stderr
    assert "operators it cannot place on the TPU ({'Hardmax'})" in proc.stderr


def test_a_model_too_big_for_the_tpu_memory(project):
    with open(os.path.join(project, "targets", "milkv-duo.toml")) as f:
        board = f.read().replace('name = "milkv-duo"', 'name = "duo-small-ion"').replace("memory = 20971520",
                                                                                       "memory = 8192")
    with open(os.path.join(project, "targets", "duo-small-ion.toml"), "w") as f:
        f.write(board)
    proc = scons(project, "target=duo-small-ion", "runtime=tpu", "model=af_detection", "quantize=int8", check=False)
    assert proc.returncode != 0 and "Traceback" not in proc.stderr
    assert "bytes of TPU memory" in proc.stderr and "than the 8192 bytes cv180x has" in proc.stderr
    assert not os.path.exists(os.path.join(project, "build", "duo-small-ion", "tpu", "af_detection",
                                           "af_detection.cvimodel"))


@pytest.mark.skipif(not os.environ.get("CVITEK_SDK"), reason="no Sophgo SDK (CVITEK_SDK) with the Duo's riscv64 "
                    "musl libcviruntime.so: the board firmware cannot be linked")
def test_board_firmware_with_the_sdk(project):
    scons(project, "target=milkv-duo", "runtime=tpu", "model=af_detection", "verify=0")
    deploy = os.path.join(project, "build", "milkv-duo", "tpu", "af_detection", "deploy")
    assert sorted(os.listdir(deploy)) == ["af_detection.cvimodel", "firmware", "run.sh"]
    assert elf_machine(os.path.join(deploy, "firmware")) == "EM_RISCV"
    assert subprocess.run(["sh", "-n", os.path.join(deploy, "run.sh")]).returncode == 0
