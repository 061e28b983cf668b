"""Compiling a third-party source tree (TFLite Micro, ExecuTorch) into a static library
per board, the same way for every runtime that takes one."""

import hashlib
import os

from nnbuild import build_folder
from nnbuild.toolchain import board_defines

_WARNINGS = ("-Wall", "-Wextra")  # not our code to fix: its warnings would drown the build's output


def tree_env(tenv, root, label, includes, defines, flags=(), cxx_flags=()):
    """The target's environment for the tree at `root`: its include folders and defines
    (and the board's) instead of the project's, no warnings. The tree's paths are mapped (to `label`) instead
    of the project's, so the library's build signatures do not depend on the checkout (a
    shared cache= finds it)."""
    lenv = tenv.Clone()
    lenv.Replace(CCFLAGS=[f for f in lenv["CCFLAGS"] if f not in _WARNINGS
                          and not str(f).startswith("-ffile-prefix-map=")],
                 CPPPATH=list(includes), CPPDEFINES=[*board_defines(tenv["NNBUILD_TARGET"]), *defines])
    lenv.Append(CCFLAGS=[f for f in flags if f not in lenv["CCFLAGS"]] + [f"-ffile-prefix-map={root}={label}"],
                CXXFLAGS=list(cxx_flags))
    return lenv


def tree_library(lenv, opts, target, root, sources, label, variant=()):
    """lib<label>.a of `sources` (paths in the tree at `root`) for the target, in a folder
    of build/<target>/lib/ named by the tree, the variant (e.g. the kernel set) and the
    toolchain: every model on the board links the same one."""
    toolchain = f"{opts['toolchain'] or target.toolchain}|{opts['cross_compile']}"
    key = hashlib.sha256("|".join([root, *variant, toolchain]).encode()).hexdigest()[:8]
    lib_dir = f"{build_folder.root()}/{target.name}/lib/{'-'.join([label, *variant, key])}"
    objects = [lenv.Object(f"{lib_dir}/obj/{os.path.splitext(os.path.relpath(src, root))[0]}.o", src)
               for src in sources]
    return lenv.StaticLibrary(f"{lib_dir}/{label}", objects)[0], objects
