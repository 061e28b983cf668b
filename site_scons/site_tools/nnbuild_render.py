"""SCons tool: render a Jinja template from templates/ into a source file.

  env.RenderTemplate('runner.c', ['templates/linux/runner.c.j2', env.Value(context)])

The context is a Value node, so a changed setting re-renders exactly what uses it.

  env.LinkerScript('link.ld', ['templates/baremetal/link.ld.j2', aot_info.json, model.tflite, settings])
      -> a bare-metal linker script, the weights and the arena placed in the board's memories
  env.ModelData('build/models/m/m_data.cc', ['build/models/m/m.tflite', env.Value({model, runtime})])
      -> the model file as a aligned (NN_ALIGNMENT) const array (runtimes that read a model file)
"""

from nnbuild.scons_actions import python_builder


def generate(env):
    env["BUILDERS"]["RenderTemplate"] = python_builder(env, "nnbuild.render:render_step", "render")
    env["BUILDERS"]["ModelData"] = python_builder(env, "nnbuild.render:model_data_step", "carray")
    env["BUILDERS"]["LinkerScript"] = python_builder(env, "nnbuild.memory_map:linker_script_step", "render")


def exists(env):
    return True
