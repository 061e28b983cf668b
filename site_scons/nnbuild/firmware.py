"""The build graph: which builder makes which artifact (DESIGN.md, "The pipeline")."""

import os
from dataclasses import dataclass, field

from nnbuild import budgets, datasets, executorch_build, export, memory_map
from nnbuild.model_toml import DEFAULT_MIN_SQNR_DB, DEFAULT_TOLERANCE
from nnbuild.pytorch_model import pytorch_source
from nnbuild.runner import runner_context
from nnbuild.scons_actions import settings_node
from nnbuild.executorch_build import build_executorch_sources
from nnbuild.tflm_build import build_tflm_sources

BUILD = "build"
KERNEL_DIR = "kernels"


@dataclass
class ModelArtifacts:
    name: str
    tflite: object = None           # runtime=aot and tflm
    quant_report: object = None     # None for a model given as .tflite
    aot_sources: list = field(default_factory=list)   # [model.c, model_weights.c]
    aot_dir: str = ""
    aot_info: object = None         # aot_info.json: arena size and lower bound, ops, weights
    data_file: str = None           # samples for verification (evaluation data)
    config: dict = field(default_factory=dict)  # model.toml
    program: object = None          # runtime=executorch: the .pte, program.json, model.py, model.pt
    program_json: object = None
    pytorch: object = None          # runtime=executorch: the PytorchSource (script, weights) for verification


@dataclass
class FirmwareResult:
    target: object
    folder: str
    outputs: list
    toolchain: str = ""
    deployable: str = ""
    verified: bool = False          # verify=1: verify.json is this build's


def build_model(env, opts):
    """Quantize (for ONNX) and generate aot C: target independent, under build/models/<model>/."""
    spec = opts["model"]
    folder = f"{BUILD}/models/{spec.name}"
    tflite_path = f"{folder}/{spec.name}.tflite"
    quant_report = None
    evaluation = datasets.evaluation_file(spec, opts["eval"])
    if opts["runtime"] == "executorch":  # the PyTorch route: no quantization, no aot C
        program, program_json, pytorch = executorch_build.build_program(env, spec, opts)
        env.Clean(program, folder)
        return ModelArtifacts(name=spec.name, program=program, program_json=program_json, pytorch=pytorch,
                              data_file=evaluation, config=spec.config)
    if spec.kind in ("onnx", "pytorch"):
        onnx_model = spec.source
        if spec.kind == "pytorch":  # exported to ONNX first, like a model given as ONNX
            pytorch = pytorch_source(spec.folder, spec.config, "building this model")
            onnx_model = env.OnnxExport(f"{folder}/{spec.name}.onnx", [*pytorch.files(),
                                                                       settings_node(env, pytorch.settings())])[0]
        calibration = datasets.calibration_source(spec, opts["calibration"])
        samples = datasets.calibration_count(spec)
        quantization = spec.config.get("quantization", {})
        settings = {"model": spec.name, "calibration": calibration, "samples": samples,
                    "evaluation": evaluation,
                    "mode": opts["quantize"] or quantization.get("mode", "auto"),
                    "tolerance": quantization.get("tolerance", DEFAULT_TOLERANCE),
                    "metric": quantization.get("metric", "auto"),
                    "min_sqnr_db": quantization.get("min_sqnr_db", DEFAULT_MIN_SQNR_DB)}
        inputs = [onnx_model, settings_node(env, settings)]
        inputs += [f for f in (datasets.calibration_dependency(calibration), evaluation) if f]
        tflite, quant_report = env.Quantize(tflite_path, inputs)
    else:
        tflite = env.InstallAs(tflite_path, spec.source)[0]
    env.Clean(tflite, folder)  # scons -c: the work files too (quantize/, logs)
    aot_dir = f"{folder}/aot"
    header, source, weights, aot_info = env.AotModel(f"{aot_dir}/{spec.name}.h", [tflite, settings_node(env, {"model": spec.name})])
    return ModelArtifacts(name=spec.name, tflite=tflite, quant_report=quant_report,
                          aot_sources=[source, weights], aot_dir=aot_dir, aot_info=aot_info,
                          data_file=evaluation, config=spec.config)


def _kernels_library(env, target):
    """The aot kernels as one static library per target, shared by every model."""
    lib_dir = f"{BUILD}/{target.name}/lib"
    objects = [env.Object(f"{lib_dir}/obj/{os.path.splitext(f)[0]}.o", f"#{KERNEL_DIR}/{f}")
               for f in sorted(os.listdir(KERNEL_DIR)) if f.endswith(".c")]
    return env.StaticLibrary(f"{lib_dir}/nnkernels", objects)[0], objects


def _toolchain_env(env, opts, target):
    """A construction environment for the target with the toolchain asked for."""
    if opts["runtime"] == "executorch":
        toolchain = executorch_build.toolchain_for(target, opts)
    else:
        toolchain = opts["toolchain"] or target.toolchain
    target.toolchain_for(toolchain)  # a clear error if the target cannot use it
    tenv = env.Clone(NNBUILD_TARGET=target, CROSS_COMPILE=opts["cross_compile"])
    tenv.Tool(toolchain)
    return tenv, toolchain


def _baremetal_sources(tenv, target, model, out, opts, memory_info):
    """Startup code, linker script and compiled-in test vectors of a bare-metal image;
    `memory_info` is the runtime's memory json (arena, weights)."""
    context = {"target": target.name, "stack": target.stack, "heap": target.heap,
               "regions": [vars(r) for r in memory_map.regions(target.memory, target.path)]}
    startup = tenv.RenderTemplate(f"{out}/startup.c", ["#templates/baremetal/startup.c.j2",
                                                       settings_node(tenv, {"target": target.name})])
    script = tenv.LinkerScript(f"{out}/link.ld", ["#templates/baremetal/link.ld.j2", memory_info, model.tflite,
                                                  settings_node(tenv, context)])
    vector_settings = settings_node(tenv, {"vectors": opts["vectors"], "data": model.data_file})
    vectors = tenv.TestVectors(f"{out}/test_vectors.h", [model.tflite, vector_settings] +
                               [s for s in (model.quant_report, model.data_file) if s is not None])
    tenv.Append(LINKFLAGS=["-T", script[0]], CPPPATH=[f"#{out}"])
    return tenv.Object(f"{out}/obj/startup.o", startup), script, vectors


def build_firmware(env, opts, target, model):
    """Runner, compile, link, strip, size report and (with verify=1) verification for one target."""
    tenv, toolchain = _toolchain_env(env, opts, target)
    runtime = opts["runtime"]
    out = f"{BUILD}/{target.name}/{runtime}/{model.name}"

    if runtime == "tflm":
        model_objects, libraries, model_components, arena_info = build_tflm_sources(tenv, opts, target, model, out)
    elif runtime == "executorch":
        model_objects, libraries, model_components, arena_info = build_executorch_sources(
            tenv, opts, target, model, out)
    else:
        tenv.Append(CPPPATH=[f"#{KERNEL_DIR}", f"#{model.aot_dir}"])
        kernels_lib, kernel_objects = _kernels_library(tenv, target)
        model_objects = [tenv.Object(f"{out}/obj/{os.path.splitext(os.path.basename(str(s)))[0]}.o", s)
                         for s in model.aot_sources]
        libraries, arena_info = [kernels_lib], model.aot_info
        model_components = {str(model_objects[0][0]): "model code", str(model_objects[1][0]): "model weights",
                            str(kernels_lib): "kernels"}
    context = runner_context(model.name, target.name)
    runner_c = tenv.RenderTemplate(f"{out}/runner.c", [f"#templates/{target.family}/runner.c.j2",
                                                       settings_node(tenv, context)])
    runner_o = tenv.Object(f"{out}/obj/runner.o", runner_c)
    objects = [runner_o, *model_objects]
    components = {str(runner_o[0]): "runner", **model_components}
    baremetal = target.family == "baremetal"
    if baremetal:
        startup_o, script, vectors = _baremetal_sources(tenv, target, model, out, opts, arena_info)
        tenv.Depends(runner_o, vectors)
        objects.append(startup_o)
        components[str(startup_o[0])] = "startup"
    elf, map_file = tenv.Program(f"{out}/firmware.elf", objects + libraries)
    tenv.Clean(elf, out)  # scons -c: also what steps leave beside their outputs (vectors.bin, reports)
    if baremetal:
        tenv.Depends(elf, script)
        deployable = tenv.BinaryImage(f"{out}/firmware.bin", elf)
    else:
        deployable = tenv.StrippedProgram(f"{out}/firmware", objects + libraries)

    size_settings = {"components": components, "arena_symbol": f"{model.name}_arena",
                     "budget": budgets.effective_budgets(target, model.config, opts),
                     "title": f"{model.name} on {target.name}", "diff": opts["size_diff"],
                     "regions": [vars(r) for r in memory_map.regions(target.memory, target.path)]}
    size_json, *_ = tenv.SizeReport(f"{out}/size.json", [elf, map_file, arena_info,
                                                           settings_node(tenv, size_settings)])
    outputs = [elf, deployable, size_json]
    if opts["verify"] and runtime == "executorch":
        verify_settings = {"emulator": target.emulator, "vectors": opts["vectors"], "data": model.data_file,
                           "vectors_compiled_in": False, "pytorch": model.pytorch.settings()}
        sources = [deployable, model.program, model.program_json, *model.pytorch.files(),
                   settings_node(tenv, verify_settings)]
        outputs.append(tenv.VerifyExecutorch(f"{out}/verify.json", sources + [s for s in (model.data_file,) if s]))
    elif opts["verify"]:
        verify_settings = {"emulator": target.emulator, "vectors": opts["vectors"],
                           "data": model.data_file, "vectors_compiled_in": baremetal}
        # qemu-system loads the ELF; user-mode emulators run the stripped deployable.
        sources = [elf if baremetal else deployable, model.tflite, settings_node(tenv, verify_settings)]
        sources += [s for s in (model.quant_report, model.data_file) if s is not None]
        outputs.append(tenv.Verify(f"{out}/verify.json", sources))
    if opts["export"]:
        outputs += export.export_package(tenv, opts, target, model, model_objects, libraries[0],
                                         export.package_dir(opts["export"], target, opts["targets"]),
                                         after=list(outputs))
    return FirmwareResult(target=target, folder=out, outputs=outputs, toolchain=toolchain,
                          deployable=str(deployable[0]), verified=opts["verify"])
