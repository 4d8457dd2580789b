"""A chart's picture, drawn when the book is built, shown until the reader touches the chart.

For a chart in its page's first screen (`in_first_screen`: less than `FIRST_SCREEN_CHARS` of
text before it, about a phone's screen and a half) or marked with `story.charts.preview`, the
page shows an SVG of its compiled Vega spec (`deepshock.book.vega`) drawn offline by vl-convert,
one for a phone's column and one for a wide one (a `<picture>`: the browser fetches the one its
screen needs), and loads the Vega runtime only when the reader touches the chart or an input it
is bound to (`_static/deepshock.js`). Its first screen then costs no chart runtime and runs no
chart code: drawing a chart live takes a phone's CPU a second or more (the Vega runtime, and a
second draw when the first does not fit the column), which Lighthouse counts as blocking time.
Charts further down are drawn live when they near the view.

The picture is laid out as `deepshock.js` lays out the live chart for a column of `COLUMNS`
px (titles and, on a phone, axis titles wrapped to it), with text widths estimated from the
font's proportions rather than measured; the live chart, drawn on the first touch, measures
them. Data a chart loads by URL (`story.charts.PUBLISHED`) is inlined from the build's figure
data, in the version the URL names.
"""

from __future__ import annotations

import copy
import html
import json
import math
import re
from collections.abc import Callable
from pathlib import Path

import vl_convert as vlc

from ..data.paths import code_digest, kept
from ..story.charts import published, version

MIN_PLOT = 90                            # px: a plot is never narrowed below this (deepshock.js)
COLUMNS = {"narrow": 342, "wide": 768}   # a 390 px phone's column, and a 1400 px screen's
PHONE_MEDIA = "(max-width: 607.98px)"     # where the page's column is under 560 px (phone layout)
# Advance of a character in em of DejaVu Sans (the charts' first font), by kind: an estimate.
NARROW_CHARS, WIDE_CHARS = set("fijlrt.,:;'!|()[] "), set("mwMW%@")
# Text before a chart that still leaves it in, or within 200 px of, a phone's first screen: at
# 390-412 px a page's title, header and prose take about 0.9-1.0 px per character.
FIRST_SCREEN_CHARS = 1500
HIDDEN = re.compile(r"<(script|style|template)\b.*?</\1>|<[^>]+>", re.S | re.I)


def in_first_screen(body: str, position: int) -> bool:
    """Whether a chart starting at `position` of a page's HTML `body` is in (or near) a phone's
    first screen: fewer than `FIRST_SCREEN_CHARS` characters of text come before it."""
    text = html.unescape(HIDDEN.sub(" ", body[:position]))
    return len(" ".join(text.split())) < FIRST_SCREEN_CHARS


def text_width(text: str, size: float, bold: bool = False) -> float:
    """Estimated width of `text` in px at `size` px (DejaVu Sans proportions, a little wide)."""
    em = 0.0
    for char in text:
        em += (0.34 if char in NARROW_CHARS else 0.92 if char in WIDE_CHARS
               else 0.72 if char.isupper() or char.isdigit() else 0.6)
    return em * size * (1.08 if bold else 1.0)


def wrap(text: object, width: float, size: float, bold: bool = False) -> list[str]:
    """`text` (a line or lines) wrapped to `width` px, word by word, as deepshock.js does."""
    out: list[str] = []
    for line in [text] if isinstance(text, str) else list(text):
        current = ""
        for word in str(line).split():
            candidate = f"{current} {word}" if current else word
            if current and text_width(candidate, size, bold) > width:
                out.append(current)
                current = word
            else:
                current = candidate
        if current:
            out.append(current)
    return out


def laid_out(vega: dict, column: int, fonts: dict, phone: bool) -> dict:
    """`vega` with its titles (and on a phone its axis titles) wrapped for `column` px."""
    vega = copy.deepcopy(vega)
    title = vega.get("title")
    if isinstance(title, (str, list)):
        title = vega["title"] = {"text": title}
    if isinstance(title, dict):
        if isinstance(title.get("text"), (str, list)):
            title["text"] = wrap(title["text"], column - 16, fonts["title"], bold=True)
        if isinstance(title.get("subtitle"), (str, list)):
            title["subtitle"] = wrap(title["subtitle"], column - 16, fonts["subtitle"])
    if phone:
        for node in _nodes(vega):
            for axis in node.get("axes") or []:
                if not isinstance(axis.get("title"), (str, list)):
                    continue
                key = " ".join([axis["title"]] if isinstance(axis["title"], str)
                               else map(str, axis["title"]))
                x = axis.get("orient") in ("bottom", "top")
                limit = column * 0.85 if x else (fonts.get("yTitles") or {}).get(key, 220)
                axis["title"] = wrap(axis["title"], limit, fonts["axisTitle"])
    return vega


def _nodes(vega: object):
    """Every scope of a Vega spec (the spec and its group marks)."""
    if isinstance(vega, dict):
        yield vega
        for mark in vega.get("marks") or []:
            yield from _nodes(mark)


def with_data(vega: dict, rows: dict, figdata: Path) -> dict:
    """`vega` with its rows put back and the files it loads from the site inlined (checked
    against the version their URL names)."""
    vega = copy.deepcopy(vega)
    for node in _nodes(vega):
        for entry in node.get("data") or []:
            if "deepshockData" in entry:
                entry["values"] = rows[entry.pop("deepshockData")]
            found = published(str(entry.get("url", "")))
            if found:
                path = figdata / found[0]
                text = path.read_text(encoding="utf-8") if path.is_file() else None
                if text is None or version(text) != found[1]:
                    raise ValueError(f"{path}: {'missing' if text is None else 'another version'}"
                                     f" (a chart's preview loads {entry['url']})")
                del entry["url"]
                entry["values"] = text
    return vega


def capped(vega: dict, column: int) -> dict:
    """`vega` with the label limits and legend columns `deepshock.js` caps on a phone."""
    axis_limit, legend_limit = round(column * 0.35), round(column * 0.8)

    def cap(node: object, where: str | None) -> None:
        if isinstance(node, list):
            for item in node:
                cap(item, where)
        elif isinstance(node, dict):
            for key, value in node.items():
                if key == "data":
                    continue
                if key == "labelLimit" and isinstance(value, (int, float)):
                    node[key] = min(value, legend_limit if where == "legend" else axis_limit)
                elif key == "columns" and where == "legend" and isinstance(value, (int, float)):
                    node[key] = 1 if column < 420 else min(value, 2)
                else:
                    cap(value, "legend" if key.startswith("legend") else where)

    vega = copy.deepcopy(vega)
    cap(vega, None)
    config = vega.setdefault("config", {})
    config["axis"] = {"labelLimit": axis_limit, **config.get("axis", {})}
    config["axis"]["labelLimit"] = min(config["axis"]["labelLimit"], axis_limit)
    config["legend"] = dict(config.get("legend", {}))
    config["legend"]["labelLimit"] = min(config["legend"].get("labelLimit") or legend_limit,
                                         legend_limit)
    config["legend"]["columns"] = 1 if column < 420 else min(config["legend"].get("columns") or 2, 2)
    config["axisX"] = {"labelOverlap": True, "labelFlush": True, **config.get("axisX", {})}
    return vega


def _widths(vega: dict) -> dict[str, float]:
    """The chart's fixed widths: its own and every width signal of its parts."""
    out = {"width": vega["width"]} if isinstance(vega.get("width"), (int, float)) else {}
    for signal in vega.get("signals") or []:
        if (re.search(r"(^|_)width$", signal.get("name", "")) and "update" not in signal
                and isinstance(signal.get("value"), (int, float))):
            out[signal["name"]] = signal["value"]
    return out


def _set_widths(vega: dict, widths: dict[str, float]) -> None:
    for name, value in widths.items():
        if name == "width" and isinstance(vega.get("width"), (int, float)):
            vega["width"] = value
        for signal in vega.get("signals") or []:
            if signal.get("name") == name:
                signal["value"] = value


def fitted(family: list[dict], column: int, fonts: dict, phone: bool,
           draw: Callable[[dict], str]) -> str:
    """The SVG `draw` makes of the chart laid out for `column` px as `deepshock.js` lays out
    the live chart: its plots narrowed (a grid's columns dropped) until it fits, in at most six
    steps."""
    level, widths = 0, None

    def prepare() -> dict:
        nonlocal widths
        vega = laid_out(family[level], column, fonts, phone)
        vega = capped(vega, column) if phone else vega
        if widths:
            _set_widths(vega, widths)
        widths = _widths(vega)
        return vega

    vega = prepare()
    svg = draw(vega)
    last_width = last_cut = None
    for _ in range(6):
        width = float(re.search(r'<svg[^>]*\swidth="([\d.]+)"', svg).group(1))
        over = width - column
        if over <= 0.5:
            break
        gain = min(1.0, max(0.3, (last_width - width) / last_cut)) if last_cut else 1.0
        last_width, last_cut = width, math.ceil(over / gain) + 2
        columns = (vega.get("layout") or {}).get("columns")
        grid = isinstance(columns, (int, float)) and columns > 1
        if grid and level + 1 < len(family) and max(widths.values(), default=0) - \
                last_cut / columns < MIN_PLOT * 1.2:
            level += 1
            vega = prepare()
        else:
            cut = last_cut / columns if grid else last_cut
            narrowed = {k: max(MIN_PLOT, math.floor(v - cut)) for k, v in widths.items()}
            if narrowed == widths:
                break
            widths = narrowed
            _set_widths(vega, widths)
        svg = draw(vega)
    return svg


# Attributes an SVG shown as an image never exposes (an <img>'s SVG is not in the accessibility
# tree; the live chart's box carries the description): about two thirds of a picture's bytes.
UNSEEN = re.compile(r' (?:aria-label|aria-roledescription|role)="[^"]*"')


def pictures(payload: dict, name: str, figdata: Path) -> dict[str, Path]:
    """The chart's two pictures ({"narrow", "wide"}: SVG files in the artefact store, named by
    the payload's file `name` and the code that draws them), without `UNSEEN` attributes."""
    code = code_digest(text_width, wrap, laid_out, with_data, capped, _widths, _set_widths,
                       fitted, pictures)
    out = {}
    for layout in ("narrow", "wide"):
        family = payload[layout] if layout == "wide" or payload.get("narrow") else payload["wide"]
        out[layout] = kept(f"{name.removesuffix('.json')}-{layout}-{code}.svg", lambda f=family, l=layout: (
            UNSEEN.sub("", fitted(f, COLUMNS[l], payload["layout"], l == "narrow",
                                  lambda vega: vlc.vega_to_svg(
                                      with_data(vega, payload["data"], figdata))))
        ).encode("utf-8"))
    return out


def size(svg: Path) -> tuple[int, int]:
    """(width, height) of an SVG file's root element."""
    head = svg.read_text(encoding="utf-8")[:2000]
    found = re.search(r'<svg[^>]*\swidth="([\d.]+)"[^>]*\sheight="([\d.]+)"', head)
    return (round(float(found.group(1))), round(float(found.group(2)))) if found else (0, 0)


def picture(urls: dict[str, str], sizes: dict[str, tuple[int, int]]) -> str:
    """The `<picture>` a chart shows until it is live (its figure has the description)."""
    (nw, nh), (ww, wh) = sizes["narrow"], sizes["wide"]
    return (f'<picture class="deepshock-preview"><source media="{PHONE_MEDIA}" '
            f'srcset="{html.escape(urls["narrow"])}" width="{nw}" height="{nh}">'
            f'<img src="{html.escape(urls["wide"])}" alt="" width="{ww}" height="{wh}" '
            'decoding="async"></picture>')

