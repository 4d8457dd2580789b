"""Europe on 27-28 January: what the data hold (the ASML ADR, Schneider Electric, three indices)
and the checks behind the warning on Schneider's 28 January bar."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from ...data import event, load
from ...data.event import UNVERIFIED, unverified  # noqa: F401 (kept in the data layer)


@dataclass(frozen=True)
class BarCheck:
    date: pd.Timestamp
    ret: float
    volume_ratio: float      # the day's volume over the median of the `sessions` before it
    closed_at_low: bool
    index_ret: float         # the index's move on the same day


def bar_check(ticker: str = "SU.PA", date: str | None = None, index: str = "^STOXX",
              sessions: int = 60) -> BarCheck:
    """The facts that make a daily bar suspect: its volume against the usual, whether it closed
    at the day's low, and the market's move that day (default: the line's day 1, the session
    after its day 0)."""
    bars = load.prices(ticker).set_index("date")
    day = pd.Timestamp(date) if date is not None else event.day(ticker, 1)
    at = bars.index.get_loc(day)
    usual = float(bars["volume"].iloc[at - sessions:at].median())
    row = bars.loc[day]
    ret = float(row["close"] / bars["close"].iloc[at - 1] - 1)
    market = load.returns(index).set_index("date").at[day, "ret"]
    return BarCheck(date=day, ret=ret, volume_ratio=float(row["volume"]) / usual,
                    closed_at_low=bool(abs(row["close"] - row["low"]) <= 1e-9 * row["close"]),
                    index_ret=float(market))
