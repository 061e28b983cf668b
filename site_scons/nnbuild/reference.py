"""The reference: TFLite Micro's own interpreter (the `tflite_micro` package)."""

import numpy as np


def _interpreter(model):
    from tflite_micro.python.tflite_micro import runtime

    data = model if isinstance(model, (bytes, bytearray)) else open(model, "rb").read()
    # The package's default arena (10x the model size) is too small for models
    # with big activations and few weights; a host has memory to spare.
    return runtime.Interpreter.from_bytes(bytes(data), arena_size=max(10 * len(data), 16 << 20))


def reference_outputs(model, inputs):
    """Run each raw quantized input vector through the TFLite Micro interpreter.

    `model` is the .tflite bytes or path; `inputs` an array [N, ...] of the input
    tensor's dtype. Returns the raw output tensors as an array [N, *output_shape].
    """
    interpreter = _interpreter(model)
    shape = interpreter.get_input_details(0)["shape"]
    outputs = []
    for x in inputs:
        interpreter.reset()  # vectors are independent, even for stateful models
        interpreter.set_input(np.asarray(x).reshape(shape), 0)
        interpreter.invoke()
        outputs.append(interpreter.get_output(0).copy())
    return np.stack(outputs)


def io_quantization(model):
    """((input scale, zero point, dtype, shape), (output scale, zero point)) of the model."""
    interpreter = _interpreter(model)
    inp, out = interpreter.get_input_details(0), interpreter.get_output_details(0)
    qi, qo = inp["quantization_parameters"], out["quantization_parameters"]
    return ((qi["scales"][0], qi["zero_points"][0], inp["dtype"], list(inp["shape"])),
            (qo["scales"][0], qo["zero_points"][0]))
