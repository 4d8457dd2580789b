"""methods.groups: the date-aligned estimation matrix, the portfolio with the gap option, GRANK
with and without re-standardization, and the labels in errors; against hand-computed cases
and a plain second implementation (made-up returns)."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from deepshock.methods import eventstudy as es
from deepshock.methods import groups

EST = (-60, -6)
TAU = np.arange(-60, 21)


def frame(seed, gap_days=0, unmatched=()):
    """Made-up event-time frame: 55 estimation days, then tau -5..+20; day 0 a -5% shock.
    With `gap_days`, day 0 follows a closure of that many extra weekdays."""
    rng = np.random.default_rng(seed)
    m = rng.normal(0, 0.01, len(TAU))
    ret = 0.0002 + (1 + seed / 10) * m + rng.normal(0, 0.015, len(TAU))
    ret[TAU == 0] -= 0.05
    dates = pd.bdate_range("2024-10-01", periods=len(TAU) + gap_days)
    dates = dates[np.r_[np.arange(60), np.arange(60 + gap_days, len(TAU) + gap_days)]]
    prev = dates[:-1].insert(0, dates[0] - pd.offsets.BDay())
    return pd.DataFrame({"tau": TAU, "date": dates, "prev_date": prev, "ret": ret, "mret": m,
                         "matched": ~np.isin(TAU, unmatched)})


def result(resid: pd.Series, s2: float) -> es.Result:
    """A Result carrying only what the estimation matrix reads: residuals by date and s^2."""
    fit = es.Fit(0.0, 1.0, s2, len(resid), 0.0, 1.0)
    return es.Result("m", pd.DataFrame(), fit, resid, pd.DataFrame(), pd.DataFrame())


def test_estimation_matrix_aligns_members_by_calendar_date():
    d = pd.to_datetime(["2025-01-02", "2025-01-03", "2025-01-06", "2025-01-07"])
    a = result(pd.Series([1.0, -2.0, 4.0], index=d[[0, 2, 3]]), s2=4.0)   # no row on 3 Jan
    b = result(pd.Series([3.0, 6.0, -9.0], index=d[[0, 1, 2]]), s2=9.0)   # no row on 7 Jan
    raw = np.array([[1.0, 3.0], [np.nan, 6.0], [-2.0, -9.0], [4.0, np.nan]])
    np.testing.assert_array_equal(groups.estimation_matrix([a, b], standardized=False), raw)
    np.testing.assert_array_equal(groups.estimation_matrix([a, b]), raw / [2.0, 3.0])


def members(n, gap_member=None):
    gap = "scaled" if gap_member is not None else None
    return [es.analyse(frame(s, gap_days=4 if s == gap_member else 0), f"S{s}", EST, gap=gap)
            for s in range(n)]


def grank_plain(sar, scar, restandardize):
    """GRANK by a plain loop (no missing values): ranks per security of its estimation SARs
    with its (re-standardized) SCAR last, U = rank / (T + 1) - 1/2, Z = Ubar(event) / S_U."""
    scar = np.asarray(scar) / (np.std(scar, ddof=1) if restandardize else 1.0)
    u = np.column_stack([stats.rankdata(np.r_[sar[:, j], scar[j]]) / (len(sar) + 2) - 0.5
                         for j in range(len(scar))])
    ubar = u.mean(axis=1)
    z = ubar[-1] / np.sqrt((ubar ** 2).mean())
    T = len(ubar)
    t = z * np.sqrt((T - 2) / (T - 1 - z ** 2))
    return t, 2 * stats.t.sf(abs(t), T - 2)


def test_grank_with_and_without_restandardization_and_the_dist_columns():
    group = members(4)
    rows = {r["window"]: r for r in groups.group_statistics(group, estimation=EST)}
    sar = np.column_stack([m.resid.to_numpy() / np.sqrt(m.fit.s2) for m in group])
    for w in ("[0]", "[0,+5]"):
        scar = [m.windows.at[w, "t"] for m in group]
        t, p = grank_plain(sar, scar, True)
        t_nr, p_nr = grank_plain(sar, scar, False)
        assert rows[w]["grank"] == pytest.approx(t, rel=1e-12)
        assert rows[w]["grank_p"] == pytest.approx(p, rel=1e-9)
        assert rows[w]["grank_nr"] == pytest.approx(t_nr, rel=1e-12)
        assert rows[w]["grank_nr_p"] == pytest.approx(p_nr, rel=1e-9)
        assert rows[w]["group"] == ""                      # no label given
        assert rows[w]["port_dist"] == "t(53)"             # 55 estimation days - 2
        assert rows[w]["corrado_dist"] == "N(0,1)"
    assert rows["[0]"]["grank_nr"] != pytest.approx(rows["[0]"]["grank"], rel=1e-3)


def test_the_portfolio_uses_the_gap_variance_of_its_mean_weekdays():
    group = members(3, gap_member=1)                       # member 1's day 0 spans 5 weekdays
    rows = {r["window"]: r for r in groups.group_statistics(group, "g", estimation=EST,
                                                            gap="scaled")}
    frames = [frame(s, gap_days=4 if s == 1 else 0) for s in range(3)]
    ret = np.mean([f["ret"] for f in frames], axis=0)
    m = np.mean([f["mret"] for f in frames], axis=0)
    est = (TAU <= EST[1])
    beta, alpha = np.polyfit(m[est], ret[est], 1)
    e = ret[est] - alpha - beta * m[est]
    s2 = e @ e / (est.sum() - 2)
    day0 = TAU == 0
    dev = m[day0].item() - m[est].mean()
    h0 = (1 + 5 + 1) / 3
    var = s2 * (h0 + 1 / est.sum() + dev ** 2 / ((m[est] - m[est].mean()) ** 2).sum())
    car = ret[day0].item() - alpha - beta * m[day0].item()
    assert rows["[0]"]["port_car"] == pytest.approx(car, rel=1e-9)
    assert rows["[0]"]["port_t"] == pytest.approx(car / np.sqrt(var), rel=1e-9)


def test_errors_name_the_group():
    # each member misses 8 estimation days, different ones: the portfolio keeps only 31 of 55
    trio = [es.analyse(frame(s, unmatched=np.arange(-60 + 8 * s, -52 + 8 * s)), f"S{s}", EST)
            for s in range(3)]
    with pytest.raises(ValueError, match="^trio: only 31 usable estimation days$"):
        groups.group_statistics(trio, "trio", estimation=EST)
    # three copies of one security: the standardized CARs have no cross-sectional spread
    same = [es.analyse(frame(0), f"S{k}", EST) for k in range(3)]
    with np.errstate(divide="ignore", invalid="ignore"), \
            pytest.raises(ValueError, match="^same: standardized CARs have no cross-sectional"):
        groups.group_statistics(same, "same", estimation=EST)
