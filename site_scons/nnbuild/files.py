"""Writing build outputs safely."""

import os


def write_atomically(path, data):
    """Write text or bytes so that a failure never leaves a half-written file."""
    tmp = path + ".tmp"
    with open(tmp, "wb" if isinstance(data, bytes) else "w") as f:
        f.write(data)
    os.replace(tmp, path)
