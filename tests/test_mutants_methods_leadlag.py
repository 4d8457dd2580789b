"""methods.leadlag: columns by name, gap scales, thresholds, windows and the Result's parts,
against numpy least squares and hand-computed cases (made-up returns)."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from deepshock.methods import leadlag

TAU = np.arange(-260, 21)


def made_up(seed=0, T=60):
    rng = np.random.default_rng(seed)
    x = pd.DataFrame({"local": rng.normal(0, 0.012, T), "ny": rng.normal(0, 0.015, T)})
    y = 0.0003 + 1.1 * x["local"] + 0.4 * x["ny"] + rng.normal(0, 0.01, T)
    return y.to_numpy(), x


def lstsq(y, *cols):
    """Reference OLS: (params, s2, (X'X)^-1) by numpy least squares."""
    X = np.column_stack([np.ones(len(y)), *cols])
    b = np.linalg.lstsq(X, y, rcond=None)[0]
    e = y - X @ b
    return b, e @ e / (len(y) - X.shape[1]), np.linalg.inv(X.T @ X)


# --- ols, design, decompose: regressors picked by name ------------------------------------

def test_arrays_get_generic_names_and_frames_are_read_by_name():
    y, x = made_up()
    b, s2, _ = lstsq(y, x["local"], x["ny"])
    arr = leadlag.ols(y, x.to_numpy())
    assert arr.names == ("x1", "x2")
    np.testing.assert_allclose(arr.params, b, rtol=1e-10)
    assert leadlag.ols(y, x["local"].to_numpy()).names == ("x1",)   # 1-D: one regressor
    # names pick and order the columns of a wider frame
    wide = x[["ny", "local"]].assign(noise=np.linspace(-1, 1, len(y)))
    fit = leadlag.ols(y, wide, ("local", "ny"))
    np.testing.assert_allclose(fit.params, b, rtol=1e-10)
    assert fit.s2 == pytest.approx(s2, rel=1e-10)
    # prediction and decomposition also read the frame by the fit's names
    day = pd.DataFrame({"noise": [9.0], "ny": [-0.03], "local": [-0.02]}, index=["d"])
    pred = b[0] + b[1] * -0.02 + b[2] * -0.03
    assert fit.predict(day)[0] == pytest.approx(pred, rel=1e-10)
    np.testing.assert_allclose(fit.design(day), [[1.0, -0.02, -0.03]])
    parts = leadlag.decompose(fit, [-0.06], day)
    assert list(parts.columns) == ["ret", "alpha", "local", "ny", "abnormal"]
    assert parts.at["d", "ny"] == pytest.approx(b[2] * -0.03, rel=1e-10)
    assert parts.at["d", "abnormal"] == pytest.approx(-0.06 - pred, rel=1e-10)
    # an array of rows decomposes too, with a plain row index
    plain = leadlag.decompose(fit, [-0.06], np.array([[-0.02, -0.03]]))
    assert plain.index.tolist() == [0]
    assert plain.at[0, "abnormal"] == pytest.approx(-0.06 - pred, rel=1e-10)


def test_missing_values_message():
    y, x = made_up()
    y = y.copy()
    y[3] = np.nan
    with pytest.raises(ValueError, match="^ols: missing values in the estimation rows$"):
        leadlag.ols(y, x)


# --- the gap scale h in the prediction covariance and the window test ----------------------

def test_disturbance_scales_enter_the_diagonal_only():
    y, x = made_up(1)
    b, s2, v = lstsq(y, x["local"], x["ny"])
    fit = leadlag.ols(y, x)
    window = pd.DataFrame({"local": [-0.015, 0.004, -0.002], "ny": [-0.031, 0.01, 0.0]})
    X0 = np.column_stack([np.ones(3), window])
    base = s2 * X0 @ v @ X0.T
    h = [5.0, 1.0, 2.0]
    np.testing.assert_allclose(leadlag.prediction_covariance(fit, window),
                               base + s2 * np.eye(3), rtol=1e-9)
    np.testing.assert_allclose(leadlag.prediction_covariance(fit, window, h),
                               base + s2 * np.diag(h), rtol=1e-9)
    ret = np.array([-0.05, 0.01, 0.0])
    car, se, t = leadlag.window_test(fit, ret, window, h)
    var = base.sum() + s2 * sum(h)
    assert car == pytest.approx((ret - X0 @ b).sum(), rel=1e-9)
    assert se == pytest.approx(np.sqrt(var), rel=1e-9)
    assert t.stat == pytest.approx(car / np.sqrt(var), rel=1e-9)
    assert t.n == 1 and t.dist == f"t({len(y) - 3})"


# --- analyse: estimation threshold, windows, h column, table and decomposition layout ------

def event_frame(usable=60, seed=3):
    """Estimation -70..-11 (60 days), event rows -10..+9; the first 60 - usable estimation
    rows unmatched."""
    y, x = made_up(seed, T=80)
    f = pd.DataFrame({"tau": np.arange(-70, 10), "date": pd.bdate_range("2024-01-01", periods=80),
                      "ret": y, "mret": x["local"], "ny": x["ny"], "matched": True, "h": 1.0})
    f.loc[: 59 - usable, "matched"] = False
    f.loc[f["tau"] == 0, "h"] = 5.0
    return f


def test_analyse_needs_80_percent_of_the_estimation_days():
    windows = {"[0]": (0, 0)}
    fit, _, _ = leadlag.analyse(event_frame(48), ("mret", "ny"), (-70, -11), windows, "X")
    assert fit.n == 48                                   # 48 = 0.8 x 60 is enough
    with pytest.raises(ValueError, match="^X: only 47 usable estimation days$"):
        leadlag.analyse(event_frame(47), ("mret", "ny"), (-70, -11), windows, "X")
    with pytest.raises(ValueError) as err:               # no label: no name before the colon
        leadlag.analyse(event_frame(47), ("mret", "ny"), (-70, -11), windows)
    assert str(err.value) == ": only 47 usable estimation days"


def test_analyse_table_pre_event_window_and_h_column():
    f = event_frame()
    windows = {"[-5,-1]": (-5, -1), "[0]": (0, 0)}
    fit, tab, parts = leadlag.analyse(f, ("mret", "ny"), (-70, -11), windows, "X", h="h")
    est = f[f["tau"] <= -11]
    b, s2, v = lstsq(est["ret"].to_numpy(), est["mret"], est["ny"])
    assert list(tab.columns) == ["car", "se", "t", "df", "p"]
    for name, (a, z) in windows.items():
        rows = f[f["tau"].between(a, z)]
        X0 = np.column_stack([np.ones(len(rows)), rows["mret"], rows["ny"]])
        c = X0.sum(axis=0)
        var = s2 * (rows["h"].sum() + c @ v @ c)
        car = (rows["ret"].to_numpy() - X0 @ b).sum()
        t = car / np.sqrt(var)
        assert tab.at[name, "car"] == pytest.approx(car, rel=1e-9)
        assert tab.at[name, "se"] == pytest.approx(np.sqrt(var), rel=1e-9)
        assert tab.at[name, "df"] == 57
        assert tab.at[name, "p"] == pytest.approx(2 * stats.t.sf(abs(t), 57), rel=1e-9)
    # the parts: one row per event day from the first window start, tau and date first
    assert list(parts.columns) == ["tau", "date", "ret", "alpha", "mret", "ny", "abnormal"]
    assert parts["tau"].tolist() == list(range(-5, 10))
    assert (parts["date"].to_numpy() == f.loc[f["tau"] >= -5, "date"].to_numpy()).all()


# --- event_result / event_portfolio -------------------------------------------------------

def result_frame(seed=0, weekdays=True, start=-260):
    """Made-up frame tau start..+20 with two regressors; some rows span several weekdays:
    a closure before tau -200, -150, -120, -90, -60, -11 and 0 (dates skip weekdays)."""
    tau = np.arange(start, 21)
    rng = np.random.default_rng(seed)
    m, lead = rng.normal(0, 0.01, len(tau)), rng.normal(0, 0.012, len(tau))
    ret = 0.0003 + 1.2 * m + 0.4 * lead + rng.normal(0, 0.015, len(tau))
    extra = np.zeros(len(tau), int)
    for k, t in enumerate((-200, -150, -120, -90, -60, -11, 0)):
        extra[tau == t] = 1 + k % 3
    dates = pd.bdate_range("2020-01-01", periods=len(tau) + extra.sum())
    dates = dates[np.arange(len(tau)) + np.cumsum(extra)]
    prev = dates[:-1].insert(0, dates[0] - pd.offsets.BDay())
    f = pd.DataFrame({"tau": tau, "date": dates, "prev_date": prev, "ret": ret, "mret": m,
                      "lead": lead, "matched": True})
    if weekdays:
        f["weekdays"] = 1.0 + extra
    return f


def test_event_result_fit_info_resid_path_and_label():
    f = result_frame(1)
    f.loc[f["tau"].isin([-100, -40]), "matched"] = False       # regressors finite, not matched
    f.loc[f["tau"] == -40, "ret"] = 0.5                        # would pull the fit if used
    res = leadlag.event_result(f, "x", ("mret", "lead"))
    est = f[f["tau"].between(-250, -11) & f["matched"]]
    b, s2, _ = lstsq(est["ret"].to_numpy(), est["mret"], est["lead"])
    assert res.label == "x"
    assert (res.fit.n, res.fit.alpha, res.fit.beta) == (238, pytest.approx(b[0]),
                                                        pytest.approx(b[1]))
    assert res.fit.s2 == pytest.approx(s2, rel=1e-9)
    m = est["mret"].to_numpy()
    assert res.fit.m_mean == pytest.approx(m.mean(), rel=1e-12)
    assert res.fit.m_sxx == pytest.approx(((m - m.mean()) ** 2).sum(), rel=1e-12)
    assert res.windows.index.name == "window" and res.windows.at["[0]", "df"] == 235
    # without a gap option the frame still carries the weekdays (for the empirical test)
    assert res.frame["weekdays"].tolist() == f["weekdays"].tolist()
    # residuals are indexed by date (groups align members by date)
    assert list(res.resid.index) == list(est["date"])
    assert res.resid.to_numpy() == pytest.approx(
        est["ret"] - b[0] - b[1] * est["mret"] - b[2] * est["lead"], abs=1e-12)
    assert list(res.path.columns) == ["tau", "date", "ret", "mret", "ar"]
    ev = f[f["tau"] >= -5]
    assert res.path["tau"].tolist() == list(range(-5, 21))
    assert list(res.path["date"]) == list(ev["date"])
    assert res.path["ret"].to_numpy() == pytest.approx(ev["ret"].to_numpy())
    assert res.path["mret"].to_numpy() == pytest.approx(ev["mret"].to_numpy())
    # the constant-mean model: no slope, no benchmark
    const = leadlag.event_result(f, "c", ())
    assert (const.fit.beta, const.fit.m_mean, const.fit.m_sxx) == (0.0, 0.0, 0.0)


def test_event_result_needs_80_percent_and_a_complete_event_window():
    f = result_frame(2)
    f.loc[f["tau"].between(-250, -203), "matched"] = False    # 192 = 0.8 x 240 left
    assert leadlag.event_result(f, "x").fit.n == 192
    f.loc[f["tau"] == -202, "matched"] = False
    with pytest.raises(ValueError, match="^x: only 191 usable estimation days$"):
        leadlag.event_result(f, "x")
    g = result_frame(2)
    with pytest.raises(ValueError, match=r"^x: event window -5\.\.20 is incomplete$"):
        leadlag.event_result(g[g["tau"] != 7], "x")             # a session missing
    g.loc[g["tau"] == 7, "lead"] = np.nan
    with pytest.raises(ValueError, match="event window -5..20 is incomplete"):
        leadlag.event_result(g, "x", ("mret", "lead"))           # a regressor missing


def test_event_result_gap_columns_from_prev_date_or_weekdays():
    with_days, from_dates = result_frame(3), result_frame(3, weekdays=False)
    a = leadlag.event_result(with_days, "x", ("mret", "lead"), gap="scaled")
    b = leadlag.event_result(from_dates, "x", ("mret", "lead"), gap="scaled")
    one = leadlag.event_result(with_days, "x", ("mret", "lead"))
    # day 0 spans 1 + 1 weekdays (the k % 3 pattern), tau -11 spans 3
    assert with_days.loc[with_days["tau"] == 0, "weekdays"].item() == 2
    for res in (a, b):
        assert res.windows.at["[0]", "weekdays"] == 2
        assert res.windows.at["[0,+20]", "weekdays"] == 22
        assert (res.windows["gap"] == "scaled").all() and (res.windows["gaps_used"] == 0).all()
        assert res.windows.at["[0]", "se"] ** 2 == pytest.approx(
            one.windows.at["[0]", "se"] ** 2 + one.fit.s2, rel=1e-9)
        # the frame carries prev_date and weekdays (a portfolio's gap variance needs them)
        assert res.frame["weekdays"].to_numpy() == pytest.approx(with_days["weekdays"])
        assert (res.frame["prev_date"] == with_days["prev_date"]).all()
    with pytest.raises(ValueError, match="method must be one of"):
        leadlag.event_result(with_days, "x", gap="weekly")       # a typo is not "scaled"


def test_own_gap_variance_pools_every_past_gap_through_the_estimation_end():
    f = result_frame(4)
    res = leadlag.event_result(f, "x", ("mret", "lead"), gap="own")
    est = f[f["tau"].between(-250, -11)]
    b, s2, v = lstsq(est["ret"].to_numpy(), est["mret"], est["lead"])
    past = f[(f["tau"] <= -11) & (f["weekdays"] >= 2)]            # includes tau -11 itself
    e = past["ret"] - b[0] - b[1] * past["mret"] - b[2] * past["lead"]
    per_day = (e ** 2).sum() / past["weekdays"].sum()
    assert (res.windows["gaps_used"] == len(past)).all() and len(past) == 6
    day0 = f[f["tau"] == 0]
    x0 = np.array([1.0, day0["mret"].item(), day0["lead"].item()])
    var = s2 * (2 * per_day / s2 + x0 @ v @ x0)
    assert res.windows.at["[0]", "se"] ** 2 == pytest.approx(var, rel=1e-9)


def test_event_portfolio_common_taus_dates_label_and_gap():
    frames = [result_frame(5, start=-255), result_frame(6, start=-252), result_frame(7)]
    frames[1]["date"] = frames[1]["date"] - pd.Timedelta(days=1)  # a member a day earlier
    members = [leadlag.event_result(f, str(k), ("mret", "lead"), gap="scaled")
               for k, f in enumerate(frames)]
    port = leadlag.event_portfolio(members, "p", ("mret", "lead"), gap="scaled")
    assert port.label == "p"
    assert port.frame["tau"].iloc[0] == -252 and port.fit.n == 240
    cut = [f[f["tau"] >= -252].reset_index(drop=True) for f in frames]
    assert list(port.path["date"]) == list(cut[1].loc[cut[1]["tau"] >= -5, "date"])
    assert list(port.resid.index) == list(cut[1].loc[cut[1]["tau"].between(-250, -11), "date"])
    mean = {c: np.mean([f[c] for f in cut], axis=0) for c in ("ret", "mret", "lead")}
    est = cut[0]["tau"].between(-250, -11).to_numpy()
    b, s2, v = lstsq(mean["ret"][est], mean["mret"][est], mean["lead"][est])
    day0 = (cut[0]["tau"] == 0).to_numpy()
    x0 = np.array([1.0, mean["mret"][day0].item(), mean["lead"][day0].item()])
    assert port.windows.at["[0]", "se"] ** 2 == pytest.approx(s2 * (2 + x0 @ v @ x0), rel=1e-9)
    assert port.windows.at["[0]", "gap"] == "scaled"


def test_event_portfolio_without_gap_needs_no_weekdays():
    frames = [result_frame(s, weekdays=False).drop(columns="prev_date") for s in (8, 9)]
    members = [leadlag.event_result(f, str(k), ("mret",)) for k, f in enumerate(frames)]
    port = leadlag.event_portfolio(members, "p", ("mret",))
    est = frames[0]["tau"].between(-250, -11).to_numpy()
    ret = np.mean([f["ret"] for f in frames], axis=0)
    m = np.mean([f["mret"] for f in frames], axis=0)
    b, s2, _ = lstsq(ret[est], m[est])
    assert (port.fit.alpha, port.fit.beta) == (pytest.approx(b[0]), pytest.approx(b[1]))
    assert "weekdays" not in port.frame and "gap" not in port.windows


def test_no_regressor_names_means_no_regressor_columns():
    """`names=()` is the constant-mean model even when the frame has columns: the fit is the
    mean, with one parameter (a latent bug took every column of the frame instead)."""
    frame = pd.DataFrame({"m": [0.01, -0.02, 0.03, 0.0], "lead": [0.5, 0.1, -0.2, 0.3]})
    assert leadlag._matrix(frame, ()).shape == (4, 0)
    assert leadlag._matrix(frame).tolist() == frame.to_numpy().tolist()   # None: every column
    assert leadlag._matrix(frame, ("lead",)).tolist() == [[0.5], [0.1], [-0.2], [0.3]]
    y = np.array([0.02, -0.01, 0.04, 0.01])
    fit = leadlag.ols(y, frame, names=())
    assert np.allclose(fit.params, [y.mean()]) and fit.names == ()
