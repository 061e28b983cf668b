"""Per-layer quantization error (nnbuild.layer_error) on the ECM AF-detection model."""

import math
import shutil

import numpy as np
import pytest

from conftest import shared_file
from nnbuild import layer_error, quantize
from nnbuild.tflite_model import flatbuffer_bytes, flatbuffer_object, read_model


@pytest.fixture(scope="module")
def ecm(tmp_path_factory):
    """ECM quantized to int8 (50 calibration samples), its float .tflite, eval samples and their errors."""
    tmp = tmp_path_factory.mktemp("layer_error")
    onnx_path = tmp / "ecm.onnx"  # onnx2tf rewrites its input: never hand it the shared file
    shutil.copyfile(shared_file("af_detection", "ecm_af_detection.onnx"), onnx_path)
    calibration = np.load(shared_file("af_detection", "ecg_calib.npz"))["x"][:50]
    conversion = quantize.Conversion(onnx_path, calibration, tmp / "work")
    int8, info = conversion.quantize("int8")
    samples = quantize.to_tflite_layout(np.load(shared_file("af_detection", "ecg_eval.npz"))["x"], info)
    log = []
    float_tflite = conversion.float_tflite()
    errors = layer_error.layer_errors(float_tflite, int8, samples, log=log.append)
    return {"float": float_tflite, "int8": int8, "samples": samples, "errors": errors, "log": log}


def edited(tflite, edit):
    """The model with edit(subgraph) applied to its main subgraph."""
    model = flatbuffer_object(tflite)
    edit(model.subgraphs[0])
    return flatbuffer_bytes(model, len(tflite))


def op_output_names(tflite):
    graph = read_model(tflite).subgraphs[0]
    return [graph.tensors[t].name for op in graph.operators for t in op.outputs]


def test_every_layer_ranked_worst_first(ecm):
    errors = ecm["errors"]
    sqnr = [r["sqnr_db"] for r in errors]
    assert sqnr == sorted(sqnr)
    assert all(math.isfinite(s) for s in sqnr)
    # ECM's float and int8 models name every op output alike: none is skipped.
    assert sorted(r["tensor"] for r in errors) == sorted(op_output_names(ecm["int8"]))
    assert "45 quantized tensors compared, 0 without a float counterpart skipped" in ecm["log"][0]
    assert {r["dtype"] for r in errors} == {"int8"}
    assert all(r["rmse_in_steps"] == pytest.approx(r["rmse"] / r["scale"]) for r in errors)
    table = layer_error.format_layer_table(errors, top=3).splitlines()
    assert len(table) == 4 and errors[0]["op"] in table[1]


def test_final_output_is_compared(ecm):
    graph = read_model(ecm["int8"]).subgraphs[0]
    (output,) = [r for r in ecm["errors"] if r["tensor"] == graph.tensors[graph.outputs[0]].name]
    assert output["index"] == len(graph.operators) - 1
    # The logits of a model that keeps float accuracy (see test_quantize) are far from noise.
    assert output["sqnr_db"] > 10


def test_tensors_without_common_names_are_matched_by_order_and_shape(ecm):
    def rename(graph):
        for k, op in enumerate(graph.operators):
            for t in op.outputs:
                graph.tensors[t].name = f"renamed_{k}".encode()

    renamed = layer_error.layer_errors(ecm["float"], edited(ecm["int8"], rename), ecm["samples"])
    assert {r["index"]: r["sqnr_db"] for r in renamed} == {r["index"]: r["sqnr_db"] for r in ecm["errors"]}


def test_a_corrupted_scale_shows_as_a_large_sqnr_drop(ecm):
    # The first convolution's output, requantized with an 8x coarser scale:
    # what a badly calibrated range does. Its consumers read it with the same
    # scale, so the model still runs; only precision is lost.
    (first_conv,) = [r for r in ecm["errors"] if r["index"] == 0]
    assert first_conv["op"] == "CONV_2D"

    def coarsen(graph):
        quantization = graph.tensors[graph.operators[0].outputs[0]].quantization
        quantization.scale = quantization.scale * 8  # a new array: the unpacked one is read-only

    corrupted = layer_error.layer_errors(ecm["float"], edited(ecm["int8"], coarsen), ecm["samples"])
    (damaged,) = [r for r in corrupted if r["index"] == 0]
    assert damaged["sqnr_db"] < first_conv["sqnr_db"] - 10
    assert damaged["rmse"] > 4 * first_conv["rmse"]
