"""Verification: the firmware's raw outputs against the TFLite Micro interpreter's."""

import numpy as np

from nnbuild.errors import UserError


def parse_outputs(text, count, shape, dtype):
    """Parse the runner's output: one line of integers per input vector."""
    rows = [line.split() for line in text.splitlines() if line and not line.startswith("latency_us:")]
    size = int(np.prod(shape))
    if len(rows) != count or any(len(r) != size for r in rows):
        raise UserError(f"the firmware printed {len(rows)} output lines for {count} input vectors "
                        f"(expected {size} values per line); its output began: {text[:200]!r}")
    return np.array(rows, dtype=np.int64).astype(dtype).reshape((count, *shape))
