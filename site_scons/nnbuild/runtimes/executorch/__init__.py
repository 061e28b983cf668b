"""runtime=executorch: the PyTorch route. The model's .pte program (no ONNX, no TFLite),
ExecuTorch's runtime and the portable kernels the program uses; verified against
ExecuTorch's own runtime and eager PyTorch."""

import os

from nnbuild import build_folder, datasets
from nnbuild.runtimes.executorch import build as executorch_build, builders
from nnbuild.runtimes.base import Linked, Model, Runtime
from nnbuild.scons_actions import settings_node


class Executorch(Runtime):
    name = "executorch"
    options = {
        "executorch": ("ExecuTorch source tree for runtime=executorch on cross targets (default: "
                       "$EXECUTORCH_ROOT; the host links the executorch package's runtime)", "", None, True),
    }

    def complete_options(self, opts):
        opts["executorch"] = opts["executorch"] or os.environ.get("EXECUTORCH_ROOT", "")

    def supports(self, spec, target, opts):
        if not spec.folder or not os.path.isfile(os.path.join(spec.folder, "model.py")):
            return "no PyTorch source (model.py)"
        if target.family != "linux":
            return "only Linux targets"
        if target.emulator and not (opts.get("executorch") or os.environ.get("EXECUTORCH_ROOT")):
            return "no ExecuTorch tree (executorch=PATH)"
        return None

    def toolchain(self, target, opts):
        return executorch_build.toolchain_for(target, opts)

    def prepare(self, env, opts, spec):
        builders.add_builders(env)
        program, program_json, pytorch = executorch_build.build_program(env, spec, opts)
        env.Clean(program, f"{build_folder.root()}/models/{spec.name}")
        model = Model(name=spec.name, data_file=datasets.evaluation_file(spec, opts["eval"]), config=spec.config,
                      parts={"program": program, "program_json": program_json, "pytorch": pytorch})
        model.parts.update(executorch_build.declare_glue(env, opts, model))
        return model

    def target_libraries(self, tenv, opts, target):
        return executorch_build.build_runtime_library(tenv, opts, target)

    def link(self, tenv, opts, target, model, runtime_lib, out):
        return Linked(*executorch_build.link_model(tenv, opts, model, runtime_lib, out))

    def verify(self, tenv, opts, target, model, binary, out, baremetal):
        pytorch = model.parts["pytorch"]
        settings = {**self.emulator_settings(target), "vectors": opts["vectors"], "data": model.data_file,
                    "vectors_compiled_in": False, "pytorch": pytorch.settings()}
        sources = [binary, model.parts["program"], model.parts["program_json"], *pytorch.files(),
                   settings_node(tenv, settings)]
        return tenv.VerifyExecutorch(f"{out}/verify.json", sources + [s for s in (model.data_file,) if s])

    def verify_summary(self, verify):
        from nnbuild.runtimes.executorch.steps import verify_verdict  # the step's module: numpy, no SCons

        return verify_verdict(verify)


RUNTIME = Executorch()
