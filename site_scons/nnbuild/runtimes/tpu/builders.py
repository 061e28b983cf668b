"""runtime=tpu's builders (steps.py).

  env.TpuTransform('build/models/m/tpu/m.mlir', ['model.onnx', settings])
      -> m.mlir, m_top_f32_all_weight.npz, m_in_f32.npz, m_top_outputs.npz, transform.json
  env.TpuCalibrate('build/models/m/tpu/m_cali_table', [m.mlir, weights, transform.json, settings, calibration])
  env.TpuDeploy('build/<board>/tpu/m/m.cvimodel', [m.mlir, weights, check input, check outputs, table,
                                                   model.onnx, transform.json, settings, data...])
      -> m.cvimodel, quant_report.json, cvimodel.json
  env.TpuGlue('build/<board>/tpu/m/tpu/m.h', [cvimodel.json, settings]) -> m.h, m_tpu.c
  env.TpuSize('build/<board>/tpu/m/size.json', [cvimodel.json, firmware.elf or objects, settings]) -> size.json, size.txt
  env.VerifyTpu('build/<board>/tpu/m/verify.json', [simulator runner, m.cvimodel, cvimodel.json, settings, data])
"""

import os

from nnbuild.scons_actions import python_builder


def _beside(*names):
    """An emitter adding files named from the model (the first target's stem) beside it."""
    def emit(target, source, env):
        first = str(target[0])
        folder, model = os.path.dirname(first), os.path.basename(first).split(".")[0]
        return [first, *(os.path.join(folder, n.format(model=model)) for n in names)], source
    return emit


def add_builders(env):
    """Once per environment: a builder declared again would be another builder for the same targets."""
    builders = env["BUILDERS"]
    if "TpuTransform" in builders:
        return
    step = "nnbuild.runtimes.tpu.steps"
    builders["TpuTransform"] = python_builder(
        env, f"{step}:transform_step", "tpu-transform",
        _beside("{model}_top_f32_all_weight.npz", "{model}_in_f32.npz", "{model}_top_outputs.npz", "transform.json"),
        isolated=True)
    builders["TpuCalibrate"] = python_builder(env, f"{step}:calibrate_step", "tpu-calibrate", isolated=True)
    builders["TpuDeploy"] = python_builder(env, f"{step}:deploy_step", "tpu-deploy",
                                           _beside("quant_report.json", "cvimodel.json"), isolated=True)
    builders["TpuGlue"] = python_builder(env, f"{step}:glue_step", "tpu", _beside("{model}_tpu.c"))
    builders["TpuSize"] = python_builder(env, f"{step}:size_step", "size", _beside("size.txt"))
    builders["VerifyTpu"] = python_builder(env, f"{step}:verify_step", "verify", isolated=True)
