"""Benchmarks that do not contain the stock they judge, and a day's market breadth.

* `leave_one_out`: for every member of a wide return frame (date x member) at once, the mean
  return of all *other* members with a return that day: (total - own) / (count - 1), or with
  weights (e.g. previous-close market values) sum_{j != i} w_j r_j / sum_{j != i} w_j. Days
  with fewer than `min_members` other members give NaN, so a thin day never poses as a market.
* `excluding`: the same for one security (a Series).
* `breadth`: one day's returns by sector: how many rose, fell, were unchanged and had no
  return (so every count says what it is out of), with equal- and cap-weighted mean returns.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

ALL = "All"


def leave_one_out(wide: pd.DataFrame, min_members: int = 30,
                  weights: pd.DataFrame | None = None) -> pd.DataFrame:
    """Frame like `wide`: each column the (weighted) mean of the other columns' returns.

    A member without a return that day still gets the others' mean. `weights` (same shape,
    aligned to `wide`) must be known before the day they weight (e.g. the previous close's
    market value); a member counts only where both its return and its weight exist."""
    r = wide.to_numpy(float)
    have = np.isfinite(r)
    if weights is None:
        w = have.astype(float)
    else:
        w = weights.reindex(index=wide.index, columns=wide.columns).to_numpy(float)
        if np.any(w[np.isfinite(w)] < 0):
            raise ValueError("leave_one_out: negative weights")
        have &= np.isfinite(w)
        w = np.where(have, w, 0.0)
    wr = np.where(have, w * np.where(have, r, 0.0), 0.0)
    others = have.sum(axis=1, keepdims=True) - have
    num = wr.sum(axis=1, keepdims=True) - wr
    den = w.sum(axis=1, keepdims=True) - w
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.where((others >= min_members) & (den > 0), num / den, np.nan)
    return pd.DataFrame(out, index=wide.index, columns=wide.columns)


def excluding(wide: pd.DataFrame, member: str, min_members: int = 30,
              weights: pd.DataFrame | None = None) -> pd.Series:
    """The mean return of every column but `member`, per date (see `leave_one_out`)."""
    if member not in wide.columns:
        raise ValueError(f"excluding: {member!r} is not a column of the return frame")
    rest = wide.drop(columns=member)
    if weights is None:
        mean = rest.mean(axis=1)
        count = rest.notna().sum(axis=1)
    else:
        w = weights.reindex(index=wide.index, columns=rest.columns)
        ok = rest.notna() & w.notna()
        w = w.where(ok, 0.0)
        mean = (rest.where(ok, 0.0) * w).sum(axis=1) / w.sum(axis=1)
        count = ok.sum(axis=1)
    return mean.where(count >= min_members).rename(f"others than {member}")


def breadth(returns: pd.Series, sectors: pd.Series, weights: pd.Series | None = None,
            tol: float = 0.0) -> pd.DataFrame:
    """One day's breadth by sector and overall (`ALL`, last row).

    `returns`, `sectors` and optional `weights` (market values before the day) are indexed by
    member; members of `sectors` without a return are counted as `no_return`. Columns: members,
    rose (> tol), fell (< -tol), unchanged, no_return, ew_ret (equal-weighted mean) and, with
    weights, cw_ret (weighted mean over members with both a return and a weight)."""
    missing = returns.index.difference(sectors.index)
    if len(missing):
        raise ValueError(f"breadth: no sector for {', '.join(map(str, missing[:5]))}")
    frame = pd.DataFrame({"sector": sectors, "ret": returns.reindex(sectors.index)})
    if weights is not None:
        frame["w"] = weights.reindex(sectors.index)

    def summary(part: pd.DataFrame) -> dict:
        r = part["ret"]
        row = {"members": len(part), "rose": int((r > tol).sum()), "fell": int((r < -tol).sum()),
               "unchanged": int(r.between(-tol, tol).sum()), "no_return": int(r.isna().sum()),
               "ew_ret": float(r.mean())}
        if weights is not None:
            ok = r.notna() & part["w"].notna()
            w = part.loc[ok, "w"]
            row["cw_ret"] = float((r[ok] * w).sum() / w.sum()) if w.sum() > 0 else np.nan
        return row

    rows = {sector: summary(part) for sector, part in frame.groupby("sector", sort=True)}
    rows[ALL] = summary(frame)
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis("sector")
