"""Strict book builds that never serve stale outputs and re-execute only what a change affects.

jupyter-cache keys a notebook only on its code cells, so a change to the price data, the facts
in `data/` or this package would otherwise leave old numbers in the pages. Before each build:

- package code, pins or Python changed (`code_fingerprint`): the execution cache, Sphinx's
  environment and the figure data are dropped, so every chapter executes again;
- otherwise only the chapters whose recorded inputs (price files, facts) changed lose their cache
  record and are read again by Sphinx (`deepshock.deps`).

Every facts file is checked against `data/datapackage.json` first (`deepshock.data.schema`): a
bad fact stops the build before anything is written, and the stamps the check leaves let the
chapters read typed facts without checking them again. The chapters without a cache record are
then executed in parallel, one kernel per core, before Sphinx runs and finds them cached; from
the first chapter executed, a low-priority process beside the kernels, then beside Sphinx,
makes the executed chapters' chart payloads, pictures and cards (`deepshock.book.prework`).
`_build/deps/last-build.json` says what was re-executed and why.

Command line: ``python -m deepshock.book.build [html|pdflatex|latex|linkcheck] [--root DIR] [--jobs N]``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from . import deps
from ..data.paths import ROOT, cache_dir

STRICT = ["-W", "-n", "--keep-going"]
PACKAGE = Path(__file__).resolve().parents[1]  # the whole `deepshock` package


def code_fingerprint(root: Path = ROOT) -> str:
    """Hash of what every chapter runs besides its own code: this package, the pins, Python."""
    digest = hashlib.sha256(sys.version.encode())
    files = [(p.relative_to(PACKAGE.parent), p) for p in sorted(PACKAGE.rglob("*.py"))]
    files.append((Path("requirements.txt"), root / "requirements.txt"))
    for name, path in files:
        digest.update(str(name).encode())
        digest.update(path.read_bytes() if path.is_file() else b"")
    return digest.hexdigest()


def fingerprint(root: Path = ROOT, cache: Path | None = None) -> str:
    """Hash of everything chapters read besides their own code: prices, facts, package, pins."""
    both = code_fingerprint(root) + deps.state(root, cache or cache_dir())
    return hashlib.sha256(both.encode()).hexdigest()


def invalidate_if_changed(root: Path = ROOT, cache: Path | None = None) -> bool:
    """Drop what the changed inputs make stale; return True if anything was dropped."""
    return bool(_invalidate(root, cache or cache_dir())["invalidated"])


def _invalidate(root: Path, cache: Path) -> dict:
    build = root / "_build"
    stamp = build / ".inputs-fingerprint"
    try:
        old = json.loads(stamp.read_text())
    except (OSError, ValueError):
        old = {}
    now = {"code": code_fingerprint(root), "data": deps.state(root, cache)}
    if old.get("code") != now["code"]:
        config = deps.ExecConfig.read(root)
        for stale in (config.cache, build / ".doctrees", build / "figdata", deps.deps_dir(root)):
            shutil.rmtree(stale, ignore_errors=True)
        why = "package code, pins or Python changed" if old else "no earlier build"
        report = {"dropped_all": True, "invalidated": {"*": [why]}}
    else:
        stale = deps.invalidate(root, cache, data_changed=old.get("data") != now["data"])
        report = {"dropped_all": False, "invalidated": stale}
    build.mkdir(exist_ok=True)
    stamp.write_text(json.dumps(now))
    return report


def _after_other_builder(root: Path, builder: str) -> None:
    """The builders share one Sphinx environment, and Sphinx writes an HTML page again only when
    its source is newer than the page: pages another builder (the PDF's) read since the last HTML
    build would keep their old output. After another builder, every page is marked old."""
    last, html = deps.deps_dir(root) / "last-builder", root / "_build" / "html"
    if builder == "html" and (not last.is_file() or last.read_text() != builder):
        for page in html.rglob("*.html") if html.is_dir() else ():
            if not page.relative_to(html).parts[0].startswith("_"):
                os.utime(page, (0, 0))
    last.write_text(builder)


def _calendar_beside(code: str = "XKRX") -> int | None:
    """When the artefact store lacks the exchange calendar `code` (a fresh clone's first
    build), a forked child makes it (Korea's takes longest, its lunar holidays) while this
    process checks the facts, which needs every market's calendar, on the other core; the
    store's lock makes the check wait for it if it gets there first. Returns the child's pid
    (None: the store has it, or this process runs other threads, which a fork would not copy:
    a build called from a test runner)."""
    import threading

    from ..data import validate
    from ..data.paths import artefacts_dir

    name = validate.calendar_file(code, validate.CALENDAR_START, validate.CALENDAR_END)
    if (not hasattr(os, "fork") or threading.active_count() > 1
            or (artefacts_dir() / "calendars" / name).is_file()):
        return None
    pid = os.fork()
    if pid == 0:   # the child: make it, then leave at once (no cleanup of the parent's state)
        code_ = 1
        try:
            validate.exchange_calendar(code)
            code_ = 0
        finally:
            os._exit(code_)
    return pid


def build(builder: str = "html", root: Path = ROOT, extra: list[str] | None = None,
          jobs: int | None = None) -> int:
    """Run a strict jupyter-book build of `root`; return its exit code."""
    from ..data.schema import check_all
    from ..data.validate import DataError
    from . import prework
    from .vega import write_bundle

    started = time.perf_counter()
    child = _calendar_beside()
    try:  # the facts first: a bad fact stops the build before anything is written
        print(check_all(root / "data"))
    except DataError as exc:
        print(f"build stopped, nothing written: {exc}", file=sys.stderr)
        return 1
    finally:
        if child:
            os.waitpid(child, 0)
    write_bundle(root / "_static" / "vega-bundle.js")
    cache = cache_dir()
    report = _invalidate(root, cache)
    if report["dropped_all"]:
        print(f"{report['invalidated']['*'][0]}: executing every chapter")
    for chapter, changed in report["invalidated"].items():
        if chapter != "*":
            print(f"{chapter}: inputs changed ({', '.join(changed[:5])}): re-executing")
    env = {**os.environ, "DEEPSHOCK_ROOT": str(root), "DEEPSHOCK_CACHE": str(cache)}
    beside = prework.Beside(root, env) if builder == "html" else None
    try:
        report["executed"] = deps.execute_outdated(root, cache, jobs,
                                                   done=beside.feed if beside else None)
        if beside is not None:
            beside.close()     # it finishes the chapters it has beside Sphinx
        if not report["executed"]:
            print("no chapter to execute before Sphinx: every cached output is current")
        report["execute_seconds"] = round(time.perf_counter() - started, 2)
        out = deps.deps_dir(root)
        out.mkdir(parents=True, exist_ok=True)
        (out / "last-build.json").write_text(json.dumps({"builder": builder, **report}, indent=1))
        _after_other_builder(root, builder)
        jb = Path(sys.executable).with_name("jupyter-book")
        cmd = [str(jb), "build", str(root), "--builder", builder, *STRICT, *(extra or [])]
        return subprocess.call(cmd, cwd=root, env=env)
    finally:
        prework.stop(beside)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("builder", nargs="?", default="html")
    parser.add_argument("--root", type=Path, default=ROOT)
    parser.add_argument("--jobs", type=int, default=None,
                        help="kernels run at once (default: $DEEPSHOCK_JOBS or the CPU count)")
    args = parser.parse_args(argv)
    return build(args.builder, args.root.resolve(), jobs=args.jobs)


if __name__ == "__main__":
    sys.exit(main())
