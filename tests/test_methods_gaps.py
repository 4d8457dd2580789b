"""Variance of returns spanning a closure (methods.gaps): hand cases and statsmodels."""

import math

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from deepshock.methods import eventstudy as es
from deepshock.methods import gaps

RM = np.array([-2.0, -1.0, 0.0, 1.0, 2.0]) / 100
RP = np.array([-3.0, -1.0, 1.0, 1.0, 2.0]) / 100   # beta 1.2, alpha 0, SSR 1.6e-4 (test_eventstudy)


def test_weekdays_spanned_by_the_lunar_new_year_returns():
    prev = pd.to_datetime(["2025-01-24", "2025-01-22", "2025-01-24", "2025-01-27"])
    date = pd.to_datetime(["2025-01-31", "2025-02-03", "2025-01-27", "2025-01-28"])
    # Seoul shut 27-30 Jan: 5 weekdays; Taipei 23 Jan - 2 Feb: 8; a weekend: 1; a day: 1
    assert gaps.weekdays_spanned(prev, date).tolist() == [5, 8, 1, 1]


def test_gap_car_variance_reduces_to_the_market_model_and_scales_the_disturbance_by_hand():
    fit = es.market_model(RP, RM)
    m = np.array([3.0, -1.0]) / 100
    assert gaps.car_variance(fit, m) == pytest.approx(es.car_variance(fit, m), rel=1e-14)
    assert gaps.car_variance(fit, m, [1, 1]) == pytest.approx(es.car_variance(fit, m), rel=1e-14)
    s2 = 1.6e-4 / 3
    # day 0 spans 5 weekdays: s2 (5 + 1 + 4/5 + (3 - 1)^2 / 10)
    assert gaps.car_variance(fit, m, [5, 1]) == pytest.approx(s2 * (6 + 0.8 + 0.4))
    with pytest.raises(ValueError, match="one scale per window row"):
        gaps.car_variance(fit, m, [5])


def test_one_gap_row_matches_statsmodels_prediction_variance_plus_k_disturbances():
    rng = np.random.default_rng(1)
    x = rng.normal(0, 0.01, 240)
    y = 0.0002 + 1.3 * x + rng.normal(0, 0.015, 240)
    ols = sm.OLS(y, sm.add_constant(x)).fit()
    fit = es.market_model(y, x)
    x0 = 0.035                                   # the benchmark's move over a 5-weekday gap
    pred = ols.get_prediction(np.array([[1.0, x0]]))
    expected = 5 * ols.scale + pred.var_pred_mean[0]
    assert gaps.car_variance(fit, [x0], [5]) == pytest.approx(expected, rel=1e-9)
    ar = y[0] - ols.params @ [1.0, x0]
    t = gaps.gap_t(fit, [ar], [x0], [5])
    assert t.stat == pytest.approx(ar / math.sqrt(expected), rel=1e-9)
    assert t.dist == "t(238)"


def test_own_gap_variance_and_scales_by_hand():
    resid = np.array([0.01, -0.02, 0.03, 0.005, -0.04, 0.02])
    weekdays = np.array([1, 2, 1, 3, 5, 1])
    per_day, count = gaps.own_gap_variance(resid, weekdays)
    assert count == 3
    assert per_day == pytest.approx((0.02 ** 2 + 0.005 ** 2 + 0.04 ** 2) / (2 + 3 + 5))
    with pytest.raises(ValueError, match="only 3 past returns span >= 2 weekdays"):
        gaps.own_gap_variance(resid, weekdays, min_count=4)
    assert gaps.scales([1, 5, 8]).tolist() == [1, 5, 8]
    own = gaps.scales([1, 5, 8], "own", s2=0.0001, per_weekday=0.00005)
    assert own.tolist() == pytest.approx([1.0, 2.5, 4.0])   # half a one-day variance a weekday
    with pytest.raises(ValueError, match="needs s2 and per_weekday"):
        gaps.scales([1, 5], "own")
    with pytest.raises(ValueError, match="method must be one of"):
        gaps.scales([1], "sqrt")


def test_standardized_cars_and_residuals_use_each_members_own_gap_variance():
    assert gaps.scar([0.1, -0.2], [0.01, 0.04]).tolist() == pytest.approx([1.0, -1.0])
    assert gaps.standardized_residuals([0.02, 0.02], 0.0001, [1, 4]).tolist() == \
        pytest.approx([2.0, 1.0])
    # a BMP t over members standardized by gap variances is the mean SCAR over its se
    scars = gaps.scar([-0.10, -0.06, -0.02], [0.0025 * 5, 0.0004 * 8, 0.0001])
    assert es.bmp(scars) == pytest.approx(scars.mean() / (scars.std(ddof=1) / math.sqrt(3)))
