"""Rank, sign and empirical tests (methods.ranks) against hand-computed cases."""

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from deepshock.methods import ranks
from deepshock.methods.stat import MIN_GROUP, require_group

# --- a made-up group of three securities, four estimation days each -------------------------
EST = np.array([[0.5, 1.0, -2.0],
                [-1.0, 2.0, 1.0],
                [2.0, 3.0, -1.0],
                [0.0, 4.0, 3.0]])
EVENT = np.array([-3.0, 0.0, 2.0])


def test_rank_scores_by_hand():
    u = ranks.rank_scores(EST, EVENT)
    # A: ranks of (0.5, -1, 2, 0 | -3) are (4, 2, 5, 3 | 1); U = rank / 6 - 1/2
    assert u[:, 0] == pytest.approx(np.array([4, 2, 5, 3, 1]) / 6 - 0.5)
    assert u[:, 1] == pytest.approx(np.array([2, 3, 4, 5, 1]) / 6 - 0.5)
    assert u[:, 2] == pytest.approx(np.array([1, 3, 2, 5, 4]) / 6 - 0.5)


def test_rank_scores_with_missing_rows_match_pandas_ranks():
    rng = np.random.default_rng(3)
    est = rng.standard_normal((30, 4))
    est[[2, 7, 8], 1] = np.nan
    event = rng.standard_normal(4)
    u = ranks.rank_scores(est, event)
    both = pd.DataFrame(np.vstack([est, event]))
    expected = both.rank() / (both.notna().sum() + 1) - 0.5
    np.testing.assert_allclose(u, expected.to_numpy(), rtol=0, atol=1e-15)
    assert np.isnan(u[[2, 7, 8], 1]).all()


def test_corrado_by_hand():
    # mean U per row: -1/9, -1/18, 1/9, 2/9 and, on the event day, -1/6
    s2 = (1 / 81 + 1 / 324 + 1 / 81 + 4 / 81 + 1 / 36) / 5
    z = (-1 / 6) / math.sqrt(s2)
    res = ranks.corrado(EST, EVENT)
    assert res.stat == pytest.approx(z, rel=1e-12)
    assert z == pytest.approx(-1.15045, abs=1e-5)
    assert res.p == pytest.approx(2 * stats.norm.cdf(-abs(z)), rel=1e-12)
    assert res.dist == "N(0,1)" and res.n == 3


def test_corrado_is_invariant_to_increasing_transforms_of_a_security():
    rng = np.random.default_rng(5)
    est, event = rng.standard_normal((120, 5)), rng.standard_normal(5) - 0.8
    warped_est, warped_event = est.copy(), event.copy()
    warped_est[:, 2], warped_event[2] = np.exp(est[:, 2]), np.exp(event[2])
    assert ranks.corrado(warped_est, warped_event).stat == pytest.approx(
        ranks.corrado(est, event).stat, rel=1e-12)
    warped_est[:, 3] = -est[:, 3]   # a decreasing transform does change it
    assert ranks.corrado(warped_est, warped_event).stat != pytest.approx(
        ranks.corrado(est, event).stat, rel=1e-6)


def test_grank_by_hand():
    # SCARs (-3, 0, 2) over their cross-sectional sd sqrt(57/9): (-1.19, 0, 0.79)
    # C's event value now ranks 3rd of 5, so U(event) = (-1/3, -1/3, 0), mean -2/9;
    # mean U on the estimation rows -1/9, 0, 1/9, 2/9; S_U^2 = (10/81) / 5 = 2/81
    res = ranks.grank(EST, EVENT)
    assert res.mean_u == pytest.approx(-2 / 9)
    assert res.z == pytest.approx(-math.sqrt(2), rel=1e-12)
    assert res.T == 5
    t = -math.sqrt(2) * math.sqrt(3 / (4 - 2))           # Z sqrt((T-2) / (T-1-Z^2))
    assert res.stat == pytest.approx(t, rel=1e-12) and t == pytest.approx(-math.sqrt(3))
    assert res.p == pytest.approx(2 * stats.t.sf(math.sqrt(3), 3), rel=1e-12)
    assert res.dist == "t(3)"
    assert res.p_z == pytest.approx(2 * stats.norm.sf(math.sqrt(2)), rel=1e-12)


def test_grank_restandardization_makes_it_scale_free_in_the_event_values():
    rng = np.random.default_rng(11)
    est, scar = rng.standard_normal((240, 6)), rng.standard_normal(6) - 1
    assert ranks.grank(est, 5 * scar).stat == pytest.approx(ranks.grank(est, scar).stat)


def test_generalized_sign_by_hand():
    # positive estimation shares 2/4, 4/4, 2/4 -> p = 2/3; one positive event value of three
    res = ranks.generalized_sign(EST, EVENT, exact=False)
    z = (1 - 3 * 2 / 3) / math.sqrt(3 * 2 / 3 * 1 / 3)
    assert res.stat == pytest.approx(z) and z == pytest.approx(-1.224745, abs=1e-6)
    assert res.p == pytest.approx(2 * stats.norm.sf(abs(z))) and res.dist == "N(0,1)"
    # exact: P(w = 0..3) = 1/27, 6/27, 12/27, 8/27; two-sided sums those <= P(w = 1)
    exact = ranks.generalized_sign(EST, EVENT)
    assert exact.stat == pytest.approx(z)
    assert exact.p == pytest.approx(7 / 27) and exact.dist == "binomial(3, 0.667)"


def test_empirical_p_by_hand():
    resid = [-2.0, -1.0, 0.0, 1.0, 2.0]
    one = ranks.empirical_p(resid, -3.0)            # below all five: (0 + 1) / 6 each side
    assert one.p == pytest.approx(2 / 6) and one.dist == "empirical(5)"
    two = ranks.empirical_p(resid, -3.0, length=2)  # two-day sums -3, -1, 1, 3
    assert two.p == pytest.approx(2 * 2 / 5)
    assert ranks.empirical_p(resid, 0.0).p == 1.0
    assert list(ranks.window_sums(resid, 3)) == [-3.0, 0.0, 3.0]


def test_group_statistics_refuse_fewer_than_three_securities():
    assert MIN_GROUP == 3
    for test in (ranks.corrado, ranks.grank, ranks.generalized_sign):
        with pytest.raises(ValueError, match="'US power' has 2 securities"):
            test(EST[:, :2], EVENT[:2], "US power")
    require_group(3)
    with pytest.raises(ValueError, match="event value is missing"):
        ranks.grank(EST, [1.0, np.nan, 2.0])


def simulated_null(reps, n, rho, seed, T=240):
    """t(3) errors with a common factor (pairwise correlation rho): estimation rows + event."""
    rng = np.random.default_rng(seed)
    common = rng.standard_t(3, size=(reps, T + 1, 1))
    own = rng.standard_t(3, size=(reps, T + 1, n))
    x = np.sqrt(rho) * common + np.sqrt(1 - rho) * own
    return x / x[:, :T].std(axis=1, keepdims=True)   # standardized by estimation-window sd


def rejections(x, test, **kw):
    return np.mean([test(s[:-1], s[-1], **kw).p < 0.05 for s in x])


def test_rank_tests_hold_their_size_with_a_shared_event_date_and_fat_tails():
    x = simulated_null(400, 10, 0.3, seed=2025)
    assert 0.02 <= rejections(x, ranks.corrado) <= 0.09
    assert 0.02 <= rejections(x, ranks.grank, restandardize=False) <= 0.09
    # the sign test assumes independent securities: the shared factor makes it over-reject
    assert rejections(x, ranks.generalized_sign, exact=False) > 0.15


def test_grank_restandardized_over_rejects_in_a_group_of_three_as_documented():
    x = simulated_null(400, 3, 0.0, seed=7)
    assert rejections(x, ranks.grank) > 0.10
    assert 0.02 <= rejections(x, ranks.grank, restandardize=False) <= 0.09
    big = simulated_null(300, 30, 0.0, seed=8)
    assert 0.02 <= rejections(big, ranks.grank) <= 0.09


def test_grank_without_restandardization_on_one_day_is_corrado_on_the_same_values():
    rng = np.random.default_rng(4)
    est, ev = rng.standard_normal((100, 4)), rng.standard_normal(4)
    assert ranks.grank(est, ev, restandardize=False).z == pytest.approx(
        ranks.corrado(est, ev).stat, rel=1e-12)
