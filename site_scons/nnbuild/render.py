"""Jinja rendering of the templates: the shared ones in templates/, a runtime's and a board
family's in their folders (code_dependencies.TEMPLATE_ROOTS)."""

import os

import jinja2

from nnbuild.c_literals import c_byte_rows
from nnbuild.code_dependencies import TEMPLATE_ROOTS
from nnbuild.files import write_atomically

_env = jinja2.Environment(
    loader=jinja2.FileSystemLoader(TEMPLATE_ROOTS),
    undefined=jinja2.StrictUndefined,  # a missing context key is a bug, not an empty string
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)


def render_template(name, **context):
    """Render the template `name` ("<folder>/<file>.j2") with `context`."""
    return _env.get_template(name).render(**context)


def render_step(targets, sources, settings):
    """A template (its path) -> a source file, with `settings` as the template's context."""
    path = os.path.abspath(sources[0])
    root = next(r for r in TEMPLATE_ROOTS if path.startswith(r + os.sep))
    write_atomically(targets[0], render_template(os.path.relpath(path, root), **settings))


def model_data_step(targets, sources, settings):
    """A model file (.tflite, .pte) -> <model>_data.cc: its bytes as a aligned (NN_ALIGNMENT) const array."""
    with open(sources[0], "rb") as f:
        data = f.read()
    write_atomically(targets[0], render_template("model_data.cc.j2", model=settings["model"], origin=sources[0],
                                                 runtime=settings["runtime"], size=len(data), rows=c_byte_rows(data)))
