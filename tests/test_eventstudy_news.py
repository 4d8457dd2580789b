"""The event study's news flags with the tested companies' results dates (data/earnings.csv),
the benchmarks that hold the stock they judge (data/index_members.csv), and oracles for the
bounds, recomputed from the raw snapshot files with plain pandas and numpy."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from deepshock.data import context
from deepshock.story import eventstudy as es
from deepshock.story.eventstudy import news
from tests.conftest import ROOT, raw_close
from tests.test_facts import append, rejects, table  # noqa: F401


def test_results_dates_flag_the_windows_they_fall_in(snapshot):
    hits = news.confounded(es.run())
    flagged = {(t, w) for t, w, k in zip(hits["ticker"], hits["window"], hits["kind"])
               if k == "results"} | {(t, w) for t, w, lab in
                                     zip(hits["ticker"], hits["window"], hits["label"])
                                     if lab == "ASML Q4 results"}
    # SK hynix on 23 January inside its [-5,-1]; Samsung on 31 January, its day 0
    assert ("000660.KS", "[-5,-1]") in flagged and ("000660.KS", "[0]") not in flagged
    assert {("005930.KS", "[0]"), ("005930.KS", "[0,+1]")} <= flagged
    # Intel (30 Jan, after the close), Advantest and ASML (29 Jan): in [0,+5], not in [0,+1]
    for ticker in ("INTC", "6857.T", "ASML"):
        assert (ticker, "[0,+5]") in flagged and (ticker, "[0,+1]") not in flagged, ticker
    # TSMC's results of 16 January fall inside Taipei's last five sessions before the holiday
    assert ("2330.TW", "[-5,-1]") in flagged and ("TSM", "[-5,-1]") not in flagged


def test_a_time_not_stated_covers_the_whole_local_day():
    row = pd.Series({"date": pd.Timestamp("2025-01-29"), "time_local": "not stated",
                     "timezone": "Asia/Tokyo"})
    first, last = news.news_span(row)
    assert first == pd.Timestamp("2025-01-28 15:00", tz="UTC")   # midnight in Tokyo
    assert last == pd.Timestamp("2025-01-29 15:00", tz="UTC")
    stated = news.news_span(pd.Series({**row.to_dict(), "time_local": "after close"}))
    assert stated[0] == stated[1] == pd.Timestamp("2025-01-29 08:00", tz="UTC")


def test_the_companies_with_no_results_date_on_file(snapshot):
    uni = table(ROOT / "data" / "universe.csv").set_index("ticker")
    dated = {t for ts in table(ROOT / "data" / "earnings.csv")["tickers"] for t in ts.split(";")}
    study = es.run()
    expected = [t for t in study.results if t not in dated and uni.at[t, "kind"] != "etf"]
    assert news.no_results_on_file(study) == expected
    assert {"QCOM", "KLAC", "GEV"} <= set(expected) and "NVDA" not in expected


def test_results_and_index_members_rows_are_checked(book):  # noqa: F811
    path = book / "earnings.csv"
    line = append(path, company="x", tickers="NVDA", date="2025-01-30", time_local="at noon",
                  timezone="America/New_York", period="x", source="test", certainty="confirmed")
    rejects(path, line, "time_local 'at noon' is not one of", context.earnings)
    context._earnings.cache_clear()
    frame = table(path).iloc[:-1]
    frame.to_csv(path, index=False)
    line = append(path, company="x", tickers="NVDA;NOPE", date="2025-01-30",
                  time_local="after close", timezone="America/New_York", period="x",
                  source="test", certainty="unverified")
    rejects(path, line, "tickers ['NOPE'] not in universe.csv", context.earnings)
    path = book / "index_members.csv"
    line = append(path, index="^N225", ticker="6146.T", weight_pct="1.2", as_of="",
                  source="test", certainty="confirmed")
    rejects(path, line, "a weight needs its date", context.index_members)


def test_unverified_is_a_certainty_only_for_results_dates(book):  # noqa: F811
    path = book / "confounders.csv"
    line = append(path, date="2025-01-22", time_local="", timezone="America/New_York",
                  place="x", label="x", description="x", affects="NVDA", source="test",
                  certainty="unverified")
    rejects(path, line, "certainty 'unverified' is not one of", context.confounders)


def test_own_weight_taken_out_of_the_index_matches_the_raw_closes(snapshot):
    """Oracle: Advantest's benchmark without its own weight, from the raw closes."""
    w = 0.0663   # data/index_members.csv: Nikkei Inc., 8 January 2025
    assert es.own_weight("6857.T") == pytest.approx(w)
    stock, index = raw_close("6857.T.csv"), raw_close("INDEX_N225.csv")
    r, m = stock.pct_change().dropna(), index.reindex(stock.index).pct_change()
    frame = es.aligned("6857.T", "ex:^N225").set_index("date")
    for day in ("2025-01-24", "2025-01-27", "2025-01-28"):
        want = (m[day] - w * r[day]) / (1 - w)
        assert frame.at[pd.Timestamp(day), "mret"] == pytest.approx(want, rel=1e-9)
    assert set(es.held()) == {"8035.T", "6857.T", "9984.T", "005930.KS", "000660.KS",
                              "2330.TW", "9988.HK", "0700.HK"}


def test_constant_mean_bound_matches_the_raw_closes(snapshot):
    """Oracle: Advantest's day-0 abnormal return with no benchmark is its return on 27 January
    minus its mean return over sessions -250 to -11, from the raw closes."""
    r = raw_close("6857.T.csv").pct_change().dropna()
    pos = int(np.searchsorted(r.index, pd.Timestamp("2025-01-27")))
    alpha = r.iloc[pos - 250:pos - 10].mean()
    mean = es.variant(es.held(), asia="mean")
    assert mean.sec("6857.T", "[0]")["car"] == pytest.approx(r.iloc[pos] - alpha, rel=1e-9)
