"""The charts' build-time work done in a process beside the build, from the moment a chapter is
executed.

An executed chapter's charts may be new: each needs its Vega payload (`vega.compiled`), a chart
at the top of a page its two pictures (`preview.pictures`) and the first chart of a page its
card image (`cards`). Sphinx makes whatever the artefact store lacks as it writes each page, on
one core, once every chapter is executed. `Beside` runs this module in a process at a low
priority from the first chapter that finishes: the build hands it each executed notebook as it
comes (`deps.execute_outdated(done=...)`), and it makes that page's payloads and pictures in the
same store in the cores' idle moments while kernels run; the cards, which Sphinx needs only
when it writes the pages (after reading them all), it draws beside Sphinx on the core Sphinx
leaves idle. Sphinx then finds them made. Which chart gets a picture or a card
is decided by Sphinx from the page itself; this process guesses (the first chart of each
chapter, and those marked for a preview), and a wrong guess costs only time: whatever Sphinx
needs and finds missing it makes itself, and the store's locks (`paths.making`) keep the two
processes from making one file twice. `stop` ends the process when Sphinx is done.

    python -m deepshock.book.prework ROOT   (reads "CHAPTER<TAB>NOTEBOOK-FILE" lines on stdin)
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


def prepare(root: Path, charts_: list[tuple[dict, bool]]) -> None:
    """One page's chart payloads, and the pictures of those guessed to need them."""
    from . import preview
    from .vega import compiled

    for spec, pictured in charts_:
        payload, name = compiled(spec)
        if pictured:
            preview.pictures(payload, name, root / "_build" / "figdata")


def card(spec: dict) -> None:
    """The card image of a page whose first chart is `spec`."""
    from . import cards

    raw = json.dumps(spec, sort_keys=True, separators=(",", ":"))
    cards.draw_card(cards.stored_name(raw), raw)


class Beside:
    """The process beside the build (started with the first chapter handed to it, with the
    environment `env`): `feed` hands it an executed chapter, `close` says no more will come."""

    def __init__(self, root: Path, env: dict[str, str]) -> None:
        self.root, self.env, self.process, self.count = root, env, None, 0

    def feed(self, chapter: str, text: str) -> None:
        """Hand over `chapter` (relative to the root), executed, as notebook JSON `text`. An
        error here only leaves Sphinx more to make: the build goes on."""
        from .deps import deps_dir
        from ..data.paths import write_atomic

        try:
            if self.process is None:
                package = str(Path(__file__).resolve().parents[2])
                path = os.pathsep.join(filter(None, [package, self.env.get("PYTHONPATH")]))
                self.process = subprocess.Popen(
                    [sys.executable, "-m", __name__, str(self.root)], stdin=subprocess.PIPE,
                    text=True, env={**self.env, "PYTHONPATH": path}, stdout=subprocess.DEVNULL)
            self.count += 1
            held = write_atomic(deps_dir(self.root) / "prework" / f"{self.count}.ipynb",
                                text.encode("utf-8"))
            self.process.stdin.write(f"{chapter}\t{held}\n")
            self.process.stdin.flush()
        except (OSError, ValueError) as exc:   # ValueError: its stdin closed
            print(f"charts beside the build: {exc!r}; Sphinx makes what is missing",
                  file=sys.stderr)

    def close(self) -> None:
        """No more chapters: it finishes those it has (beside Sphinx), then exits."""
        if self.process is not None and self.process.stdin and not self.process.stdin.closed:
            try:
                self.process.stdin.close()
            except OSError:
                pass


def stop(beside: Beside | None) -> None:
    """End the process `beside` runs, if any (what it has not made yet, nobody needed): every
    file it writes appears whole or not at all (`paths.write_atomic`); the notebooks handed to
    it and not read yet are removed."""
    import shutil

    from .deps import deps_dir

    process = beside.process if beside is not None else None
    if process is None:
        return
    beside.close()
    if process.poll() is None:
        process.terminate()
    process.wait()
    shutil.rmtree(deps_dir(beside.root) / "prework", ignore_errors=True)


def idle_only() -> None:
    """Run this process only when a core would be idle (Linux's SCHED_IDLE; elsewhere the
    lowest nice level): the kernels, then Sphinx, are the build's critical path, and a low
    nice level alone still takes a tenth of a core from them."""
    try:
        os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
    except (AttributeError, OSError):
        os.nice(19)


def main(argv: list[str]) -> int:
    import signal

    import nbformat

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))   # `stop`: leave no temporary file
    idle_only()
    root, firsts = Path(argv[0]), {}
    for line in sys.stdin:   # while kernels run: each page's payloads and pictures
        chapter, held = line.rstrip("\n").split("\t")
        notebook = nbformat.reads(Path(held).read_text(encoding="utf-8"), as_version=4)
        Path(held).unlink(missing_ok=True)
        charts_ = in_order((root / chapter).read_text(encoding="utf-8"), charts(notebook))
        prepare(root, charts_)
        if charts_:
            firsts[chapter] = charts_[0][0]
    # every chapter executed: the cards, beside Sphinx, which needs a page's card only when it
    # writes the page (after reading them all), in the order it writes them (by name)
    for chapter in sorted(firsts, key=lambda c: c.rsplit(".", 1)[0]):
        card(firsts[chapter])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
