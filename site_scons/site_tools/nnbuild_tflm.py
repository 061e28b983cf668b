"""SCons tool: runtime=tflm's model glue (built once per model and TFLM tree, for every target).

  env.TflmModel('build/models/m/tflm/m.h', ['build/models/m/m.tflite', micro_mutable_op_resolver.h, settings])
      -> m.h (the C API), m_tflm.cc (op resolver, interpreter, arena) and tflm_info.json beside it
"""

import os

from nnbuild import tflm
from nnbuild.scons_actions import python_builder

_CODE = ["tflm.py", "tflite_model.py", "arena_planner.py", "native_output.py"]


def _glue_emitter(target, source, env):
    header = str(target[0])
    folder, model = os.path.dirname(header), os.path.basename(header)[:-2]
    return [header, os.path.join(folder, f"{model}_tflm.cc"), os.path.join(folder, "tflm_info.json")], source


def generate(env):
    env["BUILDERS"]["TflmModel"] = python_builder(
        env, tflm.tflm_model_step, "tflm",
        [*_CODE, "../../templates/tflm/model.cc.j2", "../../templates/aot/model.h.j2"], _glue_emitter)


def exists(env):
    return True
