"""ONNX model -> full-integer TFLite flatbuffer, and the reference runners that check it.

Flow: onnx2tf (CLI, in a subprocess) turns the ONNX model into a TensorFlow
SavedModel with NHWC layout; tf.lite.TFLiteConverter quantizes that SavedModel
with a representative dataset into a model whose input and output tensors are
int8 (or int16 for 16x8). onnxruntime runs the float model and the tflite-micro
Python interpreter runs the quantized one, so accuracy and the firmware's raw
outputs can be compared against references.

TensorFlow and onnx2tf are imported lazily: they take seconds to import.
"""

import itertools
import math
import os
import re
import shutil
import subprocess
import sys
import warnings
from collections import Counter

import numpy as np

from . import graph_repairs
from .errors import UserError, check_interrupted
from .native_output import native_output_to
from .progress import Timings
from .reference import io_quantization
from .tflite_model import flatbuffer_bytes, flatbuffer_object, read_model

# Why these settings: the firmware API exchanges raw integer tensors, so the
# model boundary must be integer too (inference_input/output_type), and every
# op must have an integer kernel (supported_ops) so nothing falls back to float.
MODES = {
    "int8": ("TFLITE_BUILTINS_INT8", "int8"),
    "int16x8": ("EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8", "int16"),
}

# Set before TensorFlow is first imported (in this process and in onnx2tf's):
# no C++ log spam, and no oneDNN kernels, whose float results vary by CPU and
# would make calibration ranges (hence the .tflite bytes) machine-dependent.
_TF_ENV = {"TF_CPP_MIN_LOG_LEVEL": "3", "TF_ENABLE_ONEDNN_OPTS": "0"}


class ConverterRejects(UserError):
    """TFLite's converter cannot quantize the model in the mode asked (an op without a
    kernel of that type, such as RELU_0_TO_1 in 16x8)."""

def onnx_input_spec(onnx_path):
    """Name, shape, dtype of the ONNX model's single input; a dynamic batch is fixed to 1."""
    model = _load_onnx(onnx_path)
    initializers = {t.name for t in model.graph.initializer}
    inputs = [i for i in model.graph.input if i.name not in initializers]
    if len(inputs) != 1:
        raise UserError(
            f"{onnx_path}: the model has {len(inputs)} inputs "
            f"({', '.join(i.name for i in inputs) or 'none'}), but nnbuild supports "
            "models with exactly one input tensor. Export the model with a single "
            "input (e.g. concatenate features before export).")
    tensor = inputs[0].type.tensor_type
    import onnx

    dims = [d.dim_value if d.HasField("dim_value") and d.dim_value > 0 else None
            for d in tensor.shape.dim]
    dynamic_batch = bool(dims) and dims[0] is None
    if dynamic_batch:
        dims[0] = 1  # firmware runs one sample at a time
    if not dims or None in dims:
        shown = ",".join("?" if d is None else str(d) for d in dims)
        raise UserError(
            f"{onnx_path}: input '{inputs[0].name}' has shape [{shown}] with unknown "
            "dimensions other than the batch, but firmware needs a fixed input shape. "
            "Re-export the model with a fixed shape, or fix it with: python -m "
            "onnxruntime.tools.make_dynamic_shape_fixed --input_name "
            f"{inputs[0].name} --input_shape 1,... {onnx_path} fixed.onnx")
    return {"name": inputs[0].name, "shape": dims,
            "dtype": np.dtype(onnx.helper.tensor_dtype_to_np_dtype(tensor.elem_type)).name,
            "dynamic_batch": dynamic_batch}


def onnx_output_size(onnx_path):
    """Values per sample of the ONNX model's first output (e.g. its classes), or None if unknown."""
    dims = _load_onnx(onnx_path).graph.output[0].type.tensor_type.shape.dim
    sizes = [d.dim_value if d.HasField("dim_value") and d.dim_value > 0 else None for d in dims[1:]]
    return None if None in sizes else math.prod(sizes)


class Conversion:
    """An ONNX model converted once to a float SavedModel (the slow step, onnx2tf),
    ready to be quantized in several modes and compared."""

    def __init__(self, onnx_path, calibration, work_dir, log=None, timings=None):
        self.onnx_path, self.work_dir = onnx_path, work_dir
        self.log = log or (lambda line: None)
        self.timings = timings or Timings()
        self.spec = onnx_input_spec(onnx_path)
        if self.spec["dtype"] != "float32":
            raise UserError(
                f"{onnx_path}: input '{self.spec['name']}' is {self.spec['dtype']}, but quantization "
                "needs a float32 input. Export the model with a float32 input.")
        cal = _as_samples(calibration, self.spec["shape"], f"calibration data for {onnx_path}")
        if not np.isfinite(cal).all():
            raise UserError(f"calibration data for {onnx_path} contains NaN or infinite "
                            "values; quantization ranges would be meaningless. Clean the data.")
        os.makedirs(work_dir, exist_ok=True)
        with self.timings("converting to TensorFlow (onnx2tf)"):
            self.saved_model = _run_onnx2tf(onnx_path, self.spec, work_dir, self.log)
        with self.timings("loading TensorFlow and checking the conversion"), \
                native_output_to(os.path.join(work_dir, "tflite_converter.log")):
            self.tf = _import_tf()
            self.perm, self.output_perm, self.check_diff = _layouts(self.tf, self.saved_model, onnx_path,
                                                                    self.spec, cal[:1])
        self.calibration = cal.transpose(self.perm)

    def quantize(self, mode):
        """The full-integer .tflite bytes for `mode` and their summary (layout, scales, ops)."""
        if mode not in MODES:
            raise UserError(f"quantization mode '{mode}' is unknown; use one of: {', '.join(MODES)}.")
        self.log(f"quantize {os.path.basename(self.onnx_path)}: {mode}, {len(self.calibration)} calibration samples")
        with self.timings(f"quantizing to {mode}"), \
                native_output_to(os.path.join(self.work_dir, "tflite_converter.log")):
            data, repairs = _convert(self.tf, self.saved_model, self.calibration, mode, self.onnx_path)
        info = _summary(data)
        info["repairs"] = repairs
        _check_integer_boundary(info, MODES[mode][1], self.onnx_path)
        info.update(mode=mode, onnx_path=str(self.onnx_path), input_name=self.spec["name"],
                    onnx_input_shape=self.spec["shape"], input_perm=self.perm, output_perm=self.output_perm,
                    calibration_samples=len(self.calibration), float_check_max_abs_diff=self.check_diff)
        return data, info

    def float_tflite(self):
        """The unquantized .tflite of the same SavedModel: the float counterpart of every tensor."""
        with native_output_to(os.path.join(self.work_dir, "tflite_converter.log")):
            return self.tf.lite.TFLiteConverter.from_saved_model(self.saved_model).convert()


def write_tflite(data, tflite_path):
    """Atomic write: a failed or interrupted build never leaves a truncated model."""
    out_dir = os.path.dirname(os.path.abspath(tflite_path))
    os.makedirs(out_dir, exist_ok=True)
    tmp = f"{tflite_path}.{os.getpid()}.tmp"
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, tflite_path)


def quantize_onnx(onnx_path, calibration, tflite_path, work_dir, mode="int8", log=None):
    """Convert an ONNX model to a full-integer .tflite (int8 or 16x8); return its layout and scales.

    calibration: float32 samples in the ONNX input's layout, [N, *shape[1:]] or
    flattened [N, prod(shape[1:])]. work_dir receives onnx2tf's SavedModel and
    the tools' logs (onnx2tf.log, tflite_converter.log). log: optional callable
    taking one progress line (e.g. print); None for silence.
    """
    if mode not in MODES:
        raise UserError(f"quantization mode '{mode}' is unknown; use one of: {', '.join(MODES)}.")
    data, info = Conversion(onnx_path, calibration, work_dir, log).quantize(mode)
    write_tflite(data, tflite_path)
    return info


def to_tflite_layout(x, info):
    """Lay out samples given in the ONNX input layout the way the .tflite input expects."""
    x = _as_samples(x, info["onnx_input_shape"], f"input samples for {info.get('onnx_path', 'the model')}")
    return np.ascontiguousarray(x.transpose(info["input_perm"]))


def to_onnx_layout(outputs, info):
    """Outputs of the .tflite model (one per sample) in the ONNX model's output layout."""
    outputs = np.asarray(outputs).reshape(-1, *info["tflite_output_shape"][1:])
    if info["output_perm"] is None:
        return outputs
    return np.ascontiguousarray(outputs.transpose(info["output_perm"]))


def run_float_onnx(onnx_path, x):
    """Float outputs (the first model output) of the ONNX model for samples x, by onnxruntime."""
    import onnxruntime as ort

    spec = onnx_input_spec(onnx_path)
    x = _as_samples(x, spec["shape"], f"input samples for {onnx_path}").astype(np.float32)
    opts = ort.SessionOptions()
    opts.log_severity_level = 3
    session = ort.InferenceSession(str(onnx_path), opts, providers=["CPUExecutionProvider"])
    # One sample per run, as the firmware does: a "dynamic" batch is often only
    # nominal (e.g. a Reshape to [1, -1] inside), and N is small.
    return np.concatenate([session.run(None, {spec["name"]: s[None]})[0] for s in x])


def quantize_input(x, scale, zero_point, dtype):
    """Quantize floats as TFLite's QUANTIZE op does: round(x / scale) + zero_point, clamped.

    x / scale is computed in float32 (as the C code does) and rounded half away
    from zero (std::round, TfLiteRound), not numpy's half-to-even, so that these
    integers equal what the firmware's *_invoke_f32 produces.
    """
    v = (np.asarray(x, np.float32) / np.float32(scale)).astype(np.float64)
    # Exact in float64 for every float32 v (no 0.49999997 + 0.5 == 1.0 rounding slip).
    q = np.copysign(np.floor(np.abs(v) + 0.5), v) + zero_point
    info = np.iinfo(dtype)
    return np.clip(q, info.min, info.max).astype(dtype)


def dequantize(q, scale, zero_point):
    """Integers back to float32: (q - zero_point) * scale."""
    return (np.asarray(q).astype(np.float32) - np.float32(zero_point)) * np.float32(scale)


def run_quantized(tflite, x, stand_in=None):
    """Run float samples (in .tflite layout) through the quantized model, to judge it.

    TFLite Micro must accept the model (its interpreter prepares every op, or
    ReferenceRejects says which it refuses); the samples then run through TFLite's
    integer kernels, which compute what TFLite Micro's reference kernels compute, up to
    a rounding step here and there, twenty to a hundred times faster. (The firmware is
    verified against TFLite Micro itself.) `stand_in`: the .tflite TFLite's kernels run
    instead, for a model with an op they lack (mixed_precision.tflite_stand_in). Each sample
    is quantized with the input tensor's scale and zero point (quantize_input). Returns (raw,
    dequantized): the output tensor's integers and them as float32.
    """
    if not isinstance(tflite, (bytes, bytearray)):
        with open(tflite, "rb") as f:
            tflite = f.read()
    (in_scale, in_zp, in_dtype, in_shape), (out_scale, out_zp) = io_quantization(tflite)
    x = _as_samples(x, in_shape, "input samples for the .tflite model")
    raw = _integer_outputs(stand_in or tflite, x, lambda sample: quantize_input(sample, in_scale, in_zp, in_dtype))
    return raw, dequantize(raw, out_scale, out_zp)


def _integer_outputs(tflite, samples, quantized):
    """The output tensor of TFLite's interpreter (its builtin kernels, no delegate) per sample,
    each quantized as it goes in (a batch of 224x224 images in float64 would take gigabytes)."""
    tf = _import_tf()
    with warnings.catch_warnings():  # its deprecation notice; TF 2.19 is pinned
        warnings.simplefilter("ignore")
        interp = tf.lite.Interpreter(
            model_content=bytes(tflite),
            experimental_op_resolver_type=tf.lite.experimental.OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES)
    interp.allocate_tensors()
    (inp,), (out,) = interp.get_input_details(), interp.get_output_details()
    outputs = []
    for sample in samples:
        interp.set_tensor(inp["index"], quantized(sample)[None])
        interp.invoke()
        outputs.append(interp.get_tensor(out["index"])[0].copy())
    return np.stack(outputs)


def accuracy(logits, y):
    """Fraction of samples whose arg-max class equals the label."""
    return float(np.mean(np.argmax(logits, axis=-1) == np.asarray(y)))


# --- internals -------------------------------------------------------------

def _load_onnx(onnx_path):
    import onnx

    if not os.path.isfile(onnx_path):
        raise UserError(f"{onnx_path}: model file not found. Check the path, or the "
                        "model folder's model.toml.")
    try:
        model = onnx.load(str(onnx_path))
        onnx.checker.check_model(model)
    except Exception as e:  # protobuf/checker errors: the file is not a usable ONNX model
        reason = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise UserError(f"{onnx_path}: not a valid ONNX model ({reason}). Expected an ONNX "
                        "file as written by torch.onnx.export or tf2onnx; re-export the "
                        "model, and check the file was not truncated or is not a Git LFS "
                        "pointer (git lfs pull).") from None
    if not model.graph.node:
        # protobuf parses many non-ONNX files (e.g. an empty file) as an empty model.
        raise UserError(f"{onnx_path}: not a valid ONNX model (its graph has no nodes). "
                        "Re-export the model, and check the file is the model itself.")
    return model


def _as_samples(x, shape, what):
    """View x as [N, *shape[1:]] float samples; accepts that layout or flattened [N, prod]."""
    x = np.asarray(x)
    sample = [int(d) for d in shape[1:]]
    if x.ndim < 2 or len(x) == 0 or math.prod(x.shape[1:]) != math.prod(sample):
        raise UserError(
            f"{what} has shape {list(x.shape)}, but the model input needs "
            f"N samples of shape {sample} (array [N, {', '.join(map(str, sample))}] "
            f"or flattened [N, {math.prod(sample)}]). Reshape or fix the data.")
    return x.reshape([len(x)] + sample)


def _run_onnx2tf(onnx_path, spec, work_dir, log):
    """onnx2tf in a subprocess: its output, sys.exit calls and global TF state stay out of ours."""
    # onnx2tf runs onnxsim on its input file *in place*: hand it a copy, never the source.
    model_copy = os.path.join(work_dir, "onnx2tf_input.onnx")
    shutil.copyfile(onnx_path, model_copy)
    saved_model = os.path.join(work_dir, "saved_model")
    shutil.rmtree(saved_model, ignore_errors=True)
    if len(spec["shape"]) == 4:
        # For image-like 4-D inputs onnx2tf downloads sample images from GitHub
        # (for its test inference) unless this file is in its working directory.
        # Offline builds must not need the network; seeded noise in [0, 1) keeps
        # the conversion reproducible.
        images = os.path.join(work_dir, "calibration_image_sample_data_20x128x128x3_float32.npy")
        if not os.path.isfile(images):
            with open(f"{images}.tmp", "wb") as f:  # never a truncated file after an interrupt
                np.save(f, np.random.default_rng(0).random((20, 128, 128, 3), np.float32))
            os.replace(f"{images}.tmp", images)
    log_path = os.path.join(work_dir, "onnx2tf.log")
    cmd = [sys.executable, "-m", "nnbuild.onnx2tf_saved_model", "-i", os.path.basename(model_copy),
           "-o", os.path.basename(saved_model)]
    if spec["dynamic_batch"]:
        cmd += ["-b", "1"]
    log(f"onnx2tf {os.path.basename(onnx_path)} -> {saved_model}")
    with open(log_path, "w") as out:
        # cwd=work_dir keeps any stray file onnx2tf writes out of the caller's directory.
        site_scons = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # for nnbuild.onnx2tf_saved_model
        python_path = os.pathsep.join(p for p in (site_scons, os.environ.get("PYTHONPATH")) if p)
        rc = subprocess.run(cmd, cwd=work_dir, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                            env={**os.environ, **_TF_ENV, "PYTHONPATH": python_path}).returncode
    check_interrupted(rc, f"onnx2tf on {onnx_path}")
    if rc != 0 or not os.path.isfile(os.path.join(saved_model, "saved_model.pb")):
        with open(log_path, errors="replace") as f:
            text = re.sub(r"\x1b\[[0-9;]*m", "", f.read())
        errors = [l.strip() for l in text.splitlines() if l.startswith("ERROR:")]
        lines = [l.strip() for l in text.splitlines() if l.strip()]
        reason = errors[-1] if errors else (lines[-1] if lines else f"exit status {rc}")
        raise UserError(
            f"{onnx_path}: onnx2tf could not convert the model to TensorFlow ({reason}). "
            f"The full log is {log_path}. Replace the unsupported op or pattern and "
            "re-export the model (a different opset often helps), or give nnbuild an "
            "already quantized .tflite model instead.")
    return saved_model


def _import_tf():
    for key, value in _TF_ENV.items():
        os.environ.setdefault(key, value)
    import tensorflow as tf

    tf.get_logger().setLevel("ERROR")
    return tf


def _axis_orders(shape, wanted, preferred):
    """The axis orders p (batch first) with [shape[i] for i in p] == wanted, one per distinct
    way of moving data, `preferred` orders first (equivalent orders, differing only in
    size-1 axes, are then reported as onnx2tf made them)."""
    probe = np.arange(math.prod(shape)).reshape(shape)
    found = {}
    for perm in [*preferred, *itertools.permutations(range(len(shape)))]:
        if perm[0] == 0 and [shape[p] for p in perm] == list(wanted):
            found.setdefault(probe.transpose(perm).tobytes(), list(perm))
    return list(found.values())


def _layouts(tf, saved_model, onnx_path, spec, sample):
    """The transposes onnx2tf applied to the input (ONNX layout -> TF layout) and to the
    output (TF layout -> ONNX layout: an NCHW image output comes out NHWC).

    Read from the SavedModel signature's shapes; when several axis orders give those
    shapes and move data differently (e.g. square images), the pair whose output matches
    onnxruntime on a calibration sample wins. That check also catches a wrong conversion.
    Returns (input perm, output perm or None when the ranks differ and only a reshape
    relates them, max abs output difference).
    """
    fn = tf.saved_model.load(saved_model).signatures["serving_default"]
    (name, tensor_spec), = fn.structured_input_signature[1].items()
    tf_shape = [int(d) for d in tensor_spec.shape]
    onnx_shape = spec["shape"]
    rank = len(onnx_shape)
    inputs = _axis_orders(onnx_shape, tf_shape, [(0, *range(2, rank), 1), tuple(range(rank))])
    if not inputs:
        raise UserError(f"{onnx_path}: onnx2tf made an input of shape {tf_shape} that is no "
                        f"axis order of the ONNX input shape {onnx_shape}; nnbuild cannot lay "
                        "out inputs for it. Re-export the model with a plain NCHW/NHWC input.")
    reference = run_float_onnx(onnx_path, sample)
    best = None
    for in_perm in inputs:
        got = next(iter(fn(**{name: tf.constant(sample.transpose(in_perm).astype(np.float32))}).values())).numpy()
        out_rank = got.ndim
        outputs = _axis_orders(got.shape, reference.shape, [tuple(range(out_rank)),
                                                             (0, out_rank - 1, *range(1, out_rank - 1))])
        for out_perm in outputs or [None]:
            moved = got.reshape(reference.shape) if out_perm is None else got.transpose(out_perm)
            diff = float(np.max(np.abs(moved - reference)))
            if best is None or diff < best[2]:
                best = (in_perm, out_perm, diff)
    # Float TF vs float ONNX differ by rounding only (~1e-5); a layout or
    # conversion error shows up as differences of the order of the outputs.
    if best[2] > 1e-2 * max(1.0, float(np.max(np.abs(reference)))):
        raise UserError(
            f"{onnx_path}: the TensorFlow model made by onnx2tf does not compute what the "
            f"ONNX model computes (max output difference {best[2]:.3g} on the first "
            "calibration sample), so quantizing it would be wrong. Re-export the model "
            "(another opset or simpler ops), or give nnbuild an already quantized .tflite model.")
    return best


def _calibrated(tf, saved_model, cal, ops_set, io_type):
    """A converter for the SavedModel, full-integer `ops_set` with `io_type` boundaries,
    calibrating on `cal` one sample per step (onnx2tf's SavedModel has a fixed batch of 1)."""
    def representative_dataset():
        for sample in cal:
            yield [sample[None].astype(np.float32)]

    converter = tf.lite.TFLiteConverter.from_saved_model(saved_model)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.representative_dataset = representative_dataset
    converter.target_spec.supported_ops = [getattr(tf.lite.OpsSet, ops_set)]
    converter.inference_input_type = converter.inference_output_type = getattr(tf, io_type)
    return converter


def _logged_tensors(graph):
    """Activations the calibrator recorded: op outputs and the graph input (not e.g. LSTM
    intermediates), with their (min, max)."""
    produced = set(graph.inputs) | {i for op in graph.operators for i in op.outputs}
    return {i: (graph.tensors[i].quantization.min[0], graph.tensors[i].quantization.max[0]) for i in sorted(produced)
            if graph.tensors[i].quantization is not None and graph.tensors[i].quantization.min is not None}


def _exact_ranges(tf, calibrated, cal, tensors):
    """Each of `tensors`' true (min, max) over cal.

    TF's calibrator logs every op's inputs a second time *after* the op ran
    (for LSTM state). When the TFLite memory planner lets an elementwise op
    (MUL, ADD, LOGISTIC, ...) write its output over an input that has no other
    consumer, that input's range absorbs the output's values
    (tensorflow/tensorflow#127842). In a Conv->SiLU->BatchNorm chain the SiLU
    product x*sigmoid(x) (range ~2) then gets the BatchNorm multiply's range
    (~24), i.e. 12x too coarse a scale in int8. An interpreter that preserves
    all tensors shares no buffers, so its tensors hold the true values. Its
    reference kernels make the float results, hence the ranges and the .tflite
    bytes, independent of the CPU; the samples are shared among the processors
    (min and max do not depend on the order).
    """
    from nnbuild import exact_ranges

    return exact_ranges.tensor_ranges(calibrated, cal, tensors)


def _convert(tf, saved_model, cal, mode, onnx_path):
    """The quantized .tflite bytes and the list of graph repairs made (graph_repairs.py)."""
    ops_set, io_type = MODES[mode]
    repairs = []
    try:
        if mode == "int8":
            # Calibrate (the calibrator's ranges are all measured again: one sample is
            # enough to say which tensors have one), correct the ranges, then the same MLIR
            # quantizer call converter.convert() makes (lite.py, TFLiteConverterBase._quantize).
            from tensorflow.lite.python import convert as tfl_convert

            converter = _calibrated(tf, saved_model, cal[:1], ops_set, io_type)
            converter._experimental_calibrate_only = True
            calibrated = converter.convert()
            model = flatbuffer_object(calibrated)
            graph = model.subgraphs[0]
            ranges = _exact_ranges(tf, calibrated, cal, list(_logged_tensors(graph)))
            repairs += [line for _, line in graph_repairs.max_pool_padding(model, ranges).values()]
            for i, (low, high) in ranges.items():
                graph.tensors[i].quantization.min = [low]
                graph.tensors[i].quantization.max = [high]
            data = tfl_convert.mlir_quantize(flatbuffer_bytes(model, len(calibrated)), input_data_type=tf.int8,
                                             output_data_type=tf.int8)
        else:
            # 16x8 goes through the old quantizer (the MLIR one has no 16x8 MUL-by-constant);
            # the same range bug costs it nothing measurable (16 bits of headroom).
            converter = _calibrated(tf, saved_model, cal, ops_set, io_type)
            pads = _max_pool_pad_values(tf, saved_model, cal, ops_set, repairs)
            if pads:
                quantize_float_model = converter._quantize

                def quantize_repaired(result, *args):  # the pads' values set before it calibrates
                    model = flatbuffer_object(result)
                    _set_pad_values(model, pads)
                    return quantize_float_model(flatbuffer_bytes(model, len(result)), *args)

                converter._quantize = quantize_repaired
            data = converter.convert()
    except Exception as e:
        lines = [l for l in str(e).splitlines() if "error" in l.lower()] or str(e).splitlines() or [type(e).__name__]
        raise ConverterRejects(
            f"{onnx_path}: the TFLite converter could not quantize the model to {mode} "
            f"({lines[0].strip()}). Some op has no {mode} kernel; replace it in the model, "
            f"{'try mode int16x8, ' if mode == 'int8' else ''}or give nnbuild an already "
            "quantized .tflite model.") from None
    model = flatbuffer_object(data)
    after = graph_repairs.relu_0_to_1(model) + graph_repairs.wide_concatenations(model)
    return (flatbuffer_bytes(model, len(data)) if after else bytes(data)), repairs + after


def _max_pool_pad_values(tf, saved_model, cal, ops_set, repairs):
    """{pad value tensor name: value} for the pads before max pools (graph_repairs), from a
    calibration of the float model; {} when there are none."""
    converter = _calibrated(tf, saved_model, cal, ops_set, "float32")  # int16 boundaries: after calibration
    converter._experimental_calibrate_only = True
    model = flatbuffer_object(converter.convert())
    graph = model.subgraphs[0]
    found = graph_repairs.max_pool_padding(model, _logged_tensors(graph))
    repairs += [line for _, line in found.values()]
    return {name: value for name, (value, _) in found.items()}


def _set_pad_values(model, pads):
    graph = model.subgraphs[0]
    for tensor in graph.tensors:
        name = tensor.name.decode() if isinstance(tensor.name, bytes) else tensor.name
        if name in pads:
            model.buffers[tensor.buffer].data = np.frombuffer(np.float32(pads[name]).tobytes(), dtype=np.uint8)


def _summary(data):
    """Ops, boundary tensor types, shapes and quantization of a .tflite flatbuffer."""
    graph = read_model(data).subgraphs[0]
    ops = [op.opcode for op in graph.operators]

    def tensor(index):
        t = graph.tensors[index]
        return {"shape": list(t.shape), "dtype": t.dtype,
                "scale": float(t.scale[0]) if len(t.scale) else None,
                "zero_point": int(t.zero_point[0]) if len(t.zero_point) else None}

    inp, out = tensor(graph.inputs[0]), tensor(graph.outputs[0])
    ends = {op.opcode for op in graph.operators if graph.inputs[0] in op.inputs or graph.outputs[0] in op.outputs}
    return {"ops": dict(sorted(Counter(ops).items())), "boundary_ops": ends,
            "tflite_input_shape": inp["shape"], "tflite_output_shape": out["shape"],
            "input_dtype": inp["dtype"], "output_dtype": out["dtype"],
            "input_scale": inp["scale"], "input_zero_point": inp["zero_point"],
            "output_scale": out["scale"], "output_zero_point": out["zero_point"]}


def _check_integer_boundary(info, io_type, onnx_path):
    bad = {"QUANTIZE", "DEQUANTIZE"} & info.pop("boundary_ops")
    if info["input_dtype"] != io_type or info["output_dtype"] != io_type or bad:
        raise UserError(
            f"{onnx_path}: the quantized model has {info['input_dtype']} input and "
            f"{info['output_dtype']} output{' and ' + '/'.join(sorted(bad)) + ' at its ends' if bad else ''}, "
            f"but firmware needs {io_type} tensors straight in and out. Check the model's "
            "first and last ops (the converter may keep a float or requantizing op there).")
