"""The event as data: each shock of `data/shocks.csv` carries its news time in UTC, and every
market's sessions around it are derived here, once, from the exchange calendars.

A market's **day 0** is its first session whose close comes after the news; day 1 is the next
session, day -1 the last session before day 0 (the pre-shock close). A market that traded
before New York is measured there: for the DeepSeek news of the weekend of 25-26 January 2025,
Tokyo's day 0 is Monday 27 January, Seoul's Friday 31 January (after its Lunar New Year
closure), Taipei's Monday 3 February. The book's own event is the row whose role is 'primary';
any other row is named by its label, so the same code measures every shock of the table.
"""

from __future__ import annotations

import re

import pandas as pd

from . import context, sessions

PRIMARY = "primary"
_CODE = re.compile(r"X[A-Z]{3}")


def events() -> pd.DataFrame:
    """Every shock of `data/shocks.csv`, checked (see `context.shocks`), ordered by news time."""
    return context.shocks().sort_values("news_utc").reset_index(drop=True)


def get(label: str | None = None) -> pd.Series:
    """One shock: the primary event when `label` is None, else the row with that label."""
    table = events()
    rows = table.loc[table["role"] == PRIMARY] if label is None else table.loc[
        table["label"] == label]
    if len(rows) != 1:
        raise KeyError(f"data/shocks.csv: no single shock labelled {label!r}")
    return rows.iloc[0]


def market(name: str) -> str:
    """A calendar code (XNYS, XTKS, ...) as given, or the calendar of a universe ticker."""
    return name if _CODE.fullmatch(name) else sessions.code(name)


def news(label: str | None = None) -> pd.Timestamp:
    """When the news was public (UTC): the end of its stated precision span."""
    return get(label)["news_utc"]


def day0(where: str, label: str | None = None) -> pd.Timestamp:
    """The first session of a market (calendar code or ticker) whose close comes after the news."""
    return sessions.first_closed_after(market(where), news(label))


def day(where: str, k: int = 0, label: str | None = None) -> pd.Timestamp:
    """Session k of a market relative to its day 0 (k = -1: the last session before it)."""
    code = market(where)
    return sessions.shift(code, day0(code, label), k)


def days(where: str, ks: tuple[int, ...] = (0, 1), label: str | None = None
         ) -> tuple[pd.Timestamp, ...]:
    """Several sessions of one market relative to its day 0."""
    return tuple(day(where, k, label) for k in ks)


# Closes no statistic is built on: Schneider Electric's on its day 1 (28 January 2025) closed
# at the day's low on several times its usual volume while its market barely moved, and no
# second source confirms it (`story.contagion.europe.bar_check` gives the facts; the chapter
# states them). Kept here, in the data layer, so that the aftermath (which leaves these
# points out) and the landing page need not import the contagion chapter's statistics.
UNVERIFIED = {"SU.PA": 1}


def unverified() -> set[tuple[str, pd.Timestamp]]:
    """(ticker, date) of every unverified close: a path leaves that one point out (a later
    day's level against the base close does not depend on it)."""
    return {(ticker, day(ticker, k)) for ticker, k in UNVERIFIED.items()}
