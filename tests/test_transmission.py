"""The transmission model: methods against statsmodels and a hand-computed case; the story's
answers against the raw snapshot and the model's own rules."""

from __future__ import annotations

import types

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats

from deepshock.data import clock
from deepshock.methods import transmission as tm
from deepshock.story import transmission as st
from tests.conftest import raw_close


def made_up(seed=0, T=240):
    rng = np.random.default_rng(seed)
    x = pd.DataFrame({"spx": rng.normal(0, 0.01, T), "sox": rng.normal(0, 0.02, T)})
    y = 0.0004 + 0.3 * x["spx"] + 0.5 * x["sox"] + rng.standard_t(5, T) * 0.01
    return y, x


# --- methods --------------------------------------------------------------------------------

def test_fit_and_one_day_decomposition_match_statsmodels():
    y, x = made_up()
    model = tm.estimate(y, x, np.ones(len(y)), np.ones(len(y), bool))
    ols = sm.OLS(y, sm.add_constant(x)).fit()
    np.testing.assert_allclose(model.fit.params, ols.params.to_numpy(), rtol=1e-10)
    np.testing.assert_allclose(model.fit.s2 * model.fit.xtx_inv, ols.cov_params().to_numpy(),
                               rtol=1e-9)
    x0 = pd.DataFrame({"spx": [-0.015], "sox": [-0.09]})
    frame = ols.get_prediction(sm.add_constant(x0, has_constant="add")).summary_frame(alpha=0.05)
    ret = -0.02
    got = tm.evaluate(model, [ret], x0, [1])
    assert got["predicted"] == pytest.approx(frame["mean"].iloc[0], rel=1e-10)
    assert got["predicted_lo"] == pytest.approx(frame["mean_ci_lower"].iloc[0], rel=1e-9)
    assert got["predicted_hi"] == pytest.approx(frame["mean_ci_upper"].iloc[0], rel=1e-9)
    # the excess CI is the return minus the prediction interval
    assert got["excess_lo"] == pytest.approx(ret - frame["obs_ci_upper"].iloc[0], rel=1e-9)
    assert got["excess_hi"] == pytest.approx(ret - frame["obs_ci_lower"].iloc[0], rel=1e-9)
    assert got["df"] == ols.df_resid == 237
    assert got["p"] == pytest.approx(2 * stats.t.sf(abs(got["t"]), 237))
    assert got["predicted"] + got["excess"] == pytest.approx(got["total"]) == ret
    half = stats.t.ppf(0.975, 239) * np.std(y, ddof=1)
    assert (got["total_lo"], got["total_hi"]) == pytest.approx((ret - half, ret + half))


def test_hc3_slopes_by_group_and_rolling_match_statsmodels():
    y, x = made_up(1, 300)
    labels = np.repeat(["a", "b", "c"], [150, 120, 30])
    table = tm.by_group(y, x, labels, min_rows=60).set_index("label")
    for label in ("a", "b"):
        sel = labels == label
        ols = sm.OLS(y[sel], sm.add_constant(x[sel])).fit()
        hc3 = sm.OLS(y[sel], sm.add_constant(x[sel])).fit(cov_type="HC3")
        for name in ("spx", "sox"):
            assert table.at[label, f"b_{name}"] == pytest.approx(ols.params[name], rel=1e-10)
            assert table.at[label, f"se_{name}"] == pytest.approx(ols.bse[name], rel=1e-9)
            assert table.at[label, f"hc3_{name}"] == pytest.approx(hc3.bse[name], rel=1e-9)
    assert table.at["c", "n"] == 30 and np.isnan(table.at["c", "b_spx"])
    roll = tm.rolling(y, x, window=250, step=25)
    assert list(roll["end"]) == [249, 274, 299]
    last = sm.OLS(y[50:], sm.add_constant(x.iloc[50:])).fit(cov_type="HC3")
    assert roll["b_sox"].iloc[-1] == pytest.approx(last.params["sox"], rel=1e-10)
    assert roll["hc3_sox"].iloc[-1] == pytest.approx(last.bse["sox"], rel=1e-9)


def test_hand_computed_five_rows():
    """y = 1.3 x exactly but for residuals (-0.4, 0.3, 0, 0.7, -0.6): SSR 1.10, s2 1.10/3."""
    y = np.array([-3.0, -1.0, 0.0, 2.0, 2.0])
    x = pd.DataFrame({"lead": [-2.0, -1.0, 0.0, 1.0, 2.0]})
    weekdays = np.array([1, 3, 1, 2, 2])   # gaps: residuals 0.3, 0.7, -0.6 over 3 + 2 + 2 days
    model = tm.estimate(y, x, weekdays, np.ones(5, bool), min_nonzero=1)
    assert model.fit.params == pytest.approx([0.0, 1.3])
    s2 = 1.10 / 3
    assert model.fit.s2 == pytest.approx(s2)
    assert model.per_weekday == pytest.approx(0.94 / 7) and model.gaps_used == 3
    got = tm.evaluate(model, [5.0], [[3.0]], [1])
    var_pred = s2 * (1 / 5 + 9 / 10)          # 1/T + (x0 - mean)^2 / Sxx
    assert got["predicted"] == pytest.approx(3.9)
    assert got["excess"] == pytest.approx(1.1)
    assert got["se"] == pytest.approx(np.sqrt(s2 + var_pred))
    assert got["t"] == pytest.approx(1.1 / np.sqrt(0.77))
    assert got["total_hi"] - 5.0 == pytest.approx(stats.t.ppf(0.975, 4) * np.sqrt(4.5))
    # a return spanning four weekdays: h = 4 v_w / s2
    four = tm.evaluate(model, [5.0], [[3.0]], [4])
    assert four["h"] == pytest.approx(4 * (0.94 / 7) / s2)
    assert four["se"] == pytest.approx(np.sqrt(4 * 0.94 / 7 + var_pred))
    assert four["total_hi"] - 5.0 == pytest.approx(stats.t.ppf(0.975, 4) * np.sqrt(4.5 * four["h"]))


def test_a_lead_that_hardly_moves_has_no_slope():
    y, x = made_up(2)
    x["sox"] = 0.0
    x.loc[:4, "sox"] = 0.01                     # five post-holiday rows: below MIN_NONZERO
    model = tm.estimate(y, x, np.ones(len(y)), np.ones(len(y), bool))
    assert model.dropped == ("sox",) and model.slope("sox") == 0.0
    ols = sm.OLS(y, sm.add_constant(x[["spx"]])).fit()
    assert model.slope("spx") == pytest.approx(ols.params["spx"], rel=1e-10)


def test_a_gap_without_past_gaps_is_refused():
    y, x = made_up(3)
    model = tm.estimate(y, x, np.ones(len(y)), np.ones(len(y), bool))
    assert model.per_weekday is None
    with pytest.raises(ValueError, match="spans 5 weekdays"):
        tm.evaluate(model, [0.0], [[0.0, 0.0]], [5])


@pytest.mark.parametrize("lo,hi,want", [
    ([-0.05, -0.04], [-0.01, -0.001], "beyond the usual echo"),
    ([0.01], [0.03], "beyond the usual echo"),
    ([-0.05, 0.01], [-0.01, 0.03], "depends on the lead"),
    ([-0.05, -0.02], [-0.01, 0.01], "depends on the lead"),
    ([-0.02, -0.03], [0.01, 0.02], "within the usual echo"),
    ([], [], "depends on the lead")])
def test_verdict_rule(lo, hi, want):
    assert tm.verdict(lo, hi) == want


def test_rejection_rates_and_their_binomial_error():
    p = [0.001, 0.03, 0.07, 0.2, 0.5, np.nan]
    rates = tm.rejection_rates(p).set_index("level")
    assert list(rates["rejected"]) == [1, 2, 3] and (rates["n"] == 5).all()
    assert rates.at[0.05, "rate"] == pytest.approx(0.4)
    assert rates.at[0.05, "se"] == pytest.approx(np.sqrt(0.05 * 0.95 / 5))
    assert rates.at[0.05, "binom_p"] == pytest.approx(stats.binomtest(2, 5, 0.05).pvalue)


# --- the story: the DeepSeek event ----------------------------------------------------------

@pytest.fixture
def table(snapshot):
    """Function-scoped: mutmut credits a function to the first test that calls it, so a
    module-scoped table would hide mutants from every test after the first."""
    return st.answers()


def test_day_zero_of_each_market_is_its_first_close_after_the_news(table):
    day = table.groupby(["ticker", "day"])["date"].first()
    assert day["^N225", 0] == pd.Timestamp("2025-01-27") and day["^N225", 1] == pd.Timestamp("2025-01-28")
    assert day["^KS11", 0] == pd.Timestamp("2025-01-31")
    assert day["^TWII", 0] == pd.Timestamp("2025-02-03")
    assert day["^STOXX", 0] == pd.Timestamp("2025-01-27")
    seoul = table.loc[(table["ticker"] == "^KS11") & (table["day"] == 0)].iloc[0]
    assert (seoul["ny_first"], seoul["ny_last"], seoul["weekdays"]) == (
        pd.Timestamp("2025-01-24"), pd.Timestamp("2025-01-30"), 5)


def test_totals_are_the_raw_returns_and_the_parts_add_up(table):
    closes = raw_close("INDEX_N225.csv")
    nikkei = table.loc[(table["ticker"] == "^N225") & (table["day"] == 1)]
    want = closes["2025-01-28"] / closes["2025-01-27"] - 1
    from deepshock.data import intraday
    bounds = ["cc", "oc"] + (["intraday"] if intraday.available() else [])
    assert sorted(nikkei["bound"]) == sorted(bounds)
    assert list(nikkei["total"]) == pytest.approx([want] * len(bounds), rel=1e-12)
    measured = table.loc[table["bound"] != "none"]
    np.testing.assert_allclose(measured["predicted"] + measured["excess"], measured["total"],
                               rtol=0, atol=1e-15)
    assert ((measured["excess_lo"] < measured["excess"])
            & (measured["excess"] < measured["excess_hi"])).all()
    assert set(measured["verdict"]) <= set(tm.VERDICTS)
    slopes = 2 - measured["no_slope"].str.count(r"\^")      # leads with a slope
    assert (measured["n"] == 240).all() and (measured["df"] == 239 - slopes).all()
    assert set(measured.loc[slopes < 2, "ticker"]) == {"^STOXX", "^STOXX50E", "^GDAXI"}


def test_each_market_day_has_the_rule_s_verdict_over_its_bounds(table):
    measured = table.loc[table["bound"] != "none"]
    for (ticker, day), rows in measured.groupby(["ticker", "day"]):
        assert (rows["verdict"] == tm.verdict(rows["excess_lo"], rows["excess_hi"])).all()
        assert set(rows["bound"]) == {"cc", "oc"} | ({"intraday"} if clock.intraday_available()
                                                     else set())
    # Advantest on Monday 27 January: beyond the usual echo whichever the lead
    advantest = measured.loc[(measured["ticker"] == "6857.T") & (measured["day"] == 0)]
    assert (advantest["excess_hi"] < 0).all()
    assert (advantest["verdict"] == "beyond the usual echo").all()


def test_day_zero_is_strictly_after_the_news():
    frame = pd.DataFrame({"close_utc": pd.to_datetime(
        ["2025-01-24 06:30", "2025-01-27 06:30"], utc=True)})
    assert st.day0(frame, pd.Timestamp("2025-01-24 06:30", tz="UTC")) == 1
    assert st.day0(frame, pd.Timestamp("2025-01-24 06:29", tz="UTC")) == 0
    with pytest.raises(ValueError, match="no session closes after"):
        st.day0(frame, pd.Timestamp("2025-02-01", tz="UTC"))


def test_the_fit_is_ols_on_sessions_minus_250_to_minus_11(snapshot):
    frame = clock.leads("6857.T").set_index("date")
    zero = frame.index.get_loc(pd.Timestamp("2025-01-27"))
    est = frame.iloc[zero - 250:zero - 10]
    assert est.index[-1] < pd.Timestamp("2025-01-13") and len(est) == 240
    ols = sm.OLS(est["ret"], sm.add_constant(est[["cc_^GSPC", "cc_^SOX"]])).fit()
    row = st.answer("6857.T", day=1, bound="cc")
    assert row["b_^SOX"] == pytest.approx(ols.params["cc_^SOX"], rel=1e-10)
    x0 = frame.loc[["2025-01-28"], ["cc_^GSPC", "cc_^SOX"]]
    pred = ols.get_prediction(sm.add_constant(x0, has_constant="add")).summary_frame(alpha=0.05)
    assert row["predicted"] == pytest.approx(pred["mean"].iloc[0], rel=1e-10)
    assert row["excess_lo"] == pytest.approx(row["total"] - pred["obs_ci_upper"].iloc[0], rel=1e-9)


def test_europe_has_no_open_to_close_slope_and_short_histories_are_named(table):
    stoxx = table.loc[(table["ticker"] == "^STOXX") & (table["bound"] == "oc")]
    assert (stoxx["no_slope"] == "^GSPC, ^SOX").all() and (stoxx["lead_^SOX"] == 0).all()
    schneider = table.loc[table["ticker"] == "SU.PA"]
    assert (schneider["bound"] == "none").all() and (schneider["verdict"] == "not measured").all()
    assert schneider["reason"].str.contains("short of the estimation window").all()


def test_reopening_placebo_covers_past_closures_only(snapshot):
    tests, rates = st.placebo()
    done = tests.loc[tests["bound"] != "none"]
    assert (done["date"] < pd.Timestamp("2025-01-27")).all() and (done["closed"] >= 3).all()
    assert {"Lunar New Year", "Chuseok"} <= set(done["holiday"])
    # Taipei's Lunar New Year reopenings 2021-2024 and Seoul's of 2022, each tested
    taipei = set(done.loc[done["ticker"] == "^TWII", "date"].dt.strftime("%Y-%m-%d"))
    assert {"2021-02-17", "2022-02-07", "2023-01-30", "2024-02-15"} <= taipei
    assert "2022-02-03" in set(done.loc[done["ticker"] == "^KS11", "date"].dt.strftime("%Y-%m-%d"))
    assert set(rates["bound"]) == {"cc", "oc"}
    n = len(done) // 2
    assert (rates["n"] == n).all() and rates["rate"].between(0, 1).all()


def test_stability_years_have_ols_and_hc3_errors(snapshot):
    yearly, roll = st.stability("^N225")
    assert list(yearly["label"]) == ["2020", "2021", "2022", "2023", "2024", "2025 to day -11"]
    assert yearly["b_^SOX"].iloc[:5].notna().all() and yearly["b_^SOX"].iloc[5:].isna().all()
    frame = clock.leads("^N225")
    year = frame.loc[frame["date"].dt.year == 2023]
    hc3 = sm.OLS(year["ret"], sm.add_constant(year[["cc_^GSPC", "cc_^SOX"]])).fit(cov_type="HC3")
    assert yearly.set_index("label").at["2023", "hc3_^SOX"] == pytest.approx(hc3.bse["cc_^SOX"])
    assert roll["date"].iloc[-1] < pd.Timestamp("2025-01-13") and (roll["n"] == 250).all()


def test_intraday_bound_uses_the_cc_slopes_and_joins_the_verdict(snapshot, monkeypatch):
    """A made-up CFD (flat, then -2% from Sunday 23:00 UTC): the intraday rows appear."""
    ts = pd.date_range("2025-01-20", "2025-02-10", freq="1min", tz="UTC")
    level = np.where(ts >= pd.Timestamp("2025-01-26 23:00", tz="UTC"), 5880.0, 6000.0)
    bars = pd.DataFrame({"ts": ts, "open": level, "high": level, "low": level, "close": level})
    module = types.SimpleNamespace(bars=lambda name: bars, Missing=LookupError,
                                   available=lambda: True)
    monkeypatch.setattr(clock, "_intraday_module", lambda: module)
    clock.clear()
    try:
        rows = st.security("^N225", st.NEWS_UTC, (0, 1)).set_index(["day", "bound"])
    finally:
        clock.clear()
    assert rows.at[(0, "intraday"), "lead_^GSPC"] == pytest.approx(-0.02)
    assert rows.at[(1, "intraday"), "lead_^GSPC"] == pytest.approx(0.0)
    assert rows.at[(0, "intraday"), "lead_^SOX"] == rows.at[(0, "cc"), "lead_^SOX"]
    assert rows.at[(0, "intraday"), "b_^GSPC"] == rows.at[(0, "cc"), "b_^GSPC"]
    want = rows.at[(0, "cc"), "predicted"] + rows.at[(0, "cc"), "b_^GSPC"] * (
        -0.02 - rows.at[(0, "cc"), "lead_^GSPC"])
    assert rows.at[(0, "intraday"), "predicted"] == pytest.approx(want, rel=1e-10)
    assert rows.at[(0, "intraday"), "same_hours"] == pytest.approx(0.0)
