"""Oracle values of the aftermath (recoveries, the April tariff sell-off, groups) and of what it
meant (spending plans against DeepSeek's run, where prices stood on 30 June)."""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd

from tests.oracle import raw
from tests.oracle.raw import count, day, fall
from tests.oracle.registry import value

BASE = pd.Timestamp("2025-01-24")     # New York's last close before the shock
END = pd.Timestamp("2025-06-30")
FORTNIGHT = pd.Timestamp("2025-02-07")  # the last New York session of day 0's two weeks
AFTER = "chapters/aftermath"
MEANING = "chapters/meaning"


def members() -> list[str]:
    """The aftermath's securities: all but the VIX and the yen, which have no price to regain."""
    return [t for t in raw.universe().index if t not in ("^VIX", "JPY=X")]


@functools.cache
def cum(ticker: str) -> pd.Series:
    """Compounded return from the last close on or before BASE to each later session to END."""
    c = raw.close(ticker)
    base = c.loc[:BASE].iloc[-1]
    return c.loc[(c.index > BASE) & (c.index <= END)] / base - 1


@functools.cache
def tariffs() -> dict:
    """April 2025 in the S&P 500: its two largest falls (the first opens the window), its
    largest rise (closes it)."""
    r = raw.rets("^GSPC")
    april = r.loc["2025-04"]
    falls = april.nsmallest(2)
    return {"start": falls.index.min(), "end": april.idxmax()}


@functools.cache
def recovery() -> pd.DataFrame:
    rows = []
    for t in members():
        path = cum(t)
        hit = np.flatnonzero(path.to_numpy() >= 0)
        if len(hit) and hit[0] == 0:
            status, when, n = "never", path.index[0], 0
        elif not len(hit):
            status, when, n = "not", None, None
        else:
            when, n = path.index[hit[0]], int(hit[0]) + 1
            status = "before" if when < tariffs()["start"] else "after"
        rows.append({"ticker": t, "status": status, "date": when, "sessions": n})
    return pd.DataFrame(rows).set_index("ticker")


def n_status(status: str) -> int:
    return int((recovery()["status"] == status).sum())


value(AFTER, "n_total")(lambda: str(len(members())))
value(AFTER, "n_never_below")(lambda: count(n_status("never")))
value(AFTER, "n_before")(lambda: count(n_status("before")))
value(AFTER, "n_after")(lambda: count(n_status("after")))
value(AFTER, "n_not")(lambda: count(n_status("not")))
value(AFTER, "nv_sessions")(lambda: str(int(recovery().at["NVDA", "sessions"])))
value(AFTER, "nv_regained")(lambda: day(recovery().at["NVDA", "date"], weekday=True))
value(AFTER, "fall1_date")(lambda: day(tariffs()["start"], weekday=True))
value(AFTER, "rise_date")(lambda: day(tariffs()["end"], weekday=True))
value(AFTER, "rise")(lambda: raw.pct(raw.ret("^GSPC", tariffs()["end"])))
value(AFTER, "n_above_end")(lambda: count(above_end()))
value(AFTER, "nv_end")(lambda: level(cum("NVDA").iloc[-1]))
value(AFTER, "nv_low")(lambda: level(cum("NVDA").min()))
value(AFTER, "nv_low_date")(lambda: day(cum("NVDA").idxmin()))


def above_end() -> int:
    """Securities at or above their pre-shock close on the last day of the data."""
    return sum(bool(cum(t).iloc[-1] >= 0) for t in members())


@value(AFTER, "fig-aftermath-recovery")
def _recovery_title() -> str:
    done = len(members()) - n_status("not")
    above = above_end()
    return (f"{done} of {len(members())} got back to their pre-shock close and {above} were at "
            f"or above it on 30 June; Nvidia took {int(recovery().at['NVDA', 'sessions'])} "
            "sessions")


@functools.cache
def groups() -> dict[str, pd.Series]:
    """Each group's equal-weighted path, on the dates all its members traded."""
    uni = raw.universe()
    out = {}
    for group in uni.loc[members(), "group"].unique():
        tickers = [t for t in members() if uni.at[t, "group"] == group]
        out[group] = pd.concat([cum(t) for t in tickers], axis=1, sort=True).dropna().mean(axis=1)
    return out


def groups_lower() -> tuple[int, int]:
    """(groups whose low from the tariff sell-off on was below their low of the two weeks after
    the shock, groups)."""
    start = tariffs()["start"]
    lower = sum(p.loc[p.index >= start].min() < p.loc[p.index <= FORTNIGHT].min()
                for p in groups().values())
    return int(lower), len(groups())


value(AFTER, "n_groups")(lambda: count(groups_lower()[1]))
value(AFTER, "n_groups_lower")(lambda: count(groups_lower()[0]))
value(AFTER, "fig-aftermath-groups")(
    lambda: (f"{groups_lower()[0]} of {groups_lower()[1]} groups fell further in the April "
             "tariff rout than after DeepSeek"))


# --- what it meant ----------------------------------------------------------------------------

def level(x: float) -> str:
    return f"{abs(x) * 100:.1f}% {'above' if x >= 0 else 'below'}"


def run_cost() -> float:
    costs = raw.facts("launch_costs").set_index("quantity")["value"].astype(float)
    return costs["gpu_hours"] * costs["price_per_gpu_hour"]


def latest_plans() -> pd.DataFrame:
    capex = raw.facts("capex").assign(low=lambda f: f["low_usd_bn"].astype(float) * 1e9)
    return capex.sort_values("stated", kind="stable").groupby("company").tail(1)


value(MEANING, "me_cost")(lambda: f"${run_cost() / 1e6:.3f}M")
value(MEANING, "me_multiple")(
    lambda: f"{int(latest_plans()['low'].min() / run_cost() // 1000 * 1000):,}")
value(MEANING, "me_end")(lambda: day(cum("NVDA").index[-1]))


@value(MEANING, "me_small")
def _small() -> str:
    row = latest_plans().sort_values("low").iloc[0]
    figure = (f"${float(row['low_usd_bn']):g}–{float(row['high_usd_bn']):g}bn"
              if row["form"] == "range" else f"${float(row['low_usd_bn']):g}bn")
    return f"{row['company'].split()[0]}'s {figure}"


def standing(key: str) -> tuple[float, float]:
    """(first-session move, level on 30 June) of a security or an aftermath group."""
    path = cum(key) if key in raw.universe().index else groups()[key]
    return float(path.iloc[0]), float(path.iloc[-1])


for tag, key in (("nv", "NVDA"), ("sox", "^SOX"), ("spx", "^GSPC"), ("power", "US power"),
                 ("tokyo", "Japan semiconductors")):
    value(MEANING, f"me_{tag}_first")(lambda key=key: fall(standing(key)[0]))
    value(MEANING, f"me_{tag}_end")(lambda key=key: level(standing(key)[1]))


@value(MEANING, "fig-meaning-standing")
def _standing_title() -> str:
    rows = [standing(k) for k in ("NVDA", "^SOX", "^GSPC", "US power", "Japan semiconductors")]
    n, fell = len(rows), sum(f < 0 for f, _ in rows)
    above = sum(e >= 0 for _, e in rows)
    lead = f"All {count(n)}" if above == n else f"{count(above).capitalize()} of {count(n)}"
    first = f"all {count(n)} had fallen" if fell == n else f"{count(fell)} had fallen"
    return f"{lead} stood above their pre-shock close on 30 June; {first} at first"


@value(MEANING, "fig-meaning-plans")
def _plans_title() -> str:
    capex = raw.facts("capex").sort_values("stated", kind="stable")
    cuts = set()
    for _, plans in capex.groupby(["company", "period_start", "period_end"]):
        ends = plans[["low_usd_bn", "high_usd_bn"]].astype(float).to_numpy()
        if (ends[1:] < ends[:-1]).any():
            cuts |= set(plans["company"])
    multiple = int(latest_plans()["low"].min() / run_cost() // 1000 * 1000)
    lead = ("no platform cut its plan" if not cuts else
            f"{count(len(cuts))} of {count(capex['company'].nunique())} platforms cut their plans")
    return (f"After DeepSeek, {lead}; the smallest is over {multiple:,} times the "
            f"${run_cost() / 1e6:.3f}M run")


@value(MEANING, "me_changes")
def _changes() -> str:
    """Each plan stated after the shock against the company's previous one for the same period:
    an end lower is a cut, an end higher (none lower) a rise."""
    capex = raw.facts("capex").sort_values("stated", kind="stable")
    cut, up = [], []
    for _, plans in capex.groupby(["company", "period_start", "period_end"], sort=False):
        ends = plans[["low_usd_bn", "high_usd_bn"]].astype(float).to_numpy()
        for i in range(1, len(plans)):
            if pd.Timestamp(plans["stated"].iloc[i]) < pd.Timestamp("2025-01-27"):
                continue
            short = plans["company"].iloc[i].split()[0]
            if (ends[i] < ends[i - 1]).any():
                cut.append(short)
            elif (ends[i] > ends[i - 1]).any():
                up.append(short)
    n = capex["company"].nunique()
    lead = (f"none of the {count(n)} cut its spending plan after the shock" if not cut else
            f"{' and '.join(dict.fromkeys(cut))} cut after the shock")
    up = list(dict.fromkeys(up))
    return lead + (f", and {' and '.join(up)} raised {'its own' if len(up) == 1 else 'theirs'}"
                   if up else "")
