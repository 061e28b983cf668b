"""Build small TFLite models in tests, straight from the schema (no converter: fast)."""

from dataclasses import dataclass

import flatbuffers
import numpy as np
from tflite_micro.tensorflow.lite.micro.python import schema_py_generated as schema

_TYPES = {"int8": schema.TensorType.INT8, "int16": schema.TensorType.INT16,
          "int32": schema.TensorType.INT32, "int64": schema.TensorType.INT64,
          "float32": schema.TensorType.FLOAT32}


@dataclass
class T:
    """A tensor: shape, type, quantization and, for constants, data."""
    shape: tuple
    dtype: str = "int8"
    scale: object = None        # float or list of floats (per channel)
    zero_point: object = 0
    data: np.ndarray = None
    quantized_dimension: int = 0
    name: str = ""
    shape_signature: tuple = None   # with -1 for dynamic dimensions


def build_model(ops, tensors, inputs, outputs):
    """ops: list of (opcode name, options_type name or None, options object or None,
    input tensor indices, output tensor indices). Returns the flatbuffer bytes."""
    model = schema.ModelT()
    model.version = 3
    model.buffers = [schema.BufferT()]
    sg = schema.SubGraphT()
    sg.tensors = []
    for i, spec in enumerate(tensors):
        t = schema.TensorT()
        t.shape = np.array(spec.shape, dtype=np.int32)
        t.type = _TYPES[spec.dtype]
        t.name = spec.name or f"t{i}"
        t.buffer = 0
        if spec.shape_signature is not None:
            t.shapeSignature = np.array(spec.shape_signature, dtype=np.int32)
        if spec.data is not None:
            buf = schema.BufferT()
            buf.data = np.frombuffer(np.ascontiguousarray(spec.data, dtype=spec.dtype).tobytes(), dtype=np.uint8)
            model.buffers.append(buf)
            t.buffer = len(model.buffers) - 1
        if spec.scale is not None:
            q = schema.QuantizationParametersT()
            q.scale = np.atleast_1d(np.asarray(spec.scale, dtype=np.float32))
            q.zeroPoint = np.atleast_1d(np.asarray(spec.zero_point, dtype=np.int64))
            if q.zeroPoint.size == 1 and q.scale.size > 1:
                q.zeroPoint = np.zeros(q.scale.size, dtype=np.int64)
            q.quantizedDimension = spec.quantized_dimension
            t.quantization = q
        sg.tensors.append(t)
    codes, sg.operators = [], []
    for opcode, options_type, options, op_inputs, op_outputs in ops:
        code = getattr(schema.BuiltinOperator, opcode)
        if code not in codes:
            codes.append(code)
        op = schema.OperatorT()
        op.opcodeIndex = codes.index(code)
        op.inputs = np.array(op_inputs, dtype=np.int32)
        op.outputs = np.array(op_outputs, dtype=np.int32)
        if options_type:
            op.builtinOptionsType = getattr(schema.BuiltinOptions, options_type)
            op.builtinOptions = options
        sg.operators.append(op)
    sg.inputs = np.array(inputs, dtype=np.int32)
    sg.outputs = np.array(outputs, dtype=np.int32)
    model.subgraphs = [sg]
    model.operatorCodes = []
    for code in codes:
        oc = schema.OperatorCodeT()
        oc.builtinCode = code
        oc.deprecatedBuiltinCode = min(code, 127)
        oc.version = 1
        model.operatorCodes.append(oc)
    builder = flatbuffers.Builder(1024)
    builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
    return bytes(builder.Output())


def options(kind, **fields):
    """A builtin options object, e.g. options('Conv2DOptions', padding=0, strideW=1)."""
    obj = getattr(schema, kind + "T")()
    for k, v in fields.items():
        setattr(obj, k, v)
    return obj


def tiny_model(size=8):
    """The smallest useful model: int8 [1, size] -> RELU -> [1, size]. Builds in seconds."""
    return build_model([("RELU", None, None, [0], [1])],
                       [T((1, size), scale=0.1, zero_point=-3, name="x"),
                        T((1, size), scale=0.1, zero_point=-3, name="y")], [0], [1])


def fc_softmax_model():
    """x[1,4] -> FULLY_CONNECTED -> SOFTMAX -> FULLY_CONNECTED -> y[1,3]: three nodes, two operators."""
    w1 = np.arange(16, dtype=np.int8).reshape(4, 4)
    w2 = np.ones((3, 4), dtype=np.int8)
    tensors = [T((1, 4), scale=0.1, name="x"), T((4, 4), scale=0.01, data=w1, name="w1"),
               T((1, 4), scale=0.2, name="h"), T((1, 4), scale=1 / 256, zero_point=-128, name="p"),
               T((3, 4), scale=0.01, data=w2, name="w2"), T((1, 3), scale=0.1, name="y")]
    ops = [("FULLY_CONNECTED", "FullyConnectedOptions", options("FullyConnectedOptions"), [0, 1, -1], [2]),
           ("SOFTMAX", "SoftmaxOptions", options("SoftmaxOptions", beta=1.0), [2], [3]),
           ("FULLY_CONNECTED", "FullyConnectedOptions", options("FullyConnectedOptions"), [3, 4, -1], [5])]
    return build_model(ops, tensors, [0], [5])
