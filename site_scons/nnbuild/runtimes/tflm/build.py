"""runtime=tflm in the build graph: TFLM as a static library per target, and the model's glue.

The library depends only on the tree, the kernel set and the target's toolchain and
flags, never on a model: it is built once under build/<target>/lib/ and every model
links it. The glue (op resolver, model array, arena) is built once per model and tree.
"""

import os
import shlex
import subprocess

from nnbuild import build_folder
from nnbuild.errors import UserError
from nnbuild.runtimes.tflm import builders, glue as tflm
from nnbuild.runtimes.tree_library import tree_env, tree_library
from nnbuild.scons_actions import settings_node
from nnbuild.toolchain import reproducible_paths


def _tree(opts):
    """The TFLM tree and kernel set of the options; UserError when there is no usable one."""
    tree = tflm.find_tree(opts["tflm"])
    return tree, tflm.choose_kernels(tree, opts["tflm_kernels"])


def declare_glue(env, opts, model):
    """The model's glue (target independent): header, glue source, model data, tflm_info.json."""
    tree, kernels = _tree(opts)
    builders.add_builders(env)
    folder = f"{build_folder.root()}/models/{model.name}"
    settings = settings_node(env, {"model": model.name, "tree": tree.root, "kernels": kernels})
    header, glue, info = env.TflmModel(f"{folder}/tflm/{model.name}.h",
                                       [model.tflite, env.File(tree.path(tflm.RESOLVER_HEADER)), settings])
    data = env.ModelData(f"{folder}/{model.name}_data.cc",
                         [model.tflite, settings_node(env, {"model": model.name, "runtime": "tflm"})])[0]
    return {"header": header, "glue": glue, "data": data, "info": info}


def _tflm_env(tenv, tree, kernels):
    """The target's environment with TFLM's flags, defines and include folders (and no project includes)."""
    return tree_env(tenv, tree.root, "tflm", [*tree.includes, *tflm.kernel_includes(tree, kernels)],
                    [*tflm.DEFINES, *tflm.kernel_defines(kernels)], tflm.COMPILE_FLAGS, tflm.CXX_FLAGS)


def check_cxx_headers(targets, sources, settings):
    """Build step: TFLM needs the C++ standard headers, which a GNU cross gcc may come without."""
    probe = subprocess.run([*settings["cxx"], "-x", "c++", "-E", "-o", os.devnull, "-"],
                           input="#include <new>\n#include <cmath>\n", capture_output=True, text=True)
    if probe.returncode != 0:
        raise UserError(f"runtime=tflm for target {settings['target']}: {settings['cxx'][0]} has no C++ standard "
                        f"library headers (<new>, <cmath>), which TensorFlow Lite Micro needs; {settings['fix']}.")
    with open(targets[0], "w") as f:
        f.write("ok\n")


def _cxx_headers_checked(tenv, target):
    """The step checking the target's C++ compiler has its standard headers (none for zig:
    it ships libc++ for every target)."""
    if "zig" in tenv.subst("$CXX"):
        return []
    package = {"arm-none-eabi-": "libstdc++-arm-none-eabi-newlib"}.get(
        tenv.get("CROSS_COMPILE") or target.toolchain_for("gnu").prefix)
    settings = {"cxx": shlex.split(tenv.subst("$CXX")), "target": target.name,
                "fix": f"install Debian package {package}" if package else "install its C++ library"}
    return tenv.CxxHeadersCheck(f"{build_folder.root()}/{target.name}/lib/cxx_headers.txt", settings_node(tenv, settings))


def build_library(tenv, opts, target):
    """libtflm.a for the target, shared by every model built for it, and the check its
    C++ compilations wait for."""
    tree, kernels = _tree(opts)
    builders.add_builders(tenv)
    library, objects = tree_library(_tflm_env(tenv, tree, kernels), opts, target, tree.root,
                                    tflm.library_sources(tree, kernels), "tflm", [kernels])
    checked = _cxx_headers_checked(tenv, target)
    tenv.Depends(objects, checked)
    return library, checked


def link_model(tenv, opts, model, built, out):
    """Objects, libraries, size-report components and the arena info (tflm_info.json) of
    model's firmware with runtime=tflm. Also points tenv at the tflm header and links
    with the C++ driver."""
    tree, kernels = _tree(opts)
    library, checked = built
    glue = model.parts
    header_dir = glue["header"].dir  # a node: the build folder may be outside the checkout (project=)
    genv = _tflm_env(tenv, tree, kernels)
    genv.Prepend(CPPPATH=[header_dir])
    genv.Append(CCFLAGS=reproducible_paths(genv))
    glue_o = genv.Object(f"{out}/obj/{model.name}_tflm.o", glue["glue"])
    data_o = genv.Object(f"{out}/obj/{model.name}_data.o", glue["data"])
    genv.Depends([glue_o, data_o], checked)
    # The runner includes <model>.h: this runtime's, ahead of any other runtime's.
    tenv.Prepend(CPPPATH=[header_dir])
    tenv.Replace(LINK="$CXX")  # TFLM is C++: its runtime support comes with the C++ driver
    components = {str(glue_o[0]): "model code", str(data_o[0]): "model weights", str(library): "tflm"}
    return [glue_o, data_o], [library], components, glue["info"]
