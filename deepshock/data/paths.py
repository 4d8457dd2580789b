"""Where the project keeps its facts, its price cache and its build output."""

from __future__ import annotations

import ast
import hashlib
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

try:
    import fcntl
except ImportError:  # no advisory locks (not POSIX): kernels may make the same file twice
    fcntl = None

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = Path(__file__).resolve().parents[1]   # the `deepshock` package


def book_root() -> Path:
    """The book being built (`DEEPSHOCK_ROOT`, set by the build driver), else this checkout."""
    return Path(os.environ.get("DEEPSHOCK_ROOT", ROOT))


def facts_dir() -> Path:
    """The hand-collected, source-cited facts (`data/`) of the book being built."""
    return book_root() / "data"


def figdata_dir() -> Path:
    """Where figures write the CSV of exactly what they show (linked from their captions)."""
    return book_root() / "_build" / "figdata"


def cache_dir() -> Path:
    """The synced price cache (a symlink to the last good version); `DEEPSHOCK_CACHE` overrides."""
    return Path(os.environ.get("DEEPSHOCK_CACHE", ROOT / ".cache" / "market-data"))


def artefacts_dir() -> Path:
    """Derived results that survive a clean build (`rm -rf _build`): exchange calendars, the
    placebo rows, chart images. Each file is named by a hash of everything it depends on, so a
    changed input or method makes a new file and a stale one is never read. It sits beside the
    price cache (`.cache/artefacts/`; `DEEPSHOCK_ARTEFACTS` overrides); deleting it costs time,
    never correctness."""
    found = os.environ.get("DEEPSHOCK_ARTEFACTS")
    return Path(found) if found else cache_dir().parent / "artefacts"


def write_atomic(path: Path, data: bytes) -> Path:
    """Write `data` to `path` through a temporary file: a reader never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_bytes(data)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def kept(name: str, make: Callable[[], bytes]) -> Path:
    """The file `name` of the artefact store, made by `make()` when it is not there yet (name
    it by a hash of everything `make` depends on)."""
    path = artefacts_dir() / name
    if path.is_file():
        return path
    with making(path):   # another kernel may be making it: wait, then use its file
        return path if path.is_file() else write_atomic(path, make())


LOCKS = 64      # lock files of the artefact store (`.locks/`), shared by hash of the file name
_holding = False


@contextmanager
def making(path: Path) -> Iterator[None]:
    """Hold one of the store's lock files while `path` is made, so that the kernels of a build,
    which run in parallel, never make the same artefact at once: the second waits (no CPU) and
    then finds the file. A process that already holds a lock takes no other (whatever it makes
    inside is made unlocked), so no two kernels can wait for each other."""
    global _holding
    if _holding or fcntl is None:
        yield
        return
    bucket = int(hashlib.sha1(path.name.encode()).hexdigest(), 16) % LOCKS
    lock = artefacts_dir() / ".locks" / f"{bucket:02d}.lock"
    lock.parent.mkdir(parents=True, exist_ok=True)
    with open(lock, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        _holding = True
        try:
            yield
        finally:
            _holding = False
            fcntl.flock(handle, fcntl.LOCK_UN)


def default_snapshot() -> Path | None:
    """`../shared/market-data` beside the project when it exists, else None (use yfinance)."""
    candidate = ROOT.parent / "shared" / "market-data"
    return candidate if (candidate / "prices").is_dir() else None


def ticker_file(ticker: str) -> str:
    """File name of a ticker in a snapshot: `^SOX` -> `INDEX_SOX.csv`, `JPY=X` -> `JPY_X.csv`."""
    return ticker.replace("^", "INDEX_").replace("=", "_") + ".csv"


def code_digest(*functions: Callable) -> str:
    """Hash of the source of `functions` (package functions or methods, decorated or not) as
    it is in the package's files now."""
    digest = hashlib.sha256()
    for function in functions:
        function = getattr(function, "__wrapped__", function)
        module = function.__module__.split(".")
        path = PACKAGE.joinpath(*module[1:]).with_suffix(".py")
        digest.update(_segment(path.read_text(encoding="utf-8"), function.__qualname__,
                               path.name).encode())
    return digest.hexdigest()[:12]


@lru_cache(maxsize=512)
def _segment(text: str, qualname: str, file: str) -> str:
    """The source of `qualname`'s definition in a module's `text` (once per text and name:
    Sphinx names a chart's compiler digest once per chart)."""
    node = _definition(_parse(text), qualname.split("."))
    if node is None:
        raise ValueError(f"{qualname}: no definition in {file}")
    return ast.get_source_segment(text, node, padded=True)


@lru_cache(maxsize=32)
def _parse(text: str) -> ast.Module:
    """The syntax tree of a module's text (parsed once per text: every kept calendar and chart
    image of a kernel names its functions' digest, most of them in the same few modules)."""
    return ast.parse(text)


def _definition(tree: ast.AST, names: list[str]) -> ast.AST | None:
    for node in getattr(tree, "body", []):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) \
                and node.name == names[0]:
            return node if len(names) == 1 else _definition(node, names[1:])
    return None
