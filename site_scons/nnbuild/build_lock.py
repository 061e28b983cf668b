"""One scons at a time per build folder: two builds of one checkout would write the same
outputs and SCons' records (build/.sconsign.dblite) at once and corrupt both."""

import fcntl
import os
import sys

_held = []  # the open lock file: the lock lasts as long as the process


def lock_build_folder(folder):
    """Take the lock on `folder`, waiting (and saying so) while another scons holds it.
    Released when the process exits, after SCons has written its records."""
    os.makedirs(folder, exist_ok=True)
    f = open(os.path.join(folder, ".lock"), "a+")
    try:
        fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        f.seek(0)
        holder = f.read().strip() or "another process"
        sys.stderr.write(f"nnbuild: {folder}/ is in use by another scons ({holder}); waiting for it to finish...\n")
        sys.stderr.flush()
        fcntl.flock(f, fcntl.LOCK_EX)
    f.seek(0)
    f.truncate()
    f.write(f"pid {os.getpid()}\n")
    f.flush()
    _held.append(f)
