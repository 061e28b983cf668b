"""Capturing what native code (TensorFlow, TFLite Micro) prints to file descriptors 1 and 2."""

import contextlib
import os
import sys
import threading

# File descriptors are per process: SCons -j runs Python actions in threads, so
# only one step at a time may redirect them.
_LOCK = threading.RLock()  # re-entrant: a step may nest redirections
_USER_STDOUT = []  # the fd 1 saved by each active redirection, outermost first


def user_stdout():
    """The file descriptor where the user's output goes, even while native output is captured."""
    return _USER_STDOUT[0] if _USER_STDOUT else 1


@contextlib.contextmanager
def native_output_to(log_path):
    """Send fds 1 and 2 to log_path for the duration of the block."""
    with _LOCK, open(log_path, "w") as f:
        sys.stdout.flush(), sys.stderr.flush()
        saved = [os.dup(1), os.dup(2)]
        _USER_STDOUT.append(saved[0])
        os.dup2(f.fileno(), 1), os.dup2(f.fileno(), 2)
        try:
            yield
        finally:
            sys.stdout.flush(), sys.stderr.flush()
            _USER_STDOUT.pop()
            os.dup2(saved[0], 1), os.dup2(saved[1], 2)
            os.close(saved[0]), os.close(saved[1])
