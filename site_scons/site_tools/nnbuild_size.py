"""SCons tool: size report of a firmware ELF, per component.

  env.SizeReport('size.json', ['firmware.elf', 'firmware.map', settings]) -> size.json, size.txt
"""

import os

from nnbuild import pipeline
from nnbuild.scons_actions import python_builder


def _emitter(target, source, env):
    return [target[0], os.path.splitext(str(target[0]))[0] + ".txt"], source


def generate(env):
    env["BUILDERS"]["SizeReport"] = python_builder(env, pipeline.size_step, "size", ["size_report.py"], _emitter)


def exists(env):
    return True
