"""Mixed int8 / 16x8 models (mixed_precision.splice) compiled by aot and run by the TFLite Micro
interpreter: byte for byte equal, with a requantizing QUANTIZE wherever a tensor changes type.
The int8 and 16x8 twins are built here as the converter makes them: the same ops and tensor
names, int16 activations symmetric, an int64 bias."""

import numpy as np
import pytest

from aot_harness import assert_bit_exact
from nnbuild.mixed_precision import precisions, splice
from nnbuild.tflite_model import parse_tflite
from tflite_builder import T, build_model, options


def _twin(dtype, seed=0):
    """input [1, 8, 8, 4] -> CONV_2D 3x3 (8) -> RELU -> ADD (itself) -> MEAN over H, W -> FULLY_CONNECTED (3),
    int8 or 16x8; the scales are those a calibration would give both."""
    rng = np.random.default_rng(seed)
    sixteen = dtype == "int16"

    def act(shape, scale, zp):
        return T(shape, dtype=dtype, scale=scale * (1 / 256 if sixteen else 1), zero_point=0 if sixteen else zp)

    conv_w = rng.integers(-127, 128, (8, 3, 3, 4)).astype(np.int8)
    fc_w = rng.integers(-127, 128, (3, 8)).astype(np.int8)
    bias = "int64" if sixteen else "int32"
    x = act((1, 8, 8, 4), 0.05, -3)
    c = act((1, 8, 8, 8), 0.2, 10)
    tensors = [
        x, T(conv_w.shape, data=conv_w, scale=0.01),
        T((8,), dtype=bias, data=rng.integers(-300, 300, 8).astype(bias), scale=x.scale * 0.01), c,
        act((1, 8, 8, 8), 0.1, -128), act((1, 8, 8, 8), 0.2, -128), act((1, 8), 0.15, -100),
        T((2,), dtype="int32", data=np.array([1, 2], np.int32)),
        T(fc_w.shape, data=fc_w, scale=0.02), act((1, 3), 0.3, 5),
    ]
    for i, t in enumerate(tensors):
        t.name = f"t{i}"
    ops = [("CONV_2D", "Conv2DOptions", options("Conv2DOptions", padding=0, strideH=1, strideW=1), [0, 1, 2], [3]),
           ("RELU", None, None, [3], [4]),
           ("ADD", "AddOptions", options("AddOptions"), [4, 4], [5]),
           ("MEAN", "ReducerOptions", options("ReducerOptions", keepDims=False), [5, 7], [6]),
           ("FULLY_CONNECTED", "FullyConnectedOptions", options("FullyConnectedOptions"), [6, 8, -1], [9])]
    return build_model(ops, tensors, [0], [9])


@pytest.mark.parametrize("sixteen", [{0}, {1, 2}, {2, 3}, {4}, {0, 1, 2, 3, 4}], ids=str)
def test_a_spliced_model_is_bit_exact_with_tflite_micro(tmp_path, sixteen):
    mixed = splice(_twin("int8"), _twin("int16"), sixteen)
    rows = precisions(mixed)
    assert [op for op, _, _, dtype in rows if dtype == "int16"] == sorted(sixteen)
    graph = parse_tflite(mixed)
    for op in graph.operators:  # every op sees one activation type; QUANTIZE converts
        types = {graph.tensors[i].dtype for i in [*op.inputs, *op.outputs]
                 if i >= 0 and not graph.tensors[i].is_constant}
        assert len(types) == 1 or op.opcode == "QUANTIZE", (op.opcode, types)
    assert {graph.tensors[i].dtype for i in graph.inputs + graph.outputs} == {"int8"}
    # The int8 weights of ops taken in 16 bits are gone with them.
    assert len(mixed) < len(_twin("int8")) + len(_twin("int16"))
    assert_bit_exact(mixed, str(tmp_path), vectors=4)
