"""Cross-sections of returns: many small regressions at once, and one day's regression of
abnormal returns on exposures with the standard errors a referee asks for. No knowledge of
files, securities or chapters.

* `market_without`: each member's benchmark, the equal-weighted mean of the *other* members
  (and of none of its own other share classes).
* `column_ols`: one OLS per column (security) of a time-series regression, all columns in one
  batched solve; each column uses only its own complete rows.
* `cross_sections`: the same cross-sectional OLS (fixed regressors, one row per security) for
  many days at once: one least-squares solve per pattern of missing values, not per day.
* `regress`: one cross-section with statsmodels: coefficients with heteroskedasticity-robust
  (HC3, MacKinnon-White) and cluster-robust (e.g. by industry) standard errors.
* `quantile_table`, `usable_days`, `rank_of`, `overrepresented`: the chapter's summaries.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats


def market_without(stocks: pd.DataFrame, same: Mapping[str, Sequence[str]] | None = None,
                   min_members: int = 30) -> tuple[pd.DataFrame, pd.Series]:
    """(leave-out, full): per date and column of `stocks` (date x member returns) the mean
    return of the members other than the column and its `same`-company listings; and the mean
    of all members (the benchmark of a security that is not a member, e.g. a fund). NaN where
    fewer than `min_members` members have a return."""
    r = stocks.to_numpy(float)
    have = np.isfinite(r)
    vals = np.where(have, r, 0.0)
    own_sum, own_n = vals.copy(), have.astype(float)
    cols = {c: i for i, c in enumerate(stocks.columns)}
    for member, others in (same or {}).items():
        if member not in cols:
            continue
        for other in others:
            if other in cols:
                own_sum[:, cols[member]] += vals[:, cols[other]]
                own_n[:, cols[member]] += have[:, cols[other]]
    total, count = vals.sum(axis=1, keepdims=True), have.sum(axis=1, keepdims=True)
    n = count - own_n
    with np.errstate(invalid="ignore", divide="ignore"):
        loo = np.where(n >= min_members, (total - own_sum) / n, np.nan)
        full = np.where(count[:, 0] >= min_members, total[:, 0] / count[:, 0], np.nan)
    return (pd.DataFrame(loo, index=stocks.index, columns=stocks.columns),
            pd.Series(full, index=stocks.index, name="market"))


@dataclass(frozen=True)
class ColumnFits:
    """Per column: coefficients (intercept first), residual variance (n - k df), rows used."""
    coef: np.ndarray   # (N, k)
    s2: np.ndarray     # (N,)
    n: np.ndarray      # (N,)


def column_ols(y: np.ndarray, regressors: Sequence[np.ndarray], min_obs: int) -> ColumnFits:
    """OLS of each column of `y` (T x N) on an intercept and `regressors` (each T x N, or T
    for one series shared by all columns), using the rows where the column and its regressors
    are all finite. Columns with fewer than `min_obs` such rows, or a singular design, get NaN."""
    y = np.asarray(y, float)
    t, n = y.shape
    xs = [np.broadcast_to(np.asarray(x, float).reshape(t, -1), (t, n)) for x in regressors]
    design = np.stack([np.ones((t, n)), *xs], axis=-1)          # (T, N, k)
    ok = np.isfinite(y) & np.isfinite(design).all(axis=-1)
    design = np.where(ok[..., None], design, 0.0)
    yy = np.where(ok, y, 0.0)
    xtx = np.einsum("tnk,tnl->nkl", design, design)
    xty = np.einsum("tnk,tn->nk", design, yy)
    used = ok.sum(axis=0)
    k = design.shape[-1]
    good = (used >= max(min_obs, k + 1)) & (np.abs(np.linalg.det(xtx)) > 1e-300)
    coef = np.full((n, k), np.nan)
    coef[good] = np.linalg.solve(xtx[good], xty[good][..., None])[..., 0]
    resid = yy - np.einsum("tnk,nk->tn", design, np.nan_to_num(coef))
    with np.errstate(invalid="ignore", divide="ignore"):
        s2 = np.where(good, (np.where(ok, resid, 0.0) ** 2).sum(axis=0) / (used - k), np.nan)
    return ColumnFits(coef, s2, used)


@dataclass(frozen=True)
class Sections:
    """Per day (column of the dependent matrix): coefficients (intercept first), R², rows."""
    coef: np.ndarray   # (D, k)
    r2: np.ndarray     # (D,)
    n: np.ndarray      # (D,)


def cross_sections(y: np.ndarray, x: np.ndarray) -> Sections:
    """OLS of every column of `y` (N securities x D days) on an intercept and the same
    regressors `x` (N x k). Rows with a missing regressor are dropped for every day; rows
    missing on a day are dropped for that day. Days sharing a pattern of missing rows are
    solved together (one `lstsq` per pattern)."""
    y = np.asarray(y, float)
    x = np.asarray(x, float).reshape(len(y), -1)
    keep = np.isfinite(x).all(axis=1)
    y, x = y[keep], x[keep]
    design = np.column_stack([np.ones(len(x)), x])
    have = np.isfinite(y)
    days = y.shape[1]
    coef = np.full((days, design.shape[1]), np.nan)
    r2, n = np.full(days, np.nan), have.sum(axis=0)
    patterns, which = np.unique(have.T, axis=0, return_inverse=True)
    for p, rows in enumerate(patterns):
        cols = np.flatnonzero(which.ravel() == p)
        if rows.sum() <= design.shape[1]:
            continue
        a, b = design[rows], y[np.ix_(rows, cols)]
        beta = np.linalg.lstsq(a, b, rcond=None)[0]
        resid = b - a @ beta
        tss = ((b - b.mean(axis=0)) ** 2).sum(axis=0)
        coef[cols] = beta.T
        r2[cols] = 1 - (resid ** 2).sum(axis=0) / tss
    return Sections(coef, r2, n)


@dataclass(frozen=True)
class Regression:
    """One cross-sectional OLS: `table` per term (coef, HC3 se and p, cluster se and p),
    R², adjusted R², observations, clusters, fitted values and residuals by row label."""
    table: pd.DataFrame
    r2: float
    r2_adj: float
    n: int
    clusters: int
    fitted: pd.Series
    resid: pd.Series


def regress(frame: pd.DataFrame, y: str, x: Sequence[str], cluster: str | None = None,
            dummies: str | None = None) -> Regression:
    """statsmodels OLS of `y` on an intercept, `x` and (optionally) fixed effects of the
    categorical column `dummies`, over the rows with every value present. Standard errors:
    HC3 (heteroskedasticity-robust) and, with `cluster`, clustered by that column (statsmodels'
    small-sample correction; p-values from t with clusters - 1 df)."""
    cols = [y, *x, *([cluster] if cluster else []), *([dummies] if dummies else [])]
    data = frame[cols].dropna()
    exog = data[list(x)].astype(float)
    if dummies:
        exog = exog.join(pd.get_dummies(data[dummies], prefix=dummies, drop_first=True,
                                        dtype=float))
    exog = sm.add_constant(exog, has_constant="add")
    model = sm.OLS(data[y].astype(float), exog)
    hc3 = model.fit(cov_type="HC3")
    table = pd.DataFrame({"coef": hc3.params, "se_hc3": hc3.bse, "p_hc3": hc3.pvalues})
    groups = 0
    if cluster:
        codes = pd.factorize(data[cluster])[0]
        groups = int(codes.max()) + 1
        cl = model.fit(cov_type="cluster", cov_kwds={"groups": codes},
                       use_t=True)
        table = table.assign(se_cluster=cl.bse, p_cluster=cl.pvalues)
    return Regression(table.rename_axis("term"), float(hc3.rsquared), float(hc3.rsquared_adj),
                      int(hc3.nobs), groups, hc3.fittedvalues, hc3.resid)


def zscore(values: pd.Series) -> pd.Series:
    """(x - mean) / standard deviation (ddof 1) over the finite values."""
    return (values - values.mean()) / values.std(ddof=1)


def quantile_table(exposure: pd.Series, value: pd.Series, fell: pd.Series, q: int = 5
                   ) -> pd.DataFrame:
    """Members (rows with all three present) cut into `q` groups of equal size by `exposure`
    (1 = lowest): count, exposure range, mean `value` and the share of `fell` (booleans)."""
    data = pd.DataFrame({"x": exposure, "v": value, "f": fell}).dropna()
    data["group"] = pd.qcut(data["x"], q, labels=False) + 1
    out = data.groupby("group").agg(n=("v", "size"), lo=("x", "min"), hi=("x", "max"),
                                    mean=("v", "mean"), share_fell=("f", "mean"))
    return out.rename_axis("quantile")


def usable_days(sessions: pd.DatetimeIndex, dates: Iterable, spans: Iterable = (),
                margin: int = 5) -> np.ndarray:
    """True for each session that lies more than `margin` sessions from every date in `dates`
    (its first session on or after the date) and from every (first, last) span in `spans`."""
    sessions = pd.DatetimeIndex(sessions)
    bad = np.zeros(len(sessions), bool)
    for first, last in [(d, d) for d in dates] + list(spans):
        lo = sessions.searchsorted(pd.Timestamp(first))
        hi = sessions.searchsorted(pd.Timestamp(last), side="right") - 1
        hi = max(hi, lo)   # a date on a closed day: its first session after
        bad[max(0, lo - margin):hi + margin + 1] = True
    return ~bad


def rank_of(value: float, others: np.ndarray, largest: bool = True) -> tuple[int, int, float]:
    """(rank, out of, share of `others` it exceeds): rank 1 = the largest (or, with
    `largest=False`, the smallest) among `others` and the value itself."""
    others = np.asarray(others, float)
    others = others[np.isfinite(others)]
    beyond = (others > value) if largest else (others < value)
    exceeds = (others < value) if largest else (others > value)
    return int(beyond.sum()) + 1, len(others) + 1, float(exceeds.mean())


def overrepresented(hits: int, drawn: int, marked: int, total: int) -> float:
    """One-sided hypergeometric p-value: the chance that `drawn` members taken at random from
    `total`, of which `marked` are marked, include `hits` or more marked ones."""
    return float(stats.hypergeom.sf(hits - 1, total, marked, drawn))
