"""Verification: run the firmware on input vectors and read its raw outputs back."""

import json
import os
import re
import subprocess

import numpy as np

from nnbuild import datasets, quantize
from nnbuild.c_literals import C_TYPES, c_array
from nnbuild.errors import UserError, check_interrupted
from nnbuild.files import write_atomically
from nnbuild.progress import say
from nnbuild.reference import reference_outputs
from nnbuild.tflite_model import load_tflite

_INTEGERS = re.compile(r"-?\d+( -?\d+)*")


def run_firmware(firmware, vectors, settings, folder):
    """Run `firmware` under settings["emulator"] on `vectors` (written to folder/vectors.bin,
    unless settings["vectors_compiled_in"]), in settings["environment"] if given; its
    standard output, or UserError."""
    command = [*settings["emulator"], os.path.abspath(firmware)]
    if not settings["vectors_compiled_in"]:
        vectors_path = os.path.join(folder, "vectors.bin")
        write_atomically(vectors_path, np.ascontiguousarray(vectors).tobytes())
        command.append(os.path.abspath(vectors_path))
    where = " ".join(settings["emulator"]) or "the host"
    try:
        proc = subprocess.run(command, capture_output=True, timeout=settings.get("timeout", 600),
                              env=settings.get("environment"))
    except FileNotFoundError:
        package = settings.get("emulator_package")
        raise UserError(f"cannot run {command[0]} to verify {firmware}: install it"
                        + (f" (Debian package {package})" if package else "") + ", or build with verify=0.") from None
    except subprocess.TimeoutExpired:
        raise UserError(f"{firmware} did not finish within {settings.get('timeout', 600)} s under {where}.") from None
    check_interrupted(proc.returncode, f"{firmware} under {where}")
    if proc.returncode != 0:
        raise UserError(f"{firmware} exited with status {proc.returncode} under {where}: "
                        f"{proc.stderr.decode(errors='replace').strip()[:500]}")
    return proc.stdout.decode()


def parse_outputs(text, count, shape, dtype):
    """Parse the runner's output: one line of integers per input vector. Float outputs
    are printed as their IEEE-754 bit patterns (int32), which round-trip exactly."""
    # Lines of integers are outputs; anything else (timing, an emulator's notes) is not.
    rows = [line.split() for line in text.splitlines() if _INTEGERS.fullmatch(line.strip())]
    size = int(np.prod(shape))
    if len(rows) != count or any(len(r) != size for r in rows):
        raise UserError(f"the firmware printed {len(rows)} output lines for {count} input vectors "
                        f"(expected {size} values per line); its output began: {text[:200]!r}")
    values = np.array(rows, dtype=np.int64)
    if np.dtype(dtype) == np.float32:
        return values.astype(np.int32).view(np.float32).reshape((count, *shape))
    return values.astype(dtype).reshape((count, *shape))


def emulator_name(command):
    """How an emulator command is named in reports: the program and its machine, if any."""
    if not command:
        return "native"
    machine = command[command.index("-M") + 1] if "-M" in command[:-1] else None
    return f"{command[0]} {machine}" if machine else command[0]


RANDOM_VECTORS = 50


def verification_vectors(tflite_path, count, data_file=None, quant_report=None):
    """Raw input vectors for verification and their labels (or None): the first `count`
    samples of `data_file` (all if count is None), laid out as the quantization recorded
    in `quant_report`; without data, `count` (default 50) deterministic random vectors."""
    graph = load_tflite(tflite_path)
    x_t = graph.tensors[graph.inputs[0]]
    dtype = np.dtype(x_t.dtype)
    shape = x_t.shape
    if data_file:
        out_t = graph.tensors[graph.outputs[0]]
        x, y = datasets.load_samples(data_file, "verification", int(np.prod(shape[1:])),
                                     int(np.prod(out_t.shape[1:])))
        x, y = x[:count], (y[:count] if y is not None else None)
        if quant_report:
            with open(quant_report) as f:
                x = quantize.to_tflite_layout(x, json.load(f))
        q = quantize.quantize_input(x.reshape((len(x), *shape[1:])), float(x_t.scale[0]),
                                    int(x_t.zero_point[0]), dtype)
        return q, y
    rng = np.random.default_rng(0)
    info = np.iinfo(dtype)
    count = count or RANDOM_VECTORS
    vectors = rng.integers(info.min, info.max + 1, size=(count, *shape)).astype(dtype)
    # A vector is the whole input tensor: of a batch of 1, one sample; else every sample of the batch.
    return (vectors.reshape(count, *shape[1:]) if shape[0] == 1 else vectors), None


def vectors_step(targets, sources, settings):
    """test_vectors.h: the verification vectors as a C array, for runners without a file system."""
    tflite_path = sources[0]
    quant_report = next((s for s in sources if s.endswith("quant_report.json")), None)
    vectors, _ = verification_vectors(tflite_path, settings["vectors"], settings.get("data"), quant_report)
    flat = vectors.reshape(len(vectors), -1)
    rows = [f"    {c_array(row)}," for row in flat]
    ctype = C_TYPES[vectors.dtype.name]
    text = (f"/* Test vectors for {os.path.basename(tflite_path)}, generated by nnbuild. Do not edit. */\n"
            "#include <stdint.h>\n\n"
            f"#define TEST_VECTORS {len(flat)}\n\n"
            "/* In their own section: a linker script may place them outside the firmware's memory. */\n"
            f"static const {ctype} test_vectors[TEST_VECTORS][{flat.shape[1]}]\n"
            f"    __attribute__((section(\".test_vectors\"), aligned(NN_ALIGNMENT))) = {{\n"
            + "\n".join(rows) + "\n};\n")
    write_atomically(targets[0], text)


def verify_firmware(targets, settings, firmware, vectors, labels, reference, compare, verdict):
    """The verify step of every runtime: run `firmware` on `vectors` under the board's
    emulator; `reference(vectors)` gives the expected outputs, `compare(got, expected)`
    (indices of the vectors that fail, whether all are bit-exact, more verify.json fields,
    and what a failing vector i differs from, for the message). Writes verify.json (with
    the accuracy on `labels`), then stops with UserError if any vector failed, else says
    verdict(verify.json)."""
    stdout = run_firmware(firmware, vectors, settings, os.path.dirname(targets[0]))
    expected = reference(vectors)
    got = parse_outputs(stdout, len(vectors), expected.shape[1:], expected.dtype)
    bad, bit_exact, fields, differs_from = compare(got, expected)
    result = {"vectors": len(vectors), "mismatches": len(bad), "bit_exact": bit_exact,
              "emulator": settings.get("runs_on") or emulator_name(settings["emulator"]),
              "inputs": os.path.basename(settings["data"]) if settings.get("data") else "random", **fields}
    if labels is not None:  # the firmware's own accuracy (output scales are positive: argmax of raw)
        result["accuracy"] = float(np.mean(np.argmax(got.reshape(len(got), -1), -1) == labels))
    write_atomically(targets[0], json.dumps(result, indent=2) + "\n")
    if len(bad):
        raise UserError(f"{firmware}: {len(bad)} of {len(vectors)} output vectors differ from "
                        f"{differs_from(bad[0])}.")
    say(verdict(result))


def bit_exact_verdict(result):
    """One line on a verification against TFLite Micro (verify.json)."""
    verdict = "bit-exact" if result["bit_exact"] else f"{result['mismatches']} MISMATCHES"
    accuracy = f", accuracy {result['accuracy']:.3f}" if "accuracy" in result else ""
    return f"{verdict} on {result['vectors']} vectors from {result['inputs']} ({result['emulator']}){accuracy}"


def verify_step(targets, sources, settings):
    """Run the firmware under the target's emulator; compare byte for byte with TFLite Micro."""
    firmware, tflite_path = sources[0], sources[1]
    quant_report = next((s for s in sources if s.endswith("quant_report.json")), None)
    vectors, labels = verification_vectors(tflite_path, settings["vectors"], settings.get("data"), quant_report)
    if settings["vectors"] and settings["vectors"] > len(vectors):
        say(f"vectors={settings['vectors']}: {settings['data']} has {len(vectors)} samples; comparing all {len(vectors)}")

    def compare(got, expected):
        bad = [i for i in range(len(vectors)) if not np.array_equal(got[i], expected[i])]
        diff = int(np.max(np.abs(got.astype(np.int64) - expected.astype(np.int64))))
        return bad, not bad, {"max_abs_diff": diff}, lambda i: (
            f"the TFLite Micro interpreter (first: vector {i}, firmware {got[i].ravel()[:8].tolist()} "
            f"vs reference {expected[i].ravel()[:8].tolist()})")

    verify_firmware(targets, settings, firmware, vectors, labels, lambda v: reference_outputs(tflite_path, v),
                    compare, bit_exact_verdict)
