"""Syncing the snapshot into a cache: the manifest against values computed from the raw files,
and every bad input rejected with file, line and problem while the last good cache survives
byte for byte. All caches live in tmp dirs (the `target=` parameter / DEEPSHOCK_CACHE)."""

from __future__ import annotations

import csv
import hashlib
import os
import shutil
from pathlib import Path

import pandas as pd
import pytest

from deepshock.data import cli, sync
from deepshock.data.validate import DataError
from tests.conftest import ROOT, SNAPSHOT, synced_cache

SUBSET = ["NVDA", "ARM", "^VIX"]
FILES = {"NVDA": "NVDA.csv", "ARM": "ARM.csv", "^VIX": "INDEX_VIX.csv"}


def tree(target: Path) -> tuple[str, dict[str, bytes], list[str]]:
    """The cache as bytes: where the symlink points, every file under it, the parent's entries."""
    version = target.resolve()
    files = {str(p.relative_to(version)): p.read_bytes() for p in sorted(version.rglob("*"))
             if p.is_file()}
    return os.readlink(target), files, sorted(p.name for p in target.parent.iterdir())


@pytest.fixture
def snap(snapshot, tmp_path) -> Path:
    """A private copy of the snapshot holding three tickers."""
    copy = tmp_path / "snapshot"
    (copy / "prices").mkdir(parents=True)
    for name in ("PROVENANCE.md", "manifest.csv"):
        shutil.copyfile(snapshot / name, copy / name)
    for name in FILES.values():
        shutil.copyfile(snapshot / "prices" / name, copy / "prices" / name)
    return copy


@pytest.fixture
def good_cache(snap, tmp_path) -> Path:
    return synced_cache(snap, tmp_path, SUBSET)


def lines(path: Path) -> list[str]:
    return path.read_text().splitlines(keepends=True)


def line_of(path: Path, date: str) -> int:
    return next(i for i, text in enumerate(lines(path), start=1) if text.startswith(date + ","))


def edit(path: Path, day: str, **fields: str) -> int:
    """Set cells of the row dated `day` (raw text edit); return its line number."""
    rows = lines(path)
    header = rows[0].strip().split(",")
    n = line_of(path, day)
    cells = rows[n - 1].rstrip("\n").split(",")
    for name, value in fields.items():
        cells[header.index(name)] = value
    rows[n - 1] = ",".join(cells) + "\n"
    path.write_text("".join(rows))
    return n


# --- the real snapshot -----------------------------------------------------------------------

@pytest.fixture(scope="module")
def real_sync(snapshot, tmp_path_factory) -> tuple[dict, Path]:
    """The whole snapshot synced once for the module's read-only checks: (manifest, cache)."""
    target = tmp_path_factory.mktemp("real") / "market-data"
    return sync.sync_snapshot(snapshot, target=target), target


def test_snapshot_manifest_matches_the_raw_files(snapshot, real_sync):
    manifest, target = real_sync
    with open(snapshot / "manifest.csv", newline="") as handle:
        conventions = {row["ticker"]: row["close_convention"] for row in csv.DictReader(handle)}
    universe = pd.read_csv(ROOT / "data" / "universe.csv", dtype=str)
    assert len(manifest["tickers"]) == 62 == len(universe)
    assert set(manifest["tickers"]) == set(universe["ticker"])
    for ticker, entry in manifest["tickers"].items():
        raw = snapshot / "prices" / entry["file"]
        frame = pd.read_csv(raw, dtype={"date": str})
        assert entry["rows"] == len(frame), ticker
        assert (entry["first"], entry["last"]) == (frame["date"].min(), frame["date"].max())
        assert entry["sha256"] == hashlib.sha256(raw.read_bytes()).hexdigest()
        assert entry["close_convention"] == conventions[ticker]
        assert (target / "prices" / entry["file"]).read_bytes() == raw.read_bytes()
    assert sync.read_manifest(target) == manifest
    assert manifest["ignored_files"] == []


def test_real_snapshot_passes_the_series_checks_with_its_known_quirks(real_sync):
    manifest, _ = real_sync
    counts = {t: e["anomalies"] for t, e in manifest["tickers"].items()}
    assert counts["ARM"]["documented_jumps"] == 1  # the +47.9% day of data/known_jumps.csv
    assert counts["000660.KS"]["stale_bars"] == 15 and counts["005930.KS"]["stale_bars"] == 13
    assert counts["JPY=X"]["close_outside_range"] == 84
    assert counts["2330.TW"]["missing_sessions"] > 0  # gaps stay gaps
    assert sum(c["documented_jumps"] for c in counts.values()) == 1


# --- deliberately accepted -------------------------------------------------------------------

def test_bom_crlf_and_reordered_header_are_installed_byte_for_byte(snap, good_cache):
    path = snap / "prices" / "NVDA.csv"
    table = pd.read_csv(path, dtype=str, keep_default_na=False)
    table = table[list(reversed(table.columns))]
    text = table.to_csv(index=False, lineterminator="\r\n")
    path.write_bytes(b"\xef\xbb\xbf" + text.encode())
    manifest = sync.sync_snapshot(snap, target=good_cache, tickers=SUBSET)
    assert (good_cache / "prices" / "NVDA.csv").read_bytes() == path.read_bytes()
    assert manifest["tickers"]["NVDA"]["rows"] == len(table)
    from deepshock.data.validate import read_price_csv
    original = read_price_csv(SNAPSHOT / "prices" / "NVDA.csv")
    pd.testing.assert_frame_equal(read_price_csv(good_cache / "prices" / "NVDA.csv"), original)


def test_file_of_an_unknown_ticker_is_ignored_and_listed(snap, good_cache):
    shutil.copyfile(snap / "prices" / "NVDA.csv", snap / "prices" / "XYZ.csv")
    manifest = sync.sync_snapshot(snap, target=good_cache, tickers=SUBSET)
    assert manifest["ignored_files"] == ["XYZ.csv"]
    assert "XYZ" not in manifest["tickers"]
    assert not (good_cache / "prices" / "XYZ.csv").exists()


# --- rejected, and the last good cache survives ----------------------------------------------

def _thousands(snap):
    n = edit(snap / "prices" / "NVDA.csv", "2025-01-27", close='"1,118.42"')
    return "NVDA.csv", n, "non-numeric close '1,118.42' (thousands separator?)"


def _date_format(snap):
    n = edit(snap / "prices" / "NVDA.csv", "2025-01-27", date="01/27/2025")
    return "NVDA.csv", n, "date '01/27/2025' is not YYYY-MM-DD"


def _future_date(snap):
    path = snap / "prices" / "NVDA.csv"
    last = lines(path)[-1].split(",", 1)[1]
    path.write_text("".join(lines(path)) + "2099-01-05," + last)
    return "NVDA.csv", len(lines(path)), "date 2099-01-05 is in the future"


def _missing_column(snap):
    path = snap / "prices" / "ARM.csv"
    pd.read_csv(path, dtype=str, keep_default_na=False).drop(columns="volume").to_csv(
        path, index=False)
    return "ARM.csv", 1, "missing columns ['volume']"


def _duplicate_date(snap):
    n = edit(snap / "prices" / "NVDA.csv", "2025-01-28", date="2025-01-27")
    return "NVDA.csv", n, "duplicate date 2025-01-27"


def _unsorted(snap):
    n = edit(snap / "prices" / "NVDA.csv", "2025-01-28", date="2025-01-02")
    return "NVDA.csv", n, "dates not sorted"


def _non_positive(snap):
    n = edit(snap / "prices" / "INDEX_VIX.csv", "2025-01-27", low="0")
    return "INDEX_VIX.csv", n, "non-positive low 0.0"


def _high_below_low(snap):
    n = edit(snap / "prices" / "NVDA.csv", "2025-01-27", high="100")
    return "NVDA.csv", n, "high 100.0 below low"


def _non_numeric(snap):
    n = edit(snap / "prices" / "ARM.csv", "2025-01-27", close="#N/A")
    return "ARM.csv", n, "non-numeric close '#N/A'"


def _empty_file(snap):
    (snap / "prices" / "ARM.csv").write_text("")
    return "ARM.csv", None, "empty file (no header)"


def _not_utf8(snap):
    path = snap / "prices" / "ARM.csv"
    path.write_bytes(path.read_bytes().replace(b"2025-01-27", b"2025\xa001-27"))
    return "ARM.csv", None, "not UTF-8 text"


def _holiday_bar(snap):
    path = snap / "prices" / "NVDA.csv"
    rows = lines(path)
    n = line_of(path, "2025-01-21")
    rows.insert(n - 1, "2025-01-20," + rows[n - 2].split(",", 1)[1])  # a filled MLK-day row
    path.write_text("".join(rows))
    return "NVDA.csv", n, "2025-01-20 is not a XNYS session"


def _unadjusted_split(snap):
    path = snap / "prices" / "NVDA.csv"
    frame = pd.read_csv(path, dtype={"date": str})
    before = frame["date"] < "2024-06-10"
    for column in ("open", "high", "low", "close"):
        frame.loc[before, column] = frame.loc[before, column] * 10  # NVDA split 10:1 undone
    frame.to_csv(path, index=False)
    close = frame.set_index("date")["close"]
    move = (close["2024-06-10"] / close["2024-06-07"] - 1) * 100
    return "NVDA.csv", line_of(path, "2024-06-10"), f"close moves {move:+.1f}% on 2024-06-10"


def _universe_ticker_without_file(snap):
    (snap / "prices" / "ARM.csv").unlink()
    universe = pd.read_csv(ROOT / "data" / "universe.csv", dtype=str)
    row = int(universe.index[universe["ticker"] == "ARM"][0]) + 2
    return "ARM.csv", None, f"missing price file for 'ARM' (listed in universe.csv line {row})"


CASES = {f.__name__[1:]: f for f in (
    _thousands, _date_format, _future_date, _missing_column, _duplicate_date, _unsorted,
    _non_positive, _high_below_low, _non_numeric, _empty_file, _not_utf8, _holiday_bar,
    _unadjusted_split, _universe_ticker_without_file)}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_snapshot_is_rejected_and_the_old_cache_survives(snap, good_cache, case):
    before = tree(good_cache)
    name, line, problem = CASES[case](snap)
    with pytest.raises(DataError) as info:
        sync.sync_snapshot(snap, target=good_cache, tickers=SUBSET)
    message = str(info.value)
    assert message.startswith(str(snap / "prices" / name) + ": ")
    assert problem in message
    if line is not None:
        assert f": line {line}: " in message
    assert tree(good_cache) == before


def test_command_line_rejection_leaves_the_cache(snap, good_cache, monkeypatch, capsys):
    """`make data` on the three-file snapshot: the universe's other tickers have no file."""
    monkeypatch.setenv("DEEPSHOCK_CACHE", str(good_cache))
    before = tree(good_cache)
    assert cli.main(["--snapshot", str(snap)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("data sync rejected, cache left unchanged: ")
    assert "AVGO.csv: missing price file for 'AVGO' (listed in universe.csv line 3)" in err
    assert tree(good_cache) == before


def test_snapshot_without_prices_dir_is_rejected(tmp_path, good_cache):
    before = tree(good_cache)
    with pytest.raises(DataError, match="snapshot has no prices/ directory"):
        sync.sync_snapshot(tmp_path / "nowhere", target=good_cache)
    assert tree(good_cache) == before


def test_undocumented_jump_is_rejected(snap, good_cache, tmp_path, monkeypatch):
    """Without its row in known_jumps.csv, ARM's real +47.9% day stops the sync."""
    root = tmp_path / "book"
    shutil.copytree(ROOT / "data", root / "data")
    jumps = pd.read_csv(root / "data" / "known_jumps.csv", dtype=str)
    jumps[jumps["ticker"] != "ARM"].to_csv(root / "data" / "known_jumps.csv", index=False)
    monkeypatch.setenv("DEEPSHOCK_ROOT", str(root))
    before = tree(good_cache)
    with pytest.raises(DataError) as info:
        sync.sync_snapshot(snap, target=good_cache, tickers=SUBSET)
    path = snap / "prices" / "ARM.csv"
    assert str(info.value).startswith(f"{path}: line {line_of(path, '2024-02-08')}: "
                                      f"close moves +47.9% on 2024-02-08")
    assert tree(good_cache) == before


def test_unchanged_snapshot_is_not_revalidated_but_a_changed_one_is(snap, good_cache):
    before = tree(good_cache)
    again = sync.sync_snapshot(snap, target=good_cache, tickers=SUBSET)
    assert tree(good_cache) == before  # same version directory, same bytes: nothing re-installed
    assert again["tickers"]["NVDA"]["sha256"] == hashlib.sha256(
        (snap / "prices" / "NVDA.csv").read_bytes()).hexdigest()
    path = snap / "prices" / "ARM.csv"
    path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))  # same prices, other bytes
    changed = sync.sync_snapshot(snap, target=good_cache, tickers=SUBSET)
    assert os.readlink(good_cache) != before[0]
    assert changed["tickers"]["ARM"]["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_cached_file_altered_after_the_sync_is_refused_by_the_loader(good_cache):
    from deepshock.data import load
    cached = good_cache / "prices" / "NVDA.csv"
    assert load.prices("NVDA", root=good_cache)["close"].notna().all()
    load.clear()
    cached.write_bytes(cached.read_bytes().replace(b"2025-01-27,", b"2025-01-27 ,", 1))
    with pytest.raises(DataError, match=r"NVDA\.csv: changed since it was validated"):
        load.prices("NVDA", root=good_cache)
    load.clear()
