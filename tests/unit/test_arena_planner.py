"""The memory planner: offsets never overlap live tensors, and the arena stays near the lower bound."""

import dataclasses
import re
from types import SimpleNamespace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import shared_file
from nnbuild.runtimes.aot import ops as aot_ops
from nnbuild.arena_planner import InPlace, plan_arena
from nnbuild.runtimes.aot.codegen import generate_aot
from nnbuild.tflite_model import load_tflite, parse_tflite
from tflite_builder import T, build_model, options


def _check_no_overlap(plan):
    for a in plan.buffers:
        for b in plan.buffers:
            if a is b or a.last < b.first or b.last < a.first:
                continue
            assert a.offset + a.size <= b.offset or b.offset + b.size <= a.offset, (a, b)


def _chain(sizes):
    """A chain of FULLY_CONNECTED ops whose activations have the given sizes."""
    tensors, ops = [T((1, sizes[0]), scale=0.1)], []
    for n in sizes[1:]:
        prev = len(tensors) - 1
        w = np.ones((n, tensors[prev].shape[1]), np.int8)
        tensors += [T(w.shape, data=w, scale=0.1), T((1, n), scale=0.1)]
        fc = options("FullyConnectedOptions", fusedActivationFunction=0)
        ops.append(("FULLY_CONNECTED", "FullyConnectedOptions", fc, [prev, prev + 1, -1], [prev + 2]))
    return parse_tflite(build_model(ops, tensors, [0], [len(tensors) - 1]))


def test_chain_reuses_memory_and_meets_the_lower_bound():
    graph = _chain([64, 256, 32, 128, 16])
    plan = plan_arena(graph)
    _check_no_overlap(plan)
    # Live at once are only an op's input and output: the largest pair is 64 + 256.
    assert plan.lower_bound == 320
    assert plan.size == 320


def test_aliases_share_one_buffer():
    graph = _chain([64, 256, 32])
    plan = plan_arena(graph, aliases=[(2, 0)])  # pretend tensor 2 reshapes the input
    assert plan.offsets[2] == plan.offsets[0]


@pytest.mark.parametrize("name", ["kws_ref_model", "pretrainedResnet_quant", "vww_96_int8", "ad01_int8"])
def test_mlperf_models_within_5_percent_of_the_lower_bound(name):
    graph = load_tflite(shared_file("models", f"{name}.tflite"))
    aliases = [(op.outputs[0], op.inputs[0]) for op in graph.operators if op.opcode in aot_ops.ALIAS_OPS]
    plan = plan_arena(graph, aliases)
    _check_no_overlap(plan)
    assert plan.lower_bound <= plan.size <= plan.lower_bound * 1.05


@st.composite
def branching_graphs(draw):
    """Graphs of the shapes that fragment memory: splits into branches, concatenations of
    branches, channel shuffles (two copies in a row), and plain layers growing or shrinking."""
    tensors, ops = [], []

    def new(size):
        tensors.append(SimpleNamespace(index=len(tensors), is_constant=False, nbytes=size))
        return len(tensors) - 1

    live = [new(draw(st.integers(16, 4096)))]
    for _ in range(draw(st.integers(4, 40))):
        kind = draw(st.sampled_from(["layer", "split", "concat", "shuffle"]))
        source = draw(st.sampled_from(live[-3:]))
        size = tensors[source].nbytes
        if kind == "split":
            outputs = [new(max(8, size // 3)) for _ in range(draw(st.integers(2, 4)))]
            ops.append(SimpleNamespace(inputs=[source], outputs=outputs))
            live += outputs
        elif kind == "concat" and len(live) > 1:
            inputs = draw(st.lists(st.sampled_from(live[-4:]), min_size=2, max_size=3, unique=True))
            ops.append(SimpleNamespace(inputs=inputs, outputs=[new(sum(tensors[i].nbytes for i in inputs))]))
            live.append(ops[-1].outputs[0])
        elif kind == "shuffle":
            first = new(size)
            ops += [SimpleNamespace(inputs=[source], outputs=[first]),
                    SimpleNamespace(inputs=[first], outputs=[new(size)])]
            live.append(ops[-1].outputs[0])
        else:
            ops.append(SimpleNamespace(inputs=[source], outputs=[new(max(8, size * draw(st.sampled_from([1, 2])) //
                                                                         draw(st.sampled_from([1, 2]))))]))
            live.append(ops[-1].outputs[0])
    for index, op in enumerate(ops):
        op.index = index
    return SimpleNamespace(tensors=tensors, operators=ops, inputs=[live[0]], outputs=[live[-1]])


@settings(max_examples=150, deadline=None, derandomize=True)
@given(graph=branching_graphs())
def test_split_concat_and_shuffle_graphs_within_5_percent_of_the_lower_bound(graph):
    plan = plan_arena(graph)
    _check_no_overlap(plan)
    assert plan.lower_bound <= plan.size <= plan.lower_bound * 1.05


def test_a_kernels_scratch_is_live_during_its_step_only():
    graph = _chain([64, 256, 32, 128, 16])
    plan = plan_arena(graph, scratch={1: 100, 3: 0})
    _check_no_overlap(plan)
    # At step 1 the op reads 256 bytes, writes 32, and its kernel needs 100 (104 aligned).
    assert plan.lower_bound == 256 + 32 + 104 and plan.size == plan.lower_bound
    assert list(plan.scratch) == [1]


def test_a_lowering_declares_scratch_and_gets_its_place_in_the_arena(monkeypatch):
    graph = _chain([64, 256, 32, 128, 16])
    base, seen = aot_ops.LOWERINGS["FULLY_CONNECTED"], {}

    def lower(graph, op, names):
        if op.index == 1:
            seen["scratch"] = names.scratch(op)
        return base(graph, op, names)

    variant = dataclasses.replace(base, lower=lower, scratch=lambda graph, op: 100 if op.index == 1 else 0)
    monkeypatch.setitem(aot_ops.LOWERINGS, "FULLY_CONNECTED", variant)
    arena = generate_aot(graph, "net", "net.tflite")["info"]["arena"]
    offset = int(re.fullmatch(r"\(void \*\)\(net_arena \+ (\d+)\)", seen["scratch"]).group(1))
    assert arena["bytes"] == arena["lower_bound"] == 392 and offset + 100 <= arena["bytes"]


def _relu_after(last_inputs, outputs=(5,)):
    """A chain 64 -> FC 256 -> RELU 256 -> FC 32 (the RELU can write over its input)."""
    tensors = [T((1, 64), scale=0.1)]
    w1 = np.ones((256, 64), np.int8)
    w2 = np.ones((32, 256), np.int8)
    tensors += [T(w1.shape, data=w1, scale=0.1), T((1, 256), scale=0.1), T((1, 256), scale=0.1),
                T(w2.shape, data=w2, scale=0.1), T((1, 32), scale=0.1)]
    fc = options("FullyConnectedOptions", fusedActivationFunction=0)
    ops = [("FULLY_CONNECTED", "FullyConnectedOptions", fc, [0, 1, -1], [2]),
           ("RELU", None, None, [2], [3]),
           ("FULLY_CONNECTED", "FullyConnectedOptions", fc, last_inputs, [5])]
    return parse_tflite(build_model(ops, tensors, [0], list(outputs)))


def test_an_op_writes_over_its_input_when_the_input_dies_there():
    graph = _relu_after([3, 4, -1])
    plan = plan_arena(graph, in_place=[InPlace(step=1, output=3, inputs=(2,))])
    _check_no_overlap(plan)
    assert plan.in_place == [1] and plan.offsets[3] == plan.offsets[2]
    # Every tensor whole, the RELU holds 256 + 256 bytes; in place, the FC before it 64 + 256.
    assert plan.lower_bound == 512 and plan.bound == plan.size == 320


def test_an_input_read_later_is_not_written_over():
    graph = _relu_after([2, 4, -1], outputs=(3, 5))  # the last FC reads the RELU's input
    plan = plan_arena(graph, in_place=[InPlace(step=1, output=3, inputs=(2,))])
    _check_no_overlap(plan)
    assert plan.in_place == [] and plan.offsets[3] != plan.offsets[2]


def test_in_place_is_kept_only_where_the_arena_shrinks():
    graph = _chain([64, 256, 32])
    # Writing the 32-byte output over the 256-byte input with 1000 bytes of scratch: larger.
    plan = plan_arena(graph, in_place=[InPlace(step=1, output=4, inputs=(2,), scratch=1000)])
    assert plan.in_place == [] and plan.size == plan.lower_bound == 320


def test_an_output_with_aliases_joins_its_input_with_them():
    # 0 -op0-> 1 -RESHAPE-> 2 -op2-> 3 -op3-> 4, each op in place, op2 over the alias.
    tensors = [SimpleNamespace(index=i, is_constant=False, nbytes=64) for i in range(5)]
    ops = [SimpleNamespace(index=i, inputs=[i], outputs=[i + 1]) for i in range(4)]
    graph = SimpleNamespace(tensors=tensors, operators=ops, inputs=[0], outputs=[4])
    plan = plan_arena(graph, aliases=[(2, 1)], in_place=[InPlace(step=s, output=s + 1, inputs=(s,)) for s in (0, 2, 3)])
    _check_no_overlap(plan)
    assert plan.in_place == [0, 2, 3] and len(set(plan.offsets.values())) == 1 and plan.size == 64
