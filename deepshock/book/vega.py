"""The web's charts without the Vega-Lite compiler: each chart's spec compiled to Vega at build
time, and the Vega runtime that draws them, served by the site (`_static/vega-bundle.js`: Vega's
own browser build, `runtime`).

A chapter's chart output holds its Vega-Lite spec (`story.charts.render`). When Sphinx writes a
page (`compile_page`, from `deepshock.book.page`), each spec is compiled here, offline, with
vl-convert into the payload that `_static/deepshock.js` draws with the Vega runtime alone:

- ``wide``: the chart as built (fonts of at least `layout.MIN_FONT` px), for a column of `NARROW` px
  or more; ``narrow``: its phone layout (`story.charts.narrow_layout`: transposed, values set,
  layers dropped, a subtitle note) with the x scales of views that print values padded for
  their widest label (a fifth of the view's width at most, as the view narrows). Each is a list:
  the chart, then, for a wrapped facet (``columns``), the same chart with one column fewer at a
  time, down to one, so the page can drop columns without compiling;
- ``data``: the inline rows, once for all variants (each variant names them by key);
- ``layout``: the fonts the page wraps titles with, and the width each y-axis title wraps to
  on a phone.

What depends on the reader's column (titles and axis titles wrapped to it, label limits, legend
columns, view widths shrunk until the chart fits) stays in `deepshock.js`, on the Vega spec.
Each payload is kept in the artefact store, named by the spec, the Vega-Lite and vl-convert
versions and the code that makes it (`payload_name`): a warm build compiles nothing.
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
import shutil
import subprocess
import sys
import tarfile
from collections.abc import Callable
from pathlib import Path

import vl_convert as vlc

from ..data import paths
from ..data.paths import ROOT, code_digest, kept
from ..story.charts import VL_VERSION
from . import layout
from .layout import WIDTH_SIGNAL
from .preview import in_first_screen

BUNDLE = ROOT / "_static" / "vega-bundle.js"
RUNTIME_STORE = ROOT / ".cache" / "vega-runtime"   # the npm package the runtime comes from
CHART = re.compile(r'(<div class="deepshock-chart"[^>]*>)(</div>\s*<script>\(function\(\)\{)'
                   r"var spec=(\{.*?\});function draw\(\)", re.S)
FORMAT = 1            # of the payload (read by deepshock.js)


# ---- the runtime bundle --------------------------------------------------------------------

def versions() -> dict[str, str]:
    """The Vega version of the runtime (vl-convert's own, which draws the PDF's charts and the
    cards), and the Vega-Lite version specs are compiled with."""
    return {"vega": vlc.get_vega_version(), "vega-lite": VL_VERSION,
            "vl-convert": vlc.__version__}


def runtime(version: str, store: Path = RUNTIME_STORE) -> bytes:
    """Vega's own minified browser build (`build/vega.min.js` of the npm package `vega` at
    `version`), from its package fetched once with npm into `store` (integrity checked by
    npm). vl-convert's bundles cannot serve: they hold the Vega-Lite compiler and vega-embed
    and do not expose Vega itself."""
    tarball = store / f"vega-{version}.tgz"
    if not tarball.is_file():
        npm = shutil.which("npm")
        if npm is None:
            raise RuntimeError(f"npm is needed once to fetch the Vega runtime (vega@{version}) "
                               f"into {store}: install Node.js and npm")
        store.mkdir(parents=True, exist_ok=True)
        done = subprocess.run([npm, "pack", f"vega@{version}", "--pack-destination", str(store)],
                              capture_output=True, text=True, timeout=600)
        if done.returncode != 0 or not tarball.is_file():
            raise RuntimeError(f"npm pack vega@{version} failed: {done.stderr[-800:]}")
    with tarfile.open(tarball) as tar:
        package = json.load(tar.extractfile("package/package.json"))
        if package.get("version") != version:
            raise RuntimeError(f"{tarball} holds vega {package.get('version')}, not {version}")
        return tar.extractfile("package/build/vega.min.js").read()


def write_bundle(path: Path = BUNDLE) -> Path:
    """(Re)write the Vega runtime (no Vega-Lite, no vega-embed) when missing or of another
    version; return its path."""
    version = versions()["vega"]
    header = (f"/* vega {version}: the runtime only (charts are compiled to Vega at build time), "
              "from the npm package's build/vega.min.js */\n")
    if path.is_file() and path.read_text(encoding="utf-8").startswith(header):
        return path
    body = runtime(version).decode("utf-8")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(header + body + "\n", encoding="utf-8")
    tmp.replace(path)
    return path


# ---- compiling ----------------------------------------------------------------------------

def _name_widths(vega: object) -> None:
    """Put each padded scale's own width signal (the end of its range) in its expression."""
    if isinstance(vega, list):
        for item in vega:
            _name_widths(item)
        return
    if not isinstance(vega, dict):
        return
    padding = vega.get("padding")
    if isinstance(padding, dict) and WIDTH_SIGNAL in str(padding.get("signal", "")):
        ends = vega.get("range")
        end = ends[-1] if isinstance(ends, list) and ends else None
        name = (end.get("signal") if isinstance(end, dict) else
                "width" if ends == "width" else None)
        padding["signal"] = padding["signal"].replace(WIDTH_SIGNAL, name or "300")
    for key, value in vega.items():
        if key != "data":
            _name_widths(value)


def _lift_data(vega: object, store: dict) -> None:
    """Move every inline dataset into `store` (key: a hash of its rows), leaving its key."""
    if isinstance(vega, list):
        for item in vega:
            _lift_data(item, store)
        return
    if not isinstance(vega, dict):
        return
    entries = vega.get("data") if isinstance(vega.get("data"), list) else []
    for entry in entries:
        if isinstance(entry, dict) and isinstance(entry.get("values"), list):
            text = json.dumps(entry["values"], sort_keys=True, separators=(",", ":"))
            key = hashlib.sha256(text.encode()).hexdigest()[:12]
            store[key] = entry.pop("values")
            entry["deepshockData"] = key
    for key, value in vega.items():
        if key != "data":
            _lift_data(value, store)


def to_vega(spec: dict) -> dict:
    """One Vega-Lite spec compiled to Vega by vl-convert, offline."""
    vega = vlc.vegalite_to_vega(spec, vl_version=VL_VERSION)
    for key in ("$schema", "usermeta"):
        vega.pop(key, None)
    _name_widths(vega)
    return vega


def variants(spec: dict) -> list[dict]:
    """`spec`, then (a wrapped facet or repeat) with one column fewer at a time."""
    columns = spec.get("columns")
    if ("facet" in spec or "repeat" in spec) and layout.is_number(columns) and columns > 1:
        return [spec] + [layout.with_columns(spec, c) for c in range(int(columns) - 1, 0, -1)]
    return [spec]


def payload(spec: dict) -> dict:
    """What the page draws a chart from: see the module docstring."""
    wide = copy.deepcopy(spec)
    layout.clamp_fonts(wide)
    narrow = layout.narrow_spec(wide)
    own = narrow is not None
    narrow = narrow if own else copy.deepcopy(wide)
    if not layout.pad_labels(narrow) and not own:
        narrow = None       # the phone draws the wide chart, narrowed by deepshock.js alone
    data: dict = {}
    out: dict = {"format": FORMAT, "narrow": None,
                 "preview": bool((spec.get("usermeta") or {}).get("preview")),
                 "layout": {**layout.fonts(wide), "yTitles": layout.y_title_limits(narrow or wide)}}
    for name, chart in (("wide", wide), ("narrow", narrow)):
        if chart is None:
            continue
        compiled = [to_vega(v) for v in variants(chart)]
        _lift_data(compiled, data)
        out[name] = compiled
    out["data"] = data
    return out


def payload_name(spec: dict) -> str:
    """The payload's file in the artefact store: named by the spec, the versions of Vega-Lite
    and vl-convert, and the code that compiles it."""
    text = json.dumps(spec, sort_keys=True, separators=(",", ":"))
    digest = hashlib.sha256(text.encode()).hexdigest()[:20]
    code = _compiler_digest()
    return f"vega/{digest}-vl{VL_VERSION}-{vlc.__version__}-{code}.json"


_DIGESTS: dict = {}


def _compiler_digest() -> str:
    """`code_digest(*COMPILER)`, worked out again only when a file holding them changes."""
    files = sorted({paths.PACKAGE.joinpath(*f.__module__.split(".")[1:]).with_suffix(".py")
                    for f in COMPILER})
    stamp = tuple((str(p), p.stat().st_mtime_ns, p.stat().st_size) for p in files)
    if stamp not in _DIGESTS:
        _DIGESTS[stamp] = code_digest(*COMPILER)
    return _DIGESTS[stamp]


def compiled(spec: dict) -> tuple[dict, str]:
    """The payload of `spec`, compiled once and then read from the artefact store, and the
    name of its file there."""
    name = payload_name(spec)
    path = kept(name, lambda: json.dumps(
        payload(spec), sort_keys=True, separators=(",", ":")).encode())
    return json.loads(path.read_text(encoding="utf-8")), name


def compile_page(body: str, show: Callable[[dict, str], str] | None = None) -> str:
    """A page's HTML with each chart's Vega-Lite spec replaced by its compiled payload; a
    chart marked for a preview, or in the page's first screen (`preview.in_first_screen`),
    gets the HTML `show(payload, name)` returns inside its box."""
    def one(found: re.Match) -> str:
        spec = json.loads(found.group(3).replace("<\\/", "</"))
        chart, name = compiled(spec)
        if not chart.get("preview") and in_first_screen(body, found.start()):
            chart = {**chart, "preview": True}
        inside = show(chart, name) if show is not None and chart.get("preview") else ""
        text = json.dumps(chart, sort_keys=True, separators=(",", ":")).replace("</", "<\\/")
        return f"{found.group(1)}{inside}{found.group(2)}var spec={text};function draw()"

    return CHART.sub(one, body)


# Every function a payload depends on (its name in the store changes when any of them does).
COMPILER = (*layout.STEPS, _name_widths, _lift_data, to_vega, variants, payload)


if __name__ == "__main__":
    print(write_bundle())
    sys.exit(0)
