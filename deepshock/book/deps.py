"""Per-chapter data dependencies, so that a data change re-executes only the chapters it affects.

The build driver executes the notebooks of the table of contents itself, in parallel, into the
same jupyter-cache that myst-nb uses (same reader, same cache key), so Sphinx finds them all
cached. Each kernel starts (via PYTHONSTARTUP) with an audit hook, `sys.addaudithook`, that
records every file it opens for reading and every directory it lists under the book root or the
price cache. After execution those inputs are hashed into `_build/deps/records/<cache key>.json`.
Reads that bypass Python's `open` cannot be seen this way: a chapter that starts a subprocess or
opens an SQLite database counts as depending on all data (`state`). The package's loaders read
through `open` (prices: `validate.read_price_csv`; facts: `pandas.read_csv`).

Before the next build `invalidate` re-hashes the inputs of every cache record: a record whose
inputs changed, or that has no dependency file (a chapter myst-nb executed itself) while the
data changed, is removed and its chapter touched so Sphinx reads it again. Package code and pins
are not tracked here: `deepshock.book.build` drops the whole cache when they change.

Reads and listings of the artefact store (`deepshock.data.artefacts`) are not inputs: a stored
result is named by a hash of its inputs, which computing that name reads, and so records (the
store's listing changes whenever another kernel adds a result).

Two rules keep this useful. `deepshock.load._frame` reads the cache manifest only to check that
a ticker is synced, so from there the manifest counts as the set of synced tickers. Opened
anywhere else it counts in full except its `synced_at` stamp, which changes with every sync
(`make book` syncs first): a page that shows the sync time must execute in every build
(`mystnb: execution_mode: force`, as the about page does). Such notebooks, and any whose
execution mode is not `cache`, are left to myst-nb.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import multiprocessing
import os
import re
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import yaml

from ..data.paths import artefacts_dir, write_atomic

# Parts of the book root whose reads are not data: build output, environments, package code
# (covered by the code fingerprint in deepshock.book.build), caches of tools.
IGNORED = {"_build", ".venv", ".git", "deepshock", "__pycache__", ".ipynb_checkpoints",
           ".pytest_cache", ".hypothesis", "bench"}
MANIFEST = "manifest.json"
IMPORT_SYSTEM = ("<frozen importlib", os.path.dirname(importlib.__file__) + os.sep)
# Audit events after which the kernel may read data unseen (another process, a database).
OPAQUE = {"subprocess.Popen", "os.system", "os.exec", "os.posix_spawn", "os.spawn", "os.fork",
          "sqlite3.connect"}
CROSS_GLUE = re.compile(r"\{glue(?::\w+)?\}`[^`]*::")


def deps_dir(root: Path) -> Path:
    """Where the build keeps dependency records (`records/<cache key>.json`) and its reports."""
    return root / "_build" / "deps"


# ---- inside the kernel -------------------------------------------------------------------

def record_kernel() -> None:
    """Record this kernel's inputs into $DEEPSHOCK_DEPS after every cell (run at kernel start)."""
    out = os.environ["DEEPSHOCK_DEPS"]
    cache = os.path.abspath(os.environ["DEEPSHOCK_CACHE"])
    store = os.path.abspath(artefacts_dir())
    bases = [("store", store), ("store", os.path.realpath(store)),
             ("cache", cache), ("cache", os.path.realpath(cache)),
             ("root", os.path.abspath(os.environ["DEEPSHOCK_ROOT"]))]
    seen: set[str] = set()

    def hook(event: str, args: tuple) -> None:
        if event == "open":
            path, _, flags = args
            if isinstance(flags, int) and (flags & os.O_ACCMODE == os.O_WRONLY
                                           or flags & os.O_TRUNC):
                return  # an output, not an input
            kind = "file"
        elif event in ("os.listdir", "os.scandir"):
            path, kind = (args[0] if args[0] is not None else "."), "dir"
        elif event in OPAQUE:
            seen.add("all:data:")
            return
        else:
            return
        try:
            key = _classify(path, kind, bases)
        except Exception:  # an audit hook must never break the operation it watches
            return
        if key:
            seen.add(key)

    def flush(*_: object) -> None:
        tmp = out + ".tmp"
        with open(tmp, "w", encoding="utf-8") as handle:
            json.dump(sorted(seen), handle)
        os.replace(tmp, out)

    sys.addaudithook(hook)
    from IPython import get_ipython

    shell = get_ipython()
    if shell is not None:
        shell.events.register("post_run_cell", flush)
    import atexit

    atexit.register(flush)


def _classify(path: object, kind: str, bases: list[tuple[str, str]]) -> str | None:
    if isinstance(path, int):
        return None
    full = os.path.abspath(os.fsdecode(path))
    for base_name, base in bases:
        if full == base or full.startswith(base + os.sep):
            if base_name == "store":
                return None   # derived: each result's key reads, and so records, its inputs
            rel = os.path.relpath(full, base).replace(os.sep, "/")
            if base_name == "root" and rel.split("/")[0] in IGNORED:
                return None
            if kind == "dir" and _caller().startswith(IMPORT_SYSTEM):
                return None  # the import system scanning sys.path, not a data read
            if base_name == "cache" and rel == MANIFEST and kind == "file":
                return f"{'tickers' if _from_loader() else 'manifest'}:cache:{rel}"
            return f"{kind}:{base_name}:{rel}"
    return None


def _caller() -> str:
    """File name of the code that triggered the audit event (the first frame outside here)."""
    frame = sys._getframe(1)
    while frame is not None and frame.f_code.co_filename == __file__:
        frame = frame.f_back
    return frame.f_code.co_filename if frame is not None else ""


def _from_loader() -> bool:
    frame, loader = sys._getframe(1), os.path.join("deepshock", "data", "load.py")
    while frame is not None:
        if frame.f_code.co_name == "_frame" and frame.f_code.co_filename.endswith(loader):
            return True
        frame = frame.f_back
    return False


# ---- in the build driver -----------------------------------------------------------------

@dataclass(frozen=True)
class ExecConfig:
    """The execution settings of `_config.yml` that the driver must share with myst-nb."""
    mode: str
    cache: Path
    timeout: int
    allow_errors: bool
    in_temp: bool
    extensions: tuple[str, ...]
    exclude: tuple[str, ...]

    @classmethod
    def read(cls, root: Path) -> "ExecConfig":
        config = yaml.safe_load((root / "_config.yml").read_text(encoding="utf-8")) or {}
        execute = config.get("execute") or {}
        parse = config.get("parse") or {}
        return cls(mode=execute.get("execute_notebooks", "auto"),
                   cache=root / execute.get("cache", "_build/.jupyter_cache"),
                   timeout=int(execute.get("timeout", 30)),
                   allow_errors=bool(execute.get("allow_errors", False)),
                   in_temp=bool(execute.get("run_in_temp", False)),
                   extensions=tuple(parse.get("myst_enable_extensions") or ()),
                   exclude=tuple(execute.get("exclude_patterns") or ()))


def sources(root: Path) -> list[Path]:
    """The source file of every page in the table of contents."""
    from sphinx_external_toc.parsing import parse_toc_yaml

    found = []
    for docname in parse_toc_yaml(str(root / "_toc.yml")):
        found += [p for p in (root / f"{docname}.md", root / f"{docname}.ipynb") if p.is_file()][:1]
    return found


def notebooks(root: Path) -> list[Path]:
    """Pages of the table of contents that are notebooks (MyST Markdown or .ipynb)."""
    from myst_nb.core.read import is_myst_markdown_notebook

    return [p for p in sources(root)
            if p.suffix == ".ipynb" or is_myst_markdown_notebook(p.read_text(encoding="utf-8"))]


def mode(notebook, config: "ExecConfig") -> str:
    """The execution mode myst-nb applies to a notebook (its `mystnb` metadata may override)."""
    return (notebook.metadata.get("mystnb") or {}).get("execution_mode", config.mode)


def read_notebook(path: Path, extensions: tuple[str, ...]):
    """Read a notebook exactly as myst-nb does, so that both compute the same cache key."""
    import nbformat

    if path.suffix == ".ipynb":
        return nbformat.read(path, as_version=4)
    from myst_nb.core.read import read_myst_markdown_notebook
    from myst_parser.config.main import MdParserConfig

    return read_myst_markdown_notebook(
        path.read_text(encoding="utf-8"), config=MdParserConfig(enable_extensions=set(extensions)),
        add_source_map=True, path=str(path))


def current(key: str, root: Path, cache: Path) -> str | None:
    """The hash of one recorded input as it is now (None when it does not exist)."""
    kind, base, rel = key.split(":", 2)
    if kind == "all":
        return state(root, cache)
    path = (cache.resolve() if base == "cache" else root) / rel
    try:
        if kind == "file":
            return hashlib.sha256(path.read_bytes()).hexdigest()
        if kind == "dir":
            return hashlib.sha256("\n".join(sorted(os.listdir(path))).encode()).hexdigest()
        if kind in ("tickers", "manifest"):
            manifest = json.loads(path.read_text())
            manifest.pop("synced_at", None)
            used = sorted(manifest["tickers"]) if kind == "tickers" else manifest
            return hashlib.sha256(json.dumps(used, sort_keys=True).encode()).hexdigest()
    except (OSError, ValueError, KeyError):
        return None
    raise ValueError(f"unknown dependency kind in {key!r}")


def _load(root: Path, hashkey: str) -> dict | None:
    try:
        return json.loads((deps_dir(root) / "records" / f"{hashkey}.json").read_text())
    except (OSError, ValueError):
        return None


def _touch(paths: list[Path], root: Path) -> None:
    """Mark sources outdated for Sphinx; with cross-document glue, also the pages that use it."""
    if not paths:
        return
    now = time.time()
    pages = set(paths) | {p for p in sources(root) if p.suffix == ".md"
                          and CROSS_GLUE.search(p.read_text(encoding="utf-8"))}
    for path in pages:
        if path.is_file():
            os.utime(path, (now, now))


def invalidate(root: Path, cache: Path, data_changed: bool) -> dict[str, list[str]]:
    """Remove the cache records whose inputs changed; return {chapter: changed inputs}."""
    config = ExecConfig.read(root)
    if not (config.cache / "global.db").is_file():
        return {}
    from jupyter_cache import get_cache

    jcache = get_cache(str(config.cache))
    stale, keep, touch = {}, set(), []
    for record in jcache.list_cache_records():
        info = _load(root, record.hashkey)
        if info is None:
            changed = ["(no dependency record) data changed"] if data_changed else []
        else:
            changed = [k for k, h in info["inputs"].items() if current(k, root, cache) != h]
        if not changed:
            keep.add(record.hashkey)
            continue
        jcache.remove_cache(record.pk)
        stale[_rel(record.uri, root)] = changed
        touch.append(Path(record.uri))
    for path in (deps_dir(root) / "records").glob("*.json"):
        if path.stem not in keep:
            path.unlink()
    _touch(touch, root)
    return stale


def _rel(uri: str, root: Path) -> str:
    try:
        return Path(uri).resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return uri


def _run(path: str, env: dict[str, str], config: ExecConfig) -> tuple[str | None, float, str | None]:
    """Worker: execute one notebook in a fresh kernel; return (executed nb JSON, seconds, error)."""
    import random
    import tempfile
    import time

    import nbformat
    from jupyter_cache.executors.utils import single_nb_execution

    os.environ.update(env)
    notebook = read_notebook(Path(path), config.extensions)
    for attempt in range(3):
        # Kernels started at the same moment can race for the same free TCP port (ZMQError,
        # "Kernel died before replying"): start again after a short random pause.
        try:
            with tempfile.TemporaryDirectory() as tmp:
                result = single_nb_execution(
                    notebook, cwd=tmp if config.in_temp else str(Path(path).parent),
                    timeout=config.timeout, allow_errors=config.allow_errors,
                    meta_override=True)
            break
        except Exception as exc:  # kernel start-up failure, not a chapter error
            if attempt == 2:
                return None, 0.0, f"kernel could not start: {exc!r}"
            time.sleep(0.5 + random.random())
    if result.err is not None:
        return None, result.time, result.exc_string
    return nbformat.writes(result.nb), result.time, None


def execute_outdated(root: Path, cache: Path, jobs: int | None = None,
                     log=print, done=None) -> list[dict]:
    """Execute, in parallel, every toc notebook without a cache record, recording its inputs.

    Returns one entry per executed chapter: chapter, seconds, ok. A chapter that fails is left
    uncached: Sphinx executes it again and reports the error the usual way. `done(chapter,
    text)`, if given, is called with each chapter cached, as it finishes, and its executed
    notebook's JSON text.
    """
    config = ExecConfig.read(root)
    if config.mode != "cache":
        return []
    import nbformat
    from jupyter_cache import get_cache
    from jupyter_cache.base import CacheBundleIn

    jcache = get_cache(str(config.cache))
    todo = []
    for path in notebooks(root):
        notebook = read_notebook(path, config.extensions)
        if mode(notebook, config) != "cache" or any(
                PurePosixPath(path.as_posix()).match(p) for p in config.exclude):
            continue
        try:
            jcache.match_cache_notebook(notebook)
        except KeyError:
            todo.append(path)
    if not todo:
        return []
    work = deps_dir(root)
    for sub in ("kernels", "records"):
        (work / sub).mkdir(parents=True, exist_ok=True)
    for old in (work / "kernels").glob("*"):
        old.unlink()
    startup = work / "startup.py"
    startup.write_text("import deepshock.book.deps as _dd\n_dd.record_kernel()\ndel _dd\n")
    jobs = max(1, min(len(todo), jobs or int(os.environ.get("DEEPSHOCK_JOBS", 0))
                      or os.cpu_count() or 1))
    took = _timings()
    todo.sort(key=lambda p: -took.get(_rel(str(p), root), 0.0))  # the longest first
    log(f"executing {len(todo)} chapter(s) with {jobs} worker(s): "
        + ", ".join(_rel(str(p), root) for p in todo))
    base = {"DEEPSHOCK_ROOT": str(root), "DEEPSHOCK_CACHE": str(cache),
            "PYTHONSTARTUP": str(startup), "PYDEVD_DISABLE_FILE_VALIDATION": "1"}
    before = (cache.resolve(), state(root, cache))
    results, saved = [], []
    # spawn, not fork: the caller (pytest, a server) may run threads that fork would copy mid-lock
    with ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("spawn")) as pool:
        futures = {pool.submit(_run, str(path), {**base, "DEEPSHOCK_DEPS": str(
            work / "kernels" / f"{i}.json")}, config): (path, i) for i, path in enumerate(todo)}
        for future in as_completed(futures):
            path, i = futures[future]
            try:
                text, seconds, error = future.result()
            except Exception as exc:  # a worker that died: Sphinx executes the chapter itself
                text, seconds, error = None, 0.0, repr(exc)
            rel = _rel(str(path), root)
            results.append({"chapter": rel, "seconds": round(seconds, 2), "ok": error is None})
            if error is not None:
                log(f"{rel}: execution failed after {seconds:.1f} s; Sphinx will report it:\n"
                    + error[-3000:])
                continue
            record = jcache.cache_notebook_bundle(
                CacheBundleIn(nbformat.reads(text, as_version=4), str(path),
                              data={"execution_seconds": seconds}),
                check_validity=False, overwrite=True)
            saved.append(_save(root, cache, record.hashkey, rel, work / "kernels" / f"{i}.json"))
            log(f"{rel}: executed in {seconds:.1f} s")
            if done is not None:
                done(rel, text)
    if (cache.resolve(), state(root, cache)) != before:  # data moved under us: trust none of it
        log("data changed during execution: this run's dependency records discarded")
        for path in saved:
            path.unlink(missing_ok=True)
    _touch([root / r["chapter"] for r in results if r["ok"]], root)
    _timings({r["chapter"]: r["seconds"] for r in results if r["ok"]})
    return sorted(results, key=lambda r: r["chapter"])


def _timings(update: dict[str, float] | None = None) -> dict[str, float]:
    """Each chapter's last execution time in seconds, kept in the artefact store: only the
    order in which chapters start (the longest first, so that two workers finish together)."""
    path = artefacts_dir() / "chapter-seconds.json"
    try:
        known = json.loads(path.read_text())
    except (OSError, ValueError):
        known = {}
    if update:
        known.update(update)
        write_atomic(path, json.dumps(known, indent=1, sort_keys=True).encode())
    return known


def _save(root: Path, cache: Path, hashkey: str, chapter: str, recorded: Path) -> Path:
    """Hash the inputs a kernel recorded into the record's dependency file (none if it recorded
    nothing: then the record counts as depending on all data)."""
    out = deps_dir(root) / "records" / f"{hashkey}.json"
    try:
        keys = json.loads(recorded.read_text())
    except (OSError, ValueError):
        out.unlink(missing_ok=True)
        return out
    inputs = {key: current(key, root, cache) for key in keys}
    out.write_text(json.dumps({"chapter": chapter, "inputs": inputs}, indent=1, sort_keys=True))
    return out


def state(root: Path, cache: Path) -> str:
    """Hash of all data a chapter may read: the synced prices and the facts in `data/`."""
    digest = hashlib.sha256()
    try:   # plain JSON: the driver need not import pandas (as `sync.read_manifest` does)
        manifest = json.loads((cache / MANIFEST).read_text())
    except FileNotFoundError:
        from ..data.sync import read_manifest

        manifest = read_manifest(cache)  # raises the loader's "run `make data`" error
    digest.update(json.dumps({t: e["sha256"] for t, e in manifest["tickers"].items()},
                             sort_keys=True).encode())
    for path in sorted((root / "data").glob("*.csv")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()
