"""Models: a models/<name>/ folder with model.toml, or a model file given by path."""

import os
import tomllib
from dataclasses import dataclass, field

from nnbuild.errors import UserError

MODEL_DIR = os.path.normpath(os.path.join(os.path.dirname(__file__), "..", "..", "models"))
MODEL_FILES = ("model.onnx", "model.tflite")


@dataclass
class ModelSpec:
    name: str
    source: str                 # the .onnx or .tflite file
    kind: str                   # "onnx" or "tflite"
    folder: str = ""            # models/<name>, or "" for a model given by path
    config: dict = field(default_factory=dict)

    def path_in_folder(self, relative):
        """A path named in model.toml, relative to the model's folder."""
        return os.path.normpath(os.path.join(self.folder, relative))


def available_models(directory=MODEL_DIR):
    return sorted(d for d in os.listdir(directory)
                  if any(os.path.isfile(os.path.join(directory, d, f)) for f in MODEL_FILES))


def _kind(path):
    ext = os.path.splitext(path)[1].lower()
    if ext not in (".onnx", ".tflite"):
        raise UserError(f"model file {path}: expected an .onnx or .tflite file.")
    return ext[1:]


def resolve_model(spec, directory=MODEL_DIR):
    """Find the model named by the `model=` option: a folder name in models/, a folder, or a file."""
    if os.path.isfile(spec):
        name = os.path.splitext(os.path.basename(spec))[0]
        return ModelSpec(name=_c_identifier(name, spec), source=os.path.normpath(spec), kind=_kind(spec))
    folder = spec if os.path.isdir(spec) else os.path.join(directory, spec)
    if not os.path.isdir(folder):
        hint = "a path to an .onnx or .tflite file, " if os.sep in spec or "." in spec else ""
        raise UserError(f"unknown model '{spec}'; give {hint}a folder, or one of the models in "
                        f"{os.path.relpath(directory)}/: {', '.join(available_models(directory))}.")
    files = [f for f in MODEL_FILES if os.path.isfile(os.path.join(folder, f))]
    if not files:
        raise UserError(f"model folder {folder} has no {' or '.join(MODEL_FILES)}.")
    source = os.path.normpath(os.path.join(folder, files[0]))
    config = {}
    toml_path = os.path.join(folder, "model.toml")
    if os.path.isfile(toml_path):
        try:
            with open(toml_path, "rb") as f:
                config = tomllib.load(f)
        except tomllib.TOMLDecodeError as e:
            raise UserError(f"{toml_path}: not valid TOML ({e}).") from None
    name = os.path.basename(os.path.normpath(folder))
    # Relative to the project (where scons runs), so reports read the same in any checkout.
    return ModelSpec(name=_c_identifier(name, folder), source=os.path.relpath(source), kind=_kind(source),
                     folder=os.path.relpath(folder), config=config)


def _c_identifier(name, where):
    # The name prefixes every symbol of the generated C API.
    if not name.isidentifier() or not name.isascii():
        raise UserError(f"model name '{name}' (from {where}) must be a C identifier: letters, "
                        "digits and underscores, not starting with a digit. Rename the file or folder.")
    return name
