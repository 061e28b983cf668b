"""Where a build writes: build/ in the nnbuild checkout, or the build folder of the
project whose nnbuild.toml names the fleet (project=, nnbuild.project)."""

_root = ["build"]


def use(folder):
    """Build into `folder` (once, before any artifact is declared)."""
    _root[0] = folder


def root():
    return _root[0]


def path(*parts):
    """A path under the build folder: path("models", name) -> build/models/<name>."""
    return "/".join([_root[0], *parts])
