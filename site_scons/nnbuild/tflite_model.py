"""The one reader of TFLite flatbuffers: a .tflite's bytes parsed once into plain structures.

read_model(data, path) gives a TFLiteModel: every subgraph as a Graph of Tensors and
Operators, the model's description, metadata and buffers. load_tflite and parse_tflite
give the one subgraph the aot code generator compiles, checked by main_graph.
flatbuffer_object and flatbuffer_bytes are the schema's object API for the code that
edits a model and writes it back (quantize.py, graph_repairs.py): `schema` is its module.
"""

from dataclasses import dataclass, field

import numpy as np

from nnbuild.errors import UserError

# TFLite Micro's package ships the schema's Python bindings (object API), which parse a
# model without importing TensorFlow. Its schema is newer than TensorFlow's own (tables,
# fields and types added, none changed), so it reads what TensorFlow's converter writes,
# and writes it back byte for byte.
from tflite_micro.tensorflow.lite.micro.python import schema_py_generated as schema

IDENTIFIER = b"TFL3"  # the file identifier of a TFLite flatbuffer, bytes 4 to 8
OPCODE_NAMES = {v: k for k, v in vars(schema.BuiltinOperator).items() if not k.startswith("_")}
TENSOR_TYPE_NAMES = {v: k.lower() for k, v in vars(schema.TensorType).items() if not k.startswith("_")}
NUMPY_TYPES = {
    "int8": np.int8, "uint8": np.uint8, "int16": np.int16, "int32": np.int32,
    "int64": np.int64, "float32": np.float32, "bool": np.bool_,
}


@dataclass
class Tensor:
    index: int
    name: str
    shape: tuple
    dtype: str                 # TENSOR_TYPE_NAMES' name, e.g. "int8"; "type<n>" for a type unknown here
    scale: np.ndarray          # float32, one per channel or one per tensor; empty if not quantized
    zero_point: np.ndarray     # int64, likewise
    quantized_dimension: int
    data: np.ndarray = None    # constant contents (weights, biases, shapes), None for activations
    shape_signature: tuple = None  # the shape with -1 for each free dimension, if the model says
    buffer: int = 0            # the model's buffer holding the contents; 0 is the empty buffer

    @property
    def nbytes(self):
        return int(np.prod(self.shape, dtype=np.int64)) * np.dtype(NUMPY_TYPES[self.dtype]).itemsize

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
    padding: tuple = None      # a convolution's (top, bottom, left, right) padding, given by a PAD the
                               # aot code generator folded into it (its `padding` option is then VALID)

    def option(self, name, default=None):
        return getattr(self.options, name, default) if self.options is not None else default


@dataclass
class Graph:
    """One subgraph: `index` 0 is the main one, which the model runs."""
    path: str
    tensors: list
    operators: list
    inputs: list
    outputs: list
    index: int = 0

    def node_name(self, op):
        """How an operator is named in messages: its index and its output tensor's name."""
        out = self.tensors[op.outputs[0]].name if op.outputs else "?"
        where = f"node {op.index}" if self.index == 0 else f"subgraph {self.index} node {op.index}"
        return f"{where} ({op.opcode}, output '{out}')"


@dataclass
class TFLiteModel:
    path: str
    subgraphs: list            # [Graph], the main one first
    buffers: list              # [bytes] by buffer index; b"" for an empty buffer
    description: str = ""
    metadata: dict = field(default_factory=dict)  # {name: bytes}


def opcode_name(code):
    """The name of the schema's OperatorCode: "CONV_2D", "CUSTOM:<name>", "BUILTIN_<n>"."""
    # Builtin codes above 127 live in builtinCode; older files use the deprecated byte.
    value = max(code.builtinCode, code.deprecatedBuiltinCode)
    if value == schema.BuiltinOperator.CUSTOM:
        return "CUSTOM:" + _text(code.customCode)
    return OPCODE_NAMES.get(value, f"BUILTIN_{value}")


def _text(value):
    return value.decode() if isinstance(value, bytes) else str(value)


def _ints(values):
    return [int(x) for x in (values if values is not None else [])]


def _tensor(index, t, buffers):
    dtype = TENSOR_TYPE_NAMES.get(t.type, f"type{t.type}")
    shape = tuple(int(d) for d in (t.shape if t.shape is not None else ()))
    q = t.quantization
    contents = buffers[t.buffer] if 0 < t.buffer < len(buffers) else b""
    data = None
    if contents and dtype in NUMPY_TYPES and \
            len(contents) == int(np.prod(shape, dtype=np.int64)) * np.dtype(NUMPY_TYPES[dtype]).itemsize:
        data = np.frombuffer(contents, dtype=NUMPY_TYPES[dtype]).reshape(shape)
    return Tensor(index=index, name=_text(t.name), shape=shape, dtype=dtype,
                  scale=np.asarray(q.scale if q is not None and q.scale is not None else [], dtype=np.float32),
                  zero_point=np.asarray(q.zeroPoint if q is not None and q.zeroPoint is not None else [],
                                        dtype=np.int64),
                  quantized_dimension=int(q.quantizedDimension) if q is not None else 0,
                  data=data, buffer=int(t.buffer),
                  shape_signature=tuple(int(d) for d in t.shapeSignature) if t.shapeSignature is not None else None)


def _graph(index, sg, opcodes, buffers, path):
    operators = [Operator(index=i, opcode=opcodes[op.opcodeIndex], inputs=_ints(op.inputs),
                          outputs=_ints(op.outputs), options=op.builtinOptions)
                 for i, op in enumerate(sg.operators or [])]
    return Graph(path=path, tensors=[_tensor(i, t, buffers) for i, t in enumerate(sg.tensors or [])],
                 operators=operators, inputs=_ints(sg.inputs), outputs=_ints(sg.outputs), index=index)


def _unpacked(data, path):
    """The schema's ModelT of `data`; UserError if it is no TFLite flatbuffer."""
    if len(data) < 8 or data[4:8] != IDENTIFIER:
        raise UserError(
            f"{path}: this is not a TFLite flatbuffer (no 'TFL3' identifier). Give a .tflite "
            "file written by the TensorFlow Lite converter, or an .onnx model to quantize.")
    try:
        return schema.ModelT.InitFromPackedBuf(data, 0)
    except Exception as e:  # a damaged flatbuffer fails anywhere inside the generated parser
        raise _corrupt(path, e) from None


def _corrupt(path, e):
    return UserError(f"{path}: the TFLite flatbuffer is corrupt ({type(e).__name__}: {e}). "
                     "Convert the model again.")


def read_model(data, path="<model>"):
    """Parse .tflite bytes; UserError naming `path` if they are no TFLite flatbuffer or a damaged one."""
    model = _unpacked(data, path)
    try:
        buffers = [bytes(b.data) if b.data is not None else b"" for b in (model.buffers or [])]
        opcodes = [opcode_name(c) for c in (model.operatorCodes or [])]
        return TFLiteModel(
            path=path, buffers=buffers,
            subgraphs=[_graph(i, sg, opcodes, buffers, path) for i, sg in enumerate(model.subgraphs or [])],
            description=model.description.decode() if isinstance(model.description, bytes) else "",
            metadata={_text(m.name): buffers[m.buffer] for m in (model.metadata or [])})
    except Exception as e:  # indices out of range, and the like
        raise _corrupt(path, e) from None


def main_graph(model):
    """The model's one subgraph, with static shapes and constants nnbuild reads (what aot
    compiles); UserError if it is not such a model."""
    path = model.path
    if len(model.subgraphs) != 1:
        raise UserError(f"{path}: the model has {len(model.subgraphs)} subgraphs; nnbuild "
                        "compiles models with exactly one (no control flow). Use runtime=tflm.")
    graph = model.subgraphs[0]
    for t in graph.tensors:
        # A free batch dimension (-1) is fine: the stored shape fixes it (to 1), as TFLM assumes.
        if t.shape_signature is not None and any(d < 0 for d in t.shape_signature[1:]):
            raise UserError(
                f"{path}: tensor {t.index} '{t.name}' has a dynamic shape {list(t.shape_signature)}. "
                "nnbuild compiles models with static shapes only: export the model with fixed "
                "input dimensions (batch 1) and convert it again.")
        contents = model.buffers[t.buffer] if 0 < t.buffer < len(model.buffers) else b""
        if contents and t.data is None:
            if t.dtype not in NUMPY_TYPES:
                raise UserError(f"{path}: constant tensor {t.index} '{t.name}' has type {t.dtype}, "
                                "which nnbuild cannot read.")
            raise UserError(f"{path}: constant tensor {t.index} '{t.name}' holds {len(contents)} bytes, "
                            f"not the {t.nbytes} of its shape {list(t.shape)} (a sparse tensor?), "
                            "which nnbuild cannot read.")
    return graph


def load_tflite(path):
    """Parse the .tflite file at `path`; UserError if it is not a usable single-graph model."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        raise UserError(f"{path}: cannot read the model file ({e.strerror}).") from None
    return parse_tflite(data, path)


def parse_tflite(data, path="<model>"):
    """The main_graph of .tflite bytes."""
    return main_graph(read_model(data, path))


def flatbuffer_object(data, path="<model>"):
    """The schema's object API ModelT of .tflite bytes, to edit and write back with flatbuffer_bytes."""
    return _unpacked(data, path)


def flatbuffer_bytes(model, size_hint=0):
    """A schema ModelT written as a .tflite flatbuffer."""
    import flatbuffers

    builder = flatbuffers.Builder(size_hint + 4096)
    builder.Finish(model.Pack(builder), file_identifier=IDENTIFIER)
    return bytes(builder.Output())
