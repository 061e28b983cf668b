"""runtime=executorch: the PyTorch route, from a trained nn.Module to an ExecuTorch program.

Plain Python, no SCons: load a model given as PyTorch (models/<name>/model.py with
build_model() and example_input(), trained weights in model.pt beside it), export
it with torch.export -> to_edge -> to_executorch into a .pte (`program_step`),
describe the program (operators, planned memory, inputs and outputs), measure
what ExecuTorch's method allocator needs (`method_pool_bytes`, with a probe
linked against the executorch package), generate the glue that fronts the
program with nnbuild's C API (`glue_step`) and compare firmware outputs with
ExecuTorch's Python runtime and eager PyTorch (`verify_step`). The SCons wiring is
in nnbuild.runtimes.executorch.build and site_tools/nnbuild_executorch.py.

Imports of torch and executorch are inside the functions: they take seconds,
and a build that does not use this runtime should not pay for them.
"""

import hashlib
import json
import os
import subprocess

import numpy as np

from nnbuild import datasets
from nnbuild.errors import UserError
from nnbuild.runtimes.executorch.sources import NO_PACKAGE, package_flags, package_root
from nnbuild.files import write_atomically
from nnbuild.pytorch_model import load_pytorch_model
from nnbuild.native_output import native_output_to
from nnbuild.render import render_template
from nnbuild.verify import verify_firmware

METHOD = "forward"
# ExecuTorch's ScalarType codes of the dtypes a program's input and output may have:
# float, int8 programs included (they quantize and dequantize inside).
SCALAR_TYPES = {6: ("float32", "float", "Float")}
INT8_SCALAR_TYPE = 1
# Verification tolerances (relative to the largest magnitude of each output vector).
RTOL_EXECUTORCH = 1e-5      # against the ExecuTorch Python runtime: same kernels, other compiler
RTOL_EAGER = 1e-4           # against eager PyTorch: other kernels
RANDOM_VECTORS = 50
PROBE_SOURCE = os.path.join(os.path.dirname(__file__), "executorch_probe.cpp")
# Headroom on the method allocator the probe measured: a tree of another ExecuTorch
# version may lay its runtime structures out a little differently.
POOL_HEADROOM = 1.125


# --- the model -----------------------------------------------------------------

# --- export ----------------------------------------------------------------------

def _deserialize(pte):
    from executorch.exir._serialize._program import deserialize_pte_binary

    program = deserialize_pte_binary(pte)
    return getattr(program, "program", program)


def _io(plan, index, what):
    value = plan.values[index].val
    if not hasattr(value, "scalar_type") or value.scalar_type not in SCALAR_TYPES:
        raise UserError(f"the program's {what} is not a tensor of {', '.join(t[0] for t in SCALAR_TYPES.values())}; "
                        "nnbuild's C API takes one tensor in and one out.")
    dtype, ctype, scalar_type = SCALAR_TYPES[value.scalar_type]
    shape = list(value.sizes)
    return {"dtype": dtype, "ctype": ctype, "scalar_type": scalar_type, "shape": shape, "size": int(np.prod(shape)),
            "scale": 1.0, "zero_point": 0}


def program_info(pte, origin):
    """What the firmware needs to know of a .pte: operators, planned memory, input and output."""
    plan = _deserialize(pte).execution_plan
    method = next((p for p in plan if p.name == METHOD), None)
    if method is None:
        raise UserError(f"{origin}: the program has no method '{METHOD}'.")
    if len(method.inputs) != 1 or len(method.outputs) != 1:
        raise UserError(f"{origin}: the model takes {len(method.inputs)} inputs and returns "
                        f"{len(method.outputs)} outputs; nnbuild's C API has one of each.")
    names = [f"{op.name}.{op.overload}" for op in method.operators]
    int8 = set()  # operators whose first argument is an int8 tensor
    for chain in method.chains:
        for instruction in chain.instructions:
            call = instruction.instr_args
            if hasattr(call, "op_index") and call.args:
                value = method.values[call.args[0]].val
                if getattr(value, "scalar_type", None) == INT8_SCALAR_TYPE:
                    int8.add(names[call.op_index])
    return {"operators": sorted(set(names)), "int8_operators": sorted(int8),
            "planned_buffers": [int(b) for b in method.non_const_buffer_sizes[1:]],  # [0] is reserved
            "values": len(method.values), "instructions": sum(len(c.instructions) for c in method.chains),
            "input": _io(method, method.inputs[0], "input"), "output": _io(method, method.outputs[0], "output")}


def fold_batch_norm(net):
    """`net` with each eval-mode BatchNorm folded into the convolution before it (torch.fx),
    as every deployment tool does: one operator and one kernel fewer per pair. A module
    torch.fx cannot trace is exported as it is."""
    from torch.fx.experimental.optimization import fuse

    try:
        return fuse(net)
    except Exception:  # untraceable Python control flow: torch.export still takes it whole
        return net


def export_program(net, example):
    """The ExecuTorch program (bytes) of `net`: float, portable kernels, no delegate."""
    import torch
    from executorch.exir import to_edge_transform_and_lower

    with torch.no_grad():
        exported = torch.export.export(fold_batch_norm(net), (example,))
    return to_edge_transform_and_lower(exported).to_executorch().buffer


def program_step(targets, sources, settings):
    """model.py (+ model.pt) -> <model>.pte and program.json (operators, memory, input, output)."""
    from nnbuild.runtimes.executorch import quantize as executorch_quantize  # imports torch: only when a program is exported

    pte_path, info_path = targets
    script = settings["pytorch"]["script"]
    precision = settings["precision"]
    with native_output_to(os.path.join(os.path.dirname(pte_path), "executorch_export.log")):
        net, example = load_pytorch_model(settings["pytorch"])
        try:
            if precision == "int8":
                calibration = datasets.calibration_samples(settings["calibration"], settings["samples"],
                                                           list(example.shape))
                pte = executorch_quantize.export_int8(net, example, calibration.reshape(-1, *example.shape[1:]))
            else:
                pte = export_program(net, example)
        except UserError:
            raise
        except Exception as e:  # torch.export names the unsupported construct
            raise UserError(f"{script}: torch.export / ExecuTorch could not export build_model(): "
                            f"{str(e).strip().splitlines()[0][:400]} (see the log "
                            f"{os.path.dirname(pte_path)}/executorch_export.log).") from None
    info = program_info(pte, pte_path)
    info.update(model=settings["model"], source=script, bytes=len(pte), precision=precision,
                int8=executorch_quantize.precision_note(info["operators"], info["int8_operators"]))
    write_atomically(pte_path, pte)
    write_atomically(info_path, json.dumps(info, indent=2) + "\n")
    print(f"    {len(pte):,} B {precision} program, {len(info['operators'])} operators: "
          + ", ".join(op.split("::")[-1] for op in info["operators"]), flush=True)
    if precision == "int8":
        print(f"    int8: {info['int8']}", flush=True)


# --- the runtime -----------------------------------------------------------------

def build_probe(tools_dir):
    """tools_dir/executorch_probe-*: loads a .pte with the package's runtime and reports the
    bytes its method allocator used. Compiled with the host's g++ when missing or stale."""
    root = package_root()
    if root is None:
        raise UserError(NO_PACKAGE)
    flags = package_flags(root)
    # Named by its flags: a changed link line (another package, more kernel libraries) makes a new one.
    key = hashlib.sha256(json.dumps(flags).encode()).hexdigest()[:8]
    probe = os.path.join(tools_dir, f"executorch_probe-{key}")
    if os.path.exists(probe) and os.path.getmtime(probe) >= os.path.getmtime(PROBE_SOURCE):
        return probe
    os.makedirs(os.path.dirname(probe), exist_ok=True)
    partial = f"{probe}.{os.getpid()}"
    command = ["g++", "-std=c++17", "-O1", *(f"-I{i}" for i in flags["includes"]),
               *(f"-D{d}" for d in flags["defines"]), PROBE_SOURCE, "-o", partial, *flags["linkflags"]]
    proc = subprocess.run(command, capture_output=True, text=True)
    if proc.returncode != 0:
        raise UserError(f"cannot compile the ExecuTorch memory probe with g++ against {root} "
                        f"({proc.stderr.strip()[:400]}); install Debian package g++.")
    os.replace(partial, probe)
    return probe


def method_pool_bytes(probe, pte_path):
    """Bytes ExecuTorch's method allocator needs for the program: measured, plus headroom."""
    proc = subprocess.run([probe, pte_path], capture_output=True, text=True)
    used = dict(line.split(" ", 1) for line in proc.stdout.splitlines() if " " in line)
    if proc.returncode != 0 or "method_allocator" not in used:
        raise UserError(f"{pte_path}: ExecuTorch's runtime cannot load the program "
                        f"({(proc.stdout + proc.stderr).strip()[-400:]}).")
    measured = int(used["method_allocator"])
    return measured, (int(measured * POOL_HEADROOM) + 255) // 256 * 256


def glue_step(targets, sources, settings):
    """<model>.pte + program.json -> <model>.h (the C API), <model>_executorch.cpp and
    executorch_info.json (the memory: planned arena and method pool)."""
    header_path, glue_path, info_path = targets
    pte_path, program_json = sources[0], sources[1]
    with open(program_json) as f:
        program = json.load(f)
    measured, pool = method_pool_bytes(build_probe(settings["tools_dir"]), pte_path)
    # Every planned buffer at a 16-byte-aligned offset of one arena.
    offsets, arena = [], 0
    for size in program["planned_buffers"]:
        offsets.append(arena)
        arena += (size + 15) // 16 * 16
    model = settings["model"]
    context = {"model": model, "MODEL": model.upper(), "origin": pte_path, "input": program["input"],
               "output": program["output"], "arena_size": arena,
               "buffers": list(zip(offsets, program["planned_buffers"])), "method_pool": pool,
               "method_pool_measured": measured, "register_kernels": settings["register_kernels"]}
    info = {"arena": {"bytes": arena, "lower_bound": None, "tflm": None, "method_pool": pool,
                      "method_pool_measured": measured},
            "ops": program["operators"], "input": program["input"], "output": program["output"]}
    write_atomically(header_path, render_template("model.h.j2", **context))
    write_atomically(glue_path, render_template("executorch/model.cpp.j2", **context))
    write_atomically(info_path, json.dumps(info, indent=2) + "\n")


# --- verification ----------------------------------------------------------------

def verification_vectors(program_json, count, data_file=None):
    """Float input vectors [N, *input shape] and their labels (or None): the first `count`
    evaluation samples, else `count` (default 50) deterministic random vectors."""
    with open(program_json) as f:
        shape = json.load(f)["input"]["shape"]
    if data_file:
        x, y = datasets.load_samples(data_file, "verification")
        x, y = x[:count], (y[:count] if y is not None else None)
        return x.reshape((len(x), *shape[1:])).astype(np.float32), y
    rng = np.random.default_rng(0)
    return rng.standard_normal((count or RANDOM_VECTORS, *shape[1:])).astype(np.float32), None


def executorch_outputs(pte_path, inputs):
    """Each input vector run through ExecuTorch's Python runtime (its portable kernels)."""
    import executorch.kernels.quantized  # noqa: F401 - registers quantize/dequantize for int8 programs
    import torch
    from executorch.runtime import Runtime

    method = Runtime.get().load_program(pte_path).load_method(METHOD)
    return np.stack([method.execute([torch.from_numpy(x[None])])[0].numpy()[0] for x in inputs])


def eager_outputs(pytorch, inputs):
    import torch

    net, _ = load_pytorch_model(pytorch)
    with torch.no_grad():
        return np.stack([net(torch.from_numpy(x[None])).numpy()[0] for x in inputs])


def relative_error(got, expected):
    """Per vector: the largest difference relative to the largest magnitude of the expected vector."""
    flat_got, flat_exp = got.reshape(len(got), -1), expected.reshape(len(expected), -1)
    scale = np.maximum(np.abs(flat_exp).max(axis=1), np.finfo(np.float32).tiny)
    return np.abs(flat_got.astype(np.float64) - flat_exp).max(axis=1) / scale


def verify_verdict(result):
    """One line on a verification of float outputs (verify.json)."""
    worst = result["max_relative_error"]
    accuracy = f", accuracy {result['accuracy']:.3f}" if "accuracy" in result else ""
    exact = "bit-exact with" if result["bit_exact"] else f"within {worst['executorch']:.1e} of"
    eager = "float eager PyTorch" if result.get("precision") == "int8" else "eager PyTorch"
    return (f"{exact} ExecuTorch's runtime, within {worst['eager']:.1e} of {eager} on "
            f"{result['vectors']} vectors from {result['inputs']} ({result['emulator']}){accuracy}")


def verify_step(targets, sources, settings):
    """Run the firmware on float vectors; compare with ExecuTorch's Python runtime (within
    RTOL_EXECUTORCH; exactly for int8 programs) and eager PyTorch (within RTOL_EAGER; for
    an int8 program the float model's distance is reported, not enforced)."""
    firmware, pte_path, program_json = sources[:3]
    with open(program_json) as f:
        int8 = json.load(f)["precision"] == "int8"
    tolerance = {"executorch": 0.0 if int8 else RTOL_EXECUTORCH, "eager": None if int8 else RTOL_EAGER}
    vectors, labels = verification_vectors(program_json, settings["vectors"], settings.get("data"))
    eager = {}

    def reference(inputs):
        with native_output_to(os.path.join(os.path.dirname(targets[0]), "verify_reference.log")):
            eager["outputs"] = eager_outputs(settings["pytorch"], inputs)
            return executorch_outputs(pte_path, inputs)

    def compare(got, expected):
        error_executorch, error_eager = relative_error(got, expected), relative_error(got, eager["outputs"])
        bad = error_executorch > tolerance["executorch"]
        if tolerance["eager"] is not None:
            bad |= error_eager > tolerance["eager"]
        limits = f"by more than {tolerance['executorch']:g}" if tolerance["executorch"] else "at all"
        eager_limit = f" or from eager PyTorch by more than {tolerance['eager']:g}" if tolerance["eager"] else ""
        fields = {"precision": "int8" if int8 else "float32", "tolerance": tolerance,
                  "max_relative_error": {"executorch": float(error_executorch.max()), "eager": float(error_eager.max())}}
        return np.flatnonzero(bad), bool(np.array_equal(got, expected)), fields, lambda i: (
            f"ExecuTorch's runtime {limits}{eager_limit} (relative; first: vector {i}, firmware "
            f"{got[i].ravel()[:4].tolist()}, ExecuTorch {expected[i].ravel()[:4].tolist()}, "
            f"eager {eager['outputs'][i].ravel()[:4].tolist()})")

    verify_firmware(targets, settings, firmware, vectors, labels, reference, compare, verify_verdict)
