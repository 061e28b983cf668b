"""The reference: TFLite Micro's own interpreter (the `tflite_micro` package)."""

import os
import re
import tempfile

import numpy as np

from nnbuild.errors import UserError
from nnbuild.native_output import native_output_to
from nnbuild.progress import Ticker


class ReferenceRejects(UserError):
    """TFLite Micro's interpreter refuses the model (an op's Prepare failed): the quantized
    graph has something its kernels cannot run, such as a scale they cannot express."""


def _interpreter(model):
    from tflite_micro.python.tflite_micro import runtime

    data = model if isinstance(model, (bytes, bytearray)) else open(model, "rb").read()
    origin = "the quantized model" if isinstance(model, (bytes, bytearray)) else model
    with tempfile.TemporaryDirectory() as tmp:
        log = os.path.join(tmp, "tflm.log")
        try:
            with native_output_to(log):
                # The package's default arena (10x the model size) is too small for models
                # with big activations and few weights; a host has memory to spare.
                return runtime.Interpreter.from_bytes(bytes(data), arena_size=max(10 * len(data), 64 << 20))
        except RuntimeError:
            with open(log, errors="replace") as f:
                said = " ".join(line.strip() for line in f if line.strip())
            raise ReferenceRejects(f"{origin}: TFLite Micro's interpreter rejects it: {said or 'no reason given'}. "
                                   "The quantized graph has an operator or scale its kernels cannot run; "
                                   "the per-layer table of the quantize step shows the tensors involved.") from None


def reference_outputs(model, inputs):
    """Run each raw quantized input vector through the TFLite Micro interpreter.

    `model` is the .tflite bytes or path; `inputs` an array [N, ...] of the input
    tensor's dtype. Returns the raw output tensors as an array [N, *output_shape].
    """
    interpreter = _interpreter(model)
    shape = interpreter.get_input_details(0)["shape"]
    outputs, ticker = [], Ticker("TFLite Micro: vector", len(inputs))
    for x in inputs:
        interpreter.reset()  # vectors are independent, even for stateful models
        interpreter.set_input(np.asarray(x).reshape(shape), 0)
        interpreter.invoke()
        outputs.append(interpreter.get_output(0).copy())
        ticker.tick()
    ticker.done()
    return np.stack(outputs)


def io_quantization(model):
    """((input scale, zero point, dtype, shape), (output scale, zero point)) of the model."""
    interpreter = _interpreter(model)
    inp, out = interpreter.get_input_details(0), interpreter.get_output_details(0)
    qi, qo = inp["quantization_parameters"], out["quantization_parameters"]
    return ((qi["scales"][0], qi["zero_points"][0], inp["dtype"], list(inp["shape"])),
            (qo["scales"][0], qo["zero_points"][0]))


def tflm_arena_bytes(model):
    """What TFLite Micro's arena must hold for the model (arena_used_bytes()): tensors
    (head) plus TFLM's own structures (tail), read from its allocation report."""
    interpreter = _interpreter(model)
    shape = interpreter.get_input_details(0)["shape"]
    interpreter.set_input(np.zeros(shape, interpreter.get_input_details(0)["dtype"]), 0)
    interpreter.invoke()
    with tempfile.TemporaryDirectory() as tmp:
        log = os.path.join(tmp, "allocations.txt")
        with native_output_to(log):
            interpreter.print_allocations()
        with open(log) as f:
            text = f.read()
    match = re.search(r"Arena allocation total (\d+) bytes", text)
    if not match:
        raise RuntimeError(f"TFLite Micro printed no arena total: {text[:300]!r}")
    return int(match.group(1))
