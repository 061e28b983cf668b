"""Per-layer mixed precision: an int8 model whose chosen ops run 16x8 (int16 activations).

TFLite's converter quantizes 16x8 all or nothing, but it quantizes the same SavedModel, on
the same calibration, into int8 and 16x8 graphs with the same operators in the same order.
splice() takes each chosen op from the 16x8 graph (its int16 tensors, its weights and int64
bias) and the others from the int8 graph, and puts a QUANTIZE (a requantize, int8 <-> int16)
wherever a tensor is read in the other type; the model's input and output stay int8. TFLite
Micro runs such a graph (every op sees one type), and so does runtime=aot.

search() finds the ops to put in 16 bits when int8 loses too much. Precision is lost at a
tensor, so it chooses tensors (each with the ops that make and read it): those where the int8
model loses SQNR against the float model (the per-layer error report), each measured alone in
16 bits on the evaluation data, then the first 1, 2, 4, ... of them, the most output SQNR gained
first, until the model is within the tolerance, then taken back to int8 where it stays within
it without them, the costliest first (arena, then flash), and then each op so.
"""

import copy
import math

MAX_SCREENED = 16  # tensors tried alone in 16 bits, the most SQNR lost first: one run of the data each
MAX_SHARE = 0.5    # of the ops: a mix with more in 16 bits is not worth it (16x8 for all is next)

from nnbuild.errors import UserError
from nnbuild.tflite_model import TENSOR_TYPE_NAMES, flatbuffer_bytes, flatbuffer_object, opcode_name, schema


class MixedUnavailable(UserError):
    """The int8 and 16x8 graphs do not line up op for op, so they cannot be mixed."""


def _opcode(model, op):
    return opcode_name(model.operatorCodes[op.opcodeIndex])


def _code_index(model, name):
    """The index of builtin operator `name` in the model's operator codes, added if missing."""
    for i, code in enumerate(model.operatorCodes):
        if opcode_name(code) == name:
            return i
    code = schema.OperatorCodeT()
    code.builtinCode = getattr(schema.BuiltinOperator, name)
    code.deprecatedBuiltinCode = min(code.builtinCode, 127)
    code.version = 1
    model.operatorCodes.append(code)
    return len(model.operatorCodes) - 1


def _is_constant(model, tensor):
    return tensor.buffer > 0 and model.buffers[tensor.buffer].data is not None


def check_aligned(a, b, path):
    """MixedUnavailable unless the int8 model `a` and the 16x8 model `b` (ModelT) have the same
    operators, in the same order, making tensors of the same names."""
    ga, gb = a.subgraphs[0], b.subgraphs[0]
    mismatch = len(ga.operators) != len(gb.operators) or any(
        _opcode(a, oa) != _opcode(b, ob) or len(oa.inputs) != len(ob.inputs)
        or [ga.tensors[i].name for i in oa.outputs] != [gb.tensors[i].name for i in ob.outputs]
        for oa, ob in zip(ga.operators, gb.operators))
    if mismatch:
        raise MixedUnavailable(
            f"{path}: TFLite's converter made int8 and 16x8 graphs that differ op for op, so nnbuild cannot "
            "mix them per layer; use quantize=int8, int16x8 or auto.")


def splice(int8_data, int16_data, sixteen, path="<model>"):
    """The .tflite bytes of the int8 model with the ops numbered `sixteen` taken from the 16x8 one."""
    a, b = flatbuffer_object(int8_data, path), flatbuffer_object(int16_data, path)
    check_aligned(a, b, path)
    ga, gb = a.subgraphs[0], b.subgraphs[0]
    for n in sixteen:
        if not 0 <= n < len(ga.operators):
            raise UserError(f"{path}: quantize=mixed names op {n}, but the model has ops 0 to {len(ga.operators) - 1} "
                            "(the op# column of the per-layer table in quant_report.json).")
    quantize_code = _code_index(a, "QUANTIZE")
    int16_of, copied = {}, {}   # int8 tensor -> its int16 twin; 16x8 constant -> its copy
    int8_missing = set()       # int8 tensors made only in int16 so far

    def add_tensor(tensor):
        ga.tensors.append(tensor)
        return len(ga.tensors) - 1

    def copy_constant(j):
        if j not in copied:
            tensor = copy.deepcopy(gb.tensors[j])
            a.buffers.append(copy.deepcopy(b.buffers[tensor.buffer]))
            tensor.buffer = len(a.buffers) - 1
            copied[j] = add_tensor(tensor)
        return copied[j]

    def requantize(source, target):
        op = schema.OperatorT()
        op.opcodeIndex, op.inputs, op.outputs = quantize_code, [source], [target]
        op.builtinOptionsType, op.builtinOptions = schema.BuiltinOptions.QuantizeOptions, schema.QuantizeOptionsT()
        operators.append(op)

    operators = []
    for n, (oa, ob) in enumerate(zip(ga.operators, gb.operators)):
        if n in sixteen:
            op = copy.deepcopy(ob)
            op.opcodeIndex = _code_index(a, _opcode(b, ob))
            inputs = []
            for i, j in zip(oa.inputs, ob.inputs):
                if j < 0 or _is_constant(b, gb.tensors[j]):
                    inputs.append(copy_constant(j) if j >= 0 else j)
                    continue
                if i not in int16_of:  # an int8 tensor read in 16 bits
                    int16_of[i] = add_tensor(copy.deepcopy(gb.tensors[j]))
                    requantize(i, int16_of[i])
                inputs.append(int16_of[i])
            op.inputs = inputs
            outputs = []
            for i, j in zip(oa.outputs, ob.outputs):
                int16_of[i] = add_tensor(copy.deepcopy(gb.tensors[j]))
                int8_missing.add(i)
                outputs.append(int16_of[i])
            op.outputs = outputs
            operators.append(op)
            continue
        for i in oa.inputs:
            if i in int8_missing:  # an int16 tensor read in 8 bits
                requantize(int16_of[i], i)
                int8_missing.discard(i)
        operators.append(oa)
    for i in ga.outputs:
        if i in int8_missing:
            requantize(int16_of[i], i)
    ga.operators = operators
    _drop_unused(a)
    return bytes(flatbuffer_bytes(a, len(int8_data) + len(int16_data)))


def tflite_stand_in(data):
    """The mixed model with each int8 to int16 QUANTIZE (which TFLite Micro has and TFLite's own
    interpreter lacks) as a DEQUANTIZE to float and a QUANTIZE from it: the same values but for
    a rounding here and there, for judging candidates at TFLite's speed (the firmware is
    verified against TFLite Micro on the model itself)."""
    model = flatbuffer_object(data)
    graph = model.subgraphs[0]
    dequantize_code = _code_index(model, "DEQUANTIZE")
    operators = []
    for op in graph.operators:
        x, y = graph.tensors[op.inputs[0]], graph.tensors[op.outputs[0]]
        if _opcode(model, op) == "QUANTIZE" and TENSOR_TYPE_NAMES.get(x.type) == "int8" \
                and TENSOR_TYPE_NAMES.get(y.type) == "int16":
            real = copy.deepcopy(x)
            real.type, real.quantization, real.buffer = schema.TensorType.FLOAT32, None, 0
            real.name = (x.name.decode() if isinstance(x.name, bytes) else x.name) + "/float"
            graph.tensors.append(real)
            dequantize = schema.OperatorT()
            dequantize.opcodeIndex, dequantize.inputs, dequantize.outputs = dequantize_code, [op.inputs[0]], \
                [len(graph.tensors) - 1]
            operators.append(dequantize)
            op.inputs = [len(graph.tensors) - 1]
        operators.append(op)
    graph.operators = operators
    return bytes(flatbuffer_bytes(model, len(data)))


def _drop_unused(model):
    """Remove the tensors no operator or graph input/output names, and the buffers no tensor
    holds (the int8 weights of the ops taken in 16 bits)."""
    graph = model.subgraphs[0]
    used = sorted({i for op in graph.operators for i in [*op.inputs, *op.outputs] if i >= 0}
                  | set(graph.inputs) | set(graph.outputs))
    renumber = {old: new for new, old in enumerate(used)}
    graph.tensors = [graph.tensors[i] for i in used]
    for op in graph.operators:
        op.inputs = [renumber[i] if i >= 0 else i for i in op.inputs]
        op.outputs = [renumber[i] for i in op.outputs]
    graph.inputs = [renumber[i] for i in graph.inputs]
    graph.outputs = [renumber[i] for i in graph.outputs]
    held = sorted({t.buffer for t in graph.tensors if t.buffer > 0} | {m.buffer for m in (model.metadata or [])})
    rebuffer = {0: 0, **{old: new for new, old in enumerate(held, 1)}}
    model.buffers = [model.buffers[0], *(model.buffers[i] for i in held)]
    for t in graph.tensors:
        t.buffer = rebuffer[t.buffer]
    for m in model.metadata or []:
        m.buffer = rebuffer[m.buffer]


def precisions(data):
    """[(op number, op, output tensor name, its type)] of a (mixed) model, QUANTIZE ops left out."""
    model = flatbuffer_object(data)
    graph = model.subgraphs[0]
    rows = []
    for op in graph.operators:
        if _opcode(model, op) == "QUANTIZE":
            continue
        out = graph.tensors[op.outputs[0]]
        rows.append((len(rows), _opcode(model, op), out.name.decode() if isinstance(out.name, bytes) else out.name,
                     TENSOR_TYPE_NAMES.get(out.type)))
    return rows


def tensor_units(int8_graph):
    """The choices of the search: per activation tensor an op makes, the ops that must run in 16 bits
    for it to be int16 (its producer and readers). {tensor index: (op numbers)}."""
    readers = {}
    for op in int8_graph.operators:
        for i in op.inputs:
            readers.setdefault(i, set()).add(op.index)
    return {t: tuple(sorted({op.index} | readers.get(t, set())))
            for op in int8_graph.operators for t in op.outputs[:1]}


def local_losses(int8_graph, layers, input_sqnr_db):
    """{tensor index: dB of SQNR lost where the tensor is made}: its SQNR against the float model
    below that of its producer's inputs (the worst of them; the model's input has `input_sqnr_db`,
    its int8 quantization's), from the per-layer error rows (layer_error.layer_errors)."""
    sqnr = {}
    names = {t.name: t.index for t in int8_graph.tensors}
    for row in layers:
        if row["tensor"] in names and isinstance(row["sqnr_db"], float) and not math.isnan(row["sqnr_db"]):
            sqnr[names[row["tensor"]]] = min(row["sqnr_db"], 100.0)
    losses = {}
    for op in int8_graph.operators:
        out = op.outputs[0]
        if out not in sqnr:
            continue
        before = [sqnr.get(i, input_sqnr_db if i in int8_graph.inputs else 100.0) for i in op.inputs
                  if i >= 0 and not int8_graph.tensors[i].is_constant]
        losses[out] = (min(before) if before else 100.0) - sqnr[out]
    return losses


def search(int8_graph, layers, measure, acceptable, cost, input_sqnr_db):
    """The ops to run in 16 bits. `measure(ops)` gives a candidate's metrics (with an output
    `sqnr_db` against float), `acceptable(metrics)` says whether it keeps the model, `cost(ops)`
    orders candidates (smaller is cheaper). Each tensor where int8 loses SQNR (the per-layer
    errors) is tried alone in 16 bits; then the first 1, 2, 4, ... tensors, most output SQNR
    gained first (then the others, most lost first), until the candidate is acceptable; then each
    goes back to int8, the costliest first, where the candidate stays acceptable without it, and
    then each op so (a mix left with more than MAX_SHARE of the ops in 16 bits: None). Returns (ops, metrics, tried, why) or None if no mix is acceptable; tried lists
    (ops, metrics) of every candidate measured; why has `screened`, the output SQNR with each
    tensor alone in 16 bits (by tensor name), and `without`, the metrics without each op of the
    mix in 16 bits."""
    units = tensor_units(int8_graph)
    losses = local_losses(int8_graph, layers, input_sqnr_db)
    lossy = sorted((t for t in units if losses.get(t, 0) > 0), key=lambda t: -losses[t])[:MAX_SCREENED]
    tried = []

    def trial(tensors):
        ops = sorted({n for t in tensors for n in units[t]})
        metrics = measure(ops)
        tried.append((ops, metrics))
        return metrics

    gains = {t: trial([t])["sqnr_db"] for t in lossy}
    ranked = [*sorted(lossy, key=lambda t: -gains[t]),
              *sorted((t for t in units if t not in gains), key=lambda t: -losses.get(t, -math.inf))]
    count, metrics = 1, None  # the first 1, 2, 4, ... tensors of the ranking: few runs to a mix that holds
    while True:
        chosen = ranked[:count]
        metrics = trial(chosen)
        if acceptable(metrics):
            break
        if count >= len(ranked):
            return None
        count = min(2 * count, len(ranked))
    for t in sorted(chosen, key=lambda t: cost(units[t]), reverse=True):
        rest = [u for u in chosen if u != t]
        if rest:
            without = trial(rest)
            if acceptable(without):
                chosen, metrics = rest, without
    # Then op by op: a tensor's reader or maker may do as well in int8, a QUANTIZE between.
    ops = sorted({n for t in chosen for n in units[t]})
    for n in sorted(ops, key=lambda n: cost([n]), reverse=True):
        rest = [m for m in ops if m != n]
        if rest:
            without = measure(rest)
            tried.append((rest, without))
            if acceptable(without):
                ops, metrics = rest, without
    if len(ops) > MAX_SHARE * len(int8_graph.operators):
        return None
    screened = {int8_graph.tensors[t].name: sqnr for t, sqnr in gains.items()}
    without = {n: measure([m for m in ops if m != n]) for n in ops if len(ops) > 1}  # why each is needed
    return ops, metrics, tried, {"screened": screened, "without": without}


def loss_report(int8_graph, layers, input_sqnr_db):
    """{tensor name: dB it loses where it is made}, worst first, for the report."""
    losses = local_losses(int8_graph, layers, input_sqnr_db)
    return {int8_graph.tensors[t].name: round(loss, 2) for t, loss in sorted(losses.items(), key=lambda tl: -tl[1])}


def precision_rows(int8_graph, int16, layers, input_sqnr_db, search=None):
    """Per op of the int8 graph: its number, operator, output tensor, precision and why, for the
    report and the printed table; `search`: the report of the search that chose `int16` (its
    int8 output SQNR and `screened`), None if they were given (quantize=mixed:...)."""
    losses = local_losses(int8_graph, layers, input_sqnr_db)
    rows = []
    for op in int8_graph.operators:
        out = op.outputs[0]
        loss = f"{losses[out]:.1f} dB" if out in losses else "an unmeasured amount"
        if search is None:
            why = "quantize=mixed asked for it" if op.index in int16 else f"its output loses {loss} where it is made"
        elif op.index not in int16:
            why = f"int8: its output loses {loss} of SQNR against float where it is made"
        elif op.index in search["without"]:
            m = search["without"][op.index]
            score = f"accuracy {m['accuracy']:.3f}, " if "accuracy" in m else f"agreement {m['agreement']:.3f}, "
            why = f"the mix without it in 16 bits: {score}output SQNR {m['sqnr_db']:.1f} dB, not within the tolerance"
        else:
            why = "the search's one op in 16 bits"
        rows.append({"op": op.index, "opcode": op.opcode, "tensor": int8_graph.tensors[out].name,
                     "precision": "int16" if op.index in int16 else "int8", "why": why})
    return rows


def format_precision_table(rows):
    """The ops in 16 bits, one line each, and how many of all."""
    sixteen = [r for r in rows if r["precision"] == "int16"]
    lines = [f"{len(sixteen)} of {len(rows)} ops in 16 bits (the others int8):"]
    for r in sixteen:
        name = r["tensor"] if len(r["tensor"]) <= 40 else "..." + r["tensor"][-37:]
        lines.append(f"  op {r['op']:>3}  {r['opcode']:<16.16}  {name:<40}  {r['why']}")
    return "\n".join(lines)
