"""Compile a model's aot code with the host compiler (sanitizers on) and run it."""

import functools
import os
import subprocess
import sys
import tempfile

import numpy as np

from nnbuild.runtimes.aot.codegen import generate_aot
from nnbuild.runner import render_runner
from nnbuild.tflite_model import parse_tflite
from nnbuild.verify import parse_outputs

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
KERNELS = os.path.join(REPO, "kernels")
SANITIZE = ["-O1", "-g", "-Wall", "-Werror", "-fsanitize=address,undefined", "-fno-sanitize-recover=all"]


def _compiler(target):
    """(compile command, emulator prefix): host gcc with sanitizers, or the target's zig cc;
    either with the board's defines (NN_ALIGNMENT), as a build compiles."""
    from nnbuild.targets import load_target
    from nnbuild.toolchain import board_defines, compile_flags

    t = load_target(target or "host")
    defines = [f"-D{name}={value}" for name, value in board_defines(t)]
    if target is None:
        return ["gcc", *SANITIZE, *defines], []
    zig = t.toolchain_for("zig")
    cc = [sys.executable, "-m", "ziglang", "cc", "-target", zig.triple, *zig.cflags, *compile_flags(t, "speed"),
          "-Werror", *defines]
    return cc, t.emulator


@functools.lru_cache(maxsize=None)
def _kernels(target, stamp):
    """The kernels compiled once per test session (per target and source state) into an archive."""
    cc, _ = _compiler(target)
    out = tempfile.mkdtemp(prefix="nnkernels-")
    objects = []
    for f in sorted(os.listdir(KERNELS)):
        if f.endswith(".c"):
            obj = os.path.join(out, f[:-2] + ".o")
            subprocess.run([*cc, "-std=c11", "-c", "-o", obj, os.path.join(KERNELS, f)], check=True)
            objects.append(obj)
    archive = os.path.join(out, "libnnkernels.a")
    subprocess.run([sys.executable, "-m", "ziglang", "ar", "rcs", archive, *objects], check=True)
    return archive


def kernels_archive(target=None):
    stamp = tuple((f, os.path.getmtime(os.path.join(KERNELS, f))) for f in sorted(os.listdir(KERNELS)))
    return _kernels(target, stamp)


def build_runner(model_bytes, workdir, name="m", target=None):
    """Generate, compile and link a runner for the model (host with sanitizers, or a target
    from targets/); returns (command prefix that runs it, generated code)."""
    graph = parse_tflite(model_bytes, "<test model>")
    gen = generate_aot(graph, name, "<test model>")
    os.makedirs(workdir, exist_ok=True)
    files = {f"{name}.h": gen["header"], f"{name}.c": gen["source"],
             f"{name}_weights.c": gen["weights"], "runner.c": render_runner(name, target or "host")}
    for fname, text in files.items():
        with open(os.path.join(workdir, fname), "w") as f:
            f.write(text)
    exe = os.path.join(workdir, "runner")
    cc, emulator = _compiler(target)
    subprocess.run([*cc, "-I", workdir, "-I", KERNELS, "-o", exe,
                    *[os.path.join(workdir, f) for f in files if f.endswith(".c")], kernels_archive(target)],
                   check=True)
    return [*emulator, exe], gen


def run_runner(command, inputs, output_shape, dtype):
    """Feed raw input vectors on stdin; returns the outputs as [N, *output_shape]."""
    data = np.ascontiguousarray(inputs).tobytes()
    proc = subprocess.run(command, input=data, capture_output=True, check=True)
    return parse_outputs(proc.stdout.decode(), len(inputs), output_shape, dtype)


def assert_bit_exact(model_bytes, workdir, vectors=4, seed=0, target=None):
    """Random inputs of the model's input type (int8, int16) through the runner and TFLite Micro:
    equal byte for byte. Returns the generated code's info (aot_info.json)."""
    from nnbuild.reference import reference_outputs

    graph = parse_tflite(model_bytes, "<test model>")
    x = graph.tensors[graph.inputs[0]]
    rng = np.random.default_rng(seed)
    info = np.iinfo(x.dtype)
    inputs = rng.integers(info.min, info.max + 1, size=(vectors, *x.shape)).astype(x.dtype)
    expected = reference_outputs(model_bytes, inputs)
    command, generated = build_runner(model_bytes, workdir, target=target)
    got = run_runner(command, inputs, expected.shape[1:], expected.dtype)
    np.testing.assert_array_equal(got, expected)
    return generated["info"]
