"""Row-streamed stages (option patch): a chain of convolutions computed one output row at a time
(kernels/row_stage.c). MCUNetV2 computes a vision model's first, memory-heaviest layers in
spatial patches so that their large feature maps never exist whole; in row bands with a line
buffer per layer the same holds with nothing computed twice. A stage reads its input where it
lies and writes its output row by row; in between each layer keeps only the input rows its next
output row reads (the filter's height), so a stage needs its input, its output and those windows.

choose() picks the chains that lower the arena's bound most (greedily, one stage at a time);
the stage becomes one operator of the planned graph (opcode STAGE), its layers in `options`.
"""

import dataclasses
from dataclasses import dataclass

import numpy as np

from nnbuild.runtimes.aot.ops.common import LoweredOp, Unsupported, c_struct_array
from nnbuild.runtimes.aot.ops.conv import geometry
from nnbuild.tflite_model import NUMPY_TYPES, Operator

STAGE = "ROW_STAGE"    # the opcode of a stage in the planned graph (no TFLite operator)
MAX_LAYERS = 8         # NN_ROW_STAGE_MAX
CONVOLUTIONS = ("CONV_2D", "DEPTHWISE_CONV_2D")


@dataclass(frozen=True)
class Layer:
    op: Operator
    in_h: int
    reach: int      # input rows an output row reads
    stride: int
    pad: int        # rows of padding above the input
    in_row: int     # bytes of an input row
    out_row: int    # bytes of an output row
    row_pixels: int
    out_h: int


def _layer(graph, op):
    """The op as a stage layer, or None if it cannot run row by row."""
    if op.opcode not in CONVOLUTIONS:
        return None
    x, y = graph.tensors[op.inputs[0]], graph.tensors[op.outputs[0]]
    if x.is_constant or x.dtype != y.dtype or x.dtype not in ("int8", "int16") or len(x.shape) != 4 \
            or x.shape[0] != 1:
        return None
    try:
        g = geometry(graph, op)
    except Unsupported:
        return None
    item = np.dtype(NUMPY_TYPES[x.dtype]).itemsize
    return Layer(op, in_h=x.shape[1], reach=(g.filter_h - 1) * g.dilation_h + 1, stride=g.stride_h, pad=g.pad_h,
                 in_row=x.shape[2] * x.shape[3] * item, out_row=y.shape[2] * y.shape[3] * item,
                 row_pixels=y.shape[2], out_h=y.shape[1])


def _chains(graph):
    """Maximal runs of consecutive operators that can run row by row, each reading the one
    before it, whose output nothing else reads."""
    readers = {}
    for op in graph.operators:
        for i in op.inputs:
            readers[i] = readers.get(i, 0) + 1
    chains, current = [], []
    for op in graph.operators:
        layer = _layer(graph, op)
        previous = current[-1].op if current else None
        if layer and previous and op.inputs[0] == previous.outputs[0] and readers[previous.outputs[0]] == 1 \
                and previous.outputs[0] not in graph.outputs:
            current.append(layer)
            continue
        if len(current) > 1:
            chains.append(current)
        current = [layer] if layer else []
    return chains + ([current] if len(current) > 1 else [])


def window_bytes(layers):
    """The stage's scratch: each layer's window but the first's (which reads the input in place)."""
    return sum(layer.reach * layer.in_row for layer in layers[1:])


def _with_stage(graph, layers):
    """The graph with the layers' operators replaced by one STAGE operator."""
    first, last = layers[0].op, layers[-1].op
    stage = Operator(index=first.index, opcode=STAGE, inputs=[first.inputs[0]], outputs=[last.outputs[0]],
                     options=tuple(layers))
    fused = {layer.op.index for layer in layers}
    operators = [stage if op.index == first.index else op for op in graph.operators
                 if op.index not in fused or op.index == first.index]
    return dataclasses.replace(graph, operators=operators)


def choose(graph, bound):
    """The graph with stages where they lower `bound(graph, {stage index: window bytes})` (the
    arena's bound as planned), one at a time, the best first; a shorter stage wins a tie (fewer
    calls). Returns (graph, [stage operators])."""
    scratch, stages = {}, []
    best = bound(graph, scratch)
    while True:
        trials = []
        for chain in _chains(graph):
            for i in range(len(chain)):
                for j in range(i + 2, min(len(chain), i + MAX_LAYERS) + 1):
                    trial = _with_stage(graph, chain[i:j])
                    trial_scratch = {**scratch, chain[i].op.index: window_bytes(chain[i:j])}
                    trials.append((bound(trial, trial_scratch), j - i, chain[i].op.index, trial, trial_scratch))
        if not trials:
            break
        value, _, index, trial, trial_scratch = min(trials, key=lambda t: t[:3])
        if value >= best:
            break
        best, graph, scratch = value, trial, trial_scratch
        stages.append(next(op for op in graph.operators if op.index == index))
    return graph, stages


class _LayerNames:
    """names for a stage layer's lowering: its intermediate tensors have no arena memory."""

    def __init__(self, names):
        self._names = names

    def __getattr__(self, name):
        return getattr(self._names, name)

    def tensor(self, t):
        return self._names.tensor(t) if self._names.has_memory(t) else "NULL"

    def in_place(self, op):
        return False


def lower_stage(graph, op, names, lower):
    """The stage's layers, each lowered as the whole op would be (`lower(graph, op, names)`), as
    an nn_row_layer array, and the call of nn_row_stage."""
    layers, decls, weights, rows = op.options, [], [], []
    window = 0
    for n, layer in enumerate(layers):
        lowered = lower(graph, layer.op, _LayerNames(names))
        decls += lowered.decls
        weights += lowered.weights
        params, _, filter_, bias, _ = lowered.args
        rows.append({
            "run": "nn_row_" + lowered.function[len("nn_"):], "params": params, "filter": filter_, "bias": bias,
            "in_h": layer.in_h, "reach": layer.reach, "stride": layer.stride, "pad": layer.pad,
            "in_row": layer.in_row, "out_row": layer.out_row, "row_pixels": layer.row_pixels,
            "window": f"(char *){names.scratch(op)} + {window}" if n else "NULL"})
        window += layer.reach * layer.in_row if n else 0
    name = f"{names.op_prefix(op)}_stage"
    decls.append(c_struct_array("nn_row_layer", name, rows))
    x, y = graph.tensors[op.inputs[0]], graph.tensors[op.outputs[0]]
    call = f"nn_row_stage({name}, {len(layers)}, {layers[-1].out_h}, {names.tensor(x)}, {names.tensor(y)});"
    return LoweredOp(decls=decls, call=call, function="nn_row_stage", weights=weights)
