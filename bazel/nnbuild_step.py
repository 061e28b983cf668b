"""nnbuild's steps as Bazel actions (bazel/nnbuild.bzl): each command runs one step of the
pipeline, the same function SCons runs, on the files Bazel gives it in its sandbox, with
the settings SCons would give it.

    nnbuild_step.py quantize MODEL OUT.tflite OUT_REPORT.json [calibration=F] [eval=F] [quantize=MODE]
    nnbuild_step.py aot MODEL.tflite NAME OUT.h OUT.c OUT_WEIGHTS.c OUT_INFO.json [inplace=1] [patch=1]
    nnbuild_step.py runner NAME TARGET OUT.c
    nnbuild_step.py verify FIRMWARE MODEL.tflite REPORT.json|- TARGET OUT.json [eval=F] [vectors=N]

MODEL is a model folder's model file (model.onnx: its model.toml is read) or an .onnx file.
A user mistake exits with status 2 and one `nnbuild: error:` paragraph, as from scons.
"""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "site_scons"))

from nnbuild import models  # noqa: E402
from nnbuild.errors import UserError  # noqa: E402
from nnbuild.files import write_atomically  # noqa: E402
from nnbuild.options import boolean_option  # noqa: E402
from nnbuild.runner import render_runner  # noqa: E402
from nnbuild.targets import load_target  # noqa: E402


def _options(arguments, allowed):
    """name=value arguments -> dict; UserError for a name not in `allowed`."""
    options = {}
    for argument in arguments:
        name, _, value = argument.partition("=")
        if name not in allowed:
            raise UserError(f"{argument}: expected one of {', '.join(f'{a}=' for a in allowed)}.")
        options[name] = value
    return options


def _spec(model_file):
    """The model as `scons model=` would name it: a model folder's file names the folder."""
    if os.path.basename(model_file) in models.MODEL_FILES:
        return models.resolve_model(os.path.dirname(model_file))
    return models.resolve_model(model_file)


def quantize(model_file, tflite, report, *arguments):
    from nnbuild.conversion import quantize_step
    from nnbuild.runtimes.tflite_route import quantize_settings

    options = {"calibration": "", "eval": "", "quantize": "", **_options(arguments, ("calibration", "eval",
                                                                                    "quantize"))}
    spec = _spec(model_file)
    settings, _ = quantize_settings(spec, options)
    quantize_step([tflite, report], [model_file], settings)


def aot(tflite, name, header, source, weights, info, *arguments):
    from nnbuild.runtimes.aot.codegen import aot_step

    options = {"inplace": "1", "patch": "1", **_options(arguments, ("inplace", "patch"))}
    aot_step([header, source, weights, info], [tflite], {
        "model": name, **{k: boolean_option(k, v) for k, v in options.items()}})


def runner(name, target, out):
    write_atomically(out, render_runner(name, load_target(target).name, load_target(target).family))


def verify(firmware, tflite, report, target, out, *arguments):
    from nnbuild.runtimes.aot import RUNTIME
    from nnbuild.verify import verify_step

    options = {"eval": "", "vectors": "", **_options(arguments, ("eval", "vectors"))}
    settings = RUNTIME.verify_settings(load_target(target), int(options["vectors"]) if options["vectors"] else None,
                                       options["eval"] or None, False)
    verify_step([out], [firmware, tflite] + ([report] if report != "-" else []), settings)


STEPS = {"quantize": quantize, "aot": aot, "runner": runner, "verify": verify}


def main(argv):
    if len(argv) < 2 or argv[1] not in STEPS:
        sys.stderr.write(__doc__)
        return 2
    try:
        STEPS[argv[1]](*argv[2:])
    except UserError as e:
        sys.stderr.write(f"nnbuild: error: {e}\n")
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
