"""The build graph: which builder makes which artifact (DESIGN.md, "The pipeline")."""

from dataclasses import dataclass, field

from nnbuild import budgets, build_folder, export, families, memory_map
from nnbuild.code_dependencies import template_file
from nnbuild.errors import UserError
from nnbuild.runner import runner_context
from nnbuild.scons_actions import settings_node
from nnbuild.toolchain import off_the_inference_path


@dataclass
class FirmwareResult:
    target: object
    runtime: object
    folder: str
    outputs: list
    toolchain: str = ""
    deployable: str = ""
    verified: bool = False          # verify=1: verify.json is this build's
    notes: list = field(default_factory=list)  # lines the summary adds (what was not built, and why)


def _toolchain_env(env, opts, target, runtime):
    """A construction environment for the target with the toolchain asked for."""
    toolchain = runtime.toolchain(target, opts)
    target.toolchain_for(toolchain)  # a clear error if the target cannot use it
    tenv = env.Clone(NNBUILD_TARGET=target, NNBUILD_OPT=opts["opt"], CROSS_COMPILE=opts["cross_compile"])
    tenv.Tool(toolchain)
    return tenv, toolchain


def build_matrix(env, opts, say=print):
    """Every (runtime, board, model) of the options: each model prepared once per runtime
    (a model converted once for every runtime of its route), each runtime's libraries once
    per board. A combination a runtime cannot build is skipped, saying why, when several were
    asked for; alone, building it gives the runtime's own error. Returns [FirmwareResult]."""
    specs, targets = opts["models"], opts["targets"]
    matrix = len(specs) * len(targets) * len(opts["runtimes"]) > 1
    results = []
    for runtime in opts["runtimes"]:
        reasons = {(s.name, t.name): runtime.supports(s, t, opts) if matrix else None for s in specs for t in targets}
        for (model, target), reason in reasons.items():
            if reason:
                say(f"[skip] {model} on {target} with runtime={runtime.name}: {reason}")
        models = [runtime.prepare(env, opts, s) for s in specs if any(not reasons[s.name, t.name] for t in targets)]
        for target in targets:
            buildable = [m for m in models if not reasons[m.name, target.name]]
            if not buildable:
                continue
            tenv, toolchain = _toolchain_env(env, opts, target, runtime)
            libraries = runtime.target_libraries(tenv, opts, target)
            build = runtime.build_firmware or build_firmware
            results += [build(tenv.Clone(), opts, target, toolchain, runtime, libraries, model) for model in buildable]
    if not results:
        raise UserError(f"nothing to build: no runtime of runtime={','.join(r.name for r in opts['runtimes'])} "
                        "can build these models for these targets (the reasons are above).")
    return results


def size_settings(target, model_name, model_config, opts, components):
    """The size step's settings (size_report.size_step): `components` names the component of
    each input file of the link."""
    return {"components": components, "arena_symbol": f"{model_name}_arena",
            "budget": budgets.effective_budgets(target, model_name, model_config, opts),
            "title": f"{model_name} on {target.name}", "diff": opts.get("size_diff", ""),
            "regions": [vars(r) for r in memory_map.regions(target.memory, target.path)]}


def build_firmware(tenv, opts, target, toolchain, runtime, libraries, model):
    """Runner, compile, link, strip, size report and (with verify=1) verification of one
    model for one target; tenv is the target's environment, this firmware's own copy."""
    out = f"{build_folder.root()}/{target.name}/{runtime.name}/{model.name}"
    family = families.get(target.family)
    linked = runtime.link(tenv, opts, target, model, libraries, out)
    extra, extra_components, runner_needs, link_needs = family.sources(tenv, opts, target, model, out,
                                                                       linked.memory_info)
    context = runner_context(model.name, target.name)
    runner_c = tenv.RenderTemplate(f"{out}/runner.c", [template_file(f"{target.family}/runner.c.j2"),
                                                       settings_node(tenv, context)])
    runner_o = tenv.Object(f"{out}/obj/runner.o", runner_c, **off_the_inference_path(tenv))
    tenv.Depends(runner_o, runner_needs)
    objects = [runner_o, *linked.objects, *extra]
    components = {str(runner_o[0]): "runner", **linked.components, **extra_components}
    elf, map_file = tenv.Program(f"{out}/firmware.elf", objects + linked.libraries)
    tenv.Clean(elf, out)  # scons -c: also what steps leave beside their outputs (vectors.bin, reports)
    tenv.Depends(elf, link_needs)
    deployable = family.image(tenv, out, elf, objects + linked.libraries)

    settings = size_settings(target, model.name, model.config, opts, components)
    size_json, *_ = tenv.SizeReport(f"{out}/size.json", [elf, map_file, linked.memory_info,
                                                           settings_node(tenv, settings)])
    outputs = [elf, deployable, size_json]
    if opts["verify"]:
        verify_json = runtime.verify(tenv, opts, target, model, family.binary_to_run(elf, deployable), out,
                                     family.vectors_compiled_in)
        tenv.Alias("verify", verify_json)
        outputs.append(verify_json)
    if opts["export"]:
        outputs += runtime.export(tenv, opts, target, model, linked,
                                  export.package_dir(opts, target, model.name), after=list(outputs))
    for alias in (model.name, target.name, runtime.name):
        tenv.Alias(alias, outputs)
    tenv.Alias("firmware", deployable)
    tenv.Alias("size", size_json)
    return FirmwareResult(target=target, runtime=runtime, folder=out, outputs=outputs, toolchain=toolchain,
                          deployable=str(deployable[0]), verified=opts["verify"])
