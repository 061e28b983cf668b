"""runtime=tflm: TensorFlow Lite Micro, compiled from a source tree the user points to.

Plain Python, no SCons: find and check the tree (`find_tree`), list its library
sources with an optimized kernel directory replacing reference kernels of the
same name (`library_sources`, like TFLM's OPTIMIZED_KERNEL_DIR), read which
operators its MicroMutableOpResolver can add (`resolver_methods`), and generate
a model's glue: the op resolver holding exactly the model's operators, the
model as an aligned array, and the arena size measured with the TFLite Micro
interpreter (`tflm_model_step`). The SCons wiring is in
nnbuild.runtimes.tflm.build and site_tools/nnbuild_tflm.py.
"""

import glob
import json
import os
import re
from dataclasses import dataclass, field

import numpy as np

from nnbuild.c_literals import C_TYPES, c_float
from nnbuild.errors import UserError
from nnbuild.files import write_atomically
from nnbuild.render import render_template

MICRO = "tensorflow/lite/micro"
RESOLVER_HEADER = f"{MICRO}/micro_mutable_op_resolver.h"
REFERENCE = "reference"
# Flags of the TFLM library and of every file that includes TFLM headers: the
# static-memory build TFLM's own Makefile makes for microcontrollers, for size.
# C++-only flags go to CXX_FLAGS: the C sources of an optimized kernel set's library
# (CMSIS-NN) would otherwise get a gcc warning per file for each of them.
COMPILE_FLAGS = ["-Os", "-ffunction-sections", "-fdata-sections", "-fno-exceptions", "-fno-unwind-tables"]
CXX_FLAGS = ["-std=c++17", "-fno-rtti", "-fno-threadsafe-statics"]
DEFINES = ["TF_LITE_STATIC_MEMORY", "NDEBUG", "TF_LITE_STRIP_ERROR_STRINGS"]
# Subfolders of kernels/ that hold test data, not an optimized kernel set.
_NOT_KERNEL_DIRS = {"testdata", "test_data_generation"}
IO_TYPES = ("int8", "int16")  # of the C API's input and output

HOW_TO_MAKE_A_TREE = (
    "Make one from a tflite-micro checkout with `python3 tensorflow/lite/micro/tools/"
    "project_generation/create_tflm_tree.py /path/to/tree` (for CMSIS-NN kernels add "
    "--makefile_options=\"OPTIMIZED_KERNEL_DIR=cmsis_nn\"), then build with tflm=/path/to/tree "
    "or set TFLM_ROOT=/path/to/tree. nnbuild does not ship TFLM; it compiles the tree once per "
    "target into build/<target>/lib/ and reuses it for every model.")
NO_TREE = ("runtime=tflm links TensorFlow Lite Micro compiled from a TFLM source tree, and none "
           "was given (option tflm=PATH, or environment variable TFLM_ROOT). " + HOW_TO_MAKE_A_TREE)


@dataclass
class Tree:
    """A TFLM source tree: its root and the include folders its sources need."""
    root: str
    includes: list                                       # absolute folders, root first
    third_party: dict = field(default_factory=dict)      # name -> folder (flatbuffers, gemmlowp, ruy, cmsis_nn, cmsis)

    def path(self, *parts):
        return os.path.join(self.root, *parts)


def _third_party(root, name, marker):
    """The folder of a third-party library: third_party/<name> in a tree made by
    create_tflm_tree.py, or the Makefile's downloads folder in a tflite-micro checkout."""
    for base in (os.path.join(root, "third_party"), os.path.join(root, MICRO, "tools", "make", "downloads")):
        folder = os.path.join(base, name)
        if os.path.isfile(os.path.join(folder, marker)):
            return folder
    return None


def find_tree(option=""):
    """The tree named by tflm=PATH, else by TFLM_ROOT; UserError saying how to make one."""
    given = option or os.environ.get("TFLM_ROOT", "")
    if not given:
        raise UserError(NO_TREE)
    root = os.path.abspath(os.path.expanduser(given))
    where = f"tflm={given}" if option else f"TFLM_ROOT={given}"
    if not os.path.isfile(os.path.join(root, MICRO, "micro_interpreter.h")):
        raise UserError(f"{where}: {root} is not a TensorFlow Lite Micro source tree (it has no "
                        f"{MICRO}/micro_interpreter.h). " + HOW_TO_MAKE_A_TREE)
    needed = {"flatbuffers": "include/flatbuffers/flatbuffers.h",
              "gemmlowp": "fixedpoint/fixedpoint.h",
              "ruy": "ruy/profiler/instrumentation.h"}
    found = {name: _third_party(root, name, marker) for name, marker in needed.items()}
    missing = [f"third_party/{name}" for name, folder in found.items() if folder is None]
    if missing:
        raise UserError(f"{where}: the TFLM tree {root} lacks {', '.join(missing)} (TFLM's "
                        "third-party headers). " + HOW_TO_MAKE_A_TREE)
    for name, marker in (("cmsis_nn", "Include/arm_nnfunctions.h"), ("cmsis", "CMSIS/Core/Include/cmsis_compiler.h"),
                         ("kissfft", "kiss_fft.h")):
        if folder := _third_party(root, name, marker):
            found[name] = folder
    includes = [root, os.path.join(found["flatbuffers"], "include"), found["gemmlowp"], found["ruy"]]
    return Tree(root=root, includes=includes, third_party=found)


def kernel_dirs(tree):
    """The optimized kernel folders of the tree (kernels/<name>/ with sources), sorted."""
    kernels = tree.path(MICRO, "kernels")
    return sorted(d for d in os.listdir(kernels) if d not in _NOT_KERNEL_DIRS
                  and os.path.isdir(os.path.join(kernels, d))
                  and any(f.endswith((".cc", ".c")) for f in os.listdir(os.path.join(kernels, d))))


def _specialized_for(tree):
    """The optimized kernel folder the tree was made for (create_tflm_tree.py with
    OPTIMIZED_KERNEL_DIR keeps its kernels instead of the reference ones), or None."""
    kernels = tree.path(MICRO, "kernels")
    for d in kernel_dirs(tree):
        names = [f for f in os.listdir(os.path.join(kernels, d)) if f.endswith(".cc")]
        if any(not os.path.exists(os.path.join(kernels, f)) for f in names):
            return d
    return None


def choose_kernels(tree, asked=""):
    """The kernel set to build: `asked` (tflm_kernels=), by default the one the tree was
    made for, else reference. UserError if the tree cannot provide it."""
    specialized = _specialized_for(tree)
    kernels = asked or specialized or REFERENCE
    available = kernel_dirs(tree)
    if kernels == REFERENCE:
        if specialized:
            raise UserError(f"tflm_kernels=reference: the TFLM tree {tree.root} was made with "
                            f"OPTIMIZED_KERNEL_DIR={specialized}, so some reference kernels are not in "
                            f"it. Build with tflm_kernels={specialized}, or make a tree without "
                            "OPTIMIZED_KERNEL_DIR.")
        return kernels
    if kernels not in available:
        have = ", ".join([REFERENCE, *available])
        raise UserError(f"tflm_kernels={kernels}: the TFLM tree {tree.root} has no optimized kernels "
                        f"{MICRO}/kernels/{kernels}/ (it has: {have}). Make a tree with them: "
                        "create_tflm_tree.py --makefile_options=\"OPTIMIZED_KERNEL_DIR="
                        f"{kernels}\" /path/to/tree.")
    if kernels == "cmsis_nn" and "cmsis_nn" not in tree.third_party:
        raise UserError(f"tflm_kernels=cmsis_nn: the TFLM tree {tree.root} has the CMSIS-NN kernel "
                        "glue but not the CMSIS-NN library (third_party/cmsis_nn/Include/"
                        "arm_nnfunctions.h). Make the tree with create_tflm_tree.py "
                        "--makefile_options=\"OPTIMIZED_KERNEL_DIR=cmsis_nn\", which copies it.")
    return kernels


def _sources_in(folder, recursive=False):
    if not os.path.isdir(folder):
        return []
    if recursive:
        return sorted(os.path.join(d, f) for d, _, files in os.walk(folder) for f in files
                      if f.endswith((".cc", ".c")))
    return sorted(os.path.join(folder, f) for f in os.listdir(folder) if f.endswith((".cc", ".c")))


def _library_file(path):
    """Library sources only: a tflite-micro checkout also has tests and test data beside them."""
    name = os.path.basename(path)
    return "_test" not in name and not name.endswith(("benchmark.cc", "_generated_data.cc"))


def library_sources(tree, kernels=REFERENCE):
    """Absolute paths of the TFLM library's sources, as TFLM's Makefile lists them:
    the interpreter, allocators and planners, the shared TFLite sources outside micro/,
    the reference kernels with those of `kernels` (an optimized folder) replacing the
    ones of the same name, and that folder's third-party library. signal/ is left out."""
    micro = tree.path(MICRO)
    files = []
    for sub in ("", "arena_allocator", "memory_planner", "tflite_bridge"):
        files += _sources_in(os.path.join(micro, sub))
    pruned = {tree.path(MICRO), tree.path("tensorflow", "lite", "experimental")}
    for folder, dirs, names in os.walk(tree.path("tensorflow")):
        dirs[:] = sorted(d for d in dirs if os.path.join(folder, d) not in pruned)
        files += sorted(os.path.join(folder, n) for n in names if n.endswith((".cc", ".c"))
                        and os.path.join(folder, n) != tree.path("tensorflow", "lite", "array.cc"))
    by_name = {os.path.basename(f): f for f in _sources_in(os.path.join(micro, "kernels"))}
    if kernels != REFERENCE:
        for f in _sources_in(os.path.join(micro, "kernels", kernels)):
            by_name[os.path.basename(f)] = f
    files += [by_name[n] for n in sorted(by_name)]
    if kernels == "cmsis_nn" and "cmsis_nn" in tree.third_party:  # choose_kernels insists on it
        files += [f for f in _sources_in(os.path.join(tree.third_party["cmsis_nn"], "Source"), recursive=True)
                  if not f.endswith(("_f16.c", "_f32.c", "arm_nntables_flt.c"))]
    return [f for f in files if _library_file(f)]


def kernel_defines(kernels):
    """Preprocessor defines an optimized kernel set needs, as TFLM's Makefile sets them:
    OPTIMIZED_KERNEL_DIR=cmsis_nn adds -DCMSIS_NN, which the kernel headers (conv.h,
    fully_connected.h, ...) read to declare the optimized variants instead of inline
    aliases of the reference registrations."""
    return [] if kernels == REFERENCE else [kernels.upper()]


def kernel_includes(tree, kernels):
    """Extra include folders an optimized kernel set needs (CMSIS-NN and CMSIS headers)."""
    if kernels != "cmsis_nn":
        return []
    nn = tree.third_party["cmsis_nn"]
    extra = [nn, os.path.join(nn, "Include")]
    if "cmsis" in tree.third_party:
        cmsis = tree.third_party["cmsis"]
        extra += [cmsis, os.path.join(cmsis, "CMSIS", "Core", "Include")]
    return extra


# --- the op resolver -------------------------------------------------------

_ADD_METHOD = re.compile(r"TfLiteStatus\s+(Add\w+)\s*\(")


def resolver_methods(header_text):
    """What each MicroMutableOpResolver::Add* method registers, read from the tree's
    micro_mutable_op_resolver.h: {"CONV_2D": "AddConv2D", "CUSTOM:name": "AddX", ...}.
    Methods of TFLM's signal library (left out of the build) map to None."""
    methods = {}
    starts = [(m.start(), m.group(1)) for m in _ADD_METHOD.finditer(header_text)]
    for (start, name), (end, _) in zip(starts, starts[1:] + [(len(header_text), None)]):
        if name in ("AddCustom", "AddBuiltin"):  # the generic registration functions
            continue
        body = header_text[start:end]
        signal = "tflm_signal::" in body
        if m := re.search(r"BuiltinOperator_(\w+)", body):
            methods.setdefault(m.group(1), None if signal else name)
        elif m := re.search(r'AddCustom\(\s*"([^"]+)"', body):
            methods.setdefault("CUSTOM:" + m.group(1), None if signal else name)
    return methods


def model_operators(model):
    """The operators of a read_model() in graph order, for every subgraph: [(node name, opcode)]."""
    return [(graph.node_name(op), op.opcode) for graph in model.subgraphs for op in graph.operators]


_INT8_REGISTRATION = re.compile(r"TFLMRegistration\s+Register_(\w+)_INT8\(\)")


def int8_registrations(tree_root):
    """Operators whose kernel the tree also registers for int8 alone (Register_<OP>_INT8()
    in kernels/*.h). With CMSIS-NN that links its int8 code only, not its int4, int16 and
    float paths too; in reference trees it is an alias of the full registration.
    Returns {operator: the header declaring it, relative to the tree}."""
    found = {}
    for header in sorted(glob.glob(os.path.join(tree_root, MICRO, "kernels", "*.h"))):
        with open(header) as f:
            for op in _INT8_REGISTRATION.findall(f.read()):
                found.setdefault(op, os.path.relpath(header, tree_root))
    return found


def int8_only_operators(model):
    """Operators every node of which has int8 inputs and outputs (int32 biases aside)."""
    int8, mixed = set(), set()
    for graph in model.subgraphs:
        for op in graph.operators:
            tensors = [graph.tensors[i] for i in [*op.inputs, *op.outputs] if i >= 0]
            activations_int8 = tensors and all(t.dtype in ("int8", "int32") for t in tensors) \
                and tensors[0].dtype == "int8"
            (int8 if activations_int8 else mixed).add(op.opcode)
    return int8 - mixed


def resolver_calls(nodes, methods, path, tree_root, int8=frozenset()):
    """The Add*(...) calls registering exactly the model's operators (first use order), with
    the int8-only registration for the operators in `int8`; UserError naming the first
    node whose operator the tree cannot provide."""
    calls = []
    for node, opcode in nodes:
        if opcode in methods and methods[opcode] is None:
            raise UserError(f"{path}: {node} uses {opcode}, an operator of TFLM's signal library, "
                            "which nnbuild does not compile into the TFLM runtime. Use a model without "
                            "signal-processing operators.")
        if opcode not in methods:
            raise UserError(f"{path}: {node} uses operator {opcode}, which the TFLM tree at {tree_root} "
                            f"does not provide (its {RESOLVER_HEADER} has no Add method for it). Use a "
                            "newer TFLM tree or change the model.")
        call = f"{methods[opcode]}(tflite::Register_{opcode}_INT8())" if opcode in int8 else f"{methods[opcode]}()"
        if call not in calls:
            calls.append(call)
    return calls


# --- the model's glue --------------------------------------------------------

def _io(t, path, kind):
    if t.dtype not in IO_TYPES:
        raise UserError(f"{path}: the model's {kind} tensor '{t.name}' has type {t.dtype}; "
                        "the generated C API takes int8 or int16 (a full-integer quantized model).")
    info = np.iinfo(t.dtype)
    return {"ctype": C_TYPES[t.dtype], "size": int(np.prod(t.shape)), "shape": list(t.shape),
            "scale": c_float(t.scale[0] if len(t.scale) else 0.0),
            "zero_point": int(t.zero_point[0]) if len(t.zero_point) else 0,
            "qmin": int(info.min), "qmax": int(info.max)}


def io_tensors(model):
    """The one input and one output tensor of the main subgraph of a read_model(), for the C API."""
    graph = model.subgraphs[0]
    if len(graph.inputs) != 1 or len(graph.outputs) != 1:
        raise UserError(f"{model.path}: the model has {len(graph.inputs)} inputs and {len(graph.outputs)} "
                        "outputs; the generated C API takes exactly one input and one output tensor.")
    return (_io(graph.tensors[graph.inputs[0]], model.path, "input"),
            _io(graph.tensors[graph.outputs[0]], model.path, "output"))


def _interpreter_runs(model_bytes, arena_size):
    """Whether TFLite Micro's interpreter allocates (AllocateTensors, with its planning
    scratch), takes an input and invokes the model in an arena of arena_size bytes."""
    from tflite_micro.python.tflite_micro import runtime

    try:
        interpreter = runtime.Interpreter.from_bytes(bytes(model_bytes), arena_size=arena_size)
        detail = interpreter.get_input_details(0)
        interpreter.set_input(np.zeros(detail["shape"], detail["dtype"]), 0)
        interpreter.invoke()
        interpreter.get_output(0)
    except Exception:  # RuntimeError from the allocator, ValueError from tensors it could not make
        return False
    return True


# Headroom on the measured arena for TFLM versions other than the tflite-micro package's
# (kernels' persistent data and TFLM's own structures change by a few bytes between
# versions): per operator, plus a fixed part.
HEADROOM_PER_OPERATOR = 32
HEADROOM_FIXED = 256
ALIGNMENT = 16
# Optimized kernels ask for scratch buffers in the arena that the reference kernels of the
# measuring interpreter do not; bounded per operator from its shapes (see _kernel_scratch).
_SCRATCH_OPS = ("CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED", "TRANSPOSE_CONV", "AVERAGE_POOL_2D")


def measure_arena(model_bytes, log_path):
    """The smallest arena (16-byte steps) in which TFLite Micro's interpreter runs the model.

    The interpreter is the tflite-micro package's, on this 64-bit host, with its recording
    allocator: AllocateTensors' planning scratch and the persistent input/output tensors
    are included, and its own bookkeeping is larger than the plain MicroAllocator's; a
    32-bit target's pointers make TFLM's structures smaller still."""
    from nnbuild.native_output import native_output_to

    with native_output_to(log_path):  # the allocator reports each failed attempt on stderr
        high = max(ALIGNMENT, len(model_bytes))
        while not _interpreter_runs(model_bytes, high):
            high *= 2
            if high > 1 << 31:
                raise UserError("TFLite Micro's interpreter cannot run the model in any arena "
                                f"up to 2 GiB; see {log_path}.")
        low = 0  # fails (or is zero)
        while high - low > ALIGNMENT:
            mid = (low + high) // 2 // ALIGNMENT * ALIGNMENT
            if mid <= low:
                break
            if _interpreter_runs(model_bytes, mid):
                high = mid
            else:
                low = mid
    return high


def _kernel_scratch(model, kernels):
    """A bound on the largest scratch buffer an optimized kernel set asks for (0 for the
    reference kernels): CMSIS-NN's im2col and depthwise buffers are at most 4 bytes per
    input channel and filter tap (its MVE paths round the channels up to 124)."""
    if kernels == REFERENCE:
        return 0
    largest = 0
    for graph in model.subgraphs:
        for op in graph.operators:
            if op.opcode not in _SCRATCH_OPS:
                continue
            x = graph.tensors[op.inputs[0]].shape
            w = graph.tensors[op.inputs[1]].shape if len(op.inputs) > 1 and op.inputs[1] >= 0 else ()
            channels = x[-1] if x else 1
            taps = int(np.prod(w[1:-1])) if len(w) == 4 else 1
            largest = max(largest, 4 * max(channels, 124) * taps)
    return largest


def arena_size(measured, operators, kernels_scratch=0):
    """The arena compiled into the firmware: the measured need, optimized kernels'
    scratch, and headroom for the tree's TFLM version, 16-byte aligned."""
    total = measured + kernels_scratch + HEADROOM_FIXED + HEADROOM_PER_OPERATOR * operators
    return -(-total // ALIGNMENT) * ALIGNMENT


def _lower_bound(model):
    """The most tensor bytes alive at any step (nnbuild's planner), or None if it cannot plan the graph."""
    from nnbuild.arena_planner import plan_arena
    from nnbuild.tflite_model import main_graph

    try:
        return plan_arena(main_graph(model), []).lower_bound
    except Exception:  # the planner knows the single-subgraph graphs aot compiles
        return None


def tflm_model_step(targets, sources, settings):
    """<model>.tflite + the tree's resolver header -> <model>.h, <model>_tflm.cc, tflm_info.json."""
    from nnbuild.tflite_model import read_model  # here: declaring a build imports no TFLite package

    header_path, glue_path, info_path = targets
    tflite_path, resolver_header = sources[0], sources[1]
    model = settings["model"]
    with open(tflite_path, "rb") as f:
        data = f.read()
    with open(resolver_header) as f:
        methods = resolver_methods(f.read())
    tflite = read_model(data, tflite_path)
    nodes = model_operators(tflite)
    registrations = int8_registrations(settings["tree"])
    int8 = int8_only_operators(tflite) & set(registrations)
    calls = resolver_calls(nodes, methods, tflite_path, settings["tree"], int8)
    x, y = io_tensors(tflite)
    measured = measure_arena(data, os.path.join(os.path.dirname(info_path), "arena_measure.log"))
    scratch = _kernel_scratch(tflite, settings["kernels"])
    size = arena_size(measured, len(nodes), scratch)
    context = {"model": model, "MODEL": model.upper(), "origin": tflite_path,
               "input": x, "output": y, "arena_size": size, "resolver_calls": calls,
               "runtime": "tflm", "tflm_measured": measured,
               "kernel_headers": sorted({registrations[op] for op in int8})}
    info = {"arena": {"bytes": size, "lower_bound": _lower_bound(tflite), "tflm": measured,
                      "tflm_headroom": size - measured - scratch, "kernel_scratch": scratch},
            "ops": sorted({opcode for _, opcode in nodes}), "resolver": calls,
            "input": x, "output": y, "kernels": settings["kernels"]}
    write_atomically(header_path, render_template("model.h.j2", **context))
    write_atomically(glue_path, render_template("tflm/model.cc.j2", **context))
    write_atomically(info_path, json.dumps(info, indent=2) + "\n")

