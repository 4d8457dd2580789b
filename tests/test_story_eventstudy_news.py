"""The event study's news pieces (`story.eventstudy.news`) on small made-up frames written out
here (expected values by hand): the timing rule for a news item (time words to a local hour, a
time not stated covering its whole local day), the news table built from the confounders and
the results dates, which security-windows an item falls in (edges at the closes included), the
companies with no results date, one day's breadth and the panel-versus-RSP check. Fast."""

from __future__ import annotations

import math
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from deepshock.story.eventstudy import news

T = pd.Timestamp
UTC = "UTC"


def _item(date, time_local, tz="America/New_York"):
    return pd.Series({"date": T(date), "time_local": time_local, "timezone": tz})


# --- timing rule ---------------------------------------------------------------------------------

@pytest.mark.parametrize("words, hour", [
    ("before open", 7), ("Morning", 9), ("midday", 12), ("afternoon", 14), ("after close", 17),
    ("evening", 20), ("late morning", 9), ("in the afternoon", 14), ("regular session", 12),
    ("call at 08:00", 12)])
def test_time_words_to_a_local_hour_in_utc(words, hour):
    got = news.news_utc(_item("2025-01-27", words))      # New York: UTC-5 in January
    assert got == T("2025-01-27 05:00", tz=UTC) + pd.Timedelta(hours=hour)


def test_news_utc_converts_from_the_items_own_zone():
    assert news.news_utc(_item("2025-01-29", "after close", "Asia/Tokyo")) == T(
        "2025-01-29 08:00", tz=UTC)
    assert news.news_utc(_item("2025-01-29", "before open", "Europe/Amsterdam")) == T(
        "2025-01-29 06:00", tz=UTC)


@pytest.mark.parametrize("words", ["not stated", "", "  Not Stated "])
def test_unstated_time_covers_the_whole_local_day(words):
    first, last = news.news_span(_item("2025-01-27", words))
    assert (first, last) == (T("2025-01-27 05:00", tz=UTC), T("2025-01-28 05:00", tz=UTC))


def test_stated_time_is_an_instant():
    assert news.news_span(_item("2025-01-27", "evening")) == (
        T("2025-01-28 01:00", tz=UTC), T("2025-01-28 01:00", tz=UTC))


# --- the news table ------------------------------------------------------------------------------

def _conf():
    return pd.DataFrame({
        "date": [T("2025-01-22"), T("2025-01-22")],
        "label": ["SoftBank jumps", "ASML beats"],
        "tickers": [["9984.T", "^N225"], ["ASML", "ASML.AS"]],
        "time_local": ["regular session", "before open"],
        "timezone": ["Asia/Tokyo", "Europe/Amsterdam"],
        "certainty": ["confirmed", "likely"]})


def _earn():
    return pd.DataFrame({
        "company": ["ASML", "Intel", "Samsung", "Advantest"],
        "tickers": [["ASML.AS", "ASML"], ["INTC"], ["005930.KS"], ["6857.T"]],
        "date": [T("2025-01-22"), T("2025-01-30"), T("2025-01-22"), T("2025-01-21")],
        "time_local": ["before open", "after close", "not stated", "not stated"],
        "timezone": ["Europe/Amsterdam", "America/New_York", "Asia/Seoul", "Asia/Tokyo"],
        "certainty": ["confirmed", "confirmed", "unverified", "confirmed"]})


def test_news_table_joins_confounders_and_results_not_told_twice(monkeypatch):
    monkeypatch.setattr(news.context, "confounders", _conf)
    monkeypatch.setattr(news.context, "earnings", _earn)
    table = news._news.__wrapped__(Path("anywhere"))
    assert list(table.columns) == ["date", "label", "tickers", "kind", "certainty", "first",
                                   "last"]
    # ASML's results are the confounder "ASML beats" (same date, first ticker ASML): not repeated
    assert table["label"].tolist() == ["Advantest results", "ASML beats",
                                       "Samsung results (date unverified)", "SoftBank jumps",
                                       "Intel results"]
    assert table["kind"].tolist() == ["results", "news", "results", "news", "results"]
    assert table["certainty"].tolist() == ["confirmed", "likely", "unverified", "confirmed",
                                           "confirmed"]
    assert table["tickers"].tolist() == [["6857.T"], ["ASML", "ASML.AS"], ["005930.KS"],
                                         ["9984.T", "^N225"], ["INTC"]]
    assert table["date"].tolist() == [T("2025-01-21")] + [T("2025-01-22")] * 3 + [
        T("2025-01-30")]
    assert table["first"].tolist() == [
        T("2025-01-20 15:00", tz=UTC), T("2025-01-22 06:00", tz=UTC),
        T("2025-01-21 15:00", tz=UTC), T("2025-01-22 03:00", tz=UTC),
        T("2025-01-30 22:00", tz=UTC)]
    assert table["last"].tolist() == [
        T("2025-01-21 15:00", tz=UTC), T("2025-01-22 06:00", tz=UTC),
        T("2025-01-22 15:00", tz=UTC), T("2025-01-22 03:00", tz=UTC),
        T("2025-01-30 22:00", tz=UTC)]
    assert table.index.tolist() == list(range(5))


def test_results_of_another_company_that_day_are_kept(monkeypatch):
    conf = _conf().iloc[[1]].assign(tickers=[["ASML.AS", "ASML"]], label=["Zz chip news"])
    monkeypatch.setattr(news.context, "confounders", lambda: conf)
    monkeypatch.setattr(news.context, "earnings", lambda: _earn().iloc[[0]])
    table = news._news.__wrapped__(Path("anywhere"))
    # the confounder's first ticker is one of ASML's lines: the results are not repeated
    assert table["label"].tolist() == ["Zz chip news"]
    conf = conf.assign(tickers=[["NVDA", "ASML"]])
    monkeypatch.setattr(news.context, "confounders", lambda: conf)
    table = news._news.__wrapped__(Path("anywhere"))
    assert table["label"].tolist() == ["ASML results", "Zz chip news"]


def test_news_reads_the_facts_folder(monkeypatch):
    seen = []
    monkeypatch.setattr(news, "facts_dir", lambda: Path("/facts"))
    monkeypatch.setattr(news, "_news", lambda root: seen.append(root) or "table")
    assert news.news() == "table" and seen == [Path("/facts")]


# --- which windows an item falls in --------------------------------------------------------------

# New York sessions around the shock (closes 21:00 UTC); tau -> session date
SESSIONS = ["2025-01-16", "2025-01-17", "2025-01-21", "2025-01-22", "2025-01-23", "2025-01-24",
            "2025-01-27", "2025-01-28", "2025-01-29", "2025-01-30", "2025-01-31", "2025-02-03"]


def _result():
    taus = list(range(-5, 6)) + [20]
    dates = SESSIONS[1:] + ["2025-02-25"]
    prev = SESSIONS[:-1] + ["2025-02-24"]
    return SimpleNamespace(frame=pd.DataFrame({"tau": taus, "date": pd.to_datetime(dates),
                                               "prev_date": pd.to_datetime(prev)}))


def _items():
    close = lambda d: T(f"{d} 21:00", tz=UTC)  # noqa: E731
    rows = [  # label, tickers, first, last
        ("at Friday's close", ["NVDA"], close("2025-01-24"), close("2025-01-24")),
        ("at Monday's close", ["^GSPC", "NVDA"], close("2025-01-27"), close("2025-01-27")),
        ("day ending at Friday's close", ["NVDA"], close("2025-01-23"), close("2025-01-24")),
        ("day across Friday's close", ["NVDA"], T("2025-01-24 15:00", tz=UTC),
         T("2025-01-25 15:00", tz=UTC)),
        ("day starting at Monday's close", ["NVDA"], close("2025-01-27"), close("2025-01-28")),
        ("a minute after Tuesday's close", ["NVDA"], close("2025-01-28") + pd.Timedelta("1min"),
         close("2025-01-28") + pd.Timedelta("1min")),
        ("someone else's", ["AMD"], close("2025-01-27"), close("2025-01-27")),
    ]
    frame = pd.DataFrame(rows, columns=["label", "tickers", "first", "last"])
    return frame.assign(date=[f.normalize().tz_localize(None) for f in frame["first"]],
                        kind=["news"] * 6 + ["results"])


def _study(complete=False):
    return SimpleNamespace(results={"MSFT": _result(), "NVDA": _result()}, complete=complete,
                           spec="spec")


def test_items_fall_in_the_windows_between_closes(monkeypatch):
    monkeypatch.setattr(news, "news", _items)
    hits = news.confounded(_study())
    got = list(zip(hits["window"], hits["label"]))
    monday, across = "at Monday's close", "day across Friday's close"
    after = [monday, across, "day starting at Monday's close"]   # a whole day overlapping
    assert got == (
        [("[0]", x) for x in after] + [("[0,+1]", x) for x in after]
        + [("[-5,-1]", x) for x in ("at Friday's close", "day ending at Friday's close",
                                    across)]
        + [("[0,+5]", x) for x in after + ["a minute after Tuesday's close"]]
        + [("[0,+20]", x) for x in after + ["a minute after Tuesday's close"]])
    assert set(hits["ticker"]) == {"NVDA"} and set(hits["kind"]) == {"news"}
    assert list(hits.columns) == ["ticker", "window", "date", "label", "kind"]
    assert hits["date"].iloc[0] == T("2025-01-27")
    only = news.confounded(_study(), windows=("[0,+1]", "[-5,-1]"))
    assert list(zip(only["window"], only["label"])) == got[3:9]
    assert only.index.tolist() == list(range(6))


def test_a_security_with_no_news_has_no_rows(monkeypatch):
    monkeypatch.setattr(news, "news", lambda: _items().iloc[[6]].reset_index(drop=True))
    hits = news.confounded(_study())
    assert list(zip(hits["ticker"], hits["window"])) == []
    study = SimpleNamespace(results={"AMD": _result()}, complete=False)
    assert news.confounded(study, windows=["[0]"])["label"].tolist() == ["someone else's"]


def test_the_complete_run_is_read_from_its_spec(monkeypatch):
    """A complete study's flags come from the cached run of its spec (made up here to differ
    from the study passed, which holds no results, so that the path taken shows)."""
    monkeypatch.setattr(news, "news", _items)
    monkeypatch.setattr(news, "run", lambda spec: _study() if spec == "spec" else None)
    news._confounded.cache_clear()
    passed = SimpleNamespace(results={}, complete=True, spec="spec")
    try:
        hits = news.confounded(passed, windows=["[0]"])
        assert news.confounded(SimpleNamespace(results={}, complete=False)).empty
    finally:
        news._confounded.cache_clear()
    assert hits["label"].tolist() == ["at Monday's close", "day across Friday's close",
                                      "day starting at Monday's close"]


# --- companies without results, breadth, RSP -----------------------------------------------------

def test_companies_with_no_results_date_funds_excluded(monkeypatch):
    monkeypatch.setattr(news.context, "earnings", lambda: pd.DataFrame(
        {"tickers": [["NVDA"], ["TSM", "2330.TW"]]}))
    monkeypatch.setattr(news.facts, "universe", lambda: pd.DataFrame(
        {"ticker": ["NVDA", "2330.TW", "SMH", "AMD", "MU", "TSM"],
         "kind": ["equity", "equity", "etf", "equity", "adr", "adr"]}))
    study = SimpleNamespace(results=dict.fromkeys(["MU", "NVDA", "SMH", "2330.TW", "AMD"]))
    assert news.no_results_on_file(study) == ["MU", "AMD"]


def _panel():
    days = pd.to_datetime(["2025-01-23", "2025-01-24", "2025-01-27", "2025-01-28"])
    return pd.DataFrame({"A": [0.01, 0.02, -0.10, 0.03], "B": [0.00, -0.01, 0.02, 0.01],
                         "C": [0.02, 0.00, -0.04, np.nan]}, index=days)


def test_breadth_of_the_panels_members_by_sector(monkeypatch):
    monkeypatch.setattr(news, "panel_market", _panel)
    monkeypatch.setattr(news.load, "panel_members", lambda: pd.DataFrame(
        {"ticker": ["A", "B", "C", "SPY"], "kind": ["sp500", "sp500", "sp500", "etf"],
         "sector": ["Tech", "", "Tech", "Fund"]}))
    table = news.breadth()                     # EVENT: 27 January
    assert table.loc["Tech", ["members", "rose", "fell"]].tolist() == [2, 0, 2]
    assert table.loc["Tech", "ew_ret"] == pytest.approx(-0.07)
    assert table.loc["Unknown", ["members", "rose", "fell"]].tolist() == [1, 1, 0]
    assert "Fund" not in table.index and "" not in table.index
    assert table.iloc[-1][["members", "rose", "fell"]].tolist() == [3, 1, 2]
    day = news.breadth(T("2025-01-28"))
    assert day.iloc[-1][["members", "rose", "no_return"]].tolist() == [3, 2, 1]


def test_rsp_check_hand_computed(monkeypatch):
    monkeypatch.setattr(news, "panel_market", _panel)
    rsp = pd.Series([0.01, 0.00, -0.03, 0.05],
                    index=pd.to_datetime(["2025-01-22", "2025-01-23", "2025-01-27",
                                          "2025-01-28"]))
    monkeypatch.setattr(news.load, "panel_returns", lambda: pd.DataFrame({"RSP": rsp}))
    got = news.rsp_check(T("2025-01-23"), T("2025-01-28"))
    # ew = row means: 23rd 0.01, 24th 0.00333, 27th -0.04, 28th 0.02 (C missing)
    ew = [0.01, -0.04, 0.02]          # the days both have: 23, 27, 28
    r = [0.00, -0.03, 0.05]
    diff = [a - b for a, b in zip(ew, r)]
    mean = sum(diff) / 3
    assert got["n"] == 3
    assert got["te"] == pytest.approx(math.sqrt(sum((d - mean) ** 2 for d in diff) / 2))
    assert got["corr"] == pytest.approx(np.corrcoef(ew, r)[0, 1])
    assert got["ew0"] == pytest.approx(-0.04) and got["rsp0"] == pytest.approx(-0.03)
    assert set(got) == {"corr", "te", "n", "ew0", "rsp0"}
    short = news.rsp_check(T("2025-01-27"), T("2025-01-28"))
    assert short["n"] == 2 and short["corr"] == pytest.approx(1.0)
