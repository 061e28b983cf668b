"""One scons run builds a matrix of models and runtimes; aliases build part of it."""

import os

import pytest

from conftest import copy_project, scons, tiny_model_file

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def matrix(tmp_path_factory):
    root = str(tmp_path_factory.mktemp("matrix"))
    repo = copy_project(root)
    models = ",".join(tiny_model_file(os.path.join(root, "models"), name) for name in ("net_a", "net_b"))
    return repo, models


def test_every_model_of_the_matrix_is_built_and_verified(matrix):
    repo, models = matrix
    # executorch cannot build a .tflite (it exports from PyTorch): skipped, saying why.
    proc = scons(repo, "-j2", "target=host", f"model={models}", "runtime=aot,executorch", "vectors=3")
    for name in ("net_a", "net_b"):
        folder = os.path.join(repo, "build", "host", "aot", name)
        assert os.path.isfile(os.path.join(folder, "firmware")) and os.path.isfile(os.path.join(folder, "verify.json"))
        assert f"host (zig): build/host/aot/{name}/firmware" in proc.stdout
        assert f"[skip] {name} on host with runtime=executorch: no PyTorch source (model.py)" in proc.stdout
    assert proc.stdout.count("verify: bit-exact on 3 vectors") == 2
    assert not os.path.exists(os.path.join(repo, "build", "host", "executorch"))

    again = scons(repo, "target=host", f"model={models}", "runtime=aot", "vectors=3")
    assert "[" not in "".join(l[:1] for l in again.stdout.splitlines())  # no step ran: all up to date


def test_an_alias_builds_one_model_of_the_matrix(matrix, tmp_path):
    repo, models = matrix
    export = str(tmp_path / "pkg")
    proc = scons(repo, "target=host", f"model={models}", "vectors=3", f"export={export}", "net_b")
    assert "net_a" not in proc.stdout        # neither built nor summarised
    assert os.path.isfile(os.path.join(export, "net_b", "lib", "libnet_b.a"))
    assert not os.path.exists(os.path.join(export, "net_a"))
    proc = scons(repo, "target=host", f"model={models}", "vectors=3", "verify")
    assert proc.stdout.count("verify: bit-exact") == 2


def test_nothing_buildable_is_an_error(matrix):
    repo, models = matrix
    proc = scons(repo, "target=host", f"model={models}", "runtime=executorch", check=False)
    assert proc.returncode == 2 and "Traceback" not in proc.stdout + proc.stderr
    assert "nnbuild: error: nothing to build: no runtime of runtime=executorch can build these models" in proc.stderr
