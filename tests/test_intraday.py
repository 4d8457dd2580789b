"""The intraday product: the real files pass and install with a manifest checked against plain
pandas; each bad input is rejected with its exact message (file, line, timestamp as written,
column) while the last good cache survives byte for byte; the time zones are pinned on real rows;
INTRADAY.md's checks against the daily data are redone; a build without the folder (yfinance)
says so; the vintage records the files and stops a change inside the event window."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest

from deepshock.data import cli, intraday, sync, vintage
from deepshock.data.intraday_files import Spec, read
from deepshock.data.validate import DataError
from tests.conftest import ROOT, raw_close, small_book, synced_cache
from tests.test_sync import tree

SUBSET = ["NVDA", "^VIX"]
FOLDER = "intraday"


@pytest.fixture(scope="module")
def pristine(snapshot, tmp_path_factory) -> Path:
    """Once per module: a private snapshot (two price files and the real intraday folder) and
    the cache synced from it; tests work on copies. Derived files go to a private store."""
    if not (snapshot / FOLDER).is_dir():
        pytest.skip("no intraday folder in this snapshot")
    root = tmp_path_factory.mktemp("intraday")
    copy = root / "snapshot"
    (copy / "prices").mkdir(parents=True)
    for name in ("PROVENANCE.md", "manifest.csv"):
        shutil.copyfile(snapshot / name, copy / name)
    for name in ("NVDA.csv", "INDEX_VIX.csv", "INDEX_GSPC.csv", "ARM.csv"):
        shutil.copyfile(snapshot / "prices" / name, copy / "prices" / name)
    shutil.copytree(snapshot / FOLDER, copy / FOLDER)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DEEPSHOCK_ARTEFACTS", str(root / "artefacts"))
        synced_cache(copy, root, SUBSET)
        yield root


@pytest.fixture(autouse=True)
def _fresh_loader(pristine, monkeypatch):
    monkeypatch.setenv("DEEPSHOCK_ARTEFACTS", str(pristine / "artefacts"))
    intraday.clear()
    yield
    intraday.clear()


@pytest.fixture
def snap(pristine, tmp_path) -> Path:
    return Path(shutil.copytree(pristine / "snapshot", tmp_path / "snapshot"))


@pytest.fixture
def good_cache(pristine, tmp_path) -> Path:
    """A copy of the synced cache (its link and version directory)."""
    shutil.copytree(pristine / "cache", tmp_path / "cache", symlinks=True)
    return tmp_path / "cache" / "market-data"


def raw_lines(path: Path) -> list[str]:
    return path.read_text().splitlines(keepends=True)


def line_no(path: Path, text: str) -> int:
    return next(i for i, line in enumerate(raw_lines(path), start=1) if text in line)


def replace_line(path: Path, n: int, new: str) -> None:
    lines = raw_lines(path)
    lines[n - 1] = new
    path.write_text("".join(lines))


# --- the real files -------------------------------------------------------------------------------

def plain(snapshot: Path, name: str) -> pd.DataFrame:
    """A file's bars by plain pandas (the oracle): local or UTC stamps as written, and values."""
    path = snapshot / FOLDER / name
    if name.startswith("SPXUSD"):
        return pd.read_csv(path, sep=";", header=None, dtype={0: str},
                           names=["stamp", "open", "high", "low", "close", "volume"])
    if name.endswith(".json"):
        series = json.loads(path.read_text())["Time Series (5min)"]
        frame = pd.DataFrame(series).T.astype(float)
        frame.columns = ["open", "high", "low", "close", "volume"]
        return frame.rename_axis("stamp").reset_index()
    return pd.read_csv(path).rename(columns={"ts_event": "stamp"})


def test_real_manifest_matches_the_raw_files(snapshot, good_cache):
    entry = sync.read_manifest(good_cache)["intraday"]
    assert entry["available"] is True and set(entry["files"]) == {s.file for s in intraday.SPECS}
    firsts = {"SPXUSD_M1_202501.csv": "2025-01-01T23:00:00Z",  # 18:00 EST + 5 h
              "SPY_5min_202501.json": "2025-01-02T09:00:00Z",  # 04:00 EST + 5 h
              "NVDA_1h_venues.csv": "2023-03-28T12:00:00Z"}     # as written, UTC
    for name, recorded in entry["files"].items():
        path = snapshot / FOLDER / name
        frame = plain(snapshot, name)
        assert recorded["rows"] == len(frame), name
        assert recorded["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
        assert (good_cache / FOLDER / name).read_bytes() == path.read_bytes()
        if name in firsts:
            assert recorded["first"] == firsts[name]
    counts = {name: e["rows"] for name, e in entry["files"].items()}
    assert counts == {"SPXUSD_M1_202501.csv": 28592, "SPXUSD_M1_202502.csv": 26184,
                      "NVDA_1h_venues.csv": 18125, "NVDA_1h_regular.csv": 3988,
                      "SPY_5min_202501.json": 3860, "SPY_5min_202502.json": 3667}
    assert entry["provenance_sha256"] == hashlib.sha256(
        (snapshot / FOLDER / "INTRADAY.md").read_bytes()).hexdigest()


def test_time_zones_are_converted_once_to_utc_on_real_rows(snapshot, good_cache):
    cfd = plain(snapshot, "SPXUSD_M1_202501.csv").set_index("stamp")
    row = cfd.loc["20250126 180000"]  # Sunday 18:00 EST, the reopening: 23:00 UTC
    bars = intraday.bars("SPXUSD", root=good_cache).set_index("ts")
    got = bars.loc[pd.Timestamp("2025-01-26 23:00", tz="UTC")]
    assert (got["open"], got["close"]) == (row["open"], row["close"])
    assert got["end"] == pd.Timestamp("2025-01-26 23:01", tz="UTC")
    spy = plain(snapshot, "SPY_5min_202501.json").set_index("stamp")
    row = spy.loc["2025-01-27 09:30:00"]  # the opening bar, EST in January: 14:30 UTC
    got = intraday.bars("SPY", root=good_cache).set_index("ts").loc[
        pd.Timestamp("2025-01-27 14:30", tz="UTC")]
    assert (got["open"], got["close"], got["end"]) == (
        row["open"], row["close"], pd.Timestamp("2025-01-27 14:35", tz="UTC"))
    nvda = plain(snapshot, "NVDA_1h_regular.csv").set_index("stamp")
    row = nvda.loc["2025-01-27 14:00:00+00:00"]  # already UTC
    got = intraday.bars("NVDA", root=good_cache).set_index("ts").loc[
        pd.Timestamp("2025-01-27 14:00", tz="UTC")]
    assert (got["open"], got["close"]) == (row["open"], row["close"])
    venues = intraday.bars("NVDA", venues=True, root=good_cache)
    raw = plain(snapshot, "NVDA_1h_venues.csv")
    assert len(venues) == len(raw) and set(venues["venue"]) == set(raw["publisher_id"])
    for name in ("SPXUSD", "NVDA", "SPY"):
        frame = intraday.bars(name, root=good_cache)
        assert list(frame.columns) == intraday.COLUMNS
        assert str(frame["ts"].dt.tz) == "UTC" and frame["ts"].is_monotonic_increasing


def test_daylight_saving_is_applied_to_alpha_vantage_times(tmp_path):
    """A made-up July file: 09:30 New York time is 13:30 UTC in summer (EDT), not 14:30."""
    bar = {"1. open": "1.0", "2. high": "2.0", "3. low": "1.0", "4. close": "1.5",
           "5. volume": "10"}
    doc = {"Meta Data": {"2. Symbol": "SPY", "4. Interval": "5min", "6. Time Zone": "US/Eastern"},
           "Time Series (5min)": {"2025-07-01 09:35:00": bar, "2025-07-01 09:30:00": bar}}
    path = tmp_path / "SPY_5min_202507.json"
    path.write_text(json.dumps(doc, indent=4))
    spec = Spec(path.name, "SPY", "alphavantage", "US/Eastern", "5min", "04:00-20:00", "2025-07")
    assert read(path, spec)["ts"].tolist() == [pd.Timestamp("2025-07-01 13:35", tz="UTC"),
                                               pd.Timestamp("2025-07-01 13:30", tz="UTC")]


# --- INTRADAY.md's checks, redone ------------------------------------------------------------

def test_the_cfd_closes_at_the_index_close(snapshot, good_cache):
    """Friday 24 and Monday 27 January, the 15:59 EST bar against the S&P 500's close."""
    cfd = plain(snapshot, "SPXUSD_M1_202501.csv").set_index("stamp")["close"]
    index = raw_close("INDEX_GSPC.csv")
    for day, stamp in (("2025-01-24", "20250124 155900"), ("2025-01-27", "20250127 155900")):
        level = intraday.level_at("SPXUSD", pd.Timestamp(f"{day} 21:00", tz="UTC"),
                                  root=good_cache)
        assert level == cfd[stamp]  # the bar 20:59-21:00 UTC
        assert abs(level / index[day] - 1) < 0.001
    cfd_move = cfd["20250127 155900"] / cfd["20250124 155900"] - 1
    index_move = index["2025-01-27"] / index["2025-01-24"] - 1
    assert round(cfd_move * 100, 2) == -1.41 and round(index_move * 100, 2) == -1.46


def test_spy_friday_to_monday_against_the_index(snapshot, good_cache):
    spy = plain(snapshot, "SPY_5min_202501.json").set_index("stamp")["close"]
    friday, monday = (intraday.level_at("SPY", pd.Timestamp(f"{d} 21:00", tz="UTC"),
                                        root=good_cache) for d in ("2025-01-24", "2025-01-27"))
    assert (friday, monday) == (spy["2025-01-24 15:55:00"], spy["2025-01-27 15:55:00"])
    index = raw_close("INDEX_GSPC.csv")
    move, index_move = monday / friday - 1, index["2025-01-27"] / index["2025-01-24"] - 1
    assert round(move * 100, 2) == -1.40
    assert abs(move - index_move) < 0.001


def test_nvidia_venues_against_the_official_close(snapshot, good_cache):
    venues = intraday.bars("NVDA", venues=True, root=good_cache).set_index("ts")
    official = raw_close("NVDA.csv")
    last = venues.loc[pd.Timestamp("2025-01-24 20:00", tz="UTC"), "close"]  # 15:00-16:00 NY
    assert (last.min(), last.max()) == (142.49, 142.63)
    assert abs(last.max() / official["2025-01-24"] - 1) < 0.001
    first = venues.loc[pd.Timestamp("2025-01-27 12:00", tz="UTC"), "open"]  # 07:00 NY
    assert (first.min(), first.max()) == (125.0, 125.59)
    assert round(first.max() / official["2025-01-24"] - 1, 2) == -0.12


# --- the loader ----------------------------------------------------------------------------------

def test_level_at_refuses_a_shut_market_and_a_naive_time(good_cache):
    saturday = pd.Timestamp("2025-01-25 12:00", tz="UTC")
    with pytest.raises(intraday.NoBar) as info:
        intraday.level_at("SPXUSD", saturday, root=good_cache)
    assert str(info.value) == ("SPXUSD: no bar ended within 0 days 00:05:00 before 2025-01-25 "
                               "12:00 UTC (the last ended 2025-01-24 21:15 UTC; the market was "
                               "shut or the data do not reach it)")
    # the same moment with a tolerance that spans the weekend: Friday's last bar (16:14 EST)
    assert intraday.level_at("SPXUSD", saturday, tolerance="1D", root=good_cache) == \
        intraday.bars("SPXUSD", root=good_cache).set_index("ts").at[
            pd.Timestamp("2025-01-24 21:14", tz="UTC"), "close"]
    with pytest.raises(ValueError, match="has no time zone"):
        intraday.level_at("SPY", pd.Timestamp("2025-01-27 15:00"), root=good_cache)
    with pytest.raises(KeyError, match="no intraday bars named 'QQQ'"):
        intraday.bars("QQQ", root=good_cache)
    with pytest.raises(KeyError, match="with venues"):
        intraday.bars("SPY", venues=True, root=good_cache)


def test_a_cached_file_altered_after_the_sync_is_refused(good_cache):
    path = good_cache / FOLDER / "SPY_5min_202501.json"
    path.write_bytes(path.read_bytes().replace(b"598.2433", b"598.2434", 1))
    with pytest.raises(DataError) as info:
        intraday.bars("SPY", root=good_cache)
    assert str(info.value) == (f"{path.resolve()}: changed since it was validated (sha256 "
                               "differs from manifest.json) — run `make data`")


def test_bars_are_copies_and_read_once(good_cache):
    first = intraday.bars("NVDA", root=good_cache)
    first.loc[0, "close"] = -1.0
    assert intraday.bars("NVDA", root=good_cache).loc[0, "close"] > 0


# --- without the product --------------------------------------------------------------------------

def test_a_snapshot_without_the_folder_gives_a_cache_without_intraday(snap, good_cache, capsys,
                                                                      monkeypatch):
    shutil.rmtree(snap / FOLDER)
    manifest = sync.sync_snapshot(snap, target=good_cache, tickers=SUBSET)
    assert manifest["intraday"] == {"available": False, "files": {},
                                    "note": intraday.NOT_IN_SNAPSHOT}
    assert not (good_cache / FOLDER).exists()
    assert intraday.available(root=good_cache) is False
    with pytest.raises(intraday.Missing) as info:
        intraday.bars("SPXUSD", root=good_cache)
    assert str(info.value) == (f"{good_cache.resolve() / 'manifest.json'}: no intraday bars in "
                               "the synced cache: not in the snapshot (it has no intraday/ "
                               "folder); sync from a snapshot with an intraday/ folder "
                               "(`make data`)")
    assert isinstance(info.value, LookupError) and isinstance(info.value, DataError)


@pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::pandas.errors.Pandas4Warning")
def test_a_yfinance_build_has_no_intraday_and_says_so(snapshot, tmp_path, monkeypatch, capsys):
    """`make data` without a snapshot (yfinance, offline here) installs no intraday files: the
    manifest and the command say why, the loader raises `Missing`, `available()` is False."""
    from deepshock.data import yahoo
    from tests.test_yahoo import TICKERS, Yahoo

    small_book(tmp_path, monkeypatch, TICKERS)
    (tmp_path / "data" / "vintage.csv").unlink()
    Yahoo(monkeypatch)
    target = tmp_path / "cache" / "market-data"
    monkeypatch.setenv("DEEPSHOCK_CACHE", str(target))
    manifest = yahoo.sync_yfinance(target=target, sleep=lambda s: None, progress=False)
    assert manifest["intraday"] == {"available": False, "files": {},
                                    "note": "not available from yfinance (it serves no 2025 "
                                            "minute bars)"}
    assert intraday.available() is False
    with pytest.raises(intraday.Missing, match="not available from yfinance"):
        intraday.level_at("SPXUSD", pd.Timestamp("2025-01-27 00:00", tz="UTC"))
    assert cli.main(["--yfinance"]) == 0
    assert "intraday: not available from yfinance" in capsys.readouterr().out
    assert intraday.available(root=tmp_path / "nowhere") is False  # no cache at all


def test_a_price_only_refresh_keeps_the_installed_intraday(snap, good_cache):
    """`write_cache` without an intraday argument (the yfinance refresh) carries the installed
    files over, checked again; a cache that never had them stays without."""
    from deepshock.data.validate import read_price_csv
    before = sync.read_manifest(good_cache)["intraday"]
    files = {t: snap / "prices" / name for t, name in (("NVDA", "NVDA.csv"),
                                                       ("^VIX", "INDEX_VIX.csv"))}
    manifest = sync.write_cache({t: read_price_csv(p) for t, p in files.items()},
                                "yfinance 1.7.0 download, auto_adjust=False", {},
                                target=good_cache, files=files)
    assert manifest["intraday"] == before
    assert (good_cache / FOLDER / "SPY_5min_202501.json").read_bytes() == (
        snap / FOLDER / "SPY_5min_202501.json").read_bytes()


def test_unchanged_intraday_is_not_revalidated_but_a_changed_one_is(snap, good_cache):
    sync.sync_snapshot(snap, target=good_cache, tickers=SUBSET)  # this snapshot's path
    version = os.readlink(good_cache)
    sync.sync_snapshot(snap, target=good_cache, tickers=SUBSET)
    assert os.readlink(good_cache) == version  # nothing written
    path = snap / FOLDER / "NVDA_1h_regular.csv"
    n = line_no(path, "2025-01-27 14:00:00+00:00")
    replace_line(path, n, raw_lines(path)[n - 1].replace(",2597347,", ",2597348,"))
    manifest = sync.sync_snapshot(snap, target=good_cache, tickers=SUBSET)
    assert os.readlink(good_cache) != version
    assert manifest["intraday"]["files"]["NVDA_1h_regular.csv"]["sha256"] == \
        hashlib.sha256(path.read_bytes()).hexdigest()


# --- rejected, and the last good cache survives ---------------------------------------------------
# Each case edits the private snapshot's copy of a real file and returns (file, the message after
# "<path>: ").

CFD, CFD2 = "SPXUSD_M1_202501.csv", "SPXUSD_M1_202502.csv"
VENUES, REGULAR = "NVDA_1h_venues.csv", "NVDA_1h_regular.csv"
SPY = "SPY_5min_202501.json"
EST_HOURS = "Sunday 18:00 to Friday 16:14 EST, break 16:15-17:59"


def cfd_row(snap: Path, at: str, name: str = CFD) -> tuple[Path, int, list[str]]:
    path = snap / FOLDER / name
    n = line_no(path, at + ";")
    return path, n, raw_lines(path)[n - 1].rstrip("\n").split(";")


def set_cfd(snap: Path, at: str, name: str = CFD, **fields: str) -> int:
    path, n, cells = cfd_row(snap, at, name)
    order = ["stamp", "open", "high", "low", "close", "volume"]
    for field, value in fields.items():
        cells[order.index(field)] = value
    replace_line(path, n, ";".join(cells) + "\n")
    return n


def _cfd_unparsable_timestamp(snap):
    n = set_cfd(snap, "20250102 100000", stamp="2025-01-02 100000")
    return CFD, (f"line {n} (2025-01-02 100000): column timestamp: not YYYYMMDD HHMMSS "
                 "(EST)")


def _cfd_non_numeric_price(snap):
    n = set_cfd(snap, "20250102 100000", high="n/a")
    return CFD, f"line {n} (20250102 100000): column high: non-numeric 'n/a'"


def _cfd_non_positive_price(snap):
    n = set_cfd(snap, "20250102 100000", low="-5923.120000")
    return CFD, f"line {n} (20250102 100000): column low: non-positive price -5923.120000"


def _cfd_high_below_low(snap):
    n = set_cfd(snap, "20250102 100000", high="5923.120000", low="5929.847000")
    return CFD, f"line {n} (20250102 100000): column high: high 5923.120000 below low 5929.847000"


def _cfd_close_outside_range(snap):
    n = set_cfd(snap, "20250102 100000", close="5930.000000")
    return CFD, (f"line {n} (20250102 100000): column close: close 5930.000000 outside "
                 "[low 5923.120000, high 5929.847000]")


def _cfd_duplicate_timestamp(snap):
    path, n, cells = cfd_row(snap, "20250102 100000")
    lines = raw_lines(path)
    lines.insert(n, lines[n - 1])
    path.write_text("".join(lines))
    return CFD, (f"line {n + 1} (20250102 100000): column timestamp: duplicate timestamp "
                 f"(first at line {n})")


def _cfd_unsorted(snap):
    path, n, _ = cfd_row(snap, "20250102 100000")
    lines = raw_lines(path)
    lines[n - 1], lines[n] = lines[n], lines[n - 1]  # 10:01 before 10:00
    path.write_text("".join(lines))
    return CFD, (f"line {n + 1} (20250102 100000): column timestamp: not sorted (oldest "
                 "first): the previous bar is 20250102 100100")


def _cfd_off_the_minute_grid(snap):
    n = set_cfd(snap, "20250102 100000", stamp="20250102 100030")
    return CFD, f"line {n} (20250102 100030): column timestamp: off the 1min grid"


def _cfd_bar_in_the_daily_break(snap):
    n = set_cfd(snap, "20250102 161400", stamp="20250102 170000")
    return CFD, (f"line {n} (20250102 170000): column timestamp: outside the file's hours "
                 f"({EST_HOURS}): Thu 17:00 EST")


def _cfd_bar_of_another_month(snap):
    n = set_cfd(snap, "20250202 180000", name=CFD2, stamp="20250130 180000")
    return CFD2, (f"line {n} (20250130 180000): column timestamp: outside the file's month "
                  "2025-02")


def _cfd_wrong_delimiter(snap):
    path = snap / FOLDER / CFD
    path.write_text(path.read_text().replace(";", ","))
    return CFD, ("line 1 (20250101 180000): 1 fields separated by ';', expected 6 (wrong "
                 "delimiter?)")


def _cfd_not_utf8(snap):
    path, n, _ = cfd_row(snap, "20250102 100000")
    raw = path.read_bytes()
    at = raw.index(b"20250102 100000;") + len(b"20250102 100000;")
    path.write_bytes(raw[:at] + b"\xff" + raw[at + 1:])
    return CFD, f"line {n}: not UTF-8 text (byte {at})"


def _cfd_empty_file(snap):
    (snap / FOLDER / CFD).write_text("")
    return CFD, "empty file"


def _nvda_missing_file(snap):
    (snap / FOLDER / REGULAR).unlink()
    return REGULAR, "missing intraday file"


def _nvda_not_utc(snap):
    path = snap / FOLDER / REGULAR
    n = line_no(path, "2025-01-27 14:00:00+00:00")
    replace_line(path, n, raw_lines(path)[n - 1].replace("+00:00", "-05:00"))
    return REGULAR, (f"line {n} (2025-01-27 14:00:00-05:00): column ts_event: not YYYY-MM-DD "
                     "HH:MM:SS+00:00 (UTC)")


def _nvda_wrong_header(snap):
    path = snap / FOLDER / REGULAR
    path.write_text(path.read_text().replace("ts_event,", "timestamp,", 1))
    return REGULAR, ("line 1: header ['timestamp', 'open', 'high', 'low', 'close', 'volume', "
                     "'vwap'], expected the columns ['ts_event', 'open', 'high', 'low', "
                     "'close', 'volume', 'vwap']")


def _nvda_wrong_delimiter(snap):
    path = snap / FOLDER / VENUES
    path.write_text(path.read_text().replace(",", ";"))
    return VENUES, ("line 1: header ['ts_event;rtype;publisher_id;instrument_id;open;high;low;"
                    "close;volume;symbol'], expected the columns ['ts_event', 'rtype', "
                    "'publisher_id', 'instrument_id', 'open', 'high', 'low', 'close', "
                    "'volume', 'symbol'] (wrong delimiter?)")


def _nvda_header_only(snap):
    path = snap / FOLDER / REGULAR
    path.write_text(raw_lines(path)[0])
    return REGULAR, "no bars (header only)"


def _nvda_ragged_row(snap):
    path = snap / FOLDER / REGULAR
    n = line_no(path, "2025-01-27 14:00:00+00:00")
    replace_line(path, n, "2025-01-27 14:00:00+00:00,126.94,128.39,123.66\n")
    return REGULAR, f"line {n} (2025-01-27 14:00:00+00:00): 4 fields, header has 7"


def _nvda_duplicate_venue_bar(snap):
    path = snap / FOLDER / VENUES
    n = line_no(path, "2025-01-27 14:00:00+00:00,34,41,")
    lines = raw_lines(path)
    lines.insert(n, lines[n - 1])
    path.write_text("".join(lines))
    return VENUES, (f"line {n + 1} (2025-01-27 14:00:00+00:00): column ts_event: duplicate "
                    f"timestamp for venue 41 (first at line {n})")


def _nvda_outside_regular_hours(snap):
    path = snap / FOLDER / REGULAR
    n = line_no(path, "2025-01-17 20:00:00+00:00")
    replace_line(path, n, raw_lines(path)[n - 1].replace("20:00:00", "21:00:00"))
    return REGULAR, (f"line {n} (2025-01-17 21:00:00+00:00): column ts_event: outside the "
                     "file's hours (14:00-20:00 UTC on NYSE sessions): Fri 21:00 UTC")


def _nvda_bar_on_a_weekend(snap):
    path = snap / FOLDER / REGULAR
    n = line_no(path, "2025-01-17 20:00:00+00:00")
    replace_line(path, n, raw_lines(path)[n - 1].replace("2025-01-17 20:00", "2025-01-18 14:00"))
    return REGULAR, (f"line {n} (2025-01-18 14:00:00+00:00): column ts_event: 2025-01-18 "
                     "(Saturday) is not an NYSE session")


def spy_line(snap: Path, key: str) -> tuple[Path, int]:
    path = snap / FOLDER / SPY
    return path, line_no(path, f'"{key}": {{')


def _spy_time_zone_not_stated(snap):
    path = snap / FOLDER / SPY
    path.write_text(path.read_text().replace('"US/Eastern"', '"UTC"'))
    return SPY, "key 'Meta Data': '6. Time Zone' is 'UTC', expected 'US/Eastern'"


def _spy_unparsable_key(snap):
    path, n = spy_line(snap, "2025-01-31 19:55:00")
    path.write_text(path.read_text().replace('"2025-01-31 19:55:00"', '"2025-01-31 7:55 PM"'))
    return SPY, (f"line {n} (2025-01-31 7:55 PM): column timestamp: not YYYY-MM-DD HH:MM:SS "
                 "(US/Eastern, an existing unambiguous time)")


def _spy_duplicate_key(snap):
    path, n = spy_line(snap, "2025-01-31 19:50:00")
    path.write_text(path.read_text().replace('"2025-01-31 19:50:00"', '"2025-01-31 19:55:00"'))
    return SPY, (f"line {n} (2025-01-31 19:55:00): column timestamp: duplicate timestamp "
                 f"(first at line {n - 7})")


def _spy_keys_not_newest_first(snap):
    path, n = spy_line(snap, "2025-01-31 19:50:00")
    text = path.read_text().replace('"2025-01-31 19:50:00"', '"SWAP"')
    text = text.replace('"2025-01-31 19:55:00"', '"2025-01-31 19:50:00"')
    path.write_text(text.replace('"SWAP"', '"2025-01-31 19:55:00"'))
    return SPY, (f"line {n} (2025-01-31 19:55:00): column timestamp: not sorted (newest "
                 "first, as Alpha Vantage publishes): the previous bar is 2025-01-31 19:50:00")


def _spy_non_numeric_price(snap):
    path, n = spy_line(snap, "2025-01-31 19:55:00")
    lines = raw_lines(path)
    lines[n + 1] = lines[n + 1].replace('"595.6885"', '"N/A"')  # its "2. high"
    path.write_text("".join(lines))
    return SPY, f"line {n} (2025-01-31 19:55:00): column 2. high: non-numeric 'N/A'"


def _spy_missing_field(snap):
    path, n = spy_line(snap, "2025-01-31 19:55:00")
    lines = raw_lines(path)
    del lines[n + 4]  # its "5. volume"
    lines[n + 3] = lines[n + 3].rstrip().rstrip(",") + "\n"
    path.write_text("".join(lines))
    return SPY, (f"line {n} (2025-01-31 19:55:00): fields ['1. open', '2. high', '3. low', "
                 "'4. close'], expected ['1. open', '2. high', '3. low', '4. close', "
                 "'5. volume']")


def _spy_outside_hours(snap):
    path, n = spy_line(snap, "2025-01-31 20:00:00")
    path.write_text(path.read_text().replace('"2025-01-31 20:00:00": {',
                                             '"2025-01-31 20:05:00": {'))
    return SPY, (f"line {n} (2025-01-31 20:05:00): column timestamp: outside the file's hours "
                 "(04:00-20:00 New York time on NYSE sessions): Fri 20:05 EST")


def _spy_not_json(snap):
    path = snap / FOLDER / SPY
    text = path.read_text()
    path.write_text(text[:len(text) // 2])
    try:
        json.loads(text[:len(text) // 2])
    except json.JSONDecodeError as exc:  # where the standard parser stops, and why
        return SPY, f"line {exc.lineno}: not JSON: {exc.msg}"
    raise AssertionError("half a JSON file parsed")


CASES = {f.__name__[1:]: f for f in (
    _cfd_unparsable_timestamp, _cfd_non_numeric_price, _cfd_non_positive_price,
    _cfd_high_below_low, _cfd_close_outside_range, _cfd_duplicate_timestamp, _cfd_unsorted,
    _cfd_off_the_minute_grid, _cfd_bar_in_the_daily_break, _cfd_bar_of_another_month,
    _cfd_wrong_delimiter, _cfd_not_utf8, _cfd_empty_file, _nvda_missing_file, _nvda_not_utc,
    _nvda_wrong_header, _nvda_wrong_delimiter, _nvda_header_only, _nvda_ragged_row,
    _nvda_duplicate_venue_bar, _nvda_outside_regular_hours, _nvda_bar_on_a_weekend,
    _spy_time_zone_not_stated, _spy_unparsable_key, _spy_duplicate_key,
    _spy_keys_not_newest_first, _spy_non_numeric_price, _spy_missing_field, _spy_outside_hours,
    _spy_not_json)}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_intraday_file_is_rejected_and_the_old_cache_survives(snap, good_cache, case):
    before = tree(good_cache)
    name, problem = CASES[case](snap)
    with pytest.raises(DataError) as info:
        sync.sync_snapshot(snap, target=good_cache, tickers=SUBSET)
    assert str(info.value) == f"{snap / FOLDER / name}: {problem}"
    assert tree(good_cache) == before


def test_every_intraday_case_is_in_the_data_chapters_catalogue():
    """The catalogue in chapters/data.md names each case above and only tests that exist."""
    text = (ROOT / "chapters" / "data.md").read_text(encoding="utf-8")
    rows = [line for line in text.splitlines() if "`test_intraday::" in line]
    named = {case for line in rows for case in re.findall(r"…\[(\w+)\]", line)}
    assert named == set(CASES)
    tests = {name for line in rows for name in re.findall(r"`test_intraday::(test_\w+)`", line)}
    assert tests and tests <= {name for name in globals() if name.startswith("test_")}


# --- the vintage ------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def vbook_made(pristine, tmp_path_factory) -> Path:
    """Once per module: a book whose universe is SUBSET, a benchmark and a known jump's ticker,
    with a vintage written from a copy of the private snapshot and a cache synced from it by
    the command line (`vbook` hands each test a copy)."""
    made = tmp_path_factory.mktemp("vbook")
    snap = Path(shutil.copytree(pristine / "snapshot", made / "snapshot"))
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DEEPSHOCK_ARTEFACTS", str(pristine / "artefacts"))
        root = small_book(made / "book", patch, [*SUBSET, "^GSPC", "ARM"])
        patch.setenv("DEEPSHOCK_CACHE", str(root / "cache" / "market-data"))
        vintage.write(vintage.build(snap))
        assert cli.main(["--snapshot", str(snap)]) == 0
    return root


@pytest.fixture
def vbook(snap, vbook_made, tmp_path, monkeypatch) -> Path:
    """A copy of the module's book (`vbook_made`: its vintage and the cache synced from the
    same snapshot bytes as `snap`), read instead of the real one."""
    root = Path(shutil.copytree(vbook_made, tmp_path / "book", symlinks=True))
    monkeypatch.setenv("DEEPSHOCK_ROOT", str(root))
    monkeypatch.setenv("DEEPSHOCK_CACHE", str(root / "cache" / "market-data"))
    return root


def bump_spy_volume(snap: Path, key: str) -> None:
    path, n = spy_line(snap, key)
    lines = raw_lines(path)
    volume = re.search(r'"(\d+)"', lines[n + 4]).group(1)  # its "5. volume"
    lines[n + 4] = lines[n + 4].replace(f'"{volume}"', f'"{int(volume) + 1}"')
    path.write_text("".join(lines))


def test_the_vintage_holds_hashes_and_counts_of_each_file(snap, vbook):
    table = vintage.read()
    rows = table.loc[table["product"] == "intraday"]
    entry = sync.read_manifest()["intraday"]["files"]
    files = rows.loc[rows["period"] == "file"].set_index("ticker")
    assert set(files.index) == set(entry)
    for name, recorded in entry.items():
        assert (files.at[name, "rows"], files.at[name, "first"], files.at[name, "last"],
                files.at[name, "sha256"]) == (recorded["rows"], recorded["first"],
                                              recorded["last"], recorded["sha256"])
        periods = rows.loc[(rows["ticker"] == name) & (rows["period"] != "file")]
        assert periods["rows"].sum() == recorded["rows"]
        assert periods["sha256"].str.fullmatch(r"[0-9a-f]{12}").all()
    # SPY's January file: one row per UTC date (EST + 5 h) inside the window, by plain pandas
    keys = pd.to_datetime(plain(snap, SPY)["stamp"]) + pd.Timedelta(hours=5)
    days = keys.dt.strftime("%Y-%m-%d").value_counts().sort_index()
    spy = rows.loc[(rows["ticker"] == SPY) & (rows["period"] != "file")].set_index("period")
    assert spy["rows"].to_dict() == days.to_dict()
    assert not rows[["first", "last", "sha256"]].apply(
        lambda c: c.str.contains(r"\d+\.\d+")).any().any()  # no price anywhere


def test_an_intraday_revision_inside_the_window_stops_the_sync(snap, vbook, capsys):
    cache = vbook / "cache" / "market-data"
    before = tree(cache)
    capsys.readouterr()
    bump_spy_volume(snap, "2025-01-27 09:30:00")  # 14:30 UTC on the 27th
    check = vintage.check_dir(snap)
    assert check.differences == [("intraday", SPY, "2025-01-27", "values differ", True)]
    assert cli.main(["--snapshot", str(snap)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("data sync rejected, cache left unchanged: ")
    assert f"intraday {SPY}: INSIDE the event window: 2025-01-27 (values differ)" in err
    assert tree(cache) == before


def test_an_intraday_revision_outside_the_window_is_reported(snap, vbook, capsys):
    path = snap / FOLDER / REGULAR
    n = line_no(path, "2024-03-01 15:00:00+00:00")
    cells = raw_lines(path)[n - 1].split(",")
    cells[5] = str(int(cells[5]) + 1)  # volume
    replace_line(path, n, ",".join(cells))
    check = vintage.check_dir(snap)
    assert check.differences == [("intraday", REGULAR, "2024-03", "values differ", False)]
    assert cli.main(["--snapshot", str(snap)]) == 0
    assert f"intraday {REGULAR}: outside: 2024-03 (values differ)" in capsys.readouterr().err


def test_data_without_intraday_against_a_vintage_with_it_is_noted(snap, vbook):
    shutil.rmtree(snap / FOLDER)
    check = vintage.check_dir(snap)
    assert check.differences == []
    assert "intraday: in the vintage, not in the data checked (not compared)" in check.notes
