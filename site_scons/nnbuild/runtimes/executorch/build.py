"""runtime=executorch in the build graph: the program and glue per model, the runtime per target.

With an ExecuTorch source tree (executorch=PATH or EXECUTORCH_ROOT) every target
compiles it with its own toolchain: the core runtime once per target, and per
model only the portable kernels the program uses (tree.py). Without
one, the host links the executorch package's own shared runtime (built for
x86_64 glibc, so with the host's GNU toolchain); cross targets need a tree.
"""

import hashlib
import os
import shlex

from nnbuild import build_folder, datasets
from nnbuild.runtimes.executorch import sources as executorch_sources, tree as executorch_tree
from nnbuild.errors import UserError
from nnbuild.pytorch_model import pytorch_source
from nnbuild.runtimes.tree_library import tree_env, tree_library
from nnbuild.scons_actions import settings_node
from nnbuild.toolchain import reproducible_paths

COMPONENT = "executorch"


def build_program(env, spec, opts):
    """The .pte and program.json of a model folder given as PyTorch (pytorch_model.py): float, or
    int8 with quantize=int8 (PT2E, calibrated on the model's calibration data); and its
    PytorchSource."""
    if not spec.folder:
        raise UserError(f"model={spec.source}: runtime=executorch exports from PyTorch, so it needs a "
                        "model folder with model.py (build_model(), example_input()) and model.pt "
                        "(the trained state_dict); use runtime=aot or tflm for a model file.")
    if opts["quantize"] not in ("", "int8"):
        raise UserError(f"quantize={opts['quantize']} with runtime=executorch: ExecuTorch programs are float "
                        "(the default) or int8 (quantize=int8); 16x8 and auto are for runtime=aot and tflm.")
    pytorch = pytorch_source(spec.folder, spec.config, "runtime=executorch")
    settings = {"model": spec.name, "precision": "int8" if opts["quantize"] == "int8" else "float32",
                "pytorch": pytorch.settings()}
    sources = pytorch.files()
    if settings["precision"] == "int8":
        settings["calibration"] = datasets.calibration_source(spec, opts["calibration"])
        settings["samples"] = datasets.calibration_count(spec)
        sources += [f for f in [datasets.calibration_dependency(settings["calibration"])] if f]
    folder = f"{build_folder.root()}/models/{spec.name}"
    pte, program_json = env.ExecutorchProgram(f"{folder}/{spec.name}.pte", [*sources, settings_node(env, settings)])
    return pte, program_json, pytorch


def declare_glue(env, opts, model):
    """The C API header, glue and program array (target independent), and with a source
    tree the include folders and the selective kernel registration of the program."""
    tree = executorch_sources.find_tree(opts["executorch"], "") if opts["executorch"] else None
    folder = f"{build_folder.root()}/models/{model.name}"
    settings = settings_node(env, {"model": model.name, "tools_dir": f"{build_folder.root()}/tools",
                                   "register_kernels": bool(tree)})
    header, glue, info = env.ExecutorchGlue(f"{folder}/executorch/{model.name}.h",
                                            [model.parts["program"], model.parts["program_json"], settings])
    data = env.ModelData(f"{folder}/{model.name}_pte.cc",
                         [model.parts["program"], settings_node(env, {"model": model.name, "runtime": COMPONENT})])[0]
    parts = {"header": header, "glue": glue, "data": data, "info": info, "tree": tree}
    if tree:
        parts["includes"], parts["tree_steps"] = _tree_includes(env, tree)
        gen = f"{folder}/executorch/selected"
        parts["selected"] = gen
        parts["registration"], parts["registration_header"], parts["kernels_json"] = env.ExecutorchSelective(
            [f"{gen}/RegisterKernelsEverything.cpp", f"{gen}/RegisterKernels.h", f"{gen}/kernels.json"],
            [model.parts["program"], settings_node(env, {"tree": tree})])
    return parts


def uses_package(target, tree_option):
    """Whether `target` links the executorch package's runtime (no tree given, host target)."""
    return not tree_option and target.family == "linux" and not target.emulator


def toolchain_for(target, opts):
    """The toolchain runtime=executorch builds `target` with; UserError if it cannot."""
    if target.family != "linux":
        raise UserError(f"runtime=executorch for target {target.name}: only Linux targets are "
                        "supported (host, loongarch64, milkv-duo, rpi4); use runtime=aot or tflm "
                        "for bare metal.")
    if not uses_package(target, opts["executorch"]):
        return opts["toolchain"] or target.toolchain
    if opts["toolchain"] == "zig":
        raise UserError(f"runtime=executorch toolchain=zig for target {target.name}: the executorch "
                        "package's runtime is a set of glibc shared libraries built with GNU C++, which "
                        "zig's static musl and libc++ cannot link; leave toolchain= unset (gnu) or give "
                        "executorch=PATH to compile an ExecuTorch source tree.")
    return "gnu"


def _tree_paths(root):
    """Include folders for a tree: <executorch/...> resolves from the tree's parent when the
    tree's folder is called executorch, else through a link to it (made by a step); then the
    schema headers flatc generates, c10, flatbuffers. And what compiling with them waits
    for: the link's record, if any, and the schema headers."""
    folder = f"{build_folder.root()}/tools/executorch-{hashlib.sha256(root.encode()).hexdigest()[:8]}"
    linked = os.path.basename(root) != "executorch"
    includes = [f"#{folder}/src" if linked else os.path.dirname(root), f"#{folder}/include",
                os.path.join(root, "runtime", "core", "portable_type", "c10"),
                os.path.join(root, "third-party", "flatbuffers", "include")]
    schema = [f"{folder}/include/executorch/schema/{name}_generated.h" for name in ("program", "scalar_type")]
    return folder, includes, [f"{folder}/src/executorch.txt"] * linked + schema


def _tree_includes(env, root):
    """The include folders of the tree, and the steps making the link (if it needs one) and
    the schema headers, declared by every model with the same env (SCons takes them once).
    A linked tree's objects compile once more in the build after the first: SCons only
    finds their headers through the link once it exists."""
    folder, includes, prepared = _tree_paths(root)
    steps = env.ExecutorchSchema(prepared[-2:], executorch_tree.schema_files(root))
    if len(prepared) > 2:
        steps += env.ExecutorchTreeLink(prepared[0], settings_node(env, {"root": root,
                                                                         "link": f"{folder}/src/executorch"}))
    return includes, steps


def _tree_env(tenv, root, includes):
    """The target's environment with ExecuTorch's flags, defines and include folders."""
    return tree_env(tenv, root, COMPONENT, includes, executorch_tree.DEFINES, executorch_tree.UNDEFINES,
                    executorch_tree.CXX_FLAGS)


def build_runtime_library(tenv, opts, target):
    """With a source tree: the core runtime and the kernels' utilities for the target, one
    archive per (tree, toolchain) shared by every model. None when the target links the
    executorch package's runtime."""
    if uses_package(target, opts["executorch"]):
        return None
    root = executorch_sources.find_tree(opts["executorch"], target.name)
    _, includes, prepared = _tree_paths(root)  # their steps: declared with the model's glue
    sources = executorch_tree.core_sources(root) + executorch_tree.util_sources(root)
    library, objects = tree_library(_tree_env(tenv, root, includes), opts, target, root, sources, COMPONENT)
    tenv.Depends(objects, [tenv.File(path) for path in prepared])
    return library


def _kernel_library(lenv, model, out):
    """The portable kernels of exactly the program's operators, registered by
    the generated RegisterKernelsEverything.cpp (ExecuTorch's selective build)."""
    parts, root = model.parts, model.parts["tree"]
    kenv = lenv.Clone()
    # A step outside SCons' compile actions: include folders as paths from the project root.
    kenv.Replace(CPPPATH=[kenv.Dir(d).path for d in [f"#{parts['selected']}", *lenv["CPPPATH"]]])
    # Only kernels.json as a source: it changes whenever the generated registration does,
    # and SCons would otherwise scan the generated .cpp for headers it does not know yet.
    settings = {"tree": root, "registration": parts["registration"].path,
                "verbose": bool(lenv.get("NNBUILD_VERBOSE")),
                "compile": shlex.split(kenv.subst("$CXX $CXXFLAGS $CCFLAGS $_CCCOMCOM")),
                "ar": shlex.split(kenv.subst("$AR"))}
    library = kenv.ExecutorchKernels(f"{out}/kernels/libkernels.a",
                                     [parts["kernels_json"], settings_node(kenv, settings)])[0]
    kenv.Depends(library, [os.path.join(root, executorch_tree.OPERATOR_REGISTRY), parts["tree_steps"]])
    return library


def link_model(tenv, opts, model, runtime_lib, out):
    """Objects, libraries, size-report components and the memory info (executorch_info.json)
    of model's firmware with runtime=executorch; points tenv at the glue's header and
    links with the C++ driver."""
    parts = model.parts
    header_dir = parts["header"].dir  # a node: the build folder may be outside the checkout (project=)
    if runtime_lib:
        lenv = _tree_env(tenv, parts["tree"], parts["includes"])
        kernels_lib = _kernel_library(lenv, model, out)
        genv = lenv.Clone()
        genv.Prepend(CPPPATH=[header_dir, f"#{parts['selected']}"])
        genv.Append(CCFLAGS=reproducible_paths(genv))
        libraries = [kernels_lib, runtime_lib]
        components = {str(kernels_lib): "kernels", str(runtime_lib): COMPONENT}
    else:
        root = executorch_sources.package_root()
        if root is None:
            raise UserError(executorch_sources.NO_PACKAGE)
        flags = executorch_sources.package_flags(root)
        genv = tenv.Clone()
        genv.Prepend(CPPPATH=[header_dir, *flags["includes"]])
        genv.Append(CPPDEFINES=flags["defines"], CXXFLAGS=["-std=c++17", "-fno-exceptions", "-fno-rtti"])
        # A dynamic executable: the package's libraries are shared objects.
        tenv.Replace(LINKFLAGS=[*[f for f in tenv["LINKFLAGS"] if f != "-static"], *flags["linkflags"]],
                     STRIPLINKFLAGS=[*[f for f in tenv["STRIPLINKFLAGS"] if f != "-static"], *flags["linkflags"]])
        libraries, components = [], {}
    glue_o = genv.Object(f"{out}/obj/{model.name}_executorch.o", parts["glue"])
    if runtime_lib:
        genv.Depends(glue_o, [parts["registration_header"], parts["tree_steps"]])
    data_o = genv.Object(f"{out}/obj/{model.name}_pte.o", parts["data"])
    tenv.Prepend(CPPPATH=[header_dir])  # the runner includes this runtime's <model>.h
    tenv.Replace(LINK="$CXX")
    components.update({str(glue_o[0]): "model code", str(data_o[0]): "model weights"})
    return [glue_o, data_o], libraries, components, parts["info"]
