"""The cross-section of 27 January: the regressions against statsmodels and hand cases, the
chapter's published numbers against an oracle computed here from the raw panel files with plain
pandas/numpy (never with the story code), the placebo's exclusion rule and the survivorship
filter."""

from __future__ import annotations

from math import comb

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from deepshock.methods import crosssection as xs
from tests.conftest import ROOT, SNAPSHOT, exactly

EVENT = pd.Timestamp("2025-01-27")
RNG = np.random.default_rng(27)


# --- methods: hand cases and statsmodels ---------------------------------------------------

def test_market_without_leaves_out_the_member_and_its_other_share_class():
    wide = pd.DataFrame({"A": [1.0, 2.0], "B": [3.0, np.nan], "C": [5.0, 6.0],
                         "D": [7.0, 8.0]})
    loo, full = xs.market_without(wide, {"A": ("B",), "B": ("A",)}, min_members=1)
    assert loo.at[0, "A"] == pytest.approx((5 + 7) / 2)       # B left out with A
    assert loo.at[0, "C"] == pytest.approx((1 + 3 + 7) / 3)
    assert loo.at[1, "A"] == pytest.approx((6 + 8) / 2)       # B has no return that day
    assert full.tolist() == pytest.approx([4.0, 16 / 3])
    thin, _ = xs.market_without(wide, min_members=3)
    assert np.isnan(thin.at[1, "C"]) and thin.at[0, "C"] == pytest.approx(11 / 3)


def test_column_ols_matches_statsmodels_column_by_column_with_gaps():
    t, n = 60, 5
    m = RNG.normal(0, 0.01, (t, n))
    f = RNG.normal(0, 0.02, t)
    y = 0.001 + 1.2 * m - 0.5 * f[:, None] + RNG.normal(0, 0.01, (t, n))
    y[:7, 1] = np.nan
    m[10, 2] = np.nan
    fits = xs.column_ols(y, [m, f], min_obs=40)
    for j in range(n):
        ok = np.isfinite(y[:, j]) & np.isfinite(m[:, j])
        ref = sm.OLS(y[ok, j], sm.add_constant(np.column_stack([m[ok, j], f[ok]]))).fit()
        assert fits.coef[j] == pytest.approx(ref.params, abs=1e-12)
        assert fits.s2[j] == pytest.approx(ref.scale, rel=1e-10)
        assert fits.n[j] == ok.sum()
    assert np.isnan(xs.column_ols(y, [m, f], min_obs=59).coef[1]).all()


def test_column_ols_hand_case():
    x = np.array([0.0, 1.0, 2.0, 3.0])[:, None]
    fits = xs.column_ols(1 + 2 * x, [x], min_obs=3)
    assert fits.coef[0].tolist() == pytest.approx([1.0, 2.0]) and fits.s2[0] == pytest.approx(0)


def test_cross_sections_match_statsmodels_day_by_day():
    n, days = 80, 6
    x = RNG.normal(size=(n, 2))
    y = 0.01 + x @ np.array([[0.02], [-0.01]]) + RNG.normal(0, 0.01, (n, days))
    y[:5, 2] = np.nan       # a day with missing securities: its own solve
    x[70] = np.nan          # a security without exposures: out of every day
    out = xs.cross_sections(y, x)
    for d in range(days):
        ok = np.isfinite(y[:, d]) & np.isfinite(x).all(axis=1)
        ref = sm.OLS(y[ok, d], sm.add_constant(x[ok])).fit()
        assert out.coef[d] == pytest.approx(ref.params, abs=1e-12)
        assert out.r2[d] == pytest.approx(ref.rsquared, abs=1e-12)
    assert out.n[2] == n - 1 - 5 and out.n[0] == n - 1


def _hand_hc3_and_cluster(x, y, groups):
    """HC3 and clustered (CR1, G/(G-1)·(N-1)/(N-K)) standard errors by their textbook formulas."""
    xx = np.column_stack([np.ones(len(x)), x])
    inv = np.linalg.inv(xx.T @ xx)
    beta = inv @ xx.T @ y
    e = y - xx @ beta
    h = np.einsum("ij,jk,ik->i", xx, inv, xx)
    hc3 = inv @ (xx.T * (e / (1 - h)) ** 2) @ xx @ inv
    meat = sum(np.outer(xx[groups == g].T @ e[groups == g], xx[groups == g].T @ e[groups == g])
               for g in np.unique(groups))
    n, k, g = len(y), xx.shape[1], len(np.unique(groups))
    cl = g / (g - 1) * (n - 1) / (n - k) * inv @ meat @ inv
    return beta, np.sqrt(np.diag(hc3)), np.sqrt(np.diag(cl))


def test_regress_standard_errors_by_hand():
    n = 40
    frame = pd.DataFrame({"x": RNG.normal(size=n), "g": np.repeat(list("abcdefgh"), 5)})
    frame["y"] = 0.5 - 0.3 * frame["x"] + RNG.normal(0, 1 + frame["x"].abs(), n)
    fit = xs.regress(frame, "y", ["x"], cluster="g")
    beta, hc3, cl = _hand_hc3_and_cluster(frame[["x"]].to_numpy(), frame["y"].to_numpy(),
                                          frame["g"].to_numpy())
    assert fit.table["coef"].to_numpy() == pytest.approx(beta)
    assert fit.table["se_hc3"].to_numpy() == pytest.approx(hc3)
    assert fit.table["se_cluster"].to_numpy() == pytest.approx(cl)
    assert fit.clusters == 8 and fit.n == n
    # p from t with clusters - 1 df
    t = fit.table.at["x", "coef"] / fit.table.at["x", "se_cluster"]
    from scipy import stats
    assert fit.table.at["x", "p_cluster"] == pytest.approx(2 * stats.t.sf(abs(t), 7))


def test_regress_with_fixed_effects_matches_statsmodels_formula():
    import statsmodels.formula.api as smf
    n = 60
    frame = pd.DataFrame({"x": RNG.normal(size=n), "s": np.tile(["p", "q", "r"], 20)})
    frame["y"] = frame["x"] + frame["s"].map({"p": 0, "q": 1, "r": -1}) + RNG.normal(size=n)
    fit = xs.regress(frame, "y", ["x"], dummies="s")
    ref = smf.ols("y ~ x + C(s)", frame).fit(cov_type="HC3")
    assert fit.r2 == pytest.approx(ref.rsquared) and \
        fit.table.at["x", "se_hc3"] == pytest.approx(ref.bse["x"])


def test_quantiles_ranks_and_the_hypergeometric_tail_by_hand():
    q = xs.quantile_table(pd.Series(range(10), dtype=float), pd.Series(np.arange(10) / 10),
                          pd.Series([True] * 3 + [False] * 7), q=5)
    assert q["n"].tolist() == [2] * 5 and q["mean"].tolist() == pytest.approx(
        [0.05, 0.25, 0.45, 0.65, 0.85])
    assert q["share_fell"].tolist() == [1.0, 0.5, 0, 0, 0]
    assert xs.rank_of(-5.0, np.array([-1.0, -6.0, 2.0]), largest=False) == (2, 4, 2 / 3)
    assert xs.rank_of(9.0, np.array([1.0, 2.0]))[:2] == (1, 3)
    # P(X >= 2) drawing 3 of 10 with 4 marked
    hand = sum(comb(4, k) * comb(6, 3 - k) for k in (2, 3)) / comb(10, 3)
    assert xs.overrepresented(2, 3, 4, 10) == pytest.approx(hand)


def test_usable_days_hand_case():
    sessions = pd.bdate_range("2024-01-01", periods=30)
    keep = xs.usable_days(sessions, [pd.Timestamp("2024-01-06")],          # a Saturday
                          [(sessions[20], sessions[22])], margin=2)
    dropped = set(np.flatnonzero(~keep))
    # the Saturday's first session is Monday 8 Jan (position 5): 3..7; the span 18..24
    assert dropped == set(range(3, 8)) | set(range(18, 25))


# --- the oracle: the raw panel with plain pandas/numpy ---------------------------------------

@pytest.fixture(scope="module")
def raw():
    if not (SNAPSHOT / "panel" / "closes.csv").is_file():
        pytest.skip(f"no panel at {SNAPSHOT / 'panel'}")
    closes = pd.read_csv(SNAPSHOT / "panel" / "closes.csv", index_col=0, parse_dates=True)
    members = pd.read_csv(SNAPSHOT / "panel" / "members.csv", keep_default_na=False)
    rets = (closes / closes.shift(1) - 1).iloc[1:]
    stocks = list(members.loc[members["kind"] == "sp500", "ticker"])
    sox = pd.read_csv(SNAPSHOT / "prices" / "INDEX_SOX.csv", parse_dates=["date"])
    sox = sox.set_index("date")["close"].pct_change().reindex(rets.index)
    events = pd.read_csv(ROOT / "data" / "events.csv", parse_dates=["date"])
    v3 = events.loc[events["category"] == "DeepSeek", "date"].min()
    window = rets.index[(rets.index.year == v3.year) & (rets.index < v3)]
    total, count = rets[stocks].sum(axis=1), rets[stocks].notna().sum(axis=1)
    return {"r": rets, "stocks": stocks, "sox": sox, "window": window, "members": members,
            "total": total, "count": count}


def _market(raw, ticker):
    """The mean return of the other members (Alphabet's other share class left out too)."""
    own = [ticker, *{"GOOGL": ["GOOG"], "GOOG": ["GOOGL"]}.get(ticker, [])]
    r = raw["r"][own]
    return (raw["total"] - r.sum(axis=1)) / (raw["count"] - r.notna().sum(axis=1))


def _oracle_ar(raw, ticker):
    r = raw["r"]
    i0 = r.index.get_loc(EVENT)
    m = _market(raw, ticker)
    y, x = r[ticker].iloc[i0 - 250:i0 - 10], m.iloc[i0 - 250:i0 - 10]   # sessions -250..-11
    b, a = np.polyfit(x, y, 1)
    ar = r[ticker] - a - b * m
    return ar.iloc[i0], ar.iloc[i0:i0 + 2].sum(), ar.iloc[i0:i0 + 6].sum()


@pytest.mark.parametrize("ticker", ["NVDA", "VST", "AAPL"])
def test_day0_abnormal_returns_match_the_oracle(raw, ticker):
    from deepshock.story import crosssection as cs
    row = cs.stocks().set_index("ticker").loc[ticker]
    ar0, ar1, ar5 = _oracle_ar(raw, ticker)
    assert row["ar0"] == pytest.approx(ar0, abs=1e-10)
    assert row["car01"] == pytest.approx(ar1, abs=1e-10)
    assert row["car05"] == pytest.approx(ar5, abs=1e-10)


def test_published_abnormal_returns_are_the_days_real_moves(raw):
    """Pinned outcomes: Nvidia about 17% below its benchmark, Vistra worse, Apple above."""
    nv, vst, aapl = (_oracle_ar(raw, t)[0] for t in ("NVDA", "VST", "AAPL"))
    assert -0.18 < nv < -0.17 and vst < nv and aapl > 0.02


def test_chip_regression_matches_an_oracle_over_all_members(raw):
    """The headline slope and R²: every member's 2024 chip slope and day-0 abnormal return
    recomputed here, then one statsmodels OLS."""
    from deepshock.story import crosssection as cs
    r, window = raw["r"], raw["window"]
    need = np.ceil(0.8 * len(window))
    rows = []
    for t in raw["stocks"]:
        m = _market(raw, t)
        data = pd.DataFrame({"y": r.loc[window, t], "m": m[window], "s": raw["sox"][window]})
        data = data.dropna()
        if len(data) < need or r[t].iloc[r.index.get_loc(EVENT) - 250:].notna().sum() < 200:
            continue
        coef = np.linalg.lstsq(np.column_stack([np.ones(len(data)), data["m"], data["s"]]),
                               data["y"], rcond=None)[0]
        rows.append((t, coef[2], _oracle_ar(raw, t)[0]))
    frame = pd.DataFrame(rows, columns=["ticker", "chip", "ar0"])
    ref = sm.OLS(frame["ar0"], sm.add_constant(frame["chip"])).fit()
    fit = cs.models(cs.model_sample())["chip"]
    assert fit.n == len(frame)
    assert fit.table.at["chip", "coef"] == pytest.approx(ref.params["chip"], rel=1e-8)
    assert fit.r2 == pytest.approx(ref.rsquared, rel=1e-8)
    assert ref.params["chip"] < -0.05 and ref.rsquared > 0.3   # the finding itself


def test_vectorized_day0_regressions_equal_statsmodels():
    from deepshock.story import crosssection as cs
    day0, fits = cs.event_day(), cs.models(cs.model_sample())
    assert day0["chip_slope"] == pytest.approx(fits["chip"].table.at["chip", "coef"], rel=1e-9)
    assert day0["chip_r2"] == pytest.approx(fits["chip"].r2, rel=1e-9)
    assert day0["r2_exposures"] == pytest.approx(fits["exposures"].r2, rel=1e-9)
    assert day0["r2_sectors"] == pytest.approx(fits["sectors"].r2, rel=1e-9)
    assert day0["chip_z"] == pytest.approx(fits["exposures"].table.at["chip_z", "coef"])


def test_exposure_window_is_2024_up_to_the_session_before_v3(raw):
    from deepshock.story import crosssection as cs
    first, last = cs.exposure_window()
    assert (first, last) == (raw["window"][0], raw["window"][-1])
    assert last == pd.Timestamp("2024-12-24")


# --- the placebo's exclusion rule -------------------------------------------------------------

def test_placebo_days_keep_clear_of_every_news_date_and_the_event_window(raw):
    from deepshock.story import crosssection as cs
    days = cs.placebo_days()
    sessions = raw["r"].index
    pos = {d: i for i, d in enumerate(sessions)}
    news = pd.concat([pd.read_csv(ROOT / "data" / f, parse_dates=["date"])["date"]
                      for f in ("shocks.csv", "confounders.csv")])
    first_session = [sessions[sessions.searchsorted(d)] for d in news]
    start = sessions.searchsorted(pd.Timestamp("2024-12-26"))
    end = sessions.get_loc(EVENT) + 5
    for d in days:
        p = pos[d]
        assert all(abs(p - pos[s]) > cs.MARGIN for s in first_session)
        assert p < start - cs.MARGIN or p > end + cs.MARGIN
    assert len(days) >= 500
    # and nothing else is dropped: the kept days are exactly the sessions the rule allows
    allowed = [s for s in sessions if all(abs(pos[s] - pos[f]) > cs.MARGIN for f in first_session)
               and (pos[s] < start - cs.MARGIN or pos[s] > end + cs.MARGIN)]
    assert list(days) == allowed
    assert len(cs.placebo()) == len(days)


def test_day0_is_unusual_against_the_placebo():
    from deepshock.story import crosssection as cs
    daily, day0 = cs.placebo(), cs.event_day()
    assert (daily["chip_slope"] > day0["chip_slope"]).all()
    assert (daily["chip_r2"] < day0["chip_r2"]).mean() > 0.95


# --- survivorship ------------------------------------------------------------------------------

def test_survivorship_filter_drops_exactly_the_later_additions(raw):
    from deepshock.story import crosssection as cs
    changes = pd.read_csv(ROOT / "data" / "index_changes.csv", parse_dates=["date"])
    assert (changes["source"].str.strip() != "").all()
    later = set(changes.loc[(changes["kind"] == "addition") & (changes["date"] > EVENT),
                            "added"]) & set(raw["stocks"])
    frame = cs.stocks()
    gone = set(frame.loc[(frame["kind"] == "sp500") & ~frame["member_then"], "ticker"])
    assert gone == later
    assert {"DASH", "APP", "EME"} <= gone and not {"APO", "WDAY", "PSKY"} & gone
    ret0 = raw["r"].loc[EVENT, [s for s in raw["stocks"] if s not in later]]
    ch = cs.breadth(frame.loc[(frame["kind"] == "sp500") & frame["member_then"]])
    assert (ch["n"], ch["fell"], ch["rose"]) == (len(ret0), int((ret0 < 0).sum()),
                                                 int((ret0 > 0).sum()))


def test_a_change_with_a_bad_kind_or_dates_is_rejected(book):
    from deepshock.data import context
    path = book / "index_changes.csv"
    text = path.read_text(encoding="utf-8").splitlines()
    for row, problem in [("2025-03-24,ZZZ,Z,,,merger,2025-03-07,test,confirmed",
                          "kind 'merger' is not one of ['addition', 'successor']"),
                         ("2025-03-24,ZZZ,Z,,,addition,2025-03-30,test,confirmed",
                          "announced after its effective date"),
                         ("2025-03-24,ZZZ,Z,,,addition,2025-03-07,,confirmed",
                          "row has no source")]:
        path.write_text("\n".join([*text, row]) + "\n", encoding="utf-8")
        context._index_changes.cache_clear()
        exactly(f"{path}: line {len(text) + 1}: {problem}", context.index_changes)
    context._index_changes.cache_clear()


# --- the charts' titles come from the frames they draw ------------------------------------------

def test_chart_titles_are_computed_from_the_drawn_frames():
    from deepshock.story import crosssection as cs
    from deepshock.story.crosssection import charts as cc
    ch = cs.chapter()
    chart, data = ch.figures["fig-xs-quintiles"]
    title = chart.to_dict()["title"]["text"]
    top = data.iloc[-1]
    assert f"fell {abs(top['ar_pct']):.1f}%" in title and f"{top['fell_pct']:.0f}% of" in title
    chart, data = ch.figures["fig-xs-beyond"]
    falls = data.loc[data["beyond_pct"] < 0]
    themed = int((falls.head(cc.N_SHOWN)["theme"] != "other").sum())
    words = ["no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"]
    assert f"{words[themed]} of the ten largest" in chart.to_dict()["title"]["text"]
    chart, data = ch.figures["fig-xs-placebo"]
    rest = data.loc[data["kind"] != "27 January 2025"]
    assert f"any of {len(rest)} ordinary sessions" in chart.to_dict()["title"]["text"]
    # a title computed from fewer rows says so: the helper is not a constant
    fewer = cc.placebo_chart(data.iloc[5:])
    assert f"any of {len(rest) - 5} ordinary" in fewer.to_dict()["title"]["text"]
