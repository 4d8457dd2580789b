"""Extreme days and what followed them, by stated rules. Nothing here knows files, dates or
securities: inputs are returns and levels in session order.

* `tail_days`: the sessions among the `floor(share * n)` largest falls of at least one series
  (each series ranked among its own n returns; ties share the better rank).
* `regain`: sessions needed to close at or above the close before day 0, counted from that
  close (day 0 is session 1; 0 when day 0 itself closed at or above it), censored after a
  stated number of sessions (the sessions observed before the next shock or the data's end).
* `order_censored`: how one recovery time orders against others when some are censored: only
  the comparisons the data decide are counted.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
import pandas as pd


def fall_ranks(returns: pd.DataFrame) -> pd.DataFrame:
    """Rank of each return among its column's returns, 1 = the largest fall (NaN stays NaN)."""
    return returns.rank(method="min", ascending=True, na_option="keep")


def tail_size(n: int, share: float) -> int:
    """How many of `n` sessions make up the tail `share` (0 < share < 1): floor(share * n)."""
    if not 0 < share < 1:
        raise ValueError(f"tail share {share} is not between 0 and 1")
    return int(math.floor(share * n + 1e-9))


def tail_days(returns: pd.DataFrame, share: float) -> pd.DataFrame:
    """Sessions (rows) in the tail of at least one column: its return ranks among the column's
    `tail_size(n, share)` largest falls. Columns `rank <name>` (1 = worst), `tail <name>`
    (bool), and `selected`; the frame's `attrs["k"]` holds each column's tail size."""
    ranks = fall_ranks(returns)
    k = {c: tail_size(int(returns[c].notna().sum()), share) for c in returns.columns}
    out = pd.DataFrame(index=returns.index)
    for c in returns.columns:
        out[f"rank {c}"] = ranks[c]
        out[f"tail {c}"] = (ranks[c] <= k[c]).fillna(False).astype(bool)
    out["selected"] = out[[f"tail {c}" for c in returns.columns]].any(axis=1)
    out.attrs["k"] = k
    return out


class Recovery(NamedTuple):
    sessions: int    # to the regaining close (day 0 = 1), or the sessions observed if censored
    censored: bool   # True: not regained within the sessions observed


def regain(levels, base: float, observed: int | None = None) -> Recovery:
    """Sessions until a close at or above `base` (the close before day 0). `levels`: closes from
    day 0 on; `observed`: how many of them count (the rest lie beyond the censoring point)."""
    window = np.asarray(levels, float)[:observed]
    if len(window) == 0:
        raise ValueError("no session observed after the shock")
    hit = np.flatnonzero(window >= base)
    if not len(hit):
        return Recovery(len(window), True)
    return Recovery(int(hit[0]) + 1 if hit[0] > 0 else 0, False)


def order_censored(value: Recovery, others: list[Recovery]) -> dict[str, int]:
    """How `value` orders against `others`: counts of recoveries certainly faster, tied, certainly
    slower, and those the censoring leaves unordered. A censored time c means 'more than c'."""
    counts = {"faster": 0, "tied": 0, "slower": 0, "unordered": 0}
    for other in others:
        if value.censored:
            key = ("faster" if not other.censored and other.sessions <= value.sessions
                   else "unordered")
        elif other.censored:
            key = "slower" if other.sessions >= value.sessions else "unordered"
        else:
            key = ("faster" if other.sessions < value.sessions else
                   "tied" if other.sessions == value.sessions else "slower")
        counts[key] += 1
    return counts
