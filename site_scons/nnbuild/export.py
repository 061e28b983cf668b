"""Export: a model as a package that existing C projects build against (`export=DIR`).

    DIR/include/<m>.h                       the generated C API (C and C++)
    DIR/lib/lib<m>.a                        the model's code and weights, and the aot kernels it calls
    DIR/lib/cmake/<m>/<m>Config.cmake       find_package(<m>): imported target <m>::<m>
    DIR/lib/cmake/<m>/<m>ConfigVersion.cmake
    DIR/lib/pkgconfig/<m>.pc                pkg-config --cflags --libs <m>
    DIR/BUILD.bazel                         a cc_library per archive in lib/
    DIR/<m>.mk                              for plain Makefiles: <M>_CFLAGS, <M>_LIBS

Nothing in the package names an absolute path, so it can be moved or vendored;
several models may share one DIR. Two models link into one program: every
global symbol of an archive is the model's (`<m>_...`) or a kernel's (`nn_...`),
and the kernel members of two archives of one target are the same objects, of
which a linker takes each once.

Linux targets archive position-independent objects (the firmware's own, with
-fPIC added), since the executables of today's Linux toolchains are PIE; a
bare-metal package holds the very objects the firmware links.
"""

import os
import shlex
import shutil

from elftools.elf.elffile import ELFFile

from nnbuild import families
from nnbuild.commands import run_command
from nnbuild.errors import UserError
from nnbuild.files import write_atomically
from nnbuild.render import render_template

TEMPLATES = ("export/Config.cmake.j2", "export/ConfigVersion.cmake.j2", "export/model.pc.j2",
             "export/BUILD.bazel.j2", "export/model.mk.j2")
KERNEL_PREFIX = "nn_"
LINK_LIBRARIES = ["m"]        # the C library comes with every link; libm is named
PACKAGE_VERSION = "0.0.0"     # the model's own version, when model.toml gives one

def package_files(out_dir, model):
    """The files of the package, in the order ExportPackage emits them (the header first)."""
    return [os.path.join(out_dir, "include", f"{model}.h"),
            os.path.join(out_dir, "lib", f"lib{model}.a"),
            os.path.join(out_dir, "lib", "cmake", model, f"{model}Config.cmake"),
            os.path.join(out_dir, "lib", "cmake", model, f"{model}ConfigVersion.cmake"),
            os.path.join(out_dir, "lib", "pkgconfig", f"{model}.pc"),
            os.path.join(out_dir, "BUILD.bazel"),
            os.path.join(out_dir, f"{model}.mk")]


def package_dir(opts, target, model):
    """Where `export=DIR` puts the package of `model` (its C name) for `target`: DIR itself,
    with DIR/<target> and DIR/<model> levels when the build names several targets or
    models (their archives cannot share a folder)."""
    levels = [name for name, several in ((target.name, len(opts["targets"]) > 1),
                                         (model, len(opts["models"]) > 1)) if several]
    return os.path.join(opts["export"], *levels)


# --- the build graph (called by nnbuild.firmware.build_firmware) ---------------------------

def export_package(tenv, opts, target, model, config, header, objects, kernels_lib, out_dir, after=()):
    """Declare the package of `model` (its C name) for `target` in out_dir; returns its files.

    `header` is the model's C API, `objects` its compiled sources ([code, weights] Object
    nodes), `kernels_lib` the target's libnnkernels.a; `after` (verification, size report)
    must succeed first, so that a package is never written for firmware that failed its checks.
    """
    from nnbuild.scons_actions import settings_node  # SCons' own modules: only in a build

    tenv.Tool("nnbuild_export")
    model_objects = tenv.Flatten(objects)
    kernel_objects = list(kernels_lib.sources)
    if families.get(target.family).position_independent_exports:
        pic = tenv.Clone()
        pic.Append(CCFLAGS=["-fPIC"])
        if pic.get("CCCOMSTR"):
            pic["CCCOMSTR"] = "[cc -fPIC] $SOURCE"
        model_objects = [_pic_object(pic, o) for o in model_objects]
        kernel_objects = [_pic_object(pic, o) for o in kernel_objects]
    settings = {"model": model, "target": target.name, "description": target.description,
                "processor_regex": target.cmake_processor,
                "toolchain": opts["toolchain"] or target.toolchain, "ar": shlex.split(tenv.subst("$AR")),
                "model_objects": len(model_objects),
                "version": str(config.get("version", PACKAGE_VERSION)),
                "description_model": config.get("description", "")}
    files = tenv.ExportPackage(package_files(out_dir, model)[0],
                               [header, *model_objects, *kernel_objects, settings_node(tenv, settings)])
    if after:
        tenv.Depends(files, after)
    return files


def _pic_object(env, obj):
    """The position-independent twin of a firmware object: obj/x.o -> obj/pic/x.o."""
    path = str(obj)
    return env.Object(os.path.join(os.path.dirname(path), "pic", os.path.basename(path)), obj.sources[0])[0]


# --- the step (plain Python) ------------------------------------------------------------------

def export_step(targets, sources, settings):
    """[header, model objects..., kernel objects...] -> the package's files."""
    header_out, archive = targets[0], targets[1]
    model = settings["model"]
    count = settings["model_objects"]
    model_objects, kernel_objects = sources[1:1 + count], sources[1 + count:]
    members, unresolved = archive_members(model_objects, kernel_objects)
    check_symbols(model, members)
    missing = sorted(s for s in unresolved if s.startswith(KERNEL_PREFIX))
    if missing:
        raise UserError(f"{model}: no kernel defines {', '.join(missing)}; the kernel library is incomplete.")
    with open(sources[0]) as f:
        write_atomically(header_out, f.read())
    create_archive(settings["ar"], archive, members)
    _, pointer_size = elf_machine(model_objects[0])
    context = {
        "model": model, "MODEL": model.upper(), "target": settings["target"],
        "description": settings["description"], "model_description": settings["description_model"],
        "toolchain": settings["toolchain"], "version": settings["version"], "libs": LINK_LIBRARIES,
        "pointer_size": pointer_size, "processor_regex": settings["processor_regex"],
        "kernels": [os.path.splitext(os.path.basename(m))[0] for m in members[count:]],
    }
    for template, path in zip(TEMPLATES, targets[2:]):
        write_atomically(path, render_template(template, **context))
    kernels = ", ".join(context["kernels"]) or "none"
    print(f"    {os.path.dirname(os.path.dirname(header_out))}: lib{model}.a "
          f"({os.path.getsize(archive)} B; kernels {kernels}), {model}.h, CMake, pkg-config, Bazel, Make",
          flush=True)


def _symbols(path):
    """(global symbols defined, symbols referenced but undefined) of an ELF object."""
    defined, undefined = set(), set()
    with open(path, "rb") as f:
        symtab = ELFFile(f).get_section_by_name(".symtab")
        for sym in symtab.iter_symbols() if symtab else ():
            if not sym.name or sym["st_info"]["bind"] not in ("STB_GLOBAL", "STB_WEAK"):
                continue
            (undefined if sym["st_shndx"] == "SHN_UNDEF" else defined).add(sym.name)
    return defined, undefined


def archive_members(model_objects, kernel_objects):
    """The model's objects and the kernel objects they need, transitively, as a linker would
    pull them from libnnkernels.a; and the symbols left for the C library to define."""
    tables = {path: _symbols(path) for path in [*model_objects, *kernel_objects]}
    provider = {}
    for path in kernel_objects:
        for name in tables[path][0]:
            provider.setdefault(name, path)
    members = list(model_objects)
    chosen = set(members)
    while True:
        defined = set().union(*(tables[m][0] for m in members))
        needed = set().union(*(tables[m][1] for m in members)) - defined
        more = sorted({provider[s] for s in needed if s in provider} - chosen)
        if not more:
            break
        members += more
        chosen.update(more)
    kernels = sorted(members[len(model_objects):], key=os.path.basename)
    return [*model_objects, *kernels], needed


def check_symbols(model, members):
    """Every global symbol must be the model's or a kernel's, or a second model's archive
    could define it too and the two would not link into one program."""
    foreign = sorted({(os.path.basename(m), s) for m in members for s in _symbols(m)[0]
                      if not s.startswith((f"{model}_", KERNEL_PREFIX))})
    if foreign:
        listed = ", ".join(f"{s} ({m})" for m, s in foreign[:8])
        raise UserError(f"{model}: global symbols without the prefix {model}_ or {KERNEL_PREFIX}: {listed}; "
                        "make them static or prefix them, so that two models link into one program.")


def create_archive(ar, archive, members):
    """A static library of `members`, with the target toolchain's ar (`ar` is its command as
    a list): rcsD, an index and no timestamps or owners, so equal objects give equal bytes."""
    names = [os.path.basename(m) for m in members]
    clash = sorted({n for n in names if names.count(n) > 1})
    if clash:
        raise UserError(f"{archive}: two members would be named {', '.join(clash)}; rename the model.")
    os.makedirs(os.path.dirname(archive) or ".", exist_ok=True)
    if os.path.exists(archive):
        os.remove(archive)  # ar r adds to an existing archive
    if shutil.which(ar[0]) is None:
        raise UserError(f"cannot create {archive}: the archiver {ar[0]} is not on PATH.")
    run_command([*ar, "rcsD", archive, *members], f"{' '.join(ar)} rcsD {archive}")


def elf_machine(path):
    """(e_machine, pointer size in bytes) of an ELF object."""
    with open(path, "rb") as f:
        elf = ELFFile(f)
        return elf["e_machine"], elf.elfclass // 8
