"""SCons tool: zig's bundled clang and lld (the `ziglang` package) as a cross C toolchain.

Reads the [zig] section of env['NNBUILD_TARGET'] (an nnbuild.targets.Target): triple, flags.
Links statically against zig's musl; the deployable is the same link with -s.
"""

import os
import sys

import SCons.Action

from nnbuild.toolchain import FIRMWARE_CCFLAGS, FIRMWARE_CFLAGS, FIRMWARE_LINKFLAGS, reproducible_paths


def _map_emitter(target, source, env):
    return [target[0], os.path.splitext(str(target[0]))[0] + ".map"], source


def generate(env):
    target = env["NNBUILD_TARGET"]
    settings = target.toolchain_for("zig")
    zig = f'"{sys.executable}" -m ziglang'
    arch = ["-target", settings.triple, *settings.cflags]
    env.Replace(
        CC=f"{zig} cc", CXX=f"{zig} c++", LINK=f"{zig} cc",
        AR=f"{zig} ar", RANLIB=f"{zig} ranlib",
        ARFLAGS=["rcsD"], RANLIBCOM="",  # s: index here; D: deterministic (no timestamps or uids)
    )
    link = [*arch, *FIRMWARE_LINKFLAGS, *settings.linkflags]
    env.Append(
        CCFLAGS=[*arch, *FIRMWARE_CCFLAGS, "-g", reproducible_paths(env)],  # -g: the unstripped ELF keeps symbols for the size report
        CFLAGS=FIRMWARE_CFLAGS,
        LINKFLAGS=[*link, "-g"],
    )
    env["STRIPLINKFLAGS"] = [*link, "-Wl,-s"]
    # zig's driver rejects -Map but passes lld's --print-map, which writes the map to stdout.
    env.Append(PROGEMITTER=[_map_emitter])
    env["LINKCOM"] = env["LINKCOM"] + " -Wl,--print-map > ${TARGETS[1]}"
    # zig objcopy cannot strip every architecture, so the deployable is a second
    # link of the same objects with the linker's own --strip-all.
    env["STRIPCOM"] = "$LINK -o $TARGET $STRIPLINKFLAGS $SOURCES $_LIBDIRFLAGS $_LIBFLAGS"
    env["BUILDERS"]["StrippedProgram"] = env.Builder(action=SCons.Action.Action("$STRIPCOM", "$STRIPCOMSTR"))


def exists(env):
    try:
        import ziglang  # noqa: F401
    except ImportError:
        return False
    return True
