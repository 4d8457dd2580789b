"""The cross-section panel as a second data product: synced with the prices into one version
directory, recorded in the manifest, loaded through `load.panel_returns`/`panel_members`, and
every bad input rejected with file, line (date) and column (ticker) while the last good cache
survives byte for byte. Bad cases edit copies of the made-up fixture in tests/fixtures/panel/."""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from deepshock.data import load, sync
from deepshock.data.validate import DataError
from tests.conftest import ROOT, panel_snapshot, raw_close, synced_cache
from tests.test_sync import tree

FIXTURE = ROOT / "tests" / "fixtures" / "panel"
SUBSET = ["NVDA", "^VIX"]  # real price files ending 2025-06-30, as the fixture does


@pytest.fixture
def snap(snapshot, tmp_path) -> Path:
    """A private snapshot: two real price files and the made-up four-ticker panel."""
    copy = tmp_path / "snapshot"
    panel_snapshot(snapshot, copy)
    return copy


@pytest.fixture
def good_cache(snap, tmp_path) -> Path:
    return synced_cache(snap, tmp_path, SUBSET)


@pytest.fixture(autouse=True)
def _fresh_loader():
    load._panel.cache_clear()
    load._panel_returns.cache_clear()
    yield
    load._panel.cache_clear()
    load._panel_returns.cache_clear()


def rows(path: Path) -> list[str]:
    return path.read_text().splitlines(keepends=True)


def set_cell(path: Path, day: str, column: str, value: str) -> int:
    """Set one cell of the row dated `day` (raw text edit); return its line number."""
    text = rows(path)
    header = text[0].rstrip("\n").split(",")
    n = next(i for i, line in enumerate(text, start=1) if line.startswith(day + ","))
    cells = text[n - 1].rstrip("\n").split(",")
    cells[header.index(column)] = value
    text[n - 1] = ",".join(cells) + "\n"
    path.write_text("".join(text))
    return n


# --- accepted ---------------------------------------------------------------------------------

def test_panel_is_synced_into_the_version_directory_and_the_manifest(snap, good_cache):
    entry = sync.read_manifest(good_cache)["panel"]
    for name in ("closes.csv", "members.csv"):
        raw = (snap / "panel" / name).read_bytes()
        assert entry["files"][name]["sha256"] == hashlib.sha256(raw).hexdigest()
        assert (good_cache / "panel" / name).read_bytes() == raw
    assert (entry["rows"], entry["tickers"]) == (10, 4)
    assert (entry["first"], entry["last"]) == ("2025-06-16", "2025-06-30")
    assert entry["members"] == {"etf": 1, "sp500": 3} and entry["late_listings"] == 1


def test_panel_returns_are_simple_returns_over_consecutive_sessions(good_cache):
    ret = load.panel_returns(root=good_cache)
    assert list(ret.columns) == ["AAA", "BBB", "CCC", "ETFX"]
    assert ret.index[0] == pd.Timestamp("2025-06-17") and len(ret) == 9
    assert ret.at[pd.Timestamp("2025-06-17"), "AAA"] == pytest.approx(10.5 / 10.0 - 1)
    # across the Juneteenth holiday: one return from 18 to 20 June, no zero on the 19th
    assert pd.Timestamp("2025-06-19") not in ret.index
    assert ret.at[pd.Timestamp("2025-06-20"), "ETFX"] == pytest.approx(52.0 / 50.5 - 1)
    # a late listing: no return until the session after its first close
    assert ret.loc[:"2025-06-20", "CCC"].isna().all()
    assert ret.at[pd.Timestamp("2025-06-23"), "CCC"] == pytest.approx(33.0 / 30.0 - 1)
    assert ret.drop(columns="CCC").notna().all().all()
    members = load.panel_members(root=good_cache)
    assert members["ticker"].tolist() == list(ret.columns)
    assert members.set_index("ticker").at["AAA", "name"] == "Made-up Alpha, Inc."
    assert members.set_index("ticker").at["ETFX", "kind"] == "etf"


def test_bom_crlf_and_reordered_columns_are_accepted(snap, good_cache):
    before = load.panel_returns(root=good_cache)
    load._panel.cache_clear()
    load._panel_returns.cache_clear()
    for name in ("closes.csv", "members.csv"):
        path = snap / "panel" / name
        table = pd.read_csv(path, dtype=str, keep_default_na=False)
        table = table[list(reversed(table.columns))]
        path.write_bytes(b"\xef\xbb\xbf" + table.to_csv(index=False, lineterminator="\r\n").encode())
    manifest = sync.sync_snapshot(snap, target=good_cache, tickers=SUBSET)
    assert (good_cache / "panel" / "closes.csv").read_bytes() == (
        snap / "panel" / "closes.csv").read_bytes()
    assert manifest["panel"]["rows"] == 10
    pd.testing.assert_frame_equal(load.panel_returns(root=good_cache), before)


def test_unchanged_panel_is_not_revalidated_but_a_changed_one_is(snap, good_cache):
    before = tree(good_cache)
    sync.sync_snapshot(snap, target=good_cache, tickers=SUBSET)
    assert tree(good_cache) == before
    path = snap / "panel" / "members.csv"
    path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))  # same members, other bytes
    changed = sync.sync_snapshot(snap, target=good_cache, tickers=SUBSET)
    assert os.readlink(good_cache) != before[0]
    assert changed["panel"]["files"]["members.csv"]["sha256"] == hashlib.sha256(
        path.read_bytes()).hexdigest()


def test_a_price_only_refresh_keeps_the_installed_panel(snap, good_cache):
    """`write_cache` without a panel argument (the yfinance path) carries the panel over."""
    from deepshock.data.validate import read_price_csv
    panel_before = sync.read_manifest(good_cache)["panel"]
    files = {t: snap / "prices" / name for t, name in (("NVDA", "NVDA.csv"),
                                                       ("^VIX", "INDEX_VIX.csv"))}
    manifest = sync.write_cache({t: read_price_csv(p) for t, p in files.items()}, "test", {},
                                target=good_cache, files=files)
    assert manifest["panel"] == panel_before
    assert (good_cache / "panel" / "closes.csv").read_bytes() == (
        FIXTURE / "closes.csv").read_bytes()


def test_a_snapshot_without_panel_gives_a_cache_without_one(snap, good_cache):
    shutil.rmtree(snap / "panel")
    manifest = sync.sync_snapshot(snap, target=good_cache, tickers=SUBSET)
    assert manifest["panel"] is None and not (good_cache / "panel").exists()
    with pytest.raises(DataError, match="no cross-section panel in the synced cache"):
        load.panel_returns(root=good_cache)


def test_a_cached_panel_altered_after_the_sync_is_refused_by_the_loader(good_cache):
    cached = good_cache / "panel" / "closes.csv"
    cached.write_bytes(cached.read_bytes().replace(b"13.5", b"14.5", 1))
    with pytest.raises(DataError, match=r"panel/closes\.csv: changed since it was validated"):
        load.panel_returns(root=good_cache)


# --- rejected, and the last good cache survives -----------------------------------------------
# Each case returns (file, line, row key (date or ticker), column, problem).

def _duplicate_date(snap):
    n = set_cell(snap / "panel" / "closes.csv", "2025-06-18", "date", "2025-06-17")
    return "closes.csv", n, "2025-06-17", "date", "duplicated date"


def _duplicate_ticker_column(snap):
    path = snap / "panel" / "closes.csv"
    path.write_text(path.read_text().replace("date,AAA,BBB,CCC,ETFX", "date,AAA,BBB,AAA,ETFX"))
    return "closes.csv", 1, None, "AAA", "duplicated column"


def _unsorted_dates(snap):
    path = snap / "panel" / "closes.csv"
    text = rows(path)
    text[5], text[6] = text[6], text[5]  # 24 June before 23 June
    path.write_text("".join(text))
    return "closes.csv", 7, "2025-06-23", "date", "dates not sorted"


def _not_a_session(snap):
    path = snap / "panel" / "closes.csv"
    text = rows(path)
    text.insert(4, "2025-06-19," + text[3].split(",", 1)[1])  # a filled Juneteenth row
    path.write_text("".join(text))
    return "closes.csv", 5, "2025-06-19", "date", "not a XNYS session"


def _missing_session(snap):
    path = snap / "panel" / "closes.csv"
    text = rows(path)
    del text[6]  # 24 June
    path.write_text("".join(text))
    return "closes.csv", 7, "2025-06-25", "date", "session 2025-06-24 before this row is missing"


def _bad_date(snap):
    n = set_cell(snap / "panel" / "closes.csv", "2025-06-20", "date", "06/20/2025")
    return "closes.csv", n, None, "date", "'06/20/2025' is not a YYYY-MM-DD date"


def _non_numeric(snap):
    n = set_cell(snap / "panel" / "closes.csv", "2025-06-24", "BBB", "#N/A")
    return "closes.csv", n, "2025-06-24", "BBB", "non-numeric close '#N/A'"


def _zero_close(snap):
    n = set_cell(snap / "panel" / "closes.csv", "2025-06-25", "AAA", "0")
    return "closes.csv", n, "2025-06-25", "AAA", "non-positive close '0'"


def _negative_close(snap):
    n = set_cell(snap / "panel" / "closes.csv", "2025-06-26", "ETFX", "-55.0")
    return "closes.csv", n, "2025-06-26", "ETFX", "non-positive close '-55.0'"


def _interior_gap(snap):
    n = set_cell(snap / "panel" / "closes.csv", "2025-06-24", "AAA", "")
    return "closes.csv", n, "2025-06-24", "AAA", "empty close after the ticker's first close"


def _trailing_gap(snap):
    n = set_cell(snap / "panel" / "closes.csv", "2025-06-30", "BBB", "")
    return "closes.csv", n, "2025-06-30", "BBB", "empty close after the ticker's first close"


def _column_without_any_close(snap):
    path = snap / "panel" / "closes.csv"
    table = pd.read_csv(path, dtype=str, keep_default_na=False).assign(CCC="")
    table.to_csv(path, index=False, lineterminator="\n")
    return "closes.csv", 1, None, "CCC", "no close on any row"


def _member_without_column(snap):
    path = snap / "panel" / "members.csv"
    path.write_text(path.read_text() + "DDD,sp500,Made-up Delta,Energy,Oil & Gas\n")
    return "members.csv", 6, "DDD", "ticker", "member 'DDD' has no price column in closes.csv"


def _column_without_member(snap):
    path = snap / "panel" / "members.csv"
    path.write_text("".join(r for r in rows(path) if not r.startswith("ETFX,")))
    return "closes.csv", 1, None, "ETFX", "price column without a member row in members.csv"


def _duplicate_member(snap):
    path = snap / "panel" / "members.csv"
    path.write_text(path.read_text() + "BBB,sp500,Made-up Beta again,Utilities,Utilities\n")
    return "members.csv", 6, "BBB", "ticker", "duplicated ticker 'BBB'"


def _unknown_kind(snap):
    path = snap / "panel" / "members.csv"
    path.write_text(path.read_text().replace("ETFX,etf,", "ETFX,fund,"))
    return "members.csv", 5, "ETFX", "kind", "kind not one of ['etf', 'sp500'] 'fund'"


def _empty_closes(snap):
    (snap / "panel" / "closes.csv").write_text("")
    return "closes.csv", None, None, None, "empty file (no header)"


def _header_only_members(snap):
    path = snap / "panel" / "members.csv"
    path.write_text(rows(path)[0])
    return "members.csv", None, None, None, "no rows (header only)"


def _truncated_rows(snap):
    path = snap / "panel" / "closes.csv"
    path.write_text("".join(rows(path)[:-2]))  # the last two sessions lost
    return "closes.csv", 9, "2025-06-26", "date", "the price files run to 2025-06-30"


def _ragged_last_line(snap):
    path = snap / "panel" / "closes.csv"
    raw = path.read_bytes()
    path.write_bytes(raw[:raw.rindex(b",", 0, raw.rindex(b",") - 1) - 2])  # cut mid-row
    return "closes.csv", 11, "2025-06-30", "CCC", "3 fields, header has 5 (truncated file?)"


def _not_utf8_closes(snap):
    path = snap / "panel" / "closes.csv"
    path.write_bytes(path.read_bytes().replace(b"2025-06-24,12.5", b"2025-06-24,12\xa05"))
    return "closes.csv", 7, "2025-06-24", "AAA", "not UTF-8 text"


def _not_utf8_members(snap):
    path = snap / "panel" / "members.csv"
    path.write_bytes(path.read_bytes().replace(b"Made-up Beta", b"Made-up B\xe9ta"))
    return "members.csv", 3, "BBB", "name", "not UTF-8 text"


CASES = {f.__name__[1:]: f for f in (
    _duplicate_date, _duplicate_ticker_column, _unsorted_dates, _not_a_session,
    _missing_session, _bad_date, _non_numeric, _zero_close, _negative_close, _interior_gap,
    _trailing_gap, _column_without_any_close, _member_without_column, _column_without_member,
    _duplicate_member, _unknown_kind, _empty_closes, _header_only_members, _truncated_rows,
    _ragged_last_line, _not_utf8_closes, _not_utf8_members)}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_panel_is_rejected_and_the_old_cache_survives(snap, good_cache, case):
    before = tree(good_cache)
    name, line, key, column, problem = CASES[case](snap)
    with pytest.raises(DataError) as info:
        sync.sync_snapshot(snap, target=good_cache, tickers=SUBSET)
    message = str(info.value)
    assert message.startswith(str(snap / "panel" / name) + ": "), message
    assert problem in message, message
    if line is not None:
        where = f": line {line}" + (f" ({key})" if key else "")
        assert where + (f": column {column}: " if column else ": ") in message, message
    assert tree(good_cache) == before


# --- the real snapshot's panel ----------------------------------------------------------------

def test_real_panel_manifest_matches_the_raw_files(snapshot, tmp_path):
    target = tmp_path / "market-data"
    manifest = sync.sync_snapshot(snapshot, target=target, tickers=["NVDA", "SPY"])
    entry = manifest["panel"]
    raw = pd.read_csv(snapshot / "panel" / "closes.csv", dtype={"date": str})
    members = pd.read_csv(snapshot / "panel" / "members.csv", dtype=str)
    assert (entry["rows"], entry["tickers"]) == (len(raw), raw.shape[1] - 1) == (624, 511)
    assert (entry["first"], entry["last"]) == (raw["date"].min(), raw["date"].max())
    assert entry["members"] == members["kind"].value_counts().to_dict() == {"sp500": 490,
                                                                             "etf": 21}
    for name in ("closes.csv", "members.csv"):
        digest = hashlib.sha256((snapshot / "panel" / name).read_bytes()).hexdigest()
        assert entry["files"][name]["sha256"] == digest
    ret = load.panel_returns(root=target)
    assert ret.shape == (623, 511) and list(ret.columns) == sorted(raw.columns[1:])
    # the panel's adjusted closes against the per-ticker file (as-traded) on 27 Jan 2025
    close = raw_close("NVDA.csv")
    own = close["2025-01-27"] / close["2025-01-24"] - 1
    assert ret.at[pd.Timestamp("2025-01-27"), "NVDA"] == pytest.approx(own, abs=1e-4)
    leading = ret.isna().cumprod().astype(bool)
    assert (ret.isna() == leading).all().all()  # NaN only before a listing
    assert int(np.isfinite(ret.to_numpy()).sum()) == ret.size - int(leading.to_numpy().sum())


def test_every_panel_case_is_in_the_data_chapters_catalogue():
    """The catalogue in chapters/data.md names each case above and only tests that exist."""
    import re
    text = (ROOT / "chapters" / "data.md").read_text(encoding="utf-8")
    rows = [line for line in text.splitlines() if "`test_panel::" in line]
    named = {case for line in rows for case in re.findall(r"…\[(\w+)\]", line)}
    assert named == set(CASES)
    tests = {name for line in rows for name in re.findall(r"`test_panel::(test_\w+)`", line)}
    assert tests and tests <= {name for name in globals() if name.startswith("test_")}
