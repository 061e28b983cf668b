"""The one bridge from nnbuild's plain Python steps to SCons actions."""

import json
import os
import sys

import SCons.Action

from nnbuild.code_dependencies import step_dependencies
from nnbuild.errors import Interrupted, UserError
from nnbuild.isolated_step import load_step, run_isolated


def python_action(step, label, isolated=False):
    """An action running step(targets, sources, settings) with a one-line progress label.

    `step` names a function, 'nnbuild.module:function'; `targets` and `sources` are
    path strings; `settings` is the JSON of the first Value source, if any. With
    `isolated`, the step runs in a child process (nnbuild.isolated_step). Whatever
    stops the step (a UserError, an interrupt, a crash) removes all of its targets,
    so that no output of a failed step is ever taken as up to date.
    """
    def run(target, source, env):
        paths = [str(t) for t in target]
        try:
            if isolated:
                run_isolated(step, label, paths, _files(source), _settings(source))
            else:
                load_step(step)(paths, _files(source), _settings(source))
        except UserError as e:
            _remove(paths)
            sys.stderr.write(f"\nnnbuild: {'' if isinstance(e, Interrupted) else 'error: '}{e}\n\n")
            return 1
        except BaseException:
            _remove(paths)
            raise
        return 0

    def show(target, source, env):
        files = _files(source)
        if env.get("NNBUILD_VERBOSE"):
            settings = _settings(source)
            return f"{step}(targets={[str(t) for t in target]}, sources={files}, settings={settings})"
        return f"[{label}] {files[0] if files else target[0]}"

    return SCons.Action.Action(run, strfunction=show, name=f"nnbuild.{label}")


def _remove(paths):
    for path in paths:
        if os.path.exists(path):
            os.remove(path)


def python_builder(env, step, label, emitter=None, isolated=False):
    """A Builder running `step` ('nnbuild.module:function'). Its targets also depend on
    the step's code (code_dependencies): SCons only signs the action itself."""
    files = [env.File(path) for path in step_dependencies(step)]

    def emit(target, source, env):
        if emitter:
            target, source = emitter(target, source, env)
        env.Depends(target, files)
        return target, source

    return env.Builder(action=python_action(step, label, isolated), emitter=emit)


def glue_emitter(runtime, extension):
    """The emitter of a runtime's glue builder: from <model>.h, also <model>_<runtime><extension>
    (the glue source) and <runtime>_info.json (its memory) in the same folder."""
    def emit(target, source, env):
        header = str(target[0])
        folder, model = os.path.dirname(header), os.path.basename(header)[:-2]
        return [header, os.path.join(folder, f"{model}_{runtime}{extension}"),
                os.path.join(folder, f"{runtime}_info.json")], source
    return emit


def _files(source):
    return [str(s) for s in source if not isinstance(s, SCons.Node.Python.Value)]


def _settings(source):
    for s in source:
        if isinstance(s, SCons.Node.Python.Value):
            return json.loads(s.read())
    return {}


def settings_node(env, settings):
    """A Value node holding build settings: a changed setting rebuilds what depends on it."""
    return env.Value(json.dumps(settings, sort_keys=True))

