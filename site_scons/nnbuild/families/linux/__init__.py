"""Linux boards: a static executable that reads its input vectors from a file, run under
qemu-user (or natively on the host)."""

from nnbuild.families.base import Family


class Linux(Family):
    name = "linux"
    position_independent_exports = True

    def image(self, tenv, out, elf, inputs):
        return tenv.StrippedProgram(f"{out}/firmware", inputs)

    def run_arguments(self, vectors_file, repeat):
        return [*(["-n", str(repeat)] if repeat else []), vectors_file]


FAMILY = Linux()
