"""The arena-saving code forms side by side: the same model and target built with runtime=aot
once per setting of inplace (in-place ops, folded PADs, the input read where the caller keeps
it) and patch (chains of convolutions row by row), in one run, each verified (verify=1) before
it is measured; inplace=0 patch=0 keeps every tensor whole in memory of its own, as before.

    python3 benchmarks/memory.py [target=cortex-m55] [model=mobilenet_v2_035,...] [quantize=int8]
                                 [vectors=10]

Per model it prints, for each setting, the planned arena, the tensor-level lower bound (the
most tensor bytes alive at once, every tensor whole: what no plan could beat before), TFLite
Micro's arena for the same model, flash and instructions per inference (benchmarks/
instructions.py), then the setting's arena and instructions as ratios against inplace=0 patch=0.
Defaults: af_detection, the project's MobileNetV2 0.35 (96x96) and the four MLPerf Tiny models in
../shared/models, on cortex-m55, quantized int8.
"""

import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [HERE]
from runtimes import ROOT, build, default_models, measure, parse_options, run_cli  # noqa: E402
from nnbuild.models import resolve_model  # noqa: E402

SETTINGS = {f"inplace={i} patch={p}": {"inplace": i, "patch": p} for i in "01" for p in "01"}
BASELINE = "inplace=0 patch=0"


def _arena_bounds(target, name):
    with open(os.path.join(ROOT, "build", target, "aot", name, "size.json")) as f:
        arena = json.load(f)["arena"]
    return arena["lower_bound"], arena.get("tflm")


def main(argv):
    options = parse_options(argv)
    options.setdefault("vectors", "10")
    options.setdefault("quantize", "int8")
    target = options.get("target", "cortex-m55")
    models = options["model"].split(",") if "model" in options else \
        ["af_detection", "mobilenet_v2_035", *default_models()[1:]]
    for model in models:
        spec = resolve_model(model)
        rows = {}
        for setting, values in SETTINGS.items():
            failure = build(model, [target], "aot", {**options, **values})
            if failure:
                rows[setting] = f"failed: {failure}"
                continue
            rows[setting] = measure(target, "aot", spec.name)
            rows[setting]["lower_bound"], rows[setting]["tflm"] = _arena_bounds(target, spec.name)
        print(f"\n{spec.name} on {target}")
        print(f"  {'setting':<19} {'arena B':>9} {'lower bound B':>14} {'TFLM arena B':>13} {'flash B':>10} "
              f"{'instr/inference':>16}   {'arena/lower bound':>17} {'arena ratio':>11} {'instr ratio':>11}")
        base = rows.get(BASELINE) if isinstance(rows.get(BASELINE), dict) else None
        for setting, row in rows.items():
            if not isinstance(row, dict):
                print(f"  {setting:<19} {row}")
                continue
            ratios = (f"{row['arena'] / base['arena']:>11.3f} {row['instructions'] / base['instructions']:>11.3f}"
                      if base else f"{'-':>11} {'-':>11}")
            tflm = f"{row['tflm']:,}" if row["tflm"] else "-"
            print(f"  {setting:<19} {row['arena']:>9,} {row['lower_bound']:>14,} {tflm:>13} {row['flash']:>10,} "
                  f"{row['instructions']:>16,.0f}   {row['arena'] / row['lower_bound']:>17.3f} {ratios}")


if __name__ == "__main__":
    run_cli(main)
