"""Rendering of the runner: the `main` that feeds input vectors to the generated model."""

from nnbuild.render import render_template


def runner_context(model, target):
    """The values a runner template sees: only names, so the runner does not depend on the
    model's contents (sizes and types come from the generated header)."""
    return {"model": model, "MODEL": model.upper(), "target": target}


def render_runner(model, target, family="linux"):
    return render_template(f"{family}/runner.c.j2", **runner_context(model, target))
