"""Fact-check measurements that need more than one close: the session's intraday range, the
worst day of a window and whether a market "led" it (timing in UTC and size), and closures
from exchange calendars."""

from __future__ import annotations

import pandas as pd

from .evidence import INTRADAY_MARKETS, PRICES, Evidence, Finding, _day, _window, signed


# Exchange calendars by the market a reader knows (the calendar codes stay in the data).
MARKETS = {"XKRX": "Seoul", "XTAI": "Taipei", "XSHG": "Shanghai", "XSHE": "Shenzhen",
           "XHKG": "Hong Kong", "XTKS": "Tokyo", "XNYS": "New York"}


def _range(ticker: str, row: pd.DataFrame, ev: Evidence) -> tuple[float, float] | None:
    """The session's low and high against the previous close, in per cent (None without bars).
    High, low and close of one file share its adjustment, so the ratios are as traded."""
    if ev.bars is None or ev.codes.get(ticker) not in INTRADAY_MARKETS:
        return None
    day, prev = row["date"].iloc[0], float(row["prev_close"].iloc[0])
    bar = ev.bars.loc[(ev.bars["ticker"] == ticker) & (ev.bars["date"] == day)]
    if bar.empty:
        return None
    return (float(bar["low"].iloc[0]) / prev - 1) * 100, (float(bar["high"].iloc[0]) / prev - 1) * 100


def _worst(claim: pd.Series, ev: Evidence) -> tuple[pd.Series | None, pd.Timestamp]:
    start, end = _window(claim["date"])
    series = ev.returns.loc[(ev.returns["ticker"] == claim["subject"])
                            & ev.returns["date"].between(start, end)]
    return (None if series.empty else series.loc[series["ret"].idxmin()]), start


def _worst_month(claim: pd.Series, ev: Evidence) -> Finding:
    worst, start = _worst(claim, ev)
    if worst is None:
        return Finding(None, "no sessions", PRICES, "not supported", "no sessions in the window")
    same = worst["date"].to_period("M") == pd.Period(claim["claimed"], "M")
    return Finding(None, f"worst {_day(worst['date'])} ({signed(worst['ret'] * 100)})",
                   PRICES, "confirmed" if same else "wrong",
                   f"the worst session of {start:%Y} is {'in' if same else 'not in'} "
                   "the claimed month")


def led(day: pd.Timestamp, subject: str, ev: Evidence) -> dict:
    """Whether `subject` led the markets of `ev.indices` on calendar date `day`: its session
    opened first in UTC (ties allowed and reported) and its fall was the largest. Markets
    without a session that date are left out. Returns first, largest, ties, order (ticker,
    open, return, sorted by open) and n."""
    rows = ev.returns.loc[ev.returns["ticker"].isin(ev.indices) & (ev.returns["date"] == day)]
    order = []
    for r in rows.itertuples():
        opened, _ = ev.hours(ev.codes[r.ticker], day)
        order.append((r.ticker, opened, float(r.ret)))
    order.sort(key=lambda item: (item[1], item[0]))
    mine = next(item for item in order if item[0] == subject)
    earliest = min(item[1] for item in order)
    ties = [t for t, opened, _ in order if opened == mine[1] and t != subject]
    deepest = min(ret for *_, ret in order)
    return {"first": mine[1] == earliest, "largest": mine[2] == deepest, "ties": ties,
            "order": order, "n": len(order), "ret": mine[2]}


def _led_meltdown(claim: pd.Series, ev: Evidence) -> Finding:
    """The claimed month must hold the subject's worst session of the window; "led" is then
    tested on that session (`led`): confirmed when it came first and fell most, consistent
    when only one holds or neither can be tested, wrong when the month is wrong."""
    worst, start = _worst(claim, ev)
    if worst is None:
        return Finding(None, "no sessions", PRICES, "not supported", "no sessions in the window")
    shown = f"worst {_day(worst['date'])} ({signed(worst['ret'] * 100)})"
    if worst["date"].to_period("M") != pd.Period(claim["claimed"], "M"):
        return Finding(None, shown, PRICES, "wrong",
                       f"the worst session of {start:%Y} is not in the claimed month")
    if ev.hours is None or not ev.indices:
        return Finding(None, shown, PRICES, "consistent",
                       "the month is right; no other markets to test 'led' against")
    test = led(worst["date"], claim["subject"], ev)
    others = [t for t, *_ in test["order"] if t != claim["subject"]]
    name = lambda t: ev.names.get(t, t)  # noqa: E731
    deeper = [f"{name(t)} {signed(r * 100, 1)}" for t, _, r in test["order"] if r < test["ret"]]
    ties = [name(t) for t in test["ties"]]
    timing = ("opened first in UTC" + (f" (with {', '.join(ties)} at the same time)"
                                       if ties else "")
              if test["first"] else "did not open first in UTC")
    size = (f"fell most of the {test['n']} markets trading that date" if test["largest"]
            else f"did not fall most ({', '.join(deeper)})")
    verdict = "confirmed" if test["first"] and test["largest"] else "consistent"
    return Finding(None, shown, f"{PRICES}; exchange calendars", verdict,
                   f"the month is right; on {_day(worst['date'])} the {name(claim['subject'])} "
                   f"{timing} and "
                   f"{size}" + ("" if others else "; no other market traded"))


def _closed(claim: pd.Series, ev: Evidence) -> Finding:
    """A closure is confirmed from the exchange calendar of each subject (a calendar code, or
    the universe's calendar of each ticker), never from missing rows alone: rows only
    cross-check it (a row on a day the calendar says was closed is reported)."""
    start, end = _window(claim["date"])
    subjects = claim["subject"].split(";")
    codes = sorted({ev.codes.get(s, s) for s in subjects})
    if ev.calendar is None or not all(codes):
        return Finding(None, "no calendar", "none", "not supported",
                       "no exchange calendar for that market")
    shown, open_days, reopen = [], [], []
    for code in codes:
        inside = ev.calendar(code, str(start.date()), str(end.date()))
        after = ev.calendar(code, str((end + pd.Timedelta(days=1)).date()),
                            str((end + pd.Timedelta(days=21)).date()))
        open_days += [f"{MARKETS.get(code, code)} {_day(d)}" for d in inside]
        if len(after):
            reopen.append(after[0])
        shown.append(f"{MARKETS.get(code, code)}: {len(inside)} sessions" +
                     (f", reopens {_day(after[0])}" if len(after) else ""))
    where = ", ".join(MARKETS.get(c, c) for c in codes)
    basis = f"exchange calendar ({where})"
    if open_days:
        return Finding(None, "; ".join(shown), basis, "wrong",
                       f"the calendar has sessions in the window ({', '.join(open_days)})")
    rows = ev.sessions.loc[ev.sessions["ticker"].isin(subjects)
                           & ev.sessions["date"].between(start, end)]
    if not rows.empty:
        first = rows.iloc[0]
        return Finding(None, "; ".join(shown), basis, "not supported",
                       f"the calendar shows a closure, but the price data have a "
                       f"{first['ticker']} close on {_day(first['date'])}")
    checked = "; the price data have no closes in the window either" if \
        set(subjects) & set(ev.sessions["ticker"]) else ""
    return Finding(None, "; ".join(shown), basis, "confirmed",
                   f"no session in {where} from {_day(start)} to {_day(end)}"
                   + checked)
