"""The cross-section's model (`story.crosssection.model`): every column of `stocks()`, the
placebo's regressions, the windows, the survivorship filter, the thesis count and the chapter's
corrections, on the data against the oracle recomputed from the raw snapshot files
(`tests/oracle/crosssection.py`, plain numpy least squares; `methods/` only where a value comes
from a model), and the small rules (unclassified members, the funds' benchmark, joins, breadth,
the thesis and the ranks) on made-up frames written out here. Fast: no book, no kernel.

Every test starts from empty caches and computes (never the artefact store), so that each one
runs the code it checks (`fresh`)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats
from statsmodels.stats.multitest import multipletests

from deepshock.data import artefacts
from deepshock.methods import crosssection as xs
from deepshock.story.crosssection import model as cs
from tests.oracle import crosssection as O, raw

T = pd.Timestamp
SHOCK = T("2025-01-27")
Z = ["chip_z", "beta_z", "momentum_z", "volatility_z"]
# the thesis's industries and groups, restated from the chapter's prose
GROUPS = {"Utilities - Independent Power Producers": "power producers",
          "Utilities - Renewable": "power producers",
          "Electrical Equipment & Parts": "data-centre equipment",
          "Specialty Industrial Machinery": "data-centre equipment",
          "Engineering & Construction": "data-centre equipment",
          "Computer Hardware": "data-centre equipment",
          "Electronic Components": "data-centre equipment",
          "Oil & Gas Midstream": "gas", "Oil & Gas E&P": "gas"}


def _clear():
    for f in (cs.panel, cs.benchmarks, cs.data):
        getattr(f, "cache_clear", lambda: None)()    # a test may have replaced `data`


@pytest.fixture
def fresh(monkeypatch):
    """Empty caches, and `artefacts.keep` computing instead of reading the store."""
    _clear()
    monkeypatch.setattr(artefacts, "keep", lambda name, compute, *parts, **kw: compute())
    yield cs
    _clear()


# --- the oracle on the data -----------------------------------------------------------------

def _ar_all() -> pd.DataFrame:
    """Abnormal returns (date x member) of every member with a market-model fit."""
    r, m = raw.panel_rets()[raw.sp500()], O.market()
    i0 = int(r.index.searchsorted(SHOCK))
    out = {}
    for t in r.columns:
        y, x = r[t].to_numpy(), m[t].to_numpy()
        fit = O.ols(y[i0 - 250:i0 - 10], x[i0 - 250:i0 - 10], need=192)
        if fit is not None:
            out[t] = y - fit[0] - fit[1] * x
    return pd.DataFrame(out, index=r.index)


def test_panel_benchmarks_and_the_event_row(fresh):
    returns, members = cs.panel()
    assert list(returns.index) == list(raw.panel_rets().index)
    assert np.allclose(returns[raw.panel_rets().columns].to_numpy(), raw.panel_rets().to_numpy(),
                       equal_nan=True)
    assert list(cs.stock_tickers()) == list(members.index[members["kind"] == "sp500"])
    assert sorted(cs.stock_tickers()) == raw.sp500()
    bench = cs.benchmarks()
    assert list(bench.columns) == list(returns.columns)
    loo = O.market()
    assert np.allclose(bench[loo.columns].to_numpy(), loo.to_numpy(), atol=1e-13, equal_nan=True)
    funds = [t for t in returns.columns if t not in loo.columns]
    assert funds and all(np.allclose(bench[f], O.full_market(), atol=1e-13, equal_nan=True)
                         for f in funds)
    assert returns.index[cs.event_row()] == SHOCK
    assert cs.event_row() == int(raw.panel_rets().index.get_loc(SHOCK))


def test_every_members_returns_fits_and_exposures_match_the_oracle(fresh):
    frame = cs.stocks().set_index("ticker")
    want = O.stocks()
    model = frame.loc[frame["in_model"]]
    assert set(model.index) == set(want.index)
    for col in ("ret0", "alpha", "mm_beta", "ar0", "chip", "beta", "momentum", "volatility"):
        assert np.allclose(model.loc[want.index, col].astype(float), want[col].astype(float),
                           rtol=1e-9, atol=1e-12), col
    # the abnormal returns of every member with a fit, and the windows [0,+1], [0,+5]
    ar = _ar_all()
    i0 = int(ar.index.get_loc(SHOCK))
    members = frame.loc[frame["kind"] == "sp500"]
    assert set(members.index[members["ar0"].notna()]) == set(ar.columns[ar.iloc[i0].notna()])
    for col, (a, b) in (("ar0", (0, 0)), ("car01", (0, 1)), ("car05", (0, 5))):
        got = members[col].reindex(ar.columns).to_numpy(float)
        exp = ar.iloc[i0 + a:i0 + b + 1].sum(min_count=b - a + 1).to_numpy(float)
        assert np.allclose(got, exp, atol=1e-12, equal_nan=True), col
    r = raw.panel_rets()
    assert np.allclose(frame["ret0"].to_numpy(float), r.loc[SHOCK, frame.index].to_numpy(float),
                       equal_nan=True)
    assert np.allclose(members["mret0"].to_numpy(float),
                       O.market().loc[SHOCK, members.index].to_numpy(float))
    # days behind each fit
    rows = r.index[i0 - 250:i0 - 10]
    assert (members["est_days"] == r.loc[rows, members.index].notna().sum()).all()
    first, last = O.exposure_window()
    win = r.loc[first:last, members.index]
    ok = win.notna() & raw.rets("^SOX").reindex(win.index).notna().to_numpy()[:, None]
    assert (members["exposure_days"] == ok.sum()).all()


def test_z_scores_fit_beyond_ranks_and_fifths_match_the_oracle(fresh):
    frame = cs.stocks().set_index("ticker")
    want, model = O.stocks(), frame.loc[frame["in_model"]]
    for c in ("chip", "beta", "momentum", "volatility"):
        z = (want[c] - want[c].mean()) / want[c].std(ddof=1)
        assert np.allclose(model.loc[want.index, f"{c}_z"], z, atol=1e-10), c
    resid, _ = O.exposures_fit()
    assert np.allclose(model.loc[resid.index, "beyond"], resid, atol=1e-12)
    assert np.allclose(model.loc[resid.index, "fitted"], want["ar0"] - resid, atol=1e-12)
    assert frame.loc[~frame["in_model"], ["beyond", "fitted", "chip_quintile"]].isna().all().all()
    # ranks: 1 = the largest fall, among the members (abnormal) and the sample (beyond)
    members = frame.loc[frame["kind"] == "sp500", "ar0"].dropna()
    assert (frame.loc[members.index, "rank_fall"]
            == members.rank(method="min")).all()
    assert frame.loc[frame["kind"] != "sp500", "rank_fall"].isna().all()
    assert (model["rank_beyond"] == (resid.rank(method="min")).reindex(model.index)).all()
    assert frame.at["VST", "rank_beyond"] == 1 and frame.at[resid.idxmin(), "rank_beyond"] == 1
    q = pd.qcut(want["chip"], 5, labels=False) + 1
    assert (model.loc[want.index, "chip_quintile"] == q).all()
    assert sorted(model["chip_quintile"].unique()) == [1, 2, 3, 4, 5]


def test_names_themes_first_closes_and_joins(fresh):
    frame = cs.stocks().set_index("ticker")
    members = raw.panel_members().sort_index()
    assert list(frame.index) == list(members.index)
    assert (frame["kind"] == members["kind"]).all()
    assert (frame["name"] == members["name"].str.strip()).all()
    stock = members["kind"] == "sp500"
    for col in ("sector", "industry"):
        want = members[col].where((members[col] != "") | ~stock, "Not classified")
        assert (frame[col] == want).all(), col
    assert (frame["theme"] == frame["industry"].map(GROUPS).fillna("")).all()
    assert frame.at["VST", "theme"] == "power producers"
    closes = raw.panel_closes()
    first = closes.apply(lambda c: c.first_valid_index()).reindex(frame.index)
    assert (frame["first_close"] == first).all()
    changes = raw.facts("index_changes")
    later = changes.loc[(changes["kind"] == "addition") & (pd.to_datetime(changes["date"]) > SHOCK)]
    joined = pd.to_datetime(later.set_index("added")["date"])
    assert (frame["joined"].dropna() == joined.reindex(frame.index).dropna()).all()
    assert set(frame.index[frame["joined"].notna()]) == set(joined.index) & set(frame.index)
    assert (frame["member_then"] == (frame["joined"].isna() & stock)).all()
    assert not frame.loc[~stock, "member_then"].any() and not frame.loc[~stock, "in_model"].any()


def test_windows_chip_excess_and_the_placebo_rows(fresh):
    d = cs.data()
    r = raw.panel_rets()
    i0 = int(r.index.get_loc(SHOCK))
    assert d.window == O.exposure_window() == (T("2024-01-02"), T("2024-12-24"))
    assert d.estimation == (r.index[i0 - 250], r.index[i0 - 11])
    sox = raw.rets("^SOX")
    assert d.chip_excess == pytest.approx(sox[SHOCK] - r.loc[SHOCK, raw.sp500()].mean(), abs=1e-12)
    assert cs.chip_excess() == pytest.approx(d.chip_excess, abs=1e-15)
    days = O.placebo_days()
    assert list(d.placebo["date"]) == list(days) == list(cs.placebo_days())
    want = O.placebo()
    assert np.allclose(d.placebo["chip_slope"], want["slope"], atol=1e-12)
    assert np.allclose(d.placebo["chip_r2"], want["r2"], atol=1e-10)
    slope, r2 = O.day_fit(SHOCK)
    assert d.day0["date"] == SHOCK
    assert d.day0["chip_slope"] == pytest.approx(slope, abs=1e-12)
    assert d.day0["chip_r2"] == pytest.approx(r2, abs=1e-10)
    est = r.index[i0 - 250:i0 - 10]
    first, last = d.window
    inside = days.isin(est) | ((days >= first) & (days <= last))
    assert (d.placebo["in_sample"].to_numpy() == inside).all()
    assert 0 < inside.sum() < len(days) and not d.day0["in_sample"]
    assert (d.placebo["market"].to_numpy() ==
            pytest.approx(r.loc[days, raw.sp500()].mean(axis=1).to_numpy(), abs=1e-13))
    assert np.allclose(d.placebo["sox"], sox.reindex(days), atol=1e-13, equal_nan=True)
    assert cs.placebo() is d.placebo and cs.event_day() is d.day0
    assert cs.stocks() is d.stocks


def test_the_daily_exposure_and_sector_regressions_match_least_squares(fresh):
    d = cs.data()
    sample = O.stocks()
    z = np.column_stack([(sample[c] - sample[c].mean()) / sample[c].std(ddof=1)
                         for c in ("chip", "beta", "momentum", "volatility")])
    sectors = pd.get_dummies(raw.panel_members().loc[sample.index, "sector"], drop_first=True,
                             dtype=float).to_numpy()
    r, m = raw.panel_rets(), O.market()
    rows = pd.concat([d.placebo.iloc[[0, 100, 300, -1]], d.day0.to_frame().T])
    for _, row in rows.iterrows():
        day = row["date"]
        y = (r.loc[day, sample.index] - sample["alpha"] - sample["mm_beta"]
             * m.loc[day, sample.index]).to_numpy(float)
        ok = np.isfinite(y)
        for x, r2_col in ((z, "r2_exposures"), (np.column_stack([z, sectors]), "r2_sectors")):
            fit = sm.OLS(y[ok], sm.add_constant(x[ok])).fit()
            assert row[r2_col] == pytest.approx(fit.rsquared, abs=1e-10), (day, r2_col)
            if r2_col == "r2_exposures":
                assert [row[c] for c in Z] == pytest.approx(list(fit.params[1:]), abs=1e-12)
        assert row["n"] == ok.sum()


# --- regressions, corrections and counts of the chapter -----------------------------------------

def test_models_are_the_three_specifications(fresh):
    sample = cs.model_sample()
    fits = cs.models(sample)
    assert list(fits) == ["chip", "exposures", "sectors"]
    assert list(fits["chip"].table.index) == ["const", "chip"]
    assert list(fits["exposures"].table.index) == ["const", *Z]
    groups = pd.factorize(sample["industry"])[0]
    for name, x in (("chip", sample[["chip"]]), ("exposures", sample[Z])):
        ref = sm.OLS(sample["ar0"], sm.add_constant(x)).fit(
            cov_type="cluster", cov_kwds={"groups": groups}, use_t=True)
        assert fits[name].table["coef"].to_numpy() == pytest.approx(ref.params.to_numpy())
        assert fits[name].table["se_cluster"].to_numpy() == pytest.approx(ref.bse.to_numpy())
        assert fits[name].clusters == sample["industry"].nunique()
    assert fits["sectors"].n == len(sample)
    dummies = pd.get_dummies(sample["sector"], drop_first=True, dtype=float)
    ref = sm.OLS(sample["ar0"], sm.add_constant(pd.concat([sample[Z], dummies], axis=1))).fit()
    assert fits["sectors"].r2 == pytest.approx(ref.rsquared)
    one = cs.models(sample, "car05", only="exposures")
    assert list(one) == ["exposures"]
    ref = sm.OLS(sample["car05"], sm.add_constant(sample[Z])).fit()
    assert one["exposures"].table["coef"].to_numpy() == pytest.approx(ref.params.to_numpy())
    then = cs.model_sample(then=True)
    assert then["member_then"].all() and len(then) == sample["member_then"].sum() < len(sample)


def test_chapter_corrections_counts_and_windows(fresh):
    ch = cs.chapter()
    sample, want = ch.sample, O.stocks()
    assert set(sample["ticker"]) == set(want.index)
    p_chip = ch.fits["chip"].table.at["chip", "p_cluster"]
    t = O.thesis()
    p_thesis = stats.hypergeom.sf(t["hits"] - 1, t["n"], t["marked"], cs.N_TOP)
    assert ch.thesis["p"] == pytest.approx(p_thesis)
    assert (ch.thesis["hits"], ch.thesis["marked"], ch.thesis["n"]) == (
        t["hits"], t["marked"], t["n"])
    assert ch.holm_primary == pytest.approx(multipletests([p_chip, p_thesis], method="holm")[1].max())
    ps = [ch.fits["exposures"].table.at[k, "p_cluster"] for k in Z]
    assert list(ch.holm_exposures) == Z
    assert list(ch.holm_exposures.values()) == pytest.approx(
        list(multipletests(ps, method="holm")[1]))
    assert ch.windows["[0]"] is ch.fits["exposures"]
    for w, y in (("[0,+1]", "car01"), ("[0,+5]", "car05")):
        ref = sm.OLS(sample[y], sm.add_constant(sample[Z])).fit()
        assert ch.windows[w].table["coef"].to_numpy() == pytest.approx(ref.params.to_numpy()), w
    then = sample.loc[sample["member_then"]]
    ref = sm.OLS(then["ar0"], sm.add_constant(then[["chip"]])).fit()
    assert ch.then["chip"].table.at["chip", "coef"] == pytest.approx(ref.params["chip"])
    assert ch.thesis_then["n"] == len(then)
    r0 = raw.panel_rets().loc[SHOCK, raw.sp500()]
    assert ch.breadth == {"n": len(r0), "fell": int((r0 < 0).sum()), "rose": int((r0 > 0).sum())}
    assert ch.breadth_then["n"] == ch.stocks["member_then"].sum()
    fifths = O.fifths()
    assert ch.quintiles["mean"].to_numpy() == pytest.approx(fifths["mean"].to_numpy())
    assert ch.quintiles["share_fell"].to_numpy() == pytest.approx(fifths["fell"].to_numpy())
    members = ch.stocks.loc[ch.stocks["kind"] == "sp500"]
    assert list(ch.left_out["ticker"]) == list(members.loc[~members["in_model"], "ticker"])
    assert len(ch.left_out) == len(members) - len(sample) > 0
    assert ch.placebo["day0"].eq(False).all() and len(ch.placebo) == len(O.placebo())
    assert ch.window == O.exposure_window() and ch.chip_excess == cs.chip_excess()
    assert len(ch.changes) == len(raw.facts("index_changes"))
    assert set(ch.figures) == {"fig-xs-quintiles", "fig-xs-beyond", "fig-xs-placebo"}
    daily = ch.placebo
    slope = ch.ranks[("slope", "all")]
    assert slope == (int((daily["chip_slope"] < cs.event_day()["chip_slope"]).sum()) + 1,
                     len(daily) + 1, pytest.approx(float((daily["chip_slope"] >
                                                          cs.event_day()["chip_slope"]).mean())))


# --- made-up frames -------------------------------------------------------------------------------

def test_ranks_by_hand():
    daily = pd.DataFrame({"chip_slope": [-0.02, 0.01, -0.05, 0.03],
                          "chip_r2": [0.1, 0.5, 0.2, 0.05],
                          "r2_exposures": [0.3, 0.2, 0.6, 0.7],
                          "r2_sectors": [0.6, 0.7, 0.8, 0.2],
                          "in_sample": [True, False, False, True]})
    day0 = pd.Series({"chip_slope": -0.03, "chip_r2": 0.3, "r2_exposures": 0.25,
                      "r2_sectors": 0.5})
    got = cs._ranks(daily, day0)
    assert got[("slope", "all")] == (2, 5, 0.75)       # only -0.05 is steeper
    assert got[("slope", "out")] == (2, 3, 0.5)
    assert got[("r2", "all")] == (2, 5, 0.75)          # only 0.5 is higher
    assert got[("r2", "out")] == (2, 3, 0.5)
    assert got[("r2_exposures", "all")] == (4, 5, 0.25)   # the largest ranks first
    assert got[("r2_exposures", "out")] == (2, 3, 0.5)
    assert got[("r2_sectors", "all")] == (4, 5, 0.25)
    assert got[("r2_sectors", "out")] == (3, 3, 0.0)
    assert got["abs_slope"] == (2, 5, 0.5)             # only |-0.05| beyond |-0.03|
    assert len(got) == 9


def test_breadth_counts_falls_and_rises_not_flat_or_missing():
    frame = pd.DataFrame({"ret0": [-0.01, 0.0, 0.02, np.nan, -0.3, 0.001]})
    assert cs.breadth(frame) == {"n": 5, "fell": 2, "rose": 2}


def test_thesis_counts_the_themed_among_the_largest_falls_beyond():
    sample = pd.DataFrame({
        "ticker": list("ABCDEFGH"),
        "beyond": [-0.09, -0.08, -0.07, 0.01, -0.06, 0.02, 0.03, -0.01],
        "theme": ["gas", "", "power producers", "gas", "power producers", "", "", ""]})
    got = cs.thesis(sample, top=3)
    assert (got["top"], got["hits"], got["marked"], got["n"]) == (3, 2, 4, 8)
    assert got["expected"] == pytest.approx(3 * 4 / 8)
    assert got["p"] == pytest.approx(stats.hypergeom.sf(1, 8, 4, 3))
    assert got["by_theme"].to_dict() == {"gas": 1, "power producers": 1}
    assert list(got["worst"]["ticker"]) == ["A", "B", "C"]
    assert list(got["others"]["ticker"]) == ["B"]
    assert cs.thesis(sample)["top"] == cs.N_TOP == 20


def test_model_sample_and_joined_after(monkeypatch):
    frame = pd.DataFrame({"ticker": list("ABCD"), "in_model": [True, True, False, True],
                          "member_then": [True, False, True, True]})
    assert list(cs.model_sample(frame)["ticker"]) == ["A", "B", "D"]
    assert list(cs.model_sample(frame, then=True)["ticker"]) == ["A", "D"]
    changes = pd.DataFrame({
        "date": pd.to_datetime(["2025-01-27", "2025-01-28", "2024-12-23", "2025-03-24",
                                "2025-06-01"]),
        "added": ["SAME", "NEXT", "OLD", "LATE", "SPUN"],
        "kind": ["addition", "addition", "addition", "addition", "successor"]})
    monkeypatch.setattr(cs.context, "index_changes", lambda: changes)
    got = cs.joined_after()
    assert got.to_dict() == {"NEXT": T("2025-01-28"), "LATE": T("2025-03-24")}
    assert got.name == "joined"
    assert cs.joined_after(T("2024-12-01")).to_dict() == {
        "SAME": T("2025-01-27"), "NEXT": T("2025-01-28"), "OLD": T("2024-12-23"),
        "LATE": T("2025-03-24")}


@pytest.fixture
def small(monkeypatch):
    """A made-up panel: 40 members (Alphabet's two classes among them) and a fund, sessions from
    2023 to 2025, one member unclassified and one listed late; events with DeepSeek's first
    release on Thursday 26 December 2024."""
    rng = np.random.default_rng(5)
    dates = pd.bdate_range("2023-06-01", "2025-03-31")
    stocks = ["GOOG", "GOOGL", *[f"S{i:02d}" for i in range(38)]]
    r = pd.DataFrame(rng.normal(0, 0.01, (len(dates), len(stocks) + 1)), index=dates,
                     columns=[*stocks, "FUND"]).rename_axis("date")
    r.loc[:"2024-09-30", "S31"] = np.nan         # listed late: no fit, no exposures
    i0, win = dates.get_loc(SHOCK), dates[(dates >= "2024-01-01") & (dates <= "2024-12-25")]
    need_win = int(np.ceil(0.8 * len(win)))
    r.iloc[:i0 - 250 + 48, r.columns.get_loc("S30")] = np.nan     # 192 of 240: just enough
    r.iloc[:i0 - 250 + 49, r.columns.get_loc("S27")] = np.nan     # 191: too few
    r.loc[:win[len(win) - need_win - 1], "S29"] = np.nan           # just enough in 2024
    r.loc[:win[len(win) - need_win], "S28"] = np.nan               # one day short
    members = pd.DataFrame({"ticker": r.columns,
                            "kind": ["sp500"] * len(stocks) + ["etf"],
                            "name": [f"{t} Inc." for t in r.columns],
                            "sector": ["Tech"] * len(stocks) + [""],
                            "industry": ["Semiconductors"] * len(stocks) + [""]})
    members.loc[members["ticker"] == "S05", ["sector", "industry"]] = ""
    sox = pd.DataFrame({"date": dates, "ret": rng.normal(0, 0.02, len(dates))})
    events = pd.DataFrame({"date": pd.to_datetime(["2024-11-20", "2024-12-26", "2025-01-20"]),
                           "category": ["Other", "DeepSeek", "DeepSeek"]})
    _clear()
    monkeypatch.setattr(artefacts, "keep", lambda name, compute, *parts, **kw: compute())
    monkeypatch.setattr(cs.load, "panel_returns", lambda: r.copy())
    monkeypatch.setattr(cs.load, "panel_members", lambda: members.copy())
    monkeypatch.setattr(cs.load, "returns", lambda t: sox.copy())
    monkeypatch.setattr(cs.facts, "events", lambda: events)
    yield r, members, sox
    _clear()


def test_made_up_panel_benchmarks_and_windows(small):
    r, members, sox = small
    returns, got = cs.panel()
    assert got.at["S05", "sector"] == got.at["S05", "industry"] == "Not classified"
    assert got.at["FUND", "sector"] == got.at["FUND", "industry"] == ""
    assert got.at["S06", "industry"] == "Semiconductors" and got.index.name == "ticker"
    assert cs.stock_tickers() == list(r.columns[:-1])
    bench = cs.benchmarks()
    day = T("2024-12-02")
    row = r.loc[day]
    assert bench.at[day, "S00"] == pytest.approx(row[r.columns[:-1]].drop("S00").mean())
    assert bench.at[day, "GOOG"] == pytest.approx(row[r.columns[2:-1]].mean())
    assert bench.at[day, "GOOGL"] == pytest.approx(row[r.columns[2:-1]].mean())
    assert bench.at[day, "FUND"] == pytest.approx(row[r.columns[:-1]].mean())
    assert list(bench.columns) == list(r.columns)
    assert cs.exposure_window() == (T("2024-01-01"), T("2024-12-25"))
    assert r.index[cs.event_row()] == SHOCK
    ex = cs._exposures()
    win = r.loc["2024-01-01":"2024-12-25"]
    s, m = sox.set_index("date")["ret"].loc[win.index], bench.loc[win.index]
    for t in ("S00", "GOOG", "FUND"):
        ok = (m[t].notna() & win[t].notna()).to_numpy()
        x = np.column_stack([np.ones(len(win)), m[t], s])[ok]
        coef = np.linalg.lstsq(x, win[t][ok], rcond=None)[0]
        one = np.linalg.lstsq(x[:, :2], win[t][ok], rcond=None)[0]
        assert ex.at[t, "chip"] == pytest.approx(coef[2]) and ex.at[t, "beta"] == pytest.approx(one[1])
        assert ex.at[t, "momentum"] == pytest.approx(np.prod(1 + win[t]) - 1)
        assert ex.at[t, "volatility"] == pytest.approx(win[t].std(ddof=1) * np.sqrt(252))
        assert ex.at[t, "exposure_days"] == ok.sum() > 200
    assert ex.loc["S31", ["chip", "beta", "momentum", "volatility"]].isna().all()
    ar, fits = cs._abnormal()
    i0 = cs.event_row()
    rows = slice(i0 - 250, i0 - 10)
    for t in ("S00", "FUND"):
        ok = (bench[t].iloc[rows].notna() & r[t].iloc[rows].notna()).to_numpy()
        b, a = np.polyfit(bench[t].iloc[rows][ok], r[t].iloc[rows][ok], 1)
        assert fits.coef[list(r.columns).index(t)] == pytest.approx([a, b])
        assert ar[t].iloc[i0] == pytest.approx(r[t].iloc[i0] - a - b * bench[t].iloc[i0])
    assert np.isnan(ar["S31"]).all()
    frame = cs._frame().set_index("ticker")          # no fit: no abnormal return in any window
    assert frame.loc[["S31", "S27"], ["ar0", "car01", "car05"]].isna().all().all()
    assert frame.loc["S30", "car05"] == pytest.approx(ar["S30"].iloc[i0:i0 + 6].sum())
    n = dict(zip(r.columns, fits.n))
    assert (n["S30"], n["S27"], n["S00"]) == (192, 191, 240)
    assert np.isfinite(ar["S30"].iloc[i0]) and np.isnan(ar["S27"]).all()
    days = int(np.ceil(0.8 * len(win)))
    assert ex.at["S29", "exposure_days"] == days and ex.at["S28", "exposure_days"] == days - 1
    assert ex.loc["S29", ["chip", "beta", "momentum", "volatility"]].notna().all()
    assert ex.loc["S28", ["chip", "beta", "momentum", "volatility"]].isna().all()


def test_a_flat_day_zero_is_not_a_fall(fresh, monkeypatch):
    """A member whose price did not move on day 0 neither fell nor rose (none did in 2025;
    one is made flat here)."""
    import dataclasses
    d = cs.data()
    frame = d.stocks.copy()
    flat = frame.index[frame["in_model"] & (frame["chip_quintile"] == 5)][0]
    frame.loc[flat, "ret0"] = 0.0
    monkeypatch.setattr(cs, "data", lambda: dataclasses.replace(d, stocks=frame))
    ch = cs.chapter()
    top = frame.loc[frame["in_model"] & (frame["chip_quintile"] == 5), "ret0"]
    assert ch.quintiles["share_fell"].iloc[-1] == pytest.approx((top < 0).mean())
    members = frame.loc[frame["kind"] == "sp500", "ret0"]
    assert ch.breadth == {"n": len(members), "fell": int((members < 0).sum()),
                          "rose": int((members > 0).sum())}
    assert ch.breadth["fell"] + ch.breadth["rose"] == ch.breadth["n"] - 1
