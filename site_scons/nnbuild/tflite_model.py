"""Read a TFLite flatbuffer into a small, plain graph the code generators use."""

from dataclasses import dataclass, field

import numpy as np

from nnbuild.errors import UserError

# TFLite Micro's package ships the schema's Python bindings (object API),
# which parse a model without importing TensorFlow.
from tflite_micro.tensorflow.lite.micro.python import schema_py_generated as schema

_OPCODE_NAMES = {v: k for k, v in vars(schema.BuiltinOperator).items() if not k.startswith("_")}
_TYPE_NAMES = {v: k.lower() for k, v in vars(schema.TensorType).items() if not k.startswith("_")}
_NUMPY_TYPES = {
    "int8": np.int8, "uint8": np.uint8, "int16": np.int16, "int32": np.int32,
    "int64": np.int64, "float32": np.float32, "bool": np.bool_,
}


@dataclass
class Tensor:
    index: int
    name: str
    shape: tuple
    dtype: str
    scale: np.ndarray          # float32, one per channel or one per tensor; empty if not quantized
    zero_point: np.ndarray     # int64, likewise
    quantized_dimension: int
    data: np.ndarray = None    # constant contents (weights, biases, shapes), None for activations

    @property
    def nbytes(self):
        return int(np.prod(self.shape, dtype=np.int64)) * np.dtype(_NUMPY_TYPES[self.dtype]).itemsize

    @property
    def is_constant(self):
        return self.data is not None


@dataclass
class Operator:
    index: int
    opcode: str                # builtin name, e.g. "CONV_2D"; "CUSTOM:<name>" for custom ops
    inputs: list               # tensor indices; -1 marks an omitted optional input
    outputs: list
    options: object = None     # the schema's *OptionsT object, or None

    def option(self, name, default=None):
        return getattr(self.options, name, default) if self.options is not None else default


@dataclass
class Graph:
    path: str
    tensors: list
    operators: list
    inputs: list
    outputs: list
    description: str = ""
    metadata: dict = field(default_factory=dict)

    def node_name(self, op):
        """How an operator is named in messages: its index and its output tensor's name."""
        out = self.tensors[op.outputs[0]].name if op.outputs else "?"
        return f"node {op.index} ({op.opcode}, output '{out}')"


def _opcode_name(code):
    # Builtin codes above 127 live in builtinCode; older files use the deprecated byte.
    value = max(code.builtinCode, code.deprecatedBuiltinCode)
    if value == schema.BuiltinOperator.CUSTOM:
        return "CUSTOM:" + (code.customCode.decode() if isinstance(code.customCode, bytes) else str(code.customCode))
    return _OPCODE_NAMES.get(value, f"BUILTIN_{value}")


def _tensor(index, t, buffers, path):
    dtype = _TYPE_NAMES.get(t.type, f"type{t.type}")
    shape = tuple(int(d) for d in (t.shape if t.shape is not None else ()))
    signature = t.shapeSignature
    # A free batch dimension (-1) is fine: the stored shape fixes it (to 1), as TFLM assumes.
    if signature is not None and any(int(d) < 0 for d in signature[1:]):
        raise UserError(
            f"{path}: tensor {index} '{_name(t)}' has a dynamic shape {list(signature)}. "
            "nnbuild compiles models with static shapes only: export the model with fixed "
            "input dimensions (batch 1) and convert it again.")
    q = t.quantization
    scale = np.asarray(q.scale if q is not None and q.scale is not None else [], dtype=np.float32)
    zero_point = np.asarray(q.zeroPoint if q is not None and q.zeroPoint is not None else [], dtype=np.int64)
    data = None
    buf = buffers[t.buffer] if 0 < t.buffer < len(buffers) else None
    if buf is not None and buf.data is not None and len(buf.data) > 0:
        if dtype not in _NUMPY_TYPES:
            raise UserError(f"{path}: constant tensor {index} '{_name(t)}' has type {dtype}, "
                            "which nnbuild cannot read.")
        data = np.frombuffer(bytes(buf.data), dtype=_NUMPY_TYPES[dtype]).reshape(shape)
    return Tensor(index=index, name=_name(t), shape=shape, dtype=dtype, scale=scale,
                  zero_point=zero_point,
                  quantized_dimension=int(q.quantizedDimension) if q is not None else 0,
                  data=data)


def _name(t):
    return t.name.decode() if isinstance(t.name, bytes) else str(t.name)


def load_tflite(path):
    """Parse the .tflite file at `path`; UserError if it is not a usable single-graph model."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        raise UserError(f"{path}: cannot read the model file ({e.strerror}).") from None
    return parse_tflite(data, path)


def parse_tflite(data, path="<model>"):
    if len(data) < 8 or data[4:8] != b"TFL3":
        raise UserError(
            f"{path}: this is not a TFLite flatbuffer (no 'TFL3' identifier). Give a .tflite "
            "file written by the TensorFlow Lite converter, or an .onnx model to quantize.")
    try:
        model = schema.ModelT.InitFromPackedBuf(data, 0)
    except Exception as e:  # a damaged flatbuffer fails anywhere inside the generated parser
        raise UserError(f"{path}: the TFLite flatbuffer is corrupt ({type(e).__name__}: {e}). "
                        "Convert the model again.") from None
    if not model.subgraphs or len(model.subgraphs) != 1:
        raise UserError(f"{path}: the model has {len(model.subgraphs or [])} subgraphs; nnbuild "
                        "compiles models with exactly one (no control flow). Use runtime=tflm.")
    sg = model.subgraphs[0]
    buffers = model.buffers or []
    tensors = [_tensor(i, t, buffers, path) for i, t in enumerate(sg.tensors or [])]
    opcodes = [_opcode_name(c) for c in (model.operatorCodes or [])]
    operators = []
    for i, op in enumerate(sg.operators or []):
        operators.append(Operator(
            index=i, opcode=opcodes[op.opcodeIndex],
            inputs=[int(x) for x in (op.inputs if op.inputs is not None else [])],
            outputs=[int(x) for x in (op.outputs if op.outputs is not None else [])],
            options=op.builtinOptions))
    description = model.description.decode() if isinstance(model.description, bytes) else ""
    return Graph(path=path, tensors=tensors, operators=operators,
                 inputs=[int(x) for x in sg.inputs], outputs=[int(x) for x in sg.outputs],
                 description=description)
