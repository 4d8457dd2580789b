"""Each page's Open Graph card image: a PNG of its first chart (part of `deepshock.book.page`).

A card the artefact store holds is copied into the site at once. When chapters have just been
executed, the process beside the build (`deepshock.book.prework`) is drawing their cards while
Sphinx writes the pages: a card not in the store yet is looked for again when the build ends
(`cards_drawn`), and only one still missing then is drawn, by vl-convert in a process beside
the build, into the store, and copied in.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from pathlib import Path

from sphinx.application import Sphinx

from ..data.paths import kept

SPEC = re.compile(r"var spec=(\{.*?\});function draw", re.S)


def chart_image(app: Sphinx, body: str) -> str | None:
    """The path (relative to the output directory) of a PNG of the first chart in `body`, under
    `_static/og/`, named by the spec's hash. The PNG is kept in the artefact store too, so a
    clean build copies it; one not in the store yet is copied in, or drawn, when the build
    ends (`cards_drawn`)."""
    found = SPEC.search(body)
    if not found:
        return None
    raw = found.group(1).replace("<\\/", "</")
    digest = hashlib.sha1(raw.encode()).hexdigest()[:16]
    name = f"_static/og/{digest}.png"
    target = Path(app.outdir) / name
    if not target.is_file():
        from ..data.paths import artefacts_dir

        stored = stored_name(raw)
        if (artefacts_dir() / stored).is_file():
            _copy(artefacts_dir() / stored, target)
        else:
            _DRAWING.setdefault(id(app), []).append((stored, raw, target))
    return name


def stored_name(raw: str) -> str:
    """The artefact store's file for the card of the chart spec `raw` (its JSON text as the
    page holds it): named by the spec, the versions that draw it and the code that does."""
    import vl_convert as vlc

    from ..data.paths import code_digest
    from ..story.charts import VL_VERSION

    digest = hashlib.sha1(raw.encode()).hexdigest()[:16]
    code = code_digest(chart_image, stored_name, draw_card)
    return f"og/{digest}-vl{VL_VERSION}-{vlc.__version__}-{code}.png"


_DRAWING: dict[int, list] = {}   # id(app) -> [(a card's file in the store, its spec, where it goes)]
_POOL: list = []


def _pool():
    """One process beside the build for the cards' PNGs (spawned: the build may hold locks),
    at a lower priority than Sphinx, which is on the build's critical path."""
    if not _POOL:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        _POOL.append(ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"),
                                         initializer=os.nice, initargs=(10,)))
    return _POOL[0]


def draw_card(stored: str, raw: str) -> str:
    """Draw the card image of a chart spec (JSON text) at twice its size into the artefact store
    file `stored`; return its path (runs in the pool's process)."""
    import vl_convert as vlc

    from ..story.charts import VL_VERSION, inline_data  # data a chart loads from the site, inline

    return str(kept(stored, lambda: vlc.vegalite_to_png(inline_data(json.loads(raw)),
                                                        vl_version=VL_VERSION, scale=2)))


def _copy(source: Path, target: Path) -> None:
    import shutil

    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)


def cards_drawn(app: Sphinx, exception: Exception | None) -> None:
    """Copy into the site the cards that were not in the store when their page was written:
    those the process beside the build has drawn since, and the others drawn now, beside the
    build's last steps (an error in drawing one fails the build)."""
    from ..data.paths import artefacts_dir

    waiting = []
    try:
        for stored, raw, target in _DRAWING.pop(id(app), []):
            if (artefacts_dir() / stored).is_file():
                if exception is None:
                    _copy(artefacts_dir() / stored, target)
            elif exception is None:
                waiting.append((_pool().submit(draw_card, stored, raw), target))
        for future, target in waiting:
            _copy(Path(future.result()), target)
    finally:
        if _POOL and not _DRAWING:
            _POOL.pop().shutdown()
