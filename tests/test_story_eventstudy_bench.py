"""The event study's benchmarks (`story.eventstudy.bench`) on small made-up tables written out
here: which securities their index holds and their weights, the leave-one-out panel market
(and the 30-member floor), the benchmark levels, which benchmark judges a security under each
specification, the benchmark's return over exactly the security's own intervals (compounded
over skipped days, matched only between benchmark sessions), the index without the own weight,
the regressors and Tokyo's New York lead. On the snapshot: the index weights against the raw
facts file, and benchmark returns against the raw price files. Fast: no book, no kernel."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from deepshock.story.eventstudy import bench as bn
from tests.conftest import ROOT, SNAPSHOT, raw_close

T = pd.Timestamp
CACHED = ("panel_market", "_market_sums", "_levels", "_where", "_returns", "aligned",
          "full_frame")


@pytest.fixture
def fresh(monkeypatch):
    """Every cache of the module empty before and after (made-up inputs must not stay)."""
    cached = [getattr(bn, name) for name in CACHED]
    for f in cached:
        f.cache_clear()
    yield monkeypatch
    for f in cached:
        f.cache_clear()


WHERE = {"8035.T": ("Japan", "^N225"), "6857.T": ("Japan", "^N225"), "NVDA": ("US", "^GSPC"),
         "2330.TW": ("Taiwan", "^TWII"), "000660.KS": ("Korea", "^KS11"),
         "AAPL": ("US", "^GSPC"), "SAP.DE": ("Europe", "^GDAXI")}


def test_specs_and_constants():
    assert bn.Spec() == bn.NEW
    assert (bn.NEW.us, bn.NEW.lead, bn.NEW.gap, bn.NEW.estimation, bn.NEW.asia) == (
        "ew", True, "own", (-250, -11), "index")
    assert (bn.OLD.us, bn.OLD.lead, bn.OLD.gap, bn.OLD.estimation, bn.OLD.asia) == (
        "index", False, None, (-250, -11), "index")
    assert bn.NY_LEAD == "^SOX" and bn.LEAD_MARKETS == ("Japan",)
    assert bn.SAME_COMPANY == {"GOOGL": ("GOOG",), "GOOG": ("GOOGL",)}


@pytest.fixture
def members(fresh):
    fresh.setattr(bn, "_where", lambda t: WHERE[t])
    fresh.setattr(bn.context, "index_members", lambda: pd.DataFrame({
        "index": ["^N225", "^N225", "^GSPC", "^KS11", "^TWII", "^TWII"],
        "ticker": ["8035.T", "6857.T", "NVDA", "2330.TW", "000660.KS", "2330.TW"],
        "weight": [0.0679, np.nan, 0.07, 0.3, 0.1, 0.25]}))
    return fresh


def test_held_are_the_securities_their_own_benchmark_holds(members):
    assert bn.held() == ("8035.T", "6857.T", "NVDA", "2330.TW")


def test_own_weight_is_the_weight_in_the_own_benchmark_or_none(members):
    assert bn.own_weight("8035.T") == 0.0679
    assert bn.own_weight("2330.TW") == 0.25          # its Taiex row, not the KOSPI one
    assert bn.own_weight("6857.T") is None            # held, no weight on file
    assert bn.own_weight("000660.KS") is None         # a weight in another index only
    assert bn.own_weight("AAPL") is None              # not on file
    assert isinstance(bn.own_weight("NVDA"), float)


def test_held_and_weights_on_the_facts(snapshot):
    raw = pd.read_csv(ROOT / "data" / "index_members.csv")
    uni = pd.read_csv(ROOT / "data" / "universe.csv", keep_default_na=False).set_index("ticker")
    own = raw.loc[[uni.at[t, "benchmark"] == i if t in uni.index else False
                   for i, t in zip(raw["index"], raw["ticker"])]]
    assert set(bn.held()) == set(own["ticker"]) and len(bn.held()) == len(own)
    for t, w in zip(own["ticker"], own["weight_pct"]):
        got = bn.own_weight(t)
        assert (got is None) if pd.isna(w) else got == pytest.approx(w / 100), t


# --- the panel market ---------------------------------------------------------------------------

def _wide():
    """31 members over four days: day 2 has one missing, day 3 two, day 4 most."""
    cols = [f"M{i:02d}" for i in range(28)] + ["GOOGL", "GOOG", "NVDA"]
    rng = np.random.default_rng(5)
    wide = pd.DataFrame(rng.normal(0, 0.01, (4, len(cols))), columns=cols,
                        index=pd.bdate_range("2025-01-06", periods=4))
    wide.iloc[1, 3] = np.nan
    wide.iloc[2, [4, 5]] = np.nan
    wide.iloc[3, :20] = np.nan
    return wide


def test_market_without_leaves_the_company_out_and_needs_thirty(fresh):
    wide = _wide()
    fresh.setattr(bn, "panel_market", lambda: wide)
    for ticker, drop in (("NVDA", ["NVDA"]), ("GOOGL", ["GOOGL", "GOOG"]),
                         ("GOOG", ["GOOG", "GOOGL"]), ("TSM", [])):
        got = bn.market_without(ticker)
        rest = wide.drop(columns=drop)
        want = rest.mean(axis=1).where(rest.notna().sum(axis=1) >= 30)
        assert got.index.equals(wide.index)
        assert got.to_numpy() == pytest.approx(want.to_numpy(), rel=1e-12, nan_ok=True), ticker
    # 31 members: NVDA out leaves 30 on day 1 (kept), 29 on day 2 (none); GOOGL out leaves 29
    assert bn.market_without("NVDA").notna().tolist() == [True, False, False, False]
    assert bn.market_without("GOOGL").notna().tolist() == [False, False, False, False]
    assert bn.market_without("TSM").notna().tolist() == [True, True, False, False]


def test_market_without_a_member_missing_on_a_day(fresh):
    wide = _wide()
    wide.iloc[0, 30] = np.nan           # NVDA missing on day 1: 30 others, their mean
    fresh.setattr(bn, "panel_market", lambda: wide)
    got = bn.market_without("NVDA")
    assert got.iloc[0] == pytest.approx(wide.iloc[0, :30].mean(), rel=1e-12)
    assert bn._market_sums()[1].tolist() == wide.notna().sum(axis=1).tolist()


def test_panel_market_is_the_member_stocks_without_the_funds(fresh):
    fresh.setattr(bn.load, "panel_members", lambda: pd.DataFrame(
        {"ticker": ["A", "RSP", "B", "SPY"], "kind": ["sp500", "etf", "sp500", "etf"]}))
    wide = pd.DataFrame({"SPY": [1.0], "B": [2.0], "A": [3.0], "RSP": [4.0]})
    fresh.setattr(bn.load, "panel_returns", lambda: wide)
    assert list(bn.panel_market().columns) == ["A", "B"]
    assert bn.panel_market()["A"].tolist() == [3.0]


def test_levels_of_each_kind_of_benchmark(fresh):
    days = pd.bdate_range("2025-01-06", periods=4)
    fresh.setattr(bn, "market_without", lambda t: pd.Series(
        [0.1, np.nan, -0.5, 0.2], index=days) if t == "NVDA" else None)
    ew = bn._levels("ew:NVDA")
    assert ew.index.equals(days[[0, 2, 3]])
    assert ew.tolist() == pytest.approx([1.1, 0.55, 0.66])
    fresh.setattr(bn.load, "panel_closes", lambda: pd.DataFrame(
        {"RSP": [10.0, np.nan, 12.0], "SPY": [1.0, 2.0, 3.0]}, index=days[:3]))
    rsp = bn._levels("RSP")
    assert rsp.index.equals(days[[0, 2]]) and rsp.tolist() == [10.0, 12.0]
    fresh.setattr(bn.load, "prices", lambda t: pd.DataFrame(
        {"date": days[[2, 0, 1]], "close": [3.0, 1.0, 2.0], "open": 0.0}) if t == "^N225"
        else None)
    n225 = bn._levels("^N225")
    assert n225.index.equals(days[:3]) and n225.tolist() == [1.0, 2.0, 3.0]


# --- which benchmark -------------------------------------------------------------------------------

@pytest.mark.parametrize("ticker, spec, key", [
    ("NVDA", bn.NEW, "ew:NVDA"),
    ("NVDA", bn.Spec(us="rsp"), "RSP"),
    ("NVDA", bn.Spec(us="index"), "^GSPC"),
    ("NVDA", bn.Spec(us="index", asia="mean"), ""),         # held by the S&P 500
    ("NVDA", bn.Spec(us="index", asia="exown"), "ex:^GSPC"),
    ("AAPL", bn.Spec(us="index", asia="mean"), "^GSPC"),    # not held
    ("8035.T", bn.NEW, "^N225"),
    ("8035.T", bn.Spec(asia="exown"), "ex:^N225"),
    ("8035.T", bn.Spec(asia="mean"), ""),
    ("6857.T", bn.Spec(asia="exown"), "^N225"),             # held, no weight on file
    ("6857.T", bn.Spec(asia="mean"), ""),
    ("000660.KS", bn.Spec(asia="mean"), "^KS11"),           # weight in another index only
    ("000660.KS", bn.Spec(asia="exown"), "^KS11"),
    ("SAP.DE", bn.Spec(us="rsp"), "^GDAXI"),
])
def test_benchmark_key_under_each_spec(members, ticker, spec, key):
    assert bn.benchmark_key(ticker, spec) == key


def test_benchmark_key_by_default_is_the_new_spec(members):
    assert bn.benchmark_key("NVDA") == "ew:NVDA"
    assert bn.benchmark_key("8035.T") == "^N225"


def test_regressors_add_the_lead_for_tokyo_only(members):
    assert bn.regressors("8035.T") == ("mret", "lead")
    assert bn.regressors("8035.T", bn.OLD) == ("mret",)
    assert bn.regressors("8035.T", bn.Spec(asia="mean")) == ()
    assert bn.regressors("NVDA") == ("mret",)
    assert bn.regressors("000660.KS") == ("mret",)


def test_where_reads_market_and_benchmark_from_the_universe(fresh):
    fresh.setattr(bn.facts, "universe", lambda: pd.DataFrame(
        {"ticker": ["X", "Y"], "market": ["Japan", "US"], "benchmark": ["^N225", "^GSPC"],
         "name": ["x", "y"]}))
    assert bn._where("Y") == ("US", "^GSPC")
    assert bn._where("X") == ("Japan", "^N225")


# --- aligned returns ------------------------------------------------------------------------------

def _rets():
    # the security trades Mon 6, Tue 7, Thu 9 (skips Wed 8), Mon 13 and Tue 14 Jan 2025
    date = pd.to_datetime(["2025-01-06", "2025-01-07", "2025-01-09", "2025-01-13",
                           "2025-01-14"])
    prev = pd.to_datetime(["2025-01-03", "2025-01-06", "2025-01-07", "2025-01-09",
                           "2025-01-13"])
    return pd.DataFrame({"date": date, "prev_date": prev, "ret": [0.01, -0.02, 0.03, 0.0, 0.05],
                         "price_ret": 9.0, "basis": "total"})


def test_aligned_pairs_the_benchmark_over_the_same_interval(fresh):
    # the benchmark has no close on Fri 10 and Mon 13 Jan, nor before Mon 6 Jan
    level = pd.Series([100.0, 110.0, 99.0, 118.8, 120.0, 126.0],
                      index=pd.to_datetime(["2025-01-06", "2025-01-07", "2025-01-08",
                                            "2025-01-09", "2025-01-10", "2025-01-14"]))
    level = level.drop(T("2025-01-10"))
    fresh.setattr(bn, "_returns", lambda t: _rets())
    fresh.setattr(bn, "_levels", lambda b: level if b == "^X" else None)
    got = bn.aligned("S", "^X")
    assert list(got.columns) == ["date", "prev_date", "ret", "weekdays", "mret", "matched"]
    assert got["ret"].tolist() == [0.01, -0.02, 0.03, 0.0, 0.05]
    assert got["weekdays"].tolist() == [1.0, 1.0, 2.0, 2.0, 1.0]
    assert got["weekdays"].dtype == float
    mret = got["mret"].to_numpy()
    assert np.isnan(mret[0])                                  # no level before 6 Jan
    assert mret[1:].tolist() == pytest.approx([0.1, 118.8 / 110 - 1, 0.0, 126 / 118.8 - 1])
    assert got["matched"].tolist() == [False, True, True, False, False]
    assert got["matched"].dtype == bool


def test_aligned_without_a_benchmark_is_the_constant_mean_model(fresh):
    fresh.setattr(bn, "_returns", lambda t: _rets())
    got = bn.aligned("S", "")
    assert (got["mret"] == 0.0).all() and got["matched"].all()
    assert got["weekdays"].tolist() == [1.0, 1.0, 2.0, 2.0, 1.0]


def test_aligned_without_the_own_weight(fresh):
    level = pd.Series([100.0, 110.0, 99.0, 118.8, 120.0, 126.0],
                      index=pd.bdate_range("2025-01-03", periods=6))
    fresh.setattr(bn, "_returns", lambda t: _rets())
    fresh.setattr(bn, "_levels", lambda b: level)
    fresh.setattr(bn, "own_weight", lambda t: 0.2 if t == "S" else None)
    base = bn.aligned("S", "^X")
    got = bn.aligned("S", "ex:^X")
    want = (base["mret"] - 0.2 * base["ret"]) / 0.8
    assert got["mret"].to_numpy() == pytest.approx(want.to_numpy())
    assert got["ret"].tolist() == base["ret"].tolist()
    assert got["matched"].tolist() == base["matched"].tolist()


def test_full_frame_adds_the_new_york_lead_for_tokyo(members):
    frame = pd.DataFrame({"date": pd.bdate_range("2025-01-06", periods=3), "ret": 0.0,
                          "mret": 0.0})
    asked = []
    members.setattr(bn, "aligned", lambda t, b: asked.append((t, b)) or frame)

    def leads(ticker, which):
        asked.append(("leads", ticker, which))
        return pd.DataFrame({"cc_^SOX": [0.1, 0.2, 0.3], "cc_^GSPC": [9.0, 9.0, 9.0]})
    members.setattr(bn.clock, "leads", leads)
    got = bn.full_frame("8035.T")
    assert got["lead"].tolist() == [0.1, 0.2, 0.3] and "lead" not in frame
    assert asked == [("8035.T", "^N225"), ("leads", "8035.T", ("^GSPC", "^SOX"))]
    asked.clear()
    assert "lead" not in bn.full_frame("8035.T", bn.OLD)
    assert "lead" not in bn.full_frame("NVDA")
    assert "lead" not in bn.full_frame("8035.T", bn.Spec(asia="mean"))
    assert asked == [("8035.T", "^N225"), ("NVDA", "ew:NVDA"), ("8035.T", "")]


# --- the snapshot -------------------------------------------------------------------------------

def test_nikkei_without_tokyo_electrons_weight_on_the_files(snapshot):
    """Tokyo Electron's day 0 under `asia="exown"`: the Nikkei's return over the stock's
    interval with the stock's own sourced weight taken out, from the raw files."""
    nikkei = raw_close("INDEX_N225.csv")
    weights = pd.read_csv(ROOT / "data" / "index_members.csv")
    w = float(weights.loc[(weights["ticker"] == "8035.T") & (weights["index"] == "^N225"),
                          "weight_pct"].iat[0]) / 100
    base = bn.aligned("8035.T", "^N225").set_index("date")
    ex = bn.aligned("8035.T", "ex:^N225").set_index("date")
    day = T("2025-01-28")
    prev = base.at[day, "prev_date"]
    m = nikkei[day] / nikkei[prev] - 1
    assert base.at[day, "mret"] == pytest.approx(m, rel=1e-12)
    assert ex.at[day, "mret"] == pytest.approx((m - w * base.at[day, "ret"]) / (1 - w), rel=1e-12)
    assert bn.benchmark_key("8035.T", bn.Spec(asia="exown")) == "ex:^N225"


def test_the_rsp_benchmark_is_the_panels_rsp_closes(snapshot):
    closes = pd.read_csv(SNAPSHOT / "panel" / "closes.csv", index_col=0, parse_dates=True)
    got = bn.aligned("NVDA", "RSP").set_index("date")
    for day in ("2025-01-27", "2024-09-03"):
        prev = got.at[T(day), "prev_date"]
        assert got.at[T(day), "mret"] == pytest.approx(
            closes.at[T(day), "RSP"] / closes.at[prev, "RSP"] - 1, rel=1e-12)
    assert bn.benchmark_key("NVDA", bn.Spec(us="rsp")) == "RSP"
