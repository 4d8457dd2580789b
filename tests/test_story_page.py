"""The story layer's page pieces (`story.page`): the signed move with the house minus, the
`Chapter` record, and `stored`, which keeps a chapter's one call in the artefact store under
`chapter-<module>` keyed by its arguments (the store replaced here by a recorder). Fast."""

from __future__ import annotations

import pandas as pd
import pytest

from deepshock.story import page

MINUS = "\u2212"


def test_signed_uses_the_house_minus_and_a_plus():
    assert page.MINUS == MINUS
    assert page.signed(-0.138) == MINUS + "13.8%"
    assert page.signed(0.0312) == "+3.1%"
    assert page.signed(0.0) == "+0.0%"
    assert page.signed(-0.13849, 2) == MINUS + "13.85%"
    assert page.signed(0.5, 0) == "+50%"
    assert "-" not in page.signed(-1.5)


def test_chapter_holds_text_and_its_own_figures():
    one = page.Chapter({"a": "1"})
    two = page.Chapter({"b": "2"})
    assert one.text == {"a": "1"} and one.figures == {}
    one.figures["x"] = (None, pd.DataFrame())
    assert two.figures == {}  # a fresh dict per chapter


def _recorder(monkeypatch):
    calls = []

    def keep(name, compute, *parts, **kwargs):
        calls.append((name, parts, kwargs))
        return compute()
    monkeypatch.setattr(page.artefacts, "keep", keep)
    return calls


def test_stored_keeps_the_call_under_the_chapter_name_and_its_arguments(monkeypatch):
    calls = _recorder(monkeypatch)

    def chapter(a, b=2, *, c=3):
        """The chapter's numbers."""
        return (a, b, c)
    chapter.__module__ = "deepshock.story.eventstudy.opening"
    kept = page.stored(chapter)
    assert kept.__name__ == "chapter" and kept.__doc__ == "The chapter's numbers."
    assert kept.__wrapped__ is chapter
    assert kept(1, c=5, b=4) == (1, 4, 5)
    assert calls == [("chapter-eventstudy-opening", ((1,), [("b", 4), ("c", 5)]),
                      {"shared": False})]
    with pytest.raises(TypeError):
        kept()   # the call itself runs inside the store: its errors come through


def test_stored_names_a_top_level_chapter_by_its_module(monkeypatch):
    calls = _recorder(monkeypatch)

    def chapter():
        return "numbers"
    chapter.__module__ = "deepshock.story.selloff"
    assert page.stored(chapter)() == "numbers"
    assert calls == [("chapter-selloff", ((), []), {"shared": False})]


def test_stored_names_another_function_by_its_module_and_name(monkeypatch):
    calls = _recorder(monkeypatch)

    def page_():
        return 1

    def _drawn(url):
        return url
    for f in (page_, _drawn):
        f.__module__ = "deepshock.story.explorer"
    page_.__name__ = "page"
    assert page.stored(page_)() == 1 and page.stored(_drawn)("u") == "u"
    assert [c[0] for c in calls] == ["chapter-explorer", "chapter-explorer-drawn"]


def _chart(title):
    import altair as alt
    return alt.Chart(pd.DataFrame({"x": [1, 2]})).mark_bar().encode(x="x:Q").properties(
        title=title)


def test_stored_keeps_each_figure_spec_and_publishing_reads_it(monkeypatch):
    """The spec is made once, when the call is computed, kept beside the chart (through a
    pickle, as the store reads it back) and is what `spec` returns, without serializing the
    chart again; a chart made afresh is serialized as before."""
    import pickle
    _recorder(monkeypatch)

    def chapter():
        return page.Chapter({"a": "1"}, {"fig-a": (_chart("A"), pd.DataFrame({"x": [1]}))})
    chapter.__module__ = "deepshock.story.selloff"
    got = pickle.loads(pickle.dumps(page.stored(chapter)()))
    chart = got.figures["fig-a"][0]
    made = chart.to_dict()
    assert vars(chart)[page.SPEC] == made and "_deepshock_spec" not in made
    monkeypatch.setattr(type(chart), "to_dict", lambda self, *a, **k: pytest.fail("serialized"))
    assert page.spec(chart) == made and page.spec(chart)["title"] == "A"
    monkeypatch.undo()
    fresh = _chart("B")
    assert page.SPEC not in vars(fresh) and page.spec(fresh)["title"] == "B"


def test_stored_keeps_the_spec_of_a_page_chart_and_leaves_other_results(monkeypatch):
    from dataclasses import dataclass
    _recorder(monkeypatch)

    @dataclass(frozen=True)
    class Page:
        chart: object

    def page_():
        return Page(_chart("C"))
    page_.__module__ = "deepshock.story.explorer"
    got = page.stored(page_)()
    assert vars(got.chart)[page.SPEC]["title"] == "C"

    def chapter():
        return Page(None)
    chapter.__module__ = "deepshock.story.explorer"
    assert page.stored(chapter)() == Page(None)
