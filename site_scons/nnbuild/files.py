"""Writing build outputs safely, and reading the reports steps leave."""

import json
import os


def write_atomically(path, data):
    """Write text or bytes so that a failure never leaves a half-written file."""
    tmp = path + ".tmp"
    with open(tmp, "wb" if isinstance(data, bytes) else "w") as f:
        f.write(data)
    os.replace(tmp, path)


def read_report(path):
    """A step's JSON report, or None when it is missing or unreadable (the step did not run)."""
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None
