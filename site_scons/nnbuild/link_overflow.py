"""A bare-metal link that does not fit the board, said as a budget message, not as ld's.

The placement (memory_map.py) puts the weights and the arena where they fit, but the
program itself can still overflow its region. SCons runs the link through this:

    python -m nnbuild.link_overflow arm-none-eabi-gcc -o firmware.elf ...

A link that fails because a region overflowed prints one paragraph naming the
region, how much is over and the largest inputs; any other failure passes ld's
own message through.
"""

import os
import re
import subprocess
import sys

OVERFLOW = re.compile(r"region [`'](\w+)' overflowed by (\d+) bytes")


def _kib(n):
    return f"{n / 1024:.1f} KiB"


def _input_sizes(command):
    """(path, allocated bytes) of the object files on the link's command line, largest first."""
    from elftools.elf.constants import SH_FLAGS
    from elftools.elf.elffile import ELFFile

    sizes = []
    for arg in command:
        if arg.endswith(".o") and os.path.isfile(arg):
            with open(arg, "rb") as f:
                sizes.append((arg, sum(s["sh_size"] for s in ELFFile(f).iter_sections()
                                       if s["sh_flags"] & SH_FLAGS.SHF_ALLOC)))
    return sorted(sizes, key=lambda item: -item[1])


def main(command):
    proc = subprocess.run(command, capture_output=True, text=True)
    overflows = {region: int(n) for region, n in OVERFLOW.findall(proc.stderr)}
    if proc.returncode == 0 or not overflows:
        sys.stdout.write(proc.stdout)
        sys.stderr.write(proc.stderr)
        return proc.returncode
    output = command[command.index("-o") + 1] if "-o" in command else "the firmware"
    over = ", ".join(f"region {region} by {_kib(n)}" for region, n in overflows.items())
    largest = ", ".join(f"{os.path.basename(path)} {_kib(n)}" for path, n in _input_sizes(command)[:3])
    sys.stderr.write(f"\nnnbuild: error: {output} does not fit the board's memory: over {over} (the linker "
                     f"script's regions are the target file's [memory]). Over budget; the largest inputs: "
                     f"{largest}. Choose a smaller model or quantization, a board with more memory, or give "
                     "the region more room in the target file if the board has it.\n\n")
    return proc.returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
