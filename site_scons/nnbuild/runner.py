"""Rendering of the runner: the `main` that feeds input vectors to the generated model."""

from nnbuild.render import render_template


def runner_context(model, target, info):
    """The values a runner template sees (kept small: they are a build signature)."""
    return {"model": model, "MODEL": model.upper(), "target": target,
            "input_ctype": info["input"]["ctype"], "input_size": info["input"]["size"]}


def render_runner(model, target, info, family="linux"):
    return render_template(f"{family}/runner.c.j2", **runner_context(model, target, info))
