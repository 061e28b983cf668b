"""SCons tool: model conversion builders (target independent, built once per model).

  env.OnnxExport('build/models/m/m.onnx', ['models/m/model.py', 'models/m/model.pt', settings])
      -> the PyTorch model exported to ONNX (a model folder without model.onnx)

  env.Quantize('build/models/m/m.tflite', ['model.onnx', settings, calibration...])
      -> m.tflite and quant_report.json beside it
"""

import os

from nnbuild.scons_actions import python_builder


def _quantize_emitter(target, source, env):
    report = os.path.join(os.path.dirname(str(target[0])), "quant_report.json")
    return [target[0], report], source


def generate(env):
    env["BUILDERS"]["OnnxExport"] = python_builder(env, "nnbuild.pytorch_model:export_onnx_step", "onnx",
                                                   isolated=True)
    env["BUILDERS"]["Quantize"] = python_builder(env, "nnbuild.conversion:quantize_step", "quantize",
                                                 _quantize_emitter, isolated=True)


def exists(env):
    return True
