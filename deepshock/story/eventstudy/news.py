"""What else the event windows held and what kind of day it was: other news per security-window
(`data/confounders.csv` and every tested company's results date, `data/earnings.csv`, matched in
UTC), the S&P 500 panel's breadth on a day, and how close the panel's equal-weighted market is
to RSP.

Timing rule: an item with stated time words is placed at that local clock time (`HOUR`; a
session at midday); an item whose time is not stated covers its whole local day, so a window is
flagged when any hour of that day falls inside it. "No flag" then means no known news.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd

from ...data import context, facts, load, sessions
from ...data.paths import facts_dir
from ...methods import benchmarks
from .study import EVENT, WINDOWS, Spec, Study, panel_market, run

# When in its local day a dated news item is taken to have broken (the table gives words).
HOUR = {"before open": 7, "morning": 9, "midday": 12, "afternoon": 14, "after close": 17,
        "evening": 20}
UNSTATED = ("not stated", "")


def news_utc(row: pd.Series) -> pd.Timestamp:
    """The news item's time in UTC from its date, time zone and time words (midday when the
    time is a session or other words)."""
    words = str(row["time_local"]).lower()
    hour = next((h for k, h in HOUR.items() if words.startswith(k) or k in words), 12)
    return (pd.Timestamp(row["date"]) + pd.Timedelta(hours=hour)).tz_localize(
        row["timezone"]).tz_convert("UTC")


def news_span(row: pd.Series) -> tuple[pd.Timestamp, pd.Timestamp]:
    """(first, last) UTC instant the item can have broken: its time, or its whole local day
    when the time is not stated (the last instant then excluded)."""
    if str(row["time_local"]).strip().lower() in UNSTATED:
        day = pd.Timestamp(row["date"]).tz_localize(row["timezone"])
        return day.tz_convert("UTC"), (day + pd.Timedelta(days=1)).tz_convert("UTC")
    when = news_utc(row)
    return when, when


def news() -> pd.DataFrame:
    """Every dated item that can confound a window: the confounders, and each tested
    company's results (`context.earnings`) unless a confounder of the same date is about that
    company (its first ticker is one of the company's lines: the confounder already describes
    those results). Columns: date, label, tickers, first, last (UTC), kind, certainty."""
    return _news(facts_dir())


@cache
def _news(root: Path) -> pd.DataFrame:
    conf = context.confounders()
    rows = [{"date": r["date"], "label": r["label"], "tickers": list(r["tickers"]),
             "kind": "news", "certainty": r["certainty"], "row": r} for _, r in conf.iterrows()]
    subjects = {(d, ts[0]) for d, ts in zip(conf["date"], conf["tickers"])}
    for _, r in context.earnings().iterrows():
        if not any((r["date"], t) in subjects for t in r["tickers"]):
            left = list(r["tickers"])
            label = f"{r['company']} results" + (" (date unverified)"
                                                 if r["certainty"] == "unverified" else "")
            rows.append({"date": r["date"], "label": label, "tickers": left,
                         "kind": "results", "certainty": r["certainty"], "row": r})
    spans = [news_span(r.pop("row")) for r in rows]
    table = pd.DataFrame(rows)
    table["first"] = [a for a, _ in spans]
    table["last"] = [b for _, b in spans]
    return table.sort_values(["date", "label"], kind="stable").reset_index(drop=True)


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
    items, windows = news(), list(windows)
    first = items["first"].map(lambda x: x.value).to_numpy()[:, None]   # UTC nanoseconds
    last = items["last"].map(lambda x: x.value).to_numpy()[:, None]
    instant = first == last
    bounds = [WINDOWS[w] for w in windows]
    rows = []
    for t, res in study.results.items():
        mine = items["tickers"].map(lambda n, t=t: t in n).to_numpy()
        if not mine.any():
            continue
        closes = sessions.calendar(sessions.code(t)).closes   # UTC, by session
        frame = res.frame.set_index("tau")
        start = closes.loc[[frame.at[a, "prev_date"] for a, _ in bounds]]
        end = closes.loc[[frame.at[b, "date"] for _, b in bounds]]
        start = np.array([x.value for x in start])[None, :]
        end = np.array([x.value for x in end])[None, :]
        # an instant inside (start, end]; a whole day [first, last) overlapping it
        inside = np.where(instant, (first > start) & (first <= end),
                          (first <= end) & (last > start)) & mine[:, None]
        for k, i in zip(*np.nonzero(inside.T)):      # window by window, items in date order
            rows.append({"ticker": t, "window": windows[k], "date": items.at[i, "date"],
                         "label": items.at[i, "label"], "kind": items.at[i, "kind"]})
    return pd.DataFrame(rows, columns=["ticker", "window", "date", "label", "kind"])


def no_results_on_file(study: Study) -> list[str]:
    """Tested companies (funds excluded) with no results date in `data/earnings.csv`."""
    dated = {t for ts in context.earnings()["tickers"] for t in ts}
    uni = facts.universe().set_index("ticker")
    return [t for t in study.results if t not in dated and uni.at[t, "kind"] != "etf"]


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
