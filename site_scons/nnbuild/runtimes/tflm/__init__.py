"""runtime=tflm: TensorFlow Lite Micro from a source tree (tflm= or $TFLM_ROOT), as a
static library per board, and the model's glue (op resolver, model array, arena)."""

import os

from nnbuild.runtimes.base import Linked
from nnbuild.runtimes.tflite_route import TfliteRuntime
from nnbuild.runtimes.tflm import build


class Tflm(TfliteRuntime):
    name = "tflm"
    options = {
        "tflm": ("TensorFlow Lite Micro source tree for runtime=tflm (default: $TFLM_ROOT)", "", None, True),
        "tflm_kernels": ("TFLM kernels: reference, or an optimized folder of the tree such as cmsis_nn "
                         "(default: the one the tree was made with, else reference)", "", None, False),
    }

    def supports(self, spec, target, opts):
        if not (opts.get("tflm") or os.environ.get("TFLM_ROOT")):
            return "no TFLite Micro tree (tflm=PATH or $TFLM_ROOT)"
        return None

    def prepare(self, env, opts, spec):
        model = super().prepare(env, opts, spec)
        model.parts.update(build.declare_glue(env, opts, model))
        return model

    def target_libraries(self, tenv, opts, target):
        return build.build_library(tenv, opts, target)

    def link(self, tenv, opts, target, model, libraries, out):
        return Linked(*build.link_model(tenv, opts, model, libraries, out))


RUNTIME = Tflm()
