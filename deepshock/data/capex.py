"""The large platforms' stated AI spending plans (`data/capex.csv`): who said what, when, for
which period and on which measure. A company's figures are not all alike (a fiscal year to June
against a calendar year; "AI-enabled data centres" against capital expenditures with or without
finance leases; a rate implied by one quarter), so every row says what it covers.

Checked like the other facts: its columns, a source and a certainty per row, ISO dates, tickers
that the universe knows, one statement per company and day, a period that ends after it starts,
and positive figures whose low end is not above the high end. Every rejection is a `DataError`
naming file, line, column and problem.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import pandas as pd

from . import facts
from .paths import facts_dir
from .validate import DataError

NAME = "capex"
COLUMNS = ["company", "ticker", "stated", "period", "period_start", "period_end", "year_basis",
           "measure", "covers", "form", "low_usd_bn", "high_usd_bn", "where_stated", "source",
           "certainty", "notes"]
FORMS = {"about", "range", "implied"}   # "about $80bn"; "$60-65bn"; a rate derived from a quarter
BASES = {"calendar", "fiscal"}
CERTAINTY = {"confirmed", "reported"}
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
REQUIRED = ["company", "ticker", "period", "measure", "covers", "where_stated"]


def capex() -> pd.DataFrame:
    """The statements, one row each, in the order stated: dates as timestamps, figures as
    floats (US$ bn)."""
    return _capex(facts_dir()).copy()


@cache
def _capex(root: Path) -> pd.DataFrame:
    path = root / f"{NAME}.csv"
    table = facts.read_facts(NAME, path, COLUMNS)
    table = table.apply(lambda column: column.str.strip())
    for column in REQUIRED:
        for i in table.index[table[column] == ""]:
            _fail(path, i, column, "is empty")
    for column, allowed in (("form", FORMS), ("year_basis", BASES), ("certainty", CERTAINTY)):
        for i, value in table[column].items():
            if value not in allowed:
                _fail(path, i, column, f"{value!r} is not one of {sorted(allowed)}")
    for column in ("stated", "period_start", "period_end"):
        table[column] = _dates(table[column], path, column)
    for column in ("low_usd_bn", "high_usd_bn"):
        table[column] = _figures(table[column], path, column)
    known = set(facts.universe()["ticker"])
    for i, ticker in table["ticker"].items():
        if ticker not in known:
            _fail(path, i, "ticker", f"{ticker!r} is not in universe.csv")
    for i, row in table.iterrows():
        if row["period_end"] <= row["period_start"]:
            _fail(path, i, "period_end", f"{row['period_end']:%Y-%m-%d} is not after "
                  f"period_start {row['period_start']:%Y-%m-%d}")
        if row["low_usd_bn"] > row["high_usd_bn"]:
            _fail(path, i, "low_usd_bn", f"{row['low_usd_bn']:g} is above high_usd_bn "
                  f"{row['high_usd_bn']:g}")
        if row["form"] != "range" and row["low_usd_bn"] != row["high_usd_bn"]:
            _fail(path, i, "high_usd_bn", f"a figure of form {row['form']!r} has one value, "
                  f"not {row['low_usd_bn']:g} to {row['high_usd_bn']:g}")
    twice = table.duplicated(["ticker", "stated"])
    if twice.any():
        i = int(twice.idxmax())
        _fail(path, i, "stated", f"{table.at[i, 'ticker']} already has a statement on "
              f"{table.at[i, 'stated']:%Y-%m-%d}")
    return table.sort_values(["stated", "ticker"], kind="stable").reset_index(drop=True)


def _fail(path: Path, i: int, column: str, problem: str) -> None:
    raise DataError(f"{path}: line {i + 2}: column {column}: {problem}")


def _dates(column: pd.Series, path: Path, name: str) -> pd.Series:
    parsed = pd.to_datetime(column, format="%Y-%m-%d", errors="coerce")
    for i in parsed.index[parsed.isna() | ~column.str.fullmatch(_DATE)]:
        _fail(path, i, name, f"{column[i]!r} is not a date (YYYY-MM-DD)")
    return parsed


def _figures(column: pd.Series, path: Path, name: str) -> pd.Series:
    values = pd.to_numeric(column, errors="coerce").astype(float)
    for i in values.index[~(values > 0)]:
        _fail(path, i, name, f"{column[i]!r} is not a positive number (US$ bn)")
    return values
