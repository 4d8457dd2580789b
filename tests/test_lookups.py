"""`deepshock.book.lookups`: the shared CommonMark parser and the pybtex plugin lookup serve what
the original calls serve."""

from __future__ import annotations

import pybtex.plugin
import pytest
from myst_nb.sphinx_ import SphinxNbRenderer
from myst_parser.config.main import MdParserConfig
from myst_parser.parsers.mdit import create_md_parser

from deepshock.book import lookups


def test_one_commonmark_parser_serves_every_glued_value_and_parses_as_a_new_one():
    shared = lookups.shared_parsers(create_md_parser)
    first = shared(MdParserConfig(commonmark_only=True), SphinxNbRenderer)
    assert shared(MdParserConfig(commonmark_only=True), SphinxNbRenderer) is first
    fresh = create_md_parser(MdParserConfig(commonmark_only=True), SphinxNbRenderer)
    text = "Nvidia fell **17.0%**, a loss of $592.7bn; see [the data](data.md) and `code`."
    for _ in range(2):   # a second parse with the shared parser is unchanged by the first
        assert [t.as_dict() for t in first.parseInline(text, {})] == \
            [t.as_dict() for t in fresh.parseInline(text, {})]
    gfm = shared(MdParserConfig(gfm_only=True), SphinxNbRenderer)
    assert gfm is not first and shared(MdParserConfig(gfm_only=True), SphinxNbRenderer) is gfm
    myst = MdParserConfig(enable_extensions={"dollarmath"})   # the book's own parser: never shared
    assert shared(myst, SphinxNbRenderer) is not shared(myst, SphinxNbRenderer)


def test_a_pybtex_plugin_is_looked_up_once_and_is_the_same_class(monkeypatch):
    original = pybtex.plugin._load_entry_point
    wanted = [("pybtex.backends", "docutils"), ("pybtex.backends", "plaintext"),
              ("pybtex.style.formatting", "plain")]
    expected = {key: pybtex.plugin.find_plugin(*key) for key in wanted}
    calls = []

    def counted(*args, **kwargs):
        calls.append(args)
        return original(*args, **kwargs)

    monkeypatch.setattr(pybtex.plugin, "_load_entry_point", lookups.plugins_once(counted))
    for _ in range(3):
        for key, klass in expected.items():
            assert pybtex.plugin.find_plugin(*key) is klass
    assert len(calls) == len(wanted)
    with pytest.raises(pybtex.plugin.PluginNotFound):
        pybtex.plugin.find_plugin("pybtex.backends", "no-such-backend")
