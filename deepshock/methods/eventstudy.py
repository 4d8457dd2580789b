"""The market-model event study's statistics, with no knowledge of securities or chapters.

* Event time counts a security's own sessions; t = 0 is the first one on or after the event.
* Market model by OLS over the estimation window; the variance of a CAR is the sum of the full
  prediction-error covariance matrix, s^2 (L + L^2/T + (sum(Rm_t - mean Rm))^2 / Sxx).
* Group tests: Boehmer-Musumeci-Poulsen (BMP) on standardized CARs, its Kolari-Pynnönen
  adjustment for cross-correlation, and an equal-weighted portfolio tested like one security.
* Optional (`analyse(..., gap=...)`): a variance that matches returns spanning a closure
  (`gaps`). Rank and sign tests: `ranks`; all group statistics with the size guard: `groups`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from . import gaps

ESTIMATION = (-250, -11)
SHORT_ESTIMATION = (-120, -11)
WINDOWS = {"[0]": (0, 0), "[0,+1]": (0, 1), "[-5,-1]": (-5, -1), "[0,+5]": (0, 5),
           "[0,+20]": (0, 20)}
PATH = (-5, 20)
MIN_SHARE = 0.8  # of the estimation window's sessions that must pair with a benchmark


@dataclass(frozen=True)
class Fit:
    """OLS market model R = alpha + beta * Rm + e over T estimation days."""
    alpha: float
    beta: float
    s2: float
    n: int
    m_mean: float
    m_sxx: float


@dataclass(frozen=True)
class Result:
    """One security (or portfolio): its fit, estimation residuals, AR path and window tests."""
    label: str
    frame: pd.DataFrame   # tau, date, ret, mret, matched (estimation and event rows)
    fit: Fit
    resid: pd.Series      # estimation-window residuals indexed by date
    path: pd.DataFrame    # tau, date, ret, mret, ar over the event window
    windows: pd.DataFrame  # index window; car, se, t, df, p

    @property
    def event_day(self) -> pd.Timestamp:
        return self.path.set_index("tau").at[0, "date"]


def market_model(ret, mret) -> Fit:
    """OLS of returns on benchmark returns; s2 is the residual variance with T - 2 df."""
    y, x = np.asarray(ret, float), np.asarray(mret, float)
    m_mean = x.mean()
    dx = x - m_mean
    sxx = float(dx @ dx)
    beta = float(dx @ (y - y.mean())) / sxx
    alpha = float(y.mean() - beta * m_mean)
    resid = y - alpha - beta * x
    return Fit(alpha, beta, float(resid @ resid) / (len(y) - 2), len(y), float(m_mean), sxx)


def car_variance(fit: Fit, mret_window) -> float:
    """Variance of the sum of L prediction errors: 1'V1 with
    V_ts = s2 (1[t=s] + 1/T + (Rm_t - mean)(Rm_s - mean) / Sxx)."""
    dev = np.asarray(mret_window, float) - fit.m_mean
    size = len(dev)
    return fit.s2 * (size + size ** 2 / fit.n + dev.sum() ** 2 / fit.m_sxx)


def bmp(scar) -> float:
    """Boehmer-Musumeci-Poulsen t: mean standardized CAR over its cross-sectional standard error."""
    scar = np.asarray(scar, float)
    return float(scar.mean() / (scar.std(ddof=1) / np.sqrt(len(scar))))


def kolari_pynnonen(t_bmp: float, r: float, n: int) -> float:
    """Kolari-Pynnönen adjustment of a BMP t for average residual cross-correlation r."""
    return float(t_bmp * np.sqrt((1 - r) / (1 + (n - 1) * r)))


def mean_pairwise_corr(resids: list[pd.Series]) -> float:
    """Average off-diagonal correlation of residual series, each pair on the dates both have."""
    corr = pd.concat(resids, axis=1, ignore_index=True, sort=True).corr().to_numpy()
    return float(corr[np.triu_indices(len(resids), k=1)].mean())


def _two_sided(t: float, df: int) -> float:
    return float(2 * stats.t.sf(abs(t), df))


def _gap_scales(frame: pd.DataFrame, fit: Fit, estimation: tuple[int, int], method: str
                ) -> tuple[np.ndarray, np.ndarray, int]:
    """Per row of `frame`: disturbance scale h, weekdays spanned; and the number of past gaps
    the "own" variance rests on (0 for "scaled")."""
    if "weekdays" in frame:
        days = frame["weekdays"].to_numpy(float)
    else:
        days = gaps.weekdays_spanned(frame["prev_date"], frame["date"]).astype(float)
    if method != "own":
        return gaps.scales(days, method), days, 0
    ret, mret = frame["ret"].to_numpy(float), frame["mret"].to_numpy(float)
    past = ((frame["tau"].to_numpy() <= estimation[1]) & frame["matched"].to_numpy(bool)
            & np.isfinite(mret))
    resid = ret[past] - fit.alpha - fit.beta * mret[past]
    per_day, count = gaps.own_gap_variance(resid, days[past])
    return gaps.scales(days, "own", fit.s2, per_day), days, count


def analyse(frame: pd.DataFrame, label: str, estimation: tuple[int, int] = ESTIMATION,
            gap: str | None = None) -> Result:
    """Fit the market model on the estimation window; AR, CAR and prediction-error t per window.

    Works on numpy arrays (the placebo calls it thousands of times); pandas only for the result.
    `gap` ("scaled" or "own", see `gaps`) gives rows that span several weekdays a matching
    disturbance variance (from `frame`'s prev_date and date, or its `weekdays` column);
    `windows` then also reports the weekdays each window spans and, for "own", the number of
    past gaps the variance rests on. None (the default) is the one-day variance throughout.
    """
    lo = min(PATH[0], *(a for a, _ in WINDOWS.values()))
    hi = max(PATH[1], *(b for _, b in WINDOWS.values()))
    start, stop = np.searchsorted(frame["tau"].to_numpy(), [estimation[0], hi + 1])  # increasing
    cols = {c: frame[c].to_numpy()[start:stop] for c in ("tau", "date", "ret", "mret", "matched")}
    tau, date, matched = cols["tau"], cols["date"], cols["matched"].astype(bool)
    ret, mret = cols["ret"].astype(float), cols["mret"].astype(float)
    est = (tau <= estimation[1]) & matched
    if est.sum() < MIN_SHARE * (estimation[1] - estimation[0] + 1):
        raise ValueError(f"{label}: only {est.sum()} usable estimation days")
    fit = market_model(ret[est], mret[est])
    ev = tau >= lo
    if ev.sum() != hi - lo + 1 or np.isnan(mret[ev]).any():
        raise ValueError(f"{label}: event window {lo}..{hi} is incomplete")
    ar = ret - fit.alpha - fit.beta * mret
    h = used = None
    if gap is not None:
        h, days, used = _gap_scales(frame, fit, estimation, gap)
        h, cols["weekdays"] = h[start:stop], days[start:stop]
    car, se = np.empty(len(WINDOWS)), np.empty(len(WINDOWS))
    span = np.empty(len(WINDOWS))
    for k, (a, b) in enumerate(WINDOWS.values()):
        sel = (tau >= a) & (tau <= b)
        var = (car_variance(fit, mret[sel]) if h is None
               else gaps.car_variance(fit, mret[sel], h[sel]))
        car[k], se[k] = ar[sel].sum(), np.sqrt(var)
        if h is not None:
            span[k] = cols["weekdays"][sel].sum()
    t = car / se
    windows = pd.DataFrame({"car": car, "se": se, "t": t, "df": fit.n - 2,
                            "p": 2 * stats.t.sf(np.abs(t), fit.n - 2)},
                           index=pd.Index(list(WINDOWS), name="window"))
    if gap is not None:
        windows = windows.assign(weekdays=span, gap=gap, gaps_used=used)
    path = pd.DataFrame({"tau": tau[ev], "date": date[ev], "ret": ret[ev], "mret": mret[ev],
                         "ar": ar[ev]})
    resid = pd.Series(ar[est], index=date[est])
    return Result(label, pd.DataFrame(cols), fit, resid, path, windows)


def portfolio(members: list[Result], label: str, estimation: tuple[int, int] = ESTIMATION,
              gap: str | None = None) -> Result:
    """Equal-weighted portfolio in event time: mean return and mean benchmark return per tau
    (date = the earliest member's session), over the taus every member has; estimated and
    tested like one security. Each member's taus are consecutive integers. With `gap` (members
    analysed with the same `gap`), a row spans the members' mean number of weekdays."""
    first = max(int(m.frame["tau"].iloc[0]) for m in members)
    last = min(int(m.frame["tau"].iloc[-1]) for m in members)
    cut = [m.frame.iloc[first - int(m.frame["tau"].iloc[0]):last - int(m.frame["tau"].iloc[0]) + 1]
           for m in members]
    stack = {c: np.stack([f[c].to_numpy() for f in cut]) for c in ("date", "ret", "mret",
                                                                    "matched")}
    frame = pd.DataFrame({"tau": np.arange(first, last + 1), "date": stack["date"].min(axis=0),
                          "ret": stack["ret"].astype(float).mean(axis=0),
                          "mret": stack["mret"].astype(float).mean(axis=0),
                          "matched": stack["matched"].astype(bool).all(axis=0)})
    if gap is not None:
        frame["weekdays"] = np.stack([f["weekdays"].to_numpy(float) for f in cut]).mean(axis=0)
    return analyse(frame, label, estimation, gap)


def group_tests(members: list[Result], label: str = "", windows=tuple(WINDOWS),
                estimation: tuple[int, int] = ESTIMATION) -> list[dict]:
    """Cross-sectional tests per window: BMP, Kolari-Pynnönen and the portfolio t."""
    n = len(members)
    port = portfolio(members, label, estimation).windows
    r = mean_pairwise_corr([m.resid for m in members])
    out = []
    for w in windows:
        cars = np.array([m.windows.at[w, "car"] for m in members], float)
        t_bmp = bmp([m.windows.at[w, "t"] for m in members])
        t_kp = kolari_pynnonen(t_bmp, r, n)
        out.append({"group": label, "window": w, "n": n, "caar": float(cars.mean()),
                    "bmp": t_bmp, "bmp_p": _two_sided(t_bmp, n - 1), "r": r, "kp": t_kp,
                    "kp_p": _two_sided(t_kp, n - 1), "port_car": float(port.at[w, "car"]),
                    "port_t": float(port.at[w, "t"]), "port_p": float(port.at[w, "p"])})
    return out
