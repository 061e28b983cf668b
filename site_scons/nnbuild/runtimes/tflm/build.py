"""runtime=tflm in the build graph: TFLM as a static library per target, and the model's glue.

The library depends only on the tree, the kernel set and the target's toolchain and
flags, never on a model: it is built once under build/<target>/lib/ and every model
links it. The glue (op resolver, model array, arena) is built once per model and tree.
"""

import hashlib
import os
import shlex
import subprocess

from nnbuild.runtimes.tflm import glue as tflm
from nnbuild.errors import UserError
from nnbuild.scons_actions import settings_node
from nnbuild.toolchain import reproducible_paths

BUILD = "build"
_WARNINGS = ("-Wall", "-Wextra")  # TFLM is not ours to fix: its warnings would drown the build's output

# (model, tree, kernels) -> the glue's nodes: declared by the first target, shared by the others.
_declared_glue = {}


def _model_glue(env, model, tree, kernels):
    key = (model.name, tree.root, kernels)
    if key not in _declared_glue:
        folder = f"{BUILD}/models/{model.name}"
        settings = settings_node(env, {"model": model.name, "tree": tree.root, "kernels": kernels})
        header, glue, info = env.TflmModel(f"{folder}/tflm/{model.name}.h",
                                           [model.tflite, env.File(tree.path(tflm.RESOLVER_HEADER)), settings])
        data = env.ModelData(f"{folder}/{model.name}_data.cc",
                             [model.tflite, settings_node(env, {"model": model.name, "runtime": "tflm"})])[0]
        _declared_glue[key] = (header, glue, data, info)
    return _declared_glue[key]


def _tflm_env(tenv, tree, kernels):
    """The target's environment with TFLM's flags, defines and include folders (and no project includes)."""
    lenv = tenv.Clone()
    # The project's own -ffile-prefix-map would make the library's build signatures differ
    # between checkouts (and miss a shared cache=); TFLM's paths are mapped instead.
    lenv.Replace(CCFLAGS=[f for f in lenv["CCFLAGS"] if f not in _WARNINGS
                          and not str(f).startswith("-ffile-prefix-map=")],
                 CPPPATH=[*tree.includes, *tflm.kernel_includes(tree, kernels)],
                 CPPDEFINES=[*tflm.DEFINES, *tflm.kernel_defines(kernels)])
    lenv.Append(CCFLAGS=[f for f in tflm.COMPILE_FLAGS if f not in lenv["CCFLAGS"]]
                + [f"-ffile-prefix-map={tree.root}=tflm"],
                CXXFLAGS=tflm.CXX_FLAGS)
    return lenv


def _library(lenv, opts, target, tree, kernels):
    """libtflm.a for the target, in a folder named by the tree, kernels and toolchain."""
    toolchain = f"{opts['toolchain'] or target.toolchain}|{opts['cross_compile']}"
    key = hashlib.sha256(f"{tree.root}|{kernels}|{toolchain}".encode()).hexdigest()[:8]
    lib_dir = f"{BUILD}/{target.name}/lib/tflm-{kernels}-{key}"
    objects = [lenv.Object(f"{lib_dir}/obj/{os.path.splitext(os.path.relpath(src, tree.root))[0]}.o", src)
               for src in tflm.library_sources(tree, kernels)]
    return lenv.StaticLibrary(f"{lib_dir}/tflm", objects)[0]


def _check_cxx_library(tenv, target):
    """TFLM needs the C++ standard headers: a GNU cross gcc may come without them."""
    if "zig" in tenv.subst("$CXX"):
        return  # zig ships libc++ for every target
    cxx = shlex.split(tenv.subst("$CXX"))
    probe = subprocess.run([*cxx, "-x", "c++", "-E", "-o", os.devnull, "-"], input="#include <new>\n#include <cmath>\n",
                           capture_output=True, text=True)
    if probe.returncode != 0:
        package = {"arm-none-eabi-": "libstdc++-arm-none-eabi-newlib"}.get(
            tenv.get("CROSS_COMPILE") or target.toolchain_for("gnu").prefix)
        where = f"install Debian package {package}" if package else "install its C++ library"
        raise UserError(f"runtime=tflm for target {target.name}: {cxx[0]} has no C++ standard library "
                        f"headers (<new>, <cmath>), which TensorFlow Lite Micro needs; {where}.")


def build_tflm_sources(tenv, opts, target, model, out):
    """Objects, libraries, size-report components and the arena info (tflm_info.json) of
    model's firmware with runtime=tflm. Also points tenv at the tflm header and links
    with the C++ driver. UserError when there is no usable TFLM tree."""
    tree = tflm.find_tree(opts["tflm"])
    kernels = tflm.choose_kernels(tree, opts["tflm_kernels"])
    _check_cxx_library(tenv, target)
    if "TflmModel" not in tenv["BUILDERS"]:
        tenv.Tool("nnbuild_tflm")
    header, glue, data, info = _model_glue(tenv, model, tree, kernels)
    lenv = _tflm_env(tenv, tree, kernels)
    library = _library(lenv, opts, target, tree, kernels)
    header_dir = f"#{os.path.dirname(str(header))}"
    genv = lenv.Clone()
    genv.Prepend(CPPPATH=[header_dir])
    genv.Append(CCFLAGS=[reproducible_paths(genv)])
    glue_o = genv.Object(f"{out}/obj/{model.name}_tflm.o", glue)
    data_o = genv.Object(f"{out}/obj/{model.name}_data.o", data)
    # The runner includes <model>.h: this runtime's, ahead of any other runtime's.
    tenv.Prepend(CPPPATH=[header_dir])
    tenv.Replace(LINK="$CXX")  # TFLM is C++: its runtime support comes with the C++ driver
    components = {str(glue_o[0]): "model code", str(data_o[0]): "model weights", str(library): "tflm"}
    return [glue_o, data_o], [library], components, info
