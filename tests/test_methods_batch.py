"""The placebo's fast path (methods.batch): one least-squares solve per security for many event
dates at once must give the per-date functions' numbers, on made-up series with gaps and missing
rows and on the real groups of the placebo, to 1e-10."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from deepshock.methods import batch, groups, leadlag, ranks
from deepshock.methods.eventstudy import WINDOWS, mean_pairwise_corr

TOL = 1e-10


def series(seed: int, n: int = 700, regs: int = 2, missing: int = 30) -> pd.DataFrame:
    """Made-up returns on `regs` regressors over business days, some returns spanning several
    weekdays and some rows without a benchmark (not matched, NaN regressor)."""
    rng = np.random.default_rng(seed)
    x = rng.normal(0, 0.01, (n, regs))
    ret = 0.0002 + x @ np.linspace(1.2, 0.3, regs) + rng.standard_t(4, n) * 0.01
    weekdays = np.ones(n)
    weekdays[rng.choice(n, 40, replace=False)] = rng.integers(2, 6, 40)
    frame = pd.DataFrame({"date": pd.bdate_range("2019-01-01", periods=n), "ret": ret,
                          "matched": True, "weekdays": weekdays})
    for i in range(regs):
        frame[f"x{i}"] = x[:, i]
    gone = rng.choice(np.arange(50, 290), missing, replace=False)   # before any tested window
    frame.loc[gone, "x0"] = np.nan
    frame.loc[gone, "matched"] = False
    return frame


def per_date(frame: pd.DataFrame, pos: int, regs, gap):
    return leadlag.event_result(frame.assign(tau=np.arange(len(frame)) - pos), "x", regs,
                                gap=gap)


@pytest.mark.parametrize("regs,gap", [(("x0", "x1"), "own"), (("x0",), "own"),
                                      (("x0",), "scaled"), ((), None)])
def test_many_dates_at_once_equal_one_date_at_a_time(regs, gap):
    frame = series(1, regs=max(len(regs), 1))
    x = frame[list(regs)].to_numpy() if regs else np.empty((len(frame), 0))
    pos = np.array([300, 301, 420, 555, 640])
    many = batch.fit_many(frame["ret"], x, frame["matched"], frame["weekdays"], pos, gap=gap)
    assert many.usable.all()
    for k, p in enumerate(pos):
        one = per_date(frame, p, regs, gap)
        for col, arr in (("car", many.car), ("t", many.t), ("p", many.p)):
            assert arr[k] == pytest.approx(one.windows[col].to_numpy(), abs=TOL), col
        assert many.s2[k] == pytest.approx(one.fit.s2, rel=TOL)
        est = many.est[k][np.isfinite(many.est[k])]
        assert est == pytest.approx(one.resid.to_numpy(), abs=TOL)
        assert many.ar[k] == pytest.approx(one.path["ar"].to_numpy(), abs=TOL)


def test_dates_the_per_date_function_refuses_are_marked_not_usable():
    frame = series(2, regs=1)
    pos = np.array([100, 400, len(frame) - 5])    # too little history; full; window past the end
    many = batch.fit_many(frame["ret"], frame[["x0"]], frame["matched"], frame["weekdays"], pos)
    assert many.usable.tolist() == [False, True, False]
    for p in (100, len(frame) - 5):
        with pytest.raises(ValueError):
            per_date(frame, p, ("x0",), "own")


def test_sq_rank_sign_and_correlation_match_the_methods():
    rng = np.random.default_rng(3)
    est = rng.standard_t(5, (6, 240, 5)) * 0.01
    est[0, :7, 1] = np.nan                          # a member without some rows
    est[2, 50:60, :] = np.nan                       # rows no member has
    event = rng.normal(0, 0.03, (6, 5))
    length = np.array([1, 1, 2, 3, 6, 1])
    for k in range(6):
        for j in range(5):
            sq = batch.sq_many(est[k:k + 1, :, j], event[k:k + 1, j], length[k:k + 1])[0]
            assert sq == pytest.approx(ranks.empirical_p(est[k, :, j], event[k, j],
                                                         int(length[k])).p, abs=TOL)
        z, T = batch.rank_z(est[k:k + 1], event[k:k + 1])
        ref = ranks.corrado(est[k], event[k])
        assert z[0] == pytest.approx(ref.stat, abs=TOL)
        frames = [pd.Series(est[k, :, j]).dropna() for j in range(5)]
        assert batch.pairwise_corr(est[k:k + 1])[0] == pytest.approx(mean_pairwise_corr(frames),
                                                                     abs=TOL)
    share = np.array([0.3, 0.5, 0.52, 0.61, 0.47, 0.5])
    for n in (3, 6, 7):
        for w in range(n + 1):
            got = batch.binom_two_sided(np.full(6, w), n, share)
            ref = [stats.binomtest(w, n, s).pvalue for s in share]
            assert got == pytest.approx(ref, abs=TOL), (n, w)


def test_group_statistics_match_group_by_group():
    frames = [series(10 + i, regs=1, missing=0).rename(columns={"x0": "mret"})
              for i in range(4)]
    pos = np.array([320, 480])
    many = [batch.fit_many(f["ret"], f[["mret"]], f["matched"], f["weekdays"], pos)
            for f in frames]
    got = batch.group_many(many)
    for k, p in enumerate(pos):
        members = [per_date(f, p, ("mret",), "own") for f in frames]
        ref = groups.group_statistics(members, "g", tuple(WINDOWS), gap="own")
        for w, row in enumerate(ref):
            for key in ("caar", "bmp_p", "kp_p", "grank_nr_p", "gsign_p"):
                assert got[key][k, w] == pytest.approx(row[key], abs=TOL), key
            if np.isfinite(row["corrado_p"]):
                assert got["corrado_p"][k, w] == pytest.approx(row["corrado_p"], abs=TOL)


def test_the_placebo_fast_path_equals_the_per_day_path_on_the_real_groups(snapshot):
    from deepshock.story.eventstudy import placebo as pl

    key = ["date", "group", "window", "test", "ticker"]
    for group, tickers in pl.GROUPS.items():
        lay = pl.layout(tickers)
        fitted = pl.fits(lay)
        rows = pl.eligible(lay, fitted=fitted)
        sample = rows[np.linspace(0, len(rows) - 1, 4).astype(int)]
        fast = pl._group_rows(group, lay, sample, fitted, pl.WINDOWS)
        slow = pl.slow(group, tickers, lay.grid[sample])
        both = fast.merge(slow, on=key, how="outer", suffixes=("_fast", "_slow"))
        assert len(both) == len(fast) == len(slow) > 0
        assert np.abs(both["p_fast"] - both["p_slow"]).max() < TOL, group
