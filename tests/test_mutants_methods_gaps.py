"""methods.gaps and methods.stat: the guards, the "own" scale's two-weekday boundary, the
one-day default of standardized residuals, and what a Stat carries; by hand."""

import math

import numpy as np
import pytest
from scipy import stats

from deepshock.methods import eventstudy as es
from deepshock.methods import gaps, stat

RM = np.array([-2.0, -1.0, 0.0, 1.0, 2.0]) / 100
RP = np.array([-3.0, -1.0, 1.0, 1.0, 2.0]) / 100   # beta 1.2, alpha 0, s2 = 1.6e-4 / 3


def test_scales_guards_and_the_own_boundary_at_two_weekdays():
    with pytest.raises(ValueError, match="^a return spans at least one weekday$"):
        gaps.scales([1, 0, 2])
    for kwargs in ({"s2": 1.0}, {"per_weekday": 1.0}, {}):
        with pytest.raises(ValueError, match="^method 'own' needs s2 and per_weekday$"):
            gaps.scales([1, 2], "own", **kwargs)
    # a two-weekday row already takes the own per-weekday variance: 2 x 3 / 1
    assert gaps.scales([1, 2, 3], "own", s2=1.0, per_weekday=3.0).tolist() == [1.0, 6.0, 9.0]


def test_car_variance_needs_one_scale_per_row_and_gap_t_is_one_security():
    fit = es.market_model(RP, RM)
    with pytest.raises(ValueError, match="^one scale per window row$"):
        gaps.car_variance(fit, [0.01, 0.02], [1.0])
    s2 = 1.6e-4 / 3
    var = s2 * (5 + 1 / 5 + 0.03 ** 2 / 0.001)          # day 0 spans 5 weekdays, Rm = 3%
    t = gaps.gap_t(fit, [0.05], [0.03], [5])
    assert t.stat == pytest.approx(0.05 / math.sqrt(var), rel=1e-9)
    assert t.n == 1 and t.dist == "t(3)"


def test_standardized_residuals_default_to_one_day():
    resid = np.array([0.02, -0.01, 0.04])
    assert gaps.standardized_residuals(resid, 4e-4).tolist() == pytest.approx([1.0, -0.5, 2.0])
    assert gaps.standardized_residuals(resid, 4e-4, [1, 4, 1]).tolist() == pytest.approx(
        [1.0, -0.25, 2.0])


def test_require_group_messages_with_and_without_a_label():
    with pytest.raises(ValueError,
                       match="^group has 2 securities; group statistics need at least 3$"):
        stat.require_group(2)
    with pytest.raises(ValueError, match="^group 'pair' has 2 securities"):
        stat.require_group(2, "pair")
    stat.require_group(3)                                # three is enough


def test_t_and_z_stats_carry_no_count_until_a_test_sets_it():
    assert stat.t_stat(-2.0, 10) == (-2.0, pytest.approx(2 * stats.t.cdf(-2.0, 10)), "t(10)", 0)
    assert stat.z_stat(1.5) == (1.5, pytest.approx(2 * stats.norm.sf(1.5)), "N(0,1)", 0)


def test_as_matrix_makes_one_column_of_a_single_security():
    assert stat.as_matrix([1.0, 2.0, 3.0]).shape == (3, 1)
    assert stat.as_matrix(np.ones((4, 2))).shape == (4, 2)
