"""Going over a flash or RAM budget fails the build with the budget, the overshoot and the
three largest components, and keeps the report."""

import json
import os

from conftest import copy_project, scons


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
