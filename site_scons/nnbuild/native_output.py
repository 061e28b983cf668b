"""Capturing what native code (TensorFlow, TFLite Micro) prints to file descriptors 1 and 2."""

import contextlib
import os
import sys
import threading

# File descriptors are per process: SCons -j runs Python actions in threads, so
# only one step at a time may redirect them.
_LOCK = threading.RLock()  # re-entrant: a step may nest redirections


@contextlib.contextmanager
def native_output_to(log_path):
    """Send fds 1 and 2 to log_path for the duration of the block."""
    with _LOCK, open(log_path, "w") as f:
        sys.stdout.flush(), sys.stderr.flush()
        saved = [os.dup(1), os.dup(2)]
        os.dup2(f.fileno(), 1), os.dup2(f.fileno(), 2)
        try:
            yield
        finally:
            sys.stdout.flush(), sys.stderr.flush()
            os.dup2(saved[0], 1), os.dup2(saved[1], 2)
            os.close(saved[0]), os.close(saved[1])
