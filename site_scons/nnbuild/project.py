"""A project's nnbuild.toml: the fleet of models, boards and runtimes it builds (project=).

    boards = ["loongarch64", "riscv64", "cortex-m55"]   # targets/<board>.toml names
    runtimes = ["aot"]                                    # default: aot
    build = "build/nnbuild"                               # default: build (in the project)

    [options]                        # any scons option for every build (the command line wins)
    opt = "size"

    [budget]                         # every firmware (tightens the board's own)
    ram = "512K"
    [budget.cortex-m55]              # one board's
    flash = "256K"

    [models.af_detection]            # the model's C name
    path = "models/af"               # a model folder (model.onnx, .tflite or model.py) or a file
    calibration = "data/af_calibration.npz"
    evaluation = "data/af_eval.npz"  # labelled: accuracy in the fleet report
    quantize = "int8"                # default: the model.toml's, else auto
    budget = { flash = "64K" }       # this model on every board

Paths are relative to the project folder. Every key is checked, as in model.toml: a
misspelled one is an error, never ignored.
"""

import os
import tomllib
from dataclasses import dataclass, field

from nnbuild import budgets, models
from nnbuild.errors import UserError
from nnbuild.model_toml import valid_quantize_mode

MANIFEST = "nnbuild.toml"
_TOP = {"boards", "runtimes", "build", "options", "budget", "models"}
_MODEL = {"path", "calibration", "evaluation", "quantize", "budget"}
_MEMORIES = ("flash", "ram")


@dataclass
class Project:
    folder: str
    manifest: str
    boards: list
    runtimes: list
    build: str                      # the build folder, relative to where scons runs
    options: dict                   # scons option -> value (strings)
    models: list                    # ModelSpec, data and quantization from the manifest merged in
    budget: dict = field(default_factory=dict)       # memory -> bytes, every firmware
    board_budget: dict = field(default_factory=dict)  # board -> memory -> bytes
    model_budget: dict = field(default_factory=dict)  # model -> memory -> bytes

    def budgets(self, model, board, memory):
        """[(bytes, origin)] the manifest sets for `memory` of this model on this board."""
        where = self.manifest
        found = [(self.budget.get(memory), f"{where} [budget]"),
                 (self.board_budget.get(board, {}).get(memory), f"{where} [budget.{board}]"),
                 (self.model_budget.get(model, {}).get(memory), f"{where} [models.{model}] budget")]
        return [(b, origin) for b, origin in found if b is not None]


def load_project(folder):
    """The project in `folder` (its nnbuild.toml); UserError naming the file and key for a mistake."""
    manifest = os.path.join(folder, MANIFEST)
    if not os.path.isfile(manifest):
        raise UserError(f"option project={folder}: no {MANIFEST} there; a project names its models, boards "
                        f"and runtimes in {MANIFEST} (README, 'Fleet builds').")
    try:
        with open(manifest, "rb") as f:
            data = tomllib.load(f)
    except tomllib.TOMLDecodeError as e:
        raise UserError(f"{manifest}: not valid TOML ({e}).") from None
    _known(manifest, "the top level", data, _TOP)
    boards = _names(manifest, data, "boards", None)
    runtimes = _names(manifest, data, "runtimes", ["aot"])
    options = data.get("options", {})
    if not isinstance(options, dict) or not all(isinstance(v, (str, int, bool)) for v in options.values()):
        raise UserError(f"{manifest}: [options] holds scons options as name = value, such as opt = \"size\".")
    budget, board_budget = _budgets(manifest, data.get("budget", {}), boards)
    entries = data.get("models")
    if not isinstance(entries, dict) or not entries:
        raise UserError(f"{manifest}: no [models.<name>] table; each model of the fleet has one, with its path.")
    specs, model_budget = [], {}
    for name, entry in entries.items():
        spec, limits = _model(folder, manifest, name, entry)
        specs.append(spec)
        model_budget[spec.name] = limits
    build = os.path.relpath(os.path.join(folder, str(data.get("build", "build"))))
    return Project(folder=folder, manifest=manifest, boards=boards, runtimes=runtimes, build=build,
                   options={k: str(int(v) if isinstance(v, bool) else v) for k, v in options.items()},
                   models=specs, budget=budget, board_budget=board_budget, model_budget=model_budget)


def _known(manifest, where, table, keys):
    if not isinstance(table, dict):
        raise UserError(f"{manifest}: {where} must be a table.")
    unknown = sorted(set(table) - keys)
    if unknown:
        raise UserError(f"{manifest}: unknown key {', '.join(unknown)} in {where}; valid keys there: "
                        f"{', '.join(sorted(keys))}.")


def _names(manifest, data, key, default):
    value = data.get(key, default)
    if not isinstance(value, list) or not value or not all(isinstance(v, str) and v for v in value):
        raise UserError(f"{manifest}: {key} = {value!r}: expected a list of names, such as "
                        f"{key} = [\"{'loongarch64' if key == 'boards' else 'aot'}\"].")
    return value


def _limits(manifest, where, table):
    _known(manifest, where, table, set(_MEMORIES))
    return {m: budgets.parse_bytes(table[m], f"{manifest} {where} {m}") for m in _MEMORIES if m in table}


def _budgets(manifest, table, boards):
    _known(manifest, "[budget]", table, set(_MEMORIES) | set(boards))
    every = _limits(manifest, "[budget]", {k: v for k, v in table.items() if k in _MEMORIES})
    per_board = {b: _limits(manifest, f"[budget.{b}]", v) for b, v in table.items() if b not in _MEMORIES}
    return every, per_board


def _model(folder, manifest, name, entry):
    where = f"[models.{name}]"
    _known(manifest, where, entry, _MODEL)
    if "path" not in entry:
        raise UserError(f"{manifest}: {where} has no path; give the model folder or .onnx/.tflite file, "
                        "relative to the project.")
    path = os.path.relpath(os.path.join(folder, entry["path"]))
    if not os.path.exists(path):
        raise UserError(f"{manifest}: {where} path = \"{entry['path']}\": no such file or folder in {folder}.")
    spec = models.resolve_model(path, name=name)
    base = spec.folder or "."
    for key, section in (("calibration", "calibration"), ("evaluation", "evaluation")):
        if key in entry:
            data = os.path.join(folder, entry[key])
            if not os.path.isfile(data):
                raise UserError(f"{manifest}: {where} {key} = \"{entry[key]}\": no such file in {folder}.")
            kept = {k: v for k, v in spec.config.get(section, {}).items() if k == "samples"}
            spec.config[section] = {**kept, "file": os.path.relpath(data, base)}
    if "quantize" in entry:
        if not valid_quantize_mode(str(entry["quantize"])):
            raise UserError(f"{manifest}: {where} quantize = {entry['quantize']!r}: expected int8, int16x8, auto "
                            "or mixed:<op numbers>.")
        spec.config["quantization"] = {**spec.config.get("quantization", {}), "mode": entry["quantize"]}
    return spec, _limits(manifest, f"{where} budget", entry.get("budget", {}))
