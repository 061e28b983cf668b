"""The files a step's result depends on besides its sources: the nnbuild modules it may
run and the templates and data files they name.

A step's SCons targets depend on these, so that editing any helper module reruns
what it produces. They are found by reading the code (imports anywhere in a module,
lazy ones included, and string literals naming a template or a file of the package),
not by importing it: declaring a build must stay fast.
"""

import functools
import os
import re

PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))
# Where a template named "<folder>/<file>.j2" is found, first first: the shared ones (the C
# API, export files, size page) in templates/, a runtime's in runtimes/<runtime>/, a board
# family's in families/<family>/.
TEMPLATE_ROOTS = (os.path.normpath(os.path.join(PACKAGE_DIR, "..", "..", "templates")),
                  os.path.join(PACKAGE_DIR, "runtimes"), os.path.join(PACKAGE_DIR, "families"))


def template_file(name):
    """The path of the template `name` ("<folder>/<file>.j2"), as the renderer finds it."""
    for folder in TEMPLATE_ROOTS:
        path = os.path.join(folder, name)
        if os.path.isfile(path):
            return path
    raise FileNotFoundError(f"no template {name} in {', '.join(TEMPLATE_ROOTS)}")


def _module_file(name):
    """The file of module `name` inside the nnbuild package, or None."""
    parts = name.split(".")
    if parts[0] != "nnbuild":
        return None
    base = os.path.join(PACKAGE_DIR, *parts[1:])
    for path in (base + ".py", os.path.join(base, "__init__.py")):
        if os.path.isfile(path):
            return path
    return None


def _module_name(path):
    relative = os.path.relpath(os.path.splitext(path)[0], os.path.dirname(PACKAGE_DIR))
    parts = relative.split(os.sep)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


_FROM_IMPORT = re.compile(r"^\s*from\s+(\.*)([\w.]*)\s+import\s+(\([^)]*\)|[^\n]*)", re.M)
_IMPORT = re.compile(r"^\s*import\s+([\w., ]+)", re.M)
_STRING = re.compile(r"[\"']([\w./-]+\.\w+)[\"']")


@functools.lru_cache(maxsize=None)
def _imported(path):
    """Modules of nnbuild and data files named in the file at `path`: read with regular
    expressions (a tenth of the time of parsing), which the project's code style suits."""
    with open(path) as f:
        text = f.read()
    module = _module_name(path)
    package = module if path.endswith("__init__.py") else module.rpartition(".")[0]
    modules, files = set(), set()
    for dots, base, names in _FROM_IMPORT.findall(text):
        if dots:  # relative: from .x import y, from .. import z
            parts = package.split(".")[:len(package.split(".")) - len(dots) + 1]
            base = ".".join(parts + ([base] if base else []))
        modules.add(base)
        for name in re.split(r"[\s,()]+", names):
            if name and name != "as" and not name.startswith("#"):
                modules.add(f"{base}.{name}")  # `from package import module`
    for names in _IMPORT.findall(text):
        modules.update(name.split(" as ")[0].strip() for name in names.split(","))
    for value in _STRING.findall(text):
        for folder in (*TEMPLATE_ROOTS, PACKAGE_DIR):
            candidate = os.path.join(folder, value)
            if os.path.isfile(candidate):
                files.add(os.path.normpath(candidate))
    return {f for f in map(_module_file, modules) if f}, files


@functools.lru_cache(maxsize=None)
def step_dependencies(step):
    """Sorted paths of every nnbuild module and named file that step 'module:function' may use."""
    start = _module_file(step.partition(":")[0])
    seen, files, todo = set(), set(), [start]
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        modules, named = _imported(path)
        files |= named
        todo += modules - seen
    return sorted(seen | files)
