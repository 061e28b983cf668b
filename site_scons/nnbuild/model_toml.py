"""model.toml: the keys a model folder's description may have, and their checking.

A misspelled key must not be ignored: `[quantisation] mode = "int16x8"` silently
built as int8 is a wrong model. Every key and section is known here, with its type.
"""

import re
import tomllib

from nnbuild.errors import UserError

QUANTIZE_MODES = ("int8", "int16x8", "bf16", "auto")  # bf16: runtime=tpu only
MIXED = "mixed:"  # mixed:<op numbers>: those ops 16x8, the others int8 (the TFLite route)
MIXED_FORM = "mixed:<op numbers>, such as mixed:3,7 (the op# of the per-layer table)"
METRICS = ("auto", "accuracy", "agreement", "sqnr")
DEFAULT_TOLERANCE = 0.01  # one accuracy point
DEFAULT_MIN_SQNR_DB = 20.0  # output SQNR int8 must keep when judged by SQNR


def _text(value):
    return isinstance(value, str)


def _positive_int(value):
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def _fraction(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool) and 0 <= value <= 1


def _int_list(value):
    return isinstance(value, list) and all(_positive_int(v) for v in value)


def _text_list(value):
    return isinstance(value, list) and all(_text(v) for v in value)


def _size(value):
    return _positive_int(value) or _text(value)


def _number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _boolean(value):
    return isinstance(value, bool)


def _arguments(value):
    return isinstance(value, dict) and all(isinstance(v, (str, int, float, bool)) for v in value.values())


# section ("" for the top level) -> key -> (check, what it must be)
SCHEMA = {
    "": {"description": (_text, "a string"), "version": (_text, "a string"),
         "name": (_text, "a C identifier for the model's API")},
    "input": {"name": (_text, "a string"), "shape": (_int_list, "a list of positive integers"),
              "layout": (_text, "a string such as NCHW"), "dtype": (_text, "a string such as float32"),
              "sample_rate_hz": (_number, "a number")},
    "output": {"name": (_text, "a string"), "classes": (_text_list, "a list of class names")},
    "calibration": {"file": (_text, "a path relative to the model folder"),
                    "generator": (_text, "'module.py:function', relative to the model folder"),
                    "samples": (_positive_int, "a positive whole number"),
                    "random": (_boolean, "true to calibrate on seeded noise, on purpose (no data)")},
    "evaluation": {"file": (_text, "a path relative to the model folder")},
    "quantization": {"mode": (lambda v: isinstance(v, str) and valid_quantize_mode(v),
                              f"one of {', '.join(QUANTIZE_MODES)}, or {MIXED_FORM}"),
                     "tolerance": (_fraction, "a fraction between 0 and 1 (0.01: one accuracy point)"),
                     "metric": (lambda v: v in METRICS, f"one of {', '.join(METRICS)} (how quantize=auto "
                                "judges int8: accuracy on labels, top-1 agreement with float, or output SQNR)"),
                     "min_sqnr_db": (_number, "decibels of output SQNR that int8 must keep (metric sqnr)")},
    "pytorch": {"script": (_text, "the PyTorch script, relative to the model folder"),
                "arguments": (_arguments, "a table of build_model() keyword arguments"),
                "weights": (_text, "the state_dict file, relative to the model folder, or \"random\""),
                "opset": (_positive_int, "an ONNX opset number")},
    "tpu": {step: (lambda v: isinstance(v, str) and len(v.split(",")) == 2,
                   "TPU-MLIR's similarity tolerance, \"cosine,euclidean\" such as \"0.85,0.45\"")
            for step in ("transform", "int8", "bf16")},
    "budget": {"flash": (_size, "bytes, or a size such as \"64K\""),
               "ram": (_size, "bytes, or a size such as \"64K\"")},
}


def valid_quantize_mode(value):
    return value in QUANTIZE_MODES or re.fullmatch(r"mixed:\d+(,\d+)*", value) is not None


def int16_ops(mode):
    """The op numbers a mixed:<op numbers> mode puts in 16 bits, else None."""
    return sorted({int(n) for n in mode[len(MIXED):].split(",")}) if mode.startswith(MIXED) else None


def quantization_settings(config, asked=""):
    """How a model is quantized: the mode (quantize=`asked`, else model.toml's, else auto),
    and how auto judges a candidate."""
    section = config.get("quantization", {})
    return {"mode": asked or section.get("mode", "auto"), "tolerance": section.get("tolerance", DEFAULT_TOLERANCE),
            "metric": section.get("metric", "auto"), "min_sqnr_db": section.get("min_sqnr_db", DEFAULT_MIN_SQNR_DB)}


def load_model_toml(path):
    """The validated contents of a model.toml; UserError naming the file, key and valid keys."""
    try:
        with open(path, "rb") as f:
            config = tomllib.load(f)
    except tomllib.TOMLDecodeError as e:
        raise UserError(f"{path}: not valid TOML ({e}).") from None
    sections = sorted(s for s in SCHEMA if s)
    for key, value in config.items():
        if isinstance(value, dict):
            if key not in SCHEMA or not key:
                raise UserError(f"{path}: unknown section [{key}]; a model.toml may have the sections "
                                f"{', '.join(f'[{s}]' for s in sections)} and the keys "
                                f"{', '.join(SCHEMA[''])} before them.")
            _check_keys(path, key, value)
        else:
            _check_keys(path, "", {key: value})
    return config


def _check_keys(path, section, values):
    where = f"in [{section}]" if section else "at the top level"
    allowed = SCHEMA[section]
    for key, value in values.items():
        if key not in allowed:
            extra = f" (or the sections {', '.join(f'[{s}]' for s in SCHEMA if s)})" if not section else ""
            raise UserError(f"{path}: unknown key '{key}' {where}; valid keys there: "
                            f"{', '.join(allowed)}{extra}.")
        check, expected = allowed[key]
        if not check(value):
            raise UserError(f"{path}: [{section or 'top level'}] {key} = {value!r}: expected {expected}.")
