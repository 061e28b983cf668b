"""The one TFLite reader (nnbuild.tflite_model): every subgraph read into plain structures,
aot's single-subgraph view of it, and its errors."""

import numpy as np
import pytest

from nnbuild.errors import UserError
from nnbuild.tflite_model import (flatbuffer_bytes, flatbuffer_object, main_graph, opcode_name, parse_tflite,
                                  read_model, schema)
from tflite_builder import T, build_model, tiny_model


def _conv_model():
    weights = np.arange(-4, 4, dtype=np.int8).reshape(2, 1, 1, 4)
    return build_model([("CONV_2D", "Conv2DOptions", None, [0, 1, -1], [2])],
                       [T((1, 3, 3, 4), scale=0.5, zero_point=-1, name="x"),
                        T((2, 1, 1, 4), scale=[0.25, 0.125], data=weights, quantized_dimension=0, name="w"),
                        T((1, 3, 3, 2), scale=0.75, zero_point=2, name="y")], [0], [2])


def _with(data, edit):
    model = flatbuffer_object(data)
    edit(model)
    return flatbuffer_bytes(model, len(data))


def _two_subgraphs(model):
    """A second subgraph, a copy of the first with its tensors renamed."""
    second = flatbuffer_object(flatbuffer_bytes(model)).subgraphs[0]
    for t in second.tensors:
        t.name = b"inner_" + t.name
    model.subgraphs.append(second)


def test_tensors_and_operators_are_read():
    model = read_model(_conv_model(), "conv.tflite")
    (graph,) = model.subgraphs
    assert graph.path == "conv.tflite" and graph.inputs == [0] and graph.outputs == [2]
    (op,) = graph.operators
    assert op.opcode == "CONV_2D" and op.inputs == [0, 1, -1] and op.outputs == [2]
    x, w, y = graph.tensors
    assert (x.name, x.shape, x.dtype, x.data) == ("x", (1, 3, 3, 4), "int8", None)
    assert x.scale.tolist() == [0.5] and x.zero_point.tolist() == [-1] and not x.is_constant
    assert w.is_constant and w.data.dtype == np.int8 and w.data.shape == (2, 1, 1, 4)
    assert w.data.reshape(-1).tolist() == list(range(-4, 4)) and w.nbytes == 8
    assert w.scale.tolist() == [0.25, 0.125] and w.quantized_dimension == 0
    assert model.buffers[w.buffer] == w.data.tobytes()
    assert graph.node_name(op) == "node 0 (CONV_2D, output 'y')"


def test_every_subgraph_is_read_and_named_in_messages():
    model = read_model(_with(tiny_model(), _two_subgraphs), "two.tflite")
    main, inner = model.subgraphs
    assert (main.index, inner.index) == (0, 1)
    assert [t.name for t in inner.tensors] == ["inner_x", "inner_y"]
    assert main.node_name(main.operators[0]) == "node 0 (RELU, output 'y')"
    assert inner.node_name(inner.operators[0]) == "subgraph 1 node 0 (RELU, output 'inner_y')"


def test_the_aot_view_takes_exactly_one_subgraph():
    with pytest.raises(UserError) as e:
        parse_tflite(_with(tiny_model(), _two_subgraphs), "two.tflite")
    assert str(e.value) == ("two.tflite: the model has 2 subgraphs; nnbuild compiles models with exactly one "
                            "(no control flow). Use runtime=tflm.")


def test_description_and_metadata():
    def describe(model):
        model.description = b"made by a test"
        model.buffers.append(schema.BufferT())
        model.buffers[-1].data = np.frombuffer(b"1.14.0\0", dtype=np.uint8)
        entry = schema.MetadataT()
        entry.name, entry.buffer = b"min_runtime_version", len(model.buffers) - 1
        model.metadata = [entry]

    model = read_model(_with(tiny_model(), describe))
    assert model.description == "made by a test"
    assert model.metadata == {"min_runtime_version": b"1.14.0\0"}


def test_opcode_and_type_names():
    code = schema.OperatorCodeT()
    code.builtinCode = code.deprecatedBuiltinCode = schema.BuiltinOperator.CUSTOM
    code.customCode = b"TFLite_Detection_PostProcess"
    assert opcode_name(code) == "CUSTOM:TFLite_Detection_PostProcess"
    code = schema.OperatorCodeT()
    code.builtinCode, code.deprecatedBuiltinCode = schema.BuiltinOperator.BROADCAST_TO, 127
    assert opcode_name(code) == "BROADCAST_TO"  # above 127: builtinCode, not the deprecated byte


def test_a_dynamic_shape_is_read_and_refused_by_aot():
    data = build_model([("RELU", None, None, [0], [1])],
                       [T((1, 4), scale=0.1, shape_signature=(1, -1), name="x"),
                        T((1, 4), scale=0.1, shape_signature=(1, -1))], [0], [1])
    assert read_model(data).subgraphs[0].tensors[0].shape_signature == (1, -1)
    with pytest.raises(UserError, match=r"^m.tflite: tensor 0 'x' has a dynamic shape \[1, -1\]"):
        parse_tflite(data, "m.tflite")


def test_a_constant_of_a_type_aot_cannot_read():
    def as_float16(model):
        model.subgraphs[0].tensors[1].type = schema.TensorType.FLOAT16

    model = read_model(_with(_conv_model(), as_float16), "f16.tflite")
    assert model.subgraphs[0].tensors[1].dtype == "float16" and model.subgraphs[0].tensors[1].data is None
    with pytest.raises(UserError) as e:
        main_graph(model)
    assert str(e.value) == "f16.tflite: constant tensor 1 'w' has type float16, which nnbuild cannot read."


def test_not_a_tflite_file_and_a_corrupt_one():
    with pytest.raises(UserError) as e:
        read_model(b"this is not a model\n", "text.tflite")
    assert str(e.value) == ("text.tflite: this is not a TFLite flatbuffer (no 'TFL3' identifier). Give a .tflite "
                            "file written by the TensorFlow Lite converter, or an .onnx model to quantize.")
    data = b"\x18\x00\x00\x00TFL3" + np.random.default_rng(0).integers(0, 256, 300, np.uint8).tobytes()
    with pytest.raises(UserError, match=r"^bad.tflite: the TFLite flatbuffer is corrupt \(.*\)\. Convert the model "
                                        r"again\.$"):
        read_model(data, "bad.tflite")


def test_the_object_api_writes_back_what_it_read():
    data = _conv_model()
    assert flatbuffer_bytes(flatbuffer_object(data)) == data
