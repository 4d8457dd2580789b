"""What a chapter's one call returns: the numbers its prose states, formatted in house style
(glue name -> text), and its figures (glue name -> chart and the rows it draws). The book
layer publishes it (`deepshock.book.report.publish`)."""

from __future__ import annotations

from dataclasses import dataclass, field

import altair as alt
import pandas as pd

MINUS = "\u2212"  # house style: one minus sign in text


@dataclass
class Chapter:
    text: dict[str, str]
    figures: dict[str, tuple[alt.TopLevelMixin, pd.DataFrame]] = field(default_factory=dict)


def signed(fraction: float, digits: int = 1) -> str:
    """A signed move for brackets and lists, with the house minus: -0.138 -> '−13.8%'."""
    return f"{fraction * 100:+.{digits}f}%".replace("-", MINUS)
