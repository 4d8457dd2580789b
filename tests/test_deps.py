"""Per-chapter invalidation on a tiny temporary book: a data change re-executes only the chapters
that read the changed data, a prose edit re-executes nothing, a package change everything.

The book's price cache is a small made-up one in tmp_path (fixture tickers TESTA and TESTB on
real NYSE sessions); nothing of it reaches the real book.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path

import pytest

from deepshock.book import build
from deepshock.data.paths import ROOT
from tests.conftest import NOTEBOOK_HEADER

pytestmark = [pytest.mark.build]

CLOSES = {"TESTA": [10, 10.5, 11, 10.75, 11.25], "TESTB": [50, 51, 52, 53, 54]}
SESSIONS = ["2025-01-21", "2025-01-22", "2025-01-23", "2025-01-24", "2025-01-27"]
LOADER = """# {title}

```{{code-cell}} ipython3
:tags: [remove-cell]

from deepshock.data import load
from deepshock.book import report
close = load.prices("{ticker}")["close"].iloc[-1]
report.glue_text({key}=f"{{close:.2f}}")
```

{ticker} last closed at {{glue:md}}`{key}`.
"""
MANIFEST_READER = """# Chapter C

```{code-cell} ipython3
:tags: [remove-cell]

from deepshock.book import report
from deepshock.data.sync import read_manifest

report.glue_text(c_count=str(len(read_manifest()["tickers"])))
```

The cache holds {glue:md}`c_count` tickers.
"""


def _version(cache: Path, name: str, closes: dict[str, list[float]], synced_at: str) -> None:
    """Write a cache version (prices + manifest) and point the cache symlink at it, as a sync does."""
    version = cache.parent / name
    (version / "prices").mkdir(parents=True)
    entries = {}
    for ticker, values in closes.items():
        rows = [f"{d},{c},{c},{c},{c},{c},1000" for d, c in zip(SESSIONS, values)]
        path = version / "prices" / f"{ticker}.csv"
        path.write_text("date,open,high,low,close,adj_close,volume\n" + "\n".join(rows) + "\n")
        entries[ticker] = {"file": path.name,
                           "sha256": hashlib.sha256(path.read_bytes()).hexdigest()}
    (version / "manifest.json").write_text(json.dumps({"source": "test", "synced_at": synced_at,
                                                       "tickers": entries}))
    link = cache.parent / "next-link"
    link.symlink_to(name)
    os.replace(link, cache)


def _universe(book: Path) -> None:
    """Two fixture tickers with the real universe's columns (copied from an NVDA-like row), and
    a data package declaring only the universe."""
    header, *rows = (ROOT / "data" / "universe.csv").read_text(encoding="utf-8").splitlines()
    cols = header.split(",")
    base = dict(zip(cols, next(r for r in rows if r.startswith("NVDA,")).split(",")))
    lines = [header]
    for ticker in ("TESTA", "TESTB"):
        row = {**base, "ticker": ticker, "name": f"Fixture {ticker}", "benchmark": "",
               "source": "test fixture"}
        lines.append(",".join(row[c] for c in cols))
    (book / "data").mkdir()
    (book / "data" / "universe.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    package = json.loads((ROOT / "data" / "datapackage.json").read_text(encoding="utf-8"))
    package["resources"] = [r for r in package["resources"] if r["name"] == "universe"]
    (book / "data" / "datapackage.json").write_text(json.dumps(package), encoding="utf-8")


@pytest.fixture()
def book(tmp_path, monkeypatch) -> Path:
    root = tmp_path / "book"
    root.mkdir()
    (root / "_config.yml").write_text(
        "title: Tiny\nonly_build_toc_files: true\n"
        "execute:\n  execute_notebooks: cache\n  cache: _build/.jupyter_cache\n"
        "  timeout: 300\n  raise_on_error: true\n"
        "sphinx:\n  config:\n    nb_merge_streams: true\n")
    (root / "_toc.yml").write_text(
        "format: jb-book\nroot: intro\nchapters:\n  - file: a\n  - file: b\n  - file: c\n")
    (root / "intro.md").write_text("# Tiny book\n")
    (root / "a.md").write_text(NOTEBOOK_HEADER + LOADER.format(title="Chapter A", ticker="TESTA",
                                                     key="a_close"))
    (root / "b.md").write_text(NOTEBOOK_HEADER + LOADER.format(title="Chapter B", ticker="TESTB",
                                                     key="b_close"))
    (root / "c.md").write_text(NOTEBOOK_HEADER + MANIFEST_READER)
    (root / "requirements.txt").write_text("")
    bundle = ROOT / "_static" / "vega-bundle.js"
    if bundle.is_file():  # spare the test regenerating it
        (root / "_static").mkdir()
        shutil.copy(bundle, root / "_static" / bundle.name)
    _universe(root)
    cache = tmp_path / "cache" / "market-data"
    cache.parent.mkdir()
    _version(cache, "v1", CLOSES, "2026-01-01T00:00:00+00:00")
    monkeypatch.setenv("DEEPSHOCK_CACHE", str(cache))
    return root


def _build(root: Path) -> dict:
    assert build.build("html", root=root) == 0, "strict build of the tiny book failed"
    report = json.loads((root / "_build" / "deps" / "last-build.json").read_text())
    report["ran"] = sorted(e["chapter"] for e in report["executed"])
    return report


def _page(root: Path, name: str) -> str:
    return (root / "_build" / "html" / f"{name}.html").read_text(encoding="utf-8")


def _records(root: Path) -> dict[str, set[str]]:
    out = {}
    for path in (root / "_build" / "deps" / "records").glob("*.json"):
        info = json.loads(path.read_text())
        out[info["chapter"]] = set(info["inputs"])
    return out


def _cache_keys(root: Path) -> dict[str, str]:
    from jupyter_cache import get_cache

    records = get_cache(str(root / "_build" / ".jupyter_cache")).list_cache_records()
    return {Path(r.uri).name: r.hashkey for r in records}


def test_only_chapters_reading_changed_data_re_execute(book, monkeypatch):
    # The package is held fixed (others may edit it meanwhile); its change is the last step.
    monkeypatch.setattr(build, "code_fingerprint", lambda root=None: "package v1")
    from deepshock.book import prework

    fed, feed = [], prework.Beside.feed    # each executed chapter is handed to the chart process
    monkeypatch.setattr(prework.Beside, "feed",
                        lambda self, chapter, text: fed.append((chapter, text)) or feed(
                            self, chapter, text))
    first = _build(book)
    assert first["ran"] == ["a.md", "b.md", "c.md"]
    assert sorted(c for c, _ in fed) == first["ran"]
    assert all(json.loads(text)["cells"] for _, text in fed)   # the executed notebooks
    assert not list((book / "_build" / "deps" / "prework").glob("*"))   # none left behind
    assert "TESTA last closed at 11.25" in _page(book, "a")
    assert "TESTB last closed at 54.00" in _page(book, "b")

    inputs = _records(book)
    assert {"file:cache:prices/TESTA.csv", "file:root:data/universe.csv",
            "tickers:cache:manifest.json"} <= inputs["a.md"]
    assert "file:cache:prices/TESTB.csv" not in inputs["a.md"]
    assert "file:cache:prices/TESTB.csv" in inputs["b.md"]
    assert "manifest:cache:manifest.json" in inputs["c.md"]  # read directly: the whole manifest
    assert not any(k.startswith("manifest:") for k in inputs["a.md"] | inputs["b.md"])

    # A re-sync of the same data (as every `make book` does) re-executes nothing.
    cache = book.parent / "cache" / "market-data"
    _version(cache, "v1-again", CLOSES, "2026-01-02T00:00:00+00:00")
    assert _build(book)["ran"] == []

    # A re-sync in which only TESTA's last close differs.
    before = _cache_keys(book)
    _version(cache, "v2", {**CLOSES, "TESTA": [10, 10.5, 11, 10.75, 12.5]},
             "2026-01-03T00:00:00+00:00")
    second = _build(book)
    assert second["ran"] == ["a.md", "c.md"]
    assert set(second["invalidated"]) == {"a.md", "c.md"}
    assert "TESTA last closed at 12.50" in _page(book, "a")
    assert "TESTB last closed at 54.00" in _page(book, "b")
    assert _cache_keys(book)["b.md"] == before["b.md"]

    # A prose edit re-executes nothing but reaches the page.
    (book / "b.md").write_text((book / "b.md").read_text() + "\nA new sentence of prose.\n")
    third = _build(book)
    assert third["ran"] == [] and not third["invalidated"]
    assert len(fed) == 5                 # nothing executed: nothing handed over
    assert "A new sentence of prose." in _page(book, "b")

    # Package code (or pins) changed: everything executes again.
    monkeypatch.setattr(build, "code_fingerprint", lambda root=None: "package v2")
    fourth = _build(book)
    assert fourth["dropped_all"] and fourth["ran"] == ["a.md", "b.md", "c.md"]


def test_code_fingerprint_covers_pins(tmp_path):
    (tmp_path / "requirements.txt").write_text("pandas==3.1.1\n")
    before = build.code_fingerprint(tmp_path)
    assert build.code_fingerprint(tmp_path) == before
    (tmp_path / "requirements.txt").write_text("pandas==3.1.2\n")
    assert build.code_fingerprint(tmp_path) != before


def test_a_kernel_that_fails_to_start_is_started_again(tmp_path, monkeypatch):
    """Two kernels starting together can race for a TCP port; the worker retries the start."""
    import jupyter_cache.executors.utils as utils

    from deepshock.book import deps
    chapter = tmp_path / "c.md"
    chapter.write_text(NOTEBOOK_HEADER + "# C\n\n```{code-cell} ipython3\nx = 1\n```\n")
    real, calls = utils.single_nb_execution, []

    def flaky(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("Kernel died before replying to kernel_info")
        return real(*args, **kwargs)

    monkeypatch.setattr(utils, "single_nb_execution", flaky)
    config = deps.ExecConfig.read(ROOT)
    text, _, error = deps._run(str(chapter), {}, config)
    assert error is None and text and len(calls) == 2
