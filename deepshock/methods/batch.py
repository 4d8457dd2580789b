"""The event study on many event dates at once: one least-squares solve per security for every
date, on stacked estimation windows (the placebo's fast path).

`fit_many` is `leadlag.event_result` for N day-0 positions of one series at once: the
estimation rows of every date are stacked into an N x 240 x p array (rows that are not usable
are zeroed, so they drop out of X'X and X'y), the N normal equations are solved together, and
the windows' CARs, prediction-error variances (with the gap variances of `gaps`), t and p
follow as array operations. `group_many` takes the members' `fit_many` results (their rows on
one shared calendar, so that event time and dates agree) and gives, per date and window, the
statistics of `groups.group_statistics`: BMP, Kolari-Pynnönen, GRANK without
re-standardization, Corrado (one-day windows) and the generalized sign test; `sq_many` is the
SQ test of `ranks.empirical_p`. Same definitions, same numbers (tests/test_methods_batch.py checks
them against the per-date functions to 1e-10); only the loop over dates is gone.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
import numpy as np
from scipy import stats

from .eventstudy import ESTIMATION, MIN_SHARE, PATH, WINDOWS


@dataclass(frozen=True)
class Many:
    """One series analysed at N event dates. Arrays are indexed by date first; `est` holds the
    estimation residuals by event time (NaN where a row is not usable), `ar` the abnormal
    returns from t = PATH[0] to the last window day; `usable` is False where the per-date
    function would raise (too few estimation rows, an incomplete event window, too few gaps)."""
    usable: np.ndarray   # N
    s2: np.ndarray       # N
    n: np.ndarray        # N estimation rows
    df: np.ndarray       # N
    car: np.ndarray      # N x W
    t: np.ndarray        # N x W
    p: np.ndarray        # N x W
    span: np.ndarray     # N x W weekdays each window spans
    est: np.ndarray      # N x E (E = estimation length)
    ar: np.ndarray       # N x (hi - lo + 1)

    def take(self, idx) -> Many:
        """The same results for a subset of the dates (an index or a boolean mask)."""
        return Many(**{f.name: getattr(self, f.name)[idx] for f in fields(self)})


def _bounds(windows: dict) -> tuple[int, int]:
    lo = min(PATH[0], *(a for a, _ in windows.values()))
    hi = max(PATH[1], *(b for _, b in windows.values()))
    return lo, hi


def _take(values: np.ndarray, idx: np.ndarray, fill=np.nan) -> np.ndarray:
    """values[idx] where 0 <= idx < len(values), else `fill` (rows of a 2-D `values`)."""
    inside = (idx >= 0) & (idx < len(values))
    out = values[np.clip(idx, 0, len(values) - 1)]
    inside = inside.reshape(inside.shape + (1,) * (out.ndim - inside.ndim))
    return np.where(inside, out, fill)


def fit_many(ret, x, matched, weekdays, pos, estimation=ESTIMATION, windows=None,
             gap: str | None = "own") -> Many:
    """`leadlag.event_result` of one series (ret: R; x: R x k regressors, k may be 0; matched:
    R; weekdays: R) for day 0 at each row position in `pos` (N), all at once."""
    windows = windows or WINDOWS
    ret = np.asarray(ret, float)
    x = np.asarray(x, float)
    x = x.reshape(len(ret), -1) if x.size else np.empty((len(ret), 0))
    weekdays = np.asarray(weekdays, float)
    ok = np.asarray(matched, bool) & np.isfinite(x).all(axis=1)
    pos = np.asarray(pos, int)
    lo, hi = _bounds(windows)
    X = np.column_stack([np.ones(len(ret)), x])
    k = X.shape[1]
    # estimation rows: tau in [estimation[0], estimation[1]], usable
    e_tau = np.arange(estimation[0], estimation[1] + 1)
    e_idx = pos[:, None] + e_tau[None, :]
    e_ok = _take(ok, e_idx, False) & _take(np.isfinite(ret), e_idx, False)
    Xe = np.where(e_ok[..., None], _take(X, e_idx, 0.0), 0.0)
    ye = np.where(e_ok, _take(ret, e_idx, 0.0), 0.0)
    n = e_ok.sum(axis=1)
    usable = n >= MIN_SHARE * len(e_tau)
    xtx = np.einsum("nti,ntj->nij", Xe, Xe)
    xty = np.einsum("nti,nt->ni", Xe, ye)
    xtx[~usable] = np.eye(k)       # placeholders: those dates are reported as not usable
    params = np.linalg.solve(xtx, xty[..., None])[..., 0]
    xtx_inv = np.linalg.inv(xtx)
    resid = np.where(e_ok, ye - np.einsum("nti,ni->nt", Xe, params), np.nan)
    df = n - k
    with np.errstate(invalid="ignore", divide="ignore"):
        s2 = np.nansum(resid ** 2, axis=1) / df
    # event rows: tau in [lo, hi]
    v_tau = np.arange(lo, hi + 1)
    v_idx = pos[:, None] + v_tau[None, :]
    Xv = _take(X, v_idx, np.nan)
    usable &= (v_idx[:, 0] >= 0) & (v_idx[:, -1] < len(ret)) & np.isfinite(Xv).all(axis=(1, 2))
    ar = _take(ret, v_idx) - np.einsum("nti,ni->nt", Xv, params)
    days = _take(weekdays, v_idx)
    h = np.ones_like(ar)
    if gap == "own":
        per_day, used = _own_gap(ret, X, ok, weekdays, pos + estimation[1], params)
        usable &= used >= 3
        with np.errstate(invalid="ignore", divide="ignore"):   # gaps.scales, "own"
            h = np.where(days >= 2, days * (per_day / s2)[:, None], 1.0)
    elif gap == "scaled":
        h = np.nan_to_num(days, nan=1.0)
    elif gap is not None:
        raise ValueError(f"gap must be None, 'scaled' or 'own', not {gap!r}")
    sel = np.array([(v_tau >= a) & (v_tau <= b) for a, b in windows.values()], float)  # W x L
    c = np.einsum("wl,nli->nwi", sel, Xv)
    var = s2[:, None] * (h @ sel.T + np.einsum("nwi,nij,nwj->nw", c, xtx_inv, c))
    car = ar @ sel.T
    with np.errstate(invalid="ignore", divide="ignore"):
        t = car / np.sqrt(var)
    p = 2 * stats.t.sf(np.abs(t), np.maximum(df, 1)[:, None])
    span = np.nan_to_num(days, nan=0.0) @ sel.T
    return Many(usable, s2, n, df, car, t, p, span, resid, ar)


def _own_gap(ret, X, ok, weekdays, last, params) -> tuple[np.ndarray, np.ndarray]:
    """Per date: (variance per weekday, number of gaps) from the residuals of every usable row
    up to position `last` that spans two or more weekdays (`gaps.own_gap_variance`)."""
    g = np.flatnonzero(ok & (weekdays >= 2) & np.isfinite(ret))
    resid = ret[g][None, :] - params @ X[g].T                 # N x G
    inside = g[None, :] <= last[:, None]
    count = inside.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        per_day = (np.where(inside, resid ** 2, 0.0).sum(axis=1)
                   / np.where(inside, weekdays[g][None, :], 0.0).sum(axis=1))
    return per_day, count


def sq_many(est: np.ndarray, value: np.ndarray, length: np.ndarray) -> np.ndarray:
    """`ranks.empirical_p` for each row of `est` (N x E, NaN where missing), its event value
    (N) and block length (N): the share of same-length sums of consecutive residuals beyond
    the value, two-sided."""
    finite = np.isfinite(est)
    order = np.argsort(~finite, axis=1, kind="stable")
    packed = np.where(np.take_along_axis(finite, order, axis=1),
                      np.take_along_axis(est, order, axis=1), 0.0)
    count = finite.sum(axis=1)
    csum = np.concatenate([np.zeros((len(est), 1)), np.cumsum(packed, axis=1)], axis=1)
    length = np.asarray(length, int)
    value = np.asarray(value, float)
    out = np.full(len(est), np.nan)
    for size in np.unique(length):
        rows = length == size
        sums = packed[rows] if size == 1 else csum[rows, size:] - csum[rows, :-size]
        valid = np.arange(sums.shape[1])[None, :] < (count[rows] - size + 1)[:, None]
        m = valid.sum(axis=1)
        v = value[rows][:, None]
        lo = ((sums <= v) & valid).sum(axis=1) + 1
        hi = ((sums >= v) & valid).sum(axis=1) + 1
        out[rows] = np.minimum(1.0, 2 * np.minimum(lo, hi) / (m + 1))
    return out


def pairwise_corr(est: np.ndarray) -> np.ndarray:
    """Mean off-diagonal Pearson correlation of the members' residuals, each pair on the rows
    both have (`eventstudy.mean_pairwise_corr`), per date: est is N x E x n."""
    n = est.shape[2]
    total = np.zeros(len(est))
    pairs = 0
    for i in range(n):
        for j in range(i + 1, n):
            a, b = est[..., i], est[..., j]
            both = np.isfinite(a) & np.isfinite(b)
            m = both.sum(axis=1)
            ma = np.where(both, a, 0.0).sum(axis=1) / m
            mb = np.where(both, b, 0.0).sum(axis=1) / m
            da = np.where(both, a - ma[:, None], 0.0)
            db = np.where(both, b - mb[:, None], 0.0)
            total += (da * db).sum(axis=1) / np.sqrt((da ** 2).sum(axis=1) * (db ** 2).sum(axis=1))
            pairs += 1
    return total / pairs


def est_ranks(est: np.ndarray) -> np.ndarray:
    """Average ranks of each member's estimation values within its own column (N x E x n,
    NaN kept): computed once per group and shared by every window's rank test."""
    return stats.rankdata(est, axis=1, nan_policy="omit")


def rank_z(est: np.ndarray, event: np.ndarray, ranks: np.ndarray | None = None
           ) -> tuple[np.ndarray, np.ndarray]:
    """`ranks._rank_z(ranks.rank_scores(est, event))` per date: (Z, T); est N x E x n, event
    N x n, `ranks` = `est_ranks(est)`. Appending the event value to a column moves each
    estimation rank up by one where the event is smaller (a half where equal), and the event's
    own rank is 1 + (values below it) + (values equal to it) / 2: the ranks of the joint
    column with average ties, without sorting it again."""
    ranks = est_ranks(est) if ranks is None else ranks
    finite = np.isfinite(est)
    ev = event[:, None, :]
    below = (finite & (est < ev)).sum(axis=1)
    equal = (finite & (est == ev)).sum(axis=1)
    count = finite.sum(axis=1) + 1
    r_est = ranks + (ev < est) + 0.5 * (ev == est)
    r_ev = 1 + below + 0.5 * equal
    u = np.concatenate([r_est, r_ev[:, None, :]], axis=1) / (count[:, None, :] + 1) - 0.5
    n_t = np.isfinite(u).sum(axis=2)
    n = n_t[:, -1]
    ubar = np.where(n_t > 0, np.nansum(u, axis=2) / np.maximum(n_t, 1), 0.0)
    T = (n_t > 0).sum(axis=1)
    s_u = np.sqrt((n_t / n[:, None] * ubar ** 2).sum(axis=1) / T)
    return ubar[:, -1] / s_u, T


def binom_two_sided(wins: np.ndarray, n: int, share: np.ndarray) -> np.ndarray:
    """scipy's `binomtest(w, n, share).pvalue` (two-sided) for many (w, share) at once: the
    chance of every outcome on the far side of the mode no likelier than w (relative
    tolerance 1e-7, as scipy), plus the tail beyond w on its own side."""
    k = np.arange(n + 1)[None, :]
    share = np.asarray(share, float)[:, None]
    wins = np.asarray(wins, int)[:, None]
    pmf = stats.binom.pmf(k, n, share)
    d = np.take_along_axis(pmf, wins, axis=1) * (1 + 1e-7)
    mode = n * share
    low = wins < mode
    own = np.where(low, k <= wins, k >= wins)
    far = np.where(low, k >= np.ceil(mode), k <= np.floor(mode)) & (pmf <= d)
    p = np.where(own, pmf, 0.0).sum(axis=1) + np.where(far, pmf, 0.0).sum(axis=1)
    return np.where(wins[:, 0] == mode[:, 0], 1.0, np.minimum(1.0, p))


def group_many(members: list[Many], windows=None) -> dict[str, np.ndarray]:
    """Per date (rows) and window (columns): BMP, Kolari-Pynnönen, GRANK without
    re-standardization, Corrado (NaN for windows longer than a day) and the generalized
    sign test, statistic and two-sided p (keys as in `groups.group_statistics`)."""
    windows = windows or WINDOWS
    n = len(members)
    if n < 3:
        raise ValueError(f"group of {n} securities; group statistics need at least 3")
    lo, _ = _bounds(windows)
    est = np.stack([m.est for m in members], axis=2)              # N x E x n
    sar = est / np.sqrt(np.stack([m.s2 for m in members], axis=1))[:, None, :]
    sar_ranks, est_ranks_ = est_ranks(sar), est_ranks(est)
    r = pairwise_corr(est)
    share = np.mean([(m.est > 0).sum(axis=1) / np.isfinite(m.est).sum(axis=1)
                     for m in members], axis=0)
    shape = (len(est), len(windows))
    out = {k: np.full(shape, np.nan) for k in (
        "caar", "bmp", "bmp_p", "kp", "kp_p", "grank_nr", "grank_nr_p", "corrado",
        "corrado_p", "gsign", "gsign_p")}
    out["r"] = r
    for w, (a, b) in enumerate(windows.values()):
        cars = np.stack([m.car[:, w] for m in members], axis=1)
        scar = np.stack([m.t[:, w] for m in members], axis=1)
        out["caar"][:, w] = cars.mean(axis=1)
        t_bmp = scar.mean(axis=1) / (scar.std(axis=1, ddof=1) / np.sqrt(n))
        t_kp = t_bmp * np.sqrt((1 - r) / (1 + (n - 1) * r))
        out["bmp"][:, w], out["bmp_p"][:, w] = t_bmp, 2 * stats.t.sf(np.abs(t_bmp), n - 1)
        out["kp"][:, w], out["kp_p"][:, w] = t_kp, 2 * stats.t.sf(np.abs(t_kp), n - 1)
        z, T = rank_z(sar, scar, sar_ranks)
        with np.errstate(invalid="ignore", divide="ignore"):
            room = T - 1 - z ** 2
            tg = np.where(room > 0, z * np.sqrt((T - 2) / room), np.copysign(np.inf, z))
        out["grank_nr"][:, w], out["grank_nr_p"][:, w] = tg, 2 * stats.t.sf(np.abs(tg), T - 2)
        if a == b:
            day = np.stack([m.ar[:, a - lo] for m in members], axis=1)
            zc, _ = rank_z(est, day, est_ranks_)
            out["corrado"][:, w], out["corrado_p"][:, w] = zc, 2 * stats.norm.sf(np.abs(zc))
        wins = (cars > 0).sum(axis=1)
        out["gsign"][:, w] = (wins - n * share) / np.sqrt(n * share * (1 - share))
        out["gsign_p"][:, w] = binom_two_sided(wins, n, share)
    return out
