"""benchmarks/speed.py: its aot column runs everywhere; a TFLite Micro column without a tree
says why instead of failing."""

import subprocess
import sys

import pytest

from conftest import REPO, copy_project, tiny_model_file

pytestmark = pytest.mark.slow


def test_speed_benchmark_measures_aot_and_explains_missing_trees(tmp_path):
    repo = copy_project(str(tmp_path))
    model = tiny_model_file(str(tmp_path / "models"))
    proc = subprocess.run([sys.executable, "benchmarks/speed.py", "target=host,loongarch64", f"model={model}",
                           f"tflm_reference={tmp_path}/none", f"tflm_cmsis_nn={tmp_path}/none"],
                          cwd=repo, capture_output=True, text=True, timeout=1200)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    rows = {line.split()[0]: line for line in proc.stdout.splitlines()
            if "|" in line and line.split()[0] in ("host", "loongarch64")}
    for board in ("host", "loongarch64"):
        cells = rows[board].split("|")
        assert int(cells[1].split()[0].replace(",", "")) > 0 and cells[1].split()[1] == "1.00"
    assert "host tflm reference: not built: no TFLite Micro tree" in proc.stdout


@pytest.mark.parametrize("args", [["model=no_such_model"], ["target"]])
def test_a_mistake_in_the_benchmark_arguments_is_one_error_paragraph(args):
    proc = subprocess.run([sys.executable, "benchmarks/speed.py", *args], cwd=REPO, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert proc.stderr.startswith("nnbuild: error: ") and "Traceback" not in proc.stderr, proc.stderr
