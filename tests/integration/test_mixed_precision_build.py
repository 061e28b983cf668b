"""Per-layer mixed precision end to end: af_leaky (models/af_leaky: af_detection's family with
LeakyReLU blocks, 20 points lost in int8) converted with quantize=auto gets a mix of int8 and 16x8
ops within a point of float, with at most a quarter of its ops in 16 bits and an arena at most
0.6x of the whole-16x8 one; the firmware is bit-exact with TFLite Micro on the host and on the
Cortex-M55 (Helium). quantize=mixed:<ops> pins a mix by hand."""

import json
import os

import pytest

from conftest import copy_project, error_line, scons

pytestmark = pytest.mark.slow


def _json(repo, *path):
    with open(os.path.join(repo, *path)) as f:
        return json.load(f)


@pytest.fixture(scope="module")
def repo(tmp_path_factory):
    return copy_project(str(tmp_path_factory.mktemp("mixed")))


def test_a_model_int8_breaks_gets_a_mix_within_a_point(repo):
    scons(repo, "-j2", "target=host,cortex-m55", "model=af_leaky", "vectors=100")
    report = _json(repo, "build/models/af_leaky/quant_report.json")
    assert report["mode"].startswith("mixed:"), report["reason"]
    evaluation = report["evaluation"]
    float_accuracy = evaluation["float"]["accuracy"]
    assert float_accuracy - evaluation["int8"]["accuracy"] > 0.05  # what the model is built to show
    assert float_accuracy - evaluation["mixed"]["accuracy"] <= 0.01
    sixteen = [row for row in report["precision"] if row["precision"] == "int16"]
    assert sixteen and len(sixteen) <= len(report["precision"]) / 4, report["precision"]
    assert all(row["why"] for row in report["precision"])
    for board in ("host", "cortex-m55"):
        verify = _json(repo, "build", board, "aot", "af_leaky", "verify.json")
        assert verify["bit_exact"] and verify["vectors"] == 100, (board, verify)
    mixed_arena = _json(repo, "build/host/aot/af_leaky/size.json")["arena"]["bytes"]
    scons(repo, "target=host", "model=af_leaky", "quantize=int16x8", "vectors=4")
    sixteen_arena = _json(repo, "build/host/aot/af_leaky/size.json")["arena"]["bytes"]
    assert mixed_arena <= 0.6 * sixteen_arena, (mixed_arena, sixteen_arena)


def test_quantize_mixed_pins_the_ops_in_16_bits(repo):
    scons(repo, "target=host", "model=af_detection", "quantize=mixed:3,4", "vectors=20")
    report = _json(repo, "build/models/af_detection/quant_report.json")
    assert report["mode"] == "mixed:3,4"
    assert [row["op"] for row in report["precision"] if row["precision"] == "int16"] == [3, 4]
    assert _json(repo, "build/host/aot/af_detection/verify.json")["bit_exact"]


def test_an_op_number_the_model_lacks_is_one_error(repo):
    line = error_line(scons(repo, "target=host", "model=af_detection", "quantize=mixed:3,99", check=False))
    assert "op 99" in line and "quant_report.json" in line
