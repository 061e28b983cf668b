"""runtime=tpu without TPU-MLIR: reading its tools' logs, the int8 conventions of cviruntime,
the board data, and what other runtimes say to its options (the builds: tests/integration/
test_tpu_build.py)."""

import subprocess
import sys

import numpy as np
import pytest

from conftest import REPO
from nnbuild.errors import UserError
from nnbuild.runtimes.tpu import steps, toolkit
from nnbuild.targets import load_target

DEPLOY_LOG = """\
[Running]: npz_tool.py compare a_cv180x_int8_sym_tpu_outputs.npz a_top_outputs.npz --tolerance 0.85,0.45
min_similarity = (0.9999906420707703, 0.9812215035513431, 34.377264976501465)
npz compare PASSED.
min_similarity = (1.0, 1.0, inf)
"""
TRANSFORM_LOG = """\
  File "/venv/tpu_mlir/python/transform/OnnxConverter.py", line 410, in check_op_types
    raise RuntimeError("Op not support:{}".format(unsupported))
RuntimeError: Op not support:{'Hardmax'}
"""


def test_similarity_reads_every_check_in_order():
    first, second = toolkit.similarity(DEPLOY_LOG)
    assert first == {"cosine": 0.9999906420707703, "euclidean": 0.9812215035513431, "sqnr_db": 34.377264976501465}
    assert second == {"cosine": 1.0, "euclidean": 1.0, "sqnr_db": None}  # equal: no noise
    assert toolkit.similarity("no comparison ran") == []


def test_the_cause_is_the_last_exception_not_the_code_that_raised_it():
    assert toolkit._cause(TRANSFORM_LOG) == (": the model has operators it cannot place on the TPU ({'Hardmax'}); "
                                             "replace them in the model, or build it with runtime=aot for the CPU")
    assert toolkit._cause("ValueError: shape mismatch\n") == " (ValueError: shape mismatch)"
    assert toolkit._cause("all fine\n") == ""


def test_int8_input_rounds_half_away_from_zero_and_saturates():
    tensor = {"dtype": "int8", "qscale": 2.0}
    x = np.array([0.25, -0.25, 0.74, -0.76, 100.0, -100.0], np.float32)
    assert steps.quantize_input(x, tensor).tolist() == [1, -1, 1, -2, 127, -128]
    assert steps.quantize_input(x, {"dtype": "float32"}).dtype == np.float32


def test_api_scales_follow_cviruntimes_two_conventions():
    # cviruntime's input qscale quantizes (q = x * qscale), its output qscale dequantizes.
    tensor = {"name": "t", "dtype": "int8", "shape": [1, 4], "qscale": 4.0, "zero_point": 0}
    assert steps._api_tensor(tensor, "input")["scale"] == "0.25f"
    assert steps._api_tensor(tensor, "output")["scale"] == "4.0f"
    assert steps._api_tensor({**tensor, "dtype": "float32"}, "input")["ctype"] == "float"
    with pytest.raises(UserError, match="takes int8"):
        steps._api_tensor({**tensor, "dtype": "uint16"}, "output")


def test_the_chip_is_board_data():
    assert load_target("milkv-duo").runtimes["tpu"]["chip"] == "cv180x"
    assert load_target("milkv-duo256m").runtimes["tpu"]["chip"] == "cv181x"
    assert "tpu" not in load_target("rpi4").runtimes


def test_bf16_is_only_for_the_tpu():
    proc = subprocess.run([sys.executable, "-m", "SCons", "-Q", "-n", "target=host", "quantize=bf16"], cwd=REPO,
                          capture_output=True, text=True)
    assert proc.returncode != 0 and "quantize=bf16 is runtime=tpu's" in proc.stderr
    assert "Traceback" not in proc.stderr
