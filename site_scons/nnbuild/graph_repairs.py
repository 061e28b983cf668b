"""Rewrites of what onnx2tf and TFLite's converter produce that a sane quantization or
TFLite Micro cannot take. Each works on a schema.ModelT (the flatbuffer object API of
tflite_model.flatbuffer_object) in place and returns a line per rewrite for the report.

Before quantization (the float model with its calibrated ranges):
- max_pool_padding: onnx2tf pads a padded MaxPool with -3.4e38 (PADV2), and that value
  lands in the pad's range: a scale of 1e36, a model that agrees with float on no input,
  a residual ADD TFLite Micro aborts on. The pad value of a max pool only has to lose
  every comparison: the input's minimum does, and quantizes to the quantized minimum.

After quantization (the integer model):
- relu_0_to_1: the converter fuses min(max(x, 0), 1) (HardSigmoid, hard-swish at opset
  13 and below) into RELU_0_TO_1, which neither TFLite Micro nor aot has. In integers
  it is RELU: its output range is [0, <= 1], so the upper clamp is the type's maximum.
- wide_concatenations: TFLite Micro's CONCATENATION takes at most 10 inputs (a grouped
  ConvTranspose becomes one convolution per group and a concatenation of them all). A
  tree of concatenations computes the same; quantized, all their tensors share the
  output's scale, as a concatenation's inputs do.
"""

import numpy as np

from nnbuild.tflite_model import opcode_name, schema

PAD_SENTINEL = -1e30            # a pad value below this is onnx2tf's stand-in for -infinity
MAX_CONCATENATION_INPUTS = 10   # TFLite Micro's kMaxInputNum


class _Graph:
    """The model's main subgraph with op names and consumers."""

    def __init__(self, model):
        self.model, self.graph = model, model.subgraphs[0]
        self.codes = [opcode_name(c) for c in model.operatorCodes]

    def opcode(self, op):
        return self.codes[op.opcodeIndex]

    def consumers(self, tensor):
        return [op for op in self.graph.operators if tensor in list(op.inputs)]

    def code_index(self, name):
        """The operatorCodes index of builtin `name`, added if the model has none."""
        if name not in self.codes:
            code = schema.OperatorCodeT()
            code.builtinCode = getattr(schema.BuiltinOperator, name)
            code.deprecatedBuiltinCode = min(code.builtinCode, 127)
            code.version = 1
            self.model.operatorCodes.append(code)
            self.codes.append(name)
        return self.codes.index(name)

    def constant(self, tensor):
        """The float32 values of a constant tensor (a view on its buffer), or None."""
        buffer = self.model.buffers[self.graph.tensors[tensor].buffer]
        if buffer.data is None or len(buffer.data) == 0 or self.graph.tensors[tensor].type != 0:  # FLOAT32
            return None
        return np.frombuffer(bytes(bytearray(buffer.data)), dtype=np.float32)

    def set_constant(self, tensor, values):
        buffer = self.model.buffers[self.graph.tensors[tensor].buffer]
        buffer.data = np.frombuffer(np.asarray(values, np.float32).tobytes(), dtype=np.uint8)

    def name(self, tensor):
        name = self.graph.tensors[tensor].name
        return name.decode() if isinstance(name, bytes) else name


def max_pool_padding(model, ranges):
    """Pads before max pools get the input's minimum as their value and its range.
    `ranges` maps tensor index -> (min, max) over the calibration data; updated.
    Returns {name of the pad value tensor: (its new value, what was done)}."""
    g, done = _Graph(model), {}
    for index, op in enumerate(g.graph.operators):
        if g.opcode(op) != "PADV2" or len(op.inputs) < 3:
            continue
        value = g.constant(op.inputs[2])
        consumers = g.consumers(op.outputs[0])
        if value is None or value.size != 1 or value[0] > PAD_SENTINEL or not consumers \
                or any(g.opcode(c) != "MAX_POOL_2D" for c in consumers) or op.inputs[0] not in ranges:
            continue
        low, high = ranges[op.inputs[0]]
        g.set_constant(op.inputs[2], [low])
        ranges[op.outputs[0]] = (low, high)
        done[g.name(op.inputs[2])] = (low, f"op {index} PADV2 '{g.name(op.outputs[0])}' before a max pool: "
                                           f"pad value {value[0]:.3g} -> {low:.6g} (its input's minimum)")
    return done


def relu_0_to_1(model):
    """RELU_0_TO_1 ops of a quantized model become RELU (equal in integers)."""
    g, done = _Graph(model), []
    for index, op in enumerate(g.graph.operators):
        if g.opcode(op) == "RELU_0_TO_1":
            op.opcodeIndex = g.code_index("RELU")
            done.append(f"op {index} RELU_0_TO_1 '{g.name(op.outputs[0])}' -> RELU (its range is [0, 1])")
    return done


def wide_concatenations(model, limit=MAX_CONCATENATION_INPUTS):
    """CONCATENATIONs of more than `limit` inputs become a tree of at most `limit` each."""
    g, done = _Graph(model), []
    operators = []
    for op in g.graph.operators:
        if g.opcode(op) != "CONCATENATION" or len(op.inputs) <= limit:
            operators.append(op)
            continue
        inputs, axis = list(op.inputs), op.builtinOptions.axis
        output = g.graph.tensors[op.outputs[0]]
        rank = len(output.shape)
        count = len(inputs)
        while len(inputs) > limit:  # the fewest partial concatenations, of consecutive inputs
            partials = -(-(len(inputs) - limit) // (limit - 1))
            grouped = []
            for start in range(0, partials * limit, limit):
                group = inputs[start:start + limit]
                part = _concatenation_tensor(g, group, output, axis % rank)
                operators.append(_concatenation_op(g, op, group, part))
                grouped.append(part)
            inputs = grouped + inputs[partials * limit:]
        op.inputs = np.array(inputs, dtype=np.int32)
        operators.append(op)
        done.append(f"CONCATENATION '{g.name(op.outputs[0])}' of {count} inputs -> a tree of at most {limit}")
    g.graph.operators = operators
    return done


def _concatenation_tensor(g, inputs, output, axis):
    """A new tensor for a partial concatenation of `inputs`, quantized like `output`."""
    import copy

    shapes = [list(g.graph.tensors[i].shape) for i in inputs]
    shape = list(shapes[0])
    shape[axis] = sum(s[axis] for s in shapes)
    tensor = copy.deepcopy(output)
    tensor.shape = np.array(shape, dtype=np.int32)
    tensor.shapeSignature = None
    tensor.name = f"{g.name(g.graph.tensors.index(output))}/part{len(g.graph.tensors)}".encode()
    g.graph.tensors.append(tensor)
    return len(g.graph.tensors) - 1


def _concatenation_op(g, like, inputs, output):
    import copy

    op = copy.deepcopy(like)
    op.inputs = np.array(inputs, dtype=np.int32)
    op.outputs = np.array([output], dtype=np.int32)
    op.builtinOptions.fusedActivationFunction = 0  # the activation applies once, at the last
    return op
