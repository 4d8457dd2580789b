"""The artefact store: results derived from the data that a clean build may reuse.

`keep(name, compute, *parts)` returns `compute()`, computed once per key and pickled under
`paths.artefacts_dir()` as `<name>-<key>.pkl`. The key hashes `parts`, the source of this whole
package, the library versions, the synced cache's data (each price, panel and intraday file's
sha256, from the manifest) and every facts file in `data/`: a change to any of them gives a new
key, so a stale result is never read (one no build has read for `STALE_DAYS` is pruned).
Hashing reads the manifest and the facts files, so a chapter that reads a result from the store
still records them as its inputs (`deepshock.book.deps`): a data change re-executes it. Each
chapter's one call is kept too (`deepshock.story.page.stored`): a clean build reads every
chapter's numbers and figures back.

Files of the store that depend on a few functions only (the exchange calendars, chart images)
put `code_digest(function, ...)` in their names: the source of those functions as it is on
disk now. tests/test_artefact_keys.py edits every function each stored result depends on and
checks that its key changes.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import sys
import time
from collections.abc import Callable
from contextlib import nullcontext
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import TypeVar

from .paths import PACKAGE, artefacts_dir, cache_dir, facts_dir, making, write_atomic
from .sync import read_manifest

VERSION = "1"
LIBRARIES = ("numpy", "pandas", "scipy", "statsmodels", "exchange-calendars")  # results depend on
STALE_DAYS = 14   # a result no build has read for this long is removed when its name is rewritten
T = TypeVar("T")


def key(name: str, *parts: object, root: Path | None = None) -> str:
    """Hash of `name`, `parts` and everything a derived result can depend on."""
    digest = hashlib.sha256(repr((VERSION, name, parts, sys.version, _libraries())).encode())
    for path in sorted(PACKAGE.rglob("*.py")):
        digest.update(path.relative_to(PACKAGE).as_posix().encode())
        digest.update(path.read_bytes())
    manifest = read_manifest(root or cache_dir())
    for ticker, entry in sorted(manifest["tickers"].items()):
        digest.update(f"{ticker}:{entry['sha256']}".encode())
    for part in ("panel", "intraday"):
        for file, entry in sorted((manifest.get(part) or {}).get("files", {}).items()):
            digest.update(f"{part}/{file}:{entry['sha256']}".encode())
    for path in sorted(p for p in facts_dir().iterdir() if p.is_file()):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:24]


@cache
def _libraries() -> tuple[tuple[str, str], ...]:
    """(library, version) of the libraries results depend on (looked up once per process)."""
    return tuple((lib, metadata.version(lib)) for lib in LIBRARIES)


def keep(name: str, compute: Callable[[], T], *parts: object, shared: bool = True) -> T:
    """`compute()`, read from the store when the same inputs made it before, else computed and
    stored (atomically: a crash never leaves a half-written file). A result only one process
    ever computes (`shared=False`: a chapter's one call) is computed without holding a lock,
    so that the shared results it needs are made under theirs (a process holding a lock takes
    no other: `paths.making`) and never twice by two kernels at once."""
    path = artefacts_dir() / f"{name}-{key(name, *parts)}.pkl"
    found = _read(path)
    if found is not _MISSING:
        return found
    # a kernel running in parallel may be computing a shared result: wait, then read
    with making(path) if shared else nullcontext():
        found = _read(path)
        if found is not _MISSING:
            return found
        value = compute()
        write_atomic(path, pickle.dumps(value))
    prune(name)
    return value


_MISSING = object()


def _read(path: Path) -> object:
    """The stored result at `path`, or `_MISSING`."""
    if path.is_file():
        try:
            value = pickle.loads(path.read_bytes())
            os.utime(path)     # in use: not pruned
            return value
        except Exception:  # a truncated or foreign pickle: compute again
            path.unlink(missing_ok=True)
    return _MISSING


def prune(name: str, days: float = STALE_DAYS) -> list[Path]:
    """Remove the results of `name` that no build has read for `days` (made by inputs or code
    that have since changed); return them."""
    cutoff = time.time() - days * 86400
    gone = [p for p in artefacts_dir().glob(f"{name}-*.pkl") if p.stat().st_mtime < cutoff]
    for p in gone:
        p.unlink(missing_ok=True)
    return gone
