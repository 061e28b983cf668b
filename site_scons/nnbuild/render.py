"""Jinja rendering of the templates in templates/ (runners, generated model sources)."""

import os

import jinja2

from nnbuild.c_literals import c_byte_rows
from nnbuild.files import write_atomically

TEMPLATE_DIR = os.path.normpath(os.path.join(os.path.dirname(__file__), "..", "..", "templates"))

_env = jinja2.Environment(
    loader=jinja2.FileSystemLoader(TEMPLATE_DIR),
    undefined=jinja2.StrictUndefined,  # a missing context key is a bug, not an empty string
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)


def render_template(name, **context):
    """Render templates/<name> with `context`."""
    return _env.get_template(name).render(**context)


def template_path(name):
    return os.path.normpath(os.path.join(TEMPLATE_DIR, name))


def render_step(targets, sources, settings):
    """templates/<name>.j2 -> a source file, with `settings` as the template's context."""
    template = os.path.relpath(sources[0], TEMPLATE_DIR)
    write_atomically(targets[0], render_template(template, **settings))


def model_data_step(targets, sources, settings):
    """A model file (.tflite, .pte) -> <model>_data.cc: its bytes as a 16-byte-aligned const array."""
    with open(sources[0], "rb") as f:
        data = f.read()
    write_atomically(targets[0], render_template("model_data.cc.j2", model=settings["model"], origin=sources[0],
                                                 runtime=settings["runtime"], size=len(data), rows=c_byte_rows(data)))
