"""The one bridge from nnbuild's plain Python steps to SCons actions."""

import json
import os
import sys

import SCons.Action

from nnbuild.errors import UserError


def python_action(step, label):
    """An action running step(targets, sources, settings) with a one-line progress label.

    `targets` and `sources` are path strings; `settings` is the JSON of the first
    Value source, if any. A UserError becomes one clean message, and the step's
    targets are removed so that no half-written output is left behind.
    """
    def run(target, source, env):
        paths = [str(t) for t in target]
        try:
            step(paths, _files(source), _settings(source))
        except UserError as e:
            for path in paths if not e.keep_outputs else ():
                if os.path.exists(path):
                    os.remove(path)
            sys.stderr.write(f"\nnnbuild: error: {e}\n\n")
            return 1
        return 0

    def show(target, source, env):
        files = _files(source)
        if env.get("NNBUILD_VERBOSE"):
            settings = _settings(source)
            return (f"{step.__module__}.{step.__name__}(targets={[str(t) for t in target]}, "
                    f"sources={files}, settings={settings})")
        return f"[{label}] {files[0] if files else target[0]}"

    return SCons.Action.Action(run, strfunction=show, name=f"nnbuild.{label}")


def python_builder(env, step, label, code, emitter=None):
    """A Builder running `step`; its targets also depend on `code`, the library files
    (relative to site_scons/nnbuild, or templates/...) whose change must redo the step:
    SCons only signs the step function itself."""
    here = os.path.dirname(os.path.abspath(__file__))
    files = [env.File(os.path.normpath(os.path.join(here, c))) for c in code]

    def emit(target, source, env):
        if emitter:
            target, source = emitter(target, source, env)
        env.Depends(target, files)
        return target, source

    return env.Builder(action=python_action(step, label), emitter=emit)


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

