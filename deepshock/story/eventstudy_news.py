"""What else the event windows held and what kind of day it was: other news per security-window
(`data/confounders.csv`, matched in UTC), the S&P 500 panel's breadth on a day, and how close
the panel's equal-weighted market is to RSP."""

from __future__ import annotations

from functools import cache

import pandas as pd

from ..data import context, load, sessions
from ..methods import benchmarks
from .eventstudy import EVENT, WINDOWS, Spec, Study, panel_market, run

# When in its local day a dated news item is taken to have broken (the table gives words).
HOUR = {"before open": 7, "morning": 9, "midday": 12, "afternoon": 14, "after close": 17,
        "evening": 20}


def news_utc(row: pd.Series) -> pd.Timestamp:
    """The news item's time in UTC from its date, time zone and time words (midday when the
    time is a session or not stated)."""
    words = str(row["time_local"]).lower()
    hour = next((h for k, h in HOUR.items() if words.startswith(k) or k in words), 12)
    return (pd.Timestamp(row["date"]) + pd.Timedelta(hours=hour)).tz_localize(
        row["timezone"]).tz_convert("UTC")


def confounded(study: Study, windows=tuple(WINDOWS)) -> pd.DataFrame:
    """Every security-window whose interval (close before its first session, close of its
    last, UTC) contains a news item of `context.confounders()` naming the security: ticker,
    window, date, label."""
    hits = _confounded(study.spec) if study.complete else _find_confounders(study, WINDOWS)
    return hits.loc[hits["window"].isin(list(windows))].reset_index(drop=True)


@cache
def _confounded(spec: Spec) -> pd.DataFrame:
    return _find_confounders(run(spec), WINDOWS)


def _find_confounders(study: Study, windows) -> pd.DataFrame:
    news = context.confounders()
    when = news.apply(news_utc, axis=1)
    rows = []
    for t, res in study.results.items():
        closes = sessions.calendar(sessions.code(t)).closes   # UTC, by session
        frame = res.frame.set_index("tau")
        mine = news["tickers"].map(lambda n, t=t: t in n).to_numpy()
        if not mine.any():
            continue
        own, own_when = news.loc[mine], when.loc[mine]
        for w in windows:
            a, b = WINDOWS[w]
            start, end = closes.at[frame.at[a, "prev_date"]], closes.at[frame.at[b, "date"]]
            hit = own.loc[(own_when > start) & (own_when <= end)]
            rows += [{"ticker": t, "window": w, "date": d, "label": lab}
                     for d, lab in zip(hit["date"], hit["label"])]
    return pd.DataFrame(rows, columns=["ticker", "window", "date", "label"])


def breadth(day: pd.Timestamp = EVENT) -> pd.DataFrame:
    """S&P 500 panel members' returns on `day` by sector (`methods.benchmarks.breadth`)."""
    members = load.panel_members()
    members = members.loc[members["kind"] == "sp500"].set_index("ticker")
    return benchmarks.breadth(panel_market().loc[day], members["sector"].replace("", "Unknown"))


def rsp_check(start: pd.Timestamp, end: pd.Timestamp) -> dict:
    """How close the panel's equal-weighted market is to RSP over [start, end]: correlation of
    daily returns, tracking error (sd of the difference), and the two returns on EVENT."""
    ew = panel_market().mean(axis=1)
    rsp = load.panel_returns()["RSP"]
    both = pd.concat({"ew": ew, "rsp": rsp}, axis=1).loc[start:end].dropna()
    diff = both["ew"] - both["rsp"]
    return {"corr": float(both.corr().iat[0, 1]), "te": float(diff.std(ddof=1)),
            "n": len(both), "ew0": float(ew.loc[EVENT]), "rsp0": float(rsp.loc[EVENT])}
