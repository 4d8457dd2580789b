"""Each chart's layout on the page, decided from its Vega-Lite spec before it is compiled to
Vega (`deepshock.book.vega`): what does not depend on the reader's column.

- `clamp_fonts`: no text below MIN_FONT px;
- `narrow_spec`: the phone layout a chart declares (`story.charts.narrow_layout`): transposed,
  values set, layers dropped, a subtitle note;
- `pad_labels`: on a phone, the x scale of a view that prints its values is padded by its widest
  label, at most a fifth of the view's width (an expression of the view's width signal);
- `with_columns`: a wrapped facet with fewer columns;
- `fonts`, `y_title_limits`: what `_static/deepshock.js` wraps titles and y-axis titles with.

These are the steps `_static/deepshock.js` took on the Vega-Lite spec in the reader's browser
before charts were compiled at build time; what depends on the column's width stays there.
"""

from __future__ import annotations

import copy
from decimal import Decimal

MIN_FONT = 11         # no chart text below this many px (as in deepshock.js)
WIDTH_SIGNAL = "__deepshock_view_width__"   # stands for a view's width signal until compiled


def clamp_fonts(node: object) -> None:
    """Every font size in the spec (marks, axes, legends, headers, titles) at least MIN_FONT."""
    if isinstance(node, list):
        for item in node:
            clamp_fonts(item)
    elif isinstance(node, dict):
        for key, value in node.items():
            if key in ("data", "datasets"):
                continue
            if (key.lower().endswith("fontsize") and isinstance(value, (int, float))
                    and not isinstance(value, bool) and value < MIN_FONT):
                node[key] = MIN_FONT
            else:
                clamp_fonts(value)


def _at(spec: dict, path: str) -> tuple[object, str | int] | None:
    """(parent, key) of a "layer/2"-style path in `spec`, or None when the path is missing."""
    keys = path.split("/")
    node: object = spec
    for key in keys[:-1]:
        node = _child(node, key)
        if node is None:
            return None
    last: str | int = int(keys[-1]) if isinstance(node, list) else keys[-1]
    return (node, last) if isinstance(node, (dict, list)) else None


def _child(node: object, key: str) -> object:
    if isinstance(node, list):
        return node[int(key)] if key.isdigit() and int(key) < len(node) else None
    return node.get(key) if isinstance(node, dict) else None


def transpose(node: object) -> None:
    """Swap the x and y channels of every view (a wide grid becomes a tall one)."""
    if isinstance(node, list):
        for item in node:
            transpose(item)
        return
    if not isinstance(node, dict):
        return
    enc = node.get("encoding")
    if isinstance(enc, dict):
        for a, b in (("x", "y"), ("x2", "y2"), ("xOffset", "yOffset")):
            first, second = enc.pop(a, None), enc.pop(b, None)
            if second is not None:
                enc[a] = second
            if first is not None:
                enc[b] = first
        for channel in ("x", "y"):
            axis = enc.get(channel, {}).get("axis") if isinstance(enc.get(channel), dict) else None
            if isinstance(axis, dict):
                axis.pop("labelAngle", None)
    width, height = node.get("width"), node.get("height")
    if is_number(width) or is_number(height):
        node["width"], node["height"] = height, width
        for key in ("width", "height"):
            if node[key] is None:
                del node[key]
    if "layer" in node:
        transpose(node["layer"])


def narrow_spec(spec: dict) -> dict | None:
    """The chart's phone layout (`usermeta.narrow`: transpose, then set, then drop, then the
    note before the source lines), or None when it has none."""
    narrow = (spec.get("usermeta") or {}).get("narrow")
    if not narrow:
        return None
    spec = copy.deepcopy(spec)
    if narrow.get("transpose"):
        transpose(spec)
    for path, value in (narrow.get("set") or {}).items():
        at = _at(spec, path)
        if at is not None:
            parent, key = at
            if isinstance(parent, list):
                if isinstance(key, int) and key < len(parent):
                    parent[key] = copy.deepcopy(value)
            else:
                parent[key] = copy.deepcopy(value)
    for path in sorted(narrow.get("drop") or [], reverse=True):
        at = _at(spec, path)
        if at is None:
            continue
        parent, key = at
        if isinstance(parent, list):
            if isinstance(key, int) and key < len(parent):
                del parent[key]
        else:
            parent.pop(key, None)
    title = spec.get("title")
    if narrow.get("note") and isinstance(title, dict):
        sub = list(title.get("subtitle") or []) if isinstance(title.get("subtitle"), list) \
            else [title["subtitle"]] if title.get("subtitle") else []
        at = len(sub)
        while at > 0 and str(sub[at - 1]).startswith("Source: "):
            at -= 1
        sub.insert(at, narrow["note"])
        title["subtitle"] = sub
    return spec


def is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _is_text(node: object) -> bool:
    mark = node.get("mark") if isinstance(node, dict) else None
    return mark == "text" or (isinstance(mark, dict) and mark.get("type") == "text")


def _js_string(value: object) -> str:
    """`String(value)` as JavaScript writes it (numbers without a trailing .0)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e21:
            return str(int(value))
        text = repr(value)
        if "e" in text and 1e-7 <= abs(value) < 1e21:
            text = format(Decimal(text), "f")
        return text
    return str(value)


def widest_label(spec: dict, node: dict, inherited: object) -> float:
    """Widest text a text mark of `node` draws, in px at MIN_FONT (from its inline data)."""
    widest = 0.0

    def visit(n: object, data: object) -> None:
        nonlocal widest
        if not isinstance(n, dict):
            return
        data = n.get("data") or data
        field = ((n.get("encoding") or {}).get("text") or {}) if _is_text(n) else {}
        if isinstance(field, dict) and field.get("field"):
            rows = []
            if isinstance(data, dict):
                rows = data.get("values") or (spec.get("datasets") or {}).get(data.get("name"), [])
            for row in rows if isinstance(rows, list) else []:
                if isinstance(row, dict) and row.get(field["field"]) is not None:
                    width = len(_js_string(row[field["field"]])) * MIN_FONT * 0.6
                    widest = max(widest, width)
        for child in n.get("layer") or []:
            visit(child, data)

    visit(node, node.get("data") or inherited)
    return widest


def pad_labels(spec: dict) -> bool:
    """Pad the x scale of every view that prints its values (text marks on a quantitative x)
    by its widest label plus 8 px, at most a fifth of the view's width, so a bar's value label
    keeps clear of the axis: a Vega expression of the view's width signal, named once the
    spec is compiled (`_name_widths`). Returns whether any scale was padded."""
    padded = []

    def walk(node: object, data: object, inherited: float = 0.0) -> None:
        if isinstance(node, list):
            for item in node:
                walk(item, data)
            return
        if not isinstance(node, dict):
            return
        data = node.get("data") or data
        layers = node.get("layer") if isinstance(node.get("layer"), list) else []
        widest = (widest_label(spec, node, data)
                  if _is_text(node) or any(_is_text(layer) for layer in layers) else 0.0)
        enc = node.get("encoding")
        x = enc.get("x") if isinstance(enc, dict) else None
        own = widest or inherited
        if isinstance(x, dict) and x.get("type") == "quantitative" and own:
            limit = round(own + 8, 3)
            x["scale"] = {**(x.get("scale") or {}),
                          "padding": {"expr": f"round(min({limit}, 0.2 * {WIDTH_SIGNAL}))"}}
            padded.append(limit)
        for key, value in node.items():
            if key in ("data", "datasets", "encoding", "config"):
                continue
            if key == "layer" and widest:
                for layer in layers:
                    walk(layer, data, widest)
            else:
                walk(value, data)

    walk(spec, None)
    return bool(padded)


def with_columns(spec: dict, columns: int) -> dict:
    """`spec` (a wrapped facet or repeat) laid out in `columns` columns."""
    spec = copy.deepcopy(spec)
    spec["columns"] = columns
    return spec


def y_title_limits(spec: dict) -> dict[str, float]:
    """Per y-axis title (its lines joined by spaces): the width it wraps to on a phone, a tenth
    more than its view's height (200 px when the view that holds it sets none), 120 px at least.
    Read from the Vega-Lite spec, where the view holding the title is known."""
    limits: dict[str, float] = {}

    def walk(node: object) -> None:
        if isinstance(node, list):
            for item in node:
                walk(item)
            return
        if not isinstance(node, dict):
            return
        y = (node.get("encoding") or {}).get("y") if isinstance(node.get("encoding"), dict) \
            else None
        if isinstance(y, dict):
            title = y.get("title")
            if not isinstance(title, (str, list)) and isinstance(y.get("axis"), dict):
                title = y["axis"].get("title")
            if isinstance(title, (str, list)):
                height = node.get("height") if is_number(node.get("height")) else 200
                key = " ".join(str(line) for line in ([title] if isinstance(title, str) else title))
                limit = max(120.0, height * 1.1)
                limits[key] = min(limit, limits.get(key, limit))
        for key, value in node.items():
            if key not in ("data", "datasets", "encoding", "config"):
                walk(value)

    walk(spec)
    return limits


def fonts(spec: dict) -> dict:
    """The fonts deepshock.js wraps titles and axis titles with (from the spec's config)."""
    config = spec.get("config") or {}
    title = config.get("title") or {}
    return {"font": title.get("font") or config.get("font") or "sans-serif",
            "title": title.get("fontSize") or 13,
            "subtitle": title.get("subtitleFontSize") or MIN_FONT,
            "axisTitle": (config.get("axis") or {}).get("titleFontSize") or 12}


# Every function above (a compiled chart's name in the artefact store hashes their source).
STEPS = (clamp_fonts, _at, _child, transpose, narrow_spec, is_number, _is_text, _js_string,
         widest_label, pad_labels, with_columns, y_title_limits, fonts)
