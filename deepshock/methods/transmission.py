"""How much of a market's move was the usual echo of New York: the one transmission model.

For one security and one event, by OLS on the estimation rows (the caller's window, e.g. the
event study's [-250, -11] of the security's own sessions; rows whose lead is zero are kept):

    R(t) = a + b' L(t) + e(t),   Var e(t) = s^2 h(t),

L(t) = the New York leads over the local lead window (any bound: close-to-close, open-to-close,
intraday), h(t) = 1 for a one-weekday return and k * v_w / s^2 for one spanning k >= 2
weekdays, v_w the security's own past gap variance per weekday (`gaps.own_gap_variance`, from
the residuals of every past row up to the estimation end). For an event row or window with
leads x0 (intercept included; a window sums its rows, as a CAR does):

* total R, with the band R +/- t(.975, T-1) sd sqrt(sum h), sd = the standard deviation of R
  over the estimation rows: the spread of a normal day (of that many weekdays), so the band
  excluding 0 says the total itself was unusual. Taking the gap scale h of the residuals for
  the raw return is an approximation, stated;
* predicted (the usual echo) x0'b, CI from x0' Cov(b) x0, Cov = s^2 (X'X)^-1, t(T-k-1);
* excess R - x0'b, se = sqrt(s^2 sum h + x0' (X'X)^-1 x0 s^2) (`leadlag.car_variance`), t with
  df = T-k-1, two-sided p, CI. The parts add up: predicted + excess = total.

A lead that is zero on all but a few estimation rows (Europe's open-to-close lead: Europe closes
while New York trades, so only its post-holiday rows have one) has no slope: it is dropped
(slope 0, MIN_NONZERO) and the model says so (`dropped`).
`verdict` reads the excess across bounds; `hc3_cov`, `by_group`, `rolling` give the slopes'
stability with OLS and HC3 standard errors; `rejection_rates` scores a placebo.
The p-values rest on normal, independent disturbances with the stated variance; HC3 relaxes
only the equal-variance part. No file, security or chapter knowledge here.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd
from scipy import special, stats

from . import gaps, leadlag

LEVEL = 0.95
MIN_NONZERO = 20   # estimation rows on which a lead must move to get a slope
VERDICTS = ("beyond the usual echo", "within the usual echo", "depends on the lead")


@dataclass(frozen=True)
class Model:
    """A fitted transmission model: the OLS fit on the kept leads, the spread of R over the
    estimation rows, and the own gap variance per weekday (None when under 3 past gaps)."""
    fit: leadlag.OLSFit
    names: tuple[str, ...]      # every lead asked for
    dropped: tuple[str, ...]    # leads zero on every estimation row (no slope)
    sd: float
    per_weekday: float | None
    gaps_used: int

    def slope(self, name: str) -> float:
        """The slope of a lead (0 for a dropped one)."""
        return 0.0 if name in self.dropped else float(self.fit.params[1 + self.fit.names.index(name)])

    def scales(self, weekdays) -> np.ndarray:
        """Disturbance scale h per row (1 for one weekday; own gap variance otherwise)."""
        k = np.asarray(weekdays, float)
        if np.any(k >= 2) and self.per_weekday is None:
            raise ValueError(f"a return spans {int(k.max())} weekdays but only "
                             f"{self.gaps_used} past gaps are known (own gap variance needs 3)")
        if self.per_weekday is None:
            return np.ones_like(k)
        return gaps.scales(k, "own", self.fit.s2, self.per_weekday)


def estimate(ret, leads: pd.DataFrame, weekdays, estimation, min_nonzero: int = MIN_NONZERO
             ) -> Model:
    """Fit on the rows where the boolean `estimation` holds; `ret`, `leads` (one column per
    lead) and `weekdays` cover every row up to the estimation end, whose residuals give the
    own gap variance (past returns spanning >= 2 weekdays). A lead non-zero on fewer than
    `min_nonzero` estimation rows gets no slope (a slope from a handful of post-holiday rows
    says nothing)."""
    ret = np.asarray(ret, float)
    est = np.asarray(estimation, bool)
    x = leads.to_numpy(float)
    names = tuple(leads.columns)
    keep = (x[est] != 0.0).sum(axis=0) >= min_nonzero
    kept = tuple(n for n, k in zip(names, keep) if k)
    fit = leadlag.ols(ret[est], x[est][:, keep], kept)
    resid = ret - fit.predict(x[:, keep])
    ok = np.isfinite(resid)
    try:
        per_weekday, used = gaps.own_gap_variance(resid[ok], np.asarray(weekdays, float)[ok])
    except ValueError:
        per_weekday = None
        used = int((np.asarray(weekdays)[ok] >= 2).sum())
    return Model(fit, names, tuple(n for n, k in zip(names, keep) if not k),
                 float(np.std(ret[est], ddof=1)), per_weekday, used)


def evaluate(model: Model, ret, leads, weekdays, level: float = LEVEL) -> dict:
    """Total, predicted and excess (with CIs, se, t, p) of an event row or window: `ret` and
    `weekdays` one value per row, `leads` rows x leads (a frame with the model's names, or an
    array in that order). Windows are summed."""
    ret = np.atleast_1d(np.asarray(ret, float))
    x = (leads[list(model.names)].to_numpy(float) if isinstance(leads, pd.DataFrame)
         else np.asarray(leads, float).reshape(len(ret), len(model.names)))
    kept = [model.names.index(n) for n in model.fit.names]
    fit, h = model.fit, model.scales(np.atleast_1d(weekdays))
    c = fit.design(x[:, kept]).sum(axis=0)
    total = float(ret.sum())
    predicted = float(c @ fit.params)
    pred_se = float(np.sqrt(fit.s2 * (c @ fit.xtx_inv @ c)))
    excess = total - predicted
    se = float(np.sqrt(leadlag.car_variance(fit, x[:, kept], h)))
    q = _quantile(level, fit.df)
    half_total = _quantile(level, fit.n - 1) * model.sd * np.sqrt(h.sum())
    t = excess / se
    return {"total": total, "total_lo": total - half_total, "total_hi": total + half_total,
            "predicted": predicted, "predicted_lo": predicted - q * pred_se,
            "predicted_hi": predicted + q * pred_se, "predicted_se": pred_se,
            "excess": excess, "excess_lo": excess - q * se, "excess_hi": excess + q * se,
            "se": se, "t": float(t), "df": fit.df, "p": float(2 * special.stdtr(fit.df, -abs(t))),
            "h": float(h.sum()), "n": fit.n, "gaps_used": model.gaps_used}


@lru_cache(maxsize=256)
def _quantile(level: float, df: int) -> float:
    """The two-sided `level` quantile of Student's t with `df` degrees of freedom."""
    return float(stats.t.ppf(0.5 + level / 2, df))


def verdict(lo, hi) -> str:
    """The rule across bounds (one excess CI per available bound): "beyond the usual echo"
    when every CI excludes 0 on the same side, "within the usual echo" when every CI covers
    0, "depends on the lead" otherwise (also with no bound at all)."""
    lo, hi = np.asarray(lo, float), np.asarray(hi, float)
    if len(lo) and ((hi < 0).all() or (lo > 0).all()):
        return VERDICTS[0]
    if len(lo) and ((lo <= 0) & (hi >= 0)).all():
        return VERDICTS[1]
    return VERDICTS[2]


# --- stability of the slopes -----------------------------------------------------------------

def hc3_cov(X: np.ndarray, resid: np.ndarray, xtx_inv: np.ndarray | None = None) -> np.ndarray:
    """MacKinnon-White HC3 covariance of OLS coefficients for the design X (intercept
    included): (X'X)^-1 X' diag(e_i^2 / (1 - h_ii)^2) X (X'X)^-1."""
    xtx_inv = np.linalg.inv(X.T @ X) if xtx_inv is None else xtx_inv
    lever = np.einsum("ij,jk,ik->i", X, xtx_inv, X)
    w = (resid / (1.0 - lever)) ** 2
    meat = (X * w[:, None]).T @ X
    return xtx_inv @ meat @ xtx_inv


def _slopes(y: np.ndarray, x: np.ndarray, names: tuple[str, ...]) -> dict:
    fit = leadlag.ols(y, x, names)
    X = fit.design(x)
    cov_hc3 = hc3_cov(X, y - X @ fit.params, fit.xtx_inv)
    out = {"n": fit.n}
    for i, name in enumerate(names, start=1):
        out.update({f"b_{name}": fit.params[i], f"se_{name}": np.sqrt(fit.s2 * fit.xtx_inv[i, i]),
                    f"hc3_{name}": np.sqrt(cov_hc3[i, i])})
    return out


def by_group(ret, leads: pd.DataFrame, labels, min_rows: int = 60) -> pd.DataFrame:
    """Slopes with OLS and HC3 standard errors per label (e.g. calendar year): one row per
    label in order of first appearance; NaN slopes for a label with fewer than `min_rows`
    rows (too few to say anything), its `n` still given."""
    ret, labels = np.asarray(ret, float), np.asarray(labels)
    names, x = tuple(leads.columns), leads.to_numpy(float)
    rows = []
    for label in pd.unique(labels):
        sel = labels == label
        row = ({"label": label, **_slopes(ret[sel], x[sel], names)} if sel.sum() >= min_rows
               else {"label": label, "n": int(sel.sum())})
        rows.append(row)
    return pd.DataFrame(rows).reindex(columns=["label", "n", *[
        f"{p}_{n}" for n in names for p in ("b", "se", "hc3")]])


def rolling(ret, leads: pd.DataFrame, window: int = 250, step: int = 1) -> pd.DataFrame:
    """Slopes with OLS and HC3 standard errors on every `window` consecutive rows (each
    `step` rows); `end` = position of the window's last row."""
    ret, names, x = np.asarray(ret, float), tuple(leads.columns), leads.to_numpy(float)
    rows = [{"end": end, **_slopes(ret[end - window + 1:end + 1], x[end - window + 1:end + 1],
                                   names)}
            for end in range(window - 1, len(ret), step)]
    return pd.DataFrame(rows)


# --- a placebo's score -----------------------------------------------------------------------

def rejection_rates(p, levels=(0.01, 0.05, 0.10)) -> pd.DataFrame:
    """Share of placebo p-values below each level, with its binomial standard error under
    the null, sqrt(level (1 - level) / n), and the exact two-sided binomial p of the count
    (the tests are treated as independent; same-day tests of one market are not)."""
    p = np.asarray(p, float)
    p = p[np.isfinite(p)]
    rows = []
    for level in levels:
        k = int((p < level).sum())
        rows.append({"level": level, "n": len(p), "rejected": k,
                     "rate": k / len(p) if len(p) else np.nan,
                     "se": np.sqrt(level * (1 - level) / len(p)) if len(p) else np.nan,
                     "binom_p": stats.binomtest(k, len(p), level).pvalue if len(p) else np.nan})
    return pd.DataFrame(rows)


# --- many day-0 rows of one security at once (placebos) ----------------------------------------

def evaluate_many(ret, leads, weekdays, day0, estimation: tuple[int, int],
                  min_nonzero: int = MIN_NONZERO, level: float = LEVEL) -> pd.DataFrame:
    """`evaluate(estimate(...), ...)` of one security for every position in `day0` at once:
    for each day 0 the model is fitted on rows day0 + estimation[0] .. day0 + estimation[1]
    (own gap variance from every row up to the estimation end) and evaluated on the day-0 row
    alone. `ret` and `weekdays` one value per row, `leads` rows x leads. One batched solve of
    the normal equations for every day 0 (a lead with no slope gets a zero column and a unit
    diagonal, which leaves the other slopes as in the smaller model); one row per day 0 with
    the keys of `evaluate`. Raises, as `estimate`/`evaluate` do, on missing estimation values
    or a multi-weekday day 0 without 3 past gaps."""
    y, w = np.asarray(ret, float), np.asarray(weekdays, float)
    x = np.asarray(leads, float).reshape(len(y), -1)
    zero = np.asarray(day0, int)
    rows = zero[:, None] + np.arange(estimation[0], estimation[1] + 1)[None, :]
    if len(zero) and (min(rows.min(), zero.min()) < 0 or max(rows.max(), zero.max()) >= len(y)):
        raise ValueError("evaluate_many: an estimation window or day 0 lies outside the rows")
    xe, ye = x[rows], y[rows]                                   # days x T x leads, days x T
    kept = (xe != 0.0).sum(axis=1) >= min_nonzero               # days x leads
    xe = np.where(kept[:, None, :], xe, 0.0)
    X = np.concatenate([np.ones(ye.shape + (1,)), xe], axis=2)
    if not (np.isfinite(X).all() and np.isfinite(ye).all()):
        raise ValueError("evaluate_many: missing values in the estimation rows")
    xtx = np.einsum("dti,dtj->dij", X, X)
    diag = np.concatenate([np.zeros((len(zero), 1), bool), ~kept], axis=1)
    xtx[diag[:, :, None] & np.eye(X.shape[2], dtype=bool)[None]] = 1.0
    xtx_inv = np.linalg.inv(xtx)
    params = np.einsum("dij,dj->di", xtx_inv, np.einsum("dti,dt->di", X, ye))
    n, k = ye.shape[1], 1 + kept.sum(axis=1)
    df = n - k
    s2 = ((ye - np.einsum("dti,di->dt", X, params)) ** 2).sum(axis=1) / df
    # the own gap variance: residuals of every gap row up to each estimation end
    full = np.column_stack([np.ones(len(y)), x])
    full = np.where(np.isfinite(full), full, 0.0)             # a dropped lead's slope is 0
    resid = y[None, :] - np.einsum("ni,di->dn", full, params)
    finite = np.isfinite(y)[None, :] & (np.isfinite(x)[None, :, :] | ~kept[:, None, :]).all(axis=2)
    gap = finite & (w >= 2)[None, :] & (np.arange(len(y))[None, :] <= rows[:, -1:])
    used = gap.sum(axis=1)
    spanned = np.where(gap, w, 0.0).sum(axis=1)
    per_weekday = np.divide(np.where(gap, resid, 0.0) ** 2 @ np.ones(len(y)), spanned,
                            out=np.full(len(zero), np.nan), where=used >= 3)
    k0 = w[zero]
    if np.any((k0 >= 2) & (used < 3)):
        raise ValueError("evaluate_many: a day 0 spans several weekdays but fewer than 3 past "
                         "gaps are known (own gap variance needs 3)")
    h = np.where(k0 >= 2, k0 * per_weekday / s2, 1.0)
    c = np.concatenate([np.ones((len(zero), 1)), np.where(kept, x[zero], 0.0)], axis=1)
    total = y[zero]
    predicted = (c * params).sum(axis=1)
    quad = np.einsum("di,dij,dj->d", c, xtx_inv, c)
    pred_se = np.sqrt(s2 * quad)
    excess = total - predicted
    se = np.sqrt(s2 * (h + quad))
    q = np.array([_quantile(level, int(d)) for d in df])
    half_total = _quantile(level, n - 1) * np.std(ye, axis=1, ddof=1) * np.sqrt(h)
    t = excess / se
    return pd.DataFrame({
        "total": total, "total_lo": total - half_total, "total_hi": total + half_total,
        "predicted": predicted, "predicted_lo": predicted - q * pred_se,
        "predicted_hi": predicted + q * pred_se, "predicted_se": pred_se,
        "excess": excess, "excess_lo": excess - q * se, "excess_hi": excess + q * se,
        "se": se, "t": t, "df": df, "p": 2 * special.stdtr(df, -np.abs(t)), "h": h,
        "n": np.full(len(zero), n), "gaps_used": used})
