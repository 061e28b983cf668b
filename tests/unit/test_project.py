"""A project's nnbuild.toml (project.py) and the fleet report (fleet_report.py)."""

import json
import os
from types import SimpleNamespace

import pytest

from conftest import REPO, error_line, scons, tiny_model_file
from nnbuild import fleet_report
from nnbuild.budgets import effective_budgets
from nnbuild.project import load_project

MANIFEST = """
boards = ["host", "cortex-m55"]

[options]
opt = "size"

[budget]
ram = "512K"
[budget.cortex-m55]
flash = "256K"

[models.first]
path = "models/tiny.tflite"
budget = { flash = "64K" }

[models.second]
path = "net"
calibration = "data/cal.npy"
evaluation = "data/eval.npz"
quantize = "int8"
"""


@pytest.fixture()
def project(tmp_path):
    tiny_model_file(str(tmp_path / "models"))
    tiny_model_file(str(tmp_path / "net"), "model")
    os.makedirs(tmp_path / "data")
    for name in ("cal.npy", "eval.npz"):
        (tmp_path / "data" / name).write_bytes(b"")
    (tmp_path / "nnbuild.toml").write_text(MANIFEST)
    return tmp_path


def test_manifest_lists_the_fleet(project):
    p = load_project(str(project))
    assert p.boards == ["host", "cortex-m55"] and p.runtimes == ["aot"]
    assert [m.name for m in p.models] == ["first", "second"]
    second = p.models[1]
    # data paths as the model's folder sees them, so datasets.py reads them as a model.toml's
    assert os.path.samefile(second.path_in_folder(second.config["calibration"]["file"]), project / "data/cal.npy")
    assert os.path.samefile(second.path_in_folder(second.config["evaluation"]["file"]), project / "data/eval.npz")
    assert second.config["quantization"]["mode"] == "int8"
    assert os.path.abspath(p.build) == str(project / "build") and p.options == {"opt": "size"}


def test_manifest_budgets_tighten_the_boards(project):
    p = load_project(str(project))
    board = SimpleNamespace(name="cortex-m55", budget={"flash": 4 << 20, "ram": 1 << 20})
    first = effective_budgets(board, "first", {}, {"project": p})
    assert first["flash"] == {"bytes": 64 << 10, "from": f"{p.manifest} [models.first] budget"}
    assert first["ram"] == {"bytes": 512 << 10, "from": f"{p.manifest} [budget]"}
    second = effective_budgets(board, "second", {}, {"project": p})
    assert second["flash"] == {"bytes": 256 << 10, "from": f"{p.manifest} [budget.cortex-m55]"}


@pytest.mark.parametrize("edit, words", [
    (("[models.first]", "[models.first]\npaht = 'x'"), ["unknown key paht in [models.first]", "calibration, evaluation"]),
    (('path = "net"', 'path = "nowhere"'), ["[models.second] path = \"nowhere\"", "no such file or folder"]),
    (('boards = ["host", "cortex-m55"]', 'boards = "host"'), ["boards = 'host'", "a list of names"]),
    (('ram = "512K"', 'ram = "lots"'), ["[budget] ram=lots", "such as 65536, 64K"]),
    (("[budget.cortex-m55]", "[budget.riscv64]"), ["unknown key riscv64 in [budget]", "cortex-m55, flash, host, ram"]),
    (('opt = "size"', 'target = "host"'), ["[options] target", "top-level keys"]),
    (('evaluation = "data/eval.npz"', 'evaluation = "data/missing.npz"'), ["evaluation = \"data/missing.npz\""]),
    (('quantize = "int8"', 'quantize = "int4"'), ["quantize = 'int4'", "mixed:<op numbers>"]),
    (("[options]", "[option]"), ["unknown key option in the top level", "boards, budget, build"]),
])
def test_manifest_mistakes_are_named(project, edit, words):
    path = project / "nnbuild.toml"
    path.write_text(path.read_text().replace(*edit))
    line = error_line(scons(REPO, "-n", f"project={project}", check=False))
    assert str(path) in line
    for word in words:
        assert word in line


def test_project_lists_what_the_command_line_would(project, tmp_path):
    line = error_line(scons(REPO, "-n", f"project={project}", "target=host", check=False))
    assert "option target with project=" in line and "scons project=... af_detection" in line
    line = error_line(scons(REPO, "-n", f"project={tmp_path / 'none'}", check=False))
    assert "no nnbuild.toml there" in line


def _row(model, board, **values):
    row = {"model": model, "board": board, "runtime": "aot", "firmware": "f", "size_html": "s.html",
           "flash": 1000, "ram": 500, "flash_budget": 2048, "ram_budget": None, "arena": 100,
           "instructions": 10_000, "accuracy": 0.9, "verify": "bit-exact", "over_budget": [], "failed": [], "ok": True}
    return {**row, **values}


def test_fleet_rows_compare_with_an_earlier_report():
    earlier = {"rows": [_row("a", "host"), _row("b", "host", accuracy=None)]}
    rows = fleet_report.compare([_row("a", "host", flash=1100, instructions=9_000, accuracy=0.91),
                                 _row("b", "host"), _row("c", "host")], earlier)
    assert rows[0]["change"] == {"flash": 100, "ram": 0, "arena": 0, "instructions": -1000,
                                 "accuracy": pytest.approx(0.01)}
    assert rows[1]["change"] == {"flash": 0, "ram": 0, "arena": 0, "instructions": 0} and not rows[1]["new"]
    assert rows[2]["new"]
    cells = dict(fleet_report._cells(rows[0]))
    assert cells["change"] == "flash +100 B; instructions -1,000; accuracy +0.010"
    assert cells["flash headroom"] == "+0.9 KiB" and cells["RAM headroom"] == "-"


def test_fleet_report_pages_show_problems(tmp_path):
    rows = fleet_report.compare([_row("a", "host"), _row("b", "m55", over_budget=["flash"], ok=False, flash=3000),
                                 _row("c", "m55", failed=["verify.json"], verify="failed", ok=False)], None)
    report = {"compared_with": None, "ok": False, "rows": rows}
    table = fleet_report.markdown_table(report)
    assert table.splitlines()[0] == "nnbuild fleet: 3 firmware, 2 with problems"
    assert "| b | m55 | aot | 2.9 KiB | -0.9 KiB |" in table and "OVER BUDGET: flash" in table
    assert "FAILED: verify.json" in table
    page = fleet_report.html_page(report)
    assert page.count('<tr class="bad">') == 2 and '<a href="s.html">a</a>' in page
    assert "http" not in page and "<script" not in page and "src=" not in page  # self-contained


def test_a_failed_step_outside_the_checkout_marks_its_row(tmp_path):
    """SCons names nodes outside the checkout by absolute path; the firmware folder is relative."""
    folder = tmp_path / "build" / "host" / "tflm" / "m"
    os.makedirs(folder)
    result = SimpleNamespace(folder=os.path.relpath(folder), target=SimpleNamespace(name="host"),
                             runtime=SimpleNamespace(name="tflm"), deployable=os.path.relpath(folder / "firmware"),
                             verified=True)
    failure = SimpleNamespace(node=str(folder / "obj" / "runner.o"))
    other = SimpleNamespace(node=str(tmp_path / "build" / "host" / "tflm" / "m2" / "verify.json"))
    row = fleet_report.fleet_row(result, [failure, other], str(tmp_path / "build"))
    assert row["failed"] == ["runner.o"] and not row["ok"] and row["verify"] == "not run"


def test_a_size_step_failing_on_its_budget_is_an_overrun_not_a_failure(tmp_path):
    folder = tmp_path / "build" / "m55" / "aot" / "m"
    os.makedirs(folder)
    with open(folder / "size.over_budget.json", "w") as f:
        json.dump({"flash": {"total": 9000, "budget": 8192}, "ram": {"total": 100, "budget": None},
                   "arena": {"bytes": 64}}, f)
    result = SimpleNamespace(folder=str(folder), target=SimpleNamespace(name="m55"),
                             runtime=SimpleNamespace(name="aot"), deployable=str(folder / "firmware.elf"),
                             verified=False)
    row = fleet_report.fleet_row(result, [SimpleNamespace(node=str(folder / "size.json"))], str(tmp_path / "build"))
    assert row["failed"] == [] and row["over_budget"] == ["flash"] and not row["ok"]
    assert fleet_report._status(row) == "OVER BUDGET: flash"
