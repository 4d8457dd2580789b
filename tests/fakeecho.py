"""A stand-in for `story.echo` in the tests of the chapters that state the model's answers
(`tests/test_story_tokyo.py`, `tests/test_story_contagion_init.py`): each answer distinct,
each call recorded in `calls`. A chapter's test subclasses it with the answers its chapter
asks for (`lead`, `slope_range`, `table`, ...) and installs it with `install`."""

from __future__ import annotations

import pandas as pd

from deepshock.story import echo as real


class FakeEcho:
    CALLS: tuple[str, ...] = ("texts", "rounding_note", "summary", "bounds_sentence", "slopes")

    def __init__(self, verdicts: dict[tuple[str, int], str]):
        self.calls: list[tuple] = []
        self.verdicts = verdicts

    def texts(self, t, d):
        self.calls.append(("texts", t, d))
        return {real.key(t, d, "verdict"): self.verdicts[(t, d)],
                real.key(t, d, "total"): f"total {t} {d}"}

    def rounding_note(self, pairs):
        self.calls.append(("rounding_note", list(pairs)))
        return "rounding note"

    def summary(self, pairs, names, days):
        self.calls.append(("summary", list(pairs), dict(names), dict(days)))
        return "summary"

    def bounds_sentence(self):
        return "bounds"

    def slopes(self, tickers, names):
        self.calls.append(("slopes", list(tickers), dict(names)))
        return pd.DataFrame({"Security": ["slopes table"]})

    def install(self, monkeypatch, chapter, extra: tuple[str, ...]) -> FakeEcho:
        """Put this stand-in's calls (the shared ones and `extra`) in place of `chapter.echo`'s,
        and `chapter.markdown` in place of the table renderer."""
        for name in self.CALLS + extra:
            monkeypatch.setattr(chapter.echo, name, getattr(self, name))
        monkeypatch.setattr(chapter, "markdown", lambda frame, **kw: f"md {frame.iat[0, 0]} {kw}")
        return self
