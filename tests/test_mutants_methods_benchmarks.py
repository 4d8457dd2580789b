"""methods.benchmarks: the default 30-member rule, weights aligned by label, small and zero
weights, no warnings on empty days, and breadth's tolerance, weights and labels; by hand."""

import warnings

import numpy as np
import pandas as pd
import pytest

from deepshock.methods import benchmarks as bm

DAYS = pd.to_datetime(["2025-01-24", "2025-01-27"])


def test_the_default_rule_needs_30_other_members():
    cols = [f"S{i}" for i in range(31)]
    ret = np.arange(31) / 1000
    wide = pd.DataFrame([ret, ret], index=DAYS, columns=cols)
    wide.iloc[1, 5] = np.nan                                  # day 2: 30 returns only
    out = bm.leave_one_out(wide)
    assert out.iat[0, 0] == pytest.approx(ret[1:].mean())     # 30 others: enough
    assert out.iloc[1].drop("S5").isna().all()                # 29 others: not a market
    assert out.iat[1, 5] == pytest.approx(np.delete(ret, 5).mean())   # S5 still has 30
    one = bm.excluding(wide, "S0")
    assert one.iat[0] == pytest.approx(ret[1:].mean()) and np.isnan(one.iat[1])
    assert one.name == "others than S0"


def test_weights_are_aligned_by_label_and_may_be_small_or_zero():
    wide = pd.DataFrame({"A": [0.01, 0.02], "B": [0.02, -0.01], "C": [0.04, 0.0]}, index=DAYS)
    w = pd.DataFrame({"A": [0.2, 0.2], "B": [0.3, 0.0], "C": [0.5, 0.5]}, index=DAYS)
    # weights given with their columns reversed and an extra, later row
    later = pd.DataFrame({c: [9.0] for c in w}, index=[pd.Timestamp("2025-01-28")])
    shuffled = pd.concat([w, later])
    shuffled = shuffled[["C", "B", "A"]]
    out = bm.leave_one_out(wide, min_members=1, weights=shuffled)
    assert out.shape == (2, 3)
    assert out.at[DAYS[0], "A"] == pytest.approx((0.3 * 0.02 + 0.5 * 0.04) / 0.8)
    assert out.at[DAYS[0], "C"] == pytest.approx((0.2 * 0.01 + 0.3 * 0.02) / 0.5)
    assert out.at[DAYS[1], "A"] == pytest.approx(0.0)        # B weighs 0, C returned 0
    assert out.at[DAYS[1], "B"] == pytest.approx((0.2 * 0.02) / 0.7)
    one = bm.excluding(wide, "A", min_members=1, weights=shuffled)
    assert one.tolist() == pytest.approx([(0.3 * 0.02 + 0.5 * 0.04) / 0.8, 0.0])
    with pytest.raises(ValueError, match="^leave_one_out: negative weights$"):
        bm.leave_one_out(wide, weights=w - 0.25)


def test_a_day_without_other_members_is_nan_without_a_warning():
    wide = pd.DataFrame({"A": [0.01, 0.02], "B": [np.nan, 0.01]}, index=DAYS)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = bm.leave_one_out(wide, min_members=0)
    assert out.at[DAYS[0], "B"] == pytest.approx(0.01)
    assert np.isnan(out.at[DAYS[0], "A"])                     # A has no peer that day


def test_breadth_tolerance_weights_beyond_the_sectors_and_labels():
    ret = pd.Series({"A": 0.0005, "B": -0.0005, "C": -0.02, "D": 0.03})
    sectors = pd.Series({"A": "Tech", "B": "Tech", "C": "Energy", "D": "Energy"})
    out = bm.breadth(ret, sectors, tol=0.001)
    assert out.index.name == "sector"
    assert out.loc["All", ["rose", "fell", "unchanged"]].tolist() == [1, 1, 2]
    # weights of a wider universe (E has no sector here) and fractions below one
    caps = pd.Series({"A": 0.1, "B": 0.3, "C": 0.2, "D": 0.2, "E": 0.5})
    w = bm.breadth(ret, sectors, caps)
    assert w.at["All", "members"] == 4
    assert w.at["Tech", "cw_ret"] == pytest.approx((0.1 * 0.0005 - 0.3 * 0.0005) / 0.4)
    assert w.at["All", "cw_ret"] == pytest.approx(
        (0.1 * 0.0005 - 0.3 * 0.0005 - 0.2 * 0.02 + 0.2 * 0.03) / 0.8)
    # a sector with no weights: no cap-weighted mean, and no warning
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        none = bm.breadth(ret, sectors, caps.drop(["C", "D"]))
    assert np.isnan(none.at["Energy", "cw_ret"])
    many = pd.Series(0.01, index=list("PQRSTU"))
    with pytest.raises(ValueError, match="^breadth: no sector for P, Q, R, S, T$"):
        bm.breadth(pd.concat([ret, many]), sectors)
