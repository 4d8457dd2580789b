"""Group statistics (methods.groups) and the gap option of analyse on made-up securities."""

import math

import numpy as np
import pandas as pd
import pytest

from deepshock.methods import eventstudy as es
from deepshock.methods import gaps, groups, ranks

EST = (-60, -6)


def frame(seed, gap_days=0, shock=-0.05):
    """Made-up event-time frame: 55 estimation days, then tau -5..+20; day 0 a shock. With
    `gap_days`, day 0's return follows a closure of that many extra weekdays."""
    rng = np.random.default_rng(seed)
    tau = np.arange(-60, 21)
    m = rng.normal(0, 0.01, len(tau))
    ret = 0.0002 + (1 + seed / 10) * m + rng.normal(0, 0.015, len(tau))
    ret[tau == 0] += shock
    dates = pd.bdate_range("2024-10-01", periods=len(tau) + gap_days)
    keep = np.r_[np.arange(60), np.arange(60 + gap_days, len(tau) + gap_days)]
    dates = dates[keep]
    prev = dates[:-1].insert(0, dates[0] - pd.offsets.BDay())
    return pd.DataFrame({"tau": tau, "date": dates, "prev_date": prev, "ret": ret, "mret": m,
                         "matched": True})


def test_analyse_with_gaps_scales_the_day_zero_variance_and_leaves_the_rest():
    f = frame(1, gap_days=4)                       # day 0 spans 5 weekdays
    plain, scaled = es.analyse(f, "X", EST), es.analyse(f, "X", EST, gap="scaled")
    assert scaled.windows.at["[0]", "weekdays"] == 5
    assert scaled.windows.at["[-5,-1]", "weekdays"] == 5       # five ordinary days
    fit = plain.fit
    m0 = f.loc[f["tau"] == 0, "mret"].to_numpy()
    assert scaled.windows.at["[0]", "se"] ** 2 == pytest.approx(
        gaps.car_variance(fit, m0, [5]), rel=1e-12)
    assert scaled.windows.at["[0]", "se"] ** 2 == pytest.approx(
        plain.windows.at["[0]", "se"] ** 2 + 4 * fit.s2, rel=1e-12)
    assert scaled.windows.at["[-5,-1]", "t"] == pytest.approx(plain.windows.at["[-5,-1]", "t"])
    assert scaled.windows.at["[0]", "car"] == plain.windows.at["[0]", "car"]
    with pytest.raises(ValueError, match="own-gap variance needs 3"):
        es.analyse(f, "X", EST, gap="own")       # no past gaps in this history


def members(n, gap_member=None):
    return [es.analyse(frame(s, gap_days=4 if s == gap_member else 0), f"S{s}", EST,
                       gap="scaled" if gap_member is not None else None) for s in range(n)]


def test_group_statistics_extend_group_tests_with_rank_and_sign_tests():
    group = members(4)
    old = {g["window"]: g for g in es.group_tests(group, "four", estimation=EST)}
    new = {g["window"]: g for g in groups.group_statistics(group, "four", estimation=EST)}
    for w in es.WINDOWS:
        for key, value in old[w].items():
            assert new[w][key] == value, (w, key)
    sar = np.column_stack([m.resid / math.sqrt(m.fit.s2) for m in group])
    scar = [m.windows.at["[0,+1]", "t"] for m in group]
    assert new["[0,+1]"]["grank"] == pytest.approx(ranks.grank(sar, scar).stat, rel=1e-12)
    assert new["[0,+1]"]["grank_dist"] == "t(54)"              # T = 55 estimation rows + 1
    raw = np.column_stack([m.resid for m in group])
    day0 = [m.path.set_index("tau").at[0, "ar"] for m in group]
    assert new["[0]"]["corrado"] == pytest.approx(ranks.corrado(raw, day0).stat, rel=1e-12)
    assert np.isnan(new["[0,+1]"]["corrado"])                  # Corrado is a one-day test
    cars = [m.windows.at["[0]", "car"] for m in group]
    assert new["[0]"]["gsign"] == pytest.approx(ranks.generalized_sign(raw, cars).stat)
    assert new["[0]"]["bmp_dist"] == "t(3)" and new["[0]"]["gsign_dist"].startswith("binomial(4, ")
    # every member took a -5% shock on day 0: all tests point the same way
    assert all(new["[0]"][k] < 0 for k in ("bmp", "kp", "port_t", "grank", "corrado", "gsign"))


def test_group_statistics_refuse_two_securities():
    with pytest.raises(ValueError, match="'pair' has 2 securities"):
        groups.group_statistics(members(2), "pair", estimation=EST)


def test_group_members_are_standardized_by_their_own_gap_variance():
    group = members(3, gap_member=1)
    assert [m.windows.at["[0]", "weekdays"] for m in group] == [1, 5, 1]
    g = {r["window"]: r for r in groups.group_statistics(group, "g", estimation=EST,
                                                          gap="scaled")}
    scar = [m.windows.at["[0]", "t"] for m in group]
    assert g["[0]"]["bmp"] == pytest.approx(es.bmp(scar))
    plain = es.analyse(frame(1, gap_days=4), "S1", EST)
    assert abs(scar[1]) < abs(plain.windows.at["[0]", "t"])   # the gap variance is larger
