"""The per-layer precision search (mixed_precision.search) on a stand-in for measuring: it finds
the tensors whose 16 bits the model needs, with their makers and readers, and no more."""

import numpy as np

from nnbuild.mixed_precision import search, tensor_units
from nnbuild.tflite_model import parse_tflite
from tflite_builder import T, build_model, options


def _chain(n):
    """n FULLY_CONNECTED ops in a row, tensor i + 1 made by op i (weights after the activations)."""
    tensors = [T((1, 8), scale=0.1, name=f"a{i}") for i in range(n + 1)]
    tensors += [T((8, 8), data=np.ones((8, 8), np.int8), scale=0.1, name=f"w{i}") for i in range(n)]
    fc = options("FullyConnectedOptions", fusedActivationFunction=0)
    ops = [("FULLY_CONNECTED", "FullyConnectedOptions", fc, [i, n + 1 + i, -1], [i + 1]) for i in range(n)]
    return parse_tflite(build_model(ops, tensors, [0], [n]))


def _layers(graph, sqnr):
    return [{"tensor": graph.tensors[i].name, "sqnr_db": db, "index": i - 1, "op": "FULLY_CONNECTED"}
            for i, db in sqnr.items()]


def test_units_are_a_tensor_with_its_maker_and_readers():
    assert tensor_units(_chain(3)) == {1: (0, 1), 2: (1, 2), 3: (2,)}


def test_the_search_keeps_only_what_the_accuracy_needs():
    graph = _chain(5)
    # int8 loses most at tensor 3 (made by op 2, read by op 3); the model is within tolerance only
    # with that tensor in 16 bits, whatever else is.
    layers = _layers(graph, {1: 40.0, 2: 38.0, 3: 20.0, 4: 19.0, 5: 18.5})
    measured = []

    def measure(ops):
        measured.append(ops)
        ok = {2, 3} <= set(ops)
        return {"accuracy": 0.9 if ok else 0.7, "agreement": 1.0, "sqnr_db": 30.0 if ok else 10.0 - len(ops)}

    ops, metrics, tried, why = search(graph, layers, measure, lambda m: m["accuracy"] >= 0.89, len, 50.0)
    assert ops == [2, 3] and metrics["accuracy"] == 0.9
    assert set(why["without"]) == {2, 3} and all(m["accuracy"] == 0.7 for m in why["without"].values())
    assert [o for o, _ in tried] == measured[:len(tried)]


def test_no_mix_is_none():
    graph = _chain(3)
    layers = _layers(graph, {1: 30.0, 2: 20.0, 3: 10.0})
    assert search(graph, layers, lambda ops: {"accuracy": 0.5, "sqnr_db": 1.0}, lambda m: False, len, 50.0) is None
