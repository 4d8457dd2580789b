"""Multi-regressor market model (methods.leadlag) against statsmodels OLS."""

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from deepshock.methods import eventstudy as es
from deepshock.methods import leadlag


def made_up(seed=0, T=240):
    """Made-up Tokyo-like returns: local market, previous New York session, noise."""
    rng = np.random.default_rng(seed)
    x = pd.DataFrame({"local": rng.normal(0, 0.012, T), "ny": rng.normal(0, 0.015, T)})
    y = 0.0003 + 1.1 * x["local"] + 0.4 * x["ny"] + rng.standard_t(4, T) * 0.01
    return y, x


def test_coefficients_residual_variance_and_covariance_match_statsmodels():
    y, x = made_up()
    ols = sm.OLS(y, sm.add_constant(x)).fit()
    fit = leadlag.ols(y, x)
    assert fit.names == ("local", "ny") and fit.n == 240 and fit.df == 237
    np.testing.assert_allclose(fit.params, ols.params.to_numpy(), rtol=1e-10)
    assert fit.s2 == pytest.approx(ols.scale, rel=1e-10)
    np.testing.assert_allclose(fit.s2 * fit.xtx_inv, ols.cov_params().to_numpy(), rtol=1e-9)


def test_prediction_error_variance_of_a_day_and_a_window_matches_get_prediction():
    y, x = made_up(1)
    ols = sm.OLS(y, sm.add_constant(x)).fit()
    fit = leadlag.ols(y, x)
    window = pd.DataFrame({"local": [-0.015, 0.004, -0.002], "ny": [-0.031, 0.01, 0.0]})
    exog = sm.add_constant(window, has_constant="add")
    pred = ols.get_prediction(exog)
    cov = leadlag.prediction_covariance(fit, window)
    np.testing.assert_allclose(np.diag(cov), pred.se_obs ** 2, rtol=1e-9)
    # the sum of L prediction errors: L s^2 + Var(predicted mean of the summed exog row)
    summed = ols.get_prediction(exog.sum(axis=0).to_numpy()[None, :])
    expected = 3 * ols.scale + summed.var_pred_mean[0]
    assert leadlag.car_variance(fit, window) == pytest.approx(expected, rel=1e-9)
    assert cov.sum() == pytest.approx(expected, rel=1e-9)
    ret = np.array([-0.05, 0.01, 0.0])
    car, se, t = leadlag.window_test(fit, ret, window)
    assert car == pytest.approx((ret - pred.predicted_mean).sum(), rel=1e-9)
    assert se == pytest.approx(np.sqrt(expected)) and t.dist == "t(237)"
    # a first row spanning five weekdays adds four disturbance variances
    assert leadlag.car_variance(fit, window, [5, 1, 1]) == pytest.approx(
        expected + 4 * ols.scale, rel=1e-9)


def test_one_regressor_is_the_event_study_market_model():
    y, x = made_up(2)
    one = leadlag.ols(y, x[["local"]])
    mm = es.market_model(y, x["local"])
    assert one.params == pytest.approx([mm.alpha, mm.beta], rel=1e-10)
    assert one.s2 == pytest.approx(mm.s2, rel=1e-10)
    m = [0.02, -0.01, 0.005]
    assert leadlag.car_variance(one, pd.DataFrame({"local": m})) == pytest.approx(
        es.car_variance(mm, m), rel=1e-9)


def test_decomposition_by_hand_adds_up_to_the_return():
    # exact fit: y = 0.001 + 1.0 local + 0.5 ny on four made-up rows (s2 = 0)
    x = pd.DataFrame({"local": [0.01, -0.02, 0.0, 0.03], "ny": [0.02, 0.01, -0.04, 0.0]})
    y = 0.001 + x["local"] + 0.5 * x["ny"]
    fit = leadlag.ols(y, x)
    day = pd.DataFrame({"local": [-0.02], "ny": [-0.03]}, index=["Tue 28 Jan"])
    parts = leadlag.decompose(fit, [-0.06], day)
    row = parts.loc["Tue 28 Jan"]
    assert row["ny"] == pytest.approx(-0.015) and row["local"] == pytest.approx(-0.02)
    assert row["alpha"] == pytest.approx(0.001)
    assert row["abnormal"] == pytest.approx(-0.06 + 0.015 + 0.02 - 0.001)
    assert row[["alpha", "local", "ny", "abnormal"]].sum() == pytest.approx(row["ret"])
    with pytest.raises(ValueError, match="missing values"):
        leadlag.ols([0.1, np.nan, 0.2, 0.0], x)


def test_analyse_on_an_event_frame_matches_the_pieces_and_the_market_model():
    y, x = made_up(3, T=80)
    f = pd.DataFrame({"tau": np.arange(-70, 10), "date": pd.bdate_range("2024-01-01", periods=80),
                      "ret": y, "mret": x["local"], "ny": x["ny"], "matched": True})
    windows = {"[0]": (0, 0), "[0,+1]": (0, 1)}
    fit, tab, parts = leadlag.analyse(f, ("mret", "ny"), (-70, -11), windows, "X")
    est = f.loc[f["tau"] <= -11]
    ref = sm.OLS(est["ret"], sm.add_constant(est[["mret", "ny"]])).fit()
    np.testing.assert_allclose(fit.params, ref.params.to_numpy(), rtol=1e-10)
    ev = f.loc[f["tau"].between(0, 1)]
    exog = sm.add_constant(ev[["mret", "ny"]], has_constant="add")
    car = (ev["ret"] - ref.predict(exog)).sum()
    var = 2 * ref.scale + ref.get_prediction(exog.sum().to_numpy()[None, :]).var_pred_mean[0]
    assert tab.at["[0,+1]", "car"] == pytest.approx(car, rel=1e-9)
    assert tab.at["[0,+1]", "t"] == pytest.approx(car / np.sqrt(var), rel=1e-9)
    assert parts["tau"].tolist() == list(range(10))
    assert parts.set_index("tau").at[1, "abnormal"] == pytest.approx(
        ev["ret"].iloc[1] - ref.predict(exog).iloc[1], rel=1e-9)
    # with the New York regressor dropped it is eventstudy.analyse's market model
    one, tab1, _ = leadlag.analyse(f, ("mret",), (-70, -11), windows)
    mm = es.market_model(est["ret"], est["mret"])
    assert one.params == pytest.approx([mm.alpha, mm.beta], rel=1e-10)
    assert tab1.at["[0,+1]", "se"] ** 2 == pytest.approx(
        es.car_variance(mm, ev["mret"]), rel=1e-9)
    with pytest.raises(ValueError, match="window \\[0,\\+20\\] is incomplete"):
        leadlag.analyse(f, ("mret", "ny"), (-70, -11), {"[0,+20]": (0, 20)})
