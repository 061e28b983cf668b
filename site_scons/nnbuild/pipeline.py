"""The pipeline's steps, one function each: step(targets, sources, settings).

`targets` and `sources` are file paths, `settings` a JSON-able dict. The SCons
tools in site_scons/site_tools wire these into the build graph (see
nnbuild.scons_actions); here they are plain functions, callable and testable
without SCons.
"""

import json
import os
import re

import numpy as np

from nnbuild import budgets, datasets, layer_error, precision, quantize, size_diff, size_html, size_report
from nnbuild.aot_codegen import generate_aot
from nnbuild.errors import UserError
from nnbuild.files import write_atomically
from nnbuild.native_output import native_output_to
from nnbuild.reference import reference_outputs, tflm_arena_bytes
from nnbuild.render import render_template
from nnbuild.tflite_model import load_tflite
from nnbuild.verify import emulator_name, parse_outputs, run_firmware


def _say(line):
    print(f"    {line}", flush=True)


def quantize_step(targets, sources, settings):
    """model.onnx -> <model>.tflite (full integer) and quant_report.json."""
    tflite_path, report_path = targets
    onnx_path = sources[0]
    shape = quantize.onnx_input_spec(onnx_path)["shape"]
    calibration = datasets.calibration_samples(settings["calibration"], settings["samples"], shape)
    work_dir = os.path.join(os.path.dirname(tflite_path), "quantize")
    conversion = quantize.Conversion(onnx_path, calibration, work_dir)
    evaluation = datasets.load_samples(settings["evaluation"], "evaluation") if settings["evaluation"] else None
    judge = precision.Judge(onnx_path, conversion, evaluation)
    chosen, data, info, candidates, reason = precision.choose(settings["mode"], judge, settings["tolerance"])
    report = {"model": settings["model"], "mode": chosen, "asked": settings["mode"], "reason": reason,
              "calibration": {"source": settings["calibration"], "samples": int(len(calibration))},
              "onnx_input_shape": info["onnx_input_shape"], "input_perm": info["input_perm"],
              "ops": info.get("ops", {}),
              "evaluation": {"data": judge.what, "float": judge.float_metrics(), **candidates}}
    # Where the accuracy goes: every quantized tensor against its float counterpart.
    with native_output_to(os.path.join(work_dir, "layer_error.log")):
        layers = layer_error.layer_errors(conversion.float_tflite(), data,
                                          quantize.to_tflite_layout(judge.x, info))
    report["layers"] = [{k: (v if np.isfinite(v) else str(v)) if isinstance(v, float) else v
                         for k, v in layer.items()} for layer in layers]
    quantize.write_tflite(data, tflite_path)
    write_atomically(report_path, json.dumps(report, indent=2) + "\n")
    _say(f"quantize={settings['mode']}: {chosen} ({reason})")
    for line in precision.format_candidates(report["evaluation"]).splitlines():
        _say(line)
    _say("worst layers (SQNR of each tensor against the float model):")
    for line in layer_error.format_layer_table(layers, top=5).splitlines():
        _say(line)


def aot_step(targets, sources, settings):
    """<model>.tflite -> <model>.h, <model>.c, <model>_weights.c and aot_info.json."""
    header, source, weights, info_path = targets
    graph = load_tflite(sources[0])
    generated = generate_aot(graph, settings["model"], origin=sources[0])
    generated["info"]["arena"]["tflm"] = tflm_arena_bytes(sources[0])  # the bar to beat
    write_atomically(header, generated["header"])
    write_atomically(source, generated["source"])
    write_atomically(weights, generated["weights"])
    write_atomically(info_path, json.dumps(generated["info"], indent=2) + "\n")


def render_step(targets, sources, settings):
    """templates/<name>.j2 -> a source file, with `settings` as the template's context."""
    template = os.path.relpath(sources[0], os.path.join(os.path.dirname(__file__), "..", "..", "templates"))
    write_atomically(targets[0], render_template(template, **settings))


def model_data_step(targets, sources, settings):
    """A model file (.tflite, .pte) -> <model>_data.cc: its bytes as a 16-byte-aligned const array."""
    with open(sources[0], "rb") as f:
        data = f.read()
    rows = [", ".join(f"0x{b:02x}" for b in data[i:i + 16]) for i in range(0, len(data), 16)]
    write_atomically(targets[0], render_template("model_data.cc.j2", model=settings["model"], origin=sources[0],
                                                 runtime=settings["runtime"], size=len(data), rows=rows))


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
        x, y = datasets.load_samples(data_file, "verification")
        x, y = x[:count], (y[:count] if y is not None else None)
        if quant_report:
            with open(quant_report) as f:
                x = quantize.to_tflite_layout(x, json.load(f))
        q = quantize.quantize_input(x.reshape((len(x), *shape[1:])), float(x_t.scale[0]),
                                    int(x_t.zero_point[0]), dtype)
        return q, y
    rng = np.random.default_rng(0)
    info = np.iinfo(dtype)
    return rng.integers(info.min, info.max + 1, size=(count or RANDOM_VECTORS, *shape[1:])).astype(dtype), None


def vectors_step(targets, sources, settings):
    """test_vectors.h: the verification vectors as a C array, for runners without a file system."""
    tflite_path = sources[0]
    quant_report = next((s for s in sources if s.endswith("quant_report.json")), None)
    vectors, _ = verification_vectors(tflite_path, settings["vectors"], settings.get("data"), quant_report)
    flat = vectors.reshape(len(vectors), -1)
    rows = ["    {" + ", ".join(str(int(v)) for v in row) + "}," for row in flat]
    ctype = {"int8": "int8_t", "int16": "int16_t"}[vectors.dtype.name]
    text = (f"/* Test vectors for {os.path.basename(tflite_path)}, generated by nnbuild. Do not edit. */\n"
            "#include <stdint.h>\n\n"
            f"#define TEST_VECTORS {len(flat)}\n\n"
            "/* In their own section: a linker script may place them outside the firmware's memory. */\n"
            f"static const {ctype} test_vectors[TEST_VECTORS][{flat.shape[1]}]\n"
            f"    __attribute__((section(\".test_vectors\"), aligned(16))) = {{\n"
            + "\n".join(rows) + "\n};\n")
    write_atomically(targets[0], text)


def verify_step(targets, sources, settings):
    """Run the firmware under the target's emulator; compare byte for byte with TFLite Micro."""
    firmware, tflite_path = sources[0], sources[1]
    quant_report = next((s for s in sources if s.endswith("quant_report.json")), None)
    vectors, labels = verification_vectors(tflite_path, settings["vectors"], settings.get("data"), quant_report)
    expected = reference_outputs(tflite_path, vectors)
    stdout = run_firmware(firmware, vectors, settings, os.path.dirname(targets[0]))
    got = parse_outputs(stdout, len(vectors), expected.shape[1:], expected.dtype)
    mismatched = [i for i in range(len(vectors)) if not np.array_equal(got[i], expected[i])]
    result = {"vectors": len(vectors), "mismatches": len(mismatched), "bit_exact": not mismatched,
              "emulator": emulator_name(settings["emulator"]),
              "inputs": os.path.basename(settings["data"]) if settings.get("data") else "random",
              "max_abs_diff": int(np.max(np.abs(got.astype(np.int64) - expected.astype(np.int64))))}
    if labels is not None:  # the firmware's own accuracy (output scales are positive: argmax of raw)
        result["accuracy"] = float(np.mean(np.argmax(got.reshape(len(got), -1), -1) == labels))
    write_atomically(targets[0], json.dumps(result, indent=2) + "\n")
    if mismatched:
        i = mismatched[0]
        raise UserError(f"{firmware}: {len(mismatched)} of {len(vectors)} output vectors differ from "
                        f"the TFLite Micro interpreter (first: vector {i}, firmware "
                        f"{got[i].ravel()[:8].tolist()} vs reference {expected[i].ravel()[:8].tolist()}).")
    accuracy = f", accuracy {result['accuracy']:.3f}" if "accuracy" in result else ""
    _say(f"bit-exact on {len(vectors)} vectors from {result['inputs']} ({result['emulator']}){accuracy}")


def size_step(targets, sources, settings):
    """firmware.elf, firmware.map, aot_info.json -> size.json, size.txt and size.html, per
    component; the previous size.json is kept as size.previous.json and compared."""
    json_path, txt_path, html_path = targets
    previous_path = os.path.join(os.path.dirname(json_path), "size.previous.json")
    if os.path.exists(json_path):  # size.json is Precious: SCons leaves the last one in place
        os.replace(json_path, previous_path)
    elf, map_path = sources[0], sources[1]
    components = {os.path.normpath(k): v for k, v in settings["components"].items()}

    def classify(input_file):
        archive = input_file.split("(")[0]
        return components.get(os.path.normpath(input_file),
                              components.get(archive) or size_report.toolchain_component(input_file))

    report = size_report.analyze_size(elf, map_path, classify, arena_symbol=settings.get("arena_symbol"))
    with open(sources[2]) as f:
        planned = json.load(f)["arena"]
    report["arena"].update(planned)
    report["shared_libraries"] = size_report.runpath_libraries(elf)
    for memory in ("flash", "ram"):
        report[memory]["budget"] = settings["budget"][memory]["bytes"]
    write_atomically(json_path, json.dumps(report, indent=2) + "\n")
    write_atomically(txt_path, size_report.format_size_table(report))
    write_atomically(html_path, size_html.render_size_html(report, f"{settings['title']}: firmware size"))
    baseline = settings.get("diff") or (previous_path if os.path.exists(previous_path) else None)
    if baseline:
        with open(baseline) as f:
            diff = size_diff.diff_reports(json.load(f), report)
        if settings.get("diff"):
            _say(f"size against {baseline}:")
            lines = size_diff.format_size_diff(diff).splitlines()
        else:  # only the headlines, and only when something changed
            lines = [line for line in size_diff.format_size_diff(diff).splitlines()
                     if re.match(r"(flash|ram): [+-][1-9]", line)]
        for line in lines:
            _say(line)
    over = [budgets.overshoot(report, memory, settings["budget"][memory]["from"]) for memory in ("flash", "ram")]
    over = [message for message in over if message]
    if over:
        raise UserError(f"{elf}: " + " ".join(over) + f" See {txt_path}.", keep_outputs=True)
