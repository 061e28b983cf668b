"""benchmarks/memory.py on the MLPerf Tiny VWW model (MobileNetV1 0.25, 96x96) for the
Cortex-M55: every setting of inplace and patch built, verified bit-exact under qemu and
measured in one run; with both on the arena is at most half the tensor-level lower bound, for
at most 15% more instructions, and no setting's arena is above the lower bound."""

import subprocess
import sys

import pytest

from conftest import copy_project, shared_file

pytestmark = pytest.mark.slow


def _table(stdout):
    """{setting: (arena, lower bound, instructions ratio)} of the benchmark's rows."""
    rows = {}
    for line in stdout.splitlines():
        cells = line.split()
        if len(cells) == 10 and cells[0].startswith("inplace="):
            number = lambda cell: int(cell.replace(",", ""))  # noqa: E731
            rows[f"{cells[0]} {cells[1]}"] = (number(cells[2]), number(cells[3]), float(cells[9]))
    return rows


def test_vww_runs_in_half_its_lower_bound(tmp_path):
    repo = copy_project(str(tmp_path))
    proc = subprocess.run([sys.executable, "benchmarks/memory.py", "target=cortex-m55", "vectors=4",
                           f"model={shared_file('models', 'vww_96_int8.tflite')}"],
                          cwd=repo, capture_output=True, text=True, timeout=1800)
    assert proc.returncode == 0 and "failed" not in proc.stdout, proc.stdout + proc.stderr
    rows = _table(proc.stdout)
    assert len(rows) == 4, proc.stdout
    arena, lower_bound, _ = rows["inplace=0 patch=0"]
    assert arena == lower_bound == 55296, proc.stdout
    assert all(row[0] <= lower_bound for row in rows.values()), proc.stdout
    arena, _, instructions = rows["inplace=1 patch=1"]
    assert arena <= 0.5 * lower_bound and instructions <= 1.15, proc.stdout
