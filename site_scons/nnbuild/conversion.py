"""The quantize step: an ONNX model -> the quantized .tflite and quant_report.json.

It converts the model once (quantize.Conversion), lets the judge (precision.py)
choose int8, a per-layer mix or 16x8, and reports each quantized tensor's error (layer_error.py).
"""

import json
import math
import os

import numpy as np

from nnbuild import datasets, layer_error, mixed_precision, precision, quantize
from nnbuild.files import write_atomically
from nnbuild.progress import Timings, say
from nnbuild.tflite_model import parse_tflite


def quantize_step(targets, sources, settings):
    """model.onnx -> <model>.tflite (full integer) and quant_report.json."""
    tflite_path, report_path = targets
    onnx_path = sources[0]
    shape = quantize.onnx_input_spec(onnx_path)["shape"]
    # The data first: a mistake in it is found in a second, not after the conversion.
    calibration = datasets.calibration_samples(settings["calibration"], settings["samples"], shape)
    evaluation = None
    if settings["evaluation"]:
        evaluation = datasets.load_samples(settings["evaluation"], "evaluation", math.prod(shape[1:]),
                                           quantize.onnx_output_size(onnx_path))
    work_dir = os.path.join(os.path.dirname(tflite_path), "quantize")
    timings = Timings()
    conversion = quantize.Conversion(onnx_path, calibration, work_dir, timings=timings)
    with timings("running the float model (onnxruntime)"):
        judge = precision.Judge(onnx_path, conversion, evaluation, settings["metric"], settings["min_sqnr_db"],
                                settings["tolerance"])
    picked, data, info, candidates, reason = precision.choose(settings["mode"], judge, settings["tolerance"])
    chosen = info["mode"]  # mixed:<its op numbers> for a mix the search found
    mixed = "int16_ops" in info
    report = {"model": settings["model"], "mode": chosen, "asked": settings["mode"], "reason": reason,
              "calibration": {"source": settings["calibration"], "samples": int(len(calibration))},
              "onnx_input_shape": info["onnx_input_shape"], "input_perm": info["input_perm"],
              "output_perm": info["output_perm"],
              "ops": info.get("ops", {}), "repairs": info["repairs"],
              "evaluation": {"data": judge.what, "float": judge.float_metrics(), **candidates}}
    # Where the accuracy goes: every quantized tensor against its float counterpart. Of a mix, the
    # int8 model's, which its search ranked (TFLite's interpreter, which shows every tensor, has no
    # int8 to int16 QUANTIZE; TFLite Micro, which measured the mix, shows none).
    layers = judge.layer_errors("int8" if mixed else picked)
    precision.check_not_broken(onnx_path, chosen, candidates[picked], layers, judge.float_logits)
    report["layers"] = [{k: (v if np.isfinite(v) else str(v)) if isinstance(v, float) else v
                         for k, v in layer.items()} for layer in layers]
    if mixed:
        report["layers_of"] = "int8"
        report["precision"] = mixed_precision.precision_rows(parse_tflite(judge.build("int8")[0]),
                                                             set(info["int16_ops"]), layers, judge.input_sqnr_db(),
                                                             info.get("search"))
        report["search"] = info.get("search", {})
    quantize.write_tflite(data, tflite_path)
    write_atomically(report_path, json.dumps(report, indent=2) + "\n")
    # Timings vary run to run, so they are a log beside the work files, not part of the report.
    write_atomically(os.path.join(work_dir, "seconds.json"), json.dumps(timings.seconds, indent=2) + "\n")
    if settings["calibration"][0] == "random":
        say("calibrated on seeded random inputs (calibration=random): no data, so the ranges are a guess")
    if precision.barely_input_dependent(judge.float_logits):
        say(f"the float model's output hardly changes with its input over {judge.what} (untrained "
            "weights?): the agreement and SQNR below say little about the quantized model")
    for repair in info["repairs"]:
        say(f"repaired: {repair}")
    say(f"quantize={settings['mode']}: {chosen} ({reason})")
    for line in precision.format_candidates(report["evaluation"]).splitlines():
        say(line)
    if "precision" in report:
        for line in mixed_precision.format_precision_table(report["precision"]).splitlines():
            say(line)
    say("worst layers (SQNR of each tensor against the float model):")
    for line in layer_error.format_layer_table(layers, top=5).splitlines():
        say(line)
