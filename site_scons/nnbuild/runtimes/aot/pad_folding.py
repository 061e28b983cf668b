"""PAD folded into the convolution that reads it: onnx2tf writes a PyTorch convolution's explicit
(or asymmetric, stride-2) padding as PAD then a VALID CONV_2D or DEPTHWISE_CONV_2D. The kernels
already treat taps outside the image as padding, so the convolution can read PAD's input with
PAD's padding as its own (Operator.padding): the padded copy, the largest tensor of many an
early layer, is never made, and the same integers come out."""

import dataclasses

import numpy as np

VALID = 1  # schema.Padding.VALID
CONVOLUTIONS = ("CONV_2D", "DEPTHWISE_CONV_2D")


def _paddings(graph, op):
    """PAD's (top, bottom, left, right) if it pads only height and width of an NHWC tensor, else None."""
    paddings = graph.tensors[op.inputs[1]]
    if not paddings.is_constant or paddings.data.shape != (4, 2):
        return None
    (n0, n1), (top, bottom), (left, right), (c0, c1) = paddings.data.astype(np.int64).tolist()
    if (n0, n1, c0, c1) != (0, 0, 0, 0) or min(top, bottom, left, right) < 0:
        return None
    return top, bottom, left, right


def _pads_with_zero_point(graph, op, x, y):
    """Whether PAD's output is its input's values and quantization, padded with the zero point
    (the value the convolution's padding stands for)."""
    if x.dtype != y.dtype or not np.array_equal(x.scale, y.scale) or not np.array_equal(x.zero_point, y.zero_point):
        return False
    zero_point = int(y.zero_point[0]) if y.zero_point.size else 0
    if op.opcode == "PAD":  # TFLite Micro pads int8 with the zero point, int16 with 0
        return x.dtype == "int8" or zero_point == 0
    value = graph.tensors[op.inputs[2]] if len(op.inputs) > 2 and op.inputs[2] >= 0 else None
    return value is not None and value.is_constant and value.data.size == 1 and int(value.data.reshape(-1)[0]) == zero_point


def fold_pads(graph):
    """The graph with each foldable PAD's reader taking its input and padding, and without the
    PAD; returns (graph, indices of the PAD operators folded)."""
    readers = {}
    for op in graph.operators:
        for position, i in enumerate(op.inputs):
            readers.setdefault(i, []).append((op, position))
    operators, folded = list(graph.operators), set()
    for op in graph.operators:
        if op.opcode not in ("PAD", "PADV2"):
            continue
        x, y = graph.tensors[op.inputs[0]], graph.tensors[op.outputs[0]]
        padding = _paddings(graph, op) if len(x.shape) == 4 else None
        if padding is None or y.index in graph.outputs or len(readers.get(y.index, [])) != 1:
            continue
        conv, position = readers[y.index][0]
        if conv.opcode not in CONVOLUTIONS or position != 0 or conv.option("padding") != VALID or conv.padding:
            continue
        if not _pads_with_zero_point(graph, op, x, y):
            continue
        operators[conv.index] = dataclasses.replace(conv, inputs=[x.index, *conv.inputs[1:]], padding=padding)
        folded.add(op.index)
    return dataclasses.replace(graph, operators=[op for op in operators if op.index not in folded]), folded
