"""A model given as PyTorch: a script defining build_model() and example_input(), its
trained weights (model.pt) or, said so in model.toml, the script's own seeded ones;
and its export to ONNX, so that every runtime takes it (the `[onnx]` step).

model.toml's [pytorch] section: `script` (default model.py, relative to the folder),
`arguments` (keyword arguments of build_model() and example_input()), `weights`
(default model.pt; "random" for the script's own initialization, on purpose) and
`opset` (the ONNX opset of the export).
"""

import importlib.util
import os
from dataclasses import dataclass, field

from nnbuild import build_folder
from nnbuild.errors import UserError
from nnbuild.files import write_atomically

SCRIPT = "model.py"
WEIGHTS = "model.pt"
RANDOM_WEIGHTS = "random"
DEFAULT_OPSET = 13


@dataclass
class PytorchSource:
    script: str
    weights: str = None                 # None: the script's own (seeded) initialization
    arguments: dict = field(default_factory=dict)
    opset: int = DEFAULT_OPSET

    def files(self):
        """The files whose change must redo what is built from the model."""
        return [self.script] + ([self.weights] if self.weights else [])

    def settings(self):
        return {"script": self.script, "weights": self.weights, "arguments": self.arguments, "opset": self.opset}


def pytorch_source(folder, config, what):
    """The PytorchSource of a model folder (`config`: its model.toml); UserError saying what is
    missing. `what` names the job that needs it, for the message."""
    section = config.get("pytorch", {})
    script = os.path.normpath(os.path.join(folder, section.get("script", SCRIPT)))
    if not os.path.isfile(script):
        raise UserError(f"{what} exports the model from PyTorch, and {folder} has no {os.path.relpath(script, folder)}. "
                        "Add one defining build_model() (the nn.Module) and example_input() (an input tensor), "
                        "with the trained weights in model.pt (torch.save(model.state_dict(), 'model.pt')).")
    weights = section.get("weights", WEIGHTS)
    if weights == RANDOM_WEIGHTS:
        weights = None
    else:
        weights = os.path.normpath(os.path.join(folder, weights))
        if not os.path.isfile(weights):
            raise UserError(f"{script}: {what} needs the trained weights beside it in {weights} "
                            "(torch.save(model.state_dict(), ...) after training); without them the firmware "
                            f"would run an untrained network. To build with the script's own initialization on "
                            f"purpose, set weights = \"{RANDOM_WEIGHTS}\" in [pytorch] of {folder}/model.toml.")
    return PytorchSource(script, weights, dict(section.get("arguments", {})), section.get("opset", DEFAULT_OPSET))


def onnx_model(env, spec):
    """The model's ONNX file: the one given, or a PyTorch folder's export under
    build/models/<model>/ (declared with the same env by every route: built once)."""
    from nnbuild.scons_actions import settings_node  # the build's side only: steps run without SCons

    if spec.kind != "pytorch":
        return spec.source
    pytorch = pytorch_source(spec.folder, spec.config, "building this model")
    return env.OnnxExport(f"{build_folder.root()}/models/{spec.name}/{spec.name}.onnx",
                          [*pytorch.files(), settings_node(env, pytorch.settings())])[0]


def load_pytorch_model(settings):
    """(module in eval mode with its weights, example input) from PytorchSource.settings()."""
    import torch

    script, weights, arguments = settings["script"], settings["weights"], settings["arguments"]
    spec = importlib.util.spec_from_file_location(f"nnbuild_model_{abs(hash(script))}", script)
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
        missing = [f for f in ("build_model", "example_input") if not hasattr(module, f)]
        if missing:
            raise UserError(f"{script}: defines no {' or '.join(missing)}(); nnbuild needs build_model() "
                            "returning the nn.Module and example_input() returning an input tensor of the "
                            "deployed shape.")
        net = module.build_model(**arguments)
        if weights:
            net.load_state_dict(torch.load(weights, map_location="cpu", weights_only=True))
        example = module.example_input(**arguments)
    except UserError:
        raise
    except TypeError as e:  # arguments build_model() does not take
        raise UserError(f"{script}: build_model(**{arguments}) or example_input(): {e}; check [pytorch] "
                        "arguments in model.toml.") from None
    except RuntimeError as e:  # load_state_dict: names or shapes differ
        raise UserError(f"{weights} does not fit build_model() of {script}: "
                        f"{str(e).splitlines()[0]} Retrain, or save the state_dict of this model.") from None
    return net.eval(), example


def export_onnx_step(targets, sources, settings):
    """model.py (+ model.pt) -> <model>.onnx, one float input named `input`, one output `output`."""
    import io

    import torch

    from nnbuild.native_output import native_output_to

    net, example = load_pytorch_model(settings)
    buffer = io.BytesIO()
    with native_output_to(os.path.join(os.path.dirname(targets[0]), "onnx_export.log")):
        try:
            with torch.no_grad():
                torch.onnx.export(net, (example,), buffer, opset_version=settings["opset"], dynamo=False,
                                  input_names=["input"], output_names=["output"], do_constant_folding=True)
        except Exception as e:  # torch's exporter: an op or pattern it cannot write
            reason = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
            raise UserError(f"{settings['script']}: torch.onnx.export failed ({reason}); simplify the model "
                            "around that point or try another [pytorch] opset in model.toml.") from None
    write_atomically(targets[0], buffer.getvalue())
