"""What the runtimes that run a quantized .tflite (aot, tflm) share: the model
quantized once for every board, and verification against TFLite Micro."""

from nnbuild import datasets
from nnbuild.model_toml import DEFAULT_MIN_SQNR_DB, DEFAULT_TOLERANCE
from nnbuild.pytorch_model import pytorch_source
from nnbuild.runtimes.base import Model, Runtime
from nnbuild.scons_actions import settings_node

BUILD = "build"


def quantized_model(env, opts, spec):
    """The model as a full-integer .tflite under build/models/<model>/: quantized from ONNX
    (a PyTorch folder is exported to ONNX first), or the .tflite given."""
    folder = f"{BUILD}/models/{spec.name}"
    tflite_path = f"{folder}/{spec.name}.tflite"
    quant_report = None
    evaluation = datasets.evaluation_file(spec, opts["eval"])
    if spec.kind in ("onnx", "pytorch"):
        onnx_model = spec.source
        if spec.kind == "pytorch":  # exported to ONNX first, like a model given as ONNX
            pytorch = pytorch_source(spec.folder, spec.config, "building this model")
            onnx_model = env.OnnxExport(f"{folder}/{spec.name}.onnx", [*pytorch.files(),
                                                                       settings_node(env, pytorch.settings())])[0]
        calibration = datasets.calibration_source(spec, opts["calibration"])
        samples = datasets.calibration_count(spec)
        quantization = spec.config.get("quantization", {})
        settings = {"model": spec.name, "calibration": calibration, "samples": samples,
                    "evaluation": evaluation,
                    "mode": opts["quantize"] or quantization.get("mode", "auto"),
                    "tolerance": quantization.get("tolerance", DEFAULT_TOLERANCE),
                    "metric": quantization.get("metric", "auto"),
                    "min_sqnr_db": quantization.get("min_sqnr_db", DEFAULT_MIN_SQNR_DB)}
        inputs = [onnx_model, settings_node(env, settings)]
        inputs += [f for f in (datasets.calibration_dependency(calibration), evaluation) if f]
        tflite, quant_report = env.Quantize(tflite_path, inputs)
    else:
        tflite = env.InstallAs(tflite_path, spec.source)[0]
    env.Clean(tflite, folder)  # scons -c: the work files too (quantize/, logs)
    return Model(name=spec.name, tflite=tflite, quant_report=quant_report, data_file=evaluation,
                 config=spec.config)


class TfliteRuntime(Runtime):
    """A runtime of the TFLite route: verified bit for bit against TFLite Micro."""

    def prepare(self, env, opts, spec):
        return quantized_model(env, opts, spec)

    def verify(self, tenv, opts, target, model, binary, out, baremetal):
        settings = {**self.emulator_settings(target), "vectors": opts["vectors"],
                    "data": model.data_file, "vectors_compiled_in": baremetal}
        sources = [binary, model.tflite, settings_node(tenv, settings)]
        sources += [s for s in (model.quant_report, model.data_file) if s is not None]
        return tenv.Verify(f"{out}/verify.json", sources)
