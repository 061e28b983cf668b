"""nnbuild's steps one at a time, for build systems that run each as their own action
(bazel/nnbuild.bzl, cmake/nnbuild.cmake): each command runs the function SCons runs for
that step, on the files it is given, with the settings SCons would give it.

    step_command.py quantize MODEL OUT.tflite OUT_REPORT.json [calibration=F] [eval=F] [quantize=MODE]
    step_command.py aot MODEL.tflite NAME OUT.h OUT.c OUT_WEIGHTS.c OUT_INFO.json [inplace=1] [patch=1]
    step_command.py board TARGET OUT.cmake
    step_command.py runner NAME TARGET OUT.c
    step_command.py size ELF MAP AOT_INFO.json OUT.json OUT.txt OUT.html NAME TARGET [components=JSON] [model=MODEL]
    step_command.py verify FIRMWARE MODEL.tflite REPORT.json|- TARGET OUT.json [eval=F] [vectors=N] [model=MODEL]
                   [emulator="qemu-aarch64 -L /usr/aarch64-linux-gnu"]

MODEL is a model folder (its model.onnx or PyTorch model.py, and model.toml), a folder's
model file, or an .onnx file. `board` writes, for CMake, the kernel sources the board
compiles, its NN_ALIGNMENT and its family. verify's model= reads the evaluation data its
model.toml names, as scons does (eval= overrides); size's components= maps the link's input
files to components (the rest: startup, compiler runtime, C library), its model= adds the
model.toml's budget to the board's. A user mistake exits with status 2 and one
`nnbuild: error:` paragraph, as from scons.
"""

import json
import os
import shlex
import sys

# Run as a script: site_scons instead of this folder, whose modules would shadow others' (profile).
sys.path[0] = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

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


def _spec(model):
    """The model as `scons model=` would name it: a model folder's file names the folder."""
    if os.path.basename(model) in models.MODEL_FILES:
        return models.resolve_model(os.path.dirname(model))
    return models.resolve_model(model)


def quantize(model, tflite, report, *arguments):
    from nnbuild.conversion import quantize_step
    from nnbuild.pytorch_model import export_onnx_step, pytorch_source
    from nnbuild.runtimes.tflite_route import quantize_settings

    options = {"calibration": "", "eval": "", "quantize": "", **_options(arguments, ("calibration", "eval",
                                                                                    "quantize"))}
    spec = _spec(model)
    settings, _ = quantize_settings(spec, options)
    onnx = spec.source
    if spec.kind == "pytorch":  # exported to ONNX first, beside the .tflite
        onnx = os.path.join(os.path.dirname(tflite), f"{spec.name}.onnx")
        export_onnx_step([onnx], [], pytorch_source(spec.folder, spec.config, "building this model").settings())
    quantize_step([tflite, report], [onnx], settings)


def aot(tflite, name, header, source, weights, info, *arguments):
    from nnbuild.runtimes.aot.codegen import aot_step

    options = {"inplace": "1", "patch": "1", **_options(arguments, ("inplace", "patch"))}
    aot_step([header, source, weights, info], [tflite], {
        "model": name, **{k: boolean_option(k, v) for k, v in options.items()}})


def board(target, out):
    from nnbuild.runtimes.aot import kernel_sources

    described = load_target(target)
    folder = os.path.join(os.path.dirname(__file__), "..", "..", "kernels")
    sources = [os.path.abspath(p) for p in kernel_sources(described, folder).values()]
    write_atomically(out, f"set(NNBUILD_KERNEL_SOURCES {';'.join(sources)})\n"
                          f"set(NNBUILD_ALIGNMENT {described.alignment})\n"
                          f"set(NNBUILD_FAMILY {described.family})\n")


def runner(name, target, out):
    board = load_target(target)
    write_atomically(out, render_runner(name, board.name, board.family))


def size(elf, map_file, info, out_json, out_txt, out_html, name, target, *arguments):
    from nnbuild.firmware import size_settings
    from nnbuild.size_report import size_step

    options = {"components": "{}", "model": "", **_options(arguments, ("components", "model"))}
    config = _spec(options["model"]).config if options["model"] else {}
    settings = size_settings(load_target(target), name, config, {}, json.loads(options["components"]))
    size_step([out_json, out_txt, out_html], [elf, map_file, info], settings)


def verify(firmware, tflite, report, target, out, *arguments):
    from nnbuild.runtimes.aot import RUNTIME
    from nnbuild.verify import verify_step

    from nnbuild.datasets import evaluation_file

    options = {"eval": "", "vectors": "", "model": "", "emulator": "",
               **_options(arguments, ("eval", "vectors", "model", "emulator"))}
    data = evaluation_file(_spec(options["model"]), options["eval"]) if options["model"] else options["eval"] or None
    settings = RUNTIME.verify_settings(load_target(target), int(options["vectors"]) if options["vectors"] else None,
                                       data, False)
    if options["emulator"]:  # the build's own (CMAKE_CROSSCOMPILING_EMULATOR), for the program it links
        settings["emulator"] = shlex.split(options["emulator"])
    verify_step([out], [firmware, tflite] + ([report] if report != "-" else []), settings)


STEPS = {"quantize": quantize, "aot": aot, "board": board, "runner": runner, "size": size, "verify": verify}


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
