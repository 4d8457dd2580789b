"""Variance of returns that span a market closure (Lunar New Year: Seoul 5 weekdays, Taipei 8).

A return from the last close before a closure to the first close after it carries several
days of news, so its prediction error has more variance than the one-day s^2 of the market
model. Each event-window row j gets a disturbance scale h_j (variance s^2 h_j); the
parameter-uncertainty part of the prediction error is unchanged. Two choices, stated by the
caller (`scales(method=...)`):

* "scaled": h_j = k_j, the number of weekdays the return spans (a random walk in calendar
  weekdays; a weekend counts as one, as in the estimation window that defines s^2).
* "own": h_j = k_j * v_w / s^2 for rows spanning k_j >= 2 weekdays, with v_w the security's own
  variance per weekday over its past multi-day gaps (`own_gap_variance`, from residuals of
  past returns spanning >= 2 weekdays); one-weekday rows keep h_j = 1. It rests on few past
  gaps (about ten a year): report their number beside the result.

The CAR variance is then s^2 (sum_j h_j + L^2 / T + (sum_j (Rm_j - mean Rm))^2 / Sxx), which
is `eventstudy.car_variance` when every h_j = 1. `gap_t` gives the single-security t (p from
t(T - 2), treating the scale as known); `scar` the standardized CAR that BMP, Kolari-Pynnönen
and GRANK take, so each group member is standardized by its own gap variance;
`standardized_residuals` scales estimation residuals that themselves span gaps.
"""

from __future__ import annotations

import numpy as np

from .stat import Stat, t_stat

METHODS = ("scaled", "own")


def weekdays_spanned(prev_date, date) -> np.ndarray:
    """Weekdays a close-to-close return covers: Mon-Fri days after `prev_date` up to and
    including `date` (Fri -> Mon = 1; Fri 24 -> Fri 31 Jan 2025 = 5), at least 1 (a Saturday
    make-up session counts as one). No holiday calendar."""
    prev = np.asarray(prev_date, dtype="datetime64[D]")
    cur = np.asarray(date, dtype="datetime64[D]")
    return np.maximum(np.busday_count(prev + 1, cur + 1), 1)


def own_gap_variance(resid, weekdays, min_weekdays: int = 2, min_count: int = 3
                     ) -> tuple[float, int]:
    """(variance per weekday, number of gaps) from past residuals of returns spanning at least
    `min_weekdays` weekdays: sum e_j^2 / sum k_j, the pooled estimate under variance
    proportional to k. Raises ValueError with fewer than `min_count` such gaps."""
    resid, weekdays = np.asarray(resid, float), np.asarray(weekdays, float)
    sel = (weekdays >= min_weekdays) & np.isfinite(resid)
    count = int(sel.sum())
    if count < min_count:
        raise ValueError(f"only {count} past returns span >= {min_weekdays} weekdays; "
                         f"the own-gap variance needs {min_count}")
    return float((resid[sel] ** 2).sum() / weekdays[sel].sum()), count


def scales(weekdays, method: str = "scaled", s2: float | None = None,
           per_weekday: float | None = None) -> np.ndarray:
    """Disturbance scale h_j per row (see the module docstring); "own" needs `s2` (the market
    model's one-day residual variance) and `per_weekday` from `own_gap_variance`."""
    k = np.asarray(weekdays, float)
    if np.any(k < 1):
        raise ValueError("a return spans at least one weekday")
    if method == "scaled":
        return k
    if method == "own":
        if s2 is None or per_weekday is None:
            raise ValueError("method 'own' needs s2 and per_weekday")
        return np.where(k >= 2, k * per_weekday / s2, 1.0)
    raise ValueError(f"method must be one of {METHODS}, not {method!r}")


def car_variance(fit, mret_window, h=None) -> float:
    """Variance of a CAR whose rows have disturbance variance s^2 h_j (h = None: all one).
    `fit` is an `eventstudy.Fit` (s2, n, m_mean, m_sxx); not imported, so that `eventstudy`
    can use this module."""
    dev = np.asarray(mret_window, float) - fit.m_mean
    size = len(dev)
    h_sum = size if h is None else float(np.sum(h))
    if h is not None and len(np.atleast_1d(h)) != size:
        raise ValueError("one scale per window row")
    return fit.s2 * (h_sum + size ** 2 / fit.n + dev.sum() ** 2 / fit.m_sxx)


def gap_t(fit, ar_window, mret_window, h) -> Stat:
    """Single-security t of a CAR with gap-scaled variance; p from t(T - 2)."""
    car = float(np.sum(ar_window))
    return t_stat(car / np.sqrt(car_variance(fit, mret_window, h)), fit.n - 2)._replace(n=1)


def scar(car, variance) -> np.ndarray:
    """Standardized CARs, CAR_i / sqrt(Var CAR_i), each with its own (gap) variance."""
    return np.asarray(car, float) / np.sqrt(np.asarray(variance, float))


def standardized_residuals(resid, s2: float, h=None) -> np.ndarray:
    """Estimation residuals over their standard deviation sqrt(s2 h_t) (h = None: all one)."""
    resid = np.asarray(resid, float)
    return resid / np.sqrt(s2 * (1.0 if h is None else np.asarray(h, float)))
