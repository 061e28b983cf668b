"""SCons tool: a GNU cross toolchain by prefix (arm-none-eabi-, loongarch64-linux-gnu-, ...).

Reads the [gnu] section of env['NNBUILD_TARGET'] (an nnbuild.targets.Target), and
env['CROSS_COMPILE'], which overrides its prefix, as engineers with a vendor toolchain expect.
"""

import os
import shutil

import SCons.Action

from nnbuild import families
from nnbuild.errors import UserError
from nnbuild.toolchain import FIRMWARE_CCFLAGS, FIRMWARE_CFLAGS, FIRMWARE_LINKFLAGS, reproducible_paths


def _map_emitter(target, source, env):
    return [target[0], os.path.splitext(str(target[0]))[0] + ".map"], source


def compiler_prefix(env):
    """The cross prefix to use; UserError naming the package or option when its gcc is missing."""
    target = env["NNBUILD_TARGET"]
    settings = target.toolchain_for("gnu")
    prefix = env.get("CROSS_COMPILE") or settings.prefix
    if shutil.which(prefix + "gcc") is None:
        where = f"install Debian package {settings.package}, " if settings.package else ""
        zig = ", or use toolchain=zig" if "zig" in target.toolchains else ""
        raise UserError(f"toolchain=gnu for target {target.name}: the compiler {prefix}gcc is not on "
                        f"PATH; {where}give CROSS_COMPILE=<prefix> for your own toolchain{zig}.")
    return prefix


def generate(env):
    target = env["NNBUILD_TARGET"]
    settings = target.toolchain_for("gnu")
    prefix = compiler_prefix(env)
    env.Replace(CC=prefix + "gcc", CXX=prefix + "g++", LINK=prefix + "gcc",
                AR=prefix + "ar", ARFLAGS=["rcsD"], RANLIBCOM="", OBJCOPY=prefix + "objcopy")
    link = families.get(target.family).gnu_link_flags(env, [*settings.cflags, *FIRMWARE_LINKFLAGS, *settings.linkflags])
    env.Append(CCFLAGS=[*settings.cflags, *FIRMWARE_CCFLAGS, "-g", reproducible_paths(env)], CFLAGS=FIRMWARE_CFLAGS,
               LINKFLAGS=[*link, "-g", "-Wl,-Map=${TARGETS[1]}"])
    env.Append(PROGEMITTER=[_map_emitter])
    env["STRIPLINKFLAGS"] = [*link, "-s"]
    env["STRIPCOM"] = "$LINK -o $TARGET $STRIPLINKFLAGS $SOURCES $_LIBDIRFLAGS $_LIBFLAGS"
    env["BUILDERS"]["StrippedProgram"] = env.Builder(action=SCons.Action.Action("$STRIPCOM", "$STRIPCOMSTR"))
    # The raw image a flasher writes; verification vectors are not part of it.
    env["BUILDERS"]["BinaryImage"] = env.Builder(
        action=SCons.Action.Action("$OBJCOPY -O binary -R .test_vectors $SOURCE $TARGET", "$OBJCOPYCOMSTR"))


def exists(env):
    return True
