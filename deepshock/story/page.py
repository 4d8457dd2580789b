"""What a chapter's one call returns: the numbers its prose states, formatted in house style
(glue name -> text), and its figures (glue name -> chart and the rows it draws). The book
layer publishes it (`deepshock.book.report.publish`).

`stored` keeps a chapter's one call in the artefact store, so a clean build (`rm -rf _build`)
reads each chapter's numbers and figures back instead of computing them again; the store's
key hashes this whole package, the synced data and the facts, so any change computes afresh.
Each figure's chart is kept with its Vega-Lite spec, serialized and validated once when the call
is computed (`spec`): a build that reads the call back does not serialize it again."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import wraps
from typing import TypeVar

import altair as alt
import pandas as pd

from ..data import artefacts

T = TypeVar("T")
SPEC = "_deepshock_spec"   # a stored chart's spec, beside Altair's own attributes
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
    `chapter-<module>` (`chapter-<module>-<function>` for a function not named `chapter` or
    `page`), keyed also by its arguments (`artefacts.keep`)."""
    name = "chapter-" + call.__module__.removeprefix("deepshock.story.").replace(".", "-")
    if call.__name__ not in ("chapter", "page"):
        name += "-" + call.__name__.strip("_")

    @wraps(call)
    def kept(*args, **kwargs) -> T:
        return artefacts.keep(name, lambda: _with_specs(call(*args, **kwargs)), args,
                              sorted(kwargs.items()),
                              shared=False)   # one kernel per chapter: no lock held meanwhile
    return kept


def _with_specs(result: T) -> T:
    """`result` with the spec of each of its figures' charts kept on the chart (`spec`)."""
    charts = [pair[0] for pair in getattr(result, "figures", {}).values()]
    charts += [getattr(result, "chart", None)]
    for chart in charts:
        if isinstance(chart, alt.TopLevelMixin):
            object.__setattr__(chart, SPEC, chart.to_dict())  # Altair's setattr would add a key
    return result


def spec(chart: alt.TopLevelMixin) -> dict:
    """The chart's Vega-Lite spec: the one kept with a stored call (not to be changed), else
    serialized and validated now."""
    kept = vars(chart).get(SPEC)
    return kept if kept is not None else chart.to_dict()
