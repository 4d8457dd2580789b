"""Write the offline vega + vega-lite + vega-embed bundle that every page loads from `_static/`."""

from __future__ import annotations

import sys
from pathlib import Path

import altair as alt
import vl_convert as vlc

from ..story.charts import VL_VERSION
from ..data.paths import ROOT

BUNDLE = ROOT / "_static" / "vega-bundle.js"


def versions() -> dict[str, str]:
    """The library versions inside vl-convert's bundle, next to those Altair asks for."""
    return {"vega": vlc.get_vega_version(), "vega-lite": VL_VERSION,
            "vega-embed": vlc.get_vega_embed_version(),
            "altair-vega": alt.VEGA_VERSION, "altair-vega-lite": alt.VEGALITE_VERSION,
            "altair-vega-embed": alt.VEGAEMBED_VERSION}


def write_bundle(path: Path = BUNDLE) -> Path:
    """(Re)write the bundle when missing or built for other versions; return its path."""
    v = versions()
    header = (f"/* vega {v['vega']}, vega-lite {v['vega-lite']}, vega-embed {v['vega-embed']}:"
              " bundled offline by vl-convert for deepshock (scoped) */\n")
    if path.is_file() and path.read_text(encoding="utf-8").startswith(header):
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    # vl-convert's bundle declares top-level consts: wrap it so it cannot clash with page scripts.
    body = vlc.javascript_bundle(vl_version=VL_VERSION)
    tmp.write_text(f"{header}(function(){{\n{body}\n}})();\n", encoding="utf-8")
    tmp.replace(path)
    return path


if __name__ == "__main__":
    print(write_bundle())
    sys.exit(0)
