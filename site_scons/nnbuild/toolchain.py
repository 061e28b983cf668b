"""Compiler and linker flags shared by every toolchain: firmware is built for size."""

FIRMWARE_CCFLAGS = ["-Os", "-ffunction-sections", "-fdata-sections", "-Wall", "-Wextra"]
FIRMWARE_CFLAGS = ["-std=c11"]
# -Os at link time too: zig builds its libc in the optimization mode the link asks for.
FIRMWARE_LINKFLAGS = ["-Os", "-static", "-Wl,--gc-sections"]
