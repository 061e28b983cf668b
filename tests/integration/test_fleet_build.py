"""A project's nnbuild.toml builds its fleet into the project's own build folder, with a
fleet report that shows budget overruns and the change against the previous build."""

import json
import os
import shutil

import pytest

from conftest import REPO, scons, shared_file, steps, tiny_model_file

pytestmark = pytest.mark.slow

MANIFEST = """
boards = ["host", "rpi4"]
runtimes = ["aot"]

[options]
profile = 1
vectors = 5

[models.tiny]
path = "models/tiny.tflite"

[models.ad01]
path = "models/ad01.tflite"
budget = {{ flash = "{ad01_flash}" }}
"""


def _report(project):
    with open(os.path.join(project, "build", "fleet.json")) as f:
        return json.load(f)


def test_a_project_builds_its_fleet_with_a_report(tmp_path):
    project = str(tmp_path / "fleet")
    tiny_model_file(os.path.join(project, "models"))
    shutil.copy(shared_file("models", "ad01_int8.tflite"), os.path.join(project, "models", "ad01.tflite"))
    manifest = os.path.join(project, "nnbuild.toml")
    with open(manifest, "w") as f:
        f.write(MANIFEST.format(ad01_flash="1M"))

    proc = scons(REPO, "-j2", f"project={project}")
    # each model converted once for both boards, everything written into the project
    assert sorted(line for line in steps(proc) if line.startswith("[aot]")) == [
        f"[aot] {project}/build/models/{m}/{m}.tflite" for m in ("ad01", "tiny")]
    report = _report(project)
    rows = {(r["model"], r["board"]): r for r in report["rows"]}
    assert sorted(rows) == [("ad01", "host"), ("ad01", "rpi4"), ("tiny", "host"), ("tiny", "rpi4")]
    assert report["ok"] and report["compared_with"] is None
    for row in rows.values():
        assert row["verify"] == "bit-exact" and row["instructions"] > 0 and row["arena"] > 0, row
        assert row["flash"] > 0 and row["new"]
        assert os.path.isfile(os.path.join(project, "build", row["size_html"]))
        assert os.path.isfile(os.path.join(project, "build", row["firmware"]))
    assert rows["ad01", "rpi4"]["flash_budget"] == 1 << 20
    page = open(os.path.join(project, "build", "fleet.html")).read()
    assert page.count('<a href="rpi4/aot/') == 2 and "4 firmware, 0 with problems" in page
    assert "fleet: 4 firmware, none with problems" in proc.stdout

    assert steps(scons(REPO, f"project={project}")) == []  # incremental: nothing to do

    # A budget the model does not fit: the build fails (-k builds the rest), the report says why.
    with open(manifest, "w") as f:
        f.write(MANIFEST.format(ad01_flash="8K"))
    proc = scons(REPO, "-k", f"project={project}", check=False)
    assert proc.returncode != 0
    report = _report(project)
    assert not report["ok"] and report["compared_with"] == "the previous build"
    for row in report["rows"]:
        assert row["ok"] == (row["model"] == "tiny") and not row["new"]
        if row["model"] == "ad01":
            assert row["over_budget"] == ["flash"] and row["flash"] > 8192
    table = open(os.path.join(project, "build", "fleet.md")).read()
    assert table.count("OVER BUDGET: flash") == 2 and "change against the previous build" in table
    assert "fleet: 4 firmware, 2 with problems" in proc.stdout
