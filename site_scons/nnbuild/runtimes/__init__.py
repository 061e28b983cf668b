"""The runtimes a firmware can link: one module or package each, implementing
nnbuild.runtimes.base.Runtime as RUNTIME (ARCHITECTURE.md, "Add a runtime").

Adding a runtime is its folder here and its name below.
"""

import importlib

NAMES = ("aot", "tflm", "executorch", "tpu")  # the default first


def get(name):
    """The Runtime called `name` (a name of NAMES)."""
    return importlib.import_module(f"nnbuild.runtimes.{name}").RUNTIME


def all_runtimes():
    return [get(name) for name in NAMES]
