"""The data vintage (`data/vintage.csv`): hashes and counts of the data the book was checked
with. Built here from a private snapshot copy, then one price or panel file is altered: the
difference is reported by ticker and date, one inside the frozen event window stops the sync,
and the cache stays exactly as it was."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from deepshock.data import cli, vintage
from deepshock.data.validate import DataError
from tests.conftest import small_book
from tests.test_sync import edit, lines, tree

SUBSET = {"NVDA": "NVDA.csv", "ARM": "ARM.csv", "^GSPC": "INDEX_GSPC.csv", "^VIX": "INDEX_VIX.csv"}


@pytest.fixture
def book(tmp_path, monkeypatch) -> Path:
    small_book(tmp_path, monkeypatch, SUBSET)
    monkeypatch.setenv("DEEPSHOCK_CACHE", str(tmp_path / "cache" / "market-data"))
    return tmp_path


@pytest.fixture
def snap(snapshot, book) -> Path:
    copy = book / "snapshot"
    (copy / "prices").mkdir(parents=True)
    for name in ("PROVENANCE.md", "manifest.csv"):
        shutil.copyfile(snapshot / name, copy / name)
    for name in SUBSET.values():
        shutil.copyfile(snapshot / "prices" / name, copy / "prices" / name)
    if (snapshot / "panel").is_dir():
        shutil.copytree(snapshot / "panel", copy / "panel")
    vintage.write(vintage.build(copy))
    return copy


@pytest.fixture
def cache(snap, book) -> Path:
    assert cli.main(["--snapshot", str(snap)]) == 0
    return book / "cache" / "market-data"


def bump_volume(path: Path, day: str) -> None:
    """A real-looking revision that every validator accepts: one more share traded."""
    header = lines(path)[0].strip().split(",")
    row = next(r for r in lines(path) if r.startswith(day + ","))
    volume = row.rstrip("\n").split(",")[header.index("volume")]
    edit(path, day, volume=str(int(float(volume)) + 1))


def test_the_vintage_holds_hashes_and_counts_not_prices(snap, book):
    table = pd.read_csv(book / "data" / "vintage.csv", dtype=str, keep_default_na=False)
    assert list(table.columns) == vintage.COLUMNS
    assert (table["source"] != "").all()
    files = table[(table["product"] == "prices") & (table["period"] == "file")]
    raw = pd.read_csv(snap / "prices" / "NVDA.csv", dtype=str)
    nvda = files.set_index("ticker").loc["NVDA"]
    assert (int(nvda["rows"]), nvda["first"], nvda["last"]) == \
        (len(raw), raw["date"].iloc[0], raw["date"].iloc[-1])
    import hashlib
    assert nvda["sha256"] == hashlib.sha256((snap / "prices" / "NVDA.csv").read_bytes()).hexdigest()
    days = table[(table["ticker"] == "NVDA") & (table["period"].str.len() == 10)]["period"]
    assert days.min() >= vintage.EVENT_WINDOW[0] and days.max() <= vintage.EVENT_WINDOW[1]
    assert len(days) == raw["date"].between(*vintage.EVENT_WINDOW).sum()  # one per session
    numbers = set(raw[["open", "close", "volume"]].to_numpy().ravel())
    assert not numbers & set(table.drop(columns="rows").to_numpy().ravel())  # no price leaks


def test_unchanged_and_harmlessly_reformatted_data_show_no_difference(snap, book, capsys):
    assert vintage.check_dir(snap).differences == []
    path = snap / "prices" / "ARM.csv"
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes().replace(b"\n", b"\r\n"))  # BOM, CRLF
    assert vintage.check_dir(snap).differences == []
    assert cli.main(["--snapshot", str(snap)]) == 0
    assert "against vintage.csv" not in capsys.readouterr().err


def test_a_revision_outside_the_window_is_reported_by_ticker_and_month(cache, snap, capsys):
    bump_volume(snap / "prices" / "ARM.csv", "2024-03-01")
    check = vintage.check_dir(snap)
    assert check.differences == [("prices", "ARM", "2024-03", "values differ", False)]
    assert cli.main(["--snapshot", str(snap)]) == 0  # reported, installed
    err = capsys.readouterr().err
    assert "ARM: outside: 2024-03 (values differ)" in err


def test_a_revision_inside_the_window_stops_the_sync(cache, snap, capsys):
    before = tree(cache)
    bump_volume(snap / "prices" / "NVDA.csv", "2025-01-27")
    check = vintage.check_dir(snap)
    assert check.inside == [("prices", "NVDA", "2025-01-27", "values differ", True)]
    assert cli.main(["--snapshot", str(snap)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("data sync rejected, cache left unchanged: ")
    assert "NVDA: INSIDE the event window: 2025-01-27 (values differ)" in err
    assert f"python -m deepshock.data.vintage write --from {snap}" in err
    assert f"make vintage MARKET_DATA={snap}" in err
    assert tree(cache) == before  # the cache, byte for byte


def test_a_lost_session_inside_the_window_is_named(snap):
    path = snap / "prices" / "INDEX_VIX.csv"
    path.write_text("".join(r for r in lines(path) if not r.startswith("2025-01-28,")))
    check = vintage.check_dir(snap)
    assert ("prices", "^VIX", "2025-01-28", "rows gone", True) in check.inside
    assert any(line.startswith("^VIX: INSIDE the event window: 2025-01-28 (rows gone)")
               for line in check.lines())


def test_accepting_a_snapshot_rewrites_the_vintage(cache, snap, book, capsys):
    bump_volume(snap / "prices" / "NVDA.csv", "2025-01-27")
    assert cli.main(["--snapshot", str(snap)]) == 1
    assert vintage.main(["write", "--from", str(snap)]) == 0
    assert cli.main(["--snapshot", str(snap)]) == 0
    assert vintage.check_dir(book / "cache" / "market-data").differences == []


def test_write_from_the_cache_equals_the_snapshot_vintage(cache, snap, book):
    expected = vintage.read()
    assert vintage.main(["write"]) == 0  # default: the synced cache
    written = vintage.read()
    columns = [c for c in vintage.COLUMNS if c != "source"]
    pd.testing.assert_frame_equal(written[columns], expected[columns])


def test_a_panel_revision_is_reported_by_member_and_date(snap, cache):
    if not (snap / "panel" / "closes.csv").is_file():
        pytest.skip("no panel in this snapshot")
    before = tree(cache)
    closes = snap / "panel" / "closes.csv"
    rows = lines(closes)
    header = rows[0].strip().split(",")
    at = header.index("AAPL")

    def scale(day: str) -> None:
        n = next(i for i, r in enumerate(rows) if r.startswith(day + ","))
        cells = rows[n].rstrip("\r\n").split(",")
        cells[at] = repr(float(cells[at]) * 1.001)
        rows[n] = ",".join(cells) + "\n"
        closes.write_text("".join(rows))

    scale("2023-05-01")
    check = vintage.check_dir(snap)
    assert set(check.differences) == {("panel", "AAPL", "all", "values differ", False),
                                      ("panel", "*", "2023-05-01", "values differ", False)}
    scale("2025-01-27")
    check = vintage.check_dir(snap)
    assert ("panel", "AAPL", "window", "values differ", True) in check.inside
    assert ("panel", "*", "2025-01-27", "values differ", True) in check.inside
    assert cli.main(["--snapshot", str(snap)]) == 1
    assert tree(cache) == before


def test_no_vintage_is_said_not_silently_skipped(snap, book, capsys):
    (book / "data" / "vintage.csv").unlink()
    assert vintage.check_dir(snap) is None
    assert cli.main(["--snapshot", str(snap)]) == 0
    assert "no vintage.csv to check the data against" in capsys.readouterr().err


def test_a_broken_vintage_is_a_clear_error(book, snap):
    (book / "data" / "vintage.csv").write_text("product,ticker\nprices,NVDA\n")
    with pytest.raises(DataError, match=r"vintage\.csv: missing columns \['period'"):
        vintage.check_dir(snap)


def test_data_without_the_panel_or_some_tickers_is_noted_not_stopped(snap):
    shutil.rmtree(snap / "panel", ignore_errors=True)
    (snap / "prices" / "ARM.csv").unlink()
    check = vintage.check_dir(snap)
    assert check.differences == []
    assert "ARM: in the vintage, not in the data checked (not compared)" in check.notes
    if any(t == "panel" for t in vintage.read()["product"]):
        assert "the panel: in the vintage, not in the data checked (not compared)" in check.notes


def test_the_terminal_summary_counts_securities_and_dates_and_names_the_first():
    """`console.brief` on a hand-made check: lines up to the limit, else counts (hand-computed)."""
    from deepshock.data.console import brief
    check = vintage.Check(differences=[
        ("prices", "ARM", "2024-03", "values differ", False),
        ("prices", "ARM", "file", "10 rows 2024-01-02..2024-03-28 -> 9 rows", False),
        ("prices", "NVDA", "2025-01-27", "values differ", True),
        ("panel", "AAPL", "window", "values differ", True),
        ("panel", "MSFT", "all", "values differ", False),
        ("panel", "*", "2025-01-27", "values differ", True)], notes=["a note"])
    assert len(check.lines()) == 5 + 1
    assert brief(check, limit=6) == "; ".join(check.lines())
    assert brief(check) == (
        "differences in 4 securities (2 inside the event window): NVDA, panel AAPL, ARM, "
        "panel MSFT; on 1 date and 1 month (1 inside the event window), 2024-03..2025-01-27; "
        "1 file with other rows or another date range; 1 note")
    assert brief(check, limit=2).startswith(
        "differences in 4 securities (2 inside the event window): NVDA, panel AAPL and 2 more; ")
    only_notes = vintage.Check(notes=[f"note {i}" for i in range(7)])
    assert brief(only_notes) == "7 notes"
