"""Mutation guards for `deepshock.data.load` (issue 15): tidy prices, per-ticker returns, the
wide tables and the claims check, against plain loops over the raw snapshot CSVs and the
made-up panel fixture, on small caches synced into tmp dirs."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from deepshock.data import load
from deepshock.data.validate import DataError
from tests.conftest import ROOT, SNAPSHOT, panel_snapshot, synced_cache

TICKERS = ["NVDA", "2330.TW", "^VIX"]
FILES = {"NVDA": "NVDA.csv", "2330.TW": "2330.TW.csv", "^VIX": "INDEX_VIX.csv"}
FIXTURE = ROOT / "tests" / "fixtures" / "panel"


@pytest.fixture(scope="module")
def cache(snapshot, tmp_path_factory) -> Path:
    return synced_cache(snapshot, tmp_path_factory.mktemp("load"), TICKERS)


@pytest.fixture(scope="module")
def panel_cache(snapshot, tmp_path_factory) -> Path:
    """NVDA and ^VIX with the four-ticker made-up panel (both end 2025-06-30)."""
    root = tmp_path_factory.mktemp("loadpanel")
    copy = root / "snapshot"
    panel_snapshot(snapshot, copy)
    load._panel.cache_clear()
    load._panel_returns.cache_clear()
    return synced_cache(copy, root, ["NVDA", "^VIX"])


def raw_rows(ticker: str) -> list[dict]:
    """The raw file's rows as dicts of strings (plain csv, no pandas parsing of numbers)."""
    import csv
    with open(SNAPSHOT / "prices" / FILES[ticker], newline="") as handle:
        return list(csv.DictReader(handle))


def plain_returns(ticker: str) -> list[tuple]:
    rows = raw_rows(ticker)
    return [(pd.Timestamp(b["date"]), pd.Timestamp(a["date"]), float(b["close"]),
             float(a["close"]), float(b["close"]) / float(a["close"]) - 1)
            for a, b in zip(rows, rows[1:])]


def test_prices_are_tidy_rows_of_each_ticker(cache, elsewhere):
    one = load.prices("NVDA", root=cache)
    assert list(one.columns) == ["ticker", "date", "open", "high", "low", "close", "adj_close",
                                 "volume"]
    rows = raw_rows("NVDA")
    assert len(one) == len(rows) and list(one.index) == list(range(len(rows)))
    assert (one["ticker"] == "NVDA").all()
    first = one.iloc[0]
    assert first["date"] == pd.Timestamp(rows[0]["date"])
    assert first["close"] == float(rows[0]["close"]) and first["high"] == float(rows[0]["high"])
    both = load.prices(["^VIX", "NVDA"], root=cache)
    assert both["ticker"].iloc[0] == "^VIX" and both["ticker"].iloc[-1] == "NVDA"
    assert list(both.index) == list(range(len(both)))
    assert len(both) == len(rows) + len(raw_rows("^VIX"))


def test_prices_of_the_whole_universe_by_default(snapshot):
    real = ROOT / ".cache" / "market-data"
    if not (real / "manifest.json").is_file():
        pytest.skip("no synced cache (make data)")
    universe = pd.read_csv(ROOT / "data" / "universe.csv", dtype=str)
    tickers = load.prices(root=real)["ticker"]
    assert list(dict.fromkeys(tickers)) == universe["ticker"].tolist()


def test_returns_match_a_plain_loop(cache):
    table = load.returns(["NVDA", "2330.TW"], root=cache)
    assert list(table.columns) == ["ticker", "date", "prev_date", "close", "prev_close", "ret"]
    assert list(table.index) == list(range(len(table)))
    assert table["ticker"].tolist() == ["2330.TW"] * (len(raw_rows("2330.TW")) - 1) + \
        ["NVDA"] * (len(raw_rows("NVDA")) - 1)
    for ticker in ("NVDA", "2330.TW"):
        mine = table.loc[table["ticker"] == ticker]
        expected = plain_returns(ticker)
        got = list(mine[["date", "prev_date", "close", "prev_close", "ret"]].itertuples(
            index=False, name=None))
        assert [g[:4] for g in got] == [e[:4] for e in expected]
        assert [g[4] for g in got] == pytest.approx([e[4] for e in expected], rel=1e-12)


@pytest.fixture
def elsewhere(tmp_path, monkeypatch):
    """The default cache points nowhere: only an explicit `root` can be read."""
    monkeypatch.setenv("DEEPSHOCK_CACHE", str(tmp_path / "no-cache"))


def test_returns_read_the_given_root(cache, elsewhere):
    assert len(load.returns("NVDA", root=cache)) == len(raw_rows("NVDA")) - 1
    with pytest.raises(DataError, match="no-cache"):
        load.returns("NVDA")


def test_wide_returns(cache, elsewhere):
    wide = load.wide_returns(["NVDA", "2330.TW"], root=cache)
    assert list(wide.columns) == ["2330.TW", "NVDA"]
    nvda = {d: r for d, _, _, _, r in plain_returns("NVDA")}
    taiwan = {d: r for d, _, _, _, r in plain_returns("2330.TW")}
    assert set(wide.index) == set(nvda) | set(taiwan)
    assert wide.at[pd.Timestamp("2025-01-27"), "NVDA"] == pytest.approx(
        nvda[pd.Timestamp("2025-01-27")], rel=1e-12)
    assert pd.isna(wide.at[pd.Timestamp("2025-01-27"), "2330.TW"])  # Lunar New Year
    assert wide.at[pd.Timestamp("2025-02-03"), "2330.TW"] == pytest.approx(
        taiwan[pd.Timestamp("2025-02-03")], rel=1e-12)


def test_session_return(cache, elsewhere):
    row = load.session_return("2330.TW", "2025-02-03", root=cache)
    close = {r["date"]: float(r["close"]) for r in raw_rows("2330.TW")}
    assert row["prev_date"] == pd.Timestamp("2025-01-22")
    assert row["ret"] == pytest.approx(close["2025-02-03"] / close["2025-01-22"] - 1,
                                       rel=1e-12)
    with pytest.raises(DataError) as info:
        load.session_return("2330.TW", "2025-01-27", root=cache)
    assert str(info.value) == "2330.TW: no session on 2025-01-27 in the synced cache"


def test_panel_tables_from_the_given_root(panel_cache, elsewhere):
    closes = load.panel_closes(root=panel_cache)
    raw = pd.read_csv(FIXTURE / "closes.csv", index_col="date", parse_dates=["date"])
    assert closes.shape == (10, 4) and list(closes.columns) == ["AAA", "BBB", "CCC", "ETFX"]
    assert closes.at[pd.Timestamp("2025-06-30"), "BBB"] == 230.0
    ret = load.panel_returns(root=panel_cache)
    expected = raw / raw.shift(1) - 1
    assert list(ret.index) == list(raw.index[1:])
    assert ret.at[pd.Timestamp("2025-06-17"), "AAA"] == pytest.approx(10.5 / 10.0 - 1)
    assert ret["BBB"].tolist() == pytest.approx(expected["BBB"].iloc[1:].tolist())
    members = load.panel_members(root=panel_cache)
    assert members["ticker"].tolist() == ["AAA", "BBB", "CCC", "ETFX"]
    assert members.set_index("ticker").at["ETFX", "kind"] == "etf"


# --- claims against the cache -----------------------------------------------------------------

@pytest.fixture
def book(tmp_path, monkeypatch, cache) -> Path:
    shutil.copytree(ROOT / "data", tmp_path / "data")
    monkeypatch.setenv("DEEPSHOCK_ROOT", str(tmp_path))
    monkeypatch.setenv("DEEPSHOCK_CACHE", str(cache))
    return tmp_path / "data"


def claims(book: Path, rows) -> Path:
    text = ("id,claim,subject,date,metric,claimed,unit,precision,tolerance,caveat,source\n"
            + "".join(f"{i},c,{s},{d},release_date,x,,,,,src\n" for i, s, d in rows))
    path = book / "claims.csv"
    path.write_text(text)
    return path


def test_claims_inside_the_data_pass(book):
    nvda, taiwan = raw_rows("NVDA"), raw_rows("2330.TW")
    first, last = nvda[0]["date"], nvda[-1]["date"]
    rows = [("a", "NVDA", "2025-01-27"), ("b", "NVDA", f"{first}..{last}"),
            ("c", "NVDA;2330.TW", "2025-01-24..2025-02-03"), ("d", "V3 report", ""),
            ("e", "2330.TW", taiwan[-1]["date"]), ("f", "NVDA", first)]
    claims(book, rows)
    assert load.claims()["id"].tolist() == list("abcdef")


def test_claims_on_events_only_need_no_prices(book, monkeypatch, tmp_path):
    claims(book, [("d", "V3 report", ""), ("x", "XKRX", "2025-01-27")])
    monkeypatch.setenv("DEEPSHOCK_CACHE", str(tmp_path / "no-cache"))
    assert load.claims()["id"].tolist() == ["d", "x"]


@pytest.mark.parametrize("row, problem", [
    (("z", "2330.TW", "2025-01-27"), "2330.TW has no traded session on 2025-01-27 in the "
                                     "price cache"),
    (("z", "NVDA;2330.TW", "2025-01-29"), "2330.TW has no traded session on 2025-01-29 in the "
                                          "price cache"),
    (("z", "NVDA", "2019-11-29..2020-01-02"), "NVDA has no traded session around "
                                              "2019-11-29..2020-01-02 in the price cache"),
    (("z", "NVDA", "2025-06-02..2025-07-01"), "NVDA has no traded session around "
                                              "2025-06-02..2025-07-01 in the price cache"),
])
def test_claims_outside_the_data_are_rejected(book, row, problem):
    path = claims(book, [("a", "NVDA", "2025-01-27"), row])
    with pytest.raises(DataError) as info:
        load.claims()
    assert str(info.value) == f"{path}: line 3: {problem}"
