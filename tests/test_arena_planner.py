"""The memory planner: offsets never overlap live tensors, and the arena stays near the lower bound."""

import numpy as np
import pytest

from conftest import shared_file
from nnbuild import aot_ops
from nnbuild.arena_planner import plan_arena
from nnbuild.tflite_model import load_tflite, parse_tflite
from tflite_builder import T, build_model, options

pytestmark = pytest.mark.unit


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
