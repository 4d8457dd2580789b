"""The event study's placebo (`story.eventstudy.placebo`) on small made-up groups written out
here: the known news days, the members on one shared calendar, the equal-weighted portfolio by
hand, the eligible days and their margin around known news, every row of the fast path against
the per-day functions of `methods` (the oracle is written in this file, never the module's own
`slow`), the sample drawn without replacement, the store's key, the rejection rates and the
days. On the snapshot: the known days against the raw facts files and Nvidia's single-security
p on placebo days against statsmodels on returns rebuilt from the raw price files. Fast: no
book, no kernel."""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats

from deepshock.methods import groups as m_groups
from deepshock.methods import leadlag, ranks
from deepshock.story.eventstudy import placebo as pl
from deepshock.story.eventstudy import study as es
from tests.conftest import ROOT, SNAPSHOT, raw_close

T = pd.Timestamp
SPEC = es.Spec(gap=None, estimation=(-20, -6))
SCALED = es.Spec(gap="scaled", estimation=(-20, -6))
GRID = pd.bdate_range("2024-01-01", periods=70)


# --- made-up members -------------------------------------------------------------------------

def _member(seed: int, first: int, last: int, beta: float, unmatched=()) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    dates = GRID[first:last + 1]
    m = rng.normal(0, 0.01, len(dates))
    ret = 0.0005 * seed + beta * m + rng.normal(0, 0.01 + 0.002 * seed, len(dates))
    weekdays = np.where(dates.day_of_week == 0, 3.0, 1.0)   # a Monday spans the weekend
    matched = np.ones(len(dates), bool)
    matched[list(unmatched)] = False
    return pd.DataFrame({"date": dates, "ret": ret, "mret": m, "matched": matched,
                         "weekdays": weekdays})


def made_up() -> dict[str, pd.DataFrame]:
    """Three members: A on the whole grid, B from row 3, C to row 66 with four unmatched rows in a row."""
    return {"A": _member(1, 0, 69, 1.2), "B": _member(2, 3, 69, 0.8),
            "C": _member(3, 0, 66, 1.5, unmatched=(30, 31, 32, 33))}


@pytest.fixture
def group(monkeypatch):
    """The made-up members served by `study.full_frame`, one regressor, no known news."""
    frames = made_up()
    asked = []

    def full_frame(t, spec=es.NEW):
        assert spec in (SPEC, SCALED), spec      # the spec the caller was given
        return frames[t]

    def regressors(t, spec=es.NEW):
        asked.append(t)
        return ("mret",) if t == "A" and spec in (SPEC, SCALED) else ("not the first's",)

    monkeypatch.setattr(es, "full_frame", full_frame)
    monkeypatch.setattr(es, "regressors", regressors)
    monkeypatch.setattr(pl, "known_days", lambda: pd.DatetimeIndex([]))
    return SimpleNamespace(frames=frames, asked=asked, tickers=("A", "B", "C"))


def oracle(frames: dict, tickers, rows, spec=SPEC, windows=pl.WINDOWS, group="g"):
    """The placebo's rows with the per-day functions of `methods`, written out here: each
    member's market model with day 0 on the grid row, its SQ test from its own residuals, the
    equal-weighted portfolio and the group statistics."""
    out = []
    for r in rows:
        day = GRID[r]
        members = []
        for t in tickers:
            f = frames[t]
            f = f.assign(tau=np.arange(len(f)) - int((f["date"] < day).sum()))
            members.append(leadlag.event_result(f, t, ("mret",), spec.estimation, spec.gap))
        for m in members:
            tau = m.frame["tau"].to_numpy()
            span = m.frame["weekdays"].to_numpy(float)
            for w in windows:
                a, b = es.WINDOWS[w]
                length = int(round(span[(tau >= a) & (tau <= b)].sum()))
                out.append((day, group, w, "single t", m.label, m.windows.at[w, "p"]))
                out.append((day, group, w, "single SQ", m.label, ranks.empirical_p(
                    m.resid.to_numpy(), m.windows.at[w, "car"], length).p))
        port = leadlag.event_portfolio(members, group, ("mret",), spec.estimation, spec.gap)
        for g in m_groups.group_statistics(members, group, windows, spec.estimation, spec.gap,
                                           port=port):
            for test, key in (("portfolio", "port_p"), ("Kolari-Pynnönen", "kp_p"),
                              ("BMP", "bmp_p"), ("GRANK", "grank_nr_p"),
                              ("Corrado", "corrado_p"), ("sign", "gsign_p")):
                if np.isfinite(g[key]):
                    out.append((day, group, g["window"], test, "", g[key]))
    return pd.DataFrame(out, columns=["date", "group", "window", "test", "ticker", "p"])


def usable_by_hand(frames: dict, tickers, spec=SPEC) -> np.ndarray:
    """Grid rows on which every member and the portfolio can be analysed (no error raised)."""
    ok = []
    for r, day in enumerate(GRID):
        try:
            oracle(frames, tickers, [r], spec)
        except ValueError:
            continue
        ok.append(r)
    return np.array(ok)


def same_rows(got: pd.DataFrame, want: pd.DataFrame) -> None:
    key = ["date", "group", "window", "test", "ticker"]
    both = got.merge(want, on=key, how="outer", suffixes=("_got", "_want"), indicator=True)
    assert (both["_merge"] == "both").all(), both.loc[both["_merge"] != "both", key]
    assert len(got) == len(want) == len(both)
    assert np.abs(both["p_got"] - both["p_want"]).max() < 1e-9


# --- known days --------------------------------------------------------------------------------

def test_known_days_are_the_sorted_distinct_dates_of_shocks_and_confounders(monkeypatch):
    monkeypatch.setattr(pl.context, "shocks", lambda: pd.DataFrame(
        {"date": pd.to_datetime(["2025-01-27", "2024-08-05"])}))
    monkeypatch.setattr(pl.context, "confounders", lambda: pd.DataFrame(
        {"date": pd.to_datetime(["2025-01-27", "2025-01-20", "2024-09-03"])}))
    days = pl.known_days()
    assert isinstance(days, pd.DatetimeIndex)
    assert list(days) == [T("2024-08-05"), T("2024-09-03"), T("2025-01-20"), T("2025-01-27")]


def test_known_days_on_the_facts_are_every_dated_row_of_both_files():
    dates = pd.concat([pd.read_csv(ROOT / "data" / f, usecols=["date"])["date"]
                       for f in ("shocks.csv", "confounders.csv")])
    want = sorted(set(pd.to_datetime(dates.str.strip())))
    assert list(pl.known_days()) == want
    assert len(pl.known_days()) == len(want) > 10


# --- the shared calendar and the portfolio ------------------------------------------------------

def test_layout_puts_each_member_in_its_own_rows_of_the_shared_calendar(group):
    lay = pl.layout(group.tickers, SPEC)
    assert lay.grid.equals(GRID)
    assert lay.offsets == {"A": 0, "B": 3, "C": 0}
    assert lay.regs == ("mret",) and group.asked == ["A"]
    for t, f in group.frames.items():
        ret, x, matched, weekdays = lay.arrays[t]
        assert ret.tolist() == f["ret"].tolist()
        assert x.shape == (len(f), 1) and x[:, 0].tolist() == f["mret"].tolist()
        assert matched.dtype == bool and matched.tolist() == f["matched"].tolist()
        assert weekdays.dtype == float and weekdays.tolist() == f["weekdays"].tolist()


def test_layout_refuses_a_member_whose_sessions_skip_a_day_of_the_calendar(group):
    group.frames["B"] = group.frames["B"].drop(index=10).reset_index(drop=True)
    with pytest.raises(ValueError) as info:
        pl.layout(group.tickers, SPEC)
    assert str(info.value) == "B: its sessions are not a run of the group's shared calendar"


def _lay(members: dict[str, tuple[int, list]]) -> pl.Layout:
    arrays = {t: (np.array(r, float), np.array(x, float).reshape(-1, 1), np.array(m, bool),
                  np.array(w, float)) for t, (_, (r, x, m, w)) in members.items()}
    return pl.Layout(pd.bdate_range("2024-01-01", periods=5),
                     {t: off for t, (off, _) in members.items()}, arrays, ("mret",))


def test_portfolio_is_the_members_mean_from_the_last_first_row_over_their_common_rows():
    lay = _lay({
        "a": (0, ([1, 2, 3, 4, 5], [10, 20, 30, 40, 50], [1, 1, 0, 1, 1], [1, 1, 3, 1, 1])),
        "b": (1, ([20, 30, 40, 50], [1, 2, 3, 4], [1, 1, 1, 0], [1, 3, 1, 2])),
        "c": (0, ([0, 3, 6, 9], [0, 0, 0, 3], [1, 1, 1, 1], [1, 1, 2, 1]))})
    first, (ret, x, matched, weekdays) = pl.portfolio_arrays(lay)
    assert first == 1
    assert ret.tolist() == pytest.approx([25 / 3, 13, 53 / 3])
    assert x.shape == (3, 1) and x[:, 0].tolist() == pytest.approx([7, 32 / 3, 46 / 3])
    assert matched.tolist() == [True, False, True]
    assert weekdays.tolist() == pytest.approx([1, 8 / 3, 1])


# --- fits and the eligible days -------------------------------------------------------------------

def test_fits_put_day_zero_on_every_grid_row_for_members_and_portfolio(group):
    lay = pl.layout(group.tickers, SCALED)
    members, port = pl.fits(lay, SCALED)
    assert set(members) == {"A", "B", "C"}
    for m in (*members.values(), port):
        assert len(m.usable) == len(GRID)
    r = 35
    want = oracle(group.frames, group.tickers, [r], SCALED, windows=tuple(es.WINDOWS))
    single = want.loc[want["test"] == "single t"].set_index(["ticker", "window"])["p"]
    cols = list(es.WINDOWS)
    for t, m in members.items():
        assert m.usable[r]
        for c, w in enumerate(cols):
            assert m.p[r, c] == pytest.approx(single[(t, w)], rel=1e-9), (t, w)
    portfolio = want.loc[want["test"] == "portfolio"].set_index("window")["p"]
    assert port.usable[r]
    for c, w in enumerate(cols):
        assert port.p[r, c] == pytest.approx(portfolio[w], rel=1e-9), w


def test_eligible_days_are_the_rows_every_member_and_the_portfolio_can_be_tested_on(group):
    lay = pl.layout(group.tickers, SPEC)
    rows = pl.eligible(lay, SPEC)
    want = usable_by_hand(group.frames, group.tickers)
    assert rows.tolist() == want.tolist()
    # from B's 12th estimation row (of 15) to C's four unmatched rows 30-33 entering the window
    assert want.tolist() == list(range(20, 39))
    assert pl.eligible(lay, SPEC, fitted=pl.fits(lay, SPEC)).tolist() == want.tolist()


def _fitted(usable_members, usable_port):
    return ({t: SimpleNamespace(usable=np.array(u, bool)) for t, u in usable_members.items()},
            SimpleNamespace(usable=np.array(usable_port, bool)))


def test_eligible_days_keep_the_margin_around_known_news(monkeypatch):
    grid = pd.bdate_range("2024-01-01", periods=30)          # Monday 1 Jan 2024
    lay = pl.Layout(grid, {}, {}, ())
    every = [True] * 30
    fitted = _fitted({"a": every, "b": every}, every)
    # a Saturday counts from the next session (row 10, Monday 15 Jan); a day before the grid
    # from its first row; margin 2 either side
    monkeypatch.setattr(pl, "known_days", lambda: pd.DatetimeIndex(
        ["2023-12-29", "2024-01-13", "2024-01-31"]))
    rows = pl.eligible(lay, SPEC, margin=2, fitted=fitted)
    assert fitted[1].usable.all()                              # the fits are not changed
    out = set(range(30)) - set(rows.tolist())
    assert out == {0, 1, 2, 8, 9, 10, 11, 12, 20, 21, 22, 23, 24}
    # the default margin is five sessions
    assert pl.MARGIN == 5
    rows = pl.eligible(lay, SPEC, fitted=fitted)
    assert set(range(30)) - set(rows.tolist()) == set(range(0, 6)) | set(range(5, 16)) | set(
        range(17, 28))
    # a row any member or the portfolio cannot be tested on is out
    monkeypatch.setattr(pl, "known_days", lambda: pd.DatetimeIndex([]))
    a, p = list(every), list(every)
    a[4], p[7] = False, False
    rows = pl.eligible(lay, SPEC, margin=2, fitted=_fitted({"a": every, "b": a}, p))
    assert set(range(30)) - set(rows.tolist()) == {4, 7}
    assert rows.dtype.kind == "i"


# --- the rows --------------------------------------------------------------------------------

def test_group_rows_are_the_per_day_tests_on_each_chosen_day(group):
    lay = pl.layout(group.tickers, SCALED)
    fitted = pl.fits(lay, SCALED)
    chosen = np.array([21, 29, 38])
    got = pl._group_rows("g", lay, chosen, fitted, pl.WINDOWS)
    want = oracle(group.frames, group.tickers, chosen, SCALED)
    same_rows(got, want)
    assert set(got["test"]) == set(pl.TESTS)
    assert set(got.loc[got["test"] == "Corrado", "window"]) == {"[0]"}   # one-day windows only
    assert (got.loc[got["test"].str.startswith("single"), "ticker"] != "").all()
    assert (got.loc[~got["test"].str.startswith("single"), "ticker"] == "").all()
    assert list(got.columns) == ["date", "group", "window", "test", "ticker", "p"]
    # another choice of windows: only those, each at its own column of the fits
    got = pl._group_rows("g", lay, chosen, fitted, ("[0,+5]", "[0]"))
    same_rows(got, oracle(group.frames, group.tickers, chosen, SCALED, ("[0,+5]", "[0]")))


def test_compute_draws_a_sample_without_replacement_the_same_for_every_group(group):
    groups = {"one": ("A", "B", "C"), "two": ("A", "B", "C")}
    got = pl.compute(groups, SPEC, n=5, seed=11)
    rows = np.sort(np.random.default_rng(11).choice(np.arange(20, 39), size=5, replace=False))
    for g in groups:
        assert sorted(set(got.loc[got["group"] == g, "date"])) == list(GRID[rows])
    want = pd.concat([oracle(group.frames, group.tickers, rows, SPEC, group=g) for g in groups])
    same_rows(got, want)
    order = ["date", "group", "window", "test", "ticker"]
    assert list(got.columns) == order + ["p"]
    assert got.index.tolist() == list(range(len(got)))
    assert got.equals(got.sort_values(order, kind="stable").reset_index(drop=True))
    assert got.iloc[0][order].tolist() == [GRID[rows[0]], "one", "[0,+1]", "BMP", ""]
    # another seed, another draw; a sample as large as the days takes them all, in order
    other = pl.compute(groups, SPEC, n=5, seed=12)
    assert set(other["date"]) != set(got["date"])
    every = pl.compute({"one": ("A", "B", "C")}, SPEC, n=40, windows=("[0]",))
    assert sorted(set(every["date"])) == list(GRID[20:39]) and set(every["window"]) == {"[0]"}
    assert every.equals(pl.compute({"one": ("A", "B", "C")}, SPEC, windows=("[0]",)))


def test_compute_by_default_samples_with_the_placebo_seed(group):
    got = pl.compute({"one": ("A", "B", "C")}, SPEC, n=3)
    rows = np.sort(np.random.default_rng(20250127).choice(np.arange(20, 39), 3, replace=False))
    assert pl.SEED == 20250127
    assert sorted(set(got["date"])) == list(GRID[rows])
    assert set(got["window"]) == {"[0]", "[0,+1]", "[0,+5]"}


def test_slow_is_the_per_day_path(group):
    days = GRID[[24, 37]]
    got = pl.slow("g", group.tickers, days, SCALED)
    same_rows(got, oracle(group.frames, group.tickers, [24, 37], SCALED))
    got = pl.slow("g", group.tickers, days, SCALED, windows=("[0,+1]",))
    same_rows(got, oracle(group.frames, group.tickers, [24, 37], SCALED, ("[0,+1]",)))


def test_placebo_is_kept_under_every_argument_it_depends_on(monkeypatch):
    calls = []
    monkeypatch.setattr(pl.artefacts, "keep",
                        lambda name, make, *parts: calls.append((name, parts)) or make())
    monkeypatch.setattr(pl, "compute", lambda *args: ("computed", args))
    got = pl.placebo({"g": ["X", "Y"]}, SPEC, 7, 3, ["[0]"])
    assert got == ("computed", ({"g": ("X", "Y")}, SPEC, 7, 3, ["[0]"]))
    assert calls == [("eventstudy-placebo", ([("g", ("X", "Y"))], SPEC, 7, 3, ("[0]",), 5))]
    calls.clear()
    got = pl.placebo()
    assert got == ("computed", ({g: tuple(t) for g, t in pl.GROUPS.items()}, es.NEW, None,
                                20250127, pl.WINDOWS))
    assert calls == [("eventstudy-placebo", (sorted(pl.GROUPS.items()), es.NEW, None, 20250127,
                                             ("[0]", "[0,+1]", "[0,+5]"), 5))]


def test_placebo_groups_and_tests_are_the_chapters():
    assert pl.GROUPS == {
        "US semiconductors": ("NVDA", "AVGO", "AMD", "MU", "MRVL", "INTC", "QCOM"),
        "US chip equipment": ("AMAT", "LRCX", "KLAC"),
        "Japan semiconductors": ("6857.T", "8035.T", "6146.T", "6920.T", "7735.T", "6723.T")}
    assert pl.WINDOWS == ("[0]", "[0,+1]", "[0,+5]")
    assert list(pl.TESTS) == ["single t", "single SQ", "portfolio", "Kolari-Pynnönen", "BMP",
                              "GRANK", "Corrado", "sign"]
    assert [pl.TESTS[k] for k in pl.TESTS] == [None, None, "port_p", "kp_p", "bmp_p",
                                               "grank_nr_p", "corrado_p", "gsign_p"]
    assert pl.GROUP_KEYS == {k: v for k, v in pl.TESTS.items() if k not in (
        "single t", "single SQ", "portfolio")}


# --- rates and days ----------------------------------------------------------------------------

def _rows():
    d1, d2, d3 = T("2024-03-01"), T("2024-03-04"), T("2024-03-05")
    rows = [(d1, "g", "[0]", "portfolio", "", 0.004), (d2, "g", "[0]", "portfolio", "", 0.2),
            (d1, "h", "[0]", "portfolio", "", 0.07), (d3, "h", "[0]", "portfolio", "", 0.03),
            (d1, "g", "[0]", "single t", "X", 0.5), (d1, "g", "[0]", "single t", "Y", 0.02)]
    return pd.DataFrame(rows, columns=["date", "group", "window", "test", "ticker", "p"])


def test_rates_pool_every_group_then_each_group_by_hand():
    rates = pl.rates(_rows())
    assert list(rates.index) == [("All", "portfolio"), ("All", "single t"), ("g", "portfolio"),
                                 ("h", "portfolio"), ("g", "single t")]
    assert rates.loc[("All", "portfolio"), ["n", "1%", "5%", "10%"]].tolist() == [4, 0.25, 0.5,
                                                                                   0.75]
    # the draws are the placebo dates: two of the four portfolio rows share 1 March
    assert rates.at[("All", "portfolio"), "draws"] == 3
    assert rates.loc[("g", "portfolio"), ["n", "1%", "5%", "10%", "draws"]].tolist() == [
        2, 0.5, 0.5, 0.5, 2]
    assert rates.loc[("h", "portfolio"), ["n", "1%", "5%", "10%"]].tolist() == [2, 0, 0.5, 1]
    assert rates.loc[("g", "single t"), ["n", "5%", "draws"]].tolist() == [2, 0.5, 1]
    # one test per draw: the binomial error times sqrt(n / (n - 1))
    assert rates.at[("h", "portfolio"), "se 5%"] == pytest.approx(math.sqrt(0.25 / 2 * 2))
    # pooled 5%: draws 1 March (2 tests, 1 rejection), 4 March (1, 0), 5 March (1, 1)
    resid = np.array([1 - 0.5 * 2, 0 - 0.5, 1 - 0.5])
    assert rates.at[("All", "portfolio"), "se 5%"] == pytest.approx(
        math.sqrt(3 / 2 * (resid ** 2).sum()) / 4)


def test_days_are_each_groups_count_and_span_in_order_of_appearance():
    days = pl.days(_rows().replace({"group": {"g": "z"}}))
    assert list(days.index) == ["z", "h"]
    assert list(days.columns) == ["nunique", "min", "max"]
    assert days.loc["z"].tolist() == [2, T("2024-03-01"), T("2024-03-04")]
    assert days.loc["h"].tolist() == [2, T("2024-03-01"), T("2024-03-05")]


# --- the snapshot --------------------------------------------------------------------------------

def _nvidia_by_hand() -> pd.DataFrame:
    """Nvidia's total return (the panel's adjusted close, else the raw close) and the equal-
    weighted mean return of the other S&P 500 members, from the raw files with plain pandas."""
    closes = pd.read_csv(SNAPSHOT / "panel" / "closes.csv", index_col=0, parse_dates=True)
    members = pd.read_csv(SNAPSHOT / "panel" / "members.csv", keep_default_na=False)
    sp = list(members.loc[members["kind"].str.strip() == "sp500", "ticker"].str.strip())
    raw = raw_close("NVDA.csv")
    r = (raw / raw.shift(1) - 1).iloc[1:]
    adj = closes["NVDA"].dropna()
    r.loc[adj.index[1:]] = (adj / adj.shift(1) - 1).iloc[1:].to_numpy()
    others = [t for t in sp if t != "NVDA"]
    m = (closes[others] / closes[others].shift(1) - 1).iloc[1:].mean(axis=1)
    return pd.concat({"r": r, "m": m}, axis=1, join="inner")


@pytest.mark.parametrize("day", ["2024-06-12", "2024-10-16"])
def test_nvidias_placebo_day_zero_p_is_the_market_model_by_statsmodels(snapshot, day):
    both = _nvidia_by_hand()
    t0 = int(both.index.searchsorted(T(day)))
    assert both.index[t0] == T(day) and both.index[t0 - 1] == T(day) - pd.offsets.BDay(1)
    est = both.iloc[t0 - 250:t0 - 10]
    ols = sm.OLS(est["r"], sm.add_constant(est["m"])).fit()
    x0 = np.array([1.0, both["m"].iloc[t0]])
    ar = both["r"].iloc[t0] - x0 @ ols.params.to_numpy()
    t = ar / math.sqrt(ols.scale + x0 @ ols.cov_params().to_numpy() @ x0)
    p = 2 * stats.t.sf(abs(t), ols.df_resid)
    lay = pl.layout(pl.GROUPS["US semiconductors"])
    fitted = pl.fits(lay)
    rows = pl.eligible(lay, fitted=fitted)
    row = int(lay.grid.searchsorted(T(day)))
    assert row in rows
    got = pl._group_rows("US semiconductors", lay, np.array([row]), fitted, ("[0]",))
    one = got.loc[(got["test"] == "single t") & (got["ticker"] == "NVDA"), "p"]
    assert one.tolist() == [pytest.approx(p, rel=1e-8)]
