"""Board families: how a kind of board gets its firmware image and runs it, one module
each implementing nnbuild.families.base.Family as FAMILY (ARCHITECTURE.md, "Add a board
family"). A board file (targets/<board>.toml) names its family.
"""

import importlib

NAMES = ("linux", "baremetal")


def get(name):
    """The Family called `name` (a name of NAMES)."""
    return importlib.import_module(f"nnbuild.families.{name}").FAMILY
