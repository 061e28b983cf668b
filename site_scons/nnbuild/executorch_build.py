"""runtime=executorch in the build graph: the program and glue per model, the runtime per target.

Without an ExecuTorch source tree the firmware links the executorch package's own
shared runtime, built for x86_64 glibc: that serves the host target, with the
host's GNU toolchain. (Cross targets compile a tree: see executorch_tree.py.)
"""

import os

from nnbuild import executorch
from nnbuild.errors import UserError
from nnbuild.scons_actions import settings_node

BUILD = "build"
COMPONENT = "executorch"


def build_program(env, spec):
    """The .pte and program.json of a model folder with model.py and model.pt."""
    if not spec.folder:
        raise UserError(f"model={spec.source}: runtime=executorch exports from PyTorch, so it needs a "
                        "model folder with model.py (build_model(), example_input()) and model.pt "
                        "(the trained state_dict); use runtime=aot or tflm for a model file.")
    script, weights = executorch.pytorch_files(spec.folder)
    folder = f"{BUILD}/models/{spec.name}"
    pte, program_json = env.ExecutorchProgram(f"{folder}/{spec.name}.pte",
                                              [script, weights, settings_node(env, {"model": spec.name})])
    return pte, program_json, script, weights


_declared_glue = {}  # model -> the glue's nodes: declared by the first target, shared by the others


def _model_glue(env, model):
    if model.name not in _declared_glue:
        folder = f"{BUILD}/models/{model.name}"
        settings = settings_node(env, {"model": model.name, "tools_dir": f"{BUILD}/tools"})
        header, glue, info = env.ExecutorchGlue(f"{folder}/executorch/{model.name}.h",
                                                [model.program, model.program_json, settings])
        data = env.ModelData(f"{folder}/{model.name}_pte.cc",
                             [model.program, settings_node(env, {"model": model.name, "runtime": COMPONENT})])[0]
        _declared_glue[model.name] = (header, glue, data, info)
    return _declared_glue[model.name]


def uses_package(target, tree_option):
    """Whether `target` links the executorch package's runtime (no tree given, host target)."""
    return not tree_option and target.family == "linux" and not target.emulator


def toolchain_for(target, opts):
    """The toolchain runtime=executorch builds `target` with; UserError if it cannot."""
    if not uses_package(target, opts["executorch"]):
        if target.family != "linux":
            raise UserError(f"runtime=executorch for target {target.name}: only Linux targets are "
                            "supported (host, loongarch64, milkv-duo, rpi4); use runtime=aot or tflm "
                            "for bare metal.")
        return opts["toolchain"] or target.toolchain
    if opts["toolchain"] == "zig":
        raise UserError(f"runtime=executorch toolchain=zig for target {target.name}: the executorch "
                        "package's runtime is a set of glibc shared libraries built with GNU C++, which "
                        "zig's static musl and libc++ cannot link; leave toolchain= unset (gnu) or give "
                        "executorch=PATH to compile an ExecuTorch source tree.")
    return "gnu"


def build_executorch_sources(tenv, opts, target, model, out):
    """Objects, libraries, size-report components and the memory info (executorch_info.json)
    of model's firmware with runtime=executorch; points tenv at the glue's header and
    links with the C++ driver."""
    if not uses_package(target, opts["executorch"]):
        executorch.find_tree(opts["executorch"], target.name)
        raise UserError("runtime=executorch from a source tree: not yet wired")
    if "ExecutorchGlue" not in tenv["BUILDERS"]:
        tenv.Tool("nnbuild_executorch")
    header, glue, data, info = _model_glue(tenv, model)
    root = executorch.package_root()
    if root is None:
        raise UserError(executorch.NO_PACKAGE)
    flags = executorch.package_flags(root)
    header_dir = f"#{os.path.dirname(str(header))}"
    genv = tenv.Clone()
    genv.Prepend(CPPPATH=[header_dir, *flags["includes"]])
    genv.Append(CPPDEFINES=flags["defines"], CXXFLAGS=["-std=c++17", "-fno-exceptions", "-fno-rtti"])
    glue_o = genv.Object(f"{out}/obj/{model.name}_executorch.o", glue)
    data_o = genv.Object(f"{out}/obj/{model.name}_pte.o", data)
    tenv.Prepend(CPPPATH=[header_dir])  # the runner includes this runtime's <model>.h
    # A dynamic executable: the package's libraries are shared objects.
    dynamic = [f for f in tenv["LINKFLAGS"] if f != "-static"]
    tenv.Replace(LINK="$CXX", LINKFLAGS=[*dynamic, *flags["linkflags"]],
                 STRIPLINKFLAGS=[*[f for f in tenv["STRIPLINKFLAGS"] if f != "-static"], *flags["linkflags"]])
    components = {str(glue_o[0]): "model code", str(data_o[0]): "model weights"}
    return [glue_o, data_o], [], components, info
