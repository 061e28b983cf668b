"""The runtimes side by side: the same model and target built with runtime=aot, tflm and
executorch in one run, compared as ratios against aot.

    python3 benchmarks/runtimes.py [target=host,loongarch64] [model=af_detection,...]
                                   [runtime=aot,tflm,executorch] [tflm=PATH] [executorch=PATH]
                                   [vectors=20] [quantize=int8]

Per model and target it prints flash, RAM, arena (bytes of activations; for
executorch the planned memory, its method pool aside) and instructions per
inference (benchmarks/instructions.py: callgrind on the host, the qemu plugin on
cross targets), then each runtime's ratio aot/runtime: below 1 means aot is smaller
or faster. Every firmware is verified (verify=1) before it is measured.

Defaults: af_detection and the four MLPerf Tiny models in ../shared/models, and every
runtime, each where it can build (its `supports`: tflm with a TFLM tree, executorch
for models with a PyTorch source, on cross targets with an ExecuTorch tree). A build
that fails is reported and skipped.
"""

import glob
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path[:0] = [HERE, os.path.join(ROOT, "site_scons")]
from instructions import instructions_per_inference  # noqa: E402
from nnbuild import runtimes  # noqa: E402
from nnbuild.errors import UserError  # noqa: E402
from nnbuild.models import resolve_model  # noqa: E402
from nnbuild.targets import load_target  # noqa: E402

BASELINE = runtimes.NAMES[0]  # the default runtime: the others' ratios are against it
SHARED_MODELS = os.path.normpath(os.path.join(ROOT, "..", "shared", "models"))


def parse_options(argv):
    """{name: value} of the name=value arguments."""
    for arg in argv:
        if "=" not in arg:
            raise UserError(f"argument '{arg}' is not name=value; give options as the usage line at the top of "
                            f"{os.path.basename(sys.argv[0])} shows, e.g. target=host model=af_detection.")
    return dict(arg.split("=", 1) for arg in argv)


def run_cli(main):
    """main(sys.argv[1:]), a user's mistake (an unknown model, a malformed option) one
    `nnbuild: error:` paragraph and exit status 2, as scons reports it, not a traceback."""
    try:
        main(sys.argv[1:])
    except UserError as error:
        print(f"nnbuild: error: {error}", file=sys.stderr)
        sys.exit(2)


def default_models():
    return ["af_detection", *sorted(glob.glob(os.path.join(SHARED_MODELS, "*.tflite")))]


def applicable(runtime, spec, target, options):
    """Why `runtime` cannot build `spec` for `target` here, or None."""
    return runtimes.get(runtime).supports(spec, load_target(target), options)


def build(model, targets, runtime, options, root=ROOT):
    """scons in the checkout `root` for these targets; None on success, else the build's error line."""
    passable = {"vectors", "quantize", "opt", *(name for r in runtimes.all_runtimes() for name in r.options)}
    passed = {k: v for k, v in options.items() if k in passable}
    args = [f"target={','.join(targets)}", f"model={model}", f"runtime={runtime}", "verify=1",
            *(f"{k}={v}" for k, v in passed.items())]
    proc = subprocess.run([sys.executable, "-m", "SCons", "-Q", *args], cwd=root, capture_output=True, text=True)
    if proc.returncode == 0:
        return None
    errors = [line for line in (proc.stdout + proc.stderr).splitlines() if "error" in line.lower()]
    return (errors[0] if errors else f"scons failed ({proc.returncode})")[:160]


def measure(target, runtime, name, root=ROOT):
    folder = os.path.join(root, "build", target, runtime, name)
    with open(os.path.join(folder, "size.json")) as f:
        size = json.load(f)
    return {"flash": size["flash"]["total"], "ram": size["ram"]["total"], "arena": size["arena"]["bytes"],
            "instructions": instructions_per_inference(target, folder)}


def _ratio(base, value):
    return f"{base / value:.2f}" if base and value else "-"


def print_table(name, target, rows):
    print(f"\n{name} on {target}")
    print(f"  {'runtime':<11} {'flash B':>9} {'RAM B':>9} {'arena B':>9} {'instr/inference':>16}   "
          f"{BASELINE + '/runtime: flash':>18} {'RAM':>5} {'arena':>6} {'instr':>6}")
    base = rows.get(BASELINE) if isinstance(rows.get(BASELINE), dict) else {}
    for runtime, row in rows.items():
        if not isinstance(row, dict):
            print(f"  {runtime:<11} {row}")
            continue
        print(f"  {runtime:<11} {row['flash']:>9,} {row['ram']:>9,} {row['arena']:>9,} {row['instructions']:>16,.0f}   "
              f"{_ratio(base.get('flash'), row['flash']):>18} {_ratio(base.get('ram'), row['ram']):>5} "
              f"{_ratio(base.get('arena'), row['arena']):>6} {_ratio(base.get('instructions'), row['instructions']):>6}")


def main(argv):
    options = parse_options(argv)
    options.setdefault("vectors", "20")
    targets = options.get("target", "host,loongarch64").split(",")
    models = options["model"].split(",") if "model" in options else default_models()
    names = options["runtime"].split(",") if "runtime" in options else runtimes.NAMES
    for model in models:
        spec = resolve_model(model)
        results = {target: {} for target in targets}
        for runtime in names:
            buildable = [t for t in targets if not applicable(runtime, spec, t, options)]
            for target in set(targets) - set(buildable):
                results[target][runtime] = f"not built: {applicable(runtime, spec, target, options)}"
            failure = build(model, buildable, runtime, options) if buildable else None
            for target in buildable:
                results[target][runtime] = f"failed: {failure}" if failure else measure(target, runtime, spec.name)
        for target in targets:
            print_table(spec.name, target, results[target])


if __name__ == "__main__":
    run_cli(main)
