"""SCons tool: export a model as a package for existing C projects (CMake, pkg-config, Bazel, Make).

  env.ExportPackage('DIR/include/m.h', [m.h, model objects..., kernel objects..., settings])
      -> DIR/include/m.h, DIR/lib/libm.a, DIR/lib/cmake/m/mConfig.cmake, mConfigVersion.cmake,
         DIR/lib/pkgconfig/m.pc, DIR/BUILD.bazel, DIR/m.mk

nnbuild.export.export_package declares it for a firmware build with export=DIR.
"""

import os

from nnbuild import export
from nnbuild.scons_actions import python_builder


def _emitter(target, source, env):
    header = str(target[0])
    out_dir = os.path.dirname(os.path.dirname(header))
    model = os.path.splitext(os.path.basename(header))[0]
    return export.package_files(out_dir, model), source


def generate(env):
    env["BUILDERS"]["ExportPackage"] = python_builder(env, "nnbuild.export:export_step", "export", _emitter)


def exists(env):
    return True
