"""Did the closed markets reopen where New York had priced them (`story.contagion.reopening`):
the fund returns and compounding, the closure windows and gaps, the pairs, the bound and title,
and the chart's rows, marks, axes, colours, tooltips and layout, on small made-up frames
written out here; and the published windows and pairs against an oracle from the exchange
calendars and the raw snapshot closes (per-ticker files and the panel) in plain pandas.
Fast: no book, no kernel."""

from __future__ import annotations

import exchange_calendars as xcals
import numpy as np
import pandas as pd
import pytest

from deepshock.story.contagion import reopening as rp
from tests.oracle import raw

T = pd.Timestamp
MINUS = "\u2212"
NEGATIVE, POSITIVE, NEUTRAL = "#D55E00", "#0072B2", "#555555"
LOCAL, NY = "Local, on reopening", "New York, over the closure"


def test_constants():
    assert rp.SHOCK == T("2025-01-27") and rp.NEAR == 2.0
    assert rp.SOURCE == "Yahoo Finance daily closes; exchange calendars"
    assert {k: v[0] for k, v in rp.PAIRS.items()} == {
        "^KS11": "EWY", "^TWII": "EWT", "2330.TW": "TSM", "^HSI": "EWH", "0700.HK": "KWEB",
        "000001.SS": "MCHI"}
    assert rp.PAIRS["^KS11"][1] == "iShares MSCI South Korea fund (EWY)"
    assert rp.PAIRS["2330.TW"][1] == "TSMC's New York ADR (TSM)"
    assert rp.CHINA_FUNDS == ["FXI", "MCHI", "KWEB"]
    assert rp.SHORT == {"^KS11": "KOSPI", "^TWII": "Taiex", "2330.TW": "TSMC (Taipei)",
                        "^HSI": "Hang Seng", "0700.HK": "Tencent (HK)",
                        "000001.SS": "Shanghai Comp."}
    assert rp.PLACE == {"XKRX": "Seoul", "XTAI": "Taipei", "XHKG": "Hong Kong",
                        "XSHG": "Shanghai"}


# --- returns and compounding --------------------------------------------------------------------

def test_fund_returns_from_the_panel_else_the_file(monkeypatch):
    days = pd.to_datetime(["2025-01-27", "2025-01-28", "2025-01-29"])
    wide = pd.DataFrame({"EWY": [0.01, np.nan, 0.03]}, index=days)
    asked = []

    def returns(ticker):
        asked.append(ticker)
        return pd.DataFrame({"ticker": ticker, "date": days, "ret": [0.1, 0.2, 0.3]})
    monkeypatch.setattr(rp.load, "panel_returns", lambda: wide)
    monkeypatch.setattr(rp.load, "returns", returns)
    got = rp._fund_returns("EWY")
    assert got.to_dict() == {days[0]: 0.01, days[2]: 0.03} and asked == []
    got = rp._fund_returns("TSM")
    assert got.to_dict() == dict(zip(days, [0.1, 0.2, 0.3])) and asked == ["TSM"]


def test_compound_after_start_up_to_end():
    rets = pd.Series([0.5, 0.1, -0.2, 0.25, 7.0], index=pd.to_datetime(
        ["2025-01-23", "2025-01-24", "2025-01-27", "2025-01-28", "2025-01-29"]))
    got = rp._compound(rets, T("2025-01-23"), T("2025-01-28"))
    assert got == pytest.approx(1.1 * 0.8 * 1.25 - 1) and type(got) is float
    assert rp._compound(rets, T("2025-01-29"), T("2025-02-28")) == 0.0


# --- windows and gaps, against the exchange calendars -------------------------------------------

def _oracle_window(market: str, after: T) -> dict:
    cal, ny = xcals.get_calendar(market), xcals.get_calendar("XNYS")
    back = cal.date_to_session(after, direction="next")
    last = cal.previous_session(back)

    def last_closed_before(t):
        closes = ny.closes.loc[ny.closes <= t]
        return closes.index[-1]
    ny_start = last_closed_before(cal.session_close(last))
    ny_end = last_closed_before(cal.session_open(back))
    n = len(ny.sessions_in_range(ny_start + pd.Timedelta(days=1), ny_end))
    return {"market": market, "last": last, "back": back, "ny_start": ny_start,
            "ny_end": ny_end, "ny_sessions": n,
            "weekdays_shut": len(pd.bdate_range(last, back)) - 2}


@pytest.mark.parametrize("market, start, last, back, n", [
    ("XKRX", "2025-01-27", "2025-01-24", "2025-01-31", 5),
    ("XTAI", "2025-01-27", "2025-01-22", "2025-02-03", 8),
    ("XHKG", "2025-01-29", "2025-01-28", "2025-02-03", 4),
    ("XSHG", "2025-01-28", "2025-01-27", "2025-02-05", 7),
])
def test_gap_and_window_against_the_calendars(market, start, last, back, n):
    cal = xcals.get_calendar(market)
    first_closed = next(d for d in pd.bdate_range(rp.SHOCK, periods=10) if not cal.is_session(d))
    assert rp.gap_start(market) == first_closed == T(start)
    got = rp.closure_window(market, after=rp.gap_start(market))
    want = _oracle_window(market, T(start))
    assert {k: (T(v.date()) if isinstance(v, pd.Timestamp) else v) for k, v in got.items()} == want
    assert (got["last"], got["back"], got["ny_sessions"]) == (T(last), T(back), n)
    assert type(got["weekdays_shut"]) is int


def test_window_defaults_to_the_shock_day():
    assert rp.closure_window("XKRX") == rp.closure_window("XKRX", rp.SHOCK, T("2025-01-27"))
    assert rp.closure_window("XKRX", T("2025-01-24"))["back"] == T("2025-01-24")


def test_gap_start_needs_a_closed_weekday():
    with pytest.raises(ValueError) as raised:
        rp.gap_start("XNYS")
    assert str(raised.value) == "XNYS: no closed weekday within 10 weekdays of 2025-01-27"
    with pytest.raises(ValueError, match="^XKRX: no closed weekday within 3 weekdays of 2025-01-20$"):
        rp.gap_start("XKRX", T("2025-01-20"), weekdays=3)
    assert rp.gap_start("XKRX", T("2025-01-20"), weekdays=6) == T("2025-01-27")


# --- the pairs, against the raw files ------------------------------------------------------------

def _fund_oracle(fund: str) -> pd.Series:
    wide = raw.panel_rets()
    return wide[fund].dropna() if fund in wide.columns else raw.rets(fund)


@pytest.fixture(scope="module")
def published(snapshot):
    return rp.pairs()


def test_pairs_against_the_raw_files(published):
    got = published.set_index("ticker")
    assert list(got.index) == list(rp.PAIRS)
    universe = raw.universe()
    for ticker, (fund, fund_name) in rp.PAIRS.items():
        row = got.loc[ticker]
        market = universe.at[ticker, "calendar"]
        cal = xcals.get_calendar(market)
        start = next(d for d in pd.bdate_range(rp.SHOCK, periods=10) if not cal.is_session(d))
        win = _oracle_window(market, start)
        local = raw.window(ticker, win["last"] + pd.Timedelta(days=1), win["back"])
        assert local == pytest.approx(raw.close(ticker)[win["back"]] / raw.close(ticker)[win["last"]]
                                      - 1, abs=1e-12)
        f = _fund_oracle(fund)
        inside = f.loc[(f.index > win["ny_start"]) & (f.index <= win["ny_end"])]
        ny = float(np.prod(1 + inside.to_numpy()) - 1)
        assert (row["name"], row["place"], row["fund"], row["fund_name"]) == (
            universe.at[ticker, "name"], rp.PLACE[market], fund, fund_name)
        assert (row["local_last"], row["local_back"], row["ny_start"], row["ny_end"]) == (
            win["last"], win["back"], win["ny_start"], win["ny_end"])
        assert (row["ny_sessions"], row["weekdays_shut"]) == (win["ny_sessions"], win["weekdays_shut"])
        assert row["local_pct"] == pytest.approx(round(local * 100, 4), abs=1e-9)
        assert row["fund_pct"] == pytest.approx(round(ny * 100, 4), abs=1e-9)
        assert row["left_pp"] == pytest.approx(round((local - ny) * 100, 4), abs=1e-9)


def test_published_bound_and_title(published):
    """Seoul, Taipei and Hong Kong's indices reopened within 0.5 points of their funds (the
    largest gap, Hong Kong's, rounded up), Shanghai did not."""
    universe = raw.universe()
    idx = published.loc[published["ticker"].map(universe["kind"]) == "index"]
    gaps = (idx["local_pct"] - idx["fund_pct"]).abs()
    assert rp.bound(published) == np.ceil(gaps.loc[gaps < 2].max() * 10 - 1e-9) / 10 == 0.5
    assert rp.title(published) == ("Seoul, Taipei and Hong Kong reopened within 0.5 points of "
                                   "their New York funds; Shanghai did not")


def test_pairs_of_a_subset(published):
    got = rp.pairs(("^HSI",))
    pd.testing.assert_frame_equal(got, published.loc[published["ticker"] == "^HSI"]
                                  .reset_index(drop=True))


def test_china_funds_against_the_raw_panel(snapshot):
    start, end = T("2025-01-24"), T("2025-02-04")
    got = rp.china_funds(start, end)
    assert got["fund"].tolist() == ["FXI", "MCHI", "KWEB"]
    for fund, pct in zip(got["fund"], got["pct"]):
        f = _fund_oracle(fund)
        inside = f.loc[(f.index > start) & (f.index <= end)]
        assert pct == pytest.approx(round((np.prod(1 + inside.to_numpy()) - 1) * 100, 4), abs=1e-9)


# --- bound and title on made-up tables ------------------------------------------------------------

@pytest.fixture
def kinds(monkeypatch):
    monkeypatch.setattr(rp.facts, "universe", lambda: pd.DataFrame(
        {"ticker": ["A", "B", "C", "S"], "kind": ["index", "index", "index", "equity"]}))


def _table(gaps: dict[str, float], places=None) -> pd.DataFrame:
    places = places or {"A": "Seoul", "B": "Taipei", "C": "Shanghai", "S": "Stockville"}
    return pd.DataFrame({"ticker": list(gaps), "place": [places[t] for t in gaps],
                         "local_pct": [1.0] * len(gaps),
                         "fund_pct": [1.0 - g for g in gaps.values()]})


def test_join():
    assert rp._join(["Seoul"]) == "Seoul"
    assert rp._join(["Seoul", "Taipei"]) == "Seoul and Taipei"
    assert rp._join(["Seoul", "Taipei", "Hong Kong"]) == "Seoul, Taipei and Hong Kong"


def test_indices_only_with_their_gaps(kinds):
    got = rp._indices(_table({"A": 0.3, "S": 9.0, "B": -1.5}))
    assert got["ticker"].tolist() == ["A", "B"]
    assert got["gap"].tolist() == pytest.approx([0.3, 1.5])


@pytest.mark.parametrize("gaps, want", [
    ({"A": 0.43, "B": -0.1, "C": 5.0}, 0.5),    # the largest near gap, rounded up
    ({"A": 0.4, "B": 0.1}, 0.4),                # an exact tenth stays (0.4 x 10 is 4.000...01)
    ({"A": 0.7, "S": 1.9}, 0.7),                # a stock is no index
    ({"A": 1.99, "B": 2.0}, 2.0),               # 2.0 itself is not near
    ({"A": 2.0, "C": -3.0}, 2.0),               # none near: NEAR
    ({"A": 0.0}, 0.0),
    ({"A": 0.43, "B": 2.0}, 0.5),               # a gap of exactly NEAR is not near
    ({"A": 0.40000003}, 0.4),                   # noise under 1e-6 of a tenth is rounded away
    ({"A": 0.4000003}, 0.5),                    # ... not more
])
def test_bound(kinds, gaps, want):
    assert rp.bound(_table(gaps)) == pytest.approx(want, abs=1e-12)


def test_title(kinds):
    assert rp.title(_table({"A": 0.43, "B": -0.1, "C": 5.0})) == \
        "Seoul and Taipei reopened within 0.5 points of their New York funds; Shanghai did not"
    assert rp.title(_table({"A": 0.43, "S": 5.0})) == \
        "Seoul reopened within 0.5 points of their New York funds"
    assert rp.title(_table({"A": 2.0, "B": -2.5, "S": 0.0})) == \
        "No market reopened within 2 points of its New York fund's move"
    assert rp.title(_table({"A": 1.95, "B": 2.0, "C": 2.5})) == \
        "Seoul reopened within 2.0 points of their New York funds; Taipei and Shanghai did not"


# --- the chart ----------------------------------------------------------------------------------

def _pairs() -> pd.DataFrame:
    return pd.DataFrame({"ticker": ["^TWII", "ZZZ", "^KS11"], "name": ["Taiwan index", "Zed Corp",
                                                                     "KOSPI index"],
                         "place": ["Taipei", "Taipei", "Seoul"], "fund": ["EWT", "ZZF", "EWY"],
                         "fund_name": ["Taiwan fund", "Zed ADR", "Korea fund"],
                         "ny_sessions": [8, 8, 5], "local_pct": [-3.53, 1.25, -0.77],
                         "fund_pct": [-3.13, 0.0, -0.72], "left_pp": [-0.4, 1.25, -0.05]})


def test_chart_data_two_bars_per_line():
    got = rp.chart_data(_pairs())
    assert got["measure"].tolist() == [LOCAL] * 3 + [NY] * 3
    assert got["value"].tolist() == [-3.53, 1.25, -0.77, -3.13, 0.0, -0.72]
    assert got["label"].tolist() == ["Taiex", "Zed Corp", "KOSPI"] * 2
    assert got["sign"].tolist() == ["fell", "rose", "fell", "fell", "rose", "fell"]
    assert got["ticker"].tolist() == ["^TWII", "ZZZ", "^KS11"] * 2
    assert list(got.index) == [0, 1, 2, 0, 1, 2]


def _tips(encoding: dict) -> list[tuple]:
    return [(t["field"], t["type"], t["title"], t.get("format")) for t in encoding["tooltip"]]


TIPS = [("label", "nominal", "Local line", None), ("place", "nominal", "Market", None),
        ("measure", "nominal", "Measure", None),
        ("fund_name", "nominal", "New York counterpart", None),
        ("value", "quantitative", "Move (%)", "+.1f"),
        ("left_pp", "quantitative", "Local minus New York (pp)", "+.1f")]


def test_chart_spec(kinds, monkeypatch):
    monkeypatch.setattr(rp.facts, "universe", lambda: pd.DataFrame(
        {"ticker": ["^TWII", "^KS11", "ZZZ"], "kind": ["index", "index", "equity"]}))
    spec = rp.chart(_pairs()).to_dict()
    assert spec["title"] == {
        "text": "Taipei and Seoul reopened within 0.4 points of their New York funds",
        "subtitle": ["Solid: the local line from its last close before the holiday to its first "
                     "session back", "Pale: its New York fund or ADR over the sessions in between "
                     "(US dollars; local lines in local currency)",
                     "Source: Yahoo Finance daily closes; exchange calendars"]}
    assert spec["description"] == (
        f"Paired bars per market: Taiwan index (Taipei) {MINUS}3.5% on reopening against EWT "
        f"{MINUS}3.1% over 8 New York sessions; Zed Corp (Taipei) +1.2% on reopening against ZZF "
        f"+0.0% over 8 New York sessions; KOSPI index (Seoul) {MINUS}0.8% on reopening against "
        f"EWY {MINUS}0.7% over 5 New York sessions.")
    assert (spec["width"], spec["height"]) == (300, {"step": 30})
    assert spec["usermeta"] == {"narrow": {"drop": ["layer/1"],
                                           "set": {"layer/0/encoding/opacity/legend": None},
                                           "transpose": False, "note": "Tap a bar for its value"}}
    bars, text, zero = spec["layer"]
    y = {"field": "label", "type": "nominal", "title": None, "axis": {"labelLimit": 150},
         "sort": ["Taiex", "KOSPI", "Zed Corp"]}                   # by the local move
    offset = {"field": "measure", "type": "nominal", "sort": [LOCAL, NY]}
    rows = pd.DataFrame(spec["datasets"][bars["data"]["name"]])
    assert rows["value"].tolist() == [-3.53, 1.25, -0.77, -3.13, 0.0, -0.72]
    assert bars["mark"] == {"type": "bar", "height": 11}
    enc = bars["encoding"]
    assert enc["y"] == y and enc["yOffset"] == offset and _tips(enc) == TIPS
    assert enc["x"] == {"field": "value", "type": "quantitative", "title": "Move over the closure (%)"}
    assert enc["color"] == {"field": "sign", "type": "nominal", "title": "Move",
                            "scale": {"domain": ["fell", "rose"], "range": [NEGATIVE, POSITIVE]}}
    assert enc["opacity"] == {"field": "measure", "type": "nominal", "title": "Bar",
                              "sort": [LOCAL, NY],
                              "scale": {"domain": [LOCAL, NY], "range": [1.0, 0.45]}}
    assert text["mark"] == {"type": "text", "fontSize": 9, "color": "#222222",
                            "dx": {"expr": "datum.value < 0 ? -3 : 3"},
                            "align": {"expr": "datum.value < 0 ? 'right' : 'left'"}}
    enc = text["encoding"]
    assert enc["x"] == {"field": "value", "type": "quantitative"} and enc["y"] == y
    assert enc["text"] == {"field": "value", "type": "quantitative", "format": "+.1f"}
    assert enc["yOffset"] == offset and _tips(enc) == TIPS
    assert zero["mark"] == {"type": "rule", "color": NEUTRAL}
    assert zero["encoding"] == {"x": {"field": "x", "type": "quantitative"}}
    assert spec["datasets"][zero["data"]["name"]] == [{"x": 0}]


def test_published_chart_title_and_rows(published):
    spec = rp.chart(published).to_dict()
    assert spec["title"]["text"] == rp.title(published)
    bars = spec["layer"][0]
    rows = pd.DataFrame(spec["datasets"][bars["data"]["name"]])
    assert len(rows) == 12 and set(rows["label"]) == set(rp.SHORT.values())
    assert bars["encoding"]["y"]["sort"] == [rp.SHORT[t] for t in
                                             published.sort_values("local_pct")["ticker"]]
