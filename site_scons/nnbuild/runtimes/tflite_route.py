"""What the runtimes that run a quantized .tflite (aot, tflm) share: the model
quantized once for every board, and verification against TFLite Micro."""

from nnbuild import build_folder, datasets
from nnbuild.errors import UserError
from nnbuild.model_toml import quantization_settings
from nnbuild.pytorch_model import onnx_model
from nnbuild.runtimes.base import Model, Runtime
from nnbuild.scons_actions import settings_node


def quantize_settings(spec, opts):
    """The quantize step's settings (conversion.quantize_step) for an ONNX or PyTorch model, and
    the data files it reads: calibration=, eval= and quantize= of `opts`, else the model.toml's."""
    calibration = datasets.calibration_source(spec, opts["calibration"])
    evaluation = datasets.evaluation_file(spec, opts["eval"])
    settings = {"model": spec.name, "calibration": calibration, "samples": datasets.calibration_count(spec),
                "evaluation": evaluation, **quantization_settings(spec.config, opts["quantize"])}
    if settings["mode"] == "bf16":
        raise UserError(f"{spec.source}: quantize=bf16 is runtime=tpu's (the TPU computes in bfloat16); "
                        "TFLite models are int8 or int16x8, or auto to choose.")
    return settings, [f for f in (datasets.calibration_dependency(calibration), evaluation) if f]


def quantized_model(env, opts, spec):
    """The model as a full-integer .tflite under build/models/<model>/: quantized from ONNX
    (a PyTorch folder is exported to ONNX first), or the .tflite given."""
    folder = f"{build_folder.root()}/models/{spec.name}"
    tflite_path = f"{folder}/{spec.name}.tflite"
    quant_report = None
    evaluation = datasets.evaluation_file(spec, opts["eval"])
    if spec.kind in ("onnx", "pytorch"):
        onnx = onnx_model(env, spec)  # a PyTorch folder is exported to ONNX first
        settings, data = quantize_settings(spec, opts)
        tflite, quant_report = env.Quantize(tflite_path, [onnx, settings_node(env, settings), *data])
    else:
        tflite = env.InstallAs(tflite_path, spec.source)[0]
    env.Clean(tflite, folder)  # scons -c: the work files too (quantize/, logs)
    return Model(name=spec.name, tflite=tflite, quant_report=quant_report, data_file=evaluation,
                 config=spec.config)


class TfliteRuntime(Runtime):
    """A runtime of the TFLite route: verified bit for bit against TFLite Micro."""

    def prepare(self, env, opts, spec):
        return quantized_model(env, opts, spec)

    def verify_settings(self, target, vectors, data_file, baremetal):
        """The verify step's settings (verify.verify_step)."""
        return {**self.emulator_settings(target), "vectors": vectors, "data": data_file,
                "vectors_compiled_in": baremetal}

    def verify(self, tenv, opts, target, model, binary, out, baremetal):
        settings = self.verify_settings(target, opts["vectors"], model.data_file, baremetal)
        sources = [binary, model.tflite, settings_node(tenv, settings)]
        sources += [s for s in (model.quant_report, model.data_file) if s is not None]
        return tenv.Verify(f"{out}/verify.json", sources)
