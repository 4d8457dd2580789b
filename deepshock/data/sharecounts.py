"""The dated history of share counts (`data/shares.csv`): which count serves a given day.

The rule, the same for every chapter: a day is valued with the last count dated to the day
(`as_of_precision == "day"`) at or before it, if that count is at most `MAX_AGE` old. Counts
dated only to a month, quarter or year never serve a single day. A count is brought into the
snapshot's units by the splits of `data/splits.csv` that took effect after its date and on or
before the price file's download (the snapshot's levels are split-adjusted as of then).
`for_day(..., after=True)` also accepts, where no earlier count serves, the nearest later one
within `MAX_AGE`, for a single day's figure that states its gap.
"""

from __future__ import annotations

import pandas as pd

from . import facts

MAX_AGE = pd.Timedelta(days=183)  # an older (or further) count does not serve a day
PRECISIONS = ("day", "month", "quarter", "year")


def history() -> pd.DataFrame:
    """Every count on file: ticker, shares, as_of (Timestamp), as_of_precision, grade, source,
    notes; sorted by ticker and date."""
    return facts.shares().sort_values(["ticker", "as_of"], ignore_index=True)


def split_table() -> pd.DataFrame:
    """`data/splits.csv`, typed: ticker, ratio (float), effective and download (Timestamp/NaT)."""
    return facts.splits()


def to_snapshot_units(ticker: str, as_of: pd.Timestamp, splits: pd.DataFrame) -> float | None:
    """Factor taking a count dated `as_of` into the snapshot's units: the product of the ratios
    of `ticker`'s splits effective after `as_of` and on or before the download; None when a
    split is undated (it cannot be placed)."""
    factor = 1.0
    for effective, download, ratio in _splits_of(splits, ticker):
        if pd.isna(effective):
            return None
        if as_of < effective <= download:
            factor *= ratio
    return factor


def _splits_of(splits: pd.DataFrame, ticker: str) -> list[tuple]:
    """(effective, download, ratio) of `ticker`'s splits, in table order (plain lists: this runs
    once per company and day valued)."""
    mine = (splits["ticker"] == ticker).to_numpy()
    return [(splits["effective"].iloc[i], splits["download"].iloc[i], splits["ratio"].iloc[i])
            for i in mine.nonzero()[0]]


def for_day(ticker: str, day: pd.Timestamp, *, after: bool = False,
            table: pd.DataFrame | None = None, splits: pd.DataFrame | None = None
            ) -> pd.Series | None:
    """The count that serves `ticker` on `day` (None if none does): its row with `use`
    ('at or before' or 'after'), `gap_days` (count date minus day), `units` (the split
    factor), `filed` (the count as filed) and `shares` (= filed x units)."""
    table = history() if table is None else table
    splits = split_table() if splits is None else splits
    day = pd.Timestamp(day)
    # positions in the table (numpy masks: this runs once per company and day valued)
    as_of = table["as_of"]
    mine = ((table["ticker"] == ticker) & (table["as_of_precision"] == "day")).to_numpy()
    age = (day - as_of).to_numpy()
    max_age = MAX_AGE.to_timedelta64()
    before = (mine & (as_of <= day).to_numpy() & (age <= max_age)).nonzero()[0]
    later = (mine & (as_of > day).to_numpy() & (-age <= max_age)).nonzero()[0]
    if len(before):
        pos, use = before[-1], "at or before"
    elif after and len(later):
        pos, use = later[0], "after"
    else:
        return None
    row = table.iloc[pos]
    units = to_snapshot_units(ticker, row["as_of"], splits)
    if units is None:
        return None
    filed = float(row["shares"])   # the count in the filing's own units
    return pd.Series({**row.to_dict(), "shares": filed * units, "use": use,
                      "gap_days": (row["as_of"] - day).days, "units": units, "filed": filed},
                     name=row.name, dtype=object)


def daily(ticker: str, dates: pd.Series, *, table: pd.DataFrame | None = None,
          splits: pd.DataFrame | None = None) -> pd.DataFrame:
    """For each of `dates` (ascending), the count serving it under the rule (at or before, at
    most MAX_AGE old; NaN where none does): date, shares (snapshot units), as_of, grade."""
    table = history() if table is None else table
    splits = split_table() if splits is None else splits
    rows = table.loc[(table["ticker"] == ticker) & (table["as_of_precision"] == "day")].copy()
    frame = pd.DataFrame({"date": pd.to_datetime(pd.Series(dates)).to_numpy()})
    if rows.empty:
        return frame.assign(shares=float("nan"), as_of=pd.NaT, grade=None)
    rows["units"] = [to_snapshot_units(ticker, d, splits) for d in rows["as_of"]]
    rows = rows.dropna(subset=["units"])
    rows["shares"] = rows["shares"].astype(float) * rows["units"].astype(float)
    merged = pd.merge_asof(frame.sort_values("date"), rows[["as_of", "shares", "grade"]],
                           left_on="date", right_on="as_of", direction="backward",
                           tolerance=MAX_AGE)
    return merged[["date", "shares", "as_of", "grade"]]
