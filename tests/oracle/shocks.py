"""Oracle values of the comparison shocks: the rule (New York sessions in the 2.5% tail of the
SOX's or the S&P 500's daily falls), where 27 January ranks among those days, and the two
comparison tables, cell by cell (ranks, moves, censored recoveries)."""

from __future__ import annotations

import functools
import math

import numpy as np
import pandas as pd

from tests.oracle import later, raw
from tests.oracle.raw import SHOCK, day, fall
from tests.oracle.registry import markdown_rows, table, value

SH = "chapters/shocks"
TAIL = 0.025
RULE = ("^SOX", "^GSPC")


@functools.cache
def daily() -> pd.DataFrame:
    frame = pd.DataFrame({t: raw.rets(t) for t in ("^SOX", "^GSPC", "NVDA")}).dropna(
        subset=list(RULE))
    for t in frame.columns[:3]:
        frame[f"rank {t}"] = frame[t].rank(method="min")
    members = raw.panel_rets()[raw.sp500()]
    n = members.notna().sum(axis=1)
    frame["concentration"] = frame["^SOX"] - raw.panel_rets()["RSP"].reindex(frame.index)
    frame["fell"] = (members < 0).sum(axis=1).reindex(frame.index)
    frame["members"] = n.reindex(frame.index)
    frame["share_fell"] = ((members < 0).sum(axis=1) / n.where(n > 0)).reindex(frame.index)
    return frame


def k(ticker: str) -> int:
    return math.floor(TAIL * daily()[ticker].notna().sum() + 1e-9)


@functools.cache
def chosen() -> pd.DataFrame:
    d = daily()
    keep = np.zeros(len(d), bool)
    for t in RULE:
        keep |= (d[f"rank {t}"] <= k(t)).to_numpy()
    return d.loc[keep]


def in_panel() -> pd.DataFrame:
    c = chosen()
    return c.loc[c["concentration"].notna() & c["share_fell"].notna()]


def place(n: int, word: str = "largest") -> str:
    words = {1: "", 2: "second-", 3: "third-", 4: "fourth-", 5: "fifth-", 6: "sixth-",
             7: "seventh-", 8: "eighth-", 9: "ninth-"}
    return f"the {words.get(n, f'{n}th-')}{word}"


def rank_among(frame: pd.DataFrame, column: str) -> int:
    return int((frame[column] < frame.at[SHOCK, column]).sum()) + 1


def recovery(ticker: str, when: pd.Timestamp) -> tuple[int, bool]:
    """Sessions from `when` (day 0 = 1) to the first close at or above the close before it,
    censored at the next comparison day or the data's end; 0 when day 0 closed above."""
    r = raw.rets(ticker)
    level = np.cumprod(1 + r.to_numpy())
    days = list(chosen().index)
    pos = r.index.get_loc(when)
    nxt = days.index(when) + 1
    stop = r.index.get_loc(days[nxt]) if nxt < len(days) else len(r)
    window = level[pos:stop]
    hit = np.flatnonzero(window >= level[pos - 1])
    if not len(hit):
        return len(window), True
    return (int(hit[0]) + 1 if hit[0] > 0 else 0), False


value(SH, "sh_n_days")(lambda: f"{len(chosen()):,}")
value(SH, "sh_sessions")(lambda: f"{len(daily()):,}")
value(SH, "sh_first")(lambda: day(daily().index.min()))
value(SH, "sh_last")(lambda: day(daily().index.max()))
value(SH, "sh_day")(lambda: day(SHOCK, weekday=True))
value(SH, "sh_k_sox")(lambda: f"{k('^SOX'):,}")
value(SH, "sh_k_spx")(lambda: f"{k('^GSPC'):,}")
value(SH, "sh_thr_sox")(lambda: fall(np.sort(daily()["^SOX"].to_numpy())[k("^SOX") - 1]))
value(SH, "sh_thr_spx")(lambda: fall(np.sort(daily()["^GSPC"].to_numpy())[k("^GSPC") - 1]))
value(SH, "sh_sox")(lambda: fall(raw.ret("^SOX", SHOCK)))
value(SH, "sh_nv")(lambda: fall(raw.ret("NVDA", SHOCK)))
value(SH, "sh_spx")(lambda: fall(raw.ret("^GSPC", SHOCK)))
value(SH, "sh_sox_place")(lambda: place(rank_among(chosen(), "^SOX")))
value(SH, "sh_nv_place")(lambda: place(rank_among(chosen(), "NVDA")))
value(SH, "sh_spx_place")(lambda: place(rank_among(chosen(), "^GSPC")))
value(SH, "sh_spx_all")(lambda: place(int(daily().at[SHOCK, "rank ^GSPC"])))
value(SH, "sh_gap")(lambda: f"{abs(daily().at[SHOCK, 'concentration']) * 100:.1f}")
value(SH, "sh_gap_place")(lambda: place(rank_among(in_panel(), "concentration"), "widest"))
value(SH, "sh_n_panel")(lambda: f"{len(in_panel()):,}")
value(SH, "sh_fell")(lambda: str(int(daily().at[SHOCK, "fell"])))
value(SH, "sh_members")(lambda: str(int(daily().at[SHOCK, "members"])))
value(SH, "sh_breadth_place")(lambda: place(rank_among(in_panel(), "share_fell"), "narrowest"))
value(SH, "sh_share_fell")(lambda: f"{daily().at[SHOCK, 'share_fell']:.0%}")


@value(SH, "fig-shocks-map")
def _map_title() -> str:
    panel = in_panel()
    wider = rank_among(panel, "concentration") - 1
    gap = abs(daily().at[SHOCK, "concentration"]) * 100
    span = f"{panel.index.min():%B %Y} to {panel.index.max():%B %Y}"
    lead = f"On 27 January 2025 chips fell {gap:.1f} points more than the average stock"
    if wider == 0:
        return f"{lead}: the widest gap of the {len(panel)} comparison days from {span}"
    return f"{lead}; {wider} of the other {len(panel) - 1} comparison days had a wider gap"


def cell(ticker: str, when: pd.Timestamp, comma: bool = True) -> str:
    rank = int(daily().at[when, f"rank {ticker}"])
    return raw.minus(f"{daily().at[when, ticker] * 100:+.1f}% ({rank:,})" if comma else
                     f"{daily().at[when, ticker] * 100:+.1f}% ({rank})")


def recovery_cell(ticker: str, when: pd.Timestamp) -> str:
    sessions, censored = recovery(ticker, when)
    return f"more than {sessions}" if censored else str(sessions)


@table(SH, "sh_days_table")
def check_days_table(text: str) -> list[str]:
    """Every row of the comparison-days table against the rule recomputed: the days, each
    index's and Nvidia's move with its rank among all sessions, and both recoveries."""
    rows = markdown_rows(text)
    problems = []
    days = list(chosen().index)
    if [r[0] for r in rows] != [f"{d.day} {d:%b %Y}" for d in days]:
        problems.append(f"days differ: {[r[0] for r in rows]} vs {days}")
        return problems
    for r, d in zip(rows, days):
        want = [cell("^SOX", d), cell("^GSPC", d), cell("NVDA", d),
                recovery_cell("^SOX", d), recovery_cell("^GSPC", d)]
        if r[2:7] != want:
            problems.append(f"{d:%Y-%m-%d}: glued {r[2:7]}, raw files give {want}")
    return problems


@table(SH, "sh_moves_table")
def check_moves_table(text: str) -> list[str]:
    """The named shocks' day-0 moves: Nvidia, SOX, S&P 500 (rank among all sessions), the
    equal-weighted S&P 500 fund, the VIX."""
    events = raw.facts("shocks")
    problems = []
    rows = {r[0]: r for r in markdown_rows(text)}
    for e in events.itertuples():
        when = raw.first_on_or_after("^GSPC", pd.Timestamp(e.date))
        r = rows.get(f"{when.day} {when:%b %Y}")
        if r is None:
            problems.append(f"{e.label}: no row for {when:%Y-%m-%d}")
            continue
        want = [e.label, cell("NVDA", when), cell("^SOX", when),
                cell("^GSPC", when),
                raw.minus(f"{raw.panel_rets().at[when, 'RSP'] * 100:+.1f}%"),
                raw.minus(f"{raw.ret('^VIX', when) * 100:+.1f}%")]
        if r[1:7] != want:
            problems.append(f"{e.label}: glued {r[1:7]}, raw files give {want}")
    if len(rows) != len(events):
        problems.append(f"{len(rows)} rows for {len(events)} named shocks")
    return problems



@value(SH, "fig-shocks-paths")
def _paths_title() -> str:
    """The SOX 20 sessions after each named shock's first New York session, compounded from
    the close before it."""
    r = raw.rets("^SOX")
    below, events = 0, raw.facts("shocks")
    for e in events.itertuples():
        pos = r.index.get_loc(raw.first_on_or_after("^GSPC", pd.Timestamp(e.date)))
        below += np.prod(1 + r.iloc[pos:pos + 21].to_numpy()) - 1 < 0
    return (f"20 sessions later the SOX was still below its pre-shock close after {below} of "
            f"{len(events)} shocks")


def full_recovery(ticker: str) -> str:
    """The index followed to the end of the data: the aftermath's count of sessions to its
    first close at or above the last close before the shock."""
    row = later.recovery().loc[ticker]
    if row["status"] == "not":
        return "had not regained its close before the shock by the end of the data"
    return (f"regained its close before the shock after {int(row['sessions'])} sessions, on "
            f"{day(row['date'])}")


value(SH, "sh_rec_sox_full")(lambda: full_recovery("^SOX"))
value(SH, "sh_rec_spx_full")(lambda: full_recovery("^GSPC"))
