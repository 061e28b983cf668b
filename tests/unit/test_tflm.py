"""runtime=tflm without a tree: the op-resolver generation, the source listing, the glue and
the errors, on their own. The builds with a tree (TFLM_ROOT):
tests/integration/test_tflm_build.py."""

import json
import os
import re

import pytest

from nnbuild.runtimes.tflm import glue as tflm
from nnbuild.errors import UserError
from nnbuild.render import render_template
from nnbuild.tflite_model import read_model
from tflite_builder import T, build_model, fc_softmax_model as _fc_softmax_model

HEADER = """
template <unsigned int tOpCount>
class MicroMutableOpResolver : public MicroOpResolver {
  TfLiteStatus AddCustom(const char* name, const TFLMRegistration* registration) {
    new_registration->builtin_code = BuiltinOperator_CUSTOM;
  }
  TfLiteStatus AddAdd(const TFLMRegistration& registration = Register_ADD()) {
    return AddBuiltin(BuiltinOperator_ADD, registration, ParseAdd);
  }
  TfLiteStatus AddFullyConnected(
      const TFLMRegistration& registration = Register_FULLY_CONNECTED()) {
    return AddBuiltin(BuiltinOperator_FULLY_CONNECTED, registration,
                      ParseFullyConnected);
  }
  TfLiteStatus AddDetectionPostprocess() {
    return AddCustom("TFLite_Detection_PostProcess",
                     tflite::Register_DETECTION_POSTPROCESS());
  }
  TfLiteStatus AddWindow() {
    return AddCustom("SignalWindow", tflite::tflm_signal::Register_WINDOW());
  }
  TfLiteStatus AddSoftmax(const TFLMRegistration& registration = Register_SOFTMAX()) {
    return AddBuiltin(BuiltinOperator_SOFTMAX, registration, ParseSoftmax);
  }
 private:
  TfLiteStatus AddBuiltin(tflite::BuiltinOperator op, const TFLMRegistration& registration,
                          TfLiteBridgeBuiltinParseFunction parser) {
    return kTfLiteOk;
  }
};
"""


# --- without a tree ---------------------------------------------------------------

def test_resolver_methods_are_read_from_the_header():
    methods = tflm.resolver_methods(HEADER)
    assert methods == {"ADD": "AddAdd", "FULLY_CONNECTED": "AddFullyConnected",
                       "CUSTOM:TFLite_Detection_PostProcess": "AddDetectionPostprocess",
                       "CUSTOM:SignalWindow": None, "SOFTMAX": "AddSoftmax"}


def test_resolver_holds_exactly_the_models_operators():
    nodes = tflm.model_operators(read_model(_fc_softmax_model(), "net.tflite"))
    assert [op for _, op in nodes] == ["FULLY_CONNECTED", "SOFTMAX", "FULLY_CONNECTED"]
    calls = tflm.resolver_calls(nodes, tflm.resolver_methods(HEADER), "net.tflite", "/tree")
    assert calls == ["AddFullyConnected()", "AddSoftmax()"]      # once each, in first-use order
    # An operator whose nodes are all int8 takes the tree's int8-only registration, if it has one.
    assert tflm.int8_only_operators(read_model(_fc_softmax_model())) == {"FULLY_CONNECTED", "SOFTMAX"}
    calls = tflm.resolver_calls(nodes, tflm.resolver_methods(HEADER), "net.tflite", "/tree", {"FULLY_CONNECTED"})
    assert calls == ["AddFullyConnected(tflite::Register_FULLY_CONNECTED_INT8())", "AddSoftmax()"]


def test_an_operator_the_tree_lacks_is_a_build_error_naming_it():
    data = build_model([("FLOOR", None, None, [0], [1])],
                       [T((1, 4), scale=0.1, name="x"), T((1, 4), scale=0.1, name="floored")], [0], [1])
    nodes = tflm.model_operators(read_model(data, "floor.tflite"))
    with pytest.raises(UserError) as e:
        tflm.resolver_calls(nodes, tflm.resolver_methods(HEADER), "floor.tflite", "/tree")
    message = str(e.value)
    assert "floor.tflite: node 0 (FLOOR, output 'floored') uses operator FLOOR" in message
    assert "/tree" in message and "micro_mutable_op_resolver.h" in message


def test_a_signal_operator_is_refused():
    with pytest.raises(UserError, match="signal library"):
        tflm.resolver_calls([("node 0 (CUSTOM:SignalWindow, output 'w')", "CUSTOM:SignalWindow")],
                            tflm.resolver_methods(HEADER), "s.tflite", "/tree")


def test_glue_registers_the_operators_and_aligns_model_and_arena():
    context = {"model": "net", "MODEL": "NET", "origin": "net.tflite", "arena_size": 4096,
               "tflm_measured": 3000, "resolver_calls": ["AddFullyConnected()", "AddSoftmax()"],
               "input": {"qmin": -128, "qmax": 127}, "kernel_headers": []}
    glue = render_template("tflm/model.cc.j2", **context)
    assert "tflite::MicroMutableOpResolver<2>" in glue
    assert re.findall(r"resolver->(Add\w+)\(\)", glue) == ["AddFullyConnected", "AddSoftmax"]
    assert "alignas(NN_ALIGNMENT) uint8_t net_arena[NET_ARENA_SIZE]" in glue
    assert "malloc" not in glue and "FILE" not in glue
    # the input goes into the input tensor before every Invoke
    invoke = glue[glue.index("int net_invoke("):glue.index("net_round")]
    assert invoke.index("memcpy(net_input_tensor") < invoke.index("Invoke()")
    data = render_template("model_data.cc.j2", model="net", origin="net.tflite", runtime="tflm", size=2,
                           rows=["0x01, 0x02"])
    assert "alignas(NN_ALIGNMENT) const unsigned char net_model_data[2]" in data


def test_model_step_writes_the_c_api_and_a_measured_arena(tmp_path):
    model = tmp_path / "net.tflite"
    model.write_bytes(_fc_softmax_model())
    header_file = tmp_path / "resolver.h"
    header_file.write_text(HEADER)
    out = tmp_path / "tflm"
    out.mkdir()
    targets = [str(out / "net.h"), str(out / "net_tflm.cc"), str(out / "tflm_info.json")]
    tflm.tflm_model_step(targets, [str(model), str(header_file)],
                         {"model": "net", "tree": "/tree", "kernels": "reference"})
    header = (out / "net.h").read_text()
    for api in ("int net_init(void);", "int net_invoke(const net_input_t *input, net_output_t *output);",
                "int net_invoke_f32(const float *input, float *output);", "#define NET_INPUT_SIZE 4",
                "#define NET_OUTPUT_SIZE 3", "#define NET_ARENA_SIZE"):
        assert api in header
    info = json.loads((out / "tflm_info.json").read_text())
    arena = info["arena"]
    from nnbuild.reference import tflm_arena_bytes
    assert arena["tflm"] >= tflm_arena_bytes(str(model)) - tflm.ALIGNMENT
    assert arena["bytes"] % 16 == 0 and arena["bytes"] > arena["tflm"]
    assert f"#define NET_ARENA_SIZE {arena['bytes']}" in header
    assert info["resolver"] == ["AddFullyConnected()", "AddSoftmax()"]


def test_measured_arena_is_the_smallest_that_runs():
    data = _fc_softmax_model()
    need = tflm.measure_arena(data, os.devnull)
    assert tflm._interpreter_runs(data, need)
    assert not tflm._interpreter_runs(data, need - tflm.ALIGNMENT)


def _fake_tree(root, specialized=False):
    """The files library_sources and choose_kernels look at, nothing compiled."""
    files = ["tensorflow/lite/micro/micro_interpreter.h", "tensorflow/lite/micro/micro_interpreter.cc",
             "tensorflow/lite/micro/micro_interpreter_test.cc", "tensorflow/lite/micro/memory_planner/greedy.cc",
             "tensorflow/lite/micro/kernels/add.cc", "tensorflow/lite/micro/kernels/add_test.cc",
             "tensorflow/lite/micro/kernels/cmsis_nn/conv.cc", "tensorflow/lite/micro/kernels/testdata/x.cc",
             "tensorflow/lite/micro/examples/hello_world/main.cc", "tensorflow/lite/kernels/kernel_util.cc",
             "tensorflow/lite/experimental/microfrontend/lib/fft.cc", "signal/src/window.cc",
             "third_party/flatbuffers/include/flatbuffers/flatbuffers.h", "third_party/gemmlowp/fixedpoint/fixedpoint.h",
             "third_party/ruy/ruy/profiler/instrumentation.h"]
    if not specialized:
        files.append("tensorflow/lite/micro/kernels/conv.cc")
    for f in files:
        path = root / f
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("")
    return tflm.find_tree(str(root))


def test_optimized_kernels_replace_reference_ones_of_the_same_name(tmp_path):
    tree = _fake_tree(tmp_path)
    rel = lambda files: [os.path.relpath(f, tree.root) for f in files]  # noqa: E731
    reference = rel(tflm.library_sources(tree))
    assert reference == ["tensorflow/lite/micro/micro_interpreter.cc", "tensorflow/lite/micro/memory_planner/greedy.cc",
                         "tensorflow/lite/kernels/kernel_util.cc", "tensorflow/lite/micro/kernels/add.cc",
                         "tensorflow/lite/micro/kernels/conv.cc"]          # no tests, examples, signal/
    assert tflm.choose_kernels(tree) == "reference"
    assert tflm.kernel_dirs(tree) == ["cmsis_nn"]
    optimized = rel(tflm.library_sources(tree, "cmsis_nn"))
    assert "tensorflow/lite/micro/kernels/cmsis_nn/conv.cc" in optimized
    assert "tensorflow/lite/micro/kernels/conv.cc" not in optimized
    with pytest.raises(UserError, match="CMSIS-NN library"):   # the glue without the library
        tflm.choose_kernels(tree, "cmsis_nn")
    with pytest.raises(UserError, match="no optimized kernels .*xtensa.*OPTIMIZED_KERNEL_DIR=xtensa"):
        tflm.choose_kernels(tree, "xtensa")
    # TFLM's kernel headers declare the optimized variants only under -DCMSIS_NN, as its Makefile sets it.
    assert tflm.kernel_defines("cmsis_nn") == ["CMSIS_NN"] and tflm.kernel_defines("reference") == []


def test_a_tree_made_for_optimized_kernels_defaults_to_them(tmp_path):
    tree = _fake_tree(tmp_path, specialized=True)
    (tmp_path / "third_party/cmsis_nn/Include").mkdir(parents=True)
    (tmp_path / "third_party/cmsis_nn/Include/arm_nnfunctions.h").write_text("")
    (tmp_path / "third_party/cmsis_nn/Source/ConvolutionFunctions").mkdir(parents=True)
    for name in ("arm_convolve_s8.c", "arm_convolve_f32.c"):
        (tmp_path / "third_party/cmsis_nn/Source/ConvolutionFunctions" / name).write_text("")
    tree = tflm.find_tree(str(tmp_path))
    assert tflm.choose_kernels(tree) == "cmsis_nn"
    sources = [os.path.basename(f) for f in tflm.library_sources(tree, "cmsis_nn")]
    assert "arm_convolve_s8.c" in sources and "arm_convolve_f32.c" not in sources
    with pytest.raises(UserError, match="OPTIMIZED_KERNEL_DIR=cmsis_nn"):
        tflm.choose_kernels(tree, "reference")


def test_without_a_tree_the_error_says_how_to_make_one(monkeypatch, tmp_path):
    monkeypatch.delenv("TFLM_ROOT", raising=False)
    with pytest.raises(UserError) as e:
        tflm.find_tree("")
    assert "create_tflm_tree.py /path/to/tree" in str(e.value) and "TFLM_ROOT" in str(e.value)
    with pytest.raises(UserError, match="is not a TensorFlow Lite Micro source tree"):
        tflm.find_tree(str(tmp_path))
