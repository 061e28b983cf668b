"""Where runtime=executorch's runtime comes from: the executorch package's shared
runtime, or a source tree given by the user.

Read while the build is declared, so nothing here imports torch or executorch.
"""

import importlib.util
import os

from nnbuild.errors import UserError


NO_PACKAGE = ("runtime=executorch needs the executorch Python package with its C++ runtime "
              "(include/ and lib/libexecutorch.so); install the project's requirements with ./install.sh.")

HOW_TO_GET_A_TREE = (
    "Get one matching the installed executorch package: `git clone --branch v1.5.1 "
    "https://github.com/pytorch/executorch` and `git submodule update --init "
    "third-party/flatbuffers` in it, then build with executorch=/path/to/executorch or set "
    "EXECUTORCH_ROOT. nnbuild compiles its core runtime once per target into build/<target>/lib/ "
    "and, per model, only the portable kernels the program uses.")


def find_tree(given, target_name):
    """The ExecuTorch source tree `given` (executorch= or EXECUTORCH_ROOT) as an absolute path;
    UserError saying how to get one."""
    if not given:
        raise UserError(f"runtime=executorch for target {target_name} compiles ExecuTorch's runtime from "
                        "a source tree, and none was given (option executorch=PATH, or environment "
                        "variable EXECUTORCH_ROOT); only the host can use the executorch package's own "
                        "runtime. " + HOW_TO_GET_A_TREE)
    root = os.path.abspath(os.path.expanduser(given))
    for marker, what in (("runtime/executor/method.h", "an ExecuTorch source tree"),
                         ("third-party/flatbuffers/include/flatbuffers/flatbuffers.h",
                          "a tree with its flatbuffers submodule")):
        if not os.path.isfile(os.path.join(root, marker)):
            raise UserError(f"executorch={given}: {root} is not {what} (it has no {marker}). "
                            + HOW_TO_GET_A_TREE)
    return root


def package_root():
    """The installed executorch package's folder with include/ and lib/, or None."""
    spec = importlib.util.find_spec("executorch")
    if spec is None or not spec.submodule_search_locations:
        return None
    root = list(spec.submodule_search_locations)[0]
    needed = ("include/executorch/runtime/executor/method.h", "lib/libexecutorch.so")
    return root if all(os.path.exists(os.path.join(root, f)) for f in needed) else None


def package_flags(root):
    """Include folders, defines and link flags for the package's shared runtime (x86_64 glibc).

    Kernels register from static initializers: --no-as-needed keeps the kernel libraries
    (portable/optimized, and quantize/dequantize for int8 programs) although nothing names
    their symbols."""
    lib = os.path.join(root, "lib")
    return {"includes": [os.path.join(root, "include"),
                         os.path.join(root, "include", "executorch", "runtime", "core", "portable_type", "c10")],
            "defines": ["C10_USING_CUSTOM_GENERATED_MACROS"],
            "linkflags": [f"-L{lib}", f"-Wl,-rpath,{lib}", "-Wl,--no-as-needed", "-lexecutorch",
                          "-lexecutorch_kernels_optimized", "-lexecutorch_kernels_quantized", "-Wl,--as-needed"]}
