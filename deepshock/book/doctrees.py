"""Each page's doctree unpickled once, not once per reference to it (build time only).

Sphinx 7 reads a page's doctree back from its pickle every time another page numbers a figure
in it (`{numref}`: `StandardDomain._resolve_numref_xref`) and once more when it numbers the
book's figures (`TocTreeCollector.assign_figure_numbers`). Both only read the tree (the label's
node, the figures' ids), so after Sphinx has read every page they share one unpickled copy per
page: in this book 47 unpickles of 17 pages became 17 (about 1.5 s of CPU). Every other reader
(the writer, which resolves and changes the tree it gets) still gets a fresh copy.
"""

from __future__ import annotations

from contextlib import contextmanager
from functools import wraps

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.domains.std import StandardDomain
from sphinx.environment import BuildEnvironment
from sphinx.environment.collectors.toctree import TocTreeCollector

_SHARED: dict[int, dict[str, nodes.document]] = {}   # id(env) -> docname -> doctree


@contextmanager
def read_only(env: BuildEnvironment):
    """Within the block, `env.get_doctree` returns the page's one shared, unpickled doctree."""
    if "get_doctree" in vars(env):   # already inside such a block
        yield
        return
    shared, load = _SHARED.setdefault(id(env), {}), env.get_doctree

    def get_doctree(docname: str) -> nodes.document:
        if docname not in shared:
            shared[docname] = load(docname)
        return shared[docname]

    env.get_doctree = get_doctree
    try:
        yield
    finally:
        del env.get_doctree


def _sharing(method, env_of):
    @wraps(method)
    def wrapper(self, *args, **kwargs):
        with read_only(env_of(self, args)):
            return method(self, *args, **kwargs)
    wrapper.__deepshock_shared__ = True
    return wrapper


def forget(app: Sphinx, *_: object) -> None:
    """Drop the shared doctrees (pages are about to be read again, or the build is over)."""
    _SHARED.pop(id(app.env), None)


def setup(app: Sphinx) -> None:
    if not getattr(StandardDomain._resolve_numref_xref, "__deepshock_shared__", False):
        StandardDomain._resolve_numref_xref = _sharing(
            StandardDomain._resolve_numref_xref, lambda self, args: args[0])
    if not getattr(TocTreeCollector.assign_figure_numbers, "__deepshock_shared__", False):
        TocTreeCollector.assign_figure_numbers = _sharing(
            TocTreeCollector.assign_figure_numbers, lambda self, args: args[0])
    app.connect("env-before-read-docs", forget)
    app.connect("build-finished", forget)
