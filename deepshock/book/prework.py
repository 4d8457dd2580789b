"""The charts' build-time work done in a process beside Sphinx, while Sphinx reads the pages.

When chapters have just been executed, their charts may be new: each needs its Vega payload
(`vega.compiled`), a chart at the top of a page its two pictures (`preview.pictures`) and the
first chart of a page its card image (`cards`). Sphinx makes whatever the artefact store lacks
as it writes each page, on one core. `start` runs this module beside it, on the other core:
it reads the executed chapters' charts from the execution cache and makes the same files in
the same store first (the payloads, then the pictures, then the cards), so that Sphinx finds
them made. Which chart gets a picture or a card is decided by Sphinx from the page itself; this
process guesses (the first chart of each chapter, and those marked for a preview), and a wrong
guess costs only time: whatever Sphinx needs and finds missing it makes itself, and the store's
locks (`paths.making`) keep the two processes from making one file twice. `stop` ends the
process when Sphinx is done.

    python -m deepshock.book.prework ROOT CHAPTER...
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path


GLUED = "application/papermill.record/"    # myst-nb's prefix of a glued output's mime types
FIGURE = re.compile(r"\{glue:figure\}\s+(\S+)")
HIDDEN = re.compile(r"\A---\n.*?\n---\n|```\{code-cell\}.*?```|\{[\w:-]+\}|[#*`]", re.S)


def charts(notebook) -> dict[str, dict]:
    """The chart specs of an executed notebook's outputs by their glue name (a chart shown
    where its cell is, not glued, by its position: `#3`), in the order of its cells."""
    from ..story.charts import SPEC_MIME

    found = {}
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            data = output.get("data") or {}
            spec = data.get(SPEC_MIME, data.get(GLUED + SPEC_MIME))
            if isinstance(spec, str):
                spec = json.loads(spec)
            if isinstance(spec, dict):
                name = (output.get("metadata") or {}).get("scrapbook", {}).get("name")
                found[name or f"#{len(found)}"] = spec
    return found


def in_order(source: str, specs: dict[str, dict]) -> list[tuple[dict, bool]]:
    """The charts of a page in the order its source places them, each with a guess of whether
    it is in the page's first screen (`preview.in_first_screen`, estimated from the text of the
    source before it) or marked for a picture."""
    from .preview import FIRST_SCREEN_CHARS

    placed = {m.group(1): m.start() for m in FIGURE.finditer(source)}
    out = []
    for name, spec in sorted(specs.items(), key=lambda kv: placed.get(kv[0], len(source))):
        before = " ".join(HIDDEN.sub(" ", source[:placed.get(name, len(source))]).split())
        marked = bool((spec.get("usermeta") or {}).get("preview"))
        out.append((spec, marked or len(before) < FIRST_SCREEN_CHARS))
    return out


def cached_charts(root: Path, chapters: list[str]) -> dict[str, list[tuple[dict, bool]]]:
    """The charts of each of `chapters` (paths relative to `root`) that the execution cache
    holds, as `in_order` gives them, in the order Sphinx writes the pages (by name)."""
    from jupyter_cache import get_cache

    from .deps import ExecConfig, read_notebook

    config = ExecConfig.read(root)
    jcache = get_cache(str(config.cache))
    out = {}
    for chapter in sorted(chapters, key=lambda c: c.rsplit(".", 1)[0]):
        try:
            record = jcache.match_cache_notebook(read_notebook(root / chapter, config.extensions))
        except KeyError:
            continue
        specs = charts(jcache.get_cache_bundle(record.pk).nb)
        out[chapter] = in_order((root / chapter).read_text(encoding="utf-8"), specs)
    return out


def make(root: Path, pages: dict[str, list[tuple[dict, bool]]]) -> None:
    """Page by page, each chart's payload and the pictures of those guessed to need them; then
    each page's card (its first chart's)."""
    from . import cards, preview
    from .vega import compiled

    figdata = root / "_build" / "figdata"
    for charts_ in pages.values():
        for spec, pictured in charts_:
            payload, name = compiled(spec)
            if pictured:
                preview.pictures(payload, name, figdata)
    for charts_ in pages.values():
        if charts_:
            raw = json.dumps(charts_[0][0], sort_keys=True, separators=(",", ":"))
            cards.draw_card(cards.stored_name(raw), raw)


def start(root: Path, chapters: list[str], env: dict[str, str]) -> subprocess.Popen | None:
    """This module's work for the charts of `chapters`, in a process beside the caller, with
    the environment `env` (None when there is nothing to do)."""
    if not chapters:
        return None
    package = str(Path(__file__).resolve().parents[2])
    path = os.pathsep.join(filter(None, [package, env.get("PYTHONPATH")]))
    return subprocess.Popen([sys.executable, "-m", __name__, str(root), *chapters],
                            env={**env, "PYTHONPATH": path}, stdout=subprocess.DEVNULL)


def stop(process: subprocess.Popen | None) -> None:
    """End the process `start` began (what it has not made yet, nobody needed): every file it
    writes appears whole or not at all (`paths.write_atomic`)."""
    if process is not None and process.poll() is None:
        process.terminate()
    if process is not None:
        process.wait()


def main(argv: list[str]) -> int:
    import signal

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))   # `stop`: leave no temporary file
    root = Path(argv[0])
    make(root, cached_charts(root, argv[1:]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
