"""runtime=tpu: a Sophgo TPU (the MilkV Duo's CV1800B, chip cv180x) through Sophgo's TPU-MLIR.

Per model (build/models/<m>/tpu/): the ONNX model in TPU-MLIR's top dialect and its
calibration table. Per board, whose target file names the chip and its memory
([runtimes.tpu]): the .cvimodel, INT8 or BF16 (quantize=auto: INT8 within the model's
tolerance, else BF16), the C API over cviruntime, the runner, and

- always: the runner compiled for the board (zig) and, with verify=1, compiled for the host
  against TPU-MLIR's x86 libcviruntime.so (its simulator) and run on every evaluation vector,
  compared byte for byte with TPU-MLIR's Python runtime;
- with cvitek_sdk=PATH (the board's riscv64 musl libcviruntime.so from Sophgo's SDK): the
  linked firmware and deploy/, what goes onto the board (firmware, .cvimodel, run.sh).
"""

import os

from SCons.Defaults import Chmod
from SCons.Environment import Environment

from nnbuild import budgets, build_folder, datasets
from nnbuild.code_dependencies import template_file
from nnbuild.errors import UserError
from nnbuild.firmware import FirmwareResult
from nnbuild.model_toml import MIXED, quantization_settings
from nnbuild.pytorch_model import onnx_model
from nnbuild.runner import runner_context
from nnbuild.runtimes.base import Model, Runtime
from nnbuild.runtimes.tpu import builders, toolkit
from nnbuild.scons_actions import settings_node


class Tpu(Runtime):
    name = "tpu"
    options = {
        "tpu_mlir": ("runtime=tpu: the Python 3.10 venv with TPU-MLIR (default: $TPU_MLIR_VENV, else .tpu-mlir, "
                     "made by ./install.sh)", "", None, True),
        "cvitek_sdk": ("runtime=tpu: Sophgo's SDK folder with the board's cviruntime (lib/libcviruntime.so, "
                       "include/cviruntime.h), to link the board firmware (default: $CVITEK_SDK)", "", None, True),
    }

    def complete_options(self, opts):
        opts["tpu_mlir"] = toolkit.venv_path(opts["tpu_mlir"])
        opts["cvitek_sdk"] = opts["cvitek_sdk"] or os.environ.get("CVITEK_SDK", "")

    def supports(self, spec, target, opts):
        if "tpu" not in target.runtimes:
            return "no TPU on this board (no [runtimes.tpu] in its target file)"
        if spec.kind == "tflite":
            return "a .tflite model (TPU-MLIR compiles ONNX)"
        return toolkit.missing(opts["tpu_mlir"])

    def prepare(self, env, opts, spec):
        if spec.kind == "tflite":
            raise UserError(f"model={spec.source}: runtime=tpu compiles ONNX models (or PyTorch folders) with "
                            "TPU-MLIR; give the model's .onnx, or use runtime=aot or tflm for a .tflite.")
        toolkit.check(opts["tpu_mlir"])
        builders.add_builders(env)
        folder = f"{build_folder.root()}/models/{spec.name}/tpu"
        onnx = onnx_model(env, spec)
        calibration = datasets.calibration_source(spec, opts["calibration"])
        tolerances = {**toolkit.TOLERANCES, **spec.config.get("tpu", {})}
        common = {"model": spec.name, "venv": opts["tpu_mlir"], "calibration": calibration}
        dependencies = [f for f in [datasets.calibration_dependency(calibration)] if f]
        mlir, weights, check_input, check_outputs, transform = env.TpuTransform(
            f"{folder}/{spec.name}.mlir", [onnx, settings_node(env, {**common, "tolerance": tolerances["transform"]}),
                                           *dependencies])
        table = env.TpuCalibrate(f"{folder}/{spec.name}_cali_table", [
            mlir, weights, transform, settings_node(env, {**common, "samples": datasets.calibration_count(spec)}),
            *dependencies])[0]
        env.Clean(mlir, folder)
        return Model(name=spec.name, data_file=datasets.evaluation_file(spec, opts["eval"]), config=spec.config,
                     parts={"onnx": onnx, "converted": [mlir, weights, check_input, check_outputs, table],
                            "transform": transform, "dependencies": dependencies, "calibration": calibration,
                            "samples": datasets.calibration_count(spec),
                            "tolerances": {mode: tolerances[mode] for mode in toolkit.DEPLOY}})

    def verify_summary(self, verify):
        from nnbuild.verify import bit_exact_verdict

        return bit_exact_verdict(verify) + f" ({verify['mode']} on {verify['chip']}, against {verify['reference']})"

    @staticmethod
    def build_firmware(tenv, opts, target, toolchain, runtime, libraries, model):
        """The cvimodel for the board's chip, the runner for the board (linked with an SDK),
        its size report and its verification on the simulator."""
        board = target.runtimes.get("tpu")
        if not board or not board.get("chip") or not isinstance(board.get("memory"), int):
            raise UserError(f"runtime=tpu for target {target.name}: {target.path} needs a [runtimes.tpu] table "
                            "with chip (TPU-MLIR's --chip, e.g. \"cv180x\") and memory (bytes of TPU memory).")
        out = f"{build_folder.root()}/{target.name}/{runtime.name}/{model.name}"
        parts = model.parts
        settings = {"model": model.name, "venv": opts["tpu_mlir"], "chip": board["chip"], "memory": board["memory"],
                    **quantization_settings(model.config, opts["quantize"]), "tolerances": parts["tolerances"],
                    "evaluation": model.data_file, "calibration": parts["calibration"],
                    "samples": parts["samples"]}
        if settings["mode"] == "int16x8" or settings["mode"].startswith(MIXED):
            raise UserError(f"quantize={settings['mode']} with runtime=tpu: {board['chip']}'s TPU computes in INT8 "
                            "or BF16; use quantize=int8, bf16 or auto.")
        cvimodel, _, info = tenv.TpuDeploy(f"{out}/{model.name}.cvimodel", [
            *parts["converted"], parts["onnx"], parts["transform"], settings_node(tenv, settings),
            *[f for f in (model.data_file,) if f], *parts["dependencies"]])
        header, glue = tenv.TpuGlue(f"{out}/tpu/{model.name}.h", [info, settings_node(tenv, {"model": model.name})])
        runner_c = tenv.RenderTemplate(f"{out}/runner.c", [template_file("linux/runner.c.j2"),
                                                           settings_node(tenv, runner_context(model.name,
                                                                                              target.name))])
        tenv.Prepend(CPPPATH=[header.dir])  # a node: the build folder may be outside the checkout (project=)
        sdk = _sdk(opts["cvitek_sdk"])
        if sdk:
            tenv.Append(CPPPATH=[sdk["include"]], LIBPATH=[sdk["lib"]], LIBS=["cviruntime"],
                        CPPDEFINES=[("NN_CVIRUNTIME_H", "\\<cviruntime.h\\>")] if sdk["header"] else [])
            # cviruntime is a shared library: a dynamic executable.
            tenv.Replace(**{flags: [f for f in tenv[flags] if f != "-static"] for flags in ("LINKFLAGS", "STRIPLINKFLAGS")})
        objects = [tenv.Object(f"{out}/obj/runner.o", runner_c)[0], tenv.Object(f"{out}/obj/{model.name}_tpu.o", glue)[0]]
        components = {str(objects[0]): "runner", str(objects[1]): "model code"}
        deployables, deployable, elf, note = _board_program(tenv, sdk, objects, cvimodel, model.name, out)
        size_settings = {"components": components, "elf": str(elf), "title": f"{model.name} on {target.name}",
                         "budget": budgets.effective_budgets(target, model.name, model.config, opts)}
        size_json = tenv.TpuSize(f"{out}/size.json", [info, *objects, *([elf] if elf else []),
                                                      settings_node(tenv, size_settings)])[0]
        outputs = [*deployables, size_json]
        if opts["verify"]:
            runner = _simulator_runner(tenv, opts, out, model.name, runner_c, glue, header)
            verify_settings = {"venv": opts["tpu_mlir"], "vectors": opts["vectors"], "data": model.data_file,
                               "timeout": target.emulator_timeout}
            verify_json = tenv.VerifyTpu(f"{out}/verify.json", [runner, cvimodel, info,
                                                                settings_node(tenv, verify_settings),
                                                                *[f for f in (model.data_file,) if f]])
            tenv.Alias("verify", verify_json)
            outputs.append(verify_json)
        tenv.Clean(cvimodel, out)
        for alias in (model.name, target.name, runtime.name):
            tenv.Alias(alias, outputs)
        tenv.Alias("firmware", deployables)
        tenv.Alias("size", size_json)
        return FirmwareResult(target=target, runtime=runtime, folder=out, outputs=outputs, toolchain=toolchain,
                              deployable=deployable, verified=opts["verify"], notes=[note])


def _sdk(folder):
    """The SDK's cviruntime library and header folders, or None without an SDK."""
    if not folder:
        return None
    lib = next((os.path.join(folder, d) for d in ("lib", "lib64", ".")
                if os.path.isfile(os.path.join(folder, d, "libcviruntime.so"))), None)
    if not lib:
        raise UserError(f"cvitek_sdk={folder}: no libcviruntime.so in {folder}/lib; give the folder of Sophgo's "
                        "SDK (or its cviruntime) built for the board: riscv64 musl, with lib/libcviruntime.so "
                        "and include/cviruntime.h.")
    include = os.path.join(folder, "include")
    return {"lib": os.path.abspath(lib), "include": os.path.abspath(include),
            "header": os.path.isfile(os.path.join(include, "cviruntime.h"))}


def _board_program(tenv, sdk, objects, cvimodel, model, out):
    """With an SDK, the linked runner and deploy/ (firmware, the cvimodel, run.sh); without one
    the cvimodel is what there is. Returns what to build, the deployable, the ELF (or "") and
    the summary's note."""
    if not sdk:  # the objects are built for the size report
        return [cvimodel], str(cvimodel), "", (
            "board firmware: not linked; give cvitek_sdk=PATH (or $CVITEK_SDK), Sophgo's SDK folder with the "
            "Duo's riscv64 musl lib/libcviruntime.so, to link it and make deploy/")
    elf = tenv.Program(f"{out}/firmware.elf", objects)[0]
    firmware = tenv.StrippedProgram(f"{out}/firmware", objects)[0]
    deploy = f"{out}/deploy"
    script = tenv.Textfile(f"{deploy}/run.sh", ["#!/bin/sh", 'cd "$(dirname "$0")" && exec ./firmware "$@"', ""],
                           **({"TEXTFILECOMSTR": "[write] $TARGET"} if tenv.get("CCCOMSTR") else {}))
    tenv.AddPostAction(script, Chmod("$TARGET", 0o755))
    copies = tenv.InstallAs([f"{deploy}/firmware", f"{deploy}/{model}.cvimodel"], [firmware, cvimodel])
    return ([cvimodel, elf, *copies, *script], f"{deploy}/firmware", elf,
            f"deploy/: firmware, {model}.cvimodel and run.sh, for the board")


def _simulator_runner(tenv, opts, out, model, runner_c, glue, header):
    """The runner for the host, linked with TPU-MLIR's x86 libcviruntime.so: the simulator."""
    library = toolkit.library_dir(opts["tpu_mlir"])
    henv = Environment(tools=["gcc", "gnulink"], ENV=tenv["ENV"], CCFLAGS=["-O1", "-std=c11", "-Wall"],
                       **({"CCCOMSTR": "[cc simulator] $SOURCE", "LINKCOMSTR": "[link simulator] $TARGET"}
                          if tenv.get("CCCOMSTR") else {}),
                       CPPPATH=[header.dir], CPPDEFINES=["NN_TPU_SIMULATOR"],
                       LIBPATH=[library], LIBS=["cviruntime", "m"], RPATH=[library])
    objects = [henv.Object(f"{out}/simulator/obj/runner.o", runner_c), henv.Object(f"{out}/simulator/obj/{model}_tpu.o", glue)]
    return henv.Program(f"{out}/simulator/firmware", objects)[0]


RUNTIME = Tpu()
