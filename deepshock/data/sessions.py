"""Exchange sessions from the `exchange-calendars` package: hours in UTC, holidays, early closes.

Markets are named by the calendar codes in `data/universe.csv` (column `calendar`: XNYS, XTKS,
XKRX, XTAI, XHKG, XPAR). No session date or time is typed here; all come from the calendars.
Yahoo FX quotes (JPY=X) have no exchange calendar: their day labels are not sessions.
"""

from __future__ import annotations

import exchange_calendars as xc
import pandas as pd

from . import facts
from .validate import CALENDAR_END, CALENDAR_START, exchange_calendar
from .validate import first_closed_after  # noqa: F401 (this module's API; facts' rules use it)

# The span the book covers (the snapshot runs 2019-12 .. 2025-06), with room either side.
START, END = CALENDAR_START, CALENDAR_END
CITY = {"XTKS": "Tokyo", "XKRX": "Seoul", "XTAI": "Taipei", "XHKG": "Hong Kong",
        "XPAR": "Paris", "XNYS": "New York"}


def calendar(code: str) -> xc.ExchangeCalendar:
    """The exchange calendar `code` over the book's span (the package's shared, cached one)."""
    return exchange_calendar(code, start=START, end=END)


def code(ticker: str) -> str:
    """Calendar code of a ticker from the universe; raises for FX, which has none."""
    value = facts.universe().set_index("ticker").at[ticker, "calendar"]
    if not value:
        raise ValueError(f"{ticker} has no exchange calendar (FX day labels are not sessions)")
    return value


def sessions(market: str, start: str | pd.Timestamp, end: str | pd.Timestamp) -> pd.DatetimeIndex:
    """Session dates (exchange-local labels, tz-naive) of `market` between start and end inclusive."""
    return pd.DatetimeIndex(calendar(market).sessions_in_range(start, end), freq=None)


def is_open(market: str, date: str | pd.Timestamp) -> bool:
    """Whether `date` is a session of `market` (False on weekends and holidays)."""
    return bool(calendar(market).is_session(pd.Timestamp(date)))


def first_session(market: str, date: str | pd.Timestamp) -> pd.Timestamp:
    """The first session of `market` on or after `date`."""
    return calendar(market).date_to_session(pd.Timestamp(date), direction="next")


def last_session_before(market: str, date: str | pd.Timestamp) -> pd.Timestamp:
    """The last session of `market` strictly before `date`."""
    return calendar(market).date_to_session(pd.Timestamp(date) - pd.Timedelta(days=1),
                                            direction="previous")


def last_closed_before(market: str, when: pd.Timestamp) -> pd.Timestamp:
    """The last session of `market` whose close came strictly before the UTC time `when`."""
    stamp = when.tz_convert("UTC").tz_localize(None).normalize() + pd.Timedelta(days=1)
    day = calendar(market).date_to_session(stamp, direction="previous")
    while close_utc(market, day) >= when:
        day = calendar(market).previous_session(day)
    return day


def shift(market: str, session: str | pd.Timestamp, k: int) -> pd.Timestamp:
    """The session `k` sessions after `session` of `market` (before it when k < 0)."""
    days = calendar(market).sessions
    pos = days.get_loc(pd.Timestamp(session)) + k
    if not 0 <= pos < len(days):
        raise ValueError(f"{market}: {k:+d} sessions from {pd.Timestamp(session):%Y-%m-%d} is "
                         "outside the calendar's span")
    return days[pos]


def closure(market: str, date: str | pd.Timestamp) -> pd.DatetimeIndex:
    """The weekdays without a session just before the first session on or after `date`: the
    run of closed days that covers `date`, or that ends the day before it when `date` is a
    session right after a closure (e.g. the Tuesday after a Monday holiday); empty when that
    session follows the previous one on the next weekday."""
    back = first_session(market, date)
    last = last_session_before(market, back)
    return pd.bdate_range(last + pd.Timedelta(days=1), back - pd.Timedelta(days=1))


def open_utc(market: str, session: str | pd.Timestamp) -> pd.Timestamp:
    """Opening time of a session in UTC."""
    return calendar(market).session_open(pd.Timestamp(session)).tz_convert("UTC")


def close_utc(market: str, session: str | pd.Timestamp) -> pd.Timestamp:
    """Closing time of a session in UTC (the early close on a half day)."""
    return calendar(market).session_close(pd.Timestamp(session)).tz_convert("UTC")


def opens_utc(market: str, dates) -> pd.DatetimeIndex:
    """Opening times in UTC of many sessions at once (`open_utc` per date, vectorized)."""
    return _times(calendar(market).opens, market, dates)


def closes_utc(market: str, dates) -> pd.DatetimeIndex:
    """Closing times in UTC of many sessions at once (`close_utc` per date, vectorized)."""
    return _times(calendar(market).closes, market, dates)


def _times(times: pd.Series, market: str, dates) -> pd.DatetimeIndex:
    days = pd.DatetimeIndex(dates)
    at = times.index.get_indexer(days)
    if (at < 0).any():
        bad = [d.date().isoformat() for d in days[at < 0][:3]]
        raise ValueError(f"{market}: not sessions: {', '.join(bad)}")
    return pd.DatetimeIndex(times.iloc[at]).tz_convert("UTC").rename(None)


def is_early_close(market: str, session: str | pd.Timestamp) -> bool:
    """Whether a session closed early (e.g. Hong Kong's Lunar New Year eve half day)."""
    return pd.Timestamp(session) in calendar(market).early_closes


def trading_blocks(market: str, session: str | pd.Timestamp) -> list[tuple[pd.Timestamp, pd.Timestamp]]:
    """The continuous trading spans of a session in UTC: two when there is a lunch break."""
    cal, day = calendar(market), pd.Timestamp(session)
    start, end = open_utc(market, day), close_utc(market, day)
    if cal.has_break and not pd.isna(cal.session_break_start(day)):
        brk = cal.session_break_start(day).tz_convert("UTC"), cal.session_break_end(day).tz_convert("UTC")
        if brk[0] < end:  # a half day ends at (or before) the break: one span only
            return [(start, brk[0]), (brk[1], end)]
    return [(start, end)]


def status(market: str, date: str | pd.Timestamp) -> str:
    """'open', 'early close', 'closed' (a weekday holiday) or 'weekend' for one calendar date."""
    day = pd.Timestamp(date)
    if is_open(market, day):
        return "early close" if is_early_close(market, day) else "open"
    return "weekend" if day.day_of_week >= 5 else "closed"


def grid(markets: list[str], start: str, end: str) -> pd.DataFrame:
    """Status of each market on each weekday between start and end: market, city, date, status,
    open_utc and close_utc (empty when closed)."""
    rows = []
    for market in markets:
        for day in pd.bdate_range(start, end):
            state = status(market, day)
            traded = state in ("open", "early close")
            rows.append({"market": market, "city": CITY.get(market, market), "date": day,
                         "status": state,
                         "open_utc": open_utc(market, day).strftime("%d %b %H:%M") if traded else "",
                         "close_utc": close_utc(market, day).strftime("%d %b %H:%M") if traded else ""})
    return pd.DataFrame(rows)


def disagreements(dates: pd.DatetimeIndex, market: str, start: str, end: str) -> dict[str, list]:
    """Compare a series' trading dates with the calendar inside [start, end]:
    'missing' = sessions without a row, 'extra' = rows on non-sessions."""
    dates = pd.DatetimeIndex(dates)
    dates = dates[(dates >= pd.Timestamp(start)) & (dates <= pd.Timestamp(end))]
    expected = sessions(market, start, end)
    return {"missing": list(expected.difference(dates)), "extra": list(dates.difference(expected))}
