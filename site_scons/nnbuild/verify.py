"""Verification: the firmware's raw outputs against the TFLite Micro interpreter's."""

import re

import numpy as np

from nnbuild.errors import UserError


_INTEGERS = re.compile(r"-?\d+( -?\d+)*")


def parse_outputs(text, count, shape, dtype):
    """Parse the runner's output: one line of integers per input vector."""
    # Lines of integers are outputs; anything else (timing, an emulator's notes) is not.
    rows = [line.split() for line in text.splitlines() if _INTEGERS.fullmatch(line.strip())]
    size = int(np.prod(shape))
    if len(rows) != count or any(len(r) != size for r in rows):
        raise UserError(f"the firmware printed {len(rows)} output lines for {count} input vectors "
                        f"(expected {size} values per line); its output began: {text[:200]!r}")
    return np.array(rows, dtype=np.int64).astype(dtype).reshape((count, *shape))


def emulator_name(command):
    """How an emulator command is named in reports: the program and its machine, if any."""
    if not command:
        return "native"
    machine = command[command.index("-M") + 1] if "-M" in command[:-1] else None
    return f"{command[0]} {machine}" if machine else command[0]
