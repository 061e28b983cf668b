"""runtime=tflm: TensorFlow Lite Micro compiled from a tree the user gives (tflm=PATH or TFLM_ROOT).

Without a tree, the op-resolver generation, the source listing and the errors are
tested on their own; the builds (host and loongarch64, bit-exact with the TFLite
Micro interpreter, the library built once for every model) need TFLM_ROOT. They use
the kernels the tree was made for: a tree made with OPTIMIZED_KERNEL_DIR=cmsis_nn runs
CMSIS-NN's portable C code there. With such a tree, cortex-m55 is built and verified
with CMSIS-NN's Helium (MVE) code too.
"""

import json
import os
import re
import subprocess
import sys

import numpy as np
import pytest

from conftest import copy_project, scons, shared_file
from nnbuild.runtimes.tflm import glue as tflm
from nnbuild.errors import UserError
from nnbuild.render import render_template
from nnbuild.tflite_model import read_model
from tflite_builder import T, build_model, options

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


def _fc_softmax_model():
    """x[1,4] -> FULLY_CONNECTED -> SOFTMAX -> FULLY_CONNECTED -> y[1,3]: three nodes, two operators."""
    w1 = np.arange(16, dtype=np.int8).reshape(4, 4)
    w2 = np.ones((3, 4), dtype=np.int8)
    tensors = [T((1, 4), scale=0.1, name="x"), T((4, 4), scale=0.01, data=w1, name="w1"),
               T((1, 4), scale=0.2, name="h"), T((1, 4), scale=1 / 256, zero_point=-128, name="p"),
               T((3, 4), scale=0.01, data=w2, name="w2"), T((1, 3), scale=0.1, name="y")]
    ops = [("FULLY_CONNECTED", "FullyConnectedOptions", options("FullyConnectedOptions"), [0, 1, -1], [2]),
           ("SOFTMAX", "SoftmaxOptions", options("SoftmaxOptions", beta=1.0), [2], [3]),
           ("FULLY_CONNECTED", "FullyConnectedOptions", options("FullyConnectedOptions"), [3, 4, -1], [5])]
    return build_model(ops, tensors, [0], [5])


# --- without a tree ---------------------------------------------------------------

@pytest.mark.unit
def test_resolver_methods_are_read_from_the_header():
    methods = tflm.resolver_methods(HEADER)
    assert methods == {"ADD": "AddAdd", "FULLY_CONNECTED": "AddFullyConnected",
                       "CUSTOM:TFLite_Detection_PostProcess": "AddDetectionPostprocess",
                       "CUSTOM:SignalWindow": None, "SOFTMAX": "AddSoftmax"}


@pytest.mark.unit
def test_resolver_holds_exactly_the_models_operators():
    nodes = tflm.model_operators(read_model(_fc_softmax_model(), "net.tflite"))
    assert [op for _, op in nodes] == ["FULLY_CONNECTED", "SOFTMAX", "FULLY_CONNECTED"]
    calls = tflm.resolver_calls(nodes, tflm.resolver_methods(HEADER), "net.tflite", "/tree")
    assert calls == ["AddFullyConnected()", "AddSoftmax()"]      # once each, in first-use order
    # An operator whose nodes are all int8 takes the tree's int8-only registration, if it has one.
    assert tflm.int8_only_operators(read_model(_fc_softmax_model())) == {"FULLY_CONNECTED", "SOFTMAX"}
    calls = tflm.resolver_calls(nodes, tflm.resolver_methods(HEADER), "net.tflite", "/tree", {"FULLY_CONNECTED"})
    assert calls == ["AddFullyConnected(tflite::Register_FULLY_CONNECTED_INT8())", "AddSoftmax()"]


@pytest.mark.unit
def test_an_operator_the_tree_lacks_is_a_build_error_naming_it():
    data = build_model([("FLOOR", None, None, [0], [1])],
                       [T((1, 4), scale=0.1, name="x"), T((1, 4), scale=0.1, name="floored")], [0], [1])
    nodes = tflm.model_operators(read_model(data, "floor.tflite"))
    with pytest.raises(UserError) as e:
        tflm.resolver_calls(nodes, tflm.resolver_methods(HEADER), "floor.tflite", "/tree")
    message = str(e.value)
    assert "floor.tflite: node 0 (FLOOR, output 'floored') uses operator FLOOR" in message
    assert "/tree" in message and "micro_mutable_op_resolver.h" in message


@pytest.mark.unit
def test_a_signal_operator_is_refused():
    with pytest.raises(UserError, match="signal library"):
        tflm.resolver_calls([("node 0 (CUSTOM:SignalWindow, output 'w')", "CUSTOM:SignalWindow")],
                            tflm.resolver_methods(HEADER), "s.tflite", "/tree")


@pytest.mark.unit
def test_glue_registers_the_operators_and_aligns_model_and_arena():
    context = {"model": "net", "MODEL": "NET", "origin": "net.tflite", "arena_size": 4096,
               "tflm_measured": 3000, "resolver_calls": ["AddFullyConnected()", "AddSoftmax()"],
               "input": {"qmin": -128, "qmax": 127}, "kernel_headers": []}
    glue = render_template("tflm/model.cc.j2", **context)
    assert "tflite::MicroMutableOpResolver<2>" in glue
    assert re.findall(r"resolver->(Add\w+)\(\)", glue) == ["AddFullyConnected", "AddSoftmax"]
    assert "alignas(16) uint8_t net_arena[NET_ARENA_SIZE]" in glue
    assert "malloc" not in glue and "FILE" not in glue
    # the input goes into the input tensor before every Invoke
    invoke = glue[glue.index("int net_invoke("):glue.index("net_round")]
    assert invoke.index("memcpy(net_input_tensor") < invoke.index("Invoke()")
    data = render_template("model_data.cc.j2", model="net", origin="net.tflite", runtime="tflm", size=2,
                           rows=["0x01, 0x02"])
    assert "alignas(16) const unsigned char net_model_data[2]" in data


@pytest.mark.unit
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


@pytest.mark.unit
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


@pytest.mark.unit
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


@pytest.mark.unit
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


@pytest.mark.unit
def test_without_a_tree_the_error_says_how_to_make_one(monkeypatch, tmp_path):
    monkeypatch.delenv("TFLM_ROOT", raising=False)
    with pytest.raises(UserError) as e:
        tflm.find_tree("")
    assert "create_tflm_tree.py /path/to/tree" in str(e.value) and "TFLM_ROOT" in str(e.value)
    with pytest.raises(UserError, match="is not a TensorFlow Lite Micro source tree"):
        tflm.find_tree(str(tmp_path))


@pytest.mark.slow
def test_scons_without_a_tree_stops_with_one_clean_error(tmp_path):
    repo = copy_project(str(tmp_path))
    env = {k: v for k, v in os.environ.items() if k != "TFLM_ROOT"}
    proc = subprocess.run([sys.executable, "-m", "SCons", "-Q", "target=host", "runtime=tflm"],
                          cwd=repo, capture_output=True, text=True, env=env)
    assert proc.returncode != 0
    errors = [line for line in (proc.stdout + proc.stderr).splitlines() if line.startswith("nnbuild: error:")]
    assert len(errors) == 1 and "create_tflm_tree.py" in errors[0], proc.stderr
    assert "Traceback" not in proc.stderr


# --- with a tree (TFLM_ROOT) ---------------------------------------------------------

TREE = os.environ.get("TFLM_ROOT", "")
needs_tree = pytest.mark.skipif(not TREE, reason="TFLM_ROOT is not set. " + tflm.NO_TREE)
TARGETS = "target=host,loongarch64"


def _steps(proc):
    return [line for line in proc.stdout.splitlines() if re.match(r"\[\w+\] ", line)]


@pytest.fixture(scope="module")
def tflm_project(tmp_path_factory):
    if not TREE:
        pytest.skip("TFLM_ROOT is not set. " + tflm.NO_TREE)
    shared_file("af_detection", "ecg_eval.npz")
    repo = copy_project(str(tmp_path_factory.mktemp("tflm")))
    first = scons(repo, "-j2", TARGETS, "runtime=tflm", f"tflm={TREE}", "model=af_detection")
    return repo, first


def _check_verified(repo, target, model):
    folder = os.path.join(repo, "build", target, "tflm", model)
    with open(os.path.join(folder, "verify.json")) as f:
        verify = json.load(f)
    assert verify["bit_exact"] and verify["mismatches"] == 0 and verify["vectors"] > 0
    with open(os.path.join(folder, "size.json")) as f:
        size = json.load(f)
    assert size["flash"]["components"]["tflm"] > 10_000
    assert size["arena"]["tflm"] > 0 and size["arena"]["bytes"] >= size["arena"]["tflm"]
    assert size["ram"]["components"]["arena"] == size["arena"]["bytes"]
    return size


@pytest.mark.slow
@needs_tree
def test_af_detection_is_bit_exact_on_host_and_loongarch64(tflm_project):
    repo, first = tflm_project
    steps = _steps(first)
    assert sum(1 for s in steps if s.startswith("[ar] ") and s.endswith("libtflm.a")) == 2   # once per target
    assert not any("aot" in s for s in steps)        # the aot runtime is not built
    for target in ("host", "loongarch64"):
        _check_verified(repo, target, "af_detection")
        assert re.search(rf"{target} \(zig\): build/{target}/tflm/af_detection/firmware", first.stdout)
    assert first.stdout.count("verify: bit-exact") == 2
    assert re.search(r"arena \d+ B \(lower bound \d+ B, TFLite Micro \d+ B\)", first.stdout)


@pytest.mark.slow
@needs_tree
def test_a_second_model_reuses_the_library(tflm_project):
    repo, _ = tflm_project
    kws = "model=../shared/models/kws_ref_model.tflite"
    shared_file("models", "kws_ref_model.tflite")
    second = scons(repo, "-j2", TARGETS, "runtime=tflm", f"tflm={TREE}", kws)
    steps = _steps(second)
    assert not any(TREE in s or "libtflm.a" in s for s in steps), steps   # no TFLM source compiled, no archive
    assert any(s.startswith("[link] ") for s in steps)
    for target in ("host", "loongarch64"):
        _check_verified(repo, target, "kws_ref_model")
    # Nothing left to do for either model.
    assert scons(repo, "-q", TARGETS, "runtime=tflm", f"tflm={TREE}", kws, check=False).returncode == 0
    assert scons(repo, "-q", TARGETS, "runtime=tflm", f"tflm={TREE}", "model=af_detection",
                 check=False).returncode == 0


@pytest.mark.slow
@needs_tree
def test_a_model_change_does_not_recompile_tflm(tflm_project, tmp_path):
    repo, _ = tflm_project
    model = tmp_path / "net.tflite"
    model.write_bytes(_fc_softmax_model())
    first = scons(repo, "-j2", "target=host", "runtime=tflm", f"tflm={TREE}", f"model={model}")
    assert not any(TREE in s for s in _steps(first))
    w = np.full((4, 4), 3, dtype=np.int8)   # new weights, same operators
    data = _fc_softmax_model().replace(np.arange(16, dtype=np.int8).tobytes(), w.tobytes())
    model.write_bytes(data)
    second = scons(repo, "target=host", "runtime=tflm", f"tflm={TREE}", f"model={model}")
    steps = _steps(second)
    assert any(s.startswith("[carray] ") for s in steps) and any(s.startswith("[link] ") for s in steps)
    assert not any(TREE in s or "libtflm.a" in s for s in steps), steps
    assert "verify: bit-exact" in second.stdout


def _cmsis_nn_skip_reason():
    """Why the CMSIS-NN build cannot be tested with TFLM_ROOT, or "" when it can."""
    if not TREE:
        return "TFLM_ROOT is not set. " + tflm.NO_TREE
    try:
        tflm.choose_kernels(tflm.find_tree(TREE), "cmsis_nn")
    except UserError as e:
        return f"TFLM_ROOT={TREE} was not made for CMSIS-NN kernels: {e}"
    return ""


def _mve_instructions(elf, function):
    """Helium (MVE) instructions in the disassembly of one function of the firmware."""
    listing = subprocess.run(["arm-none-eabi-objdump", "-d", f"--disassemble={function}", elf],
                             capture_output=True, text=True, check=True).stdout
    return re.findall(r"\t(vldrb|vldrw|vmlava|vmladava|vaddva|vqrdmulh|vstrb|dlstp|letp|wlstp)\S*", listing)


@pytest.mark.slow
@pytest.mark.skipif(bool(_cmsis_nn_skip_reason()), reason=_cmsis_nn_skip_reason())
def test_cmsis_nn_on_cortex_m55_uses_helium_and_is_bit_exact(tflm_project):
    repo, _ = tflm_project
    proc = scons(repo, "target=cortex-m55", "runtime=tflm", f"tflm={TREE}", "tflm_kernels=cmsis_nn",
                 "model=af_detection")
    steps = _steps(proc)
    assert any(s.startswith("[ar] ") and "/tflm-cmsis_nn-" in s and s.endswith("libtflm.a") for s in steps)
    assert any("arm_convolve_s8.c" in s for s in steps)      # CMSIS-NN's own sources are in the library
    assert "verify: bit-exact" in proc.stdout
    size = _check_verified(repo, "cortex-m55", "af_detection")
    assert size["arena"]["kernel_scratch"] > 0            # room for CMSIS-NN's scratch buffers
    with open(os.path.join(repo, "build", "models", "af_detection", "tflm", "tflm_info.json")) as f:
        assert json.load(f)["kernels"] == "cmsis_nn"
    # -mcpu=cortex-m55 -mfloat-abi=hard defines __ARM_FEATURE_MVE, so CMSIS-NN takes its
    # ARM_MATH_MVEI paths: its int8 matrix multiply is Helium code.
    elf = os.path.join(repo, "build", "cortex-m55", "tflm", "af_detection", "firmware.elf")
    assert len(_mve_instructions(elf, "arm_nn_mat_mult_nt_t_s8")) >= 4
