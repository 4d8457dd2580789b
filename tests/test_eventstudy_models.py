"""The event study's second edition: the any-regressor market model against statsmodels and the
methods author's one-regressor implementation, Tokyo's New York lead aligned by hand, gap
variance, confounder windows, breadth, RSP, multiplicity and the placebo cache."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from statsmodels.stats.multitest import multipletests

from deepshock.methods import eventstudy as mes
from deepshock.methods import groups, leadlag
from deepshock.story import eventstudy as es
from deepshock.story.eventstudy import news
from deepshock.story.eventstudy import placebo as pl
from deepshock.story.eventstudy import tables as tb
from tests.conftest import SNAPSHOT, raw_close

TAU = np.arange(-260, 25)


def synthetic(seed: int, gaps_at=(-200, -150, -120, -90, -60, -30, 0)) -> pd.DataFrame:
    """Made-up returns on two regressors, with some rows spanning several weekdays."""
    rng = np.random.default_rng(seed)
    m, lead = rng.normal(0, 0.01, len(TAU)), rng.normal(0, 0.012, len(TAU))
    ret = 0.0003 + 1.2 * m + 0.4 * lead + rng.normal(0, 0.015, len(TAU))
    weekdays = np.ones(len(TAU))
    for k, tau in enumerate(gaps_at):
        weekdays[TAU == tau] = 2 + k % 4
    return pd.DataFrame({"tau": TAU, "date": pd.bdate_range("2020-01-01", periods=len(TAU)),
                         "ret": ret, "mret": m, "lead": lead, "matched": True,
                         "weekdays": weekdays})


@pytest.mark.parametrize("gap", [None, "scaled", "own"])
def test_one_regressor_is_the_methods_market_model(gap):
    frame = synthetic(1)
    ref = mes.analyse(frame, "x", gap=gap)
    res = leadlag.event_result(frame, "x", ("mret",), gap=gap)
    for col in ("car", "se", "t", "p"):
        assert res.windows[col].to_numpy() == pytest.approx(ref.windows[col].to_numpy(),
                                                             rel=1e-9), col
    assert (res.fit.alpha, res.fit.beta, res.fit.s2) == pytest.approx(
        (ref.fit.alpha, ref.fit.beta, ref.fit.s2), rel=1e-9)
    assert np.allclose(res.path["ar"], ref.path["ar"])


def test_two_regressors_match_statsmodels_prediction_variance():
    frame = synthetic(2)
    res = leadlag.event_result(frame, "x", ("mret", "lead"))
    est = frame.loc[frame["tau"].between(-250, -11)]
    ols = sm.OLS(est["ret"], sm.add_constant(est[["mret", "lead"]])).fit()
    assert res.fit.s2 == pytest.approx(ols.scale, rel=1e-9)
    for name, (a, b) in mes.WINDOWS.items():
        rows = frame.loc[frame["tau"].between(a, b)]
        X = sm.add_constant(rows[["mret", "lead"]], has_constant="add").to_numpy()
        car = float((rows["ret"].to_numpy() - X @ ols.params.to_numpy()).sum())
        c = X.sum(axis=0)
        var = ols.scale * len(rows) + c @ ols.cov_params().to_numpy() @ c
        assert res.windows.at[name, "car"] == pytest.approx(car, rel=1e-9)
        assert res.windows.at[name, "t"] == pytest.approx(car / np.sqrt(var), rel=1e-9)
        assert res.windows.at[name, "df"] == 240 - 3


def test_scaled_gap_variance_by_hand_on_day_zero():
    frame = synthetic(3)
    k = frame.loc[frame["tau"] == 0, "weekdays"].item()
    assert k > 1
    one = leadlag.event_result(frame, "x", ("mret", "lead"))
    scaled = leadlag.event_result(frame, "x", ("mret", "lead"), gap="scaled")
    s2 = one.fit.s2
    # only the disturbance term grows: s2 (k + c V c') against s2 (1 + c V c')
    assert scaled.windows.at["[0]", "se"] ** 2 - one.windows.at["[0]", "se"] ** 2 == \
        pytest.approx(s2 * (k - 1), rel=1e-9)


def test_constant_mean_model_by_hand():
    frame = synthetic(4)
    res = leadlag.event_result(frame, "x", ())
    est = frame.loc[frame["tau"].between(-250, -11), "ret"]
    ar0 = frame.loc[frame["tau"] == 0, "ret"].item() - est.mean()
    assert res.windows.at["[0]", "car"] == pytest.approx(ar0, rel=1e-9)
    assert res.windows.at["[0]", "se"] ** 2 == pytest.approx(est.var(ddof=1) * (1 + 1 / 240))


def test_portfolio_is_the_model_of_the_mean_return():
    members = [leadlag.event_result(synthetic(s), str(s), ("mret", "lead")) for s in (5, 6, 7)]
    port = leadlag.event_portfolio(members, "p", ("mret", "lead"))
    frames = [synthetic(s) for s in (5, 6, 7)]
    mean = frames[0][["tau", "date", "matched"]].assign(
        ret=np.mean([f["ret"] for f in frames], axis=0),
        mret=np.mean([f["mret"] for f in frames], axis=0),
        lead=np.mean([f["lead"] for f in frames], axis=0))
    ref = leadlag.event_result(mean, "p", ("mret", "lead"))
    assert port.windows["t"].to_numpy() == pytest.approx(ref.windows["t"].to_numpy(), rel=1e-9)
    rows = groups.group_statistics(members, "g", port=port)
    assert rows[0]["port_t"] == pytest.approx(port.windows.at["[0]", "t"])


def test_tokyo_lead_is_the_previous_new_york_session_by_hand(snapshot):
    """By date labels (valid for Tokyo, which opens before New York's session of the same
    date): the SOX from the last New York close before the previous Tokyo date to the last
    New York close before the Tokyo date."""
    sox = raw_close("INDEX_SOX.csv")
    frame = es.event_frame("8035.T").set_index("date")
    for day in ("2025-01-27", "2025-01-28", "2025-01-21", "2025-01-22"):
        d = pd.Timestamp(day)
        prev = frame.at[d, "prev_date"]
        ny = sox.loc[sox.index < d].iloc[-1] / sox.loc[sox.index < prev].iloc[-1] - 1
        assert frame.at[d, "lead"] == pytest.approx(ny, abs=1e-12), day
    # Monday 20 January was a US holiday: Tokyo's Tuesday had no New York session before it
    assert frame.at[pd.Timestamp("2025-01-21"), "lead"] == 0.0
    assert frame.at[pd.Timestamp("2025-01-28"), "lead"] == pytest.approx(
        sox["2025-01-27"] / sox["2025-01-24"] - 1)


def test_the_event_study_reads_the_one_clock_s_lead(snapshot):
    """The Japanese market model's New York regressor is the transmission model's
    close-to-close SOX lead, row for row, so the two cannot disagree about the lead."""
    from deepshock.data import clock
    for ticker in es.run().plan.query("included and market == 'Japan'")["ticker"]:
        frame = es.full_frame(ticker)
        lead = clock.leads(ticker).set_index("date")["cc_^SOX"]
        assert frame["lead"].to_numpy() == pytest.approx(
            lead.reindex(frame["date"]).to_numpy(), nan_ok=True), ticker


def test_hynix_gap_variance_is_larger_than_one_day(snapshot):
    new, old = es.run().sec("000660.KS", "[0]"), es.run(es.OLD).sec("000660.KS", "[0]")
    assert new["car"] == pytest.approx(old["car"])   # KOSPI in both
    assert abs(new["t"]) < abs(old["t"]) and new["weekdays"] == 5 and new["gaps_used"] >= 10


def test_news_times_and_confounder_windows(snapshot):
    row = pd.Series({"date": pd.Timestamp("2025-01-29"), "time_local": "after close",
                     "timezone": "America/New_York"})
    assert news.news_utc(row) == pd.Timestamp("2025-01-29 22:00", tz="UTC")
    hits = news.confounded(es.run())
    got = hits.groupby(["ticker", "window"])["label"].agg(set)
    assert {"Stargate announced", "Nvidia falls 3.1%"} <= got[("NVDA", "[-5,-1]")]
    assert ("NVDA", "[0]") not in got.index        # the chip-tariff remarks came that evening
    assert "Trump: chip tariffs coming" in got[("NVDA", "[0,+1]")]
    assert {"US tariff orders signed", "Apple FQ1 2025 results"} <= got[("2330.TW", "[0]")]
    assert ("6146.T", "[0]") not in got.index       # Disco: no news names it


def test_breadth_and_rsp_from_the_raw_panel(snapshot):
    closes = pd.read_csv(SNAPSHOT / "panel" / "closes.csv", index_col=0, parse_dates=True)
    members = pd.read_csv(SNAPSHOT / "panel" / "members.csv", keep_default_na=False)
    sp = members.loc[members["kind"] == "sp500", "ticker"]
    day = (closes.loc["2025-01-27", sp] / closes.loc["2025-01-24", sp] - 1)
    b = news.breadth().loc["All"]
    assert (b["rose"], b["fell"], b["members"]) == ((day > 0).sum(), (day < 0).sum(), len(sp))
    assert b["ew_ret"] == pytest.approx(day.mean())
    tech = members.loc[members["sector"] == "Technology", "ticker"]
    assert news.breadth().at["Technology", "fell"] == (day[tech] < 0).sum()
    rets = closes.pct_change(fill_method=None).loc["2024-01-02":"2025-01-24"]
    corr = rets[sp].mean(axis=1).corr(rets["RSP"])
    assert news.rsp_check(pd.Timestamp("2024-01-02"), pd.Timestamp("2025-01-24"))["corr"] == \
        pytest.approx(corr, abs=1e-9) and corr > 0.98


def test_holm_families_match_statsmodels(snapshot):
    adj = tb.adjusted(es.run())
    sec = adj.loc[~adj["primary"]]
    prim = adj.loc[adj["primary"]]
    assert len(prim) == 5   # Nvidia's t, two tests for each of two groups
    ref = multipletests(sec["p"].to_numpy(), method="holm")[1]
    assert sec["p_adj"].to_numpy() == pytest.approx(ref)
    # the primaries were named after a first look: one Holm family of their own
    assert prim["p_adj"].to_numpy() == pytest.approx(
        multipletests(prim["p"].to_numpy(), method="holm")[1])
    assert (prim["p_adj"] >= prim["p"]).all() and (prim["p_adj"] > prim["p"]).any()
    table = tb.primary_table(es.run())
    assert list(table.columns)[-1] == "Holm p (5 tests)" and len(table) == 5


def test_placebo_is_kept_in_the_store_by_its_inputs(snapshot, tmp_path, monkeypatch):
    monkeypatch.setenv("DEEPSHOCK_ARTEFACTS", str(tmp_path))
    small = {"US chip equipment": ("AMAT", "LRCX", "KLAC")}
    first = pl.placebo(small, n=4, seed=1)
    files = list(tmp_path.glob("eventstudy-placebo-*.pkl"))
    assert len(files) == 1
    pd.testing.assert_frame_equal(pl.placebo(small, n=4, seed=1), first)
    pd.to_pickle(first.assign(p=0.5), files[0])      # what is read is the kept file
    assert (pl.placebo(small, n=4, seed=1)["p"] == 0.5).all()
    pl.placebo(small, n=4, seed=2)   # another input, another key
    assert len(list(tmp_path.glob("eventstudy-placebo-*.pkl"))) == 2
    assert set(first["test"]) == set(pl.TESTS)
    assert first["date"].nunique() == 4 and first["p"].between(0, 1).all()


def test_placebo_days_are_every_eligible_session_away_from_known_events(snapshot):
    lay = pl.layout(pl.GROUPS["US chip equipment"])
    rows = pl.eligible(lay)
    days = lay.grid[rows]
    # no known event day (comparison events, confounders) within five sessions either side
    for known in pl.known_days():
        pos = lay.grid.searchsorted(known)
        assert not np.any(np.abs(rows - pos) <= pl.MARGIN), known
    # 3 Sep 2024 (after Labor Day): five sessions either side are out, the sixth is in
    for out in ("2024-08-26", "2024-09-03", "2024-09-10"):
        assert pd.Timestamp(out) not in days, out
    assert pd.Timestamp("2024-08-23") in days and pd.Timestamp("2024-09-11") in days
    # the equal-weighted market starts in January 2023: 240 - 48 estimation rows later at most
    assert days[0] >= pd.Timestamp("2023-10-01") and len(days) >= 300
    # every member and the basket can be analysed on each day (the per-day path agrees)
    assert len(set(days)) == len(days)


def test_placebo_rates_carry_monte_carlo_errors(snapshot):
    rows = pl.placebo({"US semiconductors": pl.GROUPS["US semiconductors"]}, n=60, seed=7)
    rates = pl.rates(rows).loc["All"]
    for test in ("portfolio", "Kolari-Pynnönen", "single t"):
        assert 0.0 <= rates.at[test, "5%"] <= 0.15, (test, rates.at[test, "5%"])
    assert rates.at["BMP", "5%"] > rates.at["Kolari-Pynnönen", "5%"]
    assert (rates["1%"] <= rates["5%"]).all() and (rates["5%"] <= rates["10%"]).all()
    assert (rates["draws"] == 60).all()
    # one test per day (the portfolio): the error is the binomial one, times sqrt(n / (n - 1))
    port = rows.loc[(rows["test"] == "portfolio") & (rows["window"] == "[0]")]
    share = float((port["p"] < 0.05).mean())
    one = pl.rates(port).loc[("All", "portfolio")]
    assert one["se 5%"] == pytest.approx(np.sqrt(share * (1 - share) / 60 * 60 / 59))


def test_star_rule_drops_the_oversized_tests(snapshot):
    rates = pl.rates(pl.placebo())
    keep = tb.starred(rates)
    pooled = rates.loc["All", "5%"]
    assert keep == {t for t in pooled.index if pooled[t] <= 0.075}
    assert {"BMP", "sign"}.isdisjoint(keep) and {"portfolio", "Kolari-Pynnönen",
                                                 "single t"} <= keep
    table = tb.group_table(es.run(), keep=keep)
    assert not table["BMP t"].str.contains(r"\\\*").any()
    assert not table["Sign z"].str.contains(r"\\\*").any()
    assert table["Portfolio t"].str.contains(r"\\\*").any()
