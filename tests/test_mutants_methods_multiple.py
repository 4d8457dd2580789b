"""methods.multiple: stars at the level boundaries, NaN p-values, the primaries' own family
with Benjamini-Hochberg, custom levels and the order of rejection-rate rows; by hand and
against statsmodels."""

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.multitest import multipletests

from deepshock.methods import multiple


def test_star_count_is_strictly_below_each_level_and_an_integer():
    stars = multiple.star_count([0.001, 0.01, 0.05, 0.0999, 0.10, np.nan])
    assert stars.tolist() == [3, 2, 1, 1, 0, 0]              # p = 5% earns the 10% star only
    assert stars.dtype.kind == "i"                           # usable as "*" * stars


def test_adjusted_p_defaults_to_holm_and_keeps_nan():
    p = [0.01, np.nan, 0.04, 0.03]
    out = multiple.adjusted_p(p)
    assert out.dtype == float and np.isnan(out[1])
    assert out[[0, 2, 3]] == pytest.approx(multipletests([0.01, 0.04, 0.03], method="holm")[1])
    assert np.isnan(multiple.adjusted_p([np.nan, np.nan])).all()


def table():
    return pd.DataFrame({"p": [0.001, 0.03, 0.07, 0.004, 0.02, 0.09, 0.3],
                         "primary": [True, True, True, False, False, False, False]})


def test_primaries_as_a_benjamini_hochberg_family():
    out = multiple.adjust(table(), method="fdr_bh", primaries="family")
    ref = multipletests([0.001, 0.03, 0.07], method="fdr_bh")[1]
    assert out.loc[:2, "p_adj"].to_numpy() == pytest.approx(ref, rel=1e-12)
    assert ref[1] != pytest.approx(multipletests([0.001, 0.03, 0.07], method="holm")[1][1])
    assert out.loc[:2, "family"].tolist() == ["primary (fdr_bh)"] * 3
    assert out.loc[3:, "family"].tolist() == ["secondary (fdr_bh)"] * 4
    with pytest.raises(ValueError,
                       match="^primaries must be 'unadjusted' or 'family', not 'all'$"):
        multiple.adjust(table(), primaries="all")


def test_a_single_star_can_survive_and_levels_are_the_callers():
    out = multiple.adjust(table())
    # a primary at 7% keeps its one star unadjusted
    assert out.loc[2, ["stars", "stars_adj", "survives"]].tolist() == [1, 1, True]
    five = multiple.adjust(table(), levels=(0.05,))
    assert five["stars"].tolist() == [1, 1, 0, 1, 1, 0, 0]
    # secondaries by Holm among four: 0.016, 0.06, 0.18, 0.3
    assert five["stars_adj"].tolist() == [1, 1, 0, 1, 0, 0, 0]


def test_rejection_rates_keep_the_order_of_first_appearance_and_strict_levels():
    long = pd.DataFrame({"window": ["[0,+5]", "[0,+5]", "[0]", "[0]", "[-5,-1]"],
                         "test": ["KP", "BMP", "KP", "BMP", "KP"],
                         "p": [0.05, 0.01, 0.2, 0.001, 0.10]})
    rates = multiple.rejection_rates(long)
    assert list(rates.index) == [("[0,+5]", "KP"), ("[0,+5]", "BMP"), ("[0]", "KP"),
                                 ("[0]", "BMP"), ("[-5,-1]", "KP")]
    assert rates["5%"].tolist() == [0.0, 1.0, 0.0, 1.0, 0.0]    # p = 5% is not below 5%
    assert rates["10%"].tolist() == [1.0, 1.0, 0.0, 1.0, 0.0]
    one = multiple.rejection_rates(long.drop(columns="test"), by="window")
    assert list(one.index) == ["[0,+5]", "[0]", "[-5,-1]"] and one["n"].tolist() == [2, 2, 1]
    # wide: only the named p-value columns become tests
    wide = pd.DataFrame({"window": ["[0]", "[0]"], "car": [0.01, -0.02],
                         "kp_p": [0.04, 0.5], "bmp_p": [0.001, 0.2]})
    w = multiple.rejection_rates(wide, p=["kp_p", "bmp_p"])
    assert list(w.index) == [("[0]", "kp_p"), ("[0]", "bmp_p")]
    assert w["1%"].tolist() == [0.0, 0.5]
