"""Target boards: one TOML file each in targets/ (toolchain, flags, emulator, budgets)."""

import os
import tomllib
from dataclasses import dataclass, field

from nnbuild import families, runtimes
from nnbuild.errors import UserError

TARGET_DIR = os.path.normpath(os.path.join(os.path.dirname(__file__), "..", "..", "targets"))
TOOLCHAINS = ("zig", "gnu")
OPTIMIZATION = {"speed": "-O2", "size": "-Os"}  # a board's [optimization] overrides either
# Board keys checked when read, not when a step first uses them: (key, type, an example).
_TYPED = [("optimization", dict, 'a table of compiler optimisation flags for opt=speed and opt=size, '
                                  'such as { speed = "-O3", size = "-Os" }'),
          ("emulator_timeout", int, "a whole number of seconds such as 600"),
          ("emulator_package", str, 'a Debian package name such as "qemu-user"'),
          ("cmake_processor", str, 'a regex of CMAKE_SYSTEM_PROCESSOR values such as "^aarch64$"'),
          ("runtimes", dict, "tables of runtime board data such as [runtimes.tpu]"),
          ("features", list, 'a list of instruction-set features such as ["neon"]'),
          ("alignment", int, "a power of two number of bytes, at least 16 (TFLite Micro's and ExecuTorch's), "
                             "such as 32")]


@dataclass
class Toolchain:
    """How one toolchain builds for a target: zig's triple, or a GNU prefix, and flags."""
    triple: str = ""        # zig: the -target triple
    prefix: str = ""        # gnu: the cross prefix, e.g. "arm-none-eabi-"
    package: str = ""       # gnu: the Debian package(s) that have it
    cflags: list = field(default_factory=list)
    linkflags: list = field(default_factory=list)


@dataclass
class Target:
    name: str
    description: str
    family: str
    toolchain: str                                 # the default; toolchain= may pick another
    emulator: list = field(default_factory=list)   # command prefix that runs a binary; [] = native
    toolchains: dict = field(default_factory=dict)  # name -> Toolchain, from the [zig] / [gnu] sections
    budget: dict = field(default_factory=dict)     # {"flash": bytes, "ram": bytes}
    features: list = field(default_factory=list)  # instruction-set features: kernels/<feature>/ overrides
    memory: dict = field(default_factory=dict)     # bare metal: {region: {"origin", "length", "holds"}}
    optimization: dict = field(default_factory=lambda: dict(OPTIMIZATION))  # opt= -> compiler flag
    alignment: int = 16                            # bytes, of weights, arenas, vectors (NN_ALIGNMENT in C)
    emulator_timeout: int = 600                    # seconds a verification run may take
    emulator_package: str = ""                     # the Debian package(s) with its emulator
    cmake_processor: str = ""                      # regex of the CMAKE_SYSTEM_PROCESSOR values it is
    runtimes: dict = field(default_factory=dict)   # [runtimes.<name>]: a runtime's board data (a TPU's chip)
    stack: int = 0                                 # bare metal: stack bytes
    heap: int = 0                                  # bare metal: heap bytes (C library only)
    path: str = ""

    def toolchain_for(self, name):
        """The [name] section; UserError if the target has none or cannot use it."""
        family = families.get(self.family)
        if name not in family.toolchains:
            raise UserError(f"toolchain={name} for target {self.name} ({self.path}): {family.toolchain_reason}; "
                            f"use toolchain={family.toolchains[0]}.")
        if name not in self.toolchains:
            raise UserError(f"toolchain={name}: target {self.name} has no [{name}] section in {self.path}; "
                            f"it builds with {', '.join(sorted(self.toolchains))}.")
        return self.toolchains[name]


def available_targets(directory=TARGET_DIR):
    return sorted(f[:-5] for f in os.listdir(directory) if f.endswith(".toml"))


def load_target(name, directory=TARGET_DIR):
    """Read targets/<name>.toml; UserError naming the valid targets if there is none."""
    path = os.path.join(directory, name + ".toml")
    if not os.path.isfile(path):
        raise UserError(f"unknown target '{name}'; valid targets: {', '.join(available_targets(directory))}.")
    try:
        with open(path, "rb") as f:
            data = tomllib.load(f)
    except tomllib.TOMLDecodeError as e:
        raise UserError(f"{path}: not valid TOML ({e}).") from None
    known = (set(Target.__dataclass_fields__) - {"path", "toolchains"}) | set(TOOLCHAINS)
    extra = set(data) - known
    if extra:
        raise UserError(f"{path}: unknown keys {sorted(extra)}; a target file may set {sorted(known)}.")
    missing = {"name", "description", "family", "toolchain"} - set(data)
    if missing:
        raise UserError(f"{path}: missing keys {sorted(missing)}.")
    toolchains = {}
    for name in TOOLCHAINS:
        if name in data:
            try:
                toolchains[name] = Toolchain(**data.pop(name))
            except TypeError as e:
                raise UserError(f"{path}: [{name}]: {e}.") from None
    for key, kind, example in _TYPED:
        if key in data and not (isinstance(data[key], kind) and data[key] not in ("", 0)
                                and (key != "alignment" or data[key] & (data[key] - 1) == 0 and data[key] >= 16)):
            raise UserError(f"{path}: {key} = {data[key]!r}: expected {example}.")
    optimization = {**OPTIMIZATION, **data.pop("optimization", {})}
    if set(optimization) != set(OPTIMIZATION) or not all(str(f).startswith("-O") for f in optimization.values()):
        raise UserError(f"{path}: [optimization] = {optimization}: expected the keys speed and size, each a "
                        'compiler optimisation flag such as "-O2" or "-Os".')
    target = Target(path=path, toolchains=toolchains, optimization=optimization, **data)
    unknown = set(target.runtimes) - set(runtimes.NAMES)
    if unknown or not all(isinstance(v, dict) for v in target.runtimes.values()):
        raise UserError(f"{path}: [runtimes] has {sorted(unknown) or target.runtimes}: expected a table per "
                        f"runtime of {', '.join(runtimes.NAMES)}, such as [runtimes.tpu] chip = \"cv180x\".")
    if target.family not in families.NAMES:
        raise UserError(f"{path}: family '{target.family}' is not one of {', '.join(families.NAMES)}.")
    target.toolchain_for(target.toolchain)
    families.get(target.family).check_target(target)
    return target
