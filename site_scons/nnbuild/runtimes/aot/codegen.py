"""aot code generation: an int8 or 16x8 TFLite graph becomes C that calls kernels/ in graph order.

Outputs, for a model `m`: m.h (the C API contract of DESIGN.md), m.c (operator
parameters, the static arena and m_invoke) and m_weights.c (constant tensors
as aligned const arrays). Generated code is target independent.
"""

import json
import re

import numpy as np

from nnbuild.runtimes.aot import ops as aot_ops
from nnbuild.runtimes.aot import row_stages
from nnbuild.runtimes.aot.pad_folding import fold_pads
from nnbuild.arena_planner import InPlace, in_place_bound, lower_bound, plan_arena
from nnbuild.c_literals import C_TYPES, c_float, c_int_rows
from nnbuild.errors import UserError
from nnbuild.files import write_atomically
from nnbuild.reference import tflm_arena_bytes
from nnbuild.render import render_template
from nnbuild.tflite_model import load_tflite

IO_TYPES = ("int8", "int16")  # int16: 16x8-quantized models


class _Names:
    """C expressions for tensors: weights by symbol, activations by arena offset."""

    def __init__(self, graph, model, plan, external):
        self.graph, self.model, self.plan, self.external = graph, model, plan, external

    def weight_symbol(self, t):
        return f"{self.model}_w{t.index}"

    def derived_symbol(self, op, what):
        """The symbol of an array the build computes for an op (ops.common.Weight)."""
        return f"{self.model}_op{op.index}_{what}"

    def tensor(self, t):
        if t.is_constant:
            return self.weight_symbol(t)
        if self.is_external(t):
            return f"({C_TYPES[t.dtype]} *)input"
        return f"({C_TYPES[t.dtype]} *)({self.model}_arena + {self.plan.offsets[t.index]})"

    def is_external(self, t):
        """Whether the tensor is read where the caller keeps it: invoke's argument."""
        return t.index in self.external

    def has_memory(self, t):
        """Whether the tensor exists whole (not a row-streamed stage's intermediate)."""
        return t.is_constant or t.index in self.external or t.index in self.plan.offsets

    def scratch(self, op):
        """The op's kernel scratch (Lowering.scratch), in the arena."""
        return f"(void *)({self.model}_arena + {self.plan.scratch[op.index]})"

    def op_prefix(self, op):
        return f"op{op.index}"

    def in_place(self, op):
        """Whether the plan has the op write its output over its input (Lowering.in_place)."""
        return op.index in self.plan.in_place


def _unsupported(graph, op, what):
    supported = ", ".join(sorted(aot_ops.LOWERINGS))
    return UserError(
        f"{graph.path}: {graph.node_name(op)} uses {what}, which the aot runtime does not "
        f"support. The aot runtime supports: {supported}. Build this model with runtime=tflm, "
        "or change the model so that it uses only these operators.")


def check_model(graph):
    """Reject, with one clear paragraph, a model the aot runtime cannot compile."""
    if len(graph.inputs) != 1 or len(graph.outputs) != 1:
        raise UserError(
            f"{graph.path}: the model has {len(graph.inputs)} inputs and {len(graph.outputs)} "
            "outputs; the generated C API takes exactly one input and one output tensor.")
    for index in graph.inputs + graph.outputs:
        t = graph.tensors[index]
        if t.dtype == "float32":
            raise UserError(
                f"{graph.path}: tensor '{t.name}' is float32: this is a float (non-quantized) "
                "TFLite model. The aot runtime runs full-integer models: give the .onnx model "
                "to quantize it, or convert with full-integer quantization "
                "(inference_input_type and inference_output_type int8).")
        if t.dtype not in IO_TYPES:
            raise UserError(f"{graph.path}: model input/output tensor '{t.name}' has type "
                            f"{t.dtype}; the aot runtime takes {', '.join(IO_TYPES)}.")
    for op in graph.operators:
        lowering = aot_ops.LOWERINGS.get(op.opcode)
        if lowering is None:
            raise _unsupported(graph, op, f"operator {op.opcode}")
        signature = lowering.signature(graph, op)
        if signature not in lowering.types:
            what = f"converts {signature}" if lowering.converts else f"runs on {signature} tensors"
            raise UserError(
                f"{graph.path}: {graph.node_name(op)} {what}, for which the aot runtime "
                f"has no kernel: {lowering.supported(op.opcode)}. Build this model with "
                "runtime=tflm, or quantize it so that the operator gets a supported type.")


def _weights(graph, used, names, derived):
    """The weight arrays: the model's constant tensors the code names, and the arrays the build
    computed from them (ops.common.Weight)."""
    arrays = []
    for index in sorted(used):
        t = graph.tensors[index]
        values = t.data.reshape(-1)
        arrays.append({"symbol": names.weight_symbol(t), "ctype": C_TYPES[t.dtype], "count": values.size,
                       "rows": c_int_rows(values), "comment": f"tensor {index} '{t.name}', shape {list(t.shape)}",
                       "nbytes": t.nbytes})
    for w in derived:
        arrays.append({"symbol": w.symbol, "ctype": C_TYPES[w.dtype], "count": len(w.values),
                       "rows": c_int_rows(w.values), "comment": w.comment,
                       "nbytes": len(w.values) * np.dtype(w.dtype).itemsize})
    return arrays


def _io(t):
    return {"ctype": C_TYPES[t.dtype], "size": int(np.prod(t.shape)), "shape": list(t.shape),
            "scale": c_float(t.scale[0]), "zero_point": int(t.zero_point[0]),
            "qmin": np.iinfo(t.dtype).min, "qmax": np.iinfo(t.dtype).max}


def _macs(graph, op):
    """Multiply-accumulates of one inference of op (0 for an op that does none)."""
    shape = lambda i: graph.tensors[op.inputs[i]].shape  # noqa: E731
    out = int(np.prod(graph.tensors[op.outputs[0]].shape))
    if op.opcode in ("CONV_2D", "FULLY_CONNECTED"):
        return out * int(np.prod(shape(1)[1:]))        # filter [out, (kh, kw,) depth]
    if op.opcode == "DEPTHWISE_CONV_2D":
        return out * int(shape(1)[1] * shape(1)[2])     # filter [1, kh, kw, channels]
    if op.opcode == "TRANSPOSE_CONV":
        return int(np.prod(shape(2))) * int(np.prod(shape(1)[:3]))  # every input times [out, kh, kw]
    return 0


def _macs_of(graph, op):
    if op.opcode == row_stages.STAGE:
        return sum(_macs(graph, layer.op) for layer in op.options)
    return _macs(graph, op)


class _Planning:
    """The arena plan of a graph as converted, with the memory-saving forms an option allows."""

    def __init__(self, graph, in_place, patch):
        self.in_place = in_place
        self.aliases = [(op.outputs[0], op.inputs[0]) for op in graph.operators
                        if op.opcode in aot_ops.ALIAS_OPS and not graph.tensors[op.inputs[0]].is_constant]
        self.scratch = {op.index: aot_ops.LOWERINGS[op.opcode].scratch_bytes(graph, op) for op in graph.operators}
        self.lower_bound = lower_bound(graph, self.aliases, self.scratch)
        # invoke's caller holds the input, which the ops only read: in place, it needs no copy in the arena.
        self.external = {graph.inputs[0]}
        for alias, source in self.aliases:
            if source in self.external:
                self.external.add(alias)
        if not in_place or self.external & set(graph.outputs):
            self.external = set()
        self.folded = set()
        if in_place:
            graph, self.folded = fold_pads(graph)
        self.graph, self.stages = graph, []
        plan = self.plan(graph)
        if patch:
            staged, stages = row_stages.choose(graph, self.bound)
            staged_plan = self.plan(staged) if stages else None
            if staged_plan and staged_plan.size < plan.size:  # never a larger arena than without
                self.graph, self.stages, plan = staged, stages, staged_plan
        self.arena_plan = plan

    def _scratch(self, graph, stages_scratch=None):
        return {op.index: (stages_scratch or {}).get(op.index, row_stages.window_bytes(op.options))
                if op.opcode == row_stages.STAGE else self.scratch[op.index] for op in graph.operators}

    def _candidates(self, graph):
        if not self.in_place:
            return []
        candidates = []
        for op in graph.operators:
            inputs = aot_ops.LOWERINGS[op.opcode].in_place_inputs(graph, op) if op.opcode != row_stages.STAGE else None
            if inputs:
                candidates.append(InPlace(op.index, op.outputs[0], *inputs))
        return candidates

    def bound(self, graph, stages_scratch):
        return in_place_bound(graph, self.aliases, self._scratch(graph, stages_scratch), self._candidates(graph),
                              self.external)

    def plan(self, graph):
        return plan_arena(graph, self.aliases, self._scratch(graph), self._candidates(graph), self.external)

    def info(self, original):
        plan, name = self.arena_plan, original.node_name
        ops = {op.index: op for op in original.operators}
        return {"bytes": plan.size, "lower_bound": self.lower_bound, "plan_bound": plan.bound,
                "in_place": [name(ops[i]) for i in plan.in_place],
                "folded_pads": [name(ops[i]) for i in sorted(self.folded)],
                "row_stages": [{"layers": [name(layer.op) for layer in stage.options],
                                "window_bytes": row_stages.window_bytes(stage.options)} for stage in self.stages]}


def _lower(graph, op, names):
    try:
        if op.opcode == row_stages.STAGE:
            return row_stages.lower_stage(graph, op, names, lambda g, o, n: aot_ops.LOWERINGS[o.opcode](g, o, n))
        return aot_ops.LOWERINGS[op.opcode](graph, op, names)
    except aot_ops.Unsupported as e:
        raise _unsupported(graph, op, f"{op.opcode} with {e}") from None


def generate_aot(graph, model, origin, in_place=True, patch=True):
    """Return {'header', 'source', 'weights', 'info'} for `graph` as model `model`.

    `origin` names what the code was made from, for the header comment; `in_place` lets ops
    write over their inputs and folds PADs into convolutions (option inplace); `patch` runs
    chains of convolutions row by row where that shrinks the arena (option patch)."""
    check_model(graph)
    planning = _Planning(graph, in_place, patch)
    original, graph, plan = graph, planning.graph, planning.arena_plan
    names = _Names(graph, model, plan, planning.external)
    planned = {op.index: op for op in graph.operators}
    notes = {i: "padding of the convolution that reads it" for i in planning.folded}
    for stage in planning.stages:
        notes.update({layer.op.index: f"row by row in node {stage.index}'s stage" for layer in stage.options[1:]})
    steps, used, derived = [], set(), []
    for op in original.operators:
        if op.index in notes:
            steps.append({"index": op.index, "opcode": op.opcode, "name": graph.node_name(op), "decls": [],
                          "call": "", "macs": 0, "node": None, "note": notes[op.index]})
            continue
        op = planned[op.index]
        lowered = _lower(graph, op, names)
        # Only constants the generated code names become arrays; shape, axis and padding
        # inputs are usually folded into the parameters at build time.
        code = " ".join([lowered.call, *lowered.decls])
        inputs = [i for layer in op.options for i in layer.op.inputs] if op.opcode == row_stages.STAGE else op.inputs
        used.update(i for i in inputs if i >= 0 and graph.tensors[i].is_constant
                    and re.search(rf"\b{names.weight_symbol(graph.tensors[i])}\b", code))
        steps.append({"index": op.index, "opcode": op.opcode, "name": graph.node_name(op),
                      "decls": lowered.decls, "call": lowered.call, "macs": _macs_of(graph, op),
                      "node": sum(1 for s in steps if s["call"]) if lowered.call else None,
                      "note": "" if lowered.call else "aliases its input"})
        derived += lowered.weights
    weights = _weights(graph, used, names, derived)
    # The operators with code, in the order invoke runs them: what a profile splits into.
    nodes = [{"node": s["node"], "index": s["index"], "opcode": s["opcode"], "macs": s["macs"],
              "output": graph.tensors[planned[s["index"]].outputs[0]].name} for s in steps if s["call"]]
    x, y = graph.tensors[graph.inputs[0]], graph.tensors[graph.outputs[0]]
    context = {
        "model": model, "MODEL": model.upper(), "origin": origin,
        "input": _io(x), "output": _io(y),
        "input_offset": plan.offsets.get(x.index), "output_offset": plan.offsets[y.index],
        "arena_size": plan.size, "steps": steps, "nodes": nodes, "weights": weights,
        "kernels": sorted({s["call"].split("(")[0] for s in steps if s["call"]}),
    }
    info = {
        "arena": planning.info(original),
        "weights_bytes": sum(w["nbytes"] for w in weights),
        "ops": sorted({op.opcode for op in original.operators}),
        "input": context["input"], "output": context["output"],
        "nodes": nodes,
    }
    return {
        "header": render_template("model.h.j2", **context),
        "source": render_template("aot/model.c.j2", **context),
        "weights": render_template("aot/weights.c.j2", **context),
        "info": info,
    }


def aot_step(targets, sources, settings):
    """<model>.tflite -> <model>.h, <model>.c, <model>_weights.c and aot_info.json."""
    header, source, weights, info_path = targets
    graph = load_tflite(sources[0])
    generated = generate_aot(graph, settings["model"], origin=sources[0], in_place=settings.get("inplace", True),
                             patch=settings.get("patch", True))
    generated["info"]["arena"]["tflm"] = tflm_arena_bytes(sources[0])  # the bar to beat
    write_atomically(header, generated["header"])
    write_atomically(source, generated["source"])
    write_atomically(weights, generated["weights"])
    write_atomically(info_path, json.dumps(generated["info"], indent=2) + "\n")
