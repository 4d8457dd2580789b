"""The event study's tests on days with no known event: their real size on these securities.

`placebo` runs every statistic the chapter shows (single-security t and SQ test; portfolio,
Kolari-Pynnönen, BMP, GRANK without re-standardization, Corrado and the generalized sign test)
with each eligible session playing "day 0" for a whole group, under the chapter's own
specification (benchmarks without the stock, Tokyo's lead-lag model, gap variance).

Which days: every session on which every member and the group's portfolio have a full
estimation window and event window (`eligible`), except those within `MARGIN` sessions of a
known event day (`known_days`: the comparison events of `data/shocks.csv` and every dated item
of `data/confounders.csv`), so that no tested window [0,+5] and no five sessions before it hold
known news. Groups on one calendar share their days. `n` draws a sample instead (tests).

The fits are one least-squares solve per security for all days at once (`methods.batch`);
`slow` is the per-day path of `leadlag.event_result` and `groups.group_statistics`, kept for
the test that the two agree. The rows are kept in the artefact store (`artefacts.keep`: the key
hashes the arguments, this whole package's source, the data and the facts files).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ...data import artefacts, context
from ...methods import batch, leadlag
from ...methods import groups as m_groups
from ...methods.eventstudy import WINDOWS as ALL_WINDOWS
from ...methods.multiple import rejection_rates
from . import study as es

GROUPS = {"US semiconductors": ("NVDA", "AVGO", "AMD", "MU", "MRVL", "INTC", "QCOM"),
          "US chip equipment": ("AMAT", "LRCX", "KLAC"),
          "Japan semiconductors": ("6857.T", "8035.T", "6146.T", "6920.T", "7735.T", "6723.T")}
WINDOWS = ("[0]", "[0,+1]", "[0,+5]")
MARGIN = 5    # sessions between a placebo day 0 and any known event day, either side
TESTS = {"single t": None, "single SQ": None, "portfolio": "port_p", "Kolari-Pynnönen": "kp_p",
         "BMP": "bmp_p", "GRANK": "grank_nr_p", "Corrado": "corrado_p", "sign": "gsign_p"}
GROUP_KEYS = {"Kolari-Pynnönen": "kp_p", "BMP": "bmp_p", "GRANK": "grank_nr_p",
              "Corrado": "corrado_p", "sign": "gsign_p"}
SEED = 20250127


def known_days() -> pd.DatetimeIndex:
    """Calendar dates of known news: comparison events and dated confounders."""
    dates = pd.concat([context.shocks()["date"], context.confounders()["date"]])
    return pd.DatetimeIndex(sorted(set(pd.to_datetime(dates))))


@dataclass(frozen=True)
class Layout:
    """A group's members on one shared calendar (`grid`, the union of their dates): each
    member's first grid row, and its arrays (ret, x, matched, weekdays) in its own rows."""
    grid: pd.DatetimeIndex
    offsets: dict[str, int]
    arrays: dict[str, tuple[np.ndarray, ...]]
    regs: tuple[str, ...]


def layout(tickers: tuple[str, ...], spec: es.Spec = es.NEW) -> Layout:
    """Members' frames on one calendar; raises if a member's dates are not a run of it."""
    frames = {t: es.full_frame(t, spec) for t in tickers}
    grid = pd.DatetimeIndex(sorted(set().union(*(set(f["date"]) for f in frames.values()))))
    regs = es.regressors(tickers[0], spec)
    offsets, arrays = {}, {}
    for t, f in frames.items():
        off = int(grid.searchsorted(f["date"].iloc[0]))
        if not np.array_equal(grid[off:off + len(f)].to_numpy(), f["date"].to_numpy()):
            raise ValueError(f"{t}: its sessions are not a run of the group's shared calendar")
        offsets[t] = off
        arrays[t] = (f["ret"].to_numpy(float), f[list(regs)].to_numpy(float),
                     f["matched"].to_numpy(bool), f["weekdays"].to_numpy(float))
    return Layout(grid, offsets, arrays, regs)


def portfolio_arrays(lay: Layout) -> tuple[int, tuple[np.ndarray, ...]]:
    """The equal-weighted portfolio on the grid from the last member's first row
    (`leadlag.event_portfolio`): its first grid row and (ret, x, matched, weekdays)."""
    first = max(lay.offsets.values())
    cut = [tuple(a[first - lay.offsets[t]:] for a in lay.arrays[t]) for t in lay.arrays]
    size = min(len(c[0]) for c in cut)
    stack = [np.stack([c[i][:size] for c in cut]) for i in range(4)]
    return first, (stack[0].mean(axis=0), stack[1].mean(axis=0), stack[2].all(axis=0),
                   stack[3].mean(axis=0))


def fits(lay: Layout, spec: es.Spec = es.NEW) -> tuple[dict[str, batch.Many], batch.Many]:
    """Every member and the portfolio analysed with day 0 on every row of the grid."""
    rows = np.arange(len(lay.grid))
    members = {t: batch.fit_many(*a, rows - lay.offsets[t], spec.estimation, gap=spec.gap)
               for t, a in lay.arrays.items()}
    first, port = portfolio_arrays(lay)
    return members, batch.fit_many(*port, rows - first, spec.estimation, gap=spec.gap)


def eligible(lay: Layout, spec: es.Spec = es.NEW, margin: int = MARGIN,
             fitted: tuple | None = None) -> np.ndarray:
    """Grid rows that can be day 0 for every member and the portfolio, more than `margin`
    sessions from every known event day (an event on a closed day counts from the next
    session)."""
    members, port = fitted or fits(lay, spec)
    ok = port.usable.copy()
    for m in members.values():
        ok &= m.usable
    for day in lay.grid.searchsorted(known_days()):
        ok[max(day - margin, 0):day + margin + 1] = False
    return np.flatnonzero(ok)


def _group_rows(group: str, lay: Layout, rows: np.ndarray, fitted: tuple,
                windows: tuple[str, ...]) -> pd.DataFrame:
    dates = lay.grid[rows]
    cols = [list(ALL_WINDOWS).index(w) for w in windows]
    members = {t: m.take(rows) for t, m in fitted[0].items()}
    port = fitted[1].take(rows)
    stats_ = batch.group_many(list(members.values()))
    parts = []

    def add(test: str, ticker: str, p: np.ndarray) -> None:
        for w, c in zip(windows, cols):
            parts.append(pd.DataFrame({"date": dates, "group": group, "window": w, "test": test,
                                       "ticker": ticker, "p": p[:, c]}))

    for t, m in members.items():
        add("single t", t, m.p)
        sq = np.column_stack([batch.sq_many(m.est, m.car[:, c], np.rint(m.span[:, c]))
                              for c in range(m.car.shape[1])])
        add("single SQ", t, sq)
    add("portfolio", "", port.p)
    for test, key in GROUP_KEYS.items():
        add(test, "", stats_[key])
    out = pd.concat(parts, ignore_index=True)
    return out.loc[out["p"].notna()]


def compute(groups: dict, spec: es.Spec = es.NEW, n: int | None = None, seed: int = SEED,
            windows=WINDOWS) -> pd.DataFrame:
    """Placebo rows (date, group, window, test, ticker, p) for every eligible day of each group
    (or a sample of `n` of them, without replacement, the same draw for groups that share a
    calendar)."""
    out = []
    for group, tickers in groups.items():
        lay = layout(tuple(tickers), spec)
        fitted = fits(lay, spec)
        rows = eligible(lay, spec, fitted=fitted)
        if n is not None and n < len(rows):
            rows = np.sort(np.random.default_rng(seed).choice(rows, size=n, replace=False))
        out.append(_group_rows(group, lay, rows, fitted, tuple(windows)))
    table = pd.concat(out, ignore_index=True)
    order = ["date", "group", "window", "test", "ticker"]
    return table[order + ["p"]].sort_values(order, kind="stable").reset_index(drop=True)


def slow(group: str, tickers: tuple[str, ...], dates, spec: es.Spec = es.NEW,
         windows=WINDOWS) -> pd.DataFrame:
    """The same rows one day at a time with the per-day functions (`leadlag.event_result`,
    `leadlag.event_portfolio`, `groups.group_statistics`, `eventstudy.empirical`)."""
    frames = {t: es.full_frame(t, spec) for t in tickers}
    regs = es.regressors(tickers[0], spec)
    rows = []
    for day in pd.DatetimeIndex(dates):
        members = []
        for t, frame in frames.items():
            f = frame.assign(tau=np.arange(len(frame)) - int(frame["date"].searchsorted(day)))
            members.append(leadlag.event_result(f, t, regs, spec.estimation, spec.gap))
        for m in members:
            emp = es.empirical(m)
            rows += [(day, group, w, "single t", m.label, m.windows.at[w, "p"]) for w in windows]
            rows += [(day, group, w, "single SQ", m.label, emp[w]) for w in windows]
        port = leadlag.event_portfolio(members, group, regs, spec.estimation, spec.gap)
        for g in m_groups.group_statistics(members, group, windows, spec.estimation,
                                           spec.gap, port=port):
            rows += [(day, group, g["window"], test, "", g[key]) for test, key in TESTS.items()
                     if key is not None and np.isfinite(g[key])]
    return pd.DataFrame(rows, columns=["date", "group", "window", "test", "ticker", "p"])


def placebo(groups: dict | None = None, spec: es.Spec = es.NEW, n: int | None = None,
            seed: int = SEED, windows=WINDOWS) -> pd.DataFrame:
    """One row per placebo day, group, window, test (and ticker, for single-security tests)
    with its two-sided p-value; from the artefact store when nothing it depends on changed."""
    groups = {g: tuple(t) for g, t in (groups or GROUPS).items()}
    return artefacts.keep("eventstudy-placebo", lambda: compute(groups, spec, n, seed, windows),
                          sorted(groups.items()), spec, n, seed, tuple(windows), MARGIN)


def rates(rows: pd.DataFrame) -> pd.DataFrame:
    """Rejection rates at 1%, 5% and 10% per test (all groups and windows pooled, "All") and
    per group, each with its Monte-Carlo standard error (placebo days are the independent
    draws): index (group, test), columns n, days, 1%, 5%, 10%, se 1%, se 5%, se 10%."""
    pooled = rejection_rates(rows.assign(group="All"), by=("group", "test"), cluster="date")
    per = rejection_rates(rows, by=("group", "test"), cluster="date")
    return pd.concat([pooled, per])


def days(rows: pd.DataFrame) -> pd.Series:
    """Placebo days per group, and their span."""
    return rows.groupby("group", sort=False)["date"].agg(["nunique", "min", "max"])
