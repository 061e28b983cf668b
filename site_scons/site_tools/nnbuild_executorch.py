"""SCons tool: runtime=executorch's program and glue (built once per model, for every target).

  env.ExecutorchProgram('build/models/m/m.pte', ['models/m/model.py', 'models/m/model.pt', settings])
      -> m.pte and program.json beside it (operators, planned memory, input, output)
  env.ExecutorchGlue('build/models/m/executorch/m.h', ['build/models/m/m.pte', program.json, settings])
      -> m.h (the C API), m_executorch.cpp and executorch_info.json beside it
  env.ExecutorchSchema([program_generated.h, scalar_type_generated.h], [program.fbs, scalar_type.fbs])
  env.ExecutorchSelective([RegisterKernelsEverything.cpp, RegisterKernels.h, kernels.json], [m.pte, settings])
      -> ExecuTorch's selective build for the program (executorch_tree.py)
  env.ExecutorchKernels('libkernels.a', [kernels.json, settings])
  env.VerifyExecutorch('verify.json', [firmware, m.pte, program.json, model.py, model.pt, settings, data...])
"""

import os

from nnbuild import executorch, executorch_tree
from nnbuild.scons_actions import glue_emitter, python_builder


def _program_emitter(target, source, env):
    pte = str(target[0])
    return [pte, os.path.join(os.path.dirname(pte), "program.json")], source


def generate(env):
    env["BUILDERS"]["ExecutorchProgram"] = python_builder(
        env, executorch.program_step, "export", ["executorch.py", "executorch_quantize.py", "datasets.py",
                                                 "native_output.py"], _program_emitter)
    env["BUILDERS"]["ExecutorchGlue"] = python_builder(
        env, executorch.glue_step, "executorch",
        ["executorch.py", "executorch_probe.cpp", "../../templates/executorch/model.cpp.j2",
         "../../templates/aot/model.h.j2"], glue_emitter("executorch", ".cpp"))
    env["BUILDERS"]["ExecutorchSchema"] = python_builder(env, executorch_tree.schema_step, "flatc", ["executorch_tree.py"])
    env["BUILDERS"]["ExecutorchSelective"] = python_builder(
        env, executorch_tree.selective_step, "codegen", ["executorch_tree.py"])
    env["BUILDERS"]["ExecutorchKernels"] = python_builder(
        env, executorch_tree.kernel_library_step, "kernels", ["executorch_tree.py"])
    env["BUILDERS"]["VerifyExecutorch"] = python_builder(
        env, executorch.verify_step, "verify", ["executorch.py", "verify.py", "datasets.py"])


def exists(env):
    return True
