"""The fast-kernels benchmark: aot against an earlier aot, TFLite Micro with its reference
kernels and TFLite Micro with CMSIS-NN, per model and board, in one invocation (the
machine is noisy, so everything is a ratio measured in the same run).

    python3 benchmarks/speed.py [target=cortex-m55,rpi4,loongarch64,milkv-duo,host]
                                [model=af_detection,...] [baseline=REV]
                                [tflm_reference=TREE] [tflm_cmsis_nn=TREE] [vectors=5] [opt=speed]

Per model and board it prints instructions per inference inside `<model>_invoke`
(benchmarks/instructions.py), flash and arena of aot, then each other column's
instructions and the ratio aot/column (below 1: aot is faster).

- baseline=REV: aot built from a git worktree of REV (in build/benchmark/), e.g. the
  commit before a kernel change; left out, no such column.
- tflm_reference, tflm_cmsis_nn: TFLite Micro trees made as the README says; by default
  ../shared/tflm/reference and ../shared/tflm/cmsis_nn when they exist. Without a tree
  (or where runtime=tflm cannot build) the column says why.
Every firmware is verified (verify=1) before it is measured.
"""

import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from runtimes import ROOT, applicable, build, default_models, measure, parse_options, resolve_model, run_cli  # noqa: E402

SHARED_TFLM = os.path.normpath(os.path.join(ROOT, "..", "shared", "tflm"))
TARGETS = "cortex-m55,rpi4,loongarch64,milkv-duo,host"
PASSED = ("vectors", "opt")  # options every column's build gets


def baseline_checkout(rev):
    """A worktree of REV under build/benchmark/ (with ../shared beside it, as in the project)."""
    commit = subprocess.run(["git", "rev-parse", "--short", rev], cwd=ROOT, capture_output=True, text=True,
                            check=True).stdout.strip()
    folder = os.path.join(ROOT, "build", "benchmark", commit)
    checkout = os.path.join(folder, "repo")
    if not os.path.isdir(checkout):
        subprocess.run(["git", "worktree", "add", "--detach", checkout, commit], cwd=ROOT, check=True,
                       capture_output=True)
    shared = os.path.join(ROOT, "..", "shared")
    if os.path.isdir(shared) and not os.path.exists(os.path.join(folder, "shared")):
        os.symlink(os.path.abspath(shared), os.path.join(folder, "shared"))
    return commit, checkout


def columns(options):
    """(name, checkout, runtime, its options, why it cannot run or None) for each column."""
    passed = {k: v for k, v in options.items() if k in PASSED}
    found = [("aot", ROOT, "aot", passed, None)]
    if options.get("baseline"):
        commit, checkout = baseline_checkout(options["baseline"])
        found.append((f"aot {commit}", checkout, "aot", {k: v for k, v in passed.items() if k == "vectors"}, None))
    for kernels in ("reference", "cmsis_nn"):
        tree = options.get(f"tflm_{kernels}") or os.path.join(SHARED_TFLM, kernels)
        why = None if os.path.isdir(tree) else (f"no TFLite Micro tree (give tflm_{kernels}=TREE, made as the "
                                                f"README says)")
        found.append((f"tflm {kernels}", ROOT, "tflm", {**passed, "tflm": tree}, why))
    return found


def unknown_board(checkout, target):
    """Why a checkout (an earlier commit's) cannot build `target`, or None."""
    if not os.path.exists(os.path.join(checkout, "targets", f"{target}.toml")):
        return f"that commit has no board {target}"
    return None


def _cell(row):
    return row if isinstance(row, str) else f"{row['instructions']:,.0f}"


def print_model(name, targets, results, names):
    print(f"\n{name}: instructions per inference (ratio: aot / column, below 1 = aot faster)")
    header = f"  {'board':<16} {'aot flash B':>11} {'arena B':>8}"
    for column in names:
        header += f" | {column:>16} {'ratio':>6}"
    print(header)
    for target in targets:
        base = results[target]["aot"]
        if isinstance(base, str):
            print(f"  {target:<16} aot {base}")
            continue
        line = f"  {target:<16} {base['flash']:>11,} {base['arena']:>8,}"
        for column in names:
            row = results[target][column]
            ratio = f"{base['instructions'] / row['instructions']:.2f}" if isinstance(row, dict) else "-"
            line += f" | {_cell(row)[:16]:>16} {ratio:>6}"
        print(line)
    for target in targets:  # the reasons a column is empty, in full
        for column in names:
            if isinstance(results[target][column], str):
                print(f"  {target} {column}: {results[target][column]}")


def main(argv):
    options = parse_options(argv)
    options.setdefault("vectors", "5")
    targets = options.get("target", TARGETS).split(",")
    models = options["model"].split(",") if "model" in options else default_models()
    plan = columns(options)
    for model in models:
        spec = resolve_model(model)
        results = {target: {} for target in targets}
        for name, checkout, runtime, column_options, why in plan:
            reasons = {t: why or unknown_board(checkout, t) or applicable(runtime, spec, t, column_options)
                       for t in targets}
            buildable = [t for t in targets if not reasons[t]]
            for target in targets:
                if target not in buildable:
                    results[target][name] = f"not built: {reasons[target]}"
            failure = build(model, buildable, runtime, column_options, checkout) if buildable else None
            for target in buildable:  # measured now: the next tflm column builds into the same folders
                results[target][name] = (f"failed: {failure}" if failure
                                         else measure(target, runtime, spec.name, checkout))
        print_model(spec.name, targets, results, [name for name, *_ in plan])


if __name__ == "__main__":
    run_cli(main)
