"""Jinja rendering of the templates in templates/ (runners, generated model sources)."""

import os

import jinja2

TEMPLATE_DIR = os.path.join(os.path.dirname(__file__), "..", "..", "templates")

_env = jinja2.Environment(
    loader=jinja2.FileSystemLoader(os.path.normpath(TEMPLATE_DIR)),
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
