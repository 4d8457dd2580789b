"""Mutation guards for `deepshock.data.context` (issue 15): certainty and partial-date rules
with their full messages, the per-book caches and the window filter, on small tables written
into a copy of data/ (DEEPSHOCK_ROOT)."""

from __future__ import annotations

import shutil

import pandas as pd
import pytest

from deepshock.data import context
from tests.conftest import ROOT, exactly

CONFOUNDERS = ("date,time_local,timezone,place,label,description,affects,source,certainty\n"
               "2025-01-22,,UTC,x,B news,d,NVDA; AMD ,s,confirmed\n"
               "2025-01-20,,UTC,x,A news,d,ORCL,s, reported \n"
               "2025-01-22,,UTC,x,A news,d,AMD,s,reported\n"
               "2025-01-24,,UTC,x,C news,d,NVDA,s,confirmed\n")




def test_certainty_is_stripped_and_checked(book):
    (book / "confounders.csv").write_text(CONFOUNDERS)
    assert context.confounders()["label"].tolist() == ["A news", "A news", "B news", "C news"]
    bad = CONFOUNDERS.replace(",s,confirmed\n2025-01-20", ",s,Confirmed\n2025-01-20")
    (book / "confounders.csv").write_text(bad)
    context._confounders.cache_clear()
    exactly(f"{book / 'confounders.csv'}: line 2: certainty 'Confirmed' is not one of "
            "['confirmed', 'reported']", context.confounders)


def test_tables_without_certainty_are_not_checked_for_it(book):
    (book / "later_losses.csv").write_text("company,ticker,date,loss_usd_bn,source\n"
                                           "A,NVDA,2025-02-27, 12.5 ,s\n")
    table = context.later_losses()
    assert table["loss_usd_bn"].tolist() == [12.5]
    assert table["date"].tolist() == [pd.Timestamp("2025-02-27")]


def test_confounder_tickers_and_order(book):
    (book / "confounders.csv").write_text(CONFOUNDERS)
    table = context.confounders()
    assert table["tickers"].tolist() == [["ORCL"], ["AMD"], ["NVDA", "AMD"], ["NVDA"]]
    assert table["date"].tolist() == list(pd.to_datetime(["2025-01-20", "2025-01-22",
                                                          "2025-01-22", "2025-01-24"]))


@pytest.mark.parametrize("date, precision, problem", [
    ("2023-01-01", "year", None), ("2023-05-01", "month", None), ("2023-05-07", "day", None),
    ("", "", None), (" 2023-05-01 ", " month ", None),
    ("2023-05-07", "month", "date 2023-05-07 is not the first day of its month "
                            "(date_precision 'month')"),
    ("2023-04-01", "year", "date 2023-04-01 is not the first day of its year "
                           "(date_precision 'year')"),
    ("2023-05-01", "", "date_precision '' with date 2023-05-01: give both or neither"),
    ("", "year", "date_precision 'year' with date empty: give both or neither"),
    ("2023-05", "month", "date '2023-05' is not YYYY-MM-DD"),
    ("May 2023", "month", "date 'May 2023' is not YYYY-MM-DD"),
    ("2023-05-01", "week", "date_precision 'week' is not one of ['day', 'month', 'year']")])
def test_background_dates_of_stated_precision(book, date, precision, problem):
    path = book / "background.csv"
    path.write_text("topic,fact,value,unit,date,date_precision,source,certainty\n"
                    "chips,f,1,,2024-01-01,year,s,confirmed\n"
                    f"cost,f,1,,{date},{precision},s,reported\n")
    if problem is None:
        got = context.background()
        assert got["date"].tolist()[0] == pd.Timestamp("2024-01-01")
        assert got["date_precision"].tolist() == ["year", precision.strip()]
        assert (pd.isna(got["date"].iloc[1]) if not date else
                got["date"].iloc[1] == pd.Timestamp(date.strip()))
    else:
        exactly(f"{path}: line 3: {problem}", context.background)


def test_each_table_is_read_from_the_current_book(tmp_path, monkeypatch):
    for n, tag in enumerate(["one", "two"]):
        root = tmp_path / tag
        shutil.copytree(ROOT / "data", root / "data")
        for name, column in [("confounders", "description"), ("shocks", "description"),
                             ("background", "value"), ("reactions", "context"),
                             ("later_losses", "company")]:
            path = root / "data" / f"{name}.csv"
            table = pd.read_csv(path, dtype=str, keep_default_na=False)
            table[column] = f"{tag} {n}"
            table.to_csv(path, index=False)
        monkeypatch.setenv("DEEPSHOCK_ROOT", str(root))
        for name, column in [("confounders", "description"), ("shocks", "description"),
                             ("background", "value"), ("reactions", "context"),
                             ("later_losses", "company")]:
            assert set(getattr(context, name)()[column]) == {f"{tag} {n}"}, name


def test_in_window_bounds_and_ticker(book):
    (book / "confounders.csv").write_text(CONFOUNDERS)
    day = pd.Timestamp
    labels = lambda t: list(zip(t["date"].dt.strftime("%d"), t["label"]))  # noqa: E731
    assert labels(context.in_window(day("2025-01-20"), day("2025-01-22"))) == [
        ("20", "A news"), ("22", "A news"), ("22", "B news")]
    assert labels(context.in_window(day("2025-01-21"), day("2025-01-24"))) == [
        ("22", "A news"), ("22", "B news"), ("24", "C news")]
    assert labels(context.in_window(day("2025-01-22"), day("2025-01-24"), "NVDA")) == [
        ("22", "B news"), ("24", "C news")]
    assert labels(context.in_window(day("2025-01-19"), day("2025-01-30"), "AMD")) == [
        ("22", "A news"), ("22", "B news")]
    assert context.in_window(day("2025-01-25"), day("2025-01-30")).empty
