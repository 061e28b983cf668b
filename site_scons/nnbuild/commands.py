"""Running an external tool from a step: its failure is one clear UserError, its interruption
an Interrupted, never a CalledProcessError traceback."""

import subprocess

from nnbuild.errors import UserError, check_interrupted


def run_command(command, what, advice="", **kwargs):
    """Run `command` (capturing its output as text); its CompletedProcess if it succeeded.
    `what` names the job in the message ("compiling ExecuTorch's op_add.cpp"), `advice`
    says what to do when it fails."""
    try:
        proc = subprocess.run(command, capture_output=True, text=True, **kwargs)
    except FileNotFoundError:
        raise UserError(f"{what}: cannot run {command[0]}, it is not installed or not on PATH. {advice}") from None
    check_interrupted(proc.returncode, what)
    if proc.returncode != 0:
        output = (proc.stderr.strip() or proc.stdout.strip() or "no output")[-600:]
        raise UserError(f"{what} failed (exit status {proc.returncode}): {output}" + (f" {advice}" if advice else ""))
    return proc
