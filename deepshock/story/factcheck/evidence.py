"""What the fact-check reads (`Evidence`, real or made up for tests) and what each measurement
returns (`Finding`), with the small formatting helpers the measurements share."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd

PRICES = "Yahoo Finance daily closes"
MINUS = "\u2212"  # house style: one minus sign in text
# Markets whose figures in the article may be intraday: it went out on 28 January while or
# just after Tokyo traded, so a Tokyo move it quotes need not be the close.
INTRADAY_MARKETS = {"XTKS"}


@dataclass
class Evidence:
    """Everything the checks read; tests pass small made-up frames instead of the real data."""
    returns: pd.DataFrame            # load.returns(): ticker, date, prev_date, ..., ret
    sessions: pd.DataFrame           # ticker, date of every bar a security traded
    events: pd.DataFrame             # facts.events()
    records: pd.DataFrame            # facts.records()
    losses: pd.DataFrame             # marketvalue.losses()
    calendar: Callable[[str, str, str], pd.DatetimeIndex] | None = None
    codes: dict[str, str] = field(default_factory=dict)   # ticker -> exchange calendar code
    bars: pd.DataFrame | None = None  # ticker, date, high, low (intraday range)
    # (calendar code, session) -> (open, close) in UTC, for which market traded first
    hours: Callable[[str, pd.Timestamp], tuple[pd.Timestamp, pd.Timestamp]] | None = None
    indices: list[str] = field(default_factory=list)       # the markets "led" is tested among
    names: dict[str, str] = field(default_factory=dict)    # ticker -> display name


@dataclass(frozen=True)
class Finding:
    measured: float | None           # for numeric claims, in the claim's unit
    shown: str                       # the measurement as printed in the table
    basis: str
    verdict: str | None = None       # set when the metric is judged directly
    reason: str = ""
    intraday: tuple[float, float] | None = None  # the session's low and high, as moves (%)


def _day(stamp) -> str:
    return f"{pd.Timestamp(stamp):%-d %b %Y}"


def _window(text: str) -> tuple[pd.Timestamp, pd.Timestamp]:
    start, _, end = text.partition("..")
    return pd.Timestamp(start), pd.Timestamp(end or start)


def signed(value: float, digits: int = 2) -> str:
    """A signed percentage with the minus sign of the house style: -9.148 -> '−9.15%'."""
    return f"{value:+.{digits}f}%".replace("-", MINUS)


def fmt(value: float, unit: str) -> str:
    """A measured or claimed number in the claim's unit: '−16.97%', '$592.7bn', '$5.576M'."""
    if unit == "%":
        return signed(value)
    if unit == "$bn":
        return f"${value:,.1f}bn"
    if unit == "$m":
        return f"${value:,.3f}M"
    return f"{value:g}"
