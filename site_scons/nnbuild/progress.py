"""What a step tells the user while it works: indented progress lines, and its current stage."""

import os

STAGE_FILE = "NNBUILD_STAGE_FILE"  # set by nnbuild.isolated_step for a step in a child process


def say(line):
    """One indented line under the step's `[label] source` line."""
    print(f"    {line}", flush=True)


def stage(text):
    """Record what the step is doing now, so that a crash in native code can name it."""
    path = os.environ.get(STAGE_FILE)
    if path:
        with open(path, "w") as f:
            f.write(text)
