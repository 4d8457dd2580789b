"""What a chapter's one call returns: the numbers its prose states, formatted in house style
(glue name -> text), and its figures (glue name -> chart and the rows it draws). The book
layer publishes it (`deepshock.book.report.publish`).

`stored` keeps a chapter's one call in the artefact store, so a clean build (`rm -rf _build`)
reads each chapter's numbers and figures back instead of computing them again; the store's
key hashes this whole package, the synced data and the facts, so any change computes afresh."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import wraps
from typing import TypeVar

import altair as alt
import pandas as pd

from ..data import artefacts

T = TypeVar("T")
MINUS = "\u2212"  # house style: one minus sign in text


@dataclass
class Chapter:
    text: dict[str, str]
    figures: dict[str, tuple[alt.TopLevelMixin, pd.DataFrame]] = field(default_factory=dict)


def signed(fraction: float, digits: int = 1) -> str:
    """A signed move for brackets and lists, with the house minus: -0.138 -> '−13.8%'."""
    return f"{fraction * 100:+.{digits}f}%".replace("-", MINUS)


def stored(call: Callable[..., T]) -> Callable[..., T]:
    """`call` (a chapter's one call) with its result kept in the artefact store under
    `chapter-<module>`, keyed also by its arguments (`artefacts.keep`)."""
    name = "chapter-" + call.__module__.removeprefix("deepshock.story.").replace(".", "-")

    @wraps(call)
    def kept(*args, **kwargs) -> T:
        return artefacts.keep(name, lambda: call(*args, **kwargs), args, sorted(kwargs.items()),
                              shared=False)   # one kernel per chapter: no lock held meanwhile
    return kept
