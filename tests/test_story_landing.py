"""The landing page's numbers (`story.landing`): breadth, a fund's move, Nvidia's loss, first
sessions, two sessions compounded, the last close, the book's counts and the formats, each on
small made-up frames written out here (expected values by hand), and the page's published
numbers on the data against the oracle of `tests/oracle/us.py` (raw snapshot files in plain
pandas). Fast: no book, no kernel."""

from __future__ import annotations

import pandas as pd
import pytest

from deepshock.story import landing
from tests.oracle import raw
from tests.oracle import us as oracle
from tests.oracle.registry import ORACLE

T = pd.Timestamp
SHOCK = T("2025-01-27")


def test_formats():
    assert landing.day("2025-01-27") == "27 January 2025"
    assert landing.day(T("2025-02-03"), weekday=True) == "Monday 3 February 2025"
    assert landing.usd_bn(592.66e9) == "$592.7bn"
    assert landing.usd_bn(1234.5e9) == "$1,234.5bn"
    assert landing.usd_bn(0.04e9) == "$0.0bn"
    assert landing.usd_bn(0.75e9) == "$0.8bn"      # exactly 0.75: divided by 1e9, no more
    assert landing.SHOCK == SHOCK


def test_breadth_reads_the_whole_index_row_and_technology(monkeypatch):
    seen = []
    table = pd.DataFrame({"members": [60, 3, 503], "rose": [10, 1, 180], "fell": [50, 2, 320],
                          "ew_ret": [-0.03, 0.01, -0.004]},
                         index=["Technology", "Energy", "All"])
    monkeypatch.setattr(landing, "sector_breadth", lambda date: seen.append(date) or table)
    got = landing.breadth()
    assert got == landing.Breadth(members=503, rose=180, fell=320, ew_ret=-0.004,
                                  tech_members=60, tech_fell=50)
    assert isinstance(got.members, int) and isinstance(got.ew_ret, float)
    assert landing.breadth(T("2025-01-28")).fell == 320
    assert seen == [SHOCK, T("2025-01-28")]


def test_fund_move_reads_the_panel(monkeypatch):
    wide = pd.DataFrame({"RSP": [0.01, 0.002], "SPY": [0.02, -0.015]},
                        index=pd.to_datetime(["2025-01-24", "2025-01-27"]))
    monkeypatch.setattr(landing.load, "panel_returns", lambda: wide)
    assert landing.fund_move("RSP") == 0.002
    assert landing.fund_move("SPY", "2025-01-24") == 0.02


def _losses(rows):
    return pd.DataFrame(rows, columns=["ticker", "date", "included", "loss_usd"]).assign(
        date=lambda f: pd.to_datetime(f["date"]))


def test_nvidia_loss_is_the_market_value_tables_figure(monkeypatch):
    table = _losses([("AVGO", "2025-01-27", True, 2e11), ("NVDA", "2025-01-24", True, 1e9),
                     ("NVDA", "2025-01-27", True, 5.9e11)])
    monkeypatch.setattr(landing.marketvalue, "losses", lambda: table)
    assert landing.nvidia_loss() == 5.9e11
    assert landing.nvidia_loss(T("2025-01-24")) == 1e9
    for rows in ([("NVDA", "2025-01-27", False, 5.9e11)],
                 [("NVDA", "2025-01-27", True, 1.0), ("NVDA", "2025-01-27", True, 2.0)],
                 [("AVGO", "2025-01-27", True, 2e11)]):
        monkeypatch.setattr(landing.marketvalue, "losses", lambda rows=rows: _losses(rows))
        with pytest.raises(ValueError, match="no figure for Nvidia on 2025-01-27"):
            landing.nvidia_loss()


def test_two_sessions_compound_from_the_date(monkeypatch):
    rets = pd.DataFrame({"date": pd.to_datetime(["2025-01-24", "2025-01-27", "2025-01-28",
                                                 "2025-01-29"]),
                         "ret": [0.05, -0.10, -0.20, 0.30]})
    monkeypatch.setattr(landing.load, "returns", lambda t: rets)
    first, second, both = landing.two_sessions("X")
    assert first.name == T("2025-01-27") and first["ret"] == -0.10
    assert second.name == T("2025-01-28") and second["ret"] == -0.20
    assert both == pytest.approx(0.9 * 0.8 - 1)
    first, second, both = landing.two_sessions("X", T("2025-01-28"))
    assert (first.name, second.name) == (T("2025-01-28"), T("2025-01-29"))
    assert both == pytest.approx(0.8 * 1.3 - 1)


def test_last_close_is_nvidias_last_date(monkeypatch):
    monkeypatch.setattr(landing.load, "prices", lambda t: pd.DataFrame(
        {"date": pd.to_datetime(["2025-03-03", "2025-03-05", "2025-03-04"])}) if t == "NVDA"
        else None)
    assert landing.last_close() == T("2025-03-05")


def test_counts_by_market_and_kind(monkeypatch):
    from deepshock.data import facts
    from deepshock.story import aftermath, selloff
    uni = pd.DataFrame({
        "ticker": ["NVDA", "^VIX", "AMD", "8035.T", "^N225", "6857.T", "000660.KS", "ASML"],
        "market": ["US", "US", "US", "Japan", "Japan", "Japan", "Korea", "Europe"],
        "kind": ["equity", "index", "equity", "equity", "index", "equity", "equity", "equity"]})
    monkeypatch.setattr(facts, "universe", lambda: uni)
    monkeypatch.setattr(landing.load, "panel_members", lambda: pd.DataFrame(
        {"kind": ["sp500", "sp500", "etf", "sp500"]}))
    monkeypatch.setattr(aftermath, "members", lambda: ["a", "b", "c"])
    monkeypatch.setattr(selloff, "HEADLINE", ["x"] * 13)
    assert landing.counts() == {"total": 8, "us": 2, "tokyo_stocks": 2, "korea_taiwan": 1,
                                "china_hk": 0, "europe": 1, "aftermath": 3, "headline": 13,
                                "panel": 3, "panel_funds": 1}
    more = pd.concat([uni, pd.DataFrame({"ticker": ["2330.TW", "0700.HK", "000001.SS"],
                                         "market": ["Taiwan", "Hong Kong", "China"],
                                         "kind": ["equity", "equity", "index"]})])
    monkeypatch.setattr(facts, "universe", lambda: more.drop(index=7).query(
        "market != 'Europe'"))
    got = landing.counts()
    assert (got["korea_taiwan"], got["china_hk"], got["europe"]) == (2, 2, 0)
    monkeypatch.setattr(facts, "universe", lambda: more.query("market != 'Korea'"))
    assert landing.counts()["korea_taiwan"] == 1           # Taiwan without Korea


# --- the published numbers on the data ------------------------------------------------------------

def test_breadth_on_the_data_matches_the_raw_panel(snapshot):
    got, want = landing.breadth(), oracle.breadth()
    assert (got.members, got.rose, got.fell) == (want["n"], want["rose"], want["fell"])
    assert (got.tech_members, got.tech_fell) == (want["tech_n"], want["tech_fell"])
    r = raw.panel_rets().loc[SHOCK, raw.sp500()]
    assert got.ew_ret == pytest.approx(r.mean())


def test_first_sessions_and_moves_on_the_data_match_the_raw_closes(snapshot):
    for ticker in ("000660.KS", "2330.TW", "NVDA"):
        day = raw.first_on_or_after(ticker)
        row = landing.first_session(ticker)
        assert row["date"] == day and row["ret"] == pytest.approx(raw.ret(ticker, day))
    assert landing.first_session("000660.KS")["date"] == T("2025-01-31")
    first, second, both = landing.two_sessions("6857.T")
    assert (first.name, second.name) == (SHOCK, T("2025-01-28"))
    assert both == pytest.approx(raw.window("6857.T", SHOCK, T("2025-01-28")))
    assert landing.fund_move("RSP") == pytest.approx(raw.panel_rets().at[SHOCK, "RSP"])
    assert landing.last_close() == raw.close("NVDA").index.max()
    assert landing.nvidia_loss() == pytest.approx(oracle.nvidia_loss(), rel=1e-9)


def test_counts_on_the_data_match_the_universe_file(snapshot):
    got = landing.counts()
    uni = raw.universe()
    assert got["total"] == len(uni)
    assert got["us"] == len(oracle.us_series())
    assert got["tokyo_stocks"] == oracle._market_count("Japan", kind="equity")
    assert got["korea_taiwan"] == oracle._market_count("Korea", "Taiwan")
    assert got["china_hk"] == oracle._market_count("China", "Hong Kong")
    assert got["europe"] == oracle._market_count("Europe")
    assert got["panel"] == len(raw.sp500())
    members = raw.panel_members()
    assert got["panel_funds"] == int((members["kind"] == "etf").sum())
    assert got["headline"] == len(oracle.HEADLINE)


def test_the_pages_published_text_matches_the_oracle(snapshot):
    text = landing.chapter().text
    keys = sorted(k for page, k in ORACLE if page == "intro" and not k.startswith("fig-"))
    assert len(keys) >= 25
    for key in keys:
        assert text[key] == ORACLE[("intro", key)](), key
