"""runtime=tflm's builders: the model glue (built once per model and TFLM tree, for every target).

  env.TflmModel('build/models/m/tflm/m.h', ['build/models/m/m.tflite', micro_mutable_op_resolver.h, settings])
      -> m.h (the C API), m_tflm.cc (op resolver, interpreter, arena) and tflm_info.json beside it
  env.CxxHeadersCheck('build/<target>/lib/cxx_headers.txt', settings)
      -> fails, saying what to install, when the target's C++ compiler has no standard headers
"""

from nnbuild.scons_actions import glue_emitter, python_builder


def add_builders(env):
    """Once per environment: a builder declared again would be another builder for the same targets."""
    if "TflmModel" in env["BUILDERS"]:
        return
    env["BUILDERS"]["TflmModel"] = python_builder(env, "nnbuild.runtimes.tflm.glue:tflm_model_step", "tflm",
                                                  glue_emitter("tflm", ".cc"), isolated=True)
    env["BUILDERS"]["CxxHeadersCheck"] = python_builder(env, "nnbuild.runtimes.tflm.build:check_cxx_headers",
                                                        "check")
