"""SCons tool: model conversion builders (target independent, built once per model).

  env.Quantize('build/models/m/m.tflite', ['model.onnx', settings, calibration...])
      -> m.tflite and quant_report.json beside it
  env.AotModel('build/models/m/aot/m.h', 'build/models/m/m.tflite')
      -> m.h, m.c, m_weights.c and aot_info.json beside it
"""

import os

from nnbuild import pipeline
from nnbuild.scons_actions import python_action


def _quantize_emitter(target, source, env):
    report = os.path.join(os.path.dirname(str(target[0])), "quant_report.json")
    return [target[0], report], source


def _aot_emitter(target, source, env):
    header = str(target[0])
    base = header[:-2]
    folder = os.path.dirname(header)
    return [header, base + ".c", base + "_weights.c", os.path.join(folder, "aot_info.json")], source


def generate(env):
    env["BUILDERS"]["Quantize"] = env.Builder(
        action=python_action(pipeline.quantize_step, "quantize"), emitter=_quantize_emitter)
    env["BUILDERS"]["AotModel"] = env.Builder(
        action=python_action(pipeline.aot_step, "aot"), emitter=_aot_emitter)


def exists(env):
    return True
