"""SCons tool: runtime=tflm's model glue (built once per model and TFLM tree, for every target).

  env.TflmModel('build/models/m/tflm/m.h', ['build/models/m/m.tflite', micro_mutable_op_resolver.h, settings])
      -> m.h (the C API), m_tflm.cc (op resolver, interpreter, arena) and tflm_info.json beside it
"""

from nnbuild.scons_actions import glue_emitter, python_builder


def generate(env):
    env["BUILDERS"]["TflmModel"] = python_builder(env, "nnbuild.runtimes.tflm.glue:tflm_model_step", "tflm",
                                                  glue_emitter("tflm", ".cc"), isolated=True)


def exists(env):
    return True
