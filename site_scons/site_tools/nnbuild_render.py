"""SCons tool: render a Jinja template from templates/ into a source file.

  env.RenderTemplate('runner.c', ['templates/linux/runner.c.j2', env.Value(context)])

The context is a Value node, so a changed setting re-renders exactly what uses it.
"""

from nnbuild import pipeline
from nnbuild.scons_actions import python_builder


def generate(env):
    env["BUILDERS"]["RenderTemplate"] = python_builder(env, pipeline.render_step, "render", ["render.py"])


def exists(env):
    return True
