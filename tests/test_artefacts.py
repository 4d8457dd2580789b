"""What a clean build reuses and what it must not pay for: the artefact store beside the price
cache, chart images drawn once per spec, no PDF conversion in an HTML build, the loader's
per-process tables, and session times looked up many at a time."""

from __future__ import annotations

import json
import pickle
import types

import pandas as pd
import pytest
from docutils import nodes
from myst_nb.core.render import MimeData

from deepshock.book import cards
from deepshock.data import load, paths, sessions
from deepshock.data.validate import DataError
from deepshock.story import charts
from tests.conftest import synced_cache

SPEC = {"title": {"text": "A made-up chart"}, "mark": "point", "data": {"values": [{"x": 1}]},
        "encoding": {"x": {"field": "x", "type": "quantitative"}}}


def test_the_artefact_store_sits_beside_the_price_cache_unless_told(monkeypatch, tmp_path):
    monkeypatch.delenv("DEEPSHOCK_ARTEFACTS", raising=False)
    monkeypatch.setenv("DEEPSHOCK_CACHE", str(tmp_path / "c" / "market-data"))
    assert paths.artefacts_dir() == tmp_path / "c" / "artefacts"
    monkeypatch.setenv("DEEPSHOCK_ARTEFACTS", str(tmp_path / "elsewhere"))
    assert paths.artefacts_dir() == tmp_path / "elsewhere"


def test_an_html_build_leaves_a_placeholder_and_never_converts_to_pdf(monkeypatch):
    def refuse(*_a, **_k):
        raise AssertionError("PDF conversion at read time")

    monkeypatch.setattr(charts.vlc, "vegalite_to_pdf", refuse)
    text = json.dumps(SPEC)
    out = charts.LatexChart.handle_mime(None, MimeData(charts.SPEC_MIME, text), False)
    assert len(out) == 1 and isinstance(out[0], nodes.container)
    assert json.loads(out[0][charts.SPEC_ATTR]) == SPEC
    assert charts.LatexChart.handle_mime(None, MimeData("text/html", "<p/>"), False) is None


def test_the_pdf_of_a_spec_is_a_pdf():
    assert charts.spec_pdf(json.dumps(SPEC)).startswith(b"%PDF")


def _body(spec: dict) -> str:
    return f"<div>var spec={json.dumps(spec)};function draw(){{}}</div>"


def test_a_chart_image_is_drawn_once_and_copied_into_later_builds(monkeypatch, tmp_path):
    import vl_convert
    from concurrent.futures import ThreadPoolExecutor

    drawn = []
    monkeypatch.setattr(vl_convert, "vegalite_to_png",
                        lambda spec, **_: drawn.append(spec) or b"\x89PNG made up")
    monkeypatch.setattr(cards, "_pool", lambda: ThreadPoolExecutor(1))  # in this process
    monkeypatch.setenv("DEEPSHOCK_ARTEFACTS", str(tmp_path / "store"))
    first = types.SimpleNamespace(outdir=str(tmp_path / "build1"))
    second = types.SimpleNamespace(outdir=str(tmp_path / "build2"))
    name = cards.chart_image(first, _body(SPEC))
    cards.cards_drawn(first, None)               # the build's end: drawn beside it, copied in
    assert (tmp_path / "build1" / name).read_bytes() == b"\x89PNG made up"
    again = cards.chart_image(second, _body(SPEC))
    assert name == again and name.startswith("_static/og/") and name.endswith(".png")
    assert (tmp_path / "build2" / name).read_bytes() == b"\x89PNG made up"
    assert drawn == [SPEC]                      # the second build copied, it did not draw
    other = dict(SPEC, mark="line")
    assert cards.chart_image(second, _body(other)) != name
    cards.cards_drawn(second, None)
    assert len(drawn) == 2
    assert cards.chart_image(second, "<p>no chart</p>") is None


def test_a_card_that_fails_to_draw_fails_the_build(monkeypatch, tmp_path):
    import vl_convert
    from concurrent.futures import ThreadPoolExecutor

    def broken(spec, **_):
        raise ValueError("cannot draw")

    monkeypatch.setattr(vl_convert, "vegalite_to_png", broken)
    monkeypatch.setattr(cards, "_pool", lambda: ThreadPoolExecutor(1))
    monkeypatch.setenv("DEEPSHOCK_ARTEFACTS", str(tmp_path / "store"))
    app = types.SimpleNamespace(outdir=str(tmp_path / "build"))
    cards.chart_image(app, _body(SPEC))
    with pytest.raises(ValueError, match="cannot draw"):
        cards.cards_drawn(app, None)


@pytest.fixture
def cached(snapshot, tmp_path):
    load.clear()
    yield synced_cache(snapshot, tmp_path, ["NVDA"])
    load.clear()


def test_loader_tables_are_built_once_and_every_caller_gets_its_own_copy(cached):
    a = load.returns("NVDA", root=cached)
    a.loc[:, "ret"] = 99.0
    b = load.returns("NVDA", root=cached)
    assert (b["ret"] < 1).all()
    p = load.prices(["NVDA"], root=cached)
    p.loc[:, "close"] = -1.0
    assert (load.prices("NVDA", root=cached)["close"] > 0).all()
    assert load._returns.cache_info().currsize >= 1


def test_clear_makes_the_loader_read_and_check_the_file_again(cached):
    load.prices("NVDA", root=cached)
    path = cached / "prices" / "NVDA.csv"
    path.write_bytes(path.read_bytes().replace(b"2025-01-27,", b"2025-01-27 ,", 1))
    assert not load.prices("NVDA", root=cached).empty      # still the checked copy in memory
    load.clear()
    with pytest.raises(DataError, match=r"NVDA\.csv: changed since it was validated"):
        load.prices("NVDA", root=cached)


def test_session_times_many_at_once_match_one_at_a_time():
    days = sessions.sessions("XTKS", "2025-01-20", "2025-02-07")
    assert list(sessions.opens_utc("XTKS", days)) == [sessions.open_utc("XTKS", d) for d in days]
    ny = sessions.sessions("XNYS", "2024-11-25", "2024-12-02")
    closes = sessions.closes_utc("XNYS", ny)
    assert list(closes) == [sessions.close_utc("XNYS", d) for d in ny]
    # by hand: the day after Thanksgiving 2024 closed early, at 13:00 New York = 18:00 UTC
    assert closes[list(ny).index(pd.Timestamp("2024-11-29"))] == pd.Timestamp(
        "2024-11-29 18:00", tz="UTC")
    assert sessions.opens_utc("XNYS", ["2025-01-27"])[0] == pd.Timestamp("2025-01-27 14:30",
                                                                          tz="UTC")
    with pytest.raises(ValueError, match=r"XNYS: not sessions: 2025-01-25"):
        sessions.opens_utc("XNYS", ["2025-01-24", "2025-01-25"])


def _store(tmp_path, monkeypatch):
    """A made-up facts directory and manifest, and an empty store, all under tmp_path."""
    (tmp_path / "book" / "data").mkdir(parents=True)
    (tmp_path / "book" / "data" / "events.csv").write_text("date,label\n2025-01-27,x\n")
    cache = tmp_path / "cache" / "market-data"
    cache.mkdir(parents=True)
    manifest = {"synced_at": "then", "tickers": {"NVDA": {"sha256": "a" * 64}},
                "panel": {"files": {"closes.csv": {"sha256": "b" * 64}}},
                "intraday": {"files": {"NVDA_1h_regular.csv": {"sha256": "e" * 64}}}}
    (cache / "manifest.json").write_text(json.dumps(manifest))
    monkeypatch.setenv("DEEPSHOCK_ROOT", str(tmp_path / "book"))
    monkeypatch.setenv("DEEPSHOCK_CACHE", str(cache))
    monkeypatch.setenv("DEEPSHOCK_ARTEFACTS", str(tmp_path / "store"))
    return cache, manifest


def test_a_kept_result_is_computed_once_per_set_of_inputs(tmp_path, monkeypatch):
    from deepshock.data import artefacts

    cache, manifest = _store(tmp_path, monkeypatch)
    calls = []

    def compute():
        calls.append(1)
        return pd.DataFrame({"v": [len(calls)]})

    assert artefacts.keep("t", compute)["v"].tolist() == [1]
    assert artefacts.keep("t", compute)["v"].tolist() == [1] and len(calls) == 1
    manifest["synced_at"] = "now"                       # a re-sync of the same files: same key
    (cache / "manifest.json").write_text(json.dumps(manifest))
    assert artefacts.keep("t", compute)["v"].tolist() == [1] and len(calls) == 1
    manifest["tickers"]["NVDA"]["sha256"] = "c" * 64    # one price file changed
    (cache / "manifest.json").write_text(json.dumps(manifest))
    assert artefacts.keep("t", compute)["v"].tolist() == [2]
    manifest["panel"]["files"]["closes.csv"]["sha256"] = "d" * 64
    (cache / "manifest.json").write_text(json.dumps(manifest))
    assert artefacts.keep("t", compute)["v"].tolist() == [3]
    manifest["intraday"]["files"]["NVDA_1h_regular.csv"]["sha256"] = "f" * 64  # the hourly bars
    (cache / "manifest.json").write_text(json.dumps(manifest))
    assert artefacts.keep("t", compute)["v"].tolist() == [4]
    (tmp_path / "book" / "data" / "events.csv").write_text("date,label\n2025-01-28,x\n")
    assert artefacts.keep("t", compute)["v"].tolist() == [5]
    assert artefacts.keep("t", compute, "other part")["v"].tolist() == [6]
    assert artefacts.keep("u", compute)["v"].tolist() == [7] and len(calls) == 7


def test_a_broken_kept_file_is_computed_again(tmp_path, monkeypatch):
    from deepshock.data import artefacts

    _store(tmp_path, monkeypatch)
    assert artefacts.keep("t", lambda: 1) == 1
    [kept] = (tmp_path / "store").glob("t-*.pkl")
    kept.write_bytes(b"not a pickle")
    assert artefacts.keep("t", lambda: 2) == 2
    assert pickle.loads(kept.read_bytes()) == 2
    assert not list((tmp_path / "store").glob("*.tmp"))


def test_chapter_timings_merge_and_survive_a_broken_file(tmp_path, monkeypatch):
    from deepshock.book import deps

    monkeypatch.setenv("DEEPSHOCK_ARTEFACTS", str(tmp_path / "store"))
    assert deps._timings() == {}
    deps._timings({"chapters/a.md": 3.0, "chapters/b.md": 9.5})
    assert deps._timings({"chapters/a.md": 4.0}) == {"chapters/a.md": 4.0, "chapters/b.md": 9.5}
    (tmp_path / "store" / "chapter-seconds.json").write_text("{not json")
    assert deps._timings() == {}


def test_results_unread_for_two_weeks_are_pruned_when_their_name_is_rewritten(tmp_path,
                                                                                monkeypatch):
    import os
    import time

    from deepshock.data import artefacts

    _store(tmp_path, monkeypatch)
    store = tmp_path / "store"
    store.mkdir()
    old, recent, other = (store / "t-old.pkl", store / "t-recent.pkl", store / "u-old.pkl")
    for path in (old, recent, other):
        path.write_bytes(pickle.dumps(0))
    month_ago = time.time() - 30 * 86400
    for path in (old, other):
        os.utime(path, (month_ago, month_ago))
    os.utime(recent, (time.time() - 7 * 86400,) * 2)
    artefacts.keep("t", lambda: 1)
    assert not old.exists() and recent.exists() and other.exists()


def _make_slowly(store: str, log: str) -> None:
    """In a child process: make the store's file `x.bin` (slowly), logging each time it does."""
    import os
    import time

    os.environ["DEEPSHOCK_ARTEFACTS"] = store

    def make() -> bytes:
        with open(log, "a") as out:
            out.write(f"{os.getpid()}\n")
        time.sleep(1.0)
        return b"made"

    assert paths.kept("x.bin", make).read_bytes() == b"made"


def test_kernels_running_at_once_make_a_kept_file_once(tmp_path):
    import multiprocessing

    log = tmp_path / "made.log"
    spawn = multiprocessing.get_context("spawn")
    workers = [spawn.Process(target=_make_slowly, args=(str(tmp_path / "store"), str(log)))
               for _ in range(3)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(60)
    assert [w.exitcode for w in workers] == [0, 0, 0]
    assert len(log.read_text().splitlines()) == 1     # the others waited, then read its file


def test_a_process_holding_the_lock_takes_no_other(tmp_path, monkeypatch):
    monkeypatch.setenv("DEEPSHOCK_ARTEFACTS", str(tmp_path / "store"))
    with paths.making(tmp_path / "a"):
        assert paths._holding
        with paths.making(tmp_path / "b"):   # made inside: unlocked, so it cannot wait
            pass
        assert paths._holding
    assert not paths._holding


def test_a_chapters_one_call_is_kept_per_module_and_arguments(tmp_path, monkeypatch):
    """`story.page.stored`: a clean build reads a chapter's numbers back; another argument, a
    changed price file or another module computes afresh."""
    from deepshock.story.page import stored

    cache, manifest = _store(tmp_path, monkeypatch)
    calls = []

    def chapter(day="2025-01-27"):
        calls.append(day)
        return {"day": day, "n": len(calls)}

    chapter.__module__ = "deepshock.story.example"
    kept = stored(chapter)
    assert kept.__name__ == "chapter" and kept.__wrapped__ is chapter
    assert kept() == {"day": "2025-01-27", "n": 1}
    assert kept() == {"day": "2025-01-27", "n": 1} and len(calls) == 1    # read back
    assert kept("2025-01-28") == {"day": "2025-01-28", "n": 2}            # another argument
    assert kept(day="2025-01-28") == {"day": "2025-01-28", "n": 3}        # named: its own key
    assert sorted(p.name.split("-")[1] for p in (tmp_path / "store").glob("chapter-*.pkl")) \
        == ["example"] * 3
    manifest["tickers"]["NVDA"]["sha256"] = "c" * 64
    (cache / "manifest.json").write_text(json.dumps(manifest))
    assert kept() == {"day": "2025-01-27", "n": 4}


def test_the_artefact_store_is_not_a_chapters_input(tmp_path, monkeypatch):
    """A kernel listing the store (`prune`) or reading a result records nothing for it: the
    listing changes whenever another kernel adds a result, and a result's inputs are recorded
    when its key is computed. Prices and facts read beside it are still inputs."""
    from deepshock.book import deps

    root, cache, store = tmp_path / "book", tmp_path / "book" / ".cache" / "market-data", \
        tmp_path / "book" / ".cache" / "artefacts"
    bases = [("store", str(store)), ("cache", str(cache)), ("root", str(root))]
    assert deps._classify(str(store), "dir", bases) is None
    assert deps._classify(str(store / "chapter-x-123.pkl"), "file", bases) is None
    assert deps._classify(str(cache / "prices" / "NVDA.csv"), "file", bases) \
        == "file:cache:prices/NVDA.csv"
    assert deps._classify(str(root / "data" / "shares.csv"), "file", bases) \
        == "file:root:data/shares.csv"
    assert deps._classify(str(root / ".cache" / "other"), "file", bases) \
        == "file:root:.cache/other"


def test_a_chapters_own_result_is_computed_without_holding_a_lock(tmp_path, monkeypatch):
    """A shared result is made under its lock (a second kernel waits, then reads it); a
    chapter's one call holds none, so the shared results it needs are made under theirs."""
    from deepshock.data import artefacts, paths

    _store(tmp_path, monkeypatch)
    held = []

    def compute():
        held.append(paths._holding)
        return len(held)

    assert artefacts.keep("shared", compute) == 1
    assert artefacts.keep("own", compute, shared=False) == 2
    assert artefacts.keep("own", compute, shared=False) == 2          # read back
    assert held == [paths.fcntl is not None, False]
