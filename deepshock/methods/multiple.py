"""Many tests at once: correcting for multiplicity, and the size of tests on placebo dates.

* `adjust`: a thin wrapper over `statsmodels.stats.multitest.multipletests` (Holm's step-down
  is computed here in numpy, as statsmodels computes it, without the full garbage collection
  statsmodels runs on every Holm call: tested equal to statsmodels). The caller flags
  the hypotheses it named before seeing results (pre-registered primaries). By default they
  are left unadjusted: each is a separate, stated claim tested at its nominal level. With
  `primaries="family"` they are instead adjusted among themselves (same method), which controls
  the error rate over the set of headline claims. All other hypotheses form one family adjusted
  by `method`: "holm" (family-wise error rate, Holm 1979) or "fdr_bh" (false discovery rate,
  Benjamini and Hochberg 1995). An adjusted p-value below a level is exactly the procedure's
  rejection at that level, so stars read off adjusted p-values are valid at 1%, 5% and 10%.
* `rejection_rates`: the share of placebo p-values below 1%, 5% and 10%, for any set of tests.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from statsmodels.stats.multitest import multipletests

LEVELS = (0.01, 0.05, 0.10)
METHODS = ("holm", "fdr_bh")


def star_count(p, levels=LEVELS) -> np.ndarray:
    """Number of levels a two-sided p-value is below (3 = below 1%); NaN p gives 0."""
    p = np.asarray(p, float)
    return sum((p < cut).astype(int) for cut in levels)


def adjusted_p(p, method: str = "holm") -> np.ndarray:
    """multipletests' corrected p-values for the finite entries of `p`; NaN stays NaN."""
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, not {method!r}")
    p = np.asarray(p, float)
    out = np.full(p.shape, np.nan)
    ok = np.isfinite(p)
    if ok.any():
        out[ok] = holm(p[ok]) if method == "holm" else multipletests(p[ok], method=method)[1]
    return out


def holm(p: np.ndarray) -> np.ndarray:
    """Holm's step-down adjusted p-values, computed as `multipletests(p, method="holm")` does:
    the sorted p-values times n, n - 1, ..., 1, made non-decreasing, capped at 1."""
    order = np.argsort(p)
    stepped = np.maximum.accumulate(p[order] * np.arange(len(p), 0, -1))
    stepped[stepped > 1] = 1
    out = np.empty_like(stepped)
    out[order] = stepped
    return out


def adjust(table: pd.DataFrame, p: str = "p", primary: str = "primary",
           method: str = "holm", primaries: str = "unadjusted",
           levels=LEVELS) -> pd.DataFrame:
    """The table with `family`, `p_adj`, `stars` (from p), `stars_adj` (from p_adj) and
    `survives` (every star of the raw p-value survives the adjustment) added.

    `table[primary]` is a boolean flag for the pre-registered hypotheses; `primaries` is
    "unadjusted" (p_adj = p) or "family" (adjusted among themselves with `method`)."""
    if primaries not in ("unadjusted", "family"):
        raise ValueError(f"primaries must be 'unadjusted' or 'family', not {primaries!r}")
    for col in (p, primary):
        if col not in table.columns:
            raise ValueError(f"adjust: the table has no column {col!r}")
    flag = table[primary].astype(bool).to_numpy()
    raw = table[p].to_numpy(float)
    p_adj = np.empty(len(raw))
    p_adj[~flag] = adjusted_p(raw[~flag], method)
    p_adj[flag] = raw[flag] if primaries == "unadjusted" else adjusted_p(raw[flag], method)
    stars, stars_adj = star_count(raw, levels), star_count(p_adj, levels)
    family = np.where(flag, "primary" if primaries == "unadjusted" else f"primary ({method})",
                      f"secondary ({method})")
    return table.assign(family=family, p_adj=p_adj, stars=stars, stars_adj=stars_adj,
                        survives=(stars_adj == stars) & (stars > 0))


def rejection_rates(rows: pd.DataFrame, p="p", by=("window", "test"),
                    levels=LEVELS, cluster: str | None = None) -> pd.DataFrame:
    """Share of p-values below each level, per group of `by`, with the number of tests `n`.

    `p` is one p-value column of a long table (the `placebo` layout: one row per date, window,
    test) or a list of p-value columns of a wide table, each then reported as its own `test`
    (e.g. ["bmp_p", "kp_p", "grank_p"]). Columns: n, then one per level ("1%", "5%", "10%").
    Missing p-values are not counted. Under a well-sized test the 5% column is near 0.05,
    within about 1.96 sqrt(0.05 * 0.95 / n) when the n tests are independent.

    `cluster` (e.g. "date"): the column whose values are the independent draws (tests on the
    same placebo date share it); adds `draws` (their number) and a Monte-Carlo standard error
    per level ("se 5%"), the ratio estimator's sqrt(C / (C - 1) sum_c (r_c - rate m_c)^2) /
    sum_c m_c over the C draws with r_c rejections of m_c tests: the binomial
    sqrt(rate (1 - rate) / n) (times sqrt(n / (n - 1))) when each draw holds one test."""
    by = [by] if isinstance(by, str) else list(by)
    extra = [cluster] if cluster else []
    if not isinstance(p, str):
        keep = [c for c in by if c != "test"] + extra
        rows = rows.melt(id_vars=keep, value_vars=list(p), var_name="test", value_name="p")
        p = "p"
    rows = rows.loc[rows[p].notna(), by + extra + [p]]
    keys = [rows[c] for c in by]
    cols = {"n": rows.groupby(by, sort=False)[p].size()}
    for cut in levels:
        cols[f"{cut:.0%}"] = (rows[p] < cut).groupby(keys, sort=False).mean()
    out = pd.DataFrame(cols)
    if cluster:
        out["draws"] = rows.groupby(by, sort=False)[cluster].nunique()
        for cut in levels:
            hit = rows.assign(_r=(rows[p] < cut).astype(float), _m=1.0)
            per = hit.groupby(by + [cluster], sort=False)[["_r", "_m"]].sum()
            rate = out[f"{cut:.0%}"].reindex(per.index.droplevel(cluster)).to_numpy()
            dev = (per["_r"] - rate * per["_m"]) ** 2
            agg = pd.DataFrame({"dev": dev.to_numpy(), "m": per["_m"].to_numpy()},
                               index=per.index.droplevel(cluster)).groupby(level=by,
                                                                           sort=False).sum()
            c = out["draws"].reindex(agg.index)
            se = np.sqrt(c / (c - 1) * agg["dev"]) / agg["m"]
            out[f"se {cut:.0%}"] = se.reindex(out.index)
    return out
