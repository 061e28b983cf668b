"""SCons tool: runtime=tflm's model glue (built once per model and TFLM tree, for every target).

  env.TflmModel('build/models/m/tflm/m.h', ['build/models/m/m.tflite', micro_mutable_op_resolver.h, settings])
      -> m.h (the C API), m_tflm.cc (op resolver, interpreter, arena) and tflm_info.json beside it
"""

from nnbuild import tflm
from nnbuild.scons_actions import glue_emitter, python_builder

_CODE = ["tflm.py", "tflite_model.py", "arena_planner.py", "native_output.py"]


def generate(env):
    env["BUILDERS"]["TflmModel"] = python_builder(
        env, tflm.tflm_model_step, "tflm",
        [*_CODE, "../../templates/tflm/model.cc.j2", "../../templates/aot/model.h.j2"], glue_emitter("tflm", ".cc"))


def exists(env):
    return True
