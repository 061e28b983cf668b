"""Flash and RAM budgets: the tightest of target, model and command line; going over fails
the build with the budget, the overshoot and the three largest components."""

import json
import os

import pytest

from conftest import copy_project, scons
from nnbuild import budgets
from nnbuild.errors import UserError
from nnbuild.targets import load_target


@pytest.mark.unit
@pytest.mark.parametrize("text, value", [("65536", 65536), ("64K", 65536), ("64KiB", 65536),
                                         ("1M", 1 << 20), (" 2 kb ", 2048), ("2G", 2 << 30)])
def test_parse_bytes(text, value):
    assert budgets.parse_bytes(text, "flash_budget") == value


@pytest.mark.unit
def test_parse_bytes_rejects_nonsense():
    with pytest.raises(UserError, match="flash_budget=lots"):
        budgets.parse_bytes("lots", "flash_budget")


@pytest.mark.unit
def test_tightest_budget_wins_and_says_where_it_came_from():
    target = load_target("cortex-m55")
    result = budgets.effective_budgets(target, {"budget": {"flash": "256K"}}, {"ram_budget": "64K"})
    assert result["flash"] == {"bytes": 256 * 1024, "from": "the model's model.toml"}
    assert result["ram"] == {"bytes": 64 * 1024, "from": "ram_budget=64K"}
    loose = budgets.effective_budgets(target, {}, {"flash_budget": "8M"})
    assert loose["flash"] == {"bytes": 6656 * 1024, "from": "target cortex-m55"}


def test_over_budget_fails_the_build_and_keeps_the_report(tmp_path):
    repo = copy_project(str(tmp_path))
    proc = scons(repo, "target=host", "verify=0", "flash_budget=8K", check=False)
    assert proc.returncode != 0 and "Traceback" not in proc.stderr
    message = next(line for line in proc.stderr.splitlines() if line.startswith("nnbuild: error:"))
    assert "over the flash budget of 8.0 KiB (set by flash_budget=8K)" in message
    assert "the largest components: model weights" in message
    assert "See build/host/aot/af_detection/size.over_budget.txt" in message
    with open(os.path.join(repo, "build/host/aot/af_detection/size.over_budget.json")) as f:
        size = json.load(f)
    assert size["flash"]["budget"] == 8192 and size["flash"]["total"] > 8192
    assert scons(repo, "target=host", "verify=0").returncode == 0  # back within budget
