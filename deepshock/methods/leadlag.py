"""Market models with several regressors, for Tokyo: R = a + b_loc Rm + b_ny R_ny(prev) + e.

Tokyo's session on date t closes before New York opens, so the New York session that precedes
it is the previous one (in UTC). The caller aligns `ny` to each Tokyo row: the return of the
last New York session that closed before that Tokyo session opened (e.g. the SOX or the
S&P 500; exchange calendars, not date labels). Here only arrays.

* `ols`: OLS with an intercept by numpy least squares; s^2 with T - k - 1 df.
* `car_variance`: the full prediction-error covariance s^2 (H + X0 (X'X)^-1 X0'), summed over
  the window (H = diag(h_j), the identity unless rows span closures, see `gaps`).
* `window_test`: CAR, its standard error and t with p from t(T - k - 1).
* `decompose`: a day's return = alpha + local-market part (b_loc Rm) + overnight New York
  pass-through (b_ny R_ny) + the abnormal remainder.
With one regressor this is the market model of `eventstudy` (same alpha, beta, s^2 and CAR
variance). `analyse` runs the whole event study on an event-time frame; `event_result` and
`event_portfolio` return `eventstudy.Result`s (any regressors, gap variance) for group tests.

Reading the decomposition: the regressors are correlated (the Nikkei itself opens on New
York's overnight move), so b_ny is the stock's sensitivity to New York *beyond* what its local
market carries, and the "local" part includes the local market's own reaction to New York.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from . import gaps
from .eventstudy import MIN_SHARE, PATH, WINDOWS, Fit, Result
from .stat import Stat, t_stat


@dataclass(frozen=True)
class OLSFit:
    """y = X b + e with X = [1, regressors]; `xtx_inv` = (X'X)^-1; s2 = SSR / (T - k - 1)."""
    params: np.ndarray   # intercept first, then one slope per regressor
    xtx_inv: np.ndarray
    s2: float
    n: int
    names: tuple[str, ...]

    @property
    def df(self) -> int:
        return self.n - len(self.params)

    def design(self, regressors) -> np.ndarray:
        """Rows [1, x_1, ..., x_k] for regressor values (rows x k, or a frame with `names`)."""
        x = _matrix(regressors, self.names)
        return np.column_stack([np.ones(len(x)), x])

    def predict(self, regressors) -> np.ndarray:
        return self.design(regressors) @ self.params


def _matrix(regressors, names=None) -> np.ndarray:
    if isinstance(regressors, pd.DataFrame):
        regressors = regressors[list(names)] if names is not None else regressors
    x = np.asarray(regressors, float)
    return x[:, None] if x.ndim == 1 else x


def ols(y, regressors, names: tuple[str, ...] | None = None) -> OLSFit:
    """OLS of `y` on an intercept and `regressors` (T x k array or frame; NaN-free)."""
    if names is None:
        names = (tuple(regressors.columns) if isinstance(regressors, pd.DataFrame)
                 else tuple(f"x{i + 1}" for i in range(_matrix(regressors).shape[1])))
    x = _matrix(regressors, names)
    y = np.asarray(y, float)
    X = np.column_stack([np.ones(len(y)), x])
    if not (np.isfinite(X).all() and np.isfinite(y).all()):
        raise ValueError("ols: missing values in the estimation rows")
    params, *_ = np.linalg.lstsq(X, y, rcond=None)
    resid = y - X @ params
    xtx_inv = np.linalg.inv(X.T @ X)
    return OLSFit(params, xtx_inv, float(resid @ resid) / (len(y) - X.shape[1]), len(y),
                  tuple(names))


def prediction_covariance(fit: OLSFit, regressors, h=None) -> np.ndarray:
    """Covariance of the window's prediction errors: s^2 (H + X0 (X'X)^-1 X0')."""
    X0 = fit.design(regressors)
    H = np.eye(len(X0)) if h is None else np.diag(np.asarray(h, float))
    return fit.s2 * (H + X0 @ fit.xtx_inv @ X0.T)


def car_variance(fit: OLSFit, regressors, h=None) -> float:
    """Variance of the window's summed prediction errors, 1' V 1, without forming V:
    s^2 (sum h + c (X'X)^-1 c') with c = 1' X0."""
    X0 = fit.design(regressors)
    c = X0.sum(axis=0)
    h_sum = len(X0) if h is None else float(np.sum(h))
    return fit.s2 * (h_sum + float(c @ fit.xtx_inv @ c))


def window_test(fit: OLSFit, ret_window, regressors, h=None) -> tuple[float, float, Stat]:
    """(CAR, standard error, t with p from t(T - k - 1)) over one event window."""
    car = float(np.sum(np.asarray(ret_window, float) - fit.predict(regressors)))
    se = float(np.sqrt(car_variance(fit, regressors, h)))
    return car, se, t_stat(car / se, fit.df)._replace(n=1)


def decompose(fit: OLSFit, ret, regressors) -> pd.DataFrame:
    """Per row: the return, alpha, each regressor's part (slope x value, one column per name)
    and the abnormal remainder; the parts add up to the return."""
    x = _matrix(regressors, fit.names)
    ret = np.asarray(ret, float)
    parts = {"ret": ret, "alpha": np.full(len(ret), fit.params[0])}
    for i, name in enumerate(fit.names):
        parts[name] = fit.params[i + 1] * x[:, i]
    parts["abnormal"] = ret - fit.predict(x)
    index = regressors.index if isinstance(regressors, pd.DataFrame) else None
    return pd.DataFrame(parts, index=index)


def analyse(frame: pd.DataFrame, regressors: tuple[str, ...], estimation: tuple[int, int],
            windows: dict[str, tuple[int, int]], label: str = "", h: str | None = None
            ) -> tuple[OLSFit, pd.DataFrame, pd.DataFrame]:
    """Event study with several regressors on an event-time frame (tau, date, ret, the
    `regressors` columns, matched; optional column `h` of disturbance scales).

    Fits on matched estimation rows with every regressor present; returns (fit, windows:
    car, se, t, df, p per window with p from t(T - k - 1), decomposition of every event row
    from the first window start: `decompose` columns plus tau and date)."""
    tau = frame["tau"].to_numpy()
    x = frame[list(regressors)]
    est = ((tau >= estimation[0]) & (tau <= estimation[1]) & frame["matched"].to_numpy(bool)
           & np.isfinite(x.to_numpy(float)).all(axis=1))
    if est.sum() < 0.8 * (estimation[1] - estimation[0] + 1):
        raise ValueError(f"{label}: only {int(est.sum())} usable estimation days")
    fit = ols(frame.loc[est, "ret"], x.loc[est], tuple(regressors))
    rows = []
    for name, (a, b) in windows.items():
        sel = (tau >= a) & (tau <= b)
        if sel.sum() != b - a + 1 or not np.isfinite(x.loc[sel].to_numpy(float)).all():
            raise ValueError(f"{label}: window {name} is incomplete")
        scale = None if h is None else frame.loc[sel, h].to_numpy(float)
        car, se, t = window_test(fit, frame.loc[sel, "ret"], x.loc[sel], scale)
        rows.append({"window": name, "car": car, "se": se, "t": t.stat, "df": fit.df,
                     "p": t.p})
    first = min(a for a, _ in windows.values())
    ev = tau >= first
    parts = decompose(fit, frame.loc[ev, "ret"], x.loc[ev]).reset_index(drop=True)
    parts.insert(0, "date", frame.loc[ev, "date"].to_numpy())
    parts.insert(0, "tau", tau[ev])
    return fit, pd.DataFrame(rows).set_index("window"), parts


def event_result(frame: pd.DataFrame, label: str, regressors: tuple[str, ...] = ("mret",),
                 estimation: tuple[int, int] = (-250, -11), gap: str | None = None):
    """`eventstudy.Result` of a market model with any regressors (none: the constant-mean
    model; ("mret",): `eventstudy.analyse`; ("mret", "lead"): the Tokyo lead-lag model).

    `frame`: tau, date, ret, matched, the regressor columns, and prev_date (or weekdays) when
    `gap` is "scaled" or "own" (see `gaps`; "own" pools past residuals of every row up to the
    estimation end that spans >= 2 weekdays). Windows and path as in `eventstudy.analyse`;
    p-values from t(T - k - 1)."""
    lo = min(PATH[0], *(a for a, _ in WINDOWS.values()))
    hi = max(PATH[1], *(b for _, b in WINDOWS.values()))
    tau_all = frame["tau"].to_numpy()
    start, stop = np.searchsorted(tau_all, [estimation[0], hi + 1])
    regs = list(regressors)
    x_all = (np.column_stack([frame[c].to_numpy(float) for c in regs]) if regs
             else np.empty((len(frame), 0)))
    ret_all = frame["ret"].to_numpy(float)
    ok_all = frame["matched"].to_numpy(bool) & np.isfinite(x_all).all(axis=1)
    tau, ret, x, ok = tau_all[start:stop], ret_all[start:stop], x_all[start:stop], ok_all[start:stop]
    est = (tau <= estimation[1]) & ok
    if est.sum() < MIN_SHARE * (estimation[1] - estimation[0] + 1):
        raise ValueError(f"{label}: only {est.sum()} usable estimation days")
    ev = tau >= lo
    if ev.sum() != hi - lo + 1 or not np.isfinite(x[ev]).all():
        raise ValueError(f"{label}: event window {lo}..{hi} is incomplete")
    X = np.column_stack([np.ones(len(tau)), x])
    Xe, ye = X[est], ret[est]
    params, *_ = np.linalg.lstsq(Xe, ye, rcond=None)
    xtx_inv = np.linalg.inv(Xe.T @ Xe)
    ar = ret - X @ params
    s2 = float(ar[est] @ ar[est]) / (est.sum() - X.shape[1])
    fit = OLSFit(params, xtx_inv, s2, int(est.sum()), tuple(regs))
    h = used = days = None
    if gap is not None:
        days_all = (frame["weekdays"].to_numpy(float) if "weekdays" in frame else
                    gaps.weekdays_spanned(frame["prev_date"], frame["date"]).astype(float))
        days = days_all[start:stop]
        if gap == "own":
            past = (tau_all <= estimation[1]) & ok_all
            resid = ret_all[past] - np.column_stack([np.ones(past.sum()), x_all[past]]) @ params
            per_day, used = gaps.own_gap_variance(resid, days_all[past])
            h = gaps.scales(days, "own", s2, per_day)
        else:
            h, used = gaps.scales(days, gap), 0
    # window sums over the event rows only: an estimation row without a regressor (not
    # usable, NaN) must not reach them through 0 * NaN
    bounds = np.array(list(WINDOWS.values()))
    sel = ((tau[ev][None, :] >= bounds[:, :1])
           & (tau[ev][None, :] <= bounds[:, 1:])).astype(float)   # window x event row
    c = sel @ X[ev]
    hs = sel.sum(axis=1) if h is None else sel @ h[ev]
    var = s2 * (hs + np.einsum("wi,ij,wj->w", c, xtx_inv, c))
    car = sel @ ar[ev]
    t = car / np.sqrt(var)
    cols_w = {"car": car, "se": np.sqrt(var), "t": t, "df": fit.df,
              "p": 2 * stats.t.sf(np.abs(t), fit.df)}
    if h is not None:
        cols_w.update(weekdays=sel @ days[ev], gap=gap, gaps_used=used)
    windows = pd.DataFrame(cols_w, index=pd.Index(list(WINDOWS), name="window"))
    # the frame keeps the rows before the estimation window too (a portfolio's own-gap
    # variance pools the members' whole past, like each member's)
    cols = {c: frame[c].to_numpy()[:stop] for c in
            ("tau", "date", "ret", "matched", *regs, "prev_date", "weekdays") if c in frame}
    if "mret" not in cols:
        cols["mret"] = np.zeros(stop)
    if gap is not None and "weekdays" not in cols:
        cols["weekdays"] = days_all[:stop]
    m = x[est, 0] if regs else np.zeros(est.sum())
    dm = m - m.mean()
    info = Fit(float(params[0]), float(params[1]) if regs else 0.0, s2, fit.n,
               float(m.mean()), float(dm @ dm))
    date = cols["date"][start:]
    path = pd.DataFrame({"tau": tau[ev], "date": date[ev], "ret": ret[ev],
                         "mret": np.asarray(cols["mret"], float)[start:][ev], "ar": ar[ev]})
    resid = pd.Series(ar[est], index=date[est])
    return Result(label, pd.DataFrame(cols), info, resid, path, windows)


def event_portfolio(members, label: str, regressors: tuple[str, ...] = ("mret",),
                    estimation: tuple[int, int] = (-250, -11), gap: str | None = None):
    """Equal-weighted portfolio of `event_result` members in event time (mean return and mean
    of each regressor per tau over the taus all members have; matched where all are; with
    `gap`, the members' mean weekdays), tested with the same model as one security."""
    first = max(int(m.frame["tau"].iloc[0]) for m in members)
    last = min(int(m.frame["tau"].iloc[-1]) for m in members)
    cut = [m.frame.iloc[first - int(m.frame["tau"].iloc[0]):last - int(m.frame["tau"].iloc[0]) + 1]
           for m in members]
    frame = pd.DataFrame({"tau": np.arange(first, last + 1),
                          "date": np.stack([f["date"].to_numpy() for f in cut]).min(axis=0),
                          "matched": np.stack([f["matched"].to_numpy(bool) for f in cut]).all(axis=0)})
    for col in ("ret", *regressors, *(("weekdays",) if gap is not None else ())):
        frame[col] = np.stack([f[col].to_numpy(float) for f in cut]).mean(axis=0)
    return event_result(frame, label, regressors, estimation, gap)
