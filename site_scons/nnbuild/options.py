"""Command-line options (`scons name=value`): their help, defaults and validation."""

import os

from nnbuild import models, project as projects, runtimes, size_diff, targets
from nnbuild.errors import UserError
from nnbuild.model_toml import MIXED_FORM, QUANTIZE_MODES, valid_quantize_mode

BOOLEANS = {"1": True, "yes": True, "true": True, "on": True,
            "0": False, "no": False, "false": False, "off": False}

# name -> (help, default, allowed values or None)
OPTIONS = {
    "target": ("target board(s), comma separated", "host", None),
    "model": ("model(s), comma separated: a folder name in models/, a folder, or an .onnx/.tflite file",
              "af_detection", None),
    "name": ("the model's C name (prefix of its API and files); default: from its folder or file name",
             "", None),
    "runtime": ("inference runtime(s) linked into the firmware, comma separated", runtimes.NAMES[0],
                runtimes.NAMES),
    "verify": ("run the firmware under emulation and compare with the reference (TFLite Micro; "
               "ExecuTorch and PyTorch for runtime=executorch)", "1", ("0", "1")),
    "vectors": ("input vectors verify compares (auto: every evaluation sample, else 50 random)", "auto", None),
    "calibration": ("calibration data for an ONNX model: .npz (array x) or .npy, or 'random'", "", None),
    "eval": ("labelled evaluation data (.npz with x and y) for accuracy reports", "", None),
    "quantize": ("quantization of an ONNX model (default: model.toml's, else auto); also mixed:<op numbers>, "
                 "those ops 16x8 and the others int8", "", QUANTIZE_MODES),
    "opt": ("optimise the firmware for speed or size (the board's compiler flag for each)", "speed",
            ("speed", "size")),
    "verbose": ("print full commands instead of one line per step", "0", ("0", "1")),
    "flash_budget": ("flash budget, e.g. 64K (tightens the target's and the model's)", "", None),
    "ram_budget": ("RAM budget, e.g. 32K (tightens the target's and the model's)", "", None),
    "size_diff": ("an earlier size.json to compare this build's size with, per component and symbol", "", None),
    "toolchain": ("compiler: zig (zig cc) or gnu (a GNU cross gcc); default: the target's", "", ("zig", "gnu")),
    "CROSS_COMPILE": ("GNU cross prefix for toolchain=gnu, e.g. loongarch64-linux-gnu-", "", None),
    "cache": ("folder of a build cache shared between builds and checkouts (SCons CacheDir)", "", None),
    "project": ("a project folder whose nnbuild.toml lists its fleet: models, boards, runtimes, budgets; "
                "builds all of it into the project's build folder, with a fleet report", "", None),
    "compare": ("an earlier fleet.json the fleet report compares with (default: the previous build's)", "", None),
    "export": ("write a package for C projects (CMake, pkg-config, Bazel, Make) to this folder; "
               "several targets or models: a subfolder each, <target>/<model> (runtime=aot)", "", None),
}
# Options naming files or folders: relative to where scons was started (scons -u, -D, -C).
PATHS = ["model", "calibration", "eval", "size_diff", "cache", "export", "project", "compare"]
# Each runtime's own options (nnbuild.runtimes.base.Runtime.options).
for _runtime in runtimes.all_runtimes():
    for _name, (_text, _default, _allowed, _is_path) in _runtime.options.items():
        OPTIONS[_name] = (_text, _default, _allowed)
        if _is_path:
            PATHS.append(_name)


def help_text():
    lines = ["nnbuild options (scons name=value ...):", ""]
    for name, (text, default, allowed) in OPTIONS.items():
        if name == "target":
            allowed = targets.available_targets()
        elif name == "model":
            allowed = models.available_models() + ["<path>"]
        choices = f" ({'|'.join(allowed)})" if allowed else ""
        lines.append(f"  {name}={default}{choices}\n      {text}")
    return "\n".join(lines) + "\n"


def boolean_option(name, value):
    if value.lower() not in BOOLEANS:
        raise UserError(f"option {name}={value}: expected 0 or 1.")
    return BOOLEANS[value.lower()]


def _from_launch_dir(path, launch_dir):
    """A path given on the command line, as seen from the project root (where SCons runs)."""
    if not path or os.path.isabs(path) or not launch_dir or os.path.samefile(launch_dir, os.getcwd()):
        return path
    return os.path.relpath(os.path.join(launch_dir, path))


def _check_cache(path):
    if path and os.path.exists(path) and not os.path.isdir(path):
        raise UserError(f"option cache={path}: that is a file; give a folder for the build cache "
                        "(it is created if missing), shared between builds and checkouts.")


def _list(raw, name, valid):
    """A comma-separated option's values, in order, each once; UserError if there is none."""
    values = list(dict.fromkeys(v.strip() for v in raw[name].split(",") if v.strip()))
    if not values:
        raise UserError(f"option {name}: name at least one of {', '.join(valid)}.")
    return values


def _models(raw, launch_dir):
    """The models of `model=a,b,...` (ModelSpec each); UserError for options that belong to one
    model only, and for two models with one C name (their files and APIs would collide)."""
    given = _list(raw, "model", models.available_models() + ["<path>"])
    if len(given) > 1:
        single = [f"{name}={raw[name]}" for name in ("name", "calibration", "eval") if raw[name]]
        if single:
            raise UserError(f"option {', '.join(single)} with {len(given)} models (model={raw['model']}): "
                            "it describes one model; give each model its C name and data in its model.toml "
                            "(name, [calibration] file, [evaluation] file), or build the models one at a time.")
    specs = {}
    for value in given:
        path = _from_launch_dir(value, launch_dir)
        spec = models.resolve_model(path if os.path.exists(path) else value,  # else a name in models/
                                    name=raw["name"])
        other = specs.setdefault(spec.name, spec)
        if other.source != spec.source:
            raise UserError(f"option model={raw['model']}: {other.source} and {spec.source} are both named "
                            f"{spec.name} (their C name, which prefixes their files and API); give one of them "
                            "another name in its model.toml (name = \"...\").")
    return list(specs.values())


def _project_options(raw, arguments, project):
    """The fleet of the project's nnbuild.toml, and its [options] (paths relative to the project)
    where the command line gives none."""
    fleet = ("model", "target", "runtime", "name", "calibration", "eval", "project")  # what nnbuild.toml lists
    listed = [name for name in fleet[:-1] if name in arguments]
    if listed:
        raise UserError(f"option {', '.join(listed)} with project={project.folder}: the project's {projects.MANIFEST} "
                        "lists its models (with their data), boards and runtimes; build part of the fleet by "
                        "naming it, such as `scons project=... af_detection` or `... cortex-m55`.")
    unknown = sorted(name for name in project.options if name not in OPTIONS or name in fleet)
    if unknown:
        raise UserError(f"{project.manifest}: [options] {', '.join(unknown)}: not an option a project sets there; "
                        f"models, boards and runtimes are its top-level keys, the options are {', '.join(OPTIONS)}.")
    for name, value in project.options.items():
        if name not in arguments:
            raw[name] = os.path.relpath(os.path.join(project.folder, value)) if name in PATHS and value else value
    raw["target"], raw["runtime"] = ",".join(project.boards), ",".join(project.runtimes)


def parse_options(arguments, launch_dir=None):
    """Validate `scons` command-line arguments; returns a dict of typed option values.
    launch_dir: where scons was started, for relative paths (SCons' GetLaunchDir())."""
    unknown = sorted(set(arguments) - set(OPTIONS))
    if unknown:
        raise UserError(f"unknown option {', '.join(unknown)}; valid options: "
                        f"{', '.join(OPTIONS)} (scons -h describes them).")
    raw = {name: arguments.get(name, default) for name, (_, default, _) in OPTIONS.items()}
    for name in PATHS:
        if name != "model" and (name, raw[name]) != ("calibration", "random"):
            raw[name] = _from_launch_dir(raw[name], launch_dir)
    project = projects.load_project(raw["project"]) if raw["project"] else None
    if project:
        _project_options(raw, arguments, project)
    if raw["compare"] and not os.path.isfile(raw["compare"]):
        raise UserError(f"option compare={raw['compare']}: no such file; give the fleet.json of an earlier build.")
    if raw["toolchain"] and raw["toolchain"] not in OPTIONS["toolchain"][2]:
        raise UserError(f"option toolchain={raw['toolchain']}: valid values: {', '.join(OPTIONS['toolchain'][2])}.")
    if raw["opt"] not in OPTIONS["opt"][2]:
        raise UserError(f"option opt={raw['opt']}: valid values: {', '.join(OPTIONS['opt'][2])}.")
    if raw["quantize"] and not valid_quantize_mode(raw["quantize"]):
        raise UserError(f"option quantize={raw['quantize']}: valid values: {', '.join(OPTIONS['quantize'][2])}, "
                        f"or {MIXED_FORM}.")
    runtime_names = _list(raw, "runtime", runtimes.NAMES)
    for name in runtime_names:
        if name not in runtimes.NAMES:
            raise UserError(f"option runtime={name}: valid runtimes: {', '.join(runtimes.NAMES)}.")
        if raw["export"] and not runtimes.get(name).exports:
            exporting = ", ".join(r.name for r in runtimes.all_runtimes() if r.exports)
            raise UserError(f"option export={raw['export']} with runtime={name}: export= packages "
                            f"runtime={exporting} (the model as C with nnbuild's kernels); build the package "
                            f"with runtime={exporting}, or leave export= out.")
    names = _list(raw, "target", targets.available_targets())
    if raw["vectors"] != "auto" and (not raw["vectors"].isdigit() or int(raw["vectors"]) < 1):
        raise UserError(f"option vectors={raw['vectors']}: expected auto or a positive whole number.")
    verify, verbose = boolean_option("verify", raw["verify"]), boolean_option("verbose", raw["verbose"])
    _check_cache(raw["cache"])
    if raw["size_diff"]:
        size_diff.check_size_report(raw["size_diff"], "option size_diff")
    opts = {
        "targets": [targets.load_target(t) for t in names],
        "models": project.models if project else _models(raw, launch_dir),
        "project": project,
        "compare": raw["compare"],
        "runtimes": [runtimes.get(name) for name in runtime_names],
        "verify": verify,
        "vectors": None if raw["vectors"] == "auto" else int(raw["vectors"]),
        "verbose": verbose,
        "calibration": raw["calibration"],
        "eval": raw["eval"],
        "quantize": raw["quantize"],
        "toolchain": raw["toolchain"],
        "opt": raw["opt"],
        "size_diff": raw["size_diff"],
        "flash_budget": raw["flash_budget"],
        "ram_budget": raw["ram_budget"],
        "cross_compile": raw["CROSS_COMPILE"],
        "cache": raw["cache"],
        "export": raw["export"],
        **{name: raw[name] for r in runtimes.all_runtimes() for name in r.options},
    }
    for r in runtimes.all_runtimes():
        r.complete_options(opts)
    return opts
