"""sha256 of what a change must keep byte for byte: the firmware, generated C, linker
script, size.json and verify.json of af_detection and the MLPerf Tiny models in ../shared
on every board (runtime=aot), built in a checkout given.

    python3 benchmarks/output_hashes.py CHECKOUT OUT.json        # build there and hash
    python3 benchmarks/output_hashes.py --compare BEFORE.json AFTER.json

Run it on a checkout of the commit before a refactoring and on one after (each with
../shared beside it), then compare: every file must hash the same.
"""

import argparse
import glob
import hashlib
import json
import os
import subprocess
import sys

BOARDS = "loongarch64,milkv-duo,rpi4,cortex-m55,host"
KEPT = ("/firmware", "firmware.bin", "firmware.elf", "size.json", "verify.json", ".c", ".h", ".ld")


def build_and_hash(checkout):
    shared = os.path.join(checkout, "..", "shared", "models")
    for model in ["af_detection", *sorted(glob.glob(os.path.join(shared, "*.tflite")))]:
        proc = subprocess.run([sys.executable, "-m", "SCons", "-Q", f"target={BOARDS}", f"model={model}",
                               "vectors=20"], cwd=checkout, capture_output=True, text=True)
        if proc.returncode:
            sys.exit(f"{model} failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")
        print(f"[built] {model}", flush=True)
    hashes = {}
    for path in sorted(glob.glob(os.path.join(checkout, "build", "*", "aot", "**", "*"), recursive=True)
                       + sorted(glob.glob(os.path.join(checkout, "build", "models", "*", "aot", "*")))):
        rel = os.path.relpath(path, checkout)
        if os.path.isfile(path) and rel.endswith(KEPT) and "/obj/" not in rel:
            with open(path, "rb") as f:
                hashes[rel] = hashlib.sha256(f.read()).hexdigest()
    return hashes


def compare(before, after):
    """Lines naming each file that differs or exists on one side only; [] when all are equal."""
    return ([f"differs: {p}" for p in sorted(set(before) & set(after)) if before[p] != after[p]]
            + [f"only before: {p}" for p in sorted(set(before) - set(after))]
            + [f"only after: {p}" for p in sorted(set(after) - set(before))])


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--compare", action="store_true", help="compare two hash files")
    parser.add_argument("first")
    parser.add_argument("second")
    args = parser.parse_args()
    if args.compare:
        with open(args.first) as f, open(args.second) as g:
            before, after = json.load(f), json.load(g)
        problems = compare(before, after)
        print("\n".join(problems) or f"{len(before)} files, all identical")
        sys.exit(1 if problems else 0)
    hashes = build_and_hash(args.first)
    with open(args.second, "w") as f:
        json.dump(hashes, f, indent=1, sort_keys=True)
    print(f"{len(hashes)} files hashed into {args.second}")


if __name__ == "__main__":
    main()
