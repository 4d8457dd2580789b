"""Compared with what, chosen by a rule: every New York session in the data on which the SOX or
the S&P 500 had one of its largest falls, measured alike, and where the book's event ranks.

The rule (`TAIL`, `RULE`): a New York session is a **comparison day** when the SOX's or the
S&P 500's daily return is among the `floor(TAIL * n)` largest falls of that index's n daily
returns in the data (2.5%: the tail beyond the 97.5% level, the confidence level at which the
Basel market-risk standard measures expected shortfall). Named events of `data/shocks.csv`
label the days that are their New York day 0.

Measures, one row per comparison day:
* size: the SOX's, the S&P 500's and Nvidia's returns, each ranked among all the series'
  daily returns in the data (1 = the largest fall);
* concentration: the SOX's return minus the equal-weighted S&P 500's (RSP), in the panel's
  span only (the panel starts in January 2023);
* breadth: the share of the panel's S&P 500 members that fell (same span);
* recovery of the SOX and of the S&P 500 (`methods.extremes.regain`): sessions from the close
  before the day to the first close at or above it (the day itself is session 1), censored at
  the next comparison day (the sessions before it) or at the data's end.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pandas as pd

from ...data import artefacts, event, facts, load
from ...methods import extremes

TAIL = 0.025
RULE = ("^SOX", "^GSPC")
SIZE = ("^SOX", "^GSPC", "NVDA")
EQUAL = "RSP"  # the equal-weighted S&P 500 (in the panel)
RECOVERY = ("^SOX", "^GSPC")
NEXT, END = "next comparison day", "end of data"


def _returns(ticker: str) -> pd.Series:
    if ticker in set(facts.universe()["ticker"]):
        return load.returns(ticker).set_index("date")["ret"]
    return load.panel_returns()[ticker].dropna()


@cache
def daily() -> pd.DataFrame:
    """Every New York session of the rule's indices: the SIZE returns and their fall ranks, the
    equal-weighted return and concentration (NaN outside the panel), and breadth."""
    frame = pd.DataFrame({t: _returns(t) for t in SIZE}).dropna(subset=list(RULE))
    ranks = extremes.fall_ranks(frame)
    for t in SIZE:
        frame[f"rank {t}"] = ranks[t]
    frame[EQUAL] = _returns(EQUAL).reindex(frame.index)
    frame["concentration"] = frame["^SOX"] - frame[EQUAL]
    members = load.panel_members()
    wide = load.panel_returns()[members.loc[members["kind"] == "sp500", "ticker"]]
    fell, n = (wide < 0).sum(axis=1), wide.notna().sum(axis=1)
    frame["fell"] = fell.reindex(frame.index)
    frame["members"] = n.reindex(frame.index)
    frame["share_fell"] = (fell / n.where(n > 0)).reindex(frame.index)
    frame.index.name = "date"
    return frame


def rule() -> pd.DataFrame:
    """The rule applied to all sessions: ranks, tail flags and `selected`; attrs['k'] the tail
    sizes per index."""
    return extremes.tail_days(daily()[list(RULE)], TAIL)


def labels() -> pd.Series:
    """Named events by their New York day 0 ('; '-joined when two share a day)."""
    table = event.events()
    day0 = [event.day0("XNYS", label) for label in table["label"]]
    return table.groupby(pd.DatetimeIndex(day0))["label"].agg("; ".join)


def _recovery(ticker: str, chosen: pd.DatetimeIndex) -> pd.DataFrame:
    """Per comparison day: sessions to regain the close before it, censored at the next
    comparison day or the data's end."""
    rets = _returns(ticker)
    level = (1 + rets).cumprod().to_numpy()
    dates = rets.index
    rows = []
    for i, day in enumerate(chosen):
        pos = int(dates.get_loc(day))
        nxt = chosen[i + 1] if i + 1 < len(chosen) else None
        stop = int(dates.get_loc(nxt)) if nxt is not None else len(dates)
        rec = extremes.regain(level[pos:], level[pos - 1], stop - pos)
        rows.append({"date": day, f"recovery {ticker}": rec.sessions,
                     f"censored {ticker}": rec.censored,
                     f"censor {ticker}": (NEXT if nxt is not None else END) if rec.censored else "",
                     f"censor_date {ticker}": (nxt if nxt is not None else dates[-1])
                     if rec.censored else pd.NaT})
    return pd.DataFrame(rows).set_index("date")


def days() -> pd.DataFrame:
    """One row per comparison day (see the module's docstring); kept in the artefact store."""
    return artefacts.keep("shocks-days", _days)


def _days() -> pd.DataFrame:
    sel = rule()
    chosen = sel.index[sel["selected"]]
    table = daily().loc[chosen].copy()
    for t in RULE:
        table[f"tail {t}"] = sel.loc[chosen, f"tail {t}"]
    for t in RECOVERY:
        table = table.join(_recovery(t, chosen))
    table["label"] = labels().reindex(chosen).fillna("")
    table["primary"] = table.index == event.day0("XNYS")
    table["severity"] = table[[f"rank {t}" for t in RULE]].min(axis=1)
    return table.reset_index()


def in_panel(table: pd.DataFrame) -> pd.DataFrame:
    """The comparison days inside the panel's span (where concentration and breadth exist)."""
    return table.loc[table["concentration"].notna() & table["share_fell"].notna()]


def ranks(table: pd.DataFrame, day: pd.Timestamp | None = None) -> dict:
    """Where one comparison day (default: the book's event, New York's day 0) stands on each
    measure: rank 1 = the largest fall, the most concentrated, the narrowest, the slowest
    recovery; with the number of days ranked. Recovery ranks count only the orderings the
    censoring decides (`methods.extremes.order_censored`)."""
    day = day if day is not None else event.day0("XNYS")
    rows = table.set_index("date")
    if day not in rows.index:
        raise KeyError(f"{day:%Y-%m-%d} is not a comparison day under the rule")
    me = rows.loc[day]
    out = {"day": day, "n": len(rows)}
    for t in SIZE:
        out[f"size {t}"] = {"value": me[t], "rank": int((rows[t] < me[t]).sum()) + 1,
                            "out_of": len(rows), "rank_all": int(me[f"rank {t}"]),
                            "out_of_all": int(daily()[t].notna().sum())}
    panel = in_panel(table).set_index("date")
    whole = daily().dropna(subset=["concentration"])
    out["concentration"] = {
        "value": me["concentration"], "rank": int((panel["concentration"] < me["concentration"]).sum()) + 1,
        "out_of": len(panel), "rank_all": int((whole["concentration"] < me["concentration"]).sum()) + 1,
        "out_of_all": len(whole), "first": whole.index.min(), "last": whole.index.max()}
    out["breadth"] = {"value": me["share_fell"], "fell": int(me["fell"]), "members": int(me["members"]),
                      "rank": int((panel["share_fell"] < me["share_fell"]).sum()) + 1,
                      "out_of": len(panel)}
    for t in RECOVERY:
        recs = [extremes.Recovery(int(s), bool(c)) for s, c in
                zip(rows[f"recovery {t}"], rows[f"censored {t}"])]
        mine = extremes.Recovery(int(me[f"recovery {t}"]), bool(me[f"censored {t}"]))
        others = [r for d, r in zip(rows.index, recs) if d != day]
        out[f"recovery {t}"] = {"sessions": mine.sessions, "censored": mine.censored,
                                "censor": me[f"censor {t}"], "censor_date": me[f"censor_date {t}"],
                                **extremes.order_censored(mine, others), "out_of": len(others)}
    return out


def shares(table: pd.DataFrame) -> dict:
    """Counts for the prose: days selected, by index, in the panel's span, with labels, and the
    named events that fall outside the rule."""
    named = labels()
    chosen = set(table["date"])
    return {"n": len(table), "first": daily().index.min(), "last": daily().index.max(),
            "sessions": len(daily()), "k": rule().attrs["k"],
            "both": int(table[[f"tail {t}" for t in RULE]].all(axis=1).sum()),
            "in_panel": len(in_panel(table)),
            "labelled": int((table["label"] != "").sum()),
            "outside": [(d, named[d]) for d in named.index if d not in chosen],
            "years": table["date"].dt.year.value_counts().sort_index()}


def threshold(ticker: str) -> float:
    """The smallest fall that still qualifies under the rule for one index (its k-th largest)."""
    rets = daily()[ticker].dropna()
    return float(np.sort(rets.to_numpy())[rule().attrs["k"][ticker] - 1])
