"""The event study: statistics against hand computations, the model against statsmodels and
plain pandas on the raw snapshot, the test sizes on placebo dates, and the chapter's glue."""

import math

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats

from deepshock.story import eventstudy as es
from tests.conftest import raw_close

EVENT = pd.Timestamp("2025-01-27")
PLACEBO_NAMES = ["AAPL", "AMZN", "GOOGL", "META", "MSFT", "ORCL", "NVDA", "AMD", "MU", "AVGO"]

# --- a made-up case (test-only numbers), in percent: five estimation days, then the event --------
RM = [-2.0, -1.0, 0.0, 1.0, 2.0]     # mean 0, Sxx = 10
R1 = [-4.0, -2.0, 1.0, 2.0, 2.0]     # beta 16/10 = 1.6, alpha -0.2; residuals -.6 -.2 1.2 .6 -1
R2 = [-2.0, 0.0, 1.0, 0.0, 2.0]      # beta 8/10 = 0.8, alpha 0.2; residuals -.6 .6 .8 -1 .2
RP = [-3.0, -1.0, 1.0, 1.0, 2.0]     # (R1 + R2) / 2: beta 1.2, alpha 0, residuals -.6 .2 1 -.2 -.4
EVENT_RM = [3.0, -1.0]               # market on t = 0 and t = +1
EVENT_R1, EVENT_R2 = [2.0, 0.0], [0.0, 0.0]


def made_up_frame(est, event, event_m):
    """Event-time frame for analyse(): estimation days tau -10..-6, event days -5..+20
    (zero returns where the hand case says nothing), as fractions."""
    tau = np.arange(-10, 21)
    ret, mret = np.zeros(len(tau)), np.zeros(len(tau))
    ret[:5], mret[:5] = np.array(est) / 100, np.array(RM) / 100
    ret[10:12], mret[10:12] = np.array(event) / 100, np.array(event_m) / 100
    dates = pd.bdate_range("2020-01-01", periods=len(tau))
    return pd.DataFrame({"tau": tau, "date": dates, "ret": ret, "mret": mret, "matched": True})


def made_up(est, event, label):
    return es.analyse(made_up_frame(est, event, EVENT_RM), label, estimation=(-10, -6))


def test_prediction_error_t_single_day_and_two_day_window_by_hand():
    res = made_up(RP, [1.0, 0.0], "P")
    assert res.fit.beta == pytest.approx(1.2) and res.fit.alpha == pytest.approx(0.0)
    s2 = (0.36 + 0.04 + 1.0 + 0.04 + 0.16) / 3 / 100 ** 2           # SSR / (T - 2)
    assert res.fit.s2 == pytest.approx(s2)
    ar0, ar1 = 0.01 - 1.2 * 0.03, 0.0 - 1.2 * -0.01                   # -2.6%, +1.2%
    t0 = ar0 / math.sqrt(s2 * (1 + 1 / 5 + 9 / 10))                   # (Rm - mean)^2 / Sxx = 9/10
    assert res.windows.at["[0]", "car"] == pytest.approx(ar0)
    assert res.windows.at["[0]", "t"] == pytest.approx(t0)
    assert t0 == pytest.approx(-2.4568, abs=1e-4)
    # two days: s2 (L + L^2/T + (sum of Rm deviations)^2 / Sxx) = s2 (2 + 4/5 + (3 - 1)^2 / 10)
    t01 = (ar0 + ar1) / math.sqrt(s2 * (2 + 4 / 5 + 4 / 10))
    assert res.windows.at["[0,+1]", "t"] == pytest.approx(t01)
    assert res.windows.at["[0]", "df"] == 3
    assert res.windows.at["[0]", "p"] == pytest.approx(2 * stats.t.sf(abs(t0), 3))


def test_car_variance_is_the_sum_of_the_full_prediction_error_covariance():
    fit = es.market_model(np.array(RP) / 100, np.array(RM) / 100)
    m = np.array([3.0, -1.0, 0.5]) / 100
    dev = m - np.mean(RM) / 100
    cov = fit.s2 * (np.eye(3) + 1 / 5 + np.outer(dev, dev) / (10 / 100 ** 2))
    assert es.car_variance(fit, m) == pytest.approx(cov.sum())


def test_bmp_and_kolari_pynnonen_by_hand():
    assert es.bmp([-2.0, -1.0, -3.0]) == pytest.approx(-2 / (1 / math.sqrt(3)))  # sd = 1
    assert es.kolari_pynnonen(-2 * math.sqrt(3), 0.2, 3) == pytest.approx(
        -2 * math.sqrt(3) * math.sqrt(0.8 / 1.4))
    assert es.kolari_pynnonen(1.5, 0.0, 10) == pytest.approx(1.5)


def test_mean_pairwise_correlation_by_hand():
    a = pd.Series([1.0, -1.0, 1.0, -1.0], index=range(4))
    b = pd.Series([2.0, -2.0, 2.0, -2.0], index=range(4))   # corr(a, b) = 1
    c = pd.Series([1.0, 1.0, -1.0, -1.0], index=range(4))   # uncorrelated with both
    assert es.mean_pairwise_corr([a, b, c]) == pytest.approx(1 / 3)


def test_group_tests_and_portfolio_on_the_made_up_pair_by_hand():
    one, two = made_up(R1, EVENT_R1, "one"), made_up(R2, EVENT_R2, "two")
    # single-security t on day 0: AR = R - alpha - beta * 3
    t1 = (2.0 - (-0.2 + 1.6 * 3)) / math.sqrt(3.2 / 3 * 2.1)    # SSR 3.2, factor 1 + 1/5 + 9/10
    t2 = (0.0 - (0.2 + 0.8 * 3)) / math.sqrt(2.4 / 3 * 2.1)     # SSR 2.4
    assert one.windows.at["[0]", "t"] == pytest.approx(t1)
    assert two.windows.at["[0]", "t"] == pytest.approx(t2)
    r = (0.36 - 0.12 + 0.96 - 0.6 - 0.2) / math.sqrt(3.2 * 2.4)  # residual correlation
    mean, sd = (t1 + t2) / 2, abs(t1 - t2) / math.sqrt(2)
    t_bmp = mean / (sd / math.sqrt(2))
    g = {row["window"]: row for row in es.group_tests([one, two], "pair", estimation=(-10, -6))}
    assert g["[0]"]["r"] == pytest.approx(r)
    assert g["[0]"]["bmp"] == pytest.approx(t_bmp)
    assert g["[0]"]["kp"] == pytest.approx(t_bmp * math.sqrt((1 - r) / (1 + r)))
    assert g["[0]"]["caar"] == pytest.approx(-0.026)
    # the portfolio averages returns first: the hand case RP, whose day-0 t is -2.4568
    assert g["[0]"]["port_t"] == pytest.approx(-2.6 / math.sqrt(1.6 / 3 * 2.1))
    assert g["[0]"]["port_p"] == pytest.approx(made_up(RP, [1.0, 0.0], "P").windows.at["[0]", "p"])


# --- the real data -------------------------------------------------------------------------

def nvda_by_hand():
    """NVDA and S&P 500 returns from the raw files, event-time positions, estimation rows."""
    r = raw_close("NVDA.csv").pct_change().dropna()
    m = raw_close("INDEX_GSPC.csv").pct_change().dropna()
    both = pd.concat({"r": r, "m": m}, axis=1, join="inner")
    assert len(both) == len(r)  # same NYSE sessions
    t0 = int(both.index.searchsorted(EVENT))
    return both, t0, both.iloc[t0 - 250:t0 - 10]   # tau -250 .. -11


def test_market_model_matches_statsmodels_on_nvidia(snapshot):
    both, t0, est = nvda_by_hand()
    ols = sm.OLS(est["r"], sm.add_constant(est["m"])).fit()
    fit = es.security("NVDA").fit
    assert fit.n == len(est) == 240
    assert fit.alpha == pytest.approx(ols.params["const"], rel=1e-9, abs=1e-12)
    assert fit.beta == pytest.approx(ols.params["m"], rel=1e-9)
    assert fit.s2 == pytest.approx(ols.scale, rel=1e-9)
    same = es.market_model(est["r"], est["m"])
    assert same.beta == pytest.approx(ols.params["m"], rel=1e-12)


def test_nvidia_event_day_abnormal_return_is_strongly_negative_and_significant(snapshot):
    both, t0, est = nvda_by_hand()
    assert both.index[t0] == EVENT
    ols = sm.OLS(est["r"], sm.add_constant(est["m"])).fit()
    m0 = both["m"].iloc[t0]
    ar = both["r"].iloc[t0] - ols.params["const"] - ols.params["m"] * m0
    dev = est["m"] - est["m"].mean()
    var = ols.scale * (1 + 1 / len(est) + (m0 - est["m"].mean()) ** 2 / (dev ** 2).sum())
    t = ar / math.sqrt(var)
    res = es.run().sec("NVDA", "[0]")
    assert res["car"] == pytest.approx(ar, rel=1e-9)
    assert res["t"] == pytest.approx(t, rel=1e-9)
    assert res["car"] < -0.10 and res["t"] < -4 and res["p"] < 0.001


def test_korea_and_taiwan_day_zero_and_the_benchmark_interval(snapshot):
    hynix = es.event_frame("000660.KS").set_index("tau")
    assert hynix.at[0, "date"] == pd.Timestamp("2025-01-31")
    assert es.event_frame("2330.TW").set_index("tau").at[0, "date"] == pd.Timestamp("2025-02-03")
    nikkei = raw_close("INDEX_N225.csv")
    # day 0 spans Seoul's Lunar New Year: the Nikkei's move over 24 -> 31 Jan, compounded
    assert hynix.at[0, "prev_date"] == pd.Timestamp("2025-01-24")
    assert hynix.at[0, "mret"] == pytest.approx(nikkei["2025-01-31"] / nikkei["2025-01-24"] - 1)
    # 11 Feb: Tokyo shut, Seoul open -> no benchmark move that day, counted on 12 Feb instead
    by_date = hynix.reset_index().set_index("date")
    assert by_date.at[pd.Timestamp("2025-02-11"), "mret"] == 0.0
    assert not by_date.at[pd.Timestamp("2025-02-11"), "matched"]
    assert by_date.at[pd.Timestamp("2025-02-12"), "mret"] == pytest.approx(
        nikkei["2025-02-12"] / nikkei["2025-02-10"] - 1)


def test_korean_estimation_drops_sessions_without_a_benchmark_close(snapshot):
    raw = pd.read_csv(snapshot / "prices" / "000660.KS.csv", parse_dates=["date"])
    flat = raw[["open", "high", "low"]].eq(raw["close"], axis=0).all(axis=1)
    stale = flat & (raw["volume"] == 0)  # placeholder bars, as PROVENANCE.md describes
    dates = raw.loc[~stale, "date"].reset_index(drop=True)
    rows = pd.DataFrame({"date": dates.iloc[1:].to_numpy(), "prev": dates.iloc[:-1].to_numpy()})
    t0 = int(rows["date"].searchsorted(pd.Timestamp("2025-01-31")))
    window = rows.iloc[t0 - 250:t0 - 10]
    tokyo = raw_close("INDEX_N225.csv").index
    usable = window["date"].isin(tokyo) & window["prev"].isin(tokyo)
    assert es.security("000660.KS").fit.n == int(usable.sum()) < 240


def test_ex_semis_basket_is_the_mean_of_the_other_us_non_chip_stocks(snapshot):
    members = es.ex_semis_members("MSFT")
    assert set(members) == {"GOOGL", "META", "AAPL", "AMZN", "ORCL", "VST", "CEG"}
    assert "NVDA" not in members and "SMH" not in members
    day0 = [raw_close(f"{t}.csv")["2025-01-27"] / raw_close(f"{t}.csv")["2025-01-24"] - 1
            for t in members]
    frame = es.event_frame("MSFT", es.EX_SEMIS).set_index("tau")
    assert frame.at[0, "mret"] == pytest.approx(np.mean(day0))


def test_plan_excludes_what_has_no_benchmark_and_single_member_groups_get_no_group_test(snapshot):
    study = es.run()
    out = study.plan.loc[~study.plan["included"]]
    assert set(out["ticker"]) == {"^SOX", "^GSPC", "^IXIC", "^VIX", "^N225", "^TWII", "^HSI",
                                  "SU.PA", "JPY=X"}
    assert out["reason"].str.len().gt(0).all()
    assert "SMH" in study.results and "US indices" not in set(study.groups["group"])
    assert set(study.groups["group"]) == {"US semiconductors", "US platforms", "US power",
                                          "Japan semiconductors", "Japan other", "Korea/Taiwan"}
    ex = es.run(benchmark=es.EX_SEMIS)
    assert set(ex.results) == {t for t in study.results if not t[0].isdigit()}  # US names only


def test_placebo_dates_reject_near_the_nominal_rate(snapshot):
    rows = es.placebo(PLACEBO_NAMES, n=200, seed=7)
    assert rows["date"].nunique() == 200
    assert rows["date"].between("2021-01-01", "2023-12-31").all()
    rates = es.rejection_rates(rows)
    for test in ("single", "portfolio", "Kolari-Pynnönen"):
        assert rates[test].between(0.01, 0.12).all(), (test, rates[test].to_dict())
    # the unadjusted BMP test over-rejects on a shared event date; KP brings it back
    assert (rates["BMP"] > rates["Kolari-Pynnönen"]).all()


@pytest.mark.build
def test_chapter_executes_and_glues_the_module_results(snapshot):
    from deepshock.book import chapter
    from deepshock.book.report import number, pct

    glued = {k: v["text/markdown"] for k, v in chapter.execute("eventstudy").items()
             if "text/markdown" in v}
    main, short = es.run(), es.run(es.SHORT_ESTIMATION)
    nv0, nv1 = main.sec("NVDA", "[0]"), main.sec("NVDA", "[0,+1]")
    semis0 = main.grp("US semiconductors", "[0]")
    assert glued["es_nv_ar"] == pct(nv0["car"]) and glued["es_nv_ar_t"] == number(nv0["t"], 2)
    assert glued["es_nv_car01"] == pct(nv1["car"])
    assert glued["es_nv_car01_t"] == number(nv1["t"], 2)
    assert glued["es_semis_bmp0"] == number(semis0["bmp"], 2)
    assert glued["es_semis_kp0"] == number(semis0["kp"], 2)
    assert glued["es_sh_nv_ar"] == pct(short.sec("NVDA", "[0]")["car"])
    assert glued["es_xs_nv_ar"] == pct(es.run(benchmark=es.EX_SEMIS).sec("NVDA", "[0]")["car"])
    assert glued["es_table_securities"] == es.markdown(
        es.security_table(main, ("[-5,-1]", "[0]", "[0,+1]")))
    assert glued["es_table_groups"] == es.markdown(es.group_table(main))
    assert glued["es_korea_day"] == "Friday 31 January 2025"
    rates = es.rejection_rates(es.placebo(PLACEBO_NAMES))
    assert glued["es_placebo_kp"] == pct(rates.at["[0]", "Kolari-Pynnönen"], 1, signed=False)
