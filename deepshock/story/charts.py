"""One Altair theme and one renderer for every chart in the book.

The renderer emits HTML that draws with the vega bundle served from the site itself (no CDN)
plus the Vega-Lite spec under `SPEC_MIME`. Only the LaTeX builder turns that spec into a vector
PDF (vl-convert, offline): the myst-nb mime renderer `LatexChart` leaves a placeholder that
`deepshock.book.latex.ChartPdf` converts at write time, so HTML builds never pay for PDF
conversion and both outputs come from the same executed notebook.
`check_chart` enforces the book's chart standard before a chart is published.
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
from pathlib import Path

import altair as alt
from docutils import nodes
import vl_convert as vlc

# Okabe-Ito: distinguishable for colour-blind readers; pair it with shapes or dashes for greyscale.
PALETTE = ["#0072B2", "#D55E00", "#009E73", "#E69F00", "#CC79A7", "#56B4E9", "#000000", "#F0E442"]
NEGATIVE, POSITIVE, NEUTRAL, MUTED = "#D55E00", "#0072B2", "#555555", "#BBBBBB"
# The book's colours: orange NEGATIVE = fell, blue POSITIVE = rose, greys (NEUTRAL, MUTED and any
# other shade with equal red, green and blue) for context, and ACCENT, the one highlight colour,
# for what is neither a fall nor a rise. Nothing else (tests/test_chart_rules.py).
ACCENT = PALETTE[4]
# Graded fills run on one ramp: orange (fell) through white to blue (rose): `ramp`, `tint`.
RAMP = (NEGATIVE, "#FFFFFF", POSITIVE)
DASHES = [[1, 0], [6, 3], [2, 2], [8, 3, 2, 3], [1, 4], [10, 2]]
SHAPES = ["circle", "square", "triangle-up", "diamond", "cross", "triangle-down", "wedge"]
FONT = "DejaVu Sans, Helvetica, Arial, sans-serif"
WIDTH, HEIGHT = 600, 320
VL_VERSION = ".".join(alt.SCHEMA_VERSION.lstrip("v").split(".")[:2])


@alt.theme.register("deepshock", enable=True)
def theme() -> alt.theme.ThemeConfig:
    return {
        "config": {
            "view": {"continuousWidth": WIDTH, "continuousHeight": HEIGHT, "stroke": None},
            "font": FONT,
            "background": "white",
            "title": {"anchor": "start", "fontSize": 15, "fontWeight": "bold",
                      "subtitleFontSize": 11, "subtitleColor": "#444444", "offset": 10},
            "axis": {"labelFontSize": 11, "titleFontSize": 12, "titleFontWeight": "normal",
                     "gridColor": "#e6e6e6", "domainColor": "#888888", "tickColor": "#888888"},
            "legend": {"labelFontSize": 11, "titleFontSize": 11, "orient": "bottom"},
            "header": {"labelFontSize": 12, "titleFontSize": 12},
            "text": {"fontSize": 11},
            "range": {"category": PALETTE},
            "line": {"strokeWidth": 2},
            "aria": True,
        }
    }


def _html(spec: dict) -> str:
    """A chart placeholder and a small script handing its spec to `deepshockChart`
    (`_static/deepshock.js`), which draws it with the site's own vega bundle (vegaEmbed), laid
    out for the reader's column, when it comes into view."""
    payload = json.dumps(spec, sort_keys=True, separators=(",", ":"))
    ident = "vis-" + hashlib.sha1(payload.encode()).hexdigest()[:12]
    label = json.dumps(spec.get("description", ""))[1:-1].replace('"', "&quot;")
    safe = payload.replace("</", "<\\/")
    return (
        f'<div class="deepshock-chart" id="{ident}" role="figure" aria-label="{label}"></div>\n'
        "<script>(function(){var spec=" + safe + ";"
        "function draw(){var el=document.getElementById('" + ident + "');"
        "if(typeof deepshockChart!=='function'){el.textContent='Chart could not be drawn: "
        "deepshock.js (the vegaEmbed loader) missing';el.className+=' chart-error';return;}"
        "deepshockChart(el,spec);}"
        "if(document.readyState==='loading'){document.addEventListener('DOMContentLoaded',draw);}"
        "else{draw();}})();</script>"
    )


SPEC_MIME = "application/vnd.deepshock.vegalite+json"
SPEC_ATTR = "deepshock_spec"   # the placeholder's attribute holding the spec (JSON text)


def render(spec: dict, **_: object) -> dict:
    """Mime bundle for a chart: HTML for the site, the spec for the PDF, a text fallback."""
    title = spec.get("title", {})
    text = title.get("text", "") if isinstance(title, dict) else str(title)
    return {"text/html": _html(spec), SPEC_MIME: spec, "text/plain": f"<chart: {text}>"}


class LatexChart:
    """myst-nb mime renderer (entry point in pyproject.toml): a chart spec becomes a vector PDF
    figure when, and only when, the LaTeX builder renders it."""

    mime_priority_overrides = [("latex", SPEC_MIME, 5)]

    @staticmethod
    def handle_mime(renderer, data, inline: bool):
        """At read time, a placeholder holding the spec: myst-nb renders every mime type of
        an output into the builder-agnostic doctree, so converting here would make every HTML
        build pay for the PDFs. `deepshock.book.latex.ChartPdf` converts it when, and only
        when, the LaTeX builder writes the page."""
        if data.mime_type != SPEC_MIME:
            return None
        content = data.content if isinstance(data.content, str) else json.dumps(data.content)
        node = nodes.container(classes=["deepshock-latex-chart"])
        node[SPEC_ATTR] = content
        return [node]


def spec_pdf(content: str, folder: Path | None = None) -> bytes:
    """The vector PDF of a chart spec (JSON text), as the PDF edition prints it (data the spec
    loads from the site, read from `folder`: `inline_data`)."""
    return vlc.vegalite_to_pdf(inline_data(json.loads(content), folder), vl_version=VL_VERSION)


# ---- figure data a chart loads by URL (the explorer) --------------------------------------

PUBLISHED = "_static/figdata/"   # where the site publishes a chart's data file, beside the page
_URL = re.compile(r"^(?:\.\./)*" + re.escape(PUBLISHED) + r"([\w.-]+)\?v=([0-9a-f]{12})$")


def version(text: str) -> str:
    """The content hash a data file's URL carries (`?v=`): a new file is a new URL, so no
    browser, card image or PDF chart ever shows an older one."""
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def published(url: str) -> tuple[str, str] | None:
    """(file name, version) of a URL under PUBLISHED, else None."""
    found = _URL.match(url)
    return (found.group(1), found.group(2)) if found else None


def inline_data(spec: dict, folder: Path | None = None) -> dict:
    """`spec` with every data file it loads from PUBLISHED inlined from `folder` (the build's
    figure data, `_build/figdata`), so vl-convert draws it offline; raises when the file is
    missing or is not the version its URL names."""
    nodes = [n for n in _walk(spec) if isinstance(n.get("data"), dict)
             and published(str(n["data"].get("url", "")))]
    if not nodes:
        return spec
    if folder is None:
        from ..data.paths import figdata_dir
        folder = figdata_dir()
    spec = copy.deepcopy(spec)
    for node in _walk(spec):
        data = node.get("data")
        found = published(str(data.get("url", ""))) if isinstance(data, dict) else None
        if not found:
            continue
        path = Path(folder) / found[0]
        text = path.read_text(encoding="utf-8") if path.is_file() else None
        if text is None or version(text) != found[1]:
            raise ValueError(f"{path}: {'missing' if text is None else 'another version'} "
                             f"(the chart loads {data['url']})")
        node["data"] = {"values": text, **({"format": data["format"]} if "format" in data
                                            else {})}
    return spec


alt.renderers.register("deepshock", render)
alt.renderers.enable("deepshock")


_HYPHEN_MINUS = re.compile(r"(?:^|(?<=[\s(\[{,:;=/]))-(?=\d)")


def minus(text: str) -> str:
    """House style: a minus sign (U+2212) where a hyphen stands for one ('-9.1%' -> '−9.1%',
    'fell (-2.5%)'), leaving ISO dates and ranges ('12-15') alone."""
    return _HYPHEN_MINUS.sub("\u2212", text)


def finish(chart: alt.TopLevelMixin, *, title: str | list[str], source: str, description: str,
           subtitle: str | list[str] = ()) -> alt.TopLevelMixin:
    """Attach the finding-first title, a source line and the accessible description (every
    minus sign in them written as U+2212)."""
    lines = [subtitle] if isinstance(subtitle, str) else list(subtitle)
    text = minus(title) if isinstance(title, str) else [minus(t) for t in title]
    return chart.properties(
        title=alt.TitleParams(text=text, subtitle=[minus(line) for line in lines]
                              + [f"Source: {source}"]),
        description=minus(description),
    )


def narrow_layout(chart: alt.TopLevelMixin, *, drop: tuple[str, ...] = (),
                  set: dict | None = None, transpose: bool = False,  # noqa: A002
                  note: str | None = None) -> alt.TopLevelMixin:
    """The chart's layout on a narrow column (a phone), applied by `_static/deepshock.js` in
    this order: `transpose` x and y (a wide grid becomes a tall one), `set` spec path -> value,
    `drop` spec paths (e.g. "layer/1": a label layer that would collide), and a subtitle `note`
    (e.g. where the dropped values are). The PDF and wide screens draw the chart as built."""
    narrow = {"drop": list(drop), "set": dict(set or {}), "transpose": transpose}
    if note:
        narrow["note"] = minus(note)
    return chart.properties(usermeta={**_usermeta(chart), "narrow": narrow})


def preview(chart: alt.TopLevelMixin) -> alt.TopLevelMixin:
    """A chart at the top of its page, shown at once as a picture drawn when the book is built
    (`deepshock.book.preview`) and made live (Vega runtime, tooltips, bound inputs) when the
    reader touches it or an input it is bound to: the page's first screen then loads no
    chart runtime and runs no chart code. The PDF draws the chart as built."""
    return chart.properties(usermeta={**_usermeta(chart), "preview": True})


def _usermeta(chart: alt.TopLevelMixin) -> dict:
    meta = getattr(chart, "usermeta", alt.Undefined)
    return dict(meta) if isinstance(meta, dict) else {}


def _walk(node: object):
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)


def check_chart(spec: dict) -> None:
    """Raise ValueError unless the spec meets the book's standard (title, source, description,
    axis titles, a tooltip, and no empty dataset)."""
    title = spec.get("title")
    if not isinstance(title, dict) or not title.get("text"):
        raise ValueError("chart has no title")
    subtitle = title.get("subtitle") or []
    if not any(str(line).startswith("Source: ") for line in subtitle):
        raise ValueError(f"chart {title['text']!r} has no source line")
    if not spec.get("description"):
        raise ValueError(f"chart {title['text']!r} has no accessible description")
    for name, rows in spec.get("datasets", {}).items():
        if not rows:
            raise ValueError(f"chart {title['text']!r}: dataset {name} is empty")
    has_tooltip, fields, titled = False, set(), set()
    for node in _walk(spec):
        encoding = node.get("encoding")
        if isinstance(encoding, dict):
            has_tooltip |= "tooltip" in encoding
            for channel in ("x", "y"):
                enc = encoding.get(channel)
                if isinstance(enc, dict) and "field" in enc:
                    fields.add(channel)
                    if "title" in enc or enc.get("axis", {}) is None or \
                            (enc.get("axis") or {}).get("title"):
                        titled.add(channel)
    if fields - titled:
        raise ValueError(f"chart {title['text']!r}: axis {sorted(fields - titled)} has no title")
    if not has_tooltip:
        raise ValueError(f"chart {title['text']!r} has no tooltip")


# ---- the book's colours ---------------------------------------------------------------------

def _rgb(colour: str) -> tuple[int, int, int]:
    text = colour.strip().lstrip("#")
    if len(text) in (3, 4):
        text = "".join(c * 2 for c in text[:3])
    if len(text) not in (6, 8) or any(c not in "0123456789abcdefABCDEF" for c in text):
        raise ValueError(f"not a hex colour: {colour!r}")
    return int(text[0:2], 16), int(text[2:4], 16), int(text[4:6], 16)


def tint(colour: str, share: float) -> str:
    """`colour` mixed with white: share 1 is the colour itself, 0 is white. A lighter orange or
    blue (a graded cell, a faint band) stays on the book's ramp."""
    if not 0 <= share <= 1:
        raise ValueError(f"tint share {share} outside [0, 1]")
    mixed = (round(255 - (255 - c) * share) for c in _rgb(colour))
    return "#" + "".join(f"{c:02X}" for c in mixed)


def ramp(low: float, high: float, mid: float = 0.0) -> alt.Scale:
    """A graded colour scale on the book's ramp: orange at `low` (falls), white at `mid`, blue
    at `high` (rises); values beyond the ends are clamped."""
    if not low < mid < high:
        raise ValueError(f"ramp needs low < mid < high, got {low}, {mid}, {high}")
    return alt.Scale(domain=[low, mid, high], range=list(RAMP), clamp=True)


def colour_role(colour: str, tolerance: int = 3) -> str | None:
    """What a colour means in the book: 'fell' (NEGATIVE or a tint of it), 'rose' (POSITIVE or
    a tint), 'accent' (ACCENT), 'grey' (equal red, green and blue, white and black included),
    or None: a colour the book does not use."""
    rgb = _rgb(colour)
    if max(rgb) - min(rgb) <= tolerance:
        return "grey"
    if rgb == _rgb(ACCENT):
        return "accent"
    for role, base in (("fell", NEGATIVE), ("rose", POSITIVE)):
        pure = _rgb(base)
        # the share of the colour in a mix with white, fitted on the channel furthest from white
        k = max(range(3), key=lambda i: 255 - pure[i])
        share = (255 - rgb[k]) / (255 - pure[k])
        if 0 < share <= 1 and all(abs(255 - (255 - p) * share - c) <= tolerance
                                  for p, c in zip(pure, rgb)):
            return role
    return None

