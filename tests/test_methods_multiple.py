"""Multiple-testing wrapper and placebo rejection rates (methods.multiple)."""

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.multitest import multipletests

from deepshock.methods import multiple

P = [0.01, 0.04, 0.03, 0.2]


def test_adjusted_p_by_hand_holm_and_benjamini_hochberg():
    # Holm: sorted 0.01, 0.03, 0.04, 0.2 times 4, 3, 2, 1 = 0.04, 0.09, 0.08 -> 0.09, 0.2
    assert multiple.adjusted_p(P, "holm") == pytest.approx([0.04, 0.09, 0.09, 0.2])
    # BH: p * 4 / rank = 0.04, 0.06, 0.0533, 0.2, then running minimum from the top
    assert multiple.adjusted_p(P, "fdr_bh") == pytest.approx([0.04, 0.16 / 3, 0.16 / 3, 0.2])
    with pytest.raises(ValueError, match="method must be one of"):
        multiple.adjusted_p(P, "bonferroni")


def table():
    return pd.DataFrame({
        "hypothesis": ["NVDA [0]", "US semis [0]", "Japan semis [0,+1]", "AMD [0]", "MU [0]",
                       "TSM [0]", "ASML [0]", "ORCL [0]"],
        "p": [0.0001, 0.03, 0.08, 0.004, 0.02, 0.045, 0.3, np.nan],
        "primary": [True, True, True, False, False, False, False, False]})


def test_holm_equals_statsmodels_exactly_with_ties_and_values_near_one():
    rng = np.random.default_rng(7)
    cases = [rng.uniform(size=n) for n in (1, 2, 5, 40, 300)]
    cases += [rng.uniform(size=60) ** 6, np.round(rng.uniform(size=50), 2),   # small p, ties
              np.array([0.5, 0.5, 0.5]), np.array([0.01, 0.9, 0.01, 1.0, 0.3])]
    for p in cases:
        ours = multiple.holm(p)
        assert np.array_equal(ours, multipletests(p, method="holm")[1]), p
        assert (ours >= p).all() and (ours <= 1).all()
    assert multiple.holm(np.array([0.04, 0.01, 0.03])).tolist() == pytest.approx(
        [0.06, 0.03, 0.06])   # by hand: 0.01 x 3, then max(0.03 x 2, 0.03), then 0.04 x 1 -> 0.06


def test_holm_never_runs_statsmodels_full_garbage_collection(monkeypatch):
    calls = []
    monkeypatch.setattr(multiple, "multipletests",
                        lambda p, method: calls.append(method) or multipletests(p, method=method))
    assert multiple.adjusted_p([0.04, np.nan, 0.01], "holm")[[0, 2]].tolist() == pytest.approx(
        [0.04, 0.02])   # by hand: 0.01 x 2, then max(0.04 x 1, 0.02)
    assert calls == []
    multiple.adjusted_p([0.04, 0.01], "fdr_bh")
    assert calls == ["fdr_bh"]


def test_adjust_leaves_primaries_alone_and_matches_statsmodels_on_the_rest():
    for method in ("holm", "fdr_bh"):
        out = multiple.adjust(table(), method=method)
        assert out.loc[:2, "p_adj"].tolist() == [0.0001, 0.03, 0.08]
        ref = multipletests([0.004, 0.02, 0.045, 0.3], method=method)[1]
        assert out.loc[3:6, "p_adj"].to_numpy() == pytest.approx(ref, rel=1e-12)
        assert np.isnan(out.at[7, "p_adj"])
        assert set(out["family"]) == {"primary", f"secondary ({method})"}
    holm = multiple.adjust(table()).set_index("hypothesis")
    # AMD: 0.004 * 4 = 0.016 keeps two of its three stars; MU 0.02 * 3 = 0.06 keeps one
    assert holm.loc["AMD [0]", ["stars", "stars_adj", "survives"]].tolist() == [3, 2, False]
    assert holm.loc["MU [0]", ["stars", "stars_adj"]].tolist() == [2, 1]
    assert holm.loc["NVDA [0]", "survives"] and not holm.loc["ASML [0]", "survives"]
    assert holm.loc["ORCL [0]", "stars"] == 0


def test_adjust_can_treat_the_primaries_as_their_own_family():
    out = multiple.adjust(table(), primaries="family")
    assert out.loc[:2, "p_adj"].to_numpy() == pytest.approx(
        multipletests([0.0001, 0.03, 0.08], method="holm")[1])
    assert out.loc[3:6, "p_adj"].to_numpy() == pytest.approx(
        multipletests([0.004, 0.02, 0.045, 0.3], method="holm")[1])
    with pytest.raises(ValueError, match="no column 'pval'"):
        multiple.adjust(table(), p="pval")


def test_rejection_rates_at_three_levels_long_and_wide():
    long = pd.DataFrame({"window": ["[0]"] * 4 + ["[0,+1]"] * 2,
                         "test": ["BMP", "BMP", "KP", "KP", "BMP", "BMP"],
                         "p": [0.005, 0.2, 0.07, 0.03, 0.5, np.nan]})
    rates = multiple.rejection_rates(long)
    assert rates.loc[("[0]", "BMP")].tolist() == [2, 0.5, 0.5, 0.5]
    assert rates.loc[("[0]", "KP")].tolist() == [2, 0.0, 0.5, 1.0]
    assert rates.loc[("[0,+1]", "BMP")].tolist() == [1, 0.0, 0.0, 0.0]   # NaN not counted
    assert list(rates.columns) == ["n", "1%", "5%", "10%"]
    wide = pd.DataFrame({"window": ["[0]", "[0]", "[0]"], "bmp_p": [0.001, 0.06, 0.5],
                         "grank_p": [0.02, 0.2, 0.09]})
    w = multiple.rejection_rates(wide, p=["bmp_p", "grank_p"])
    assert w.loc[("[0]", "bmp_p"), ["1%", "5%", "10%"]].tolist() == pytest.approx([1/3, 1/3, 2/3])
    assert w.loc[("[0]", "grank_p"), ["1%", "5%", "10%"]].tolist() == pytest.approx([0, 1/3, 2/3])
