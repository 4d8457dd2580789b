"""The hand-collected facts in `data/`, as typed tables: the securities, the timeline, share
counts, press records, documented jumps, the fact-check's claims, the launch's cost inputs and
share splits. Each file is declared in `data/datapackage.json` and checked by `schema` (its
columns, types, keys, a source per row, and the rules in `rules`) before it is served; every
rejection is a `DataError` naming file, line and column.

Tables are cached per facts directory, so a build of another root (`DEEPSHOCK_ROOT`) or a test
on a temporary `data/` never sees another directory's tables.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pandas as pd

from . import rules, schema
from .paths import facts_dir
from .rules import MARKET, PLACES, fail  # noqa: F401 (the module's API)
from .schema import read_facts  # noqa: F401 (the module's API)
from .validate import DataError  # noqa: F401

_span = rules.span
_calendar_names = rules.calendar_names


def universe() -> pd.DataFrame:
    """Tickers with their exchange, calendar, group and benchmark (`data/universe.csv`)."""
    return _universe(facts_dir())


@cache
def _universe(root: Path) -> pd.DataFrame:
    return schema.table("universe", root)


def events() -> pd.DataFrame:
    """The timeline; a market event falls on a session of its place's exchange."""
    return _events(facts_dir())


@cache
def _events(root: Path) -> pd.DataFrame:
    return schema.table("events", root)


def shares() -> pd.DataFrame:
    """Dated share counts, several per ticker (`data/shares.csv`): each with its date (`as_of`,
    the first day of its period), that date's precision (`as_of_precision`: day, month,
    quarter, year) and a confidence grade; one count per ticker and date (the primary key)."""
    return _shares(facts_dir())


@cache
def _shares(root: Path) -> pd.DataFrame:
    return schema.table("shares", root)


def records() -> pd.DataFrame:
    """Earlier record one-day losses of market value (`data/records.csv`)."""
    return _records(facts_dir())


@cache
def _records(root: Path) -> pd.DataFrame:
    return schema.table("records", root)


def known_jumps() -> pd.DataFrame:
    """One-day moves beyond the split-like limit that are real, each with a reason and source."""
    return _known_jumps(facts_dir())


@cache
def _known_jumps(root: Path) -> pd.DataFrame:
    return schema.table("known_jumps", root)


def launch_costs() -> pd.DataFrame:
    """DeepSeek-V3's training-cost inputs (`data/launch_costs.csv`): quantity, value, unit."""
    return schema.table("launch_costs")


def splits() -> pd.DataFrame:
    """Share splits (`data/splits.csv`): ticker, ratio, effective (NaT: unknown), download."""
    return schema.table("splits")


def claims() -> pd.DataFrame:
    """The fact-check table (`data/claims.csv`), checked for what it points at.

    Ids are unique. The subject is one or more universe tickers joined by ";", an exchange
    calendar code, or an event label of events.csv. The date is YYYY-MM-DD, a range `A..B`,
    or empty (event subjects only). `load.claims()` also checks them against the prices.
    """
    return schema.table("claims")


def claim_spans(table: pd.DataFrame) -> dict[int, tuple[list[str], pd.Timestamp, pd.Timestamp]]:
    """Per claims row on universe tickers: (tickers, first, last day) the claim needs prices for."""
    tickers, spans = set(universe()["ticker"]), {}
    for i, row in table.iterrows():
        names = [n.strip() for n in row["subject"].split(";")]
        if all(n in tickers for n in names):
            spans[i] = (names, *_span(row["date"], i, table))
    return spans


def as_stated(day: pd.Timestamp, precision: str) -> str:
    """A date at its stated precision: '2024-11-15', '2024-09', '2024-Q4' or '2024'."""
    if precision == "month":
        return f"{day:%Y-%m}"
    if precision == "quarter":
        return f"{day.year}-Q{day.quarter}"
    return f"{day.year}" if precision == "year" else f"{day:%Y-%m-%d}"


def name(ticker: str) -> str:
    """Display name of a ticker from the universe."""
    return universe().set_index("ticker").at[ticker, "name"]
