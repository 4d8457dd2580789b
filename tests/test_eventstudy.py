"""The event study: statistics against hand computations, the model against statsmodels and
plain pandas on the raw snapshot, the test sizes on placebo dates, and the chapter's glue."""

import math

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats

from deepshock.methods import eventstudy as mes
from deepshock.story import eventstudy as es
from tests.conftest import SNAPSHOT, built_glue, raw_close
from tests.test_browser import site  # noqa: F401  (the session's one build of the book)

EVENT = pd.Timestamp("2025-01-27")

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
    g = {row["window"]: row for row in mes.group_tests([one, two], "pair", estimation=(-10, -6))}
    assert g["[0]"]["r"] == pytest.approx(r)
    assert g["[0]"]["bmp"] == pytest.approx(t_bmp)
    assert g["[0]"]["kp"] == pytest.approx(t_bmp * math.sqrt((1 - r) / (1 + r)))
    assert g["[0]"]["caar"] == pytest.approx(-0.026)
    # the portfolio averages returns first: the hand case RP, whose day-0 t is -2.4568
    assert g["[0]"]["port_t"] == pytest.approx(-2.6 / math.sqrt(1.6 / 3 * 2.1))
    assert g["[0]"]["port_p"] == pytest.approx(made_up(RP, [1.0, 0.0], "P").windows.at["[0]", "p"])


# --- the real data -------------------------------------------------------------------------

def panel_closes() -> pd.DataFrame:
    return pd.read_csv(SNAPSHOT / "panel" / "closes.csv", index_col=0, parse_dates=True)


def sp500_members() -> list[str]:
    members = pd.read_csv(SNAPSHOT / "panel" / "members.csv", keep_default_na=False)
    return list(members.loc[members["kind"].str.strip() == "sp500", "ticker"].str.strip())


def nvda_by_hand():
    """NVDA's total return (the panel's adjusted close where it has one, else the raw file's
    close) against the equal-weighted mean of the other S&P 500 members' returns from the raw
    panel file (plain pandas), event-time positions, estimation rows."""
    closes = panel_closes()
    raw = raw_close("NVDA.csv")
    adj = closes["NVDA"].dropna()
    r = (raw / raw.shift(1) - 1).iloc[1:]
    inside = adj.index[1:]
    r.loc[inside] = (adj / adj.shift(1) - 1).iloc[1:].to_numpy()
    others = [t for t in sp500_members() if t != "NVDA"]
    m = (closes[others] / closes[others].shift(1) - 1).iloc[1:].mean(axis=1)
    both = pd.concat({"r": r, "m": m}, axis=1, join="inner")
    t0 = int(both.index.searchsorted(EVENT))
    return both, t0, both.iloc[t0 - 250:t0 - 10]   # tau -250 .. -11


def test_market_model_matches_statsmodels_on_nvidia_against_the_market_without_it(snapshot):
    _, _, est = nvda_by_hand()
    ols = sm.OLS(est["r"], sm.add_constant(est["m"])).fit()
    fit = es.security("NVDA").fit
    assert fit.n == len(est) == 240
    assert fit.alpha == pytest.approx(ols.params["const"], rel=1e-8, abs=1e-12)
    assert fit.beta == pytest.approx(ols.params["m"], rel=1e-8)
    assert fit.s2 == pytest.approx(ols.scale, rel=1e-8)


def test_nvidia_event_day_abnormal_return_is_strongly_negative_and_significant(snapshot):
    both, t0, est = nvda_by_hand()
    assert both.index[t0] == EVENT
    ols = sm.OLS(est["r"], sm.add_constant(est["m"])).fit()
    x0 = np.array([1.0, both["m"].iloc[t0]])
    ar = both["r"].iloc[t0] - x0 @ ols.params.to_numpy()
    # Nvidia's day 0 spans one weekday, so the gap-matched variance is the one-day one
    t = ar / math.sqrt(ols.scale + x0 @ ols.cov_params().to_numpy() @ x0)
    h = es.headline()
    assert h["nvda_ar"] == pytest.approx(ar, rel=1e-8)
    assert h["nvda_t"] == pytest.approx(t, rel=1e-8)
    assert h["nvda_ar"] < -0.15 and h["nvda_t"] < -4 and h["nvda_p"] < 0.001
    # the old benchmark (the S&P 500, which holds Nvidia) understated it
    assert es.headline(es.run(es.OLD))["nvda_ar"] > h["nvda_ar"] + 0.03


def test_korea_and_taiwan_day_zero_and_the_benchmark_interval(snapshot):
    kospi = raw_close("INDEX_KS11.csv")
    own = es.event_frame("000660.KS").set_index("tau")  # KOSPI
    assert own.at[0, "date"] == pd.Timestamp("2025-01-31")
    assert own.at[0, "weekdays"] == 5
    assert own.at[0, "mret"] == pytest.approx(kospi["2025-01-31"] / kospi["2025-01-24"] - 1)
    taiwan = es.event_frame("2330.TW").set_index("tau")
    assert taiwan.at[0, "date"] == pd.Timestamp("2025-02-03") and taiwan.at[0, "weekdays"] == 8


def test_us_benchmark_is_the_panel_market_without_the_stock(snapshot):
    closes = panel_closes()
    day = (closes.loc["2025-01-27"] / closes.loc["2025-01-24"] - 1)[sp500_members()]
    frame = es.event_frame("NVDA").set_index("tau")
    assert frame.at[0, "mret"] == pytest.approx(day.drop("NVDA").mean(), rel=1e-9)
    # both Alphabet share classes leave Alphabet's benchmark
    alphabet = es.event_frame("GOOGL").set_index("tau")
    assert alphabet.at[0, "mret"] == pytest.approx(day.drop(["GOOGL", "GOOG"]).mean(), rel=1e-9)
    # an ADR that is not a member is judged against all members
    adr = es.event_frame("TSM").set_index("tau")
    assert adr.at[0, "mret"] == pytest.approx(day.mean(), rel=1e-9)


def test_plan_and_groups_of_three_or_fewer_are_described_not_tested(snapshot):
    from deepshock.story.eventstudy import tables as tb

    study = es.run()
    out = study.plan.loc[~study.plan["included"]]
    assert set(out["ticker"]) == {"^SOX", "^GSPC", "^IXIC", "^NDX", "^VIX", "^N225", "^KS11",
                                  "^TWII", "^HSI", "000001.SS", "^STOXX", "^STOXX50E", "^GDAXI",
                                  "SU.PA", "JPY=X"}
    assert out["reason"].str.len().gt(0).all()
    sizes = study.securities.drop_duplicates("ticker").groupby("group")["ticker"].size()
    assert es.TESTED == 4
    assert set(study.groups["group"]) == set(sizes[sizes >= 4].index)
    assert {"US chip equipment", "Korea/Taiwan", "China tech", "Foreign chip ADRs"} <= \
        set(sizes[sizes == 3].index)
    assert study.groups["n"].min() >= 4
    # the groups of two or three appear in the group table with a mean CAR and no test
    table = tb.group_table(study)
    small = table.loc[table["Group"].isin(sizes[(sizes > 1) & (sizes < 4)].index)]
    assert len(small) == 3 * ((sizes > 1) & (sizes < 4)).sum()
    assert (small[["Portfolio t", "KP t", "BMP t", "GRANK t", "Corrado z", "Sign z"]] == "—"
            ).all().all()
    sec = study.securities.set_index(["ticker", "window"])["car"]
    equipment = np.mean([sec[(t, "[0]")] for t in ("AMAT", "LRCX", "KLAC")])
    row = small.loc[(small["Group"] == "US chip equipment") & (small["Window"] == "[0]")].iloc[0]
    assert row["CAAR (%)"] == f"{equipment * 100:+.1f}" and row["n"] == "3"
    two = [study.results["9984.T"], study.results["5803.T"]]
    with pytest.raises(ValueError, match="at least 3"):
        es.group_tests(two, "Japan other")


def test_shock_chapter_interface_still_works(snapshot):
    """chapters/shocks.md calls security(ticker, event=...) and group_tests(members, group)."""
    members = [es.security(t, event=pd.Timestamp("2024-08-05")) for t in
               ("6857.T", "8035.T", "6146.T")]
    row = next(r for r in es.group_tests(members, "Japan semiconductors")
               if r["window"] == "[0,+1]")
    for key in ("caar", "kp", "kp_p", "port_t", "port_p", "n", "window"):
        assert key in row
    assert row["n"] == 3 and 0 <= row["kp_p"] <= 1 and 0 <= row["port_p"] <= 1


@pytest.mark.build
def test_chapter_executes_and_glues_the_module_results(snapshot, site):  # noqa: F811
    """The chapter as the session's one strict build executed it (its glue)."""
    from deepshock.story.eventstudy import tables as tb
    from deepshock.story.eventstudy.page import table
    from deepshock.story.eventstudy.words import number, pct

    glued = {k: v["text/markdown"] for k, v in built_glue(site, "chapters/eventstudy").items()
             if "text/markdown" in v}
    main = es.run()
    h = es.headline()
    assert glued["es_nv_ar"] == pct(h["nvda_ar"], 1) and glued["es_nv_ar_t"] == number(h["nvda_t"], 2)
    assert glued["es_semis_port0"] == number(h["us_semis_port_t"], 2)
    assert glued["es_semis_kp0"] == number(h["us_semis_kp"], 2)
    assert glued["es_japan_caar1"] == pct(h["japan_semis_caar"], 1)
    assert glued["es_hynix_t"] == number(h["hynix_t"], 2)
    assert glued["es_table_securities"] == table(
        tb.security_table(main, ("[-5,-1]", "[0]", "[0,+1]")))   # the single t keeps its stars
    assert "\u2212" in glued["es_nv_ar"] and "-" not in glued["es_nv_ar"]   # house-style minus
    from deepshock.story.eventstudy import placebo as pl
    keep = tb.starred(pl.rates(pl.placebo()))
    assert glued["es_table_groups"] == table(tb.group_table(main, keep=keep))
    # the opening verdict: Nvidia's day-0 abnormal return, unsigned after its verb
    assert glued["es_op_nv"] == pct(abs(h["nvda_ar"]), 1, signed=False)
    assert glued["es_korea_day"] == "Friday 31 January 2025"
    assert "Stargate announced" in glued["es_nv_pre_news"]
    assert "US tariff orders signed" in glued["es_tsmc_news"]
