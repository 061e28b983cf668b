"""Models: a models/<name>/ folder with model.toml, or a model file given by path."""

import os
import re
from dataclasses import dataclass, field

from nnbuild.errors import UserError
from nnbuild.model_toml import load_model_toml
from nnbuild.pytorch_model import pytorch_source

MODEL_DIR = os.path.normpath(os.path.join(os.path.dirname(__file__), "..", "..", "models"))
MODEL_FILES = ("model.onnx", "model.tflite", "model.py")  # in this order: a model.py alone is exported to ONNX


@dataclass
class ModelSpec:
    name: str
    source: str                 # the .onnx or .tflite file, or the PyTorch script
    kind: str                   # "onnx", "tflite" or "pytorch"
    folder: str = ""            # models/<name>, or "" for a model given by path
    config: dict = field(default_factory=dict)
    renamed_from: str = ""      # the file or folder name, when it is no C identifier as it is

    def path_in_folder(self, relative):
        """A path named in model.toml, relative to the model's folder."""
        return os.path.normpath(os.path.join(self.folder, relative))


def available_models(directory=MODEL_DIR):
    return sorted(d for d in os.listdir(directory)
                  if any(os.path.isfile(os.path.join(directory, d, f)) for f in (*MODEL_FILES, "model.toml")))


def _kind(path):
    ext = os.path.splitext(path)[1].lower()
    if ext not in (".onnx", ".tflite"):
        raise UserError(f"model file {path}: expected an .onnx or .tflite file (or a model folder).")
    return ext[1:]


def resolve_model(spec, directory=MODEL_DIR, name=""):
    """Find the model named by the `model=` option: a folder name in models/, a folder, or a
    file. Its C name is `name` (the name= option), else model.toml's, else derived from the
    folder or file name (c_name)."""
    if os.path.isfile(spec):
        stem = os.path.splitext(os.path.basename(spec))[0]
        return ModelSpec(name=model_name(name, stem, spec), source=os.path.normpath(spec), kind=_kind(spec),
                         renamed_from="" if name or c_name(stem) == stem else stem)
    folder = spec if os.path.isdir(spec) else os.path.join(directory, spec)
    if not os.path.isdir(folder):
        hint = "a path to an .onnx or .tflite file, " if os.sep in spec or "." in spec else ""
        raise UserError(f"unknown model '{spec}'; give {hint}a folder, or one of the models in "
                        f"{os.path.relpath(directory)}/: {', '.join(available_models(directory))}.")
    toml_path = os.path.join(folder, "model.toml")
    config = load_model_toml(toml_path) if os.path.isfile(toml_path) else {}
    files = [f for f in MODEL_FILES if os.path.isfile(os.path.join(folder, f))]
    if files[:1] == ["model.py"] or (not files and "pytorch" in config):
        kind, source = "pytorch", pytorch_source(folder, config, "building this model").script
    elif files:
        source = os.path.normpath(os.path.join(folder, files[0]))
        kind = _kind(source)
    else:
        raise UserError(f"model folder {folder} has no {', '.join(MODEL_FILES)} and its model.toml has no "
                        "[pytorch] section naming a script.")
    base = os.path.basename(os.path.normpath(os.path.abspath(folder)))
    # Relative to the project (where scons runs), so reports read the same in any checkout.
    chosen = name or config.get("name", "")
    return ModelSpec(name=model_name(chosen, base, folder), source=os.path.relpath(source),
                     kind=kind, folder=os.path.relpath(folder), config=config,
                     renamed_from="" if chosen or c_name(base) == base else base)


# Names a model may not take: its header or objects would stand in for one of these.
# The standard C and POSIX headers the runners and kernels include (a model's header
# m.h sits on their include path) and nnbuild's own generated sources.
C_HEADERS = ("assert", "complex", "ctype", "errno", "fcntl", "fenv", "float", "inttypes", "iso646", "limits",
             "locale", "math", "setjmp", "signal", "stdalign", "stdarg", "stdatomic", "stdbool", "stddef",
             "stdint", "stdio", "stdlib", "stdnoreturn", "string", "strings", "tgmath", "threads", "time",
             "uchar", "unistd", "wchar", "wctype", "alloca", "malloc", "memory")
GENERATED = ("runner", "startup", "test_vectors", "RegisterKernels")
KERNEL_DIR = os.path.normpath(os.path.join(MODEL_DIR, "..", "kernels"))


def reserved_names():
    kernels = {os.path.splitext(f)[0] for _, _, files in os.walk(KERNEL_DIR) for f in files}
    return set(C_HEADERS) | set(GENERATED) | kernels


def c_name(text):
    """A C identifier from a file or folder name: other characters become '_', a leading
    digit gets 'm_' in front ('2024 model' -> 'm_2024_model')."""
    name = re.sub(r"[^A-Za-z0-9_]", "_", text)
    return f"m_{name}" if not name or name[0].isdigit() else name


def model_name(chosen, base, where):
    """The model's C name: `chosen` (name= or model.toml) as given, else derived from `base`
    (the file's stem or the folder's name, found at `where`). UserError for a name that is
    no C identifier or is reserved."""
    if chosen:
        if not chosen.isidentifier() or not chosen.isascii():
            raise UserError(f"name={chosen}: the model's name prefixes its C API ({chosen}_invoke) and "
                            "files, so it must be a C identifier: letters, digits and underscores, not "
                            "starting with a digit.")
        name, origin = chosen, f"name={chosen}"
    else:
        name, origin = c_name(base), f"from {where}"
    if name in reserved_names():
        raise UserError(f"model name '{name}' ({origin}) is the name of a C header or of one of nnbuild's "
                        f"own files ({name}.h or {name}.c would stand in for it); give the model another "
                        f"C name with name=, e.g. name={name}_model.")
    return name
