"""The fast share-count lookups (numpy masks, issue 25's build time) against the plain pandas
rule they replaced, kept here only: the real `data/shares.csv` and `data/splits.csv`, every
company with a count, on the days around each count's date and its 183-day edges, and on a
grid of days, both directions; plus made-up splits that cannot be placed."""

from __future__ import annotations

import pandas as pd
import pytest

from deepshock.data import sharecounts
from deepshock.story.marketvalue import valuation


def slow_units(ticker, as_of, splits):
    factor = 1.0
    for row in splits.loc[splits["ticker"] == ticker].itertuples():
        if pd.isna(row.effective):
            return None
        if as_of < row.effective <= row.download:
            factor *= row.ratio
    return factor


def day_rows(table, ticker):
    """The ticker's counts dated to the day (the rule's candidates)."""
    return table.loc[(table["ticker"] == ticker) & (table["as_of_precision"] == "day")]


def slow_for_day(ticker, day, *, after=False, table, splits, rows=None):
    """The plain pandas rule; `rows`: `day_rows(table, ticker)` when the caller has it."""
    day = pd.Timestamp(day)
    rows = day_rows(table, ticker) if rows is None else rows
    stamps = list(rows["as_of"])  # plain comparisons, row by row (NaT compares False)
    before = [i for i, d in enumerate(stamps) if d <= day and day - d <= sharecounts.MAX_AGE]
    later = [i for i, d in enumerate(stamps) if d > day and d - day <= sharecounts.MAX_AGE]
    if before:
        row, use = rows.iloc[before[-1]].copy(), "at or before"
    elif after and later:
        row, use = rows.iloc[later[0]].copy(), "after"
    else:
        return None
    units = slow_units(ticker, row["as_of"], splits)
    if units is None:
        return None
    row["use"], row["gap_days"], row["units"] = use, (row["as_of"] - day).days, units
    row["filed"] = float(row["shares"])
    row["shares"] = float(row["shares"]) * units
    return row


def same(fast, slow) -> None:
    if slow is None:
        assert fast is None
        return
    assert list(fast.index) == list(slow.index) and fast.name == slow.name
    assert fast.dtype == slow.dtype
    for key in slow.index:
        a, b = fast[key], slow[key]
        if isinstance(b, float) and not pd.isna(b):
            assert a == pytest.approx(b, rel=1e-9, abs=0), key
        else:
            assert (pd.isna(a) and pd.isna(b)) or a == b, key


def days_to_check(table: pd.DataFrame, ticker: str) -> list[pd.Timestamp]:
    edge = sharecounts.MAX_AGE
    days = set(pd.date_range("2019-01-01", "2026-12-31", freq="29D"))
    for d in table.loc[table["ticker"] == ticker, "as_of"].dropna():
        for shift in (pd.Timedelta(0), pd.Timedelta(days=1), edge, edge + pd.Timedelta(days=1)):
            days |= {d - shift, d + shift}
    return sorted(days)


def test_for_day_matches_the_pandas_rule_on_the_real_counts():
    table, splits = sharecounts.history(), sharecounts.split_table()
    tickers = list(dict.fromkeys(table["ticker"])) + ["NOT-A-TICKER"]
    checked = found = 0
    for ticker in tickers:
        rows = day_rows(table, ticker)  # once per ticker: the oracle's filter, not its rule
        for day in days_to_check(table, ticker):
            for after in (False, True):
                slow = slow_for_day(ticker, day, after=after, table=table, splits=splits,
                                    rows=rows)
                same(sharecounts.for_day(ticker, day, after=after, table=table, splits=splits),
                     slow)
                checked += 1
                found += slow is not None
    assert checked > 2000 and found > 500   # both outcomes were exercised


def test_split_factors_match_the_pandas_rule():
    splits = sharecounts.split_table()
    made_up = pd.DataFrame({"ticker": ["A", "A", "B", "C"], "ratio": [2.0, 3.0, 4.0, 5.0],
                            "effective": pd.to_datetime(["2024-06-10", "2024-01-02", None,
                                                         "2026-01-01"]),
                            "download": pd.to_datetime(["2026-05-31", "2026-05-31",
                                                        "2026-05-31", "2025-12-06"])})
    for table in (splits, made_up):
        for ticker in [*table["ticker"].unique(), "Z"]:
            for day in pd.date_range("2022-12-01", "2026-08-01", freq="11D"):
                slow = slow_units(ticker, day, table)
                assert sharecounts.to_snapshot_units(ticker, day, table) == slow
                assert valuation.split_multiplier(ticker, table, day) == slow
