"""Choosing the quantization that keeps a model's accuracy: int8, 16x8, or `auto`;
and refusing a quantized model that is broken, whatever was asked.

`auto` tries int8 first and keeps it when it stays within a tolerance of the
float model; otherwise it searches for the fewest ops to run in 16x8 (int16
activations) with the rest int8 (mixed_precision.py: TFLite's converter quantizes
16x8 all or nothing, so nnbuild splices its int8 and 16x8 graphs), and only
without such a mix takes 16x8 for the whole model. `mixed:<op numbers>` pins a
mix by hand. A candidate TFLite Micro refuses to run is not chosen.

How a candidate is judged (model.toml [quantization] metric):
- accuracy: on labelled evaluation data, within `tolerance` of float (points);
- agreement: top-1 agreement with the float model, at most `tolerance` changed answers;
- sqnr: the output's signal-to-quantization-noise ratio against float, at least
  `min_sqnr_db`: for detectors and other outputs where the top-1 class means nothing;
- auto (the default): accuracy when there are labels; without, agreement or SQNR,
  either suffices (near ties make a random or detection output's top-1 unstable
  while its values stay close to float).
"""

import math
import os

import numpy as np

from nnbuild import layer_error, mixed_precision, quantize
from nnbuild.arena_planner import lower_bound
from nnbuild.errors import UserError
from nnbuild.model_toml import DEFAULT_MIN_SQNR_DB, DEFAULT_TOLERANCE, MIXED, QUANTIZE_MODES as MODES, int16_ops
from nnbuild.native_output import native_output_to
from nnbuild.reference import ReferenceRejects, io_quantization
from nnbuild.tflite_model import parse_tflite

# Beyond reason, whatever was asked: the quantization noise at least as strong as half
# the signal, or a scale no sane range gives (a range folded with a -3.4e38 pad value).
BROKEN_SQNR_DB = 3.0
ABSURD_SCALE = 1e10


def output_sqnr_db(expected, got):
    """10 log10(sum expected^2 / sum (expected - got)^2) over all samples; inf for no error."""
    expected, got = np.asarray(expected, np.float64), np.asarray(got, np.float64)
    noise = float(np.sum((expected - got) ** 2))
    signal = float(np.sum(expected ** 2))
    if noise == 0:
        return math.inf
    return 10 * math.log10(signal / noise) if signal > 0 else -math.inf


class Criteria:
    """How quantized outputs are judged against the float model's on fixed samples x
    (labels y, or None); a route's judge adds how it builds and runs a candidate."""

    def __init__(self, x, y, float_logits, what, metric="auto", min_sqnr_db=DEFAULT_MIN_SQNR_DB):
        self.x, self.y, self.float_logits, self.what = x, y, float_logits, what
        self.metric, self.min_sqnr_db = metric, min_sqnr_db

    @staticmethod
    def check_labels(metric, y, where):
        if metric == "accuracy" and y is None:
            raise UserError(f"{where}: [quantization] metric = \"accuracy\" needs labelled evaluation data "
                            "(eval=FILE, or [evaluation] file in model.toml, an .npz with x and y).")

    def score(self, logits):
        """Top-1 agreement with float, output SQNR and (if labelled) accuracy of quantized outputs."""
        logits = np.asarray(logits).reshape(self.float_logits.shape)
        result = {"agreement": float(np.mean(np.argmax(logits, -1) == np.argmax(self.float_logits, -1))),
                  "sqnr_db": output_sqnr_db(self.float_logits, logits)}
        if self.y is not None:
            result["accuracy"] = quantize.accuracy(logits, self.y)
        return result

    def float_metrics(self):
        return {"accuracy": quantize.accuracy(self.float_logits, self.y)} if self.y is not None else {}

    def _measures(self):
        if self.metric != "auto":
            return [self.metric]
        return ["accuracy"] if self.y is not None else ["agreement", "sqnr"]

    def acceptable(self, metrics, tolerance):
        """Whether a candidate keeps the model, by the judge's metric(s)."""
        checks = {"accuracy": lambda: self.float_metrics()["accuracy"] - metrics["accuracy"] <= tolerance,
                  "agreement": lambda: 1.0 - metrics["agreement"] <= tolerance,
                  "sqnr": lambda: metrics["sqnr_db"] >= self.min_sqnr_db}
        return any(checks[m]() for m in self._measures())

    def better(self, a, b):
        """Whether candidate metrics `a` keep more of the model than `b`."""
        key = "accuracy" if "accuracy" in self._measures() else "sqnr_db"
        return a[key] > b[key]

    def describe(self, mode, metrics):
        parts = {"accuracy": f"{metrics.get('accuracy', 0):.3f}", "agreement": f"agrees {metrics['agreement']:.3f}",
                 "sqnr": f"output SQNR {metrics['sqnr_db']:.1f} dB"}
        return f"{mode} " + ", ".join(parts[m] for m in self._measures())

    def limit(self, tolerance):
        limits = {"accuracy": f"{tolerance * 100:g} point{'s' if tolerance != 0.01 else ''} of float "
                              f"{self.float_metrics().get('accuracy', 0):.3f}",
                  "agreement": f"{tolerance * 100:g}% of answers",
                  "sqnr": f"{self.min_sqnr_db:g} dB"}
        return " or ".join(limits[m] for m in self._measures())


class Judge(Criteria):
    """Measures quantized TFLite candidates against the float ONNX model; builds int8, 16x8,
    mixed:<op numbers>, and `mixed`: the search for the cheapest mix within `tolerance`."""
    rejections = (quantize.ConverterRejects, ReferenceRejects, mixed_precision.MixedUnavailable)

    def __init__(self, onnx_path, conversion, evaluation=None, metric="auto", min_sqnr_db=DEFAULT_MIN_SQNR_DB,
                 tolerance=DEFAULT_TOLERANCE):
        self.conversion, self.onnx_path, self.tolerance = conversion, onnx_path, tolerance
        self._models, self._layers, self._metrics = {}, {}, {}  # by mode, each made or measured once
        if evaluation is not None and evaluation[1] is not None:
            x, y = evaluation
            what = f"{len(x)} labelled evaluation samples"
        else:
            x = conversion.calibration.transpose(np.argsort(conversion.perm))  # back to ONNX layout
            y = None
            what = f"{len(x)} calibration samples (no labels)"
        self.check_labels(metric, y, onnx_path)
        super().__init__(x, y, quantize.run_float_onnx(onnx_path, x), what, metric, min_sqnr_db)

    def _quantized(self, mode):
        if mode not in self._models:
            self._models[mode] = self.conversion.quantize(mode)
        return self._models[mode]

    def _mixed(self, ops):
        """The int8 model with `ops` taken from the 16x8 one; its info is int8's (the same input and output)."""
        (int8, info), (int16, _) = self._quantized("int8"), self._quantized("int16x8")
        data = mixed_precision.splice(int8, int16, set(ops), self.onnx_path)
        return data, {**info, "mode": MIXED + ",".join(map(str, ops)), "int16_ops": list(ops)}

    def build(self, mode):
        if mode == "mixed":
            return self._search()
        if mode.startswith(MIXED):
            return self._mixed(int16_ops(mode))
        return self._quantized(mode)

    def layer_errors(self, mode):
        """layer_error.layer_errors of the `mode` model (int8 or int16x8) on the judge's samples."""
        if mode not in self._layers:
            data, info = self._quantized(mode)
            with self.conversion.timings(f"per-layer error of {mode}"), \
                    native_output_to(os.path.join(self.conversion.work_dir, "layer_error.log")):
                self._layers[mode] = layer_error.layer_errors(self.conversion.float_tflite(), data,
                                                            quantize.to_tflite_layout(self.x, info))
        return self._layers[mode]

    def input_sqnr_db(self):
        """The SQNR of the int8 model's input quantization on the judge's samples."""
        data, info = self._quantized("int8")
        (scale, zero_point, dtype, _), _ = io_quantization(data)
        x = quantize.to_tflite_layout(self.x, info)
        return output_sqnr_db(x, quantize.dequantize(quantize.quantize_input(x, scale, zero_point, dtype),
                                                     scale, zero_point))

    def _search(self):
        """mixed_precision.search on the int8 model's per-layer errors; MixedUnavailable if no mix is
        within the tolerance (then 16x8 for the whole model is next), at once if 16x8 for the whole
        model is not within it either (a mix keeps no more than it)."""
        sixteen = self.measure(*self._quantized("int16x8"))
        if not self.acceptable(sixteen, self.tolerance):
            raise mixed_precision.MixedUnavailable(
                f"16x8 for the whole model is not within {self.limit(self.tolerance)} either")
        int8, _ = self._quantized("int8")
        layers = self.layer_errors("int8")

        def measure(ops):
            return self.measure(*self._mixed(ops))  # once per mix: measure keeps what it measured

        def cost(ops):
            graph = parse_tflite(self._mixed(ops)[0])
            return (lower_bound(graph, [(op.outputs[0], op.inputs[0]) for op in graph.operators
                                        if op.opcode in ("RESHAPE", "SQUEEZE", "EXPAND_DIMS")]),
                    sum(t.nbytes for t in graph.tensors if t.is_constant))

        with self.conversion.timings("searching per-layer precision"):
            found = mixed_precision.search(parse_tflite(int8), layers, measure,
                                           lambda m: self.acceptable(m, self.tolerance), cost, self.input_sqnr_db())
        if found is None:
            raise mixed_precision.MixedUnavailable(
                f"no mix of int8 and 16x8 ops with at most {mixed_precision.MAX_SHARE:.0%} of them in 16 bits is "
                f"within {self.limit(self.tolerance)}")
        ops, _, tried, why = found
        data, info = self._mixed(ops)
        info["search"] = {**why, "tried": [{"int16_ops": list(o), **m} for o, m in tried],
                          "losses_db": mixed_precision.loss_report(parse_tflite(int8), layers, self.input_sqnr_db())}
        return data, info

    def rejected_by(self, error):
        if isinstance(error, mixed_precision.MixedUnavailable):
            return "the per-layer search"
        return "TFLite Micro" if isinstance(error, ReferenceRejects) else "the TFLite converter"

    def measure(self, data, info):
        if info["mode"] in self._metrics:  # 16x8 before the search, a mix tried again
            return self._metrics[info["mode"]]
        with self.conversion.timings(f"running {info['mode']}"):
            stand_in = mixed_precision.tflite_stand_in(data) if "int16_ops" in info else None
            _, logits = quantize.run_quantized(data, quantize.to_tflite_layout(self.x, info), stand_in)
        metrics = self.score(quantize.to_onnx_layout(logits, info))
        self._metrics[info["mode"]] = metrics
        return metrics


def choose(mode, judge, tolerance=DEFAULT_TOLERANCE, order=("int8", "mixed", "int16x8")):
    """Quantize as `mode` asks (auto: the first of `order` within tolerance, else the best);
    returns (chosen mode, built model, info, candidates, reason). `judge` builds a candidate
    (build(mode) -> (model, info)), measures it (measure(model, info) -> metrics) and names
    what rejected one it could not build (its `rejections`, rejected_by(error))."""
    candidates, results = {}, {}
    for candidate in (order if mode == "auto" else (mode,)):
        try:
            data, info = judge.build(candidate)
            candidates[candidate] = judge.measure(data, info)
        except judge.rejections as e:
            if mode != "auto":
                raise
            candidates[candidate] = {"rejected": str(e), "by": judge.rejected_by(e)}
            continue
        results[candidate] = (data, info)
        if mode == "auto" and judge.acceptable(candidates[candidate], tolerance):
            break
    if mode != "auto":
        return (mode, *results[mode], candidates, f"quantize={mode} was asked for")
    if not results:
        raise ReferenceRejects(" ".join(c["rejected"] for c in candidates.values()))
    measured = {m: candidates[m] for m in results}
    said = "; ".join(judge.describe(m, measured[m]) if m in measured else f"{m} rejected by {candidates[m]['by']}"
                     for m in candidates)
    first = order[0]
    if first in measured and judge.acceptable(measured[first], tolerance):
        return (first, *results[first], candidates,
                f"{said}: within {judge.limit(tolerance)} on {judge.what}")
    chosen = first if first in measured else next(iter(measured))
    for m in measured:
        if judge.better(measured[m], measured[chosen]):
            chosen = m
    verdict = f"{first} is not within" if first in measured else f"{first} cannot run;"
    if judge.acceptable(measured[chosen], tolerance):
        return (chosen, *results[chosen], candidates,
                f"{said}: {verdict} {judge.limit(tolerance)}, {chosen} is (on {judge.what})")
    return (chosen, *results[chosen], candidates,
            f"{said}: {verdict} {judge.limit(tolerance)}, so {chosen}, the better one that could be built "
            f"(on {judge.what})")


def check_not_broken(onnx_path, mode, metrics, layers, float_outputs):
    """UserError if the quantized model is beyond reason: an absurd scale, or an output that
    is mostly noise. Names the first layer (in graph order) where it breaks."""
    absurd = [r for r in layers if not (0 < r["scale"] < ABSURD_SCALE)]
    broken = [r for r in layers if r["sqnr_db"] < BROKEN_SQNR_DB]
    if not absurd and metrics["sqnr_db"] >= BROKEN_SQNR_DB:
        return
    if len(float_outputs) > 1 and np.ptp(float_outputs, axis=0).max() == 0:
        # Nothing to keep: placeholder weights (ONNX's "light" test models are constants).
        raise UserError(
            f"{onnx_path}: the float model gives the same output for all {len(float_outputs)} samples, "
            f"whatever the input, and the {mode} model cannot represent that output (SQNR "
            f"{metrics['sqnr_db']:.1f} dB). Its weights look like placeholders (constants, as in ONNX's "
            "'light' test models) rather than a trained model; build the trained model.")
    first = min(absurd or broken or layers, key=lambda r: r["index"])
    raise UserError(
        f"{onnx_path}: the {mode} model does not compute what the float model computes (output SQNR "
        f"{metrics['sqnr_db']:.1f} dB, top-1 agreement {metrics['agreement']:.2f}); it breaks at op "
        f"{first['index']} ({first['op']}, tensor '{first['tensor']}': scale {first['scale']:.3g}, SQNR "
        f"{first['sqnr_db']:.1f} dB). A scale like that comes from a range the calibration could not "
        "measure (a huge constant, a dead or exploding layer). Check that op in the model; calibrate with "
        "real data; or try quantize=int16x8.")


def barely_input_dependent(float_outputs, ratio=1e-3):
    """Whether the float model's outputs hardly change from sample to sample (placeholder or
    untrained weights): then top-1 agreement and output SQNR say little about the model."""
    outputs = np.asarray(float_outputs, np.float64)
    size = float(np.mean(np.abs(outputs)))
    return len(outputs) > 1 and size > 0 and float(np.mean(np.std(outputs, axis=0))) < ratio * size


def _figure(value):
    return "-" if value is None else f"{value:.3f}"


def format_candidates(evaluation, route="TFLite"):
    """A short table: accuracy, agreement with float and output SQNR of the float model and each
    candidate (built by `route`)."""
    lines = [f"{'model':<22} {'accuracy':>8} {'agrees':>7} {'SQNR dB':>8}",
             f"{'float (onnxruntime)':<22} {_figure(evaluation['float'].get('accuracy')):>8} {'-':>7} {'-':>8}"]
    for mode, m in evaluation.items():
        if mode not in MODES and not mode.startswith("mixed"):
            continue
        name = f"{mode} ({route})"
        if "rejected" in m:
            lines.append(f"{name:<22} rejected by {m['by']}")
            continue
        lines.append(f"{name:<22} {_figure(m.get('accuracy')):>8} {_figure(m['agreement']):>7} "
                     f"{m['sqnr_db']:>8.1f}")
    return "\n".join(lines)
