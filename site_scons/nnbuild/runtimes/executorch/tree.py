"""runtime=executorch from an ExecuTorch source tree: what to compile, and ExecuTorch's
selective build for one program.

Plain Python, no SCons. Per tree and target: the core runtime (the tree's own
EXECUTORCH_CORE_SRCS list) and the portable kernels' utilities. Per program
(`selective_step`): ExecuTorch's codegen writes the registration of exactly the
operators the .pte uses (gen_oplist -> codegen.gen --manual-registration), and
the portable kernel sources those operators need are listed (`kernel_sources`).
(Its dtype selection, gen_selected_op_variants, made af_detection's firmware
3.6 KB larger, so it is not used.) The schema
headers come from the tree's .fbs files and the flatc the executorch package
ships (`schema_step`).
"""

import glob
import importlib.util
import json
import os
import re
import subprocess
import sys

import yaml

from nnbuild.commands import run_command
from nnbuild.errors import UserError, check_interrupted

BUILD_VARIABLES = "shim_et/xplat/executorch/build/build_variables.bzl"
PORTABLE_FUNCTIONS = "kernels/portable/functions.yaml"
QUANTIZED_FUNCTIONS = "kernels/quantized/quantized.yaml"
# (operator table, its kernel sources, the operator name prefix the table omits)
KERNEL_LIBRARIES = ((PORTABLE_FUNCTIONS, "kernels/portable/cpu/op_*.cpp", "aten::"),
                    (QUANTIZED_FUNCTIONS, "kernels/quantized/cpu/op_*.cpp", ""))
# The core runtime minus the operator registry, whose table is sized per program
# (MAX_KERNEL_NUM): that file is compiled with the program's kernels.
OPERATOR_REGISTRY = "runtime/kernel/operator_registry.cpp"
PLATFORM = "runtime/platform/default/minimal.cpp"  # no logging, no clock: firmware has neither to spare
# Size: no logs or enum names, no verification of the program's flatbuffer at load
# (nnbuild made it), and c10 wants its own macros.
DEFINES = ["C10_USING_CUSTOM_GENERATED_MACROS", "ET_LOG_ENABLED=0", "ET_MIN_LOG_LEVEL=Fatal",
           "ET_ENABLE_PROGRAM_VERIFICATION=0", "ET_ENABLE_ENUM_STRINGS=0", "FLATBUFFERS_MAX_ALIGNMENT=1024"]
# -ffp-contract=off: no fused multiply-add where the Python runtime's kernels have
# none, so the firmware computes the same floats (bit-exact on LoongArch, not 1e-6 off).
CXX_FLAGS = ["-std=c++17", "-fno-exceptions", "-fno-rtti", "-fno-unwind-tables",
             "-fno-asynchronous-unwind-tables", "-fvisibility-inlines-hidden", "-ffp-contract=off",
             "-Wno-deprecated-declarations"]
# zig defines NDEBUG at -Os, and c10's Macros.h then declares __assert_fail the glibc
# way, which clashes with musl's declaration.
UNDEFINES = ["-UNDEBUG"]


def _build_variables(root):
    """The tree's source lists (a Starlark file of plain Python assignments)."""
    scope = {}
    path = os.path.join(root, BUILD_VARIABLES)
    try:
        with open(path) as f:
            exec(compile(f.read(), path, "exec"), scope)  # noqa: S102 - the user's own ExecuTorch tree
    except (OSError, SyntaxError) as e:
        raise UserError(f"executorch={root}: cannot read the source lists in {BUILD_VARIABLES} ({e}); "
                        "nnbuild needs an ExecuTorch tree of release 1.x.") from None
    return scope


def core_sources(root):
    """Absolute paths of the core runtime's sources (without the operator registry)."""
    names = _build_variables(root)["EXECUTORCH_CORE_SRCS"]
    return [os.path.join(root, f) for f in [*names, PLATFORM] if f != OPERATOR_REGISTRY]


def util_sources(root):
    """The portable kernels' utilities: compiled once per target, linked as needed."""
    return [os.path.join(root, f) for f in _build_variables(root)["KERNELS_UTIL_ALL_DEPS_SRCS"]]


def schema_files(root):
    return [os.path.join(root, "schema", f) for f in ("program.fbs", "scalar_type.fbs")]


def flatc():
    """The flatc the executorch package ships (the flatbuffers version its runtime uses)."""
    spec = importlib.util.find_spec("executorch")  # a namespace package: no __file__
    folders = list(spec.submodule_search_locations) if spec else []
    path = os.path.join(folders[0], "data", "bin", "flatc") if folders else "flatc"
    if not os.path.isfile(path):
        raise UserError(f"the executorch package has no flatc ({path}); reinstall it with ./install.sh.")
    return path


def link_step(targets, sources, settings):
    """A link named executorch to the tree, so that <executorch/...> includes resolve whatever
    the tree's folder is called; the target records which tree it points to."""
    link, root = settings["link"], settings["root"]
    if os.path.realpath(link) != root:
        os.makedirs(os.path.dirname(link), exist_ok=True)
        if os.path.lexists(link):
            os.remove(link)
        os.symlink(root, link)
    with open(targets[0], "w") as f:
        f.write(root + "\n")


def schema_step(targets, sources, settings):
    """program.fbs, scalar_type.fbs -> program_generated.h, scalar_type_generated.h."""
    out = os.path.dirname(targets[0])
    run_command([flatc(), "--cpp", "--cpp-std", "c++11", "--gen-mutable", "--scoped-enums", "-o", out, *sources],
                f"flatc compiling the ExecuTorch schema {sources[0]}")


def kernel_sources(root, operators):
    """{operator: the kernel source defining it} (portable or quantized kernels) and the
    operators that have none (prim ops run by the runtime itself, or an operator the
    kernel libraries lack)."""
    tables = []
    for functions_yaml, sources, prefix in KERNEL_LIBRARIES:
        with open(os.path.join(root, functions_yaml)) as f:
            functions = {prefix + (e.get("op") or e["func"].split("(")[0]): e for e in yaml.safe_load(f)}
        tables.append((functions, {path: open(path).read() for path in sorted(glob.glob(os.path.join(root, sources)))}))
    found, missing = {}, []
    for op in operators:
        entry, texts = next(((t[0][op], t[1]) for t in tables if op in t[0]), (None, None))
        if entry is None:
            missing.append(op)
            continue
        function = entry["kernels"][0]["kernel_name"].split("::")[-1]
        # A plain definition, or a DEFINE_*(function, ...) pattern macro.
        pattern = re.compile(r"(^|[\s&>*])" + re.escape(function) + r"\s*\(([^;{]*)\)\s*\{|DEFINE_\w+\(\s*"
                             + re.escape(function) + r"\s*,", re.M)
        hits = [path for path, text in texts.items() if pattern.search(text)]
        if len(hits) != 1:
            raise UserError(f"executorch={root}: cannot find the one kernel source of {op} "
                            f"({function}; candidates: {hits or 'none'}).")
        found[op] = hits[0]
    return found, missing


def _codegen(module, *args, log):
    """Run one of the executorch package's codegen tools, its output appended to `log`."""
    proc = subprocess.run([sys.executable, "-m", module, *args], capture_output=True, text=True)
    log.write(f"$ {module} {' '.join(args)}\n{proc.stdout}{proc.stderr}\n")
    check_interrupted(proc.returncode, f"ExecuTorch's {module}")
    if proc.returncode != 0:
        last = proc.stderr.strip().splitlines()[-1][:300] if proc.stderr.strip() else f"exit {proc.returncode}"
        raise UserError(f"ExecuTorch's {module} failed ({last}); see {log.name}.")


def selective_step(targets, sources, settings):
    """<model>.pte -> RegisterKernelsEverything.cpp, RegisterKernels.h and kernels.json
    (the kernel sources to compile, the registry's size) in one folder."""
    import torchgen

    registration, _, kernels_json = targets
    gen = os.path.dirname(registration)
    root, pte = settings["tree"], sources[0]
    packaged = os.path.join(os.path.dirname(torchgen.__file__), "packaged", "ATen", "native")
    selected = os.path.join(gen, "selected_operators.yaml")
    with open(os.path.join(gen, "codegen.log"), "w") as log:
        _codegen("executorch.codegen.tools.gen_oplist", f"--model_file_path={pte}", f"--output_path={selected}", log=log)
        _codegen("executorch.codegen.gen", f"--source-path={root}/codegen", f"--install-dir={gen}",
                 f"--tags-path={packaged}/tags.yaml", f"--aten-yaml-path={packaged}/native_functions.yaml",
                 f"--functions-yaml-path={root}/{PORTABLE_FUNCTIONS}",
                 f"--custom-ops-yaml-path={root}/{QUANTIZED_FUNCTIONS}", f"--op-selection-yaml-path={selected}",
                 "--manual-registration", log=log)
    with open(selected) as f:
        operators = sorted((yaml.safe_load(f) or {}).get("operators") or {})
    found, missing = kernel_sources(root, operators)
    if missing:
        raise UserError(f"{pte}: the program uses {', '.join(missing)}, which ExecuTorch's portable and "
                        f"quantized kernels in {root} do not implement; nnbuild links only those.")
    with open(registration) as f:
        kernels = len(re.findall(r"\bKernel\(", f.read()))
    info = {"operators": operators, "sources": sorted(set(found.values())), "kernels": kernels}
    with open(kernels_json, "w") as f:
        json.dump(info, f, indent=2)


def kernel_library_step(targets, sources, settings):
    """kernels.json -> libkernels.a: the program's kernel sources (known only once the
    selective step ran) and the operator registry sized for them, compiled with
    settings["compile"] (the target's C++ command up to the source) and archived."""
    with open(sources[0]) as f:
        info = json.load(f)
    archive, root = targets[0], settings["tree"]
    obj_dir = os.path.join(os.path.dirname(archive), "obj")
    os.makedirs(obj_dir, exist_ok=True)
    defines = [f"-DMAX_KERNEL_NUM={info['kernels']}"]  # the registry's table: exactly the program's kernels
    objects = []
    for source in [*info["sources"], os.path.join(root, OPERATOR_REGISTRY), settings["registration"]]:
        obj = os.path.join(obj_dir, os.path.splitext(os.path.basename(source))[0] + ".o")
        command = [*settings["compile"], *defines, "-c", source, "-o", obj]
        if settings.get("verbose"):
            print(" ".join(command), flush=True)
        run_command(command, f"compiling ExecuTorch's {os.path.relpath(source, root)} for the program")
        objects.append(obj)
    if os.path.exists(archive):
        os.remove(archive)
    run_command([*settings["ar"], "rcsD", archive, *objects], f"archiving ExecuTorch's kernels into {archive}")
