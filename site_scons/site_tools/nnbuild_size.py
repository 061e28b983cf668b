"""SCons tool: size report of a firmware ELF, per component.

  env.SizeReport('size.json', ['firmware.elf', 'firmware.map', settings]) -> size.json, .txt, .html
"""

import os

from nnbuild.scons_actions import python_builder


def _emitter(target, source, env):
    base = os.path.splitext(str(target[0]))[0]
    env.Precious(target[0])  # the previous report stays until the step compares against it
    return [target[0], base + ".txt", base + ".html"], source


def generate(env):
    env["BUILDERS"]["SizeReport"] = python_builder(env, "nnbuild.size_report:size_step", "size", _emitter)


def exists(env):
    return True
