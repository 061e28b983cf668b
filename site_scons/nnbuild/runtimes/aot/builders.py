"""runtime=aot's builders.

  env.AotModel('build/models/m/aot/m.h', ['build/models/m/m.tflite', settings])
      -> m.h, m.c, m_weights.c and aot_info.json beside it
  env.Profile('build/T/aot/m/profile.json', [firmware.elf, aot_info.json, verify.json, settings])
      -> instructions per operator under qemu (profile=1)
"""

import os

from nnbuild.scons_actions import python_builder


def _aot_emitter(target, source, env):
    header = str(target[0])
    base = header[:-2]
    folder = os.path.dirname(header)
    return [header, base + ".c", base + "_weights.c", os.path.join(folder, "aot_info.json")], source


def add_builders(env):
    """Once per environment: a builder declared again would be another builder for the same targets."""
    if "AotModel" not in env["BUILDERS"]:
        env["BUILDERS"]["AotModel"] = python_builder(env, "nnbuild.runtimes.aot.codegen:aot_step", "aot",
                                                     _aot_emitter, isolated=True)
        env["BUILDERS"]["Profile"] = python_builder(env, "nnbuild.profile:profile_step", "profile")
