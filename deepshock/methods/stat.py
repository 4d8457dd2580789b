"""What every test in `methods` returns, and the rule on group size.

* `Stat`: a statistic, its two-sided p-value and the reference distribution the p-value uses,
  spelled out ("t(239)", "N(0,1)") so a table can say which one it is.
* `MIN_GROUP = 3`: group statistics (BMP, Kolari-Pynnönen, Corrado, GRANK, generalized sign)
  refuse fewer members. With two, a cross-sectional standard deviation rests on one difference
  and the statistics swing to extreme values; `require_group` raises a ValueError naming the
  group, so a caller that wants "no statistic" catches it or checks `n >= MIN_GROUP` first.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from scipy import stats

MIN_GROUP = 3


class Stat(NamedTuple):
    """A test statistic with its two-sided p-value; `dist` names the distribution used."""
    stat: float
    p: float
    dist: str   # "t(df)" or "N(0,1)"
    n: int      # securities (or observations) behind it


def require_group(n: int, label: str = "", minimum: int = MIN_GROUP) -> None:
    """Raise ValueError when a group statistic is asked of fewer than `minimum` securities."""
    if n < minimum:
        name = f" {label!r}" if label else ""
        raise ValueError(f"group{name} has {n} securities; group statistics need at least "
                         f"{minimum}")


def t_stat(value: float, df: float) -> Stat:
    """Two-sided p-value of `value` under Student's t with `df` degrees of freedom."""
    return Stat(float(value), float(2 * stats.t.sf(abs(value), df)), f"t({df:g})", 0)


def z_stat(value: float) -> Stat:
    """Two-sided p-value of `value` under the standard normal."""
    return Stat(float(value), float(2 * stats.norm.sf(abs(value))), "N(0,1)", 0)


def as_matrix(values) -> np.ndarray:
    """A float matrix with one column per security (a 1-D input is one security)."""
    arr = np.asarray(values, float)
    return arr[:, None] if arr.ndim == 1 else arr
