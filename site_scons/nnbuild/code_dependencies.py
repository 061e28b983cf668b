"""The files a step's result depends on besides its sources: the nnbuild modules it may
run and the templates and data files they name.

A step's SCons targets depend on these, so that editing any helper module reruns
what it produces. They are found by reading the code (imports anywhere in a module,
lazy ones included, and string constants naming a file of templates/ or of the
package), not by importing it: declaring a build must stay fast.
"""

import ast
import functools
import os

PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))
TEMPLATE_DIR = os.path.normpath(os.path.join(PACKAGE_DIR, "..", "..", "templates"))


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


def _imported(path):
    """Modules of nnbuild and data files named in the file at `path`."""
    with open(path) as f:
        tree = ast.parse(f.read(), path)
    package = _module_name(path) if path.endswith("__init__.py") else _module_name(path).rpartition(".")[0]
    modules, files = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[:len(package.split(".")) - node.level + 1] + ([base] if base else []))
            modules.add(base)
            modules.update(f"{base}.{alias.name}" for alias in node.names)  # `from pkg import module`
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and len(node.value) < 200:
            for folder in (TEMPLATE_DIR, PACKAGE_DIR):
                candidate = os.path.join(folder, node.value)
                if "." in node.value and os.path.isfile(candidate):
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
