"""What every toolchain (site_tools/zig.py, site_tools/gnu.py) sets up the same way:
firmware built for size (the board's optimisation level), a link map for the size
report, and a stripped second link as the deployable."""

import os

import SCons.Action

FIRMWARE_CFLAGS = ["-std=c11"]


def compile_flags(target, opt):
    """opt: speed or size (the opt= option), the board's flag for it. No loop unrolling: on
    top of the vectorized kernel loops it doubled their code (clang -O2, measured) for
    little speed."""
    return [target.optimization[opt], "-fno-unroll-loops", "-ffunction-sections", "-fdata-sections", "-Wall",
            "-Wextra"]


def link_flags(target):
    # The size flag at link time, whatever opt= says: zig builds its libc (memcpy, memset) in
    # the mode the link asks for, and the C library is not where an inference spends its time
    # (-O2: +1.2 KB of compiler runtime for af_detection on the host).
    # No RELRO: a static firmware gains little from it, and its page padding costs RAM.
    return [target.optimization["size"], "-static", "-Wl,--gc-sections", "-Wl,-z,norelro"]


def off_the_inference_path(env):
    """Object() overrides for code that runs around inferences, not in them (the runner):
    the board's size flag whatever opt= says."""
    target, opt = env["NNBUILD_TARGET"], env["NNBUILD_OPT"]
    return {"CCFLAGS": [target.optimization["size"] if f == target.optimization[opt] else f
                        for f in env["CCFLAGS"]]}


def reproducible_paths(env):
    """Debug info names files relative to the project, so the same sources build the
    same ELF in any checkout; the flag is left out of the command's signature ($( $)), so
    a build cache (cache=) serves every checkout."""
    return ["$(", f"-ffile-prefix-map={env.Dir('#').abspath}=.", "$)"]


def board_defines(target):
    """What the board defines for every compilation, third-party trees' too."""
    return [("NN_ALIGNMENT", target.alignment)]  # of generated arrays: weights, arenas, vectors


def _map_emitter(target, source, env):
    return [target[0], os.path.splitext(str(target[0]))[0] + ".map"], source


def use_firmware_flags(env, arch, link, map_flags, strip_flag):
    """Compile with `arch` and the firmware flags, link with `link` (-g: the unstripped ELF
    keeps symbols for the size report) and `map_flags` writing ${TARGETS[1]}, the map; the
    deployable (StrippedProgram) is the same link with `strip_flag`."""
    target = env["NNBUILD_TARGET"]
    env.Append(CCFLAGS=[*arch, *compile_flags(target, env["NNBUILD_OPT"]), "-g", *reproducible_paths(env)],
               CPPDEFINES=board_defines(target),
               CFLAGS=FIRMWARE_CFLAGS, LINKFLAGS=[*link, "-g", *map_flags])
    env.Append(PROGEMITTER=[_map_emitter])
    env["STRIPLINKFLAGS"] = [*link, strip_flag]
    env["STRIPCOM"] = "$LINK -o $TARGET $STRIPLINKFLAGS $SOURCES $_LIBDIRFLAGS $_LIBFLAGS"
    env["BUILDERS"]["StrippedProgram"] = env.Builder(action=SCons.Action.Action("$STRIPCOM", "$STRIPCOMSTR"))
