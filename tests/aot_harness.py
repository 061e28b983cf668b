"""Compile a model's aot code with the host compiler (sanitizers on) and run it."""

import functools
import os
import subprocess
import tempfile

import numpy as np

from nnbuild.aot_codegen import generate_aot
from nnbuild.runner import render_runner
from nnbuild.tflite_model import parse_tflite
from nnbuild.verify import parse_outputs

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
KERNELS = os.path.join(REPO, "kernels")
SANITIZE = ["-O1", "-g", "-Wall", "-Werror", "-fsanitize=address,undefined", "-fno-sanitize-recover=all"]


@functools.lru_cache(maxsize=None)
def _host_kernels(stamp):
    """The kernels compiled once per test session (per kernel-source state) into an archive."""
    out = tempfile.mkdtemp(prefix="nnkernels-")
    objects = []
    for f in sorted(os.listdir(KERNELS)):
        if f.endswith(".c"):
            obj = os.path.join(out, f[:-2] + ".o")
            subprocess.run(["gcc", *SANITIZE, "-std=c11", "-c", "-o", obj, os.path.join(KERNELS, f)], check=True)
            objects.append(obj)
    archive = os.path.join(out, "libnnkernels.a")
    subprocess.run(["ar", "rcs", archive, *objects], check=True)
    return archive


def host_kernels():
    stamp = tuple((f, os.path.getmtime(os.path.join(KERNELS, f))) for f in sorted(os.listdir(KERNELS)))
    return _host_kernels(stamp)


def build_host(model_bytes, workdir, name="m"):
    """Generate, compile and link a host runner for the model; returns the executable path."""
    graph = parse_tflite(model_bytes, "<test model>")
    gen = generate_aot(graph, name, "<test model>")
    os.makedirs(workdir, exist_ok=True)
    files = {f"{name}.h": gen["header"], f"{name}.c": gen["source"],
             f"{name}_weights.c": gen["weights"], "runner.c": render_runner(name, "host")}
    for fname, text in files.items():
        with open(os.path.join(workdir, fname), "w") as f:
            f.write(text)
    exe = os.path.join(workdir, "runner")
    subprocess.run(["gcc", *SANITIZE, "-I", workdir, "-I", KERNELS, "-o", exe,
                    *[os.path.join(workdir, f) for f in files if f.endswith(".c")], host_kernels()],
                   check=True)
    return exe, gen


def run_host(exe, inputs, output_shape, dtype):
    """Feed raw input vectors on stdin; returns the outputs as [N, *output_shape]."""
    data = np.ascontiguousarray(inputs).tobytes()
    proc = subprocess.run([exe], input=data, capture_output=True, check=True)
    return parse_outputs(proc.stdout.decode(), len(inputs), output_shape, dtype)


def assert_bit_exact(model_bytes, workdir, vectors=4, seed=0):
    """Random int8 inputs through the host build and TFLite Micro: equal byte for byte."""
    from nnbuild.reference import reference_outputs

    graph = parse_tflite(model_bytes, "<test model>")
    x = graph.tensors[graph.inputs[0]]
    rng = np.random.default_rng(seed)
    inputs = rng.integers(-128, 128, size=(vectors, *x.shape)).astype(np.int8)
    expected = reference_outputs(model_bytes, inputs)
    exe, _ = build_host(model_bytes, workdir)
    got = run_host(exe, inputs, expected.shape[1:], expected.dtype)
    np.testing.assert_array_equal(got, expected)
