"""Formatting of numbers for prose, and publishing them (myst-nb glue) with the book's figures."""

from __future__ import annotations

import json
import math
import re

import altair as alt
import pandas as pd
from IPython.display import Markdown
from myst_nb import glue

from ..story.charts import PUBLISHED, check_chart, render, version
from ..story.page import spec as serialized
from ..data.paths import figdata_dir
from .dictionary import figure_schema


def pct(fraction: float, digits: int = 2, signed: bool = True) -> str:
    """0.0312 -> '+3.12%'; -0.1697 -> '-16.97%'."""
    _finite(fraction)
    return f"{fraction * 100:{'+' if signed else ''}.{digits}f}%"


def pp(points: float, digits: int = 2) -> str:
    """A difference in percentage points: 1.25 -> '+1.25 pp'."""
    _finite(points)
    return f"{points:+.{digits}f} pp"


def number(value: float, digits: int = 2) -> str:
    """12345.678 -> '12,345.68'."""
    _finite(value)
    return f"{value:,.{digits}f}"


def usd(value: float, digits: int = 2) -> str:
    """142.62 -> '$142.62'."""
    _finite(value)
    return f"${value:,.{digits}f}"


def usd_bn(dollars: float, digits: int = 1) -> str:
    """592.66e9 -> '$592.7bn'."""
    _finite(dollars)
    return f"${dollars / 1e9:,.{digits}f}bn"


def day(date: pd.Timestamp | str, weekday: bool = False) -> str:
    """Timestamp -> '27 January 2025' (optionally 'Monday 27 January 2025')."""
    stamp = pd.Timestamp(date)
    text = f"{stamp.day} {stamp:%B %Y}"
    return f"{stamp:%A} {text}" if weekday else text


def _finite(value: float) -> None:
    if value is None or not math.isfinite(float(value)):
        raise ValueError(f"refusing to publish a non-finite number: {value!r}")


MINUS = "\u2212"
# a hyphen-minus used as a sign: at the start, or after a space or opening punctuation, and
# before a digit ('-0.3%', '(-3.1%', 'CI -1.6% to', '[-5,-1]'); never inside a date or word
SIGN = re.compile(r"(?:^|(?<=[\s(\[,;]))-(?=\.?\d)")
TEXT_KEYS = ("title", "subtitle", "text", "description")


def typeset(text: str) -> str:
    """House style for published text: a negative number takes the minus sign (U+2212), not
    the hyphen ('CI -1.6% to +4.6%' -> 'CI \u22121.6% to +4.6%')."""
    return SIGN.sub(MINUS, text)


def typeset_spec(spec: object) -> object:
    """`typeset` on the words a chart shows: every title, subtitle, text and description
    string of a Vega-Lite spec (not its data, fields or expressions)."""
    if isinstance(spec, dict):
        return {k: (_typeset_words(v) if k in TEXT_KEYS else typeset_spec(v))
                for k, v in spec.items()}
    if isinstance(spec, list):
        return [typeset_spec(v) for v in spec]
    return spec


def _typeset_words(value: object) -> object:
    if isinstance(value, str):
        return typeset(value)
    if isinstance(value, list):
        return [typeset(v) if isinstance(v, str) else typeset_spec(v) for v in value]
    return typeset_spec(value)


def glue_text(**items: str) -> None:
    """Glue pre-formatted strings for `{glue:md}` in the prose (no repr quotes, no numpy repr),
    typeset in house style (`typeset`)."""
    for key, text in items.items():
        if not isinstance(text, str) or not text:
            raise ValueError(f"glue {key!r}: expected a non-empty formatted string, got {text!r}")
        glue(key, Markdown(typeset(text)), display=False)


def figure(name: str, chart: alt.TopLevelMixin, data: pd.DataFrame) -> None:
    """Check a chart, write exactly the data it shows to `_build/figdata/<name>.csv` with its
    data dictionary `<name>.json` (each column's description and unit), glue it."""
    if data.empty:
        raise ValueError(f"figure {name!r}: no data to draw")
    spec = typeset_spec(serialized(chart))
    check_chart(spec)
    described = figure_schema(name, data, spec)
    _write_csv(name, data)
    (figdata_dir() / f"{name}.json").write_text(
        json.dumps(described, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    glue(name, _Rendered(spec), display=False)


def publish(chapter) -> None:
    """Glue everything a chapter's one call returns (`story.page.Chapter`: `text`, glue name ->
    prose; `figures`, glue name -> (chart, data))."""
    glue_text(**chapter.text)
    for name, (chart, data) in chapter.figures.items():
        figure(name, chart, data)


def _write_csv(name: str, data: pd.DataFrame) -> str:
    text = data.to_csv(index=False, lineterminator="\n")
    out = figdata_dir()
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{name}.csv").write_text(text, encoding="utf-8")
    return text


def data_url(name: str, data: pd.DataFrame, depth: int = 1) -> str:
    """Write `data` to `_build/figdata/<name>.csv` and return the URL a page `depth` folders
    down loads it from, once the site publishes it under `_static/figdata/` (the Sphinx
    extension does, for the pages that load it): for a chart that loads its data only when
    its page is opened. The URL carries the file's content hash."""
    if data.empty:
        raise ValueError(f"data file {name!r}: no rows")
    return f"{'../' * depth}{PUBLISHED}{name}.csv?v={version(_write_csv(name, data))}"


def glue_html(name: str, html: str, elsewhere: str) -> None:
    """Glue a piece of HTML for the web pages (e.g. a form control), and the Markdown
    `elsewhere` for the outputs that cannot show it (the PDF)."""
    glue(name, _Html(html, elsewhere), display=False)


class _Html:
    def __init__(self, html: str, elsewhere: str):
        self.html, self.elsewhere = html, elsewhere

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict:
        return {"text/html": self.html, "text/markdown": self.elsewhere,
                "text/plain": self.elsewhere}


class _Rendered:
    """A chart already serialized (and validated) once: glued as the book's renderer draws it,
    without Altair serializing and validating it a second time."""

    def __init__(self, spec: dict):
        self.spec = spec

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict:
        return render(self.spec)
