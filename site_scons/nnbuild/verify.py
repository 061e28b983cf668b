"""Verification: run the firmware on input vectors and read its raw outputs back."""

import os
import re
import subprocess

import numpy as np

from nnbuild.errors import UserError
from nnbuild.files import write_atomically

_INTEGERS = re.compile(r"-?\d+( -?\d+)*")


def run_firmware(firmware, vectors, settings, folder):
    """Run `firmware` under settings["emulator"] on `vectors` (written to folder/vectors.bin,
    unless settings["vectors_compiled_in"]); its standard output, or UserError."""
    command = [*settings["emulator"], os.path.abspath(firmware)]
    if not settings["vectors_compiled_in"]:
        vectors_path = os.path.join(folder, "vectors.bin")
        write_atomically(vectors_path, np.ascontiguousarray(vectors).tobytes())
        command.append(os.path.abspath(vectors_path))
    where = " ".join(settings["emulator"]) or "the host"
    try:
        proc = subprocess.run(command, capture_output=True, timeout=settings.get("timeout", 600))
    except FileNotFoundError:
        raise UserError(f"cannot run {command[0]} to verify {firmware}: install it (Debian packages "
                        "qemu-user, qemu-system-arm), or build with verify=0.") from None
    except subprocess.TimeoutExpired:
        raise UserError(f"{firmware} did not finish within {settings.get('timeout', 600)} s under {where}.") from None
    if proc.returncode != 0:
        raise UserError(f"{firmware} exited with status {proc.returncode} under {where}: "
                        f"{proc.stderr.decode(errors='replace').strip()[:500]}")
    return proc.stdout.decode()


def parse_outputs(text, count, shape, dtype):
    """Parse the runner's output: one line of integers per input vector. Float outputs
    are printed as their IEEE-754 bit patterns (int32), which round-trip exactly."""
    # Lines of integers are outputs; anything else (timing, an emulator's notes) is not.
    rows = [line.split() for line in text.splitlines() if _INTEGERS.fullmatch(line.strip())]
    size = int(np.prod(shape))
    if len(rows) != count or any(len(r) != size for r in rows):
        raise UserError(f"the firmware printed {len(rows)} output lines for {count} input vectors "
                        f"(expected {size} values per line); its output began: {text[:200]!r}")
    values = np.array(rows, dtype=np.int64)
    if np.dtype(dtype) == np.float32:
        return values.astype(np.int32).view(np.float32).reshape((count, *shape))
    return values.astype(dtype).reshape((count, *shape))


def emulator_name(command):
    """How an emulator command is named in reports: the program and its machine, if any."""
    if not command:
        return "native"
    machine = command[command.index("-M") + 1] if "-M" in command[:-1] else None
    return f"{command[0]} {machine}" if machine else command[0]
