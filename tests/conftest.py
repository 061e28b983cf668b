"""Shared test setup of tests/unit, tests/kernels and tests/integration: paths, the ../shared
reference data, running (and interrupting) scons, a tiny project to build."""

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = os.path.normpath(os.path.join(REPO, "..", "shared"))
# runtime=tpu in a copied project: the checkout's TPU-MLIR venv (./install.sh), not copied.
os.environ.setdefault("TPU_MLIR_VENV", os.path.join(REPO, ".tpu-mlir"))
sys.path.insert(0, os.path.join(REPO, "site_scons"))  # tests/ itself: pythonpath in pytest.ini

# The ECM AF-detection reference model and its ECG data in ../shared (test_quantize*.py).
ECM_DATA = Path(SHARED) / "af_detection"
ECM_ONNX = ECM_DATA / "ecm_af_detection.onnx"
needs_ecm = pytest.mark.skipif(
    not ECM_ONNX.is_file(), reason=f"reference model {ECM_ONNX} not found (../shared beside the repository)")


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: takes minutes (conversion, emulation); still runs in CI")


def shared_file(*parts):
    """A file in ../shared, or skip the test saying it is absent."""
    path = os.path.join(SHARED, *parts)
    if not os.path.exists(path):
        pytest.skip(f"reference data {path} is absent (../shared beside the repository)")
    return path


def copy_project(dest):
    """A copy of the repository (without build/) at dest/repo, with ../shared linked beside it,
    so tests build in isolation from the developer's own build/."""
    repo = os.path.join(dest, "repo")
    shutil.copytree(REPO, repo, ignore=shutil.ignore_patterns("build", ".git", "__pycache__", ".tpu-mlir",
                                                               ".sconsign.dblite", ".pytest_cache"))
    if os.path.isdir(SHARED) and not os.path.exists(os.path.join(dest, "shared")):
        os.symlink(SHARED, os.path.join(dest, "shared"))
    return repo


def scons(repo, *args, check=True):
    """Run scons in `repo`; returns the CompletedProcess (stdout and stderr as text)."""
    proc = subprocess.run([sys.executable, "-m", "SCons", "-Q", *args], cwd=repo,
                          capture_output=True, text=True)
    if check and proc.returncode != 0:
        raise AssertionError(f"scons {' '.join(args)} failed ({proc.returncode}):\n"
                             f"{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    return proc


def tiny_model_file(folder, name="tiny"):
    """folder/<name>.tflite: a one-operator int8 model that builds in seconds."""
    from tflite_builder import tiny_model

    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, f"{name}.tflite")
    with open(path, "wb") as f:
        f.write(tiny_model())
    return path


def error_line(proc):
    """The one `nnbuild: error:` line of a failed scons run; fails the test on a traceback."""
    output = proc.stdout + proc.stderr
    assert proc.returncode != 0, output
    assert "Traceback" not in output, output
    errors = [line for line in output.splitlines() if line.startswith("nnbuild: error:")]
    assert len(errors) == 1, output
    return errors[0]


def steps(proc):
    """The step lines of a scons run's output ("[aot] build/models/tiny/tiny.tflite")."""
    return [line for line in proc.stdout.splitlines() if re.match(r"\[\w+\] ", line)]


def interrupt(repo, args, when):
    """Start scons as a terminal would, send Ctrl-C (SIGINT to its process group) once a
    line of its output matches `when`, wait; returns (stdout, stderr)."""
    proc = subprocess.Popen([sys.executable, "-m", "SCons", "-Q", *args], cwd=repo, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    out = []
    for line in proc.stdout:
        out.append(line)
        if re.match(when, line):
            time.sleep(3)
            os.killpg(proc.pid, signal.SIGINT)
            break
    rest, err = proc.communicate(timeout=300)
    return "".join(out) + rest, err


@pytest.fixture()
def tiny(tmp_path):
    """A project copy and a tiny model in it: builds in seconds."""
    repo = copy_project(str(tmp_path))
    return repo, tiny_model_file(repo, "tiny")
