"""Per-layer quantization error: every activation of a full-integer .tflite
compared with its float counterpart in the unquantized .tflite of the same model.

Both models run end to end on the same samples, so the error at a tensor is
cumulative: it includes everything upstream. Read in graph order, the first
tensor whose SQNR falls steeply is where accuracy is lost; later tensors show
how that loss propagates.
"""

import math
import warnings

import numpy as np

from .progress import Ticker
from .quantize import _as_samples, _import_tf, dequantize, quantize_input
from .tflite_model import read_model

# Enough samples for stable SQNRs (the error sums are over all their elements).
DEFAULT_SAMPLES = 100
SENTINEL = 1e30  # float values beyond: onnx2tf's pad values, not data


def layer_errors(float_tflite, quant_tflite, samples, limit=None, log=None):
    """Error of each quantized op output against the float model, worst SQNR first.

    samples: float inputs in the .tflite input layout, [N, ...] (or flattened
    [N, size]). limit: how many of them to run, spread evenly over the N
    (data files are often sorted by class); None means DEFAULT_SAMPLES.
    log: optional callable taking one line, told how many tensors were skipped.

    Returns one dict per quantized op output that has a float counterpart:
    tensor, op, index (of the op in the quantized model), dtype, sqnr_db
    (10 log10 sum f^2 / sum (f - dequant(q))^2 over all samples; inf for no
    error, -inf for error on an all-zero signal), rmse, scale, rmse_in_steps.
    """
    tf = _import_tf()
    flt, qnt = _Graph(float_tflite), _Graph(quant_tflite)
    pairs = _match(flt, qnt)
    quantized = [t for _, _, t in qnt.op_outputs if qnt.quantization[t]]
    if log:
        log(f"layer_errors: {len(pairs)} quantized tensors compared, {len(quantized) - len(pairs)} "
            "without a float counterpart skipped")

    f_interp, q_interp = _interpreter(tf, float_tflite), _interpreter(tf, quant_tflite)
    (f_in,), (q_in,) = f_interp.get_input_details(), q_interp.get_input_details()
    x = _as_samples(samples, q_in["shape"], "samples for layer_errors")
    n = min(len(x), limit or DEFAULT_SAMPLES)
    x = x[np.linspace(0, len(x) - 1, n).round().astype(int)]
    in_scale, in_zero_point = q_in["quantization"]

    signal, noise = np.zeros(len(pairs)), np.zeros(len(pairs))
    ticker = Ticker("per-layer error: sample", len(x))
    for sample in x[:, None]:  # batch of 1, as the models were converted
        f_interp.set_tensor(f_in["index"], sample.astype(np.float32))
        q_interp.set_tensor(q_in["index"], quantize_input(sample, in_scale, in_zero_point, q_in["dtype"]))
        f_interp.invoke()
        q_interp.invoke()
        for row, (_, _, q, f) in enumerate(pairs):
            want = f_interp.get_tensor(f).astype(np.float64)
            got = dequantize(q_interp.get_tensor(q), *qnt.quantization[q])
            real = np.abs(want) < SENTINEL  # not a pad's stand-in for -infinity (graph_repairs)
            signal[row] += np.sum(want[real] ** 2)
            noise[row] += np.sum((got[real] - want[real]) ** 2)
        ticker.tick()
    ticker.done()

    errors = []
    for (index, op, q, _), s, e in zip(pairs, signal, noise):
        rmse = math.sqrt(e / (n * math.prod(qnt.shape[q])))
        scale = qnt.quantization[q][0]
        errors.append({"tensor": qnt.name[q], "op": op, "index": index, "dtype": qnt.dtype[q],
                       "sqnr_db": _sqnr_db(s, e), "rmse": rmse, "scale": scale,
                       "rmse_in_steps": rmse / scale})
    return sorted(errors, key=lambda r: r["sqnr_db"])


def format_layer_table(errors, top=8):
    """The `top` worst rows of layer_errors() as a fixed-width text table."""
    lines = [f"{'rank':>4}  {'op#':>4}  {'op':<16}  {'tensor':<40}  {'SQNR dB':>7}  {'RMSE/step':>9}"]
    for rank, r in enumerate(errors[:top], 1):
        name = r["tensor"] if len(r["tensor"]) <= 40 else "..." + r["tensor"][-37:]  # the tail names the op
        lines.append(f"{rank:>4}  {r['index']:>4}  {r['op']:<16.16}  {name:<40}  "
                     f"{r['sqnr_db']:>7.1f}  {r['rmse_in_steps']:>9.2f}")
    return "\n".join(lines)


# --- internals -------------------------------------------------------------

class _Graph:
    """Op outputs (op index, op name, tensor) in graph order, and per-tensor name,
    shape, dtype and quantization of a .tflite's main subgraph."""

    def __init__(self, tflite):
        graph = read_model(tflite).subgraphs[0]
        self.op_outputs = [(op.index, op.opcode, t) for op in graph.operators for t in op.outputs]
        self.outputs = list(graph.outputs)
        self.name = [t.name for t in graph.tensors]
        self.shape = [t.shape for t in graph.tensors]
        self.dtype = [t.dtype for t in graph.tensors]
        # (scale, zero point) of a quantized tensor (activations are per-tensor), else None
        self.quantization = [(float(t.scale[0]), int(t.zero_point[0])) if len(t.scale) else None
                             for t in graph.tensors]


def _match(flt, qnt):
    """[(op index, op name, quantized tensor, float tensor)] for every quantized op
    output with a float counterpart, in the quantized model's graph order.

    The counterpart has the same name and shape (the converter usually keeps
    names), or, for graph outputs, the float graph output at the same position
    (the last op may be an extra requantize). Tensors left over are matched in
    graph order to the next unclaimed float tensor made by the same kind of op
    with the same shape, after the previous match; ops the quantizer added
    (QUANTIZE between scales) find none and are skipped.
    """
    candidates = [(op, t) for _, op, t in flt.op_outputs if flt.dtype[t] == "float32"]
    by_tensor = {t: k for k, (_, t) in enumerate(candidates)}
    by_name = {}
    for k, (_, t) in enumerate(candidates):
        by_name.setdefault(flt.name[t], k)  # the first, should a name repeat
    anchors = {}
    for q, f in zip(qnt.outputs, flt.outputs):
        if f in by_tensor and qnt.shape[q] == flt.shape[f]:
            anchors[q] = by_tensor[f]
    for _, _, q in qnt.op_outputs:
        k = by_name.get(qnt.name[q])
        if q not in anchors and k is not None and flt.shape[candidates[k][1]] == qnt.shape[q]:
            anchors[q] = k
    claimed = set(anchors.values())
    pairs, last = [], -1
    for index, op, q in qnt.op_outputs:
        if not qnt.quantization[q]:
            continue
        k = anchors.get(q)
        if k is None:
            k = next((i for i in range(last + 1, len(candidates)) if i not in claimed
                      and candidates[i][0] == op and flt.shape[candidates[i][1]] == qnt.shape[q]), None)
            if k is None:
                continue
            claimed.add(k)
        pairs.append((index, op, q, candidates[k][1]))
        last = k
    return pairs


def _sqnr_db(signal, noise):
    if noise == 0:
        return math.inf
    return 10 * math.log10(signal / noise) if signal > 0 else -math.inf


def _interpreter(tf, tflite):
    with warnings.catch_warnings():  # its deprecation notice; TF 2.19 is pinned
        warnings.simplefilter("ignore")
        interp = tf.lite.Interpreter(
            model_content=tflite,
            # every intermediate tensor keeps its values (no buffer reuse), so all can be read after invoke
            experimental_preserve_all_tensors=True,
            # TFLite's own kernels: many times faster than the reference ones; a diagnostic
            # does not need their last bit of float rounding or of integer requantization
            experimental_op_resolver_type=tf.lite.experimental.OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES)
    interp.allocate_tensors()
    return interp
