"""SCons tool: render a Jinja template from templates/ into a source file.

  env.RenderTemplate('runner.c', ['templates/linux/runner.c.j2', env.Value(context)])

The context is a Value node, so a changed setting re-renders exactly what uses it.
"""

from nnbuild import pipeline
from nnbuild.scons_actions import python_action


def generate(env):
    env["BUILDERS"]["RenderTemplate"] = env.Builder(action=python_action(pipeline.render_step, "render"))


def exists(env):
    return True
