"""Target boards: one TOML file each in targets/ (toolchain, flags, emulator, budgets)."""

import os
import tomllib
from dataclasses import dataclass, field

from nnbuild.errors import UserError

TARGET_DIR = os.path.normpath(os.path.join(os.path.dirname(__file__), "..", "..", "targets"))
FAMILIES = ("linux", "baremetal")
TOOLCHAINS = ("zig", "gnu")


@dataclass
class Target:
    name: str
    description: str
    family: str
    toolchain: str                                 # the default; toolchain= may pick another
    triple: str = ""                               # zig's -target
    gnu_prefix: str = ""                           # GNU cross prefix, e.g. "arm-none-eabi-"
    gnu_package: str = ""                          # the Debian package that has it
    cflags: list = field(default_factory=list)
    linkflags: list = field(default_factory=list)
    emulator: list = field(default_factory=list)   # command prefix that runs a binary; [] = native
    budget: dict = field(default_factory=dict)     # {"flash": bytes, "ram": bytes}
    memory: dict = field(default_factory=dict)     # bare metal: {"flash"/"ram": {"origin", "length"}}
    stack: int = 0                                 # bare metal: stack bytes
    heap: int = 0                                  # bare metal: heap bytes (C library only)
    path: str = ""


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
    known = set(Target.__dataclass_fields__) - {"path"}
    extra = set(data) - known
    if extra:
        raise UserError(f"{path}: unknown keys {sorted(extra)}; a target file may set {sorted(known)}.")
    missing = {"name", "description", "family", "toolchain"} - set(data)
    if missing:
        raise UserError(f"{path}: missing keys {sorted(missing)}.")
    target = Target(path=path, **data)
    if target.family not in FAMILIES:
        raise UserError(f"{path}: family '{target.family}' is not one of {', '.join(FAMILIES)}.")
    if target.toolchain not in TOOLCHAINS:
        raise UserError(f"{path}: toolchain '{target.toolchain}' is not one of {', '.join(TOOLCHAINS)}.")
    return target
