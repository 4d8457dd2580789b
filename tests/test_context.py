"""The news tables of data/ (confounders, shocks, background, reactions, later losses)."""

from __future__ import annotations

import pandas as pd
import pytest

from deepshock.data import context
from tests.conftest import ROOT
from tests.test_facts import append, rejects, rewrite, table  # noqa: F401


@pytest.mark.parametrize("name", list(context.TABLES))
def test_real_tables_pass_with_a_source_on_every_row(name):
    raw = table(ROOT / "data" / f"{name}.csv")
    loaded = getattr(context, name)()
    assert len(loaded) == len(raw) > 0
    assert (raw["source"].str.strip() != "").all()


def test_the_windows_news_named_in_the_issue_is_there():
    news = context.confounders()
    dates = set(news["date"].dt.strftime("%Y-%m-%d"))
    # Stargate, BoJ, FOMC/earnings, Apple, tariff orders, Alphabet (methods-notes.md)
    assert {"2025-01-21", "2025-01-24", "2025-01-29", "2025-01-30", "2025-02-01",
            "2025-02-04"} <= dates
    stargate = news.loc[news["label"] == "Stargate announced"].iloc[0]
    assert {"ORCL", "9984.T"} <= set(stargate["tickers"])


def test_in_window_filters_by_date_and_ticker():
    first, last = pd.Timestamp("2025-01-20"), pd.Timestamp("2025-01-24")
    inside = context.in_window(first, last)
    assert inside["date"].between(first, last).all() and len(inside) > 0
    raw = table(ROOT / "data" / "confounders.csv")
    by_hand = raw[(raw["date"] >= "2025-01-20") & (raw["date"] <= "2025-01-24")
                  & raw["affects"].str.split(";").map(lambda names: "ORCL" in names)]
    assert sorted(context.in_window(first, last, "ORCL")["label"]) == sorted(by_hand["label"])


def test_shocks_include_the_comparison_events():
    dates = set(context.shocks()["date"].dt.strftime("%Y-%m-%d"))
    assert {"2024-08-05", "2024-09-03", "2024-12-18", "2025-01-27", "2025-02-27",
            "2025-04-03", "2025-04-04"} <= dates


def test_unknown_ticker_in_affects_is_rejected(book):  # noqa: F811
    line = append(book / "confounders.csv", date="2025-01-22", time_local="", timezone="UTC",
                  place="x", label="x", description="x", affects="NVDA;NOPE", source="test",
                  certainty="confirmed")
    rejects(book / "confounders.csv", line, "affects ['NOPE'] not in universe.csv",
            context.confounders)


def test_bad_certainty_date_origin_and_long_quote_are_rejected(book):  # noqa: F811
    path = book / "shocks.csv"
    line = append(path, date="2025-01-28", origin_market="Paris", label="x", description="x",
                  source="test", certainty="confirmed")
    rejects(path, line, "origin_market 'Paris'", context.shocks)
    frame = table(path)
    frame.loc[len(frame) - 1, ["origin_market", "certainty"]] = ["Tokyo", "likely"]
    rewrite(path, frame)
    rejects(path, line, "certainty 'likely'", context.shocks)
    frame.loc[len(frame) - 1, ["certainty", "date"]] = ["reported", "28/01/2025"]
    rewrite(path, frame)
    rejects(path, line, "date '28/01/2025' is not YYYY-MM-DD", context.shocks)
    path = book / "reactions.csv"
    line = append(path, date="2025-01-28", time_local="", timezone="UTC", who="x", role="x",
                  quote=" ".join(["word"] * 13), context="x", source="test",
                  certainty="reported")
    rejects(path, line, "quote of 13 words", context.reactions)


def test_row_without_source_is_rejected(book):  # noqa: F811
    path = book / "background.csv"
    frame = table(path)
    frame.loc[2, "source"] = " "
    rewrite(path, frame)
    rejects(path, 4, "row has no source", context.background)


def test_background_dates_may_be_partial_but_not_malformed(book):  # noqa: F811
    path = book / "background.csv"
    frame = table(path)
    frame.loc[:2, "date"] = ["2023-01-01", "2023-05-01", ""]
    frame.loc[:2, "date_precision"] = ["year", "month", ""]
    rewrite(path, frame)
    assert len(context.background()) == len(frame)  # year, month and undated facts pass
    context._background.cache_clear()
    frame.loc[3, "date"] = "May 2023"
    rewrite(path, frame)
    rejects(path, 5, "date 'May 2023' is not YYYY-MM-DD", context.background)


def test_tables_are_read_per_book(book, monkeypatch):  # noqa: F811
    """Another book's data/ is another table (the cache is keyed by the facts directory)."""
    rewrite(book / "background.csv", table(book / "background.csv").iloc[:3])
    with monkeypatch.context() as env:
        env.delenv("DEEPSHOCK_ROOT")
        real = len(context.background())  # this checkout's data/, read first and cached
    assert len(context.background()) == 3 != real


def test_in_window_includes_both_ends():
    dates = sorted(set(context.confounders()["date"]))
    first, last = dates[1], dates[-2]
    inside = set(context.in_window(first, last)["date"])
    assert first in inside and last in inside
    assert dates[0] not in inside and dates[-1] not in inside
