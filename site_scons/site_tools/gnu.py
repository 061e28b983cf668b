"""SCons tool: a GNU cross toolchain by prefix (arm-none-eabi-, loongarch64-linux-gnu-, ...).

Reads the [gnu] section of env['NNBUILD_TARGET'] (an nnbuild.targets.Target), and
env['CROSS_COMPILE'], which overrides its prefix, as engineers with a vendor toolchain expect.
"""

import shutil

import SCons.Action

from nnbuild import families
from nnbuild.errors import UserError
from nnbuild.toolchain import link_flags, use_firmware_flags


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
    link = families.get(target.family).gnu_link_flags(env, [*settings.cflags, *link_flags(target),
                                                                    *settings.linkflags])
    use_firmware_flags(env, settings.cflags, link, ["-Wl,-Map=${TARGETS[1]}"], "-s")
    # The raw image a flasher writes; verification vectors are not part of it.
    env["BUILDERS"]["BinaryImage"] = env.Builder(
        action=SCons.Action.Action("$OBJCOPY -O binary -R .test_vectors $SOURCE $TARGET", "$OBJCOPYCOMSTR"))


def exists(env):
    return True
