"""Guest instructions per inference: latency compared across targets and runtimes
without trusting wall clocks on a shared machine.

What is counted: the instructions executed from the entry of `<model>_invoke` to
its return, callees included, averaged over the calls. The firmware runs on its
verification vectors, so every target sees the same inputs. Counting inside the
function leaves out start-up and I/O, needs one run, and works alike for the
Linux runners and bare metal; the whole-program count is reported too, so the
difference method (count(-n N2) - count(-n N1)) / (N2 - N1) can check it.

- targets run under qemu (user or system mode): site_scons/nnbuild/qemu_insn_count.c,
  a TCG plugin built here with the host's gcc (Debian's qemu ships no plugins);
- host: valgrind's callgrind.
Both count deterministically for the same binary and input.

    python3 benchmarks/instructions.py target=loongarch64,cortex-m55,host model=af_detection

builds with scons (vectors=20 unless given; other options pass through) and
prints flash, RAM and instructions per inference per target, with the ratio to
the first target listed.
"""

import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "site_scons"))
from nnbuild import families  # noqa: E402
from nnbuild.instruction_count import build_plugin, count_under_qemu  # noqa: E402
from nnbuild.targets import load_target  # noqa: E402


@dataclass(frozen=True)
class Count:
    program: int  # instructions of the whole run
    invoke: int   # of those, from entries of <model>_invoke to its returns
    calls: int    # calls of <model>_invoke

    @property
    def per_inference(self):
        return self.invoke / self.calls


def _run(command):
    proc = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed ({proc.returncode}): {proc.stderr[-2000:]}")


def _callgrind(elf, args, function):
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "callgrind.out")
        _run(["valgrind", "--tool=callgrind", "--compress-strings=no", "--compress-pos=no",
              f"--callgrind-out-file={out}", elf, *args])
        with open(out) as f:
            lines = f.read().splitlines()
    program = next(int(line.split()[1]) for line in lines if line.startswith("summary:"))
    # Each call site of the function: "cfn=NAME", "calls=COUNT TARGET", "SOURCE INCLUSIVE_COST".
    sites = [i for i, line in enumerate(lines) if line == f"cfn={function}"]
    calls = sum(int(lines[i + 1][len("calls="):].split()[0]) for i in sites)
    invoke = sum(int(lines[i + 2].split()[1]) for i in sites)
    return Count(program, invoke, calls)


def count(target, model_dir, repeat=0):
    """Run model_dir's firmware.elf on its verification vectors and count instructions.

    The Linux runners take vectors.bin and, with `repeat`, invoke the model that many
    more times (-n). firmware.elf has the same code as the stripped deployable.
    """
    board = load_target(target)
    elf = os.path.join(model_dir, "firmware.elf")
    function = os.path.basename(os.path.normpath(model_dir)) + "_invoke"
    family = families.get(board.family)
    if repeat and family.vectors_compiled_in:
        raise ValueError(f"{target} runs its compiled-in vectors once each; it cannot repeat")
    args = family.run_arguments(os.path.join(model_dir, "vectors.bin"), repeat)
    if not board.emulator:
        result = _callgrind(elf, args, function)
    else:
        build_dir = os.path.normpath(os.path.join(model_dir, "..", "..", ".."))  # of build/T/runtime/M
        values = count_under_qemu(board.emulator, build_plugin(build_dir), elf, args, function)
        result = Count(values["instructions"], values["inside"], values["calls"])
    if result.calls == 0:
        raise RuntimeError(f"{elf} never called {function}")
    return result


def instructions_per_inference(target, model_dir):
    """Mean instructions per <model>_invoke over the verification vectors in
    model_dir (build/<target>/<runtime>/<model>, built with verify=1)."""
    return count(target, model_dir).per_inference


def main(argv):
    options = {"vectors": "20", "runtime": "aot", "model": "af_detection"}
    options.update(arg.split("=", 1) for arg in argv)
    if "target" not in options:
        sys.exit("usage: instructions.py target=T1,T2,... [model=M] [other scons options]")
    subprocess.run([sys.executable, "-m", "SCons", "-Q", *(f"{k}={v}" for k, v in options.items())],
                   cwd=ROOT, check=True)
    model = os.path.splitext(os.path.basename(os.path.normpath(options["model"])))[0]
    print(f"\n{model} ({options['runtime']}): instructions per inference, mean over the verification "
          f"vectors (vectors={options['vectors']}); ratio to the first target")
    print(f"{'target':<12} {'flash B':>9} {'RAM B':>9} {'instructions':>14} {'ratio':>7}")
    baseline = None
    for target in options["target"].split(","):
        model_dir = os.path.join(ROOT, "build", target, options["runtime"], model)
        with open(os.path.join(model_dir, "size.json")) as f:
            size = json.load(f)
        per_inference = instructions_per_inference(target, model_dir)
        baseline = baseline or per_inference
        print(f"{target:<12} {size['flash']['total']:>9} {size['ram']['total']:>9} "
              f"{per_inference:>14,.0f} {per_inference / baseline:>7.2f}")


if __name__ == "__main__":
    main(sys.argv[1:])
