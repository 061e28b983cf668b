"""Running a pipeline step in a child Python process.

Steps that run TensorFlow, onnx2tf, the TFLite Micro interpreter, PyTorch or an
emulator run here rather than inside scons: a native abort (SIGABRT in an
interpreter's prepare) becomes a clear error instead of killing the build, a
Ctrl-C stops the step at once, memory is returned when the step ends, and the
scons process never imports those packages.

The parent (`run_isolated`) hands the step its request in a JSON file; the child
(`python -m nnbuild.isolated_step REQUEST`) writes a UserError's message, and
progress.stage() writes what the step is doing, to files beside it, so that either can
be reported.
"""

import importlib
import json
import os
import signal
import subprocess
import sys
import tempfile

from nnbuild.errors import Interrupted, UserError, check_interrupted
from nnbuild.progress import STAGE_FILE

USER_ERROR_EXIT = 3
SITE_SCONS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def load_step(step):
    """The function named 'package.module:function'."""
    module, _, function = step.partition(":")
    return getattr(importlib.import_module(module), function)


def run_isolated(step, label, targets, sources, settings):
    """Run step(targets, sources, settings) in a child process; UserError if it fails."""
    with tempfile.TemporaryDirectory(prefix="nnbuild-step-") as tmp:
        request, error, stage_file = (os.path.join(tmp, f) for f in ("request.json", "error.txt", "stage.txt"))
        with open(request, "w") as f:
            json.dump({"step": step, "targets": targets, "sources": sources, "settings": settings,
                       "error": error}, f)
        python_path = os.pathsep.join(p for p in (SITE_SCONS, os.environ.get("PYTHONPATH")) if p)
        proc = subprocess.run([sys.executable, "-m", "nnbuild.isolated_step", request], stdin=subprocess.DEVNULL,
                              env={**os.environ, "PYTHONPATH": python_path, STAGE_FILE: stage_file})
        if proc.returncode == 0:
            return
        what = f"[{label}] {sources[0] if sources else targets[0]}"
        check_interrupted(proc.returncode, what)
        if proc.returncode == USER_ERROR_EXIT and os.path.exists(error):
            with open(error) as f:
                kind, _, message = f.read().partition("\n")
            raise (Interrupted if kind == "Interrupted" else UserError)(message)
        doing = ""
        if os.path.exists(stage_file):
            with open(stage_file) as f:
                doing = f" while it was {f.read().strip()}"
        if proc.returncode < 0:
            name = signal.Signals(-proc.returncode).name
            raise UserError(f"{what} crashed ({name}){doing}. The crash is in native code (TensorFlow, "
                            "onnx2tf, TFLite Micro or PyTorch), not in your files; nothing of the step is "
                            "kept. Look at the step's logs in its build folder, and try another opset or "
                            "quantization (quantize=int8|int16x8), or simplify the model around that point.")
        raise RuntimeError(f"{what} failed with exit status {proc.returncode}{doing} (an nnbuild bug: "
                           "see the traceback above).")


def main(request_path):
    signal.signal(signal.SIGINT, signal.SIG_DFL)  # Ctrl-C: stop at once, quietly; the parent reports it
    with open(request_path) as f:
        request = json.load(f)
    try:
        load_step(request["step"])(request["targets"], request["sources"], request["settings"])
    except UserError as e:
        with open(request["error"], "w") as f:
            f.write(f"{type(e).__name__}\n{e}")
        sys.exit(USER_ERROR_EXIT)


if __name__ == "__main__":
    main(sys.argv[1])
