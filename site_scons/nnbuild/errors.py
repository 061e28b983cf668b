"""The exception types for what stops a build without being nnbuild's own bug."""


class UserError(Exception):
    """A problem the user can fix (bad option, missing file, unsupported model).

    The message is one paragraph naming the file, option or node, what was
    expected and what to do. SConstruct prints it without a traceback, and a
    failed step's outputs are removed, so the next build redoes the step.
    """


class Interrupted(UserError):
    """The user stopped the build (Ctrl-C, SIGTERM) while a step or a tool it ran was working."""


INTERRUPT_SIGNALS = (2, 15, 1)  # SIGINT, SIGTERM, SIGHUP: how SCons' own handler reads a stop


def check_interrupted(returncode, what):
    """Raise Interrupted if a child process `what` was killed by an interrupt signal (or, as
    shells report it, exited with 128 + that signal)."""
    if returncode is not None and (-returncode in INTERRUPT_SIGNALS or returncode - 128 in INTERRUPT_SIGNALS):
        raise Interrupted(f"interrupted while {what} ran; its outputs were removed and the next "
                          "build redoes this step.")
