"""Tests that do not assume normal abnormal returns: ranks, signs and empirical quantiles.

Inputs are arrays, one column per security: `est` holds a security's estimation-window
abnormal returns (residuals) or standardized residuals, rows = estimation time points (aligned
across securities by the caller, by date for a shared event date or by event time; NaN where a
security has no row), and the event value is one number per security. Nothing here knows dates.

* `corrado`: Corrado (1989) rank test for one day, ranks scaled as in Corrado and Zivney (1992)
  so securities with different numbers of estimation days mix; p from N(0,1).
* `grank`: the generalized rank test of Kolari and Pynnönen (2011) for a day or a CAR window;
  p from t(T-2) (and N(0,1) for its Z form).
* `generalized_sign`: Cowan (1992), share of positive event ARs/CARs against the estimation-
  window share of positive ARs; exact binomial p (or Cowan's N(0,1) approximation).
* `empirical_p`: one security's event AR or CAR against the empirical distribution of its own
  estimation residuals (the SQ test of Gelbach, Helland and Klick 2013); exact under
  exchangeability, no distribution assumed.

Rank and sign tests are group tests: they refuse groups of fewer than MIN_GROUP securities
(`stat.require_group`). A one-security rank statistic cannot reject at 5%: with T estimation
days its |Z| is at most about sqrt(3) (p >= 0.08). Use `empirical_p` for one security.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from scipy import stats

from .stat import Stat, as_matrix, require_group, t_stat, z_stat


class GRank(NamedTuple):
    """GRANK result: `stat`/`p` are t_grank with t(T-2); `z`/`p_z` the Z form with N(0,1)."""
    stat: float
    p: float
    dist: str
    n: int
    z: float
    p_z: float
    mean_u: float  # mean demeaned standardized rank of the event observation, in (-1/2, 1/2)
    T: int         # time points: estimation rows + the one event observation


def rank_scores(est, event) -> np.ndarray:
    """Demeaned standardized ranks U = rank / (T_i + 1) - 1/2 of each security's estimation
    values with its event value appended as the last row; T_i counts its non-missing values
    (Corrado and Zivney 1992). Ties get average ranks; missing stays NaN."""
    both = np.vstack([as_matrix(est), np.asarray(event, float).reshape(1, -1)])
    ranks = stats.rankdata(both, axis=0, nan_policy="omit")
    count = np.isfinite(both).sum(axis=0)
    return ranks / (count + 1) - 0.5


def _rank_z(u: np.ndarray) -> tuple[float, float, int]:
    """Z = mean U of the last (event) row over S_U, S_U^2 = (1/T) sum_t (n_t / n) Ubar_t^2 over
    all T rows (Corrado 1989; Kolari and Pynnönen 2011): the time-series spread of the
    cross-sectional mean rank, which keeps cross-correlation in the denominator."""
    n_t = np.isfinite(u).sum(axis=1)
    n = n_t[-1]
    ubar = np.where(n_t > 0, np.nansum(u, axis=1) / np.maximum(n_t, 1), 0.0)
    T = int((n_t > 0).sum())
    s_u = np.sqrt((n_t / n * ubar ** 2).sum() / T)
    return float(ubar[-1] / s_u), float(ubar[-1]), T


def _members(event, label: str) -> np.ndarray:
    event = np.asarray(event, float).ravel()
    if np.isnan(event).any():
        raise ValueError(f"{label or 'group'}: an event value is missing")
    require_group(len(event), label)
    return event


def corrado(est_ar, event_ar, label: str = "") -> Stat:
    """Corrado (1989) rank test of one event day for a group of securities.

    Each security's event-day AR is ranked among its estimation-window ARs plus itself (ranks
    over the estimation window and the tested day only, not over other event days). Assumes
    the ranks are exchangeable under the null (no distributional shape); asymptotically N(0,1).
    Not robust to event-induced volatility; `grank` is."""
    event = _members(event_ar, label)
    z, _, _ = _rank_z(rank_scores(est_ar, event))
    return z_stat(z)._replace(n=len(event))


def grank(est_sar, event_scar, label: str = "", restandardize: bool = True) -> GRank:
    """Generalized rank test (GRANK) of Kolari and Pynnönen (2011) for a day or a CAR window.

    `est_sar`: estimation-window standardized residuals e_t / s (T - 1 rows x n securities);
    `event_scar`: each security's standardized CAR, CAR / sd(CAR) with the prediction-error
    variance (for one day, the standardized AR). The SCARs are re-standardized by their
    cross-sectional standard deviation (robust to event-induced volatility), the window then
    counts as one time point ranked among the estimation SARs. Z as in `_rank_z`;
    t_grank = Z sqrt((T - 2) / (T - 1 - Z^2)) is compared with t(T - 2), and Z with N(0,1).
    Robust to cross-correlation from a shared event date through S_U.

    Small groups: the re-standardization divides by a standard deviation from n values, and
    in simulations (t(3) errors, 240 estimation days; tests/test_methods_ranks.py) the test
    over-rejects in small groups: about 15-18% at a nominal 5% with n = 3, 6-8% with n = 10,
    nominal from n = 30; more with correlated event errors (12% at n = 10, r = 0.3), since the
    cross-sectional spread then understates the time-series one. `restandardize=False` skips that step: well sized for any n >= 3
    and under cross-correlation, but no longer robust to event-induced volatility."""
    scar = _members(event_scar, label)
    sd = scar.std(ddof=1) if restandardize else 1.0
    if not sd > 0:
        raise ValueError(f"{label or 'group'}: standardized CARs have no cross-sectional spread")
    z, mean_u, T = _rank_z(rank_scores(est_sar, scar / sd))
    room = T - 1 - z ** 2   # > 0 unless the event rank dominates S_U (then |t| is infinite)
    t = z * np.sqrt((T - 2) / room) if room > 0 else np.copysign(np.inf, z)
    ts, zs = t_stat(t, T - 2), z_stat(z)
    return GRank(ts.stat, ts.p, ts.dist, len(scar), zs.stat, zs.p, mean_u, T)


def generalized_sign(est_ar, event_car, label: str = "", exact: bool = True) -> Stat:
    """Generalized sign test of Cowan (1992): Z = (w - n p) / sqrt(n p (1 - p)), w the number
    of positive event ARs/CARs, p the mean over securities of each one's share of positive
    estimation-window ARs. Assumes independent securities (no cross-correlation: a shared
    event date makes it over-reject) and, for a multi-day CAR, the same chance of a positive
    value as one day. The p-value is the exact two-sided binomial one (scipy `binomtest`,
    dist "binomial(n, p)"), since Cowan's N(0,1) approximation is far off in small groups
    (with n = 3, |Z| <= 1.73: never significant at 5%, always at 10% when all signs agree);
    `exact=False` gives Cowan's N(0,1) p-value."""
    car = _members(event_car, label)
    est = as_matrix(est_ar)
    share = float(((est > 0).sum(axis=0) / np.isfinite(est).sum(axis=0)).mean())
    n, w = len(car), int((car > 0).sum())
    z = (w - n * share) / np.sqrt(n * share * (1 - share))
    if not exact:
        return z_stat(z)._replace(n=n)
    p = stats.binomtest(w, n, share).pvalue
    return Stat(float(z), float(p), f"binomial({n}, {share:.3f})", n)


def window_sums(resid, length: int) -> np.ndarray:
    """All overlapping sums of `length` consecutive residuals (NaN-free input)."""
    resid = np.asarray(resid, float)
    if length == 1:
        return resid
    csum = np.concatenate([[0.0], np.cumsum(resid)])
    return csum[length:] - csum[:-length]


def empirical_p(est_resid, value: float, length: int = 1) -> Stat:
    """Two-sided empirical p-value of one security's event AR (length 1) or CAR over `length`
    sessions against its own estimation residuals, summed over every overlapping block of
    `length` days (SQ test, Gelbach, Helland and Klick 2013): p = min(1, 2 min(lo, hi)),
    lo = (#{x <= value} + 1) / (N + 1), hi likewise for >=. Assumes the event error is drawn
    from the same distribution as the estimation errors (any shape); the smallest attainable
    p is 2 / (N + 1). `dist` reports "empirical(N)"."""
    resid = np.asarray(est_resid, float)
    sums = window_sums(resid[np.isfinite(resid)], length)
    n = len(sums)
    lo = ((sums <= value).sum() + 1) / (n + 1)
    hi = ((sums >= value).sum() + 1) / (n + 1)
    return Stat(float(value), float(min(1.0, 2 * min(lo, hi))), f"empirical({n})", 1)
