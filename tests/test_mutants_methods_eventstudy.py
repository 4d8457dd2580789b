"""methods.eventstudy.analyse / portfolio / group_tests: the 80% rule at its boundary, a
complete event window, the gap columns, the Result's parts and labels; against numpy and
hand-computed cases (made-up returns)."""

import numpy as np
import pandas as pd
import pytest

from deepshock.methods import eventstudy as es

EST = (-60, -6)                       # 55 estimation days; 0.8 x 55 = 44 must be matched
TAU = np.arange(-60, 21)


def frame(seed=0, unmatched=0, weekdays=None, shift_days=0):
    """Made-up event-time frame tau -60..+20 (first `unmatched` rows not matched)."""
    rng = np.random.default_rng(seed)
    m = rng.normal(0, 0.01, len(TAU))
    ret = 0.0002 + 1.1 * m + rng.normal(0, 0.015, len(TAU))
    dates = pd.bdate_range("2024-10-01", periods=len(TAU)) - pd.Timedelta(days=shift_days)
    f = pd.DataFrame({"tau": TAU, "date": dates, "ret": ret, "mret": m,
                      "matched": np.arange(len(TAU)) >= unmatched})
    if weekdays is not None:
        f["weekdays"] = weekdays
    return f


def fit_by_hand(ret, m):
    beta, alpha = np.polyfit(m, ret, 1)
    e = ret - alpha - beta * m
    return alpha, beta, e @ e / (len(m) - 2), m.mean(), ((m - m.mean()) ** 2).sum()


def test_the_80_percent_rule_at_its_boundary():
    assert es.analyse(frame(unmatched=11), "X", EST).fit.n == 44
    with pytest.raises(ValueError, match="^X: only 43 usable estimation days$"):
        es.analyse(frame(unmatched=12), "X", EST)


def test_an_incomplete_event_window_is_refused():
    f = frame()
    with pytest.raises(ValueError, match=r"^X: event window -5\.\.20 is incomplete$"):
        es.analyse(f[f["tau"] != 3], "X", EST)                  # a session missing
    f.loc[f["tau"] == 3, "mret"] = np.nan
    with pytest.raises(ValueError, match=r"^X: event window -5\.\.20 is incomplete$"):
        es.analyse(f, "X", EST)                                  # the benchmark missing


def test_result_parts_label_and_residual_dates():
    f = frame(1)
    res = es.analyse(f, "X", EST)
    est = f[f["tau"] <= -6]
    alpha, beta, s2, _, _ = fit_by_hand(est["ret"].to_numpy(), est["mret"].to_numpy())
    assert res.label == "X" and res.windows.index.name == "window"
    assert list(res.path.columns) == ["tau", "date", "ret", "mret", "ar"]
    ev = f[f["tau"] >= -5]
    assert list(res.path["date"]) == list(ev["date"])
    assert res.path["ret"].to_numpy() == pytest.approx(ev["ret"].to_numpy())
    assert res.path["mret"].to_numpy() == pytest.approx(ev["mret"].to_numpy())
    assert list(res.resid.index) == list(est["date"])           # groups align by date
    assert res.resid.to_numpy() == pytest.approx(est["ret"] - alpha - beta * est["mret"])


def test_gap_columns_and_a_misspelt_method():
    days = np.ones(len(TAU))
    days[TAU == 0] = 3
    res = es.analyse(frame(2, weekdays=days), "X", EST, gap="scaled")
    assert (res.windows["gap"] == "scaled").all() and (res.windows["gaps_used"] == 0).all()
    with pytest.raises(ValueError, match="method must be one of"):
        es.analyse(frame(2, weekdays=days), "X", EST, gap="weekly")


def test_own_gap_variance_counts_a_gap_on_the_last_estimation_day():
    days = np.ones(len(TAU))
    for t, k in ((-50, 2), (-30, 3), (-20, 2), (-6, 4), (0, 2)):
        days[TAU == t] = k
    f = frame(3, weekdays=days)
    res = es.analyse(f, "X", EST, gap="own")
    est = f[f["tau"] <= -6]
    alpha, beta, s2, m_mean, sxx = fit_by_hand(est["ret"].to_numpy(), est["mret"].to_numpy())
    past = f[(f["tau"] <= -6) & (f["weekdays"] >= 2)]
    per_day = ((past["ret"] - alpha - beta * past["mret"]) ** 2).sum() / past["weekdays"].sum()
    assert res.windows.at["[0]", "gaps_used"] == 4
    m0 = f.loc[f["tau"] == 0, "mret"].item()
    var = 2 * per_day + s2 * (1 / 55 + (m0 - m_mean) ** 2 / sxx)
    assert res.windows.at["[0]", "se"] ** 2 == pytest.approx(var, rel=1e-9)


def test_portfolio_dates_weekdays_label_and_gap():
    days = [np.ones(len(TAU)) for _ in range(3)]
    days[1][TAU == 0] = 5
    frames = [frame(s, weekdays=days[s], shift_days=1 if s == 2 else 0) for s in range(3)]
    members = [es.analyse(f, f"S{s}", EST, gap="scaled") for s, f in enumerate(frames)]
    port = es.portfolio(members, "P", EST, gap="scaled")
    assert port.label == "P"
    assert list(port.path["date"]) == list(frames[2].loc[frames[2]["tau"] >= -5, "date"])
    assert port.frame["weekdays"].tolist() == pytest.approx(np.mean(days, axis=0).tolist())
    ret = np.mean([f["ret"] for f in frames], axis=0)
    m = np.mean([f["mret"] for f in frames], axis=0)
    est = TAU <= -6
    alpha, beta, s2, m_mean, sxx = fit_by_hand(ret[est], m[est])
    m0 = m[TAU == 0].item()
    var = s2 * (7 / 3 + 1 / 55 + (m0 - m_mean) ** 2 / sxx)
    assert port.windows.at["[0]", "se"] ** 2 == pytest.approx(var, rel=1e-9)
    assert port.windows.at["[0]", "gap"] == "scaled"


def test_group_tests_label_and_the_portfolio_error_names_the_group():
    members = [es.analyse(frame(s), f"S{s}", EST) for s in range(3)]
    assert {row["group"] for row in es.group_tests(members, estimation=EST)} == {""}
    # each member misses 6 estimation days, different ones: the portfolio keeps 37 of 55
    thin = []
    for s in range(3):
        f = frame(s)
        f.loc[f["tau"].between(-60 + 6 * s, -55 + 6 * s), "matched"] = False
        thin.append(es.analyse(f, f"S{s}", EST))
    with pytest.raises(ValueError, match="^trio: only 37 usable estimation days$"):
        es.group_tests(thin, "trio", estimation=EST)
