"""The news around the shock, from `data/`: other news in the event windows (confounders), the
tested companies' results dates (earnings), which benchmark indices hold a tested security and
with what weight (index members), the market shocks of 2024-25 with their news times, the
background of the launch, the reactions, one-day losses after the shock, and the S&P 500's
membership changes. Each table is declared in `data/datapackage.json` and checked like the
other facts (`schema`): columns, types, a source and a certainty per row, ISO dates, tickers
that the universe knows, and the rules of `rules` (one primary event; each shock dated on its
origin market's day 0 of its news time, with a precision no exchange closes inside; a weight
with its date; index changes announced on or before they take effect). Every rejection is a
`DataError` naming file, line and column.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pandas as pd

from . import rules, schema
from .paths import facts_dir

TABLES = ("confounders", "shocks", "background", "reactions", "later_losses", "earnings",
          "index_members", "index_changes")


def confounders() -> pd.DataFrame:
    """Other news in the windows, by date and label; `affects` (also `tickers`) is the list of
    universe tickers each item names."""
    return _confounders(facts_dir())


@cache
def _confounders(root: Path) -> pd.DataFrame:
    table = schema.table("confounders", root)
    return table.assign(tickers=table["affects"]).sort_values(["date", "label"], kind="stable")


def shocks() -> pd.DataFrame:
    """The market shocks: `date`, the day 0 of the market where each started; `news_utc`
    (tz-aware) and `precision` (a Timedelta) of the news; `role` ('primary' for the book's own
    event, else 'comparison'). Each market's day 0 is read through `deepshock.data.event`."""
    return _shocks(facts_dir())


@cache
def _shocks(root: Path) -> pd.DataFrame:
    table = schema.table("shocks", root)
    return table.assign(precision=table["precision"].map(rules.duration))


def background() -> pd.DataFrame:
    """Facts behind the launch chapter's 'why', one per row, grouped by topic; `date` (NaT when
    undated) is the first day of its period at `date_precision` (day, month or year)."""
    return _background(facts_dir())


@cache
def _background(root: Path) -> pd.DataFrame:
    return schema.table("background", root)


def reactions() -> pd.DataFrame:
    """Who said what and when; quotes are kept to a few words."""
    return _reactions(facts_dir())


@cache
def _reactions(root: Path) -> pd.DataFrame:
    return schema.table("reactions", root)


def later_losses() -> pd.DataFrame:
    """One-day losses of market value after the shock, as the press reported them."""
    return _later_losses(facts_dir())


@cache
def _later_losses(root: Path) -> pd.DataFrame:
    return schema.table("later_losses", root)


def earnings() -> pd.DataFrame:
    """Results dates of the tested companies: local date, time words (`time_local`) and time
    zone, the company's tested lines as a list (column `tickers`)."""
    return _earnings(facts_dir())


@cache
def _earnings(root: Path) -> pd.DataFrame:
    return schema.table("earnings", root).sort_values(["date", "company"], kind="stable")


def index_members() -> pd.DataFrame:
    """Tested securities that their benchmark index holds: index, ticker, weight (fraction, NaN
    where no weight was found) and its date (`as_of`, NaT when none)."""
    return _index_members(facts_dir())


@cache
def _index_members(root: Path) -> pd.DataFrame:
    table = schema.table("index_members", root)
    return table.assign(weight=table["weight_pct"] / 100)


def index_changes() -> pd.DataFrame:
    """S&P 500 membership changes: who joined (`added`) on the effective `date`, replacing whom;
    `kind` "successor" marks a member's own new listing (e.g. after a merger), not a new firm."""
    return _index_changes(facts_dir())


@cache
def _index_changes(root: Path) -> pd.DataFrame:
    table = schema.table("index_changes", root)
    return table.sort_values(["date", "added"], kind="stable").reset_index(drop=True)


def in_window(first: pd.Timestamp, last: pd.Timestamp, ticker: str | None = None
              ) -> pd.DataFrame:
    """Confounders dated inside [first, last] (calendar days), optionally only those naming
    `ticker`."""
    table = confounders()
    inside = table.loc[(table["date"] >= first) & (table["date"] <= last)]
    if ticker is not None:
        inside = inside.loc[inside["tickers"].map(lambda names: ticker in names)]
    return inside
