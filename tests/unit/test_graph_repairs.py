"""Graph repairs (graph_repairs.py) on small models: each rewritten model runs in TFLite
Micro and computes what the original computes (in TFLite, which runs it)."""

import warnings

import numpy as np
import pytest
from nnbuild import graph_repairs
from nnbuild.reference import ReferenceRejects, reference_outputs
from nnbuild.tflite_model import flatbuffer_bytes, flatbuffer_object
from tflite_builder import T, build_model, options


def _repaired(data, repair):
    model = flatbuffer_object(data)
    lines = repair(model)
    return flatbuffer_bytes(model, len(data)), lines


def _tflite_outputs(data, inputs):
    import tensorflow as tf

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        interp = tf.lite.Interpreter(model_content=data)
    interp.allocate_tensors()
    (inp,), (out,) = interp.get_input_details(), interp.get_output_details()
    results = []
    for x in inputs:
        interp.set_tensor(inp["index"], x[None])
        interp.invoke()
        results.append(interp.get_tensor(out["index"])[0].copy())
    return np.stack(results)


@pytest.mark.parametrize("dtype, scale, zero_point", [("int8", 1 / 255, -128), ("int8", 0.9 / 255, -128),
                                                      ("int16", 1 / 32767, 0)])
def test_relu_0_to_1_runs_as_relu(dtype, scale, zero_point):
    """Against TFLite's RELU_0_TO_1 (int8), or for int16, which TFLite does not run, against
    min(max(x, 0), 1) in float, within the one step of rounding of a requantization."""
    data = build_model([("RELU_0_TO_1", None, None, [0], [1])],
                       [T((1, 64), dtype=dtype, scale=0.02, zero_point=zero_point // 8),
                        T((1, 64), dtype=dtype, scale=scale, zero_point=zero_point)], [0], [1])
    info = np.iinfo(dtype)
    inputs = np.random.default_rng(0).integers(info.min, info.max + 1, (8, 64)).astype(dtype)
    with pytest.raises(ReferenceRejects):
        reference_outputs(data, inputs[:, None])
    repaired, lines = _repaired(data, graph_repairs.relu_0_to_1)
    assert lines == ["op 0 RELU_0_TO_1 't1' -> RELU (its range is [0, 1])"]
    got = reference_outputs(repaired, inputs[:, None])[:, 0]
    if dtype == "int8":
        np.testing.assert_array_equal(got, _tflite_outputs(data, inputs))
    else:
        real = np.clip((inputs.astype(np.float64) - zero_point // 8) * 0.02, 0, 1)
        expected = np.clip(np.round(real / scale) + zero_point, info.min, info.max)
        assert np.max(np.abs(got - expected)) <= 1


def test_a_wide_concatenation_becomes_a_tree():
    parts = 23
    tensors = [T((1, 2, 3), scale=0.05, zero_point=4, name=f"x{i}") for i in range(parts)]
    tensors.append(T((1, 2, 3 * parts), scale=0.05, zero_point=4, name="y"))
    ops = [("CONCATENATION", "ConcatenationOptions", options("ConcatenationOptions", axis=-1),
            list(range(parts)), [parts])]
    data = build_model(ops, tensors, list(range(parts)), [parts])
    repaired, lines = _repaired(data, graph_repairs.wide_concatenations)
    assert lines == [f"CONCATENATION 'y' of {parts} inputs -> a tree of at most 10"]
    model = flatbuffer_object(repaired)
    assert [len(op.inputs) for op in model.subgraphs[0].operators] == [10, 10, 5]
    # TFLite Micro runs it (a model of 23 inputs cannot be fed through the one-input API:
    # check the graph instead): every partial result has the output's quantization.
    graph = model.subgraphs[0]
    for op in graph.operators:
        out = graph.tensors[op.outputs[0]]
        assert list(out.quantization.scale) == [pytest.approx(0.05)] and list(out.quantization.zeroPoint) == [4]
    widths = [sum(graph.tensors[i].shape[-1] for i in op.inputs) for op in graph.operators]
    assert [graph.tensors[op.outputs[0]].shape[-1] for op in graph.operators] == widths


def test_pad_before_max_pool_takes_the_inputs_minimum():
    pad_value = np.array([-3.4e38], np.float32)
    tensors = [T((1, 4, 4, 2), dtype="float32"),
               T((4, 2), dtype="int32", data=np.array([[0, 0], [1, 1], [1, 1], [0, 0]], np.int32)),
               T((1,), dtype="float32", data=pad_value, name="pad_value"),
               T((1, 6, 6, 2), dtype="float32", name="padded"),
               T((1, 3, 3, 2), dtype="float32", name="pooled")]
    pool = options("Pool2DOptions", padding=1, strideW=2, strideH=2, filterWidth=3, filterHeight=3)
    data = build_model([("PADV2", None, None, [0, 1, 2], [3]), ("MAX_POOL_2D", "Pool2DOptions", pool, [3], [4])],
                       tensors, [0], [4])
    model = flatbuffer_object(data)
    ranges = {0: (-1.5, 2.0), 3: (-3.4e38, 2.0), 4: (-1.0, 2.0)}
    done = graph_repairs.max_pool_padding(model, ranges)
    assert ranges[3] == (-1.5, 2.0)
    value, line = done["pad_value"]
    assert value == -1.5 and "pad value -3.4e+38 -> -1.5" in line
    buffer = model.buffers[model.subgraphs[0].tensors[2].buffer]
    assert np.frombuffer(bytes(bytearray(buffer.data)), np.float32).tolist() == [-1.5]
