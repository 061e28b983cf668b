"""What a runtime plug-in implements, and what it hands the generic build.

The generic build (nnbuild.firmware) asks each runtime of the build for:
  prepare(env, opts, spec)        -> Model: the target-independent artifacts, once per model,
                                     shared by every board (declarations shared with other
                                     runtimes, such as the quantized .tflite, are made with
                                     the same env and arguments: SCons takes them once);
  toolchain(target, opts)         -> the toolchain to build `target` with (UserError if none);
  target_libraries(tenv, opts, target) -> what every model on the board links, once per board;
  build_firmware(tenv, opts, target, toolchain, runtime, libraries, model) -> FirmwareResult:
                                     only if the runtime builds a firmware its own way; else
                                     nnbuild.firmware.build_firmware does, asking:
  link(tenv, opts, target, model, libraries, out) -> Linked: what the firmware links beside the runner;
  verify(tenv, opts, target, model, binary, out, baremetal) -> verify.json's node;
  export(...)                     -> the package files (only runtimes with `exports`).
It never names a runtime; a runtime never edits the generic modules.
"""

from dataclasses import dataclass, field


@dataclass
class Model:
    """A model's target-independent artifacts (build/models/<model>/)."""
    name: str
    data_file: str = None           # samples for verification (evaluation data)
    config: dict = field(default_factory=dict)  # model.toml
    tflite: object = None           # the quantized .tflite (runtimes of the TFLite route)
    quant_report: object = None     # None for a model given as .tflite
    parts: dict = field(default_factory=dict)   # the runtime's own artifacts, by name


@dataclass
class Linked:
    """What a runtime adds to one firmware."""
    objects: list                   # Object nodes of the model's code and data
    libraries: list                 # static libraries (the runtime's, the kernels)
    components: dict                # object or library path -> size-report component
    memory_info: object             # the runtime's JSON with the arena's bytes (and bounds)


class Runtime:
    name = ""
    # Its command-line options: name -> (help, default, allowed values or None, is a path).
    options = {}
    exports = False                 # export= can package its firmware for C projects
    # A runtime whose firmware is built otherwise than by nnbuild.firmware.build_firmware
    # (runtime=tpu: a cvimodel beside a runner) gives its own, with the same arguments.
    build_firmware = None

    def complete_options(self, opts):
        """Fill in its options' defaults that come from the environment (every runtime's, every build)."""

    def supports(self, spec, target, opts):
        """Why the runtime cannot build model `spec` for `target`, or None."""
        return None

    def toolchain(self, target, opts):
        return opts["toolchain"] or target.toolchain

    def prepare(self, env, opts, spec):
        raise NotImplementedError

    def target_libraries(self, tenv, opts, target):
        return None

    def link(self, tenv, opts, target, model, libraries, out):
        raise NotImplementedError

    def verify(self, tenv, opts, target, model, binary, out, baremetal):
        raise NotImplementedError

    @staticmethod
    def emulator_settings(target):
        """How the verify step runs the board's firmware (nnbuild.verify.run_firmware)."""
        return {"emulator": target.emulator, "timeout": target.emulator_timeout,
                "emulator_package": target.emulator_package}

    def verify_summary(self, verify):
        """The summary's line on this runtime's verify.json, after "verify: "."""
        from nnbuild.verify import bit_exact_verdict  # the step's module: numpy, no SCons

        return bit_exact_verdict(verify)
