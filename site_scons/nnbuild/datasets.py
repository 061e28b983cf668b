"""Calibration and evaluation data for a model, as model.toml describes it."""

import importlib.util
import math
import os

import numpy as np

from nnbuild.errors import UserError

DEFAULT_CALIBRATION_SAMPLES = 200


def load_samples(path, what, sample_size=None, outputs=None):
    """Samples from an .npz (array `x`, labels `y` if present) or an .npy file: (x, y or None).

    Checked before any slow step uses them: UserError naming the file when it is empty,
    not numeric, not finite, when a sample has not `sample_size` values (if given), or
    when labels do not match the samples one to one or fall outside 0..outputs-1."""
    try:
        if path.endswith(".npy"):
            x, y = np.load(path), None
        else:
            with np.load(path) as data:
                if "x" not in data:
                    raise UserError(f"{path}: the {what} file has no array 'x' (it has "
                                    f"{', '.join(data.files) or 'none'}); save the samples as x=...")
                x, y = data["x"], (data["y"] if "y" in data else None)
    except (OSError, ValueError, EOFError) as e:
        raise UserError(f"{path}: cannot read the {what} file ({e}); give an .npz with an array "
                        "'x' or an .npy file.") from None
    _check_features(path, what, x, sample_size)
    if y is not None:
        _check_labels(path, what, y, len(x), outputs)
        y = y.reshape(len(x)).astype(np.int64)
    return x.astype(np.float32), y


def _check_features(path, what, x, sample_size):
    if x.ndim == 0 or len(x) == 0 or x.size == 0:
        raise UserError(f"{path}: the {what} samples 'x' are empty (shape {list(x.shape)}); give at "
                        "least one sample, as an array [N, ...].")
    if not (np.issubdtype(x.dtype, np.number) or x.dtype == bool):
        raise UserError(f"{path}: the {what} samples 'x' are {x.dtype}, not numbers; save them as a "
                        "float32 array [N, ...].")
    per_sample = x.size // len(x)
    if sample_size is not None and per_sample != sample_size:
        raise UserError(f"{path}: each {what} sample has {per_sample} values (x has shape "
                        f"{list(x.shape)}), but the model input takes {sample_size}; give an array "
                        f"[N, {sample_size}] or [N, <the input shape>].")
    if np.issubdtype(x.dtype, np.floating) and not np.isfinite(x).all():
        bad = int(np.argmax(~np.isfinite(x.reshape(len(x), -1)).all(axis=1)))
        raise UserError(f"{path}: the {what} samples contain NaN or infinite values (first in sample "
                        f"{bad}); clean the data.")


def _check_labels(path, what, y, count, outputs):
    if y.size != count or (y.ndim > 1 and y.size != y.shape[0]):
        raise UserError(f"{path}: the {what} file has {count} samples in 'x' but labels 'y' of shape "
                        f"{list(y.shape)}; give one class index per sample (an array [{count}]).")
    if not np.issubdtype(y.dtype, np.number) or not np.all(np.mod(y, 1) == 0):
        raise UserError(f"{path}: the {what} labels 'y' must be whole class indices, but they are "
                        f"{y.dtype} with values such as {y.ravel()[:3].tolist()}.")
    if outputs is not None and (y.min() < 0 or y.max() >= outputs):
        raise UserError(f"{path}: the {what} labels 'y' range from {int(y.min())} to {int(y.max())}, but "
                        f"the model has {outputs} outputs (classes 0 to {outputs - 1}); give labels of "
                        "this model's classes.")


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
    if not spec.folder and not spec.config.get("calibration"):  # a project's nnbuild.toml may name it
        raise UserError(
            f"{spec.source}: an ONNX model given by path needs calibration data to be quantized. "
            "Give calibration=FILE (an .npz with an array 'x', or an .npy, with samples in the "
            "ONNX input's layout or flattened), or calibration=random to quantize with random "
            "inputs on purpose (accuracy will suffer).")
    section = spec.config.get("calibration", {})
    if section.get("random"):
        return ["random", ""]
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
        x, _ = load_samples(where, "calibration", sample_size=math.prod(shape[1:]))
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
