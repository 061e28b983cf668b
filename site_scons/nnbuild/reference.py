"""The reference: TFLite Micro's own interpreter (the `tflite_micro` package)."""

import numpy as np


def reference_outputs(model, inputs):
    """Run each raw quantized input vector through the TFLite Micro interpreter.

    `model` is the .tflite bytes or path; `inputs` an array [N, ...] of the input
    tensor's dtype. Returns the raw output tensors as an array [N, *output_shape].
    """
    from tflite_micro.python.tflite_micro import runtime

    data = model if isinstance(model, (bytes, bytearray)) else open(model, "rb").read()
    interpreter = runtime.Interpreter.from_bytes(bytes(data))
    shape = interpreter.get_input_details(0)["shape"]
    outputs = []
    for x in inputs:
        interpreter.set_input(np.asarray(x).reshape(shape), 0)
        interpreter.invoke()
        outputs.append(interpreter.get_output(0).copy())
    return np.stack(outputs)
