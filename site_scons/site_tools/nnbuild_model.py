"""SCons tool: model conversion builders (target independent, built once per model).

  env.Quantize('build/models/m/m.tflite', ['model.onnx', settings, calibration...])
      -> m.tflite and quant_report.json beside it
  env.AotModel('build/models/m/aot/m.h', 'build/models/m/m.tflite')
      -> m.h, m.c, m_weights.c and aot_info.json beside it
"""

import os

from nnbuild import pipeline

AOT_OPS = os.path.join(os.path.dirname(pipeline.__file__), "aot_ops")
from nnbuild.scons_actions import python_builder


def _quantize_emitter(target, source, env):
    report = os.path.join(os.path.dirname(str(target[0])), "quant_report.json")
    return [target[0], report], source


def _aot_emitter(target, source, env):
    header = str(target[0])
    base = header[:-2]
    folder = os.path.dirname(header)
    return [header, base + ".c", base + "_weights.c", os.path.join(folder, "aot_info.json")], source


def generate(env):
    env["BUILDERS"]["Quantize"] = python_builder(
        env, pipeline.quantize_step, "quantize", ["quantize.py", "precision.py", "layer_error.py", "datasets.py"], _quantize_emitter)
    aot_code = ["aot_codegen.py", "arena_planner.py", "quant_math.py", "tflite_model.py",
                *[os.path.join("aot_ops", f) for f in sorted(os.listdir(AOT_OPS)) if f.endswith(".py")],
                "../../templates/aot/model.h.j2", "../../templates/aot/model.c.j2",
                "../../templates/aot/weights.c.j2"]
    env["BUILDERS"]["AotModel"] = python_builder(env, pipeline.aot_step, "aot", aot_code, _aot_emitter)


def exists(env):
    return True
