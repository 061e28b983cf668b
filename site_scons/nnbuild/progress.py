"""What a step tells the user while it works: indented progress lines, and its current stage."""

import contextlib
import os
import sys
import threading
import time

from nnbuild.native_output import user_stdout

STAGE_FILE = "NNBUILD_STAGE_FILE"  # set by nnbuild.isolated_step for a step in a child process


def say(line):
    """One indented line under the step's `[label] source` line; to the user's terminal even
    while native output goes to a log (progress inside the TFLite converter)."""
    sys.stdout.flush()
    os.write(user_stdout(), f"    {line}\n".encode())


def stage(text):
    """Record what the step is doing now, so that a crash in native code can name it."""
    path = os.environ.get(STAGE_FILE)
    if path:
        with open(path, "w") as f:
            f.write(text)


class Ticker:
    """Progress through a long loop: "<what> k of N" lines, at most one per `interval`
    seconds, so a quick loop prints nothing and a slow one shows it is alive."""

    def __init__(self, what, total, interval=15.0, step=1):
        self.what, self.total, self.interval, self.step = what, total, interval, step
        self.start = self.last = time.monotonic()
        self.count, self.spoke = 0, False

    def tick(self):
        self.count = min(self.total, self.count + self.step)
        now = time.monotonic()
        if now - self.last >= self.interval:
            self.last, self.spoke = now, True
            say(f"{self.what} {self.count} of {self.total} ({now - self.start:.0f} s)")
        stage(f"at {self.what} {self.count} of {self.total}")

    def scaled(self, step):
        """This ticker, counting `step` per tick (one process's share of several)."""
        self.step = step
        return self

    def elapsed(self):
        return time.monotonic() - self.start

    def done(self):
        if self.spoke:
            say(f"{self.what} {self.total} of {self.total} ({self.elapsed():.0f} s)")


class Timings:
    """Seconds spent per stage of a step, for its report: `with timings("onnx2tf"): ...`.
    A stage still running after `interval` seconds says so, and again every `interval`,
    so that minutes inside one library call (onnx2tf on a large model) are not silent."""

    def __init__(self, interval=30.0):
        self.seconds, self.interval = {}, interval

    @contextlib.contextmanager
    def __call__(self, name):
        stage(name)
        start = time.monotonic()
        finished = threading.Event()

        def heartbeat():
            while not finished.wait(self.interval):
                say(f"{name}: {time.monotonic() - start:.0f} s so far")

        beating = threading.Thread(target=heartbeat, daemon=True)
        beating.start()
        try:
            yield
        finally:
            finished.set()
            beating.join()
            elapsed = time.monotonic() - start
            if elapsed >= self.interval:
                say(f"{name}: done in {elapsed:.0f} s")
            self.seconds[name] = round(self.seconds.get(name, 0.0) + elapsed, 2)
