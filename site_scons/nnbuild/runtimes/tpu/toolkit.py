"""Sophgo's TPU-MLIR, run from its own Python 3.10 venv (./install.sh makes it in .tpu-mlir/).

The tpu-mlir wheel puts its bundled C library (glibc 2.35, from the Ubuntu it was built on)
on LD_LIBRARY_PATH from its own __init__, which breaks every program of a newer system
started under it (Debian 12's are 2.36: `GLIBC_2.36 not found`, or a crash). Its tools and
libraries run just as well on the system's newer glibc, so each tool runs with the system's
libc, libm, libpthread, libdl and librt preloaded: a preloaded library is the one every later
request of that name gets, whatever LD_LIBRARY_PATH says.
"""

import glob
import os
import re
import subprocess

from nnbuild.errors import UserError, check_interrupted

ROOT = os.path.normpath(os.path.join(os.path.dirname(__file__), "..", "..", "..", ".."))
DEFAULT_VENV = os.path.join(ROOT, ".tpu-mlir")
VERSION = "1.30.2"  # requirements-tpu.txt
# model_deploy.py --quantize for each of nnbuild's modes; INT8 models take and give raw int8
# (--quant_input/--quant_output: no float conversion on the board's CPU), BF16 ones float32.
DEPLOY = {"int8": ["INT8", "--quant_input", "--quant_output"], "bf16": ["BF16"]}
# Cosine and Euclidean similarity each step's check must reach: nnbuild's defaults, loose
# enough for INT8 on a trained model and tight for BF16; model.toml's [tpu] may set others.
TOLERANCES = {"transform": "0.99,0.99", "int8": "0.85,0.45", "bf16": "0.95,0.85"}
_GLIBC = ("libc.so.6", "libm.so.6", "libpthread.so.0", "libdl.so.2", "librt.so.1")


class ToolFailed(UserError):
    """A TPU-MLIR tool refused the model (quantize=auto then tries the next precision)."""


def venv_path(option):
    """The TPU-MLIR venv: tpu_mlir=PATH, else $TPU_MLIR_VENV, else .tpu-mlir in the checkout."""
    return option or os.environ.get("TPU_MLIR_VENV") or DEFAULT_VENV


def missing(venv):
    """Why runtime=tpu cannot run with `venv`, or None."""
    if os.path.isfile(os.path.join(package_root(venv), "python", "tools", "model_deploy.py")):
        return None
    return (f"no TPU-MLIR in {venv}. runtime=tpu compiles with Sophgo's TPU-MLIR {VERSION}, which runs only on "
            "Python 3.10: ./install.sh makes its venv there when it finds a python3.10 (on PATH, or under "
            "pyenv: `pyenv install 3.10`), or give tpu_mlir=PATH of a venv with requirements-tpu.txt installed.")


def check(venv):
    reason = missing(venv)
    if reason:
        raise UserError(reason)


def python(venv):
    return os.path.join(venv, "bin", "python3.10")


def package_root(venv):
    found = sorted(glob.glob(os.path.join(venv, "lib", "python3.10", "site-packages", "tpu_mlir")))
    return found[0] if found else os.path.join(venv, "lib", "python3.10", "site-packages", "tpu_mlir")


def _system_glibc():
    """The system C library's files: those this (system) Python loaded."""
    with open("/proc/self/maps") as f:
        libc = next(line.split()[-1] for line in f if line.rstrip().endswith("/libc.so.6"))
    folder = os.path.dirname(libc)
    return [os.path.join(folder, name) for name in _GLIBC if os.path.exists(os.path.join(folder, name))]


def environment(venv):
    """The environment TPU-MLIR's tools, its simulator and programs linked with its
    libcviruntime.so run in (what its __init__ sets, on the system's glibc)."""
    root = package_root(venv)
    env = dict(os.environ)
    env.update({
        "TPUC_ROOT": root,
        "PATH": os.pathsep.join([os.path.join(root, "bin"), os.path.join(root, "python", "tools"),
                                 os.path.join(venv, "bin"), os.environ.get("PATH", "")]),
        "PYTHONPATH": os.pathsep.join([root, os.path.join(root, "python"), os.path.join(root, "regression")]),
        "LD_LIBRARY_PATH": os.pathsep.join(os.path.join(root, d) for d in ("lib", "lib/capi", "lib/third_party")),
        "LD_PRELOAD": " ".join(_system_glibc()),
        "OMP_NUM_THREADS": "2",
    })
    env.pop("PYTHONHOME", None)
    return env


def library_dir(venv):
    """Where the x86 libcviruntime.so (the simulator's runtime) is."""
    return os.path.join(package_root(venv), "lib")


def run(venv, command, cwd, log_path, what):
    """Run a TPU-MLIR command (a tool script's name, e.g. "model_deploy.py", or a program's path)
    in `cwd`, its output into log_path; returns the output, or UserError with its end."""
    check(venv)
    tool = os.path.basename(command[0])
    if command[0].endswith(".py"):
        command = [python(venv), os.path.join(package_root(venv), "python", "tools", command[0]), *command[1:]]
    try:
        proc = subprocess.run(command, cwd=cwd, env=environment(venv), stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, timeout=3600)
    except subprocess.TimeoutExpired:
        raise UserError(f"{what}: TPU-MLIR's {tool} ran for over an hour and was stopped "
                        f"(see {log_path}).") from None
    text = proc.stdout.decode(errors="replace")
    with open(log_path, "w") as f:
        f.write(" ".join(command) + "\n\n" + text)
    check_interrupted(proc.returncode, f"TPU-MLIR's {tool}")
    if proc.returncode != 0:
        raise ToolFailed(f"{what}: TPU-MLIR's {tool} failed{_cause(text)}. Its log: {log_path}")
    return text


def _cause(log):
    """The reason a TPU-MLIR tool gave (its last exception, or error line), as one clause."""
    lines = [line.strip() for line in log.splitlines()]
    raised = [line for line in lines if re.match(r"\w+(Error|Exception): ", line)]
    errors = raised or [line for line in lines if re.search(r"error|failed|assert", line, re.IGNORECASE)]
    if not errors:
        return ""
    unsupported = re.search(r"not support\w*:?\s*(.*)", errors[-1], re.IGNORECASE)
    if unsupported:
        return (f": the model has operators it cannot place on the TPU ({unsupported.group(1)[:200]}); "
                "replace them in the model, or build it with runtime=aot for the CPU")
    return f" ({errors[-1][:300]})"


def similarity(log):
    """Each `min_similarity = (cosine, euclidean, sqnr)` a TPU-MLIR tool's checks printed, in order
    (model_deploy.py: the quantized MLIR against the float one, then the cvimodel against it)."""
    found = []
    for text in re.findall(r"min_similarity = \(([^)]*)\)", log):
        cosine, euclidean, sqnr = (float(v) for v in text.split(","))
        found.append({"cosine": cosine, "euclidean": euclidean, "sqnr_db": sqnr if sqnr != float("inf") else None})
    return found
