"""Compiler and linker flags shared by every toolchain: firmware is built for size."""

FIRMWARE_CCFLAGS = ["-Os", "-ffunction-sections", "-fdata-sections", "-Wall", "-Wextra"]
FIRMWARE_CFLAGS = ["-std=c11"]
# -Os at link time too: zig builds its libc in the optimization mode the link asks for.
# No RELRO: a static firmware gains little from it, and its page padding costs RAM.
FIRMWARE_LINKFLAGS = ["-Os", "-static", "-Wl,--gc-sections", "-Wl,-z,norelro"]


def reproducible_paths(env):
    """Debug info names files relative to the project, so the same sources build the
    same ELF in any checkout."""
    return f"-ffile-prefix-map={env.Dir('#').abspath}=."
