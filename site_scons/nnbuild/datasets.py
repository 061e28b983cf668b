"""Calibration and evaluation data for a model, as model.toml describes it."""

import importlib.util
import os

import numpy as np

from nnbuild.errors import UserError

DEFAULT_CALIBRATION_SAMPLES = 200


def load_samples(path, what):
    """Samples from an .npz (array `x`, labels `y` if present) or an .npy file: (x, y or None)."""
    try:
        if path.endswith(".npy"):
            return np.load(path).astype(np.float32), None
        with np.load(path) as data:
            if "x" not in data:
                raise UserError(f"{path}: the {what} file has no array 'x' (it has "
                                f"{', '.join(data.files)}); save the samples as x=...")
            y = data["y"] if "y" in data else None
            return data["x"].astype(np.float32), y
    except (OSError, ValueError) as e:
        raise UserError(f"{path}: cannot read the {what} file ({e}); give an .npz with an array "
                        "'x' or an .npy file.") from None


def _generator(entry):
    # "path/to/file.py:function"
    path, _, function = entry.rpartition(":")
    module_spec = importlib.util.spec_from_file_location("nnbuild_data_generator", path)
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    return getattr(module, function)


def calibration_source(spec, option=""):
    """Where a model's calibration data comes from: ["file", path],
    ["generator", "path/to/module.py:function"] (called with the sample count) or
    ["random", ""]. The `calibration=` option wins over model.toml."""
    if option == "random":
        return ["random", ""]
    if option:
        if not os.path.isfile(option):
            raise UserError(f"option calibration={option}: no such file; give an .npz with an "
                            "array 'x' or an .npy file of samples, or calibration=random.")
        return ["file", option]
    if not spec.folder:
        raise UserError(
            f"{spec.source}: an ONNX model given by path needs calibration data to be quantized. "
            "Give calibration=FILE (an .npz with an array 'x', or an .npy, with samples in the "
            "ONNX input's layout or flattened), or calibration=random to quantize with random "
            "inputs on purpose (accuracy will suffer).")
    section = spec.config.get("calibration", {})
    path = section.get("file")
    if path and os.path.isfile(spec.path_in_folder(path)):
        return ["file", spec.path_in_folder(path)]
    if section.get("generator"):
        return ["generator", spec.path_in_folder(section["generator"])]
    if path:
        raise UserError(f"{spec.folder}/model.toml: calibration file {spec.path_in_folder(path)} "
                        "does not exist and no [calibration] generator is named.")
    raise UserError(f"{spec.folder}/model.toml: no [calibration] section; name a file or a generator.")


def calibration_count(spec):
    """How many calibration samples to use: model.toml's [calibration] samples, else 200."""
    return spec.config.get("calibration", {}).get("samples", DEFAULT_CALIBRATION_SAMPLES)


def calibration_dependency(source):
    """The file whose change must redo quantization, if any."""
    kind, where = source
    return {"file": where, "generator": where.rpartition(":")[0]}.get(kind)


def calibration_samples(source, count, shape):
    """`count` samples [N, *shape[1:]] of the model input (`shape` is the ONNX input shape)."""
    kind, where = source
    if kind == "file":
        x, _ = load_samples(where, "calibration")
        return x[:count]
    if kind == "random":
        # Deterministic, so the quantized model is reproducible.
        return np.random.default_rng(0).standard_normal((count, *shape[1:])).astype(np.float32)
    return np.asarray(_generator(where)(count), dtype=np.float32)


def evaluation_file(spec, option=""):
    """The labelled evaluation .npz: the `eval=` option, else model.toml's when present, else None."""
    if option:
        if not os.path.isfile(option):
            raise UserError(f"option eval={option}: no such file; give an .npz with arrays 'x' and 'y'.")
        return option
    path = spec.config.get("evaluation", {}).get("file")
    if path and os.path.isfile(spec.path_in_folder(path)):
        return spec.path_in_folder(path)
    return None
