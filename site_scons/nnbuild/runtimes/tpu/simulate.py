"""Run a .cvimodel on TPU-MLIR's simulator through its Python runtime (pyruntime_cvi).

Runs in TPU-MLIR's Python 3.10 venv (toolkit.environment), not in the build's Python:

    simulate.py MODEL.cvimodel INFO.json [INPUTS.npy OUTPUTS.npy]

writes the model's inputs and outputs (name, type, shape, quantization scale) to INFO.json,
and with INPUTS.npy (raw vectors in the model's input type) each vector's raw outputs.
"""

import json
import sys

import numpy as np
import pyruntime_cvi


def describe(tensor):
    data = tensor.data
    return {"name": tensor.name, "dtype": data.dtype.name, "shape": list(data.shape),
            "qscale": float(tensor.qscale), "zero_point": int(getattr(tensor, "qzero_point", 0))}


def main(model_path, info_path, inputs_path=None, outputs_path=None):
    model = pyruntime_cvi.Model(model_path, output_all_tensors=False)
    with open(info_path, "w") as f:
        json.dump({"inputs": [describe(t) for t in model.inputs],
                   "outputs": [describe(t) for t in model.outputs]}, f, indent=2)
    if inputs_path:
        vectors = np.load(inputs_path)
        source, result = model.inputs[0].data, model.outputs[0].data
        outputs = []
        for vector in vectors:
            source[...] = vector.reshape(source.shape)
            model.forward()
            outputs.append(result.copy().reshape(-1))
        np.save(outputs_path, np.array(outputs))


if __name__ == "__main__":
    main(*sys.argv[1:])
