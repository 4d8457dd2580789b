"""The event study's run (`story.eventstudy.study`) on small made-up securities written out
here: event time, the plan and its reasons, the benchmark words, the exclusions, the SQ test's
window lengths, the whole study (securities, group tests against `methods`, mean CAR paths,
the securities left out with their reasons), the cache, the headline numbers and the cells,
stars and verdicts. On the snapshot: the US chip group's day-0 CAAR against market models
fitted with statsmodels on returns rebuilt from the raw price files, and the comparison day
against the raw facts file. Fast: no book, no kernel."""

from __future__ import annotations

import math
from dataclasses import replace
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from deepshock.methods import groups as m_groups
from deepshock.methods import leadlag, ranks
from deepshock.story.eventstudy import study as es
from tests.conftest import ROOT, SNAPSHOT, raw_close

T = pd.Timestamp
SPEC = es.Spec(gap="scaled", estimation=(-26, -6))


def frame(seed: int, beta: float = 1.0, first_tau: int = -30) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    tau = np.arange(first_tau, 25)
    m = rng.normal(0, 0.01, len(tau))
    ret = 0.001 * seed + beta * m + rng.normal(0, 0.01 + 0.001 * seed, len(tau))
    ret[tau == 0] -= 0.02 * seed
    dates = pd.bdate_range("2024-12-02", periods=len(tau))
    return pd.DataFrame({"tau": tau, "date": dates, "ret": ret, "mret": m, "matched": True,
                         "weekdays": np.where(dates.day_of_week == 0, 3.0, 1.0)})


def result(seed: int, label: str, beta: float = 1.0):
    return leadlag.event_result(frame(seed, beta), label, ("mret",), SPEC.estimation, SPEC.gap)


# --- event time, one security, one group ---------------------------------------------------------

def test_event_time_counts_sessions_from_the_first_on_or_after_the_event():
    f = pd.DataFrame({"date": pd.to_datetime(["2025-01-02", "2025-01-03", "2025-01-06",
                                              "2025-01-07"])})
    assert es._event_time(f, "X", T("2025-01-04"))["tau"].tolist() == [-2, -1, 0, 1]
    assert es._event_time(f, "X", T("2025-01-03"))["tau"].tolist() == [-1, 0, 1, 2]
    assert es._event_time(f, "X", T("2025-01-07"))["tau"].tolist() == [-3, -2, -1, 0]
    assert "tau" not in f
    with pytest.raises(ValueError) as info:
        es._event_time(f, "X", T("2025-01-08"))
    assert str(info.value) == "X: no session on or after 2025-01-08"


def test_event_frame_and_security_use_the_specs_frame_model_and_window(monkeypatch):
    assert es.EVENT == T("2025-01-27")
    f = pd.DataFrame({"date": pd.bdate_range("2025-01-20", periods=10)})
    asked, calls = [], []
    monkeypatch.setattr(es, "full_frame", lambda t, spec: asked.append((t, spec)) or f)
    assert es.event_frame("X", SPEC)["tau"].tolist() == list(range(-5, 5))
    assert es.event_frame("X", SPEC, T("2025-01-22"))["tau"].tolist() == list(range(-2, 8))
    assert es.event_frame("Y")["tau"].iloc[0] == -5 and asked[-1] == ("Y", es.NEW)
    with pytest.raises(ValueError) as info:
        es.event_frame("X", SPEC, T("2025-02-03"))
    assert str(info.value) == "X: no session on or after 2025-02-03"
    monkeypatch.setattr(es, "regressors", lambda t, spec: ("regs", t, spec))
    monkeypatch.setattr(es, "event_result", lambda *args: calls.append(args) or "result")
    assert es.security("X", SPEC, T("2025-01-22")) == "result"
    got, label, regs, est, gap = calls[-1]
    assert got["tau"].iloc[0] == -2 and label == "X" and regs == ("regs", "X", SPEC)
    assert est == (-26, -6) and gap == "scaled"
    es.security("X", es.NEW, estimation=(-120, -11))
    assert calls[-1][1:] == ("X", ("regs", "X", es.NEW), (-120, -11), "own")
    assert calls[-1][0]["tau"].iloc[0] == -5
    es.security("Z")
    assert calls[-1][1:] == ("Z", ("regs", "Z", es.NEW), (-250, -11), "own")


def test_regs_are_the_members_regressors_and_no_benchmark_when_mret_is_all_zero():
    member = lambda **cols: SimpleNamespace(frame=pd.DataFrame(cols))  # noqa: E731
    assert es._regs(member(ret=[1.0], mret=[0.1, 0.0][:1])) == ("mret",)
    assert es._regs(member(mret=[0.0, 0.2], lead=[0.1, 0.1])) == ("mret", "lead")
    assert es._regs(member(mret=[0.0, 0.0], lead=[0.1, 0.1])) == ("lead",)
    assert es._regs(member(mret=[0.0, 0.0])) == ()
    assert es._regs(member(ret=[0.3])) == ()


def test_group_tests_test_the_portfolio_with_the_members_model(monkeypatch):
    calls = []
    monkeypatch.setattr(es, "_regs", lambda m: ("regs of", m))
    monkeypatch.setattr(es, "event_portfolio", lambda *a: calls.append(("port", a)) or "P")
    monkeypatch.setattr(es, "group_statistics",
                        lambda *a, **k: calls.append(("stats", a, k)) or ["rows"])
    assert es.group_tests(["m1", "m2"], "G", ("[0]",), (-120, -11), "scaled") == ["rows"]
    assert calls == [("port", (["m1", "m2"], "G", ("regs of", "m1"), (-120, -11), "scaled")),
                     ("stats", (["m1", "m2"], "G", ("[0]",), (-120, -11), "scaled"),
                      {"port": "P"})]
    calls.clear()
    es.group_tests(["m1", "m2"])
    assert calls[0] == ("port", (["m1", "m2"], "", ("regs of", "m1"), (-250, -11), "own"))
    assert calls[1][1] == (["m1", "m2"], "", tuple(es.WINDOWS), (-250, -11), "own")


def test_group_tests_on_made_up_members_are_the_methods_statistics():
    members = [result(s, f"s{s}", 1 + s / 4) for s in range(1, 5)]
    got = es.group_tests(members, "G", estimation=SPEC.estimation, gap=None)
    port = leadlag.event_portfolio(members, "G", ("mret",), SPEC.estimation, None)
    want = m_groups.group_statistics(members, "G", tuple(es.WINDOWS), SPEC.estimation, None,
                                     port=port)
    assert len(got) == len(want) == len(es.WINDOWS)
    for g, w in zip(got, want):
        for key in ("caar", "port_t", "port_p", "kp", "bmp", "grank_nr_p", "gsign_p"):
            assert g[key] == pytest.approx(w[key], rel=1e-12, nan_ok=True), key


# --- the plan -------------------------------------------------------------------------------------

UNIVERSE = pd.DataFrame({
    "ticker": ["^N225", "JPY=X", "SU.PA", "NVDA", "8035.T", "GOOG"],
    "name": ["Nikkei 225", "Yen", "Schneider", "Nvidia", "Tokyo Electron", "Alphabet C"],
    "kind": ["index", "fx", "equity", "equity", "equity", "equity"],
    "group": ["Indices", "FX", "Europe", "US chips", "Japan chips", "US tech"],
    "market": ["Japan", "FX", "Europe", "US", "Japan", "US"],
    "benchmark": ["", "", "", "^GSPC", "^N225", "^GSPC"],
    "source": ["s"] * 6})


def test_plan_gives_every_security_its_benchmark_or_its_reason(monkeypatch):
    monkeypatch.setattr(es.facts, "universe", lambda: UNIVERSE)
    keys = {"NVDA": "ew:NVDA", "8035.T": "ex:^N225", "GOOG": ""}
    asked = []
    monkeypatch.setattr(es, "benchmark_key", lambda t, spec: asked.append(spec) or keys[t])
    table = es.plan(SPEC)
    assert list(table.columns) == ["ticker", "name", "group", "market", "benchmark", "included",
                                   "reason"]
    assert table["ticker"].tolist() == UNIVERSE["ticker"].tolist()
    assert table["included"].tolist() == [False, False, False, True, True, True]
    assert table["reason"].tolist() == [
        "an index: a market measure, not a traded security", "an exchange rate, not a security",
        "no benchmark index for its market in the snapshot", "", "", ""]
    assert table["benchmark"].tolist() == [
        "none (constant mean)", "none (constant mean)", "none (constant mean)",
        "S&P 500 members without it, equal-weighted", "Nikkei 225 without its own weight",
        "none (constant mean)"]
    assert asked == [SPEC] * 3
    assert UNIVERSE["benchmark"].tolist()[3] == "^GSPC"   # the universe itself is not changed
    monkeypatch.setattr(es, "benchmark_key", lambda t, spec: asked.append(spec) or keys[t])
    es.plan()
    assert asked[-1] == es.NEW


def test_describe_names_each_kind_of_benchmark(monkeypatch):
    monkeypatch.setattr(es.facts, "universe", lambda: UNIVERSE)
    monkeypatch.setattr(es.facts, "name", lambda t: UNIVERSE.set_index("ticker").at[t, "name"])
    assert es.describe("ew:NVDA") == "S&P 500 members without it, equal-weighted"
    assert es.describe("ex:^N225") == "Nikkei 225 without its own weight"
    assert es.describe("ex:ew:X") == "S&P 500 members without it, equal-weighted without its own weight"
    assert es.describe("") == "none (constant mean)"
    assert es.describe("^N225") == "Nikkei 225"
    assert es.describe("RSP") == "RSP"


def test_exclusions_group_the_left_out_by_reason_in_order():
    table = pd.DataFrame({"name": ["A", "B", "C", "D", "E"],
                          "included": [False, True, False, False, False],
                          "reason": ["rates", "", "an index", "rates", "rates"]})
    assert es.exclusions(table) == "A, D, E (rates); C (an index)"
    assert es.exclusions(table.assign(included=True)) == ""


def test_plan_on_the_universe_leaves_out_its_indices_rates_and_unbenchmarked(snapshot):
    uni = pd.read_csv(ROOT / "data" / "universe.csv", keep_default_na=False)
    table = es.plan()
    out = set(uni.loc[uni["kind"].isin(["index", "fx"]) | (uni["benchmark"] == ""), "ticker"])
    assert set(table.loc[~table["included"], "ticker"]) == out
    nvda = table.set_index("ticker").loc["NVDA"]
    assert nvda["benchmark"] == "S&P 500 members without it, equal-weighted"


# --- the SQ test's windows ------------------------------------------------------------------------

def test_empirical_p_uses_the_weekdays_each_window_spans():
    tau = np.arange(-8, 21)
    weekdays = np.ones(len(tau))
    weekdays[tau == 0] = 3.0
    weekdays[tau == 4] = 2.0
    resid = pd.Series(np.random.default_rng(4).normal(0, 0.01, 40))
    cars = {w: 0.01 * (k + 1) * (-1) ** k for k, w in enumerate(es.WINDOWS)}
    res = SimpleNamespace(frame=pd.DataFrame({"tau": tau, "weekdays": weekdays}), resid=resid,
                          windows=pd.DataFrame({"car": cars}))
    lengths = {"[0]": 3, "[0,+1]": 4, "[-5,-1]": 5, "[0,+5]": 9, "[0,+20]": 24}
    got = es.empirical(res)
    assert list(got.index) == list(es.WINDOWS)
    for w, n in lengths.items():
        assert got[w] == ranks.empirical_p(resid.to_numpy(), cars[w], n).p, w
    # without weekdays every session counts one
    plain = es.empirical(replace_frame(res, pd.DataFrame({"tau": tau})))
    for w, (a, b) in es.WINDOWS.items():
        assert plain[w] == ranks.empirical_p(resid.to_numpy(), cars[w], b - a + 1).p, w


def replace_frame(res, frame):
    return SimpleNamespace(frame=frame, resid=res.resid, windows=res.windows)


# --- the whole study ------------------------------------------------------------------------------

PLAN = pd.DataFrame({
    "ticker": ["A1", "GAPS", "A2", "IX", "A3", "SHORT", "A4", "B1", "B2", "C1"],
    "name": ["Alpha 1", "Gaps", "Alpha 2", "Index", "Alpha 3", "Short", "Alpha 4", "Beta 1",
             "Beta 2", "Gamma"],
    "group": ["Z", "B", "Z", "Indices", "Z", "Z", "Z", "B", "B", "C"],
    "market": "US", "benchmark": "b",
    "included": [True, True, True, False, True, True, True, True, True, True],
    "reason": ["", "", "", "an index", "", "", "", "", "", ""]})
SEEDS = {"A1": 1, "A2": 2, "A3": 3, "A4": 4, "B1": 5, "B2": 6, "C1": 7}


@pytest.fixture
def made_up_study(monkeypatch):
    results = {t: result(s, t, 1 + s / 5) for t, s in SEEDS.items()}
    calls = []

    def security(t, spec, event):
        calls.append((t, spec, event))
        if t == "SHORT":
            # the number is read after the last "only " (a label may hold the word)
            raise ValueError("SHORT, the only short one: only 12 usable estimation days")
        if t == "GAPS":
            raise ValueError("GAPS: 2 past returns span a closure, 3 needed")
        return results[t]

    def plan(spec):
        assert spec == SPEC
        return PLAN.copy()

    monkeypatch.setattr(es, "plan", plan)
    monkeypatch.setattr(es, "security", security)
    return SimpleNamespace(results=results, calls=calls)


def test_study_securities_groups_and_paths(made_up_study):
    study = es._study(SPEC, T("2025-01-27"), None)
    res = made_up_study.results
    assert [c[0] for c in made_up_study.calls] == ["A1", "GAPS", "A2", "A3", "SHORT", "A4",
                                                   "B1", "B2", "C1"]
    assert {(c[1], c[2]) for c in made_up_study.calls} == {(SPEC, T("2025-01-27"))}
    assert study.spec == SPEC and study.only is None and study.results == res
    # the securities left out for their history, with the reason in words
    plan = study.plan.set_index("ticker")
    assert not plan.at["SHORT", "included"] and not plan.at["GAPS", "included"]
    assert plan.at["SHORT", "reason"] == ("too short a price history for the estimation "
                                          "window: 12 of the 17 sessions needed")
    assert plan.at["GAPS", "reason"] == "too few past closures for its gap-matched variance"
    assert plan["included"].sum() == 7
    # one row per security and window, with its name, group, day 0 and SQ p
    sec = study.securities
    assert len(sec) == 7 * len(es.WINDOWS)
    for t, r in res.items():
        rows = sec.loc[sec["ticker"] == t].set_index("window")
        assert list(rows.index) == list(es.WINDOWS)
        assert rows["car"].tolist() == r.windows["car"].tolist()
        assert rows["p"].tolist() == r.windows["p"].tolist()
        assert (rows["name"] == PLAN.set_index("ticker").at[t, "name"]).all()
        assert (rows["group"] == PLAN.set_index("ticker").at[t, "group"]).all()
        assert (rows["event_day"] == r.path.set_index("tau").at[0, "date"]).all()
        assert rows["emp_p"].tolist() == es.empirical(r).tolist()
    assert study.sec("B2", "[0,+1]")["car"] == res["B2"].windows.at["[0,+1]", "car"]
    # group tests only for groups of four or more
    assert es.TESTED == 4
    assert set(study.groups["group"]) == {"Z"}
    members = [res[t] for t in ("A1", "A2", "A3", "A4")]
    port = leadlag.event_portfolio(members, "Z", ("mret",), SPEC.estimation, "scaled")
    want = m_groups.group_statistics(members, "Z", tuple(es.WINDOWS), SPEC.estimation,
                                     "scaled", port=port)
    assert port.windows.at["[0,+5]", "se"] != leadlag.event_portfolio(
        members, "Z", ("mret",), SPEC.estimation, None).windows.at["[0,+5]", "se"]
    for row in want:
        g = study.grp("Z", row["window"])
        for key in ("caar", "n", "port_p", "kp_p", "bmp_p", "grank_nr_p", "gsign_p"):
            assert g[key] == pytest.approx(row[key], rel=1e-12), key
    # mean CAR paths from tau = -5 to +20, every group, a lone member named
    paths = study.paths
    assert list(paths["group"].unique()) == ["Z", "B", "C (C1 only)"]   # in order of the plan
    for label, tickers in (("Z", ("A1", "A2", "A3", "A4")), ("B", ("B1", "B2")),
                           ("C (C1 only)", ("C1",))):
        p = paths.loc[paths["group"] == label]
        assert p["tau"].tolist() == list(range(-5, 21))
        cum = np.mean([np.cumsum(res[t].path["ar"].to_numpy()) for t in tickers], axis=0)
        assert p["car"].to_numpy() == pytest.approx(cum, rel=1e-12)
        assert (p["n"] == len(tickers)).all()
    assert paths.index.tolist() == list(range(len(paths)))


def test_study_of_some_securities_only(made_up_study):
    study = es._study(SPEC, T("2025-01-27"), ("B1", "B2", "IX"))
    assert study.only == ("B1", "B2", "IX")
    assert study.plan["ticker"].tolist() == ["IX", "B1", "B2"]
    assert study.plan["included"].tolist() == [False, True, True]
    assert study.plan.index.tolist() == [0, 1, 2]
    assert list(study.plan.columns) == list(PLAN.columns)
    assert set(study.securities["ticker"]) == {"B1", "B2"}
    assert study.groups.empty and list(study.paths["group"].unique()) == ["B"]


def test_study_raises_any_other_error(made_up_study, monkeypatch):
    def security(t, spec, event):
        raise ValueError(f"{t}: event window -5..20 is incomplete")
    monkeypatch.setattr(es, "security", security)
    with pytest.raises(ValueError, match="A1: event window"):
        es._study(SPEC, T("2025-01-27"), None)


@pytest.fixture
def fresh_cache():
    es._run.cache_clear()
    yield
    es._run.cache_clear()


def test_run_is_kept_by_its_arguments_and_cached(monkeypatch, fresh_cache):
    kept = []
    monkeypatch.setattr(es.artefacts, "keep", lambda name, make, *parts:
                        kept.append((name, parts)) or SimpleNamespace(made=make))
    monkeypatch.setattr(es, "_study", lambda *args: ("study", args))
    one = es.run(SPEC, "2025-01-27", ["A", "B"])
    assert kept == [("eventstudy-run", (SPEC, T("2025-01-27"), ("A", "B")))]
    assert one.made() == ("study", (SPEC, T("2025-01-27"), ("A", "B")))
    assert es.run(SPEC, T("2025-01-27"), ("A", "B")) is one and len(kept) == 1
    default = es.run()
    assert kept[-1] == ("eventstudy-run", (es.NEW, T("2025-01-27"), None))
    assert default.made() == ("study", (es.NEW, T("2025-01-27"), None))


def test_complete_is_the_cached_full_run_of_its_spec(monkeypatch):
    study = es.Study(SPEC, None, {}, None, None, None)
    monkeypatch.setattr(es, "run", lambda spec: study if spec == SPEC else None)
    assert study.complete
    assert not replace(study, only=("A",)).complete
    assert not replace(study, spec=es.NEW).complete


def test_variant_changes_the_spec_for_the_headline_securities(monkeypatch):
    calls = []
    monkeypatch.setattr(es, "run", lambda *args: calls.append(args) or "v")
    assert es.variant(us="index", gap=None) == "v"
    assert calls == [(replace(es.NEW, us="index", gap=None), es.EVENT, es.HEADLINE)]
    es.variant(None, lead=False)
    assert calls[-1] == (replace(es.NEW, lead=False), es.EVENT, None)
    assert es.HEADLINE == ("NVDA", "AVGO", "AMD", "MU", "MRVL", "INTC", "QCOM", "6857.T",
                           "8035.T", "6146.T", "6920.T", "7735.T", "6723.T", "000660.KS",
                           "2330.TW")


def test_headline_reads_each_number_from_its_row():
    cols = ("caar", "kp", "kp_p", "port_t", "port_p", "bmp", "bmp_p", "grank_nr", "grank_nr_p",
            "gsign", "gsign_p")
    secs = {("NVDA", "[0]"): (-0.17, -7.1, 0.001, 0.002), ("000660.KS", "[0]"): (-0.09, -3, 0.01, 0),
            ("2330.TW", "[0]"): (-0.04, -2, 0.05, 0)}
    grps = {("US semiconductors", "[0]"): 1, ("Japan semiconductors", "[0,+1]"): 2}

    def sec(t, w):
        car, t_, p, e = secs[(t, w)]
        return pd.Series({"car": car, "t": t_, "p": p, "emp_p": e})

    def grp(g, w):
        k = grps[(g, w)]
        return pd.Series({**{c: k * 10 + i for i, c in enumerate(cols)}, "n": 6 + k})

    h = es.headline(SimpleNamespace(sec=sec, grp=grp))
    assert (h["nvda_ar"], h["nvda_t"], h["nvda_p"], h["nvda_emp_p"]) == (-0.17, -7.1, 0.001, 0.002)
    for key, k in (("us_semis", 1), ("japan_semis", 2)):
        for i, c in enumerate(cols):
            assert h[f"{key}_{c}"] == k * 10 + i and isinstance(h[f"{key}_{c}"], float)
        assert h[f"{key}_n"] == 6 + k and isinstance(h[f"{key}_n"], int)
    assert (h["hynix_ar"], h["hynix_t"], h["hynix_p"]) == (-0.09, -3, 0.01)
    assert (h["tsmc_ar"], h["tsmc_t"], h["tsmc_p"]) == (-0.04, -2, 0.05)
    assert len(h) == 4 + 2 * 12 + 6


# --- cells, stars and verdicts ----------------------------------------------------------------------

def test_stars_cells_and_verdicts_at_each_cut():
    assert [es.stars(p) for p in (0.0099, 0.01, 0.049, 0.05, 0.099, 0.1)] == [
        "\\*\\*\\*", "\\*\\*", "\\*\\*", "\\*", "\\*", ""]
    assert es.cell(-0.16949, -7.449, 0.0001) == "-16.9 (-7.4)\\*\\*\\*"
    assert es.cell(0.0125, 1.75, 0.08) == "+1.2 (+1.8)\\*"
    assert es.verdict(0.0099) == "significant at the 1% level"
    assert es.verdict(0.01) == "significant at the 5% level"
    assert es.verdict(0.05) == "significant at the 10% level"
    assert es.verdict(0.1) == "not significant even at the 10% level"


def test_markdown_aligns_text_left_and_numbers_right():
    table = pd.DataFrame({"Name": ["Nvidia", "AMD"], "Group": ["US", "US"], "CAR": ["-16.9", "1.0"]})
    assert es.markdown(table).splitlines() == [
        "| Name   |   Group |   CAR |", "|:-------|--------:|------:|",
        "| Nvidia |      US | -16.9 |", "| AMD    |      US |   1.0 |"]
    assert es.markdown(table, text=2).splitlines()[1] == "|:-------|:--------|------:|"
    assert es.markdown(pd.DataFrame({"x": ["007"]}), text=0).splitlines()[2] == "| 007 |"


def test_contrast_day_is_the_named_comparison_event(monkeypatch):
    facts = pd.read_csv(ROOT / "data" / "shocks.csv")
    row = facts.loc[facts["label"] == "Nvidia's $279bn day"]
    assert es.CONTRAST == "Nvidia's $279bn day" and len(row) == 1
    assert es.contrast_day() == T(row["date"].iat[0]) == T("2024-09-03")
    monkeypatch.setattr(es.context, "shocks", lambda: pd.DataFrame(
        {"label": ["x", es.CONTRAST, es.CONTRAST], "date": pd.to_datetime(
            ["2020-01-01", "2021-02-03", "2022-01-01"])}))
    assert es.contrast_day() == T("2021-02-03")


def test_constants_the_chapter_states():
    assert es.PRIMARY == (("security", "NVDA", "[0]"), ("group", "US semiconductors", "[0]"),
                          ("group", "Japan semiconductors", "[0,+1]"))
    assert es.SOURCE == ("Yahoo Finance daily closes of the securities, indices and S&P 500 "
                         "members; exchange calendars; market-model event study")


# --- the snapshot ------------------------------------------------------------------------------------

def _returns_by_hand(ticker: str, closes: pd.DataFrame, sp: list[str]) -> pd.DataFrame:
    """A US security's total return (the panel's adjusted close, else the raw close) and the
    equal-weighted mean return of the other S&P 500 members, plain pandas on the raw files."""
    raw = raw_close(f"{ticker}.csv")
    r = (raw / raw.shift(1) - 1).iloc[1:]
    if ticker in closes.columns:
        adj = closes[ticker].dropna()
        r.loc[adj.index[1:]] = (adj / adj.shift(1) - 1).iloc[1:].to_numpy()
    others = [t for t in sp if t != ticker]
    m = (closes[others] / closes[others].shift(1) - 1).iloc[1:].mean(axis=1)
    return pd.concat({"r": r, "m": m}, axis=1, join="inner")


def test_us_chip_groups_day_zero_caar_is_the_mean_statsmodels_abnormal_return(snapshot):
    closes = pd.read_csv(SNAPSHOT / "panel" / "closes.csv", index_col=0, parse_dates=True)
    members = pd.read_csv(SNAPSHOT / "panel" / "members.csv", keep_default_na=False)
    sp = list(members.loc[members["kind"].str.strip() == "sp500", "ticker"].str.strip())
    ars = {}
    for t in ("NVDA", "AVGO", "AMD", "MU", "MRVL", "INTC", "QCOM"):
        both = _returns_by_hand(t, closes, sp)
        t0 = int(both.index.searchsorted(T("2025-01-27")))
        assert both.index[t0] == T("2025-01-27")
        est = both.iloc[t0 - 250:t0 - 10]
        ols = sm.OLS(est["r"], sm.add_constant(est["m"])).fit()
        ars[t] = both["r"].iloc[t0] - ols.params["const"] - ols.params["m"] * both["m"].iloc[t0]
    study = es.run()
    for t, ar in ars.items():
        assert study.sec(t, "[0]")["car"] == pytest.approx(ar, rel=1e-8), t
    caar = float(np.mean(list(ars.values())))
    assert study.grp("US semiconductors", "[0]")["caar"] == pytest.approx(caar, rel=1e-8)
    assert es.headline()["us_semis_caar"] == pytest.approx(caar, rel=1e-8)
    assert es.headline()["us_semis_n"] == 7
    assert math.isfinite(caar) and caar < -0.08
