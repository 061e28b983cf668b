"""Choosing the quantization that keeps a model's accuracy: int8, 16x8, or `auto`.

`auto` tries int8 first and keeps it when its accuracy stays within a
tolerance of the float model; otherwise it falls back to 16x8 (int16
activations). The fallback is for the whole model: TFLite's converter
quantizes 16x8 all or nothing (its MLIR quantizer rejects mixed int8/int16
graphs), so per-layer mixing is not offered.

Accuracy is measured on labelled evaluation data when there is some; without
labels, on the calibration samples, as top-1 agreement with the float model.
"""

import numpy as np

from nnbuild import quantize
from nnbuild.model_toml import DEFAULT_TOLERANCE, QUANTIZE_MODES as MODES


class Judge:
    """Measures quantized candidates against the float ONNX model on fixed samples."""

    def __init__(self, onnx_path, conversion, evaluation=None):
        self.conversion = conversion
        if evaluation is not None and evaluation[1] is not None:
            self.x, self.y = evaluation
            self.what = f"{len(self.x)} labelled evaluation samples"
        else:
            self.x = conversion.calibration.transpose(np.argsort(conversion.perm))  # back to ONNX layout
            self.y = None
            self.what = f"{len(self.x)} calibration samples (no labels: top-1 agreement with float)"
        self.float_logits = quantize.run_float_onnx(onnx_path, self.x)

    def measure(self, data, info):
        """Accuracy (if labelled) and top-1 agreement with float of one quantized model."""
        _, logits = quantize.run_tflite_micro(data, quantize.to_tflite_layout(self.x, info))
        result = {"agreement": float(np.mean(np.argmax(logits, -1) == np.argmax(self.float_logits, -1)))}
        if self.y is not None:
            result["accuracy"] = quantize.accuracy(logits, self.y)
        return result

    def float_metrics(self):
        return {"accuracy": quantize.accuracy(self.float_logits, self.y)} if self.y is not None else {}

    def loss(self, metrics):
        """How much a candidate gives up: accuracy points, or the share of changed answers."""
        if self.y is not None:
            return self.float_metrics()["accuracy"] - metrics["accuracy"]
        return 1.0 - metrics["agreement"]


def choose(mode, judge, tolerance=DEFAULT_TOLERANCE):
    """Quantize as `mode` asks; returns (chosen mode, tflite bytes, info, candidates, reason)."""
    candidates, results = {}, {}
    for candidate in (("int8", "int16x8") if mode == "auto" else (mode,)):
        data, info = judge.conversion.quantize(candidate)
        results[candidate] = (data, info)
        candidates[candidate] = judge.measure(data, info)
        if mode == "auto" and judge.loss(candidates[candidate]) <= tolerance:
            break
    if mode != "auto":
        return (mode, *results[mode], candidates, f"quantize={mode} was asked for")
    def describe(m):
        metrics = candidates[m]
        if judge.y is not None:
            return f"{m} {metrics['accuracy']:.3f}"
        return f"{m} agrees {metrics['agreement']:.3f}"
    base = f"float {judge.float_metrics()['accuracy']:.3f}" if judge.y is not None else "float"
    limit = f"{tolerance * 100:g} {'point' if judge.y is not None else '% of answers'}"
    if judge.loss(candidates["int8"]) <= tolerance:
        chosen = "int8"
        reason = f"{describe('int8')} vs {base}: within {limit} on {judge.what}"
    else:
        chosen = min(candidates, key=lambda m: judge.loss(candidates[m]))
        reason = (f"{describe('int8')} vs {base} is more than {limit} off; "
                  f"{describe('int16x8')}, so {chosen} (on {judge.what})")
    return (chosen, *results[chosen], candidates, reason)


def format_candidates(evaluation):
    """A short table: accuracy and agreement with float of the float model and each candidate."""
    rows = [("float (onnxruntime)", evaluation["float"].get("accuracy"), None)]
    rows += [(f"{mode} (TFLite Micro)", m.get("accuracy"), m["agreement"])
             for mode, m in evaluation.items() if mode in MODES]
    lines = [f"{'model':<22} {'accuracy':>8} {'agrees':>7}"]
    for name, acc, agree in rows:
        lines.append(f"{name:<22} {'-' if acc is None else f'{acc:.3f}':>8} "
                     f"{'-' if agree is None else f'{agree:.3f}':>7}")
    return "\n".join(lines)
