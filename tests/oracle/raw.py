"""The oracle's own readers and formatting: the raw snapshot files and the committed facts read
with plain pandas, and numbers written as the book prints them. Nothing here imports
`deepshock.story` or the loaders of `deepshock.data` (the whole point is to be independent of
them); the formats are the house style's, written out again."""

from __future__ import annotations

import functools
import re
from pathlib import Path

import exchange_calendars as xcals
import numpy as np
import pandas as pd

from tests.conftest import ROOT, SNAPSHOT

DATA = ROOT / "data"
SHOCK = pd.Timestamp("2025-01-27")  # New York's day 0 (data/shocks.csv)
WORDS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]


# --- raw files --------------------------------------------------------------------------------

@functools.cache
def manifest() -> pd.DataFrame:
    return pd.read_csv(SNAPSHOT / "manifest.csv").set_index("ticker")


@functools.cache
def bars(ticker: str) -> pd.DataFrame:
    """The snapshot's daily bars of one security, indexed by date (its own sessions)."""
    path = SNAPSHOT / manifest().at[ticker, "file"]
    return pd.read_csv(path, parse_dates=["date"]).set_index("date").sort_index()


def traded(ticker: str) -> pd.Series:
    """The closes of the sessions a security traded: a placeholder bar (open = high = low =
    close, no volume, the previous close repeated) is no session (PROVENANCE.md, Korea)."""
    b = bars(ticker)
    flat = (b["open"] == b["high"]) & (b["high"] == b["low"]) & (b["low"] == b["close"])
    return b["close"].loc[~(flat & (b["volume"] == 0) & (b["close"] == b["close"].shift(1)))]


def close(ticker: str) -> pd.Series:
    return bars(ticker)["close"]


@functools.cache
def rets(ticker: str) -> pd.Series:
    """Close-to-close returns on the security's own consecutive sessions (a holiday is no row)."""
    c = close(ticker)
    return (c / c.shift(1) - 1).iloc[1:]


def ret(ticker: str, day) -> float:
    return float(rets(ticker).loc[pd.Timestamp(day)])


def first_on_or_after(ticker: str, day=SHOCK) -> pd.Timestamp:
    r = rets(ticker)
    return r.index[r.index >= pd.Timestamp(day)][0]


def window(ticker: str, start, end) -> float:
    """Compounded return over the sessions from `start` to `end` (both included)."""
    r = rets(ticker)
    part = r.loc[(r.index >= pd.Timestamp(start)) & (r.index <= pd.Timestamp(end))]
    return float(np.prod(1 + part.to_numpy()) - 1)


@functools.cache
def panel_closes() -> pd.DataFrame:
    frame = pd.read_csv(SNAPSHOT / "panel" / "closes.csv", parse_dates=["date"])
    return frame.set_index("date").sort_index().astype(float)


@functools.cache
def total_rets(ticker: str) -> pd.Series:
    """Per own session after the first: the return with dividends reinvested wherever an
    adjusted close is known on both sessions (the file's adj_close; the close itself when the
    manifest does not call it RAW; else the panel's adjusted close), the price return elsewhere."""
    own = bars(ticker)
    if own["adj_close"].notna().any():
        adjusted = own["adj_close"]
    elif not str(manifest().at[ticker, "close_convention"]).startswith("RAW"):
        adjusted = own["close"]
    elif ticker in panel_closes().columns:
        adjusted = panel_closes()[ticker].dropna()
    else:
        adjusted = pd.Series(dtype=float)
    levels = pd.DataFrame({"price": own["close"], "adj": adjusted.reindex(own.index)})
    moves = levels.pct_change(fill_method=None).iloc[1:]
    return moves["adj"].fillna(moves["price"])


@functools.cache
def panel_rets() -> pd.DataFrame:
    c = panel_closes()
    return (c / c.shift(1) - 1).iloc[1:]


@functools.cache
def panel_members() -> pd.DataFrame:
    return pd.read_csv(SNAPSHOT / "panel" / "members.csv", dtype=str,
                       keep_default_na=False).set_index("ticker")


def sp500() -> list[str]:
    m = panel_members()
    return sorted(m.index[m["kind"] == "sp500"])


@functools.cache
def facts(name: str) -> pd.DataFrame:
    return pd.read_csv(DATA / f"{name}.csv", dtype=str, keep_default_na=False)


def universe() -> pd.DataFrame:
    return facts("universe").set_index("ticker")


def name(ticker: str) -> str:
    return universe().at[ticker, "name"]


MAX_AGE = pd.Timedelta(days=183)  # a share count further from the day serves no day


def share_row(ticker: str, on: pd.Timestamp = SHOCK) -> pd.Series:
    """The count serving `on` (shares.csv is a dated history): the last count dated to a day at
    or before it, within MAX_AGE; else the first one after it within MAX_AGE; else the latest
    count on file of any date."""
    rows = facts("shares")
    rows = rows.loc[rows["ticker"] == ticker].assign(when=lambda f: pd.to_datetime(f["as_of"]))
    dated = rows.loc[rows["as_of_precision"] == "day"]
    before = dated.loc[(dated["when"] <= on) & (on - dated["when"] <= MAX_AGE)]
    after = dated.loc[(dated["when"] > on) & (dated["when"] - on <= MAX_AGE)]
    if len(before):
        return before.sort_values("when").iloc[-1]
    if len(after):
        return after.sort_values("when").iloc[0]
    return rows.iloc[-1]


def shares(ticker: str, on: pd.Timestamp = SHOCK) -> float:
    return float(share_row(ticker, on)["shares"])


def event_date(label: str) -> pd.Timestamp:
    e = facts("events")
    return pd.Timestamp(e.loc[e["label"] == label, "date"].iloc[0])


# --- formatting (the house style, written again) --------------------------------------------

def fall(fraction: float, digits: int = 1) -> str:
    assert fraction < 0, fraction
    return f"{-fraction * 100:.{digits}f}%"


def pct(fraction: float, digits: int = 1, signed: bool = True) -> str:
    return f"{fraction * 100:{'+' if signed else ''}.{digits}f}%"


def minus(text: str) -> str:
    """The text with each hyphen-minus before a digit written as the house minus (U+2212)."""
    return re.sub(r"-(?=\d)", "\u2212", text)


def bn(dollars: float, digits: int = 1) -> str:
    return f"${dollars / 1e9:,.{digits}f}bn"


def day(stamp, weekday: bool = False) -> str:
    s = pd.Timestamp(stamp)
    text = f"{s.day} {s:%B %Y}"
    return f"{s:%A} {text}" if weekday else text


def count(n: int) -> str:
    """Small counts in words (house style)."""
    return WORDS[n] if 0 <= n < len(WORDS) else f"{n:,}"


def ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


@functools.cache
def calendar(code: str, start: str = "2019-01-01", end: str = "2025-12-31"):
    """An exchange calendar over [start, end] only (the Korean one is slow to build in full)."""
    return xcals.get_calendar(code, start=start, end=end)


def path(*parts: str) -> Path:
    return SNAPSHOT.joinpath(*parts)
