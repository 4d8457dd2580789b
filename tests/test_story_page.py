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

    def one_call(a, b=2, *, c=3):
        """The chapter's numbers."""
        return (a, b, c)
    one_call.__module__ = "deepshock.story.eventstudy.opening"
    kept = page.stored(one_call)
    assert kept.__name__ == "one_call" and kept.__doc__ == "The chapter's numbers."
    assert kept.__wrapped__ is one_call
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
