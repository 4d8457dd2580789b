"""methods.ranks: missing rows in the rank statistic, GRANK's dominated-event branch, the sign
test on return-sized CARs, the empirical p-value's upper tail and the error messages; against
a plain loop and hand-computed cases."""

import math

import numpy as np
import pytest
from scipy import stats

from deepshock.methods import ranks


def rank_z_plain(est, event):
    """Corrado's Z by a plain loop: each security's non-missing estimation values and its event
    value ranked together, U = rank / (T_i + 1) - 1/2; over the rows with any value,
    S_U^2 = mean of (n_t / n) Ubar_t^2, n the number of event values."""
    rows, n = est.shape
    u = np.full((rows + 1, n), np.nan)
    for j in range(n):
        have = [t for t in range(rows) if np.isfinite(est[t, j])]
        r = stats.rankdata([est[t, j] for t in have] + [event[j]])
        for k, t in enumerate(have + [rows]):
            u[t, j] = r[k] / (len(have) + 2) - 0.5
    used = [t for t in range(rows + 1) if np.isfinite(u[t]).any()]
    s2 = sum(np.isfinite(u[t]).sum() / n * np.nanmean(u[t]) ** 2 for t in used) / len(used)
    return np.mean(u[rows]) / math.sqrt(s2), len(used)


def test_corrado_with_missing_rows_a_lone_member_and_an_empty_day():
    rng = np.random.default_rng(4)
    est = rng.standard_normal((12, 4))
    est[1, 2] = np.nan                  # the second row incomplete
    est[-1, [0, 3]] = np.nan            # the last estimation row too
    est[5, :3] = np.nan                 # a day with one member only
    est[8, :] = np.nan                  # a day no member has
    event = np.array([1.5, 2.0, -0.3, 1.1])
    z, used = rank_z_plain(est, event)
    assert used == 12                   # 11 estimation days with data + the event
    res = ranks.corrado(est, event)
    assert res.stat == pytest.approx(z, rel=1e-12)
    g = ranks.grank(est, event, restandardize=False)
    assert g.z == pytest.approx(z, rel=1e-12) and g.T == 12 and g.n == 4
    assert g.stat == pytest.approx(z * math.sqrt(10 / (11 - z ** 2)), rel=1e-12)


def test_grank_t_near_and_at_the_dominated_event():
    # every event value above all estimation values: room T - 1 - Z^2 = 0.645 (t finite)
    est = np.array([[2.0, 4, 0], [4, 1, 2], [3, 2, 3], [0, 0, 4], [1, 3, 1]])
    g = ranks.grank(est, [5.5, 5.5, 5.5], restandardize=False)
    z, T = rank_z_plain(est, [5.5, 5.5, 5.5])
    assert T - 1 - z ** 2 == pytest.approx(0.645, abs=1e-3)
    assert g.stat == pytest.approx(z * math.sqrt((T - 2) / (T - 1 - z ** 2)), rel=1e-12)
    # one estimation day, the event above (below) it for all: Z^2 = T - 1, t is +inf (-inf)
    one = np.array([[0.1, 0.2, 0.3]])
    assert ranks.grank(one, [1.0, 2.0, 3.0], restandardize=False).stat == math.inf
    assert ranks.grank(one, [-1.0, -2.0, -3.0], restandardize=False).stat == -math.inf


def test_generalized_sign_counts_positive_return_sized_cars():
    est = np.array([[0.01, -0.02, 0.03], [-0.01, 0.02, 0.01], [0.02, 0.01, -0.03],
                    [0.0, 0.03, 0.02]])
    share = (2 / 4 + 3 / 4 + 3 / 4) / 3                       # positive estimation ARs
    cars = [0.02, 0.03, -0.01]                                 # two of three positive
    z = (2 - 3 * share) / math.sqrt(3 * share * (1 - share))
    exact = ranks.generalized_sign(est, cars)
    assert exact.stat == pytest.approx(z, rel=1e-12) and exact.n == 3
    assert exact.p == pytest.approx(stats.binomtest(2, 3, share).pvalue, rel=1e-12)
    approx = ranks.generalized_sign(est, cars, exact=False)
    assert approx.p == pytest.approx(2 * stats.norm.sf(abs(z)), rel=1e-12) and approx.n == 3


def test_empirical_p_in_the_upper_tail_by_hand():
    resid = np.arange(1.0, 10.0)                               # 1..9, N = 9
    # value 8: 8 of 9 at or below (lo = 9/10), 2 at or above (hi = 3/10): p = 0.6
    res = ranks.empirical_p(resid, 8.0)
    assert res == (8.0, pytest.approx(0.6), "empirical(9)", 1)
    # blocks of two: sums 3, 5, ..., 17 (N = 8); 17 is the largest: hi = 2/9, p = 4/9
    assert ranks.empirical_p(resid, 17.0, length=2).p == pytest.approx(4 / 9)


def test_messages_name_the_group_or_say_group():
    est = np.zeros((4, 3)) + np.arange(4.0)[:, None]
    with pytest.raises(ValueError, match="^group: an event value is missing$"):
        ranks.corrado(est, [np.nan, 0.0, 1.0])
    with pytest.raises(ValueError, match="^g: an event value is missing$"):
        ranks.corrado(est, [np.nan, 0.0, 1.0], "g")
    with pytest.raises(ValueError, match="^group: an event value is missing$"):
        ranks.grank(est, [np.nan, 0.0, 1.0])
    with pytest.raises(ValueError, match="^group: an event value is missing$"):
        ranks.generalized_sign(est, [np.nan, 0.0, 1.0])
    with pytest.raises(ValueError, match="^group has 2 securities"):
        ranks.corrado(est[:, :2], [0.0, 1.0])
    with pytest.raises(ValueError,
                       match="^group: standardized CARs have no cross-sectional spread$"):
        ranks.grank(est, [1.0, 1.0, 1.0])
    with pytest.raises(ValueError, match="^g: standardized CARs have no cross-sectional"):
        ranks.grank(est, [1.0, 1.0, 1.0], "g")
