"""Time and peak memory of the quantize step per model, against a baseline checkout, in one run.

    python3 benchmarks/quantize.py [model=resnet18,mobilenet_v2,...] [baseline=COMMIT|FOLDER] [runs=1]

Each model's quantize step (and, for a PyTorch model folder, its ONNX export) runs
alone, `scons build/models/<m>/<m>.tflite`, in a fresh copy of this checkout and of
the baseline (a folder, or a commit checked out into a temporary git worktree),
the two taking turns so that a machine's drift hits both. Printed per model: wall
seconds and the peak resident memory of the largest process (scons, its step, the
converters it runs), each as baseline, this and this/baseline, whether the two
.tflite files are byte for byte the same, and where this checkout's time went
(build/models/<m>/quantize/seconds.json).

Defaults: the models of models/ that have a model.toml, baseline none (this checkout alone).
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = os.path.normpath(os.path.join(ROOT, "..", "shared"))

# Runs a command and prints its wall time and the peak RSS (KiB) of its largest process.
MEASURE = ("import resource, subprocess, sys, time\n"
           "start = time.monotonic()\n"
           "code = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE).returncode\n"
           "print(time.monotonic() - start, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, code)\n")


def copy_checkout(source, dest):
    """A copy of a checkout without its build/, with ../shared beside it, as the tests make one."""
    repo = os.path.join(dest, "repo")
    shutil.copytree(source, repo, ignore=shutil.ignore_patterns("build", ".git", "__pycache__", ".sconsign.dblite"))
    if os.path.isdir(SHARED):
        os.symlink(SHARED, os.path.join(dest, "shared"))
    return repo


def baseline_checkout(baseline, tmp):
    if os.path.isdir(baseline):
        return copy_checkout(baseline, os.path.join(tmp, "baseline"))
    worktree = os.path.join(tmp, "worktree")
    subprocess.run(["git", "-C", ROOT, "worktree", "add", "--detach", worktree, baseline], check=True,
                   capture_output=True)
    return copy_checkout(worktree, os.path.join(tmp, "baseline"))


def quantize_once(repo, model):
    """(seconds, peak MiB, .tflite bytes or None) of one quantize step from scratch."""
    shutil.rmtree(os.path.join(repo, "build", "models", model), ignore_errors=True)
    target = f"build/models/{model}/{model}.tflite"
    proc = subprocess.run([sys.executable, "-c", MEASURE, sys.executable, "-m", "SCons", "-Q", f"model={model}",
                           target], cwd=repo, capture_output=True, text=True)
    seconds, peak_kib, code = proc.stdout.split()
    path = os.path.join(repo, target)
    data = open(path, "rb").read() if code == "0" and os.path.exists(path) else None
    return float(seconds), int(peak_kib) / 1024, data


def stage_seconds(repo, model):
    try:
        with open(os.path.join(repo, "build", "models", model, "quantize", "seconds.json")) as f:
            return json.load(f)
    except OSError:
        return {}


def main(arguments):
    options = dict(a.split("=", 1) for a in arguments)
    models = options.get("model", "").split(",") if options.get("model") else sorted(
        d for d in os.listdir(os.path.join(ROOT, "models")) if os.path.isfile(os.path.join(ROOT, "models", d, "model.toml")))
    runs = int(options.get("runs", "1"))
    with tempfile.TemporaryDirectory(prefix="nnbuild-bench-") as tmp:
        this = copy_checkout(ROOT, os.path.join(tmp, "this"))
        baseline = baseline_checkout(options["baseline"], tmp) if options.get("baseline") else None
        rows = []
        for model in models:
            measured = {"this": [], "baseline": []}
            for _ in range(runs):
                for name, repo in (("baseline", baseline), ("this", this)):
                    if repo:
                        measured[name].append(quantize_once(repo, model))
            rows.append((model, measured, stage_seconds(this, model)))
            _print_row(model, measured, rows[-1][2])
        if baseline and not os.path.isdir(options["baseline"]):
            subprocess.run(["git", "-C", ROOT, "worktree", "remove", "--force", os.path.join(tmp, "worktree")],
                           capture_output=True)


def _median(values):
    values = sorted(values)
    return values[len(values) // 2]


def _print_row(model, measured, stages):
    this = measured["this"]
    seconds, peak = _median([m[0] for m in this]), _median([m[1] for m in this])
    line = f"{model}: {seconds:.0f} s, peak {peak:.0f} MiB"
    if not this[0][2]:
        line += " (FAILED)"
    if measured["baseline"]:
        base = measured["baseline"]
        b_seconds, b_peak = _median([m[0] for m in base]), _median([m[1] for m in base])
        same = "same .tflite" if this[0][2] and this[0][2] == base[0][2] else "DIFFERENT .tflite"
        failed = " (baseline FAILED)" if not base[0][2] else ""
        line += (f"; baseline {b_seconds:.0f} s, peak {b_peak:.0f} MiB{failed}; this/baseline: time "
                 f"{seconds / b_seconds:.2f}, peak {peak / b_peak:.2f}; {same}")
    print(line, flush=True)
    if stages:
        print("    " + ", ".join(f"{name} {s:.0f} s" for name, s in stages.items()), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
