"""runtime=executorch's builders: the program and glue (built once per model, for every target).

  env.ExecutorchProgram('build/models/m/m.pte', ['models/m/model.py', 'models/m/model.pt', settings])
      -> m.pte and program.json beside it (operators, planned memory, input, output)
  env.ExecutorchGlue('build/models/m/executorch/m.h', ['build/models/m/m.pte', program.json, settings])
      -> m.h (the C API), m_executorch.cpp and executorch_info.json beside it
  env.ExecutorchTreeLink('build/tools/executorch-<key>/src/executorch.txt', settings)
      -> the link executorch beside it to the tree, for <executorch/...> includes
  env.ExecutorchSchema([program_generated.h, scalar_type_generated.h], [program.fbs, scalar_type.fbs])
  env.ExecutorchSelective([RegisterKernelsEverything.cpp, RegisterKernels.h, kernels.json], [m.pte, settings])
      -> ExecuTorch's selective build for the program (nnbuild.runtimes.executorch.tree)
  env.ExecutorchKernels('libkernels.a', [kernels.json, settings])
  env.VerifyExecutorch('verify.json', [firmware, m.pte, program.json, model.py, model.pt, settings, data...])
"""

import os

from nnbuild.scons_actions import glue_emitter, python_builder


def _program_emitter(target, source, env):
    pte = str(target[0])
    return [pte, os.path.join(os.path.dirname(pte), "program.json")], source


def add_builders(env):
    """Once per environment: a builder declared again would be another builder for the same targets."""
    builders = env["BUILDERS"]
    if "ExecutorchProgram" in builders:
        return
    builders["ExecutorchProgram"] = python_builder(env, "nnbuild.runtimes.executorch.steps:program_step", "export",
                                                   _program_emitter, isolated=True)
    builders["ExecutorchGlue"] = python_builder(env, "nnbuild.runtimes.executorch.steps:glue_step", "executorch",
                                                glue_emitter("executorch", ".cpp"), isolated=True)
    builders["ExecutorchTreeLink"] = python_builder(env, "nnbuild.runtimes.executorch.tree:link_step", "link")
    builders["ExecutorchSchema"] = python_builder(env, "nnbuild.runtimes.executorch.tree:schema_step", "flatc")
    builders["ExecutorchSelective"] = python_builder(env, "nnbuild.runtimes.executorch.tree:selective_step", "codegen",
                                                     isolated=True)
    builders["ExecutorchKernels"] = python_builder(env, "nnbuild.runtimes.executorch.tree:kernel_library_step", "kernels")
    builders["VerifyExecutorch"] = python_builder(env, "nnbuild.runtimes.executorch.steps:verify_step", "verify", isolated=True)
