"""Two lookups that Sphinx extensions repeat for every value, done once per build process.

- myst-nb renders each glued `text/markdown` value (`{glue}`, `{glue:md}`) with an isolated
  CommonMark parser that it builds anew every time (myst_nb 1.4,
  `MimeRenderPlugin._render_markdown_base` calls `create_md_parser`): about a thousand identical
  parsers a build. A CommonMark-only parser keeps no state between parses (a parse's state lives
  in its `env`), so one per configuration and renderer class serves them all; the book's own
  MyST parser is built as before.
- pybtex finds a plugin class (the citation backends and styles of sphinxcontrib-bibtex) by
  scanning every installed distribution's entry points, at each citation and entry it formats
  (`pybtex.plugin._load_entry_point`); the answer cannot change while the build runs, so it is
  looked up once per group and name.

Both serve exactly what the original call returns (tests/test_lookups.py).
"""

from __future__ import annotations

from functools import cache, wraps

import pybtex.plugin
from myst_nb.core import render
from sphinx.application import Sphinx

_PARSERS: dict[tuple, object] = {}


def _parser_key(config, renderer) -> tuple | None:
    """The key of a CommonMark-only or GFM-only configuration, else None (not shared)."""
    if not (config.commonmark_only or config.gfm_only):
        return None
    return (renderer, config.commonmark_only, config.gfm_only, config.words_per_minute,
            config.enable_checkboxes)


def shared_parsers(create):
    """`create_md_parser`, returning one parser per CommonMark/GFM configuration."""
    @wraps(create)
    def create_md_parser(config, renderer):
        key = _parser_key(config, renderer)
        if key is None:
            return create(config, renderer)
        if key not in _PARSERS:
            _PARSERS[key] = create(config, renderer)
        return _PARSERS[key]
    create_md_parser.__deepshock_once__ = True
    return create_md_parser


def plugins_once(load):
    """pybtex's `_load_entry_point`, remembering each class it found (a plugin it cannot find
    raises again on every call, as before)."""
    once = cache(load)
    once.__deepshock_once__ = True
    return once


def setup(app: Sphinx) -> None:
    if not getattr(render.create_md_parser, "__deepshock_once__", False):
        render.create_md_parser = shared_parsers(render.create_md_parser)
    if not getattr(pybtex.plugin._load_entry_point, "__deepshock_once__", False):
        pybtex.plugin._load_entry_point = plugins_once(pybtex.plugin._load_entry_point)
