"""What a board family implements for the generic build (nnbuild.firmware)."""


class Family:
    name = ""
    toolchains = ("zig", "gnu")        # the toolchains that can make its images
    toolchain_reason = ""              # why only those: the error message for another
    vectors_compiled_in = False        # verification vectors are linked into the image (no files)
    position_independent_exports = False  # export= archives -fPIC objects (PIE executables)

    def check_target(self, target):
        """UserError for what the board file gets wrong for this family."""

    def gnu_link_flags(self, env, flags):
        """The GNU link flags of a firmware of this family, from the toolchain's."""
        return flags

    def sources(self, tenv, opts, target, model, out, memory_info):
        """Objects the firmware links besides the runner and the runtime's, their size
        components, and what the runner's compilation and the link must wait for."""
        return [], {}, [], []

    def image(self, tenv, out, elf, inputs):
        """The deployable: what goes onto the board."""
        raise NotImplementedError

    def binary_to_run(self, elf, deployable):
        """What its emulator runs for verification."""
        return deployable

    def run_arguments(self, vectors_file, repeat):
        """Command-line arguments of the firmware on its verification vectors (benchmarks)."""
        return []
