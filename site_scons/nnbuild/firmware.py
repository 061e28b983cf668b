"""The build graph: which builder makes which artifact (DESIGN.md, "The pipeline")."""

from dataclasses import dataclass

from nnbuild import budgets, export, families, memory_map, runtimes
from nnbuild.runner import runner_context
from nnbuild.scons_actions import settings_node

BUILD = "build"


@dataclass
class FirmwareResult:
    target: object
    runtime: object
    folder: str
    outputs: list
    toolchain: str = ""
    deployable: str = ""
    verified: bool = False          # verify=1: verify.json is this build's


def build_model(env, opts):
    """The model's target-independent artifacts, under build/models/<model>/, by its runtime."""
    return runtimes.get(opts["runtime"]).prepare(env, opts, opts["model"])


def _toolchain_env(env, opts, target, runtime):
    """A construction environment for the target with the toolchain asked for."""
    toolchain = runtime.toolchain(target, opts)
    target.toolchain_for(toolchain)  # a clear error if the target cannot use it
    tenv = env.Clone(NNBUILD_TARGET=target, CROSS_COMPILE=opts["cross_compile"])
    tenv.Tool(toolchain)
    return tenv, toolchain


def build_firmware(env, opts, target, model):
    """Runner, compile, link, strip, size report and (with verify=1) verification for one target."""
    runtime = runtimes.get(opts["runtime"])
    tenv, toolchain = _toolchain_env(env, opts, target, runtime)
    out = f"{BUILD}/{target.name}/{runtime.name}/{model.name}"

    family = families.get(target.family)
    linked = runtime.link(tenv, opts, target, model, out)
    extra, extra_components, runner_needs, link_needs = family.sources(tenv, opts, target, model, out,
                                                                       linked.memory_info)
    context = runner_context(model.name, target.name)
    runner_c = tenv.RenderTemplate(f"{out}/runner.c", [f"#templates/{target.family}/runner.c.j2",
                                                       settings_node(tenv, context)])
    runner_o = tenv.Object(f"{out}/obj/runner.o", runner_c)
    tenv.Depends(runner_o, runner_needs)
    objects = [runner_o, *linked.objects, *extra]
    components = {str(runner_o[0]): "runner", **linked.components, **extra_components}
    elf, map_file = tenv.Program(f"{out}/firmware.elf", objects + linked.libraries)
    tenv.Clean(elf, out)  # scons -c: also what steps leave beside their outputs (vectors.bin, reports)
    tenv.Depends(elf, link_needs)
    deployable = family.image(tenv, out, elf, objects + linked.libraries)

    size_settings = {"components": components, "arena_symbol": f"{model.name}_arena",
                     "budget": budgets.effective_budgets(target, model.config, opts),
                     "title": f"{model.name} on {target.name}", "diff": opts["size_diff"],
                     "regions": [vars(r) for r in memory_map.regions(target.memory, target.path)]}
    size_json, *_ = tenv.SizeReport(f"{out}/size.json", [elf, map_file, linked.memory_info,
                                                           settings_node(tenv, size_settings)])
    outputs = [elf, deployable, size_json]
    if opts["verify"]:
        outputs.append(runtime.verify(tenv, opts, target, model, family.binary_to_run(elf, deployable), out,
                                      family.vectors_compiled_in))
    if opts["export"]:
        outputs += runtime.export(tenv, opts, target, model, linked,
                                  export.package_dir(opts["export"], target, opts["targets"]), after=list(outputs))
    return FirmwareResult(target=target, runtime=runtime, folder=out, outputs=outputs, toolchain=toolchain,
                          deployable=str(deployable[0]), verified=opts["verify"])
