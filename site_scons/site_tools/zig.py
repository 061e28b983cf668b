"""SCons tool: zig's bundled clang and lld (the `ziglang` package) as a cross C toolchain.

Reads the [zig] section of env['NNBUILD_TARGET'] (an nnbuild.targets.Target): triple, flags.
Links statically against zig's musl; the deployable is the same link with -s.
"""

import sys

from nnbuild.toolchain import link_flags, use_firmware_flags


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
    # zig's driver rejects -Map but passes lld's --print-map, which writes the map to stdout.
    # zig objcopy cannot strip every architecture, so the deployable is a second
    # link of the same objects with the linker's own --strip-all.
    use_firmware_flags(env, arch, [*arch, *link_flags(target), *settings.linkflags], [], "-Wl,-s")
    env["LINKCOM"] = env["LINKCOM"] + " -Wl,--print-map > ${TARGETS[1]}"


def exists(env):
    try:
        import ziglang  # noqa: F401
    except ImportError:
        return False
    return True
