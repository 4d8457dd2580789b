"""The US sell-off's published pieces (`story.selloff`): the day's moves, winners, group means,
the SOX's rank among its falls, the worst days, the first sessions, the breadth table and the
three charts on small made-up frames written out here (expected values by hand), and the
chapter's numbers, tables and chart titles on the data against an oracle from the raw snapshot
files (closes, the S&P 500 panel, data/universe.csv, data/records.csv) in plain pandas. Fast: no
book, no kernel."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from deepshock.methods import benchmarks
from deepshock.story import selloff
from tests.oracle import raw

T = pd.Timestamp
SHOCK = T("2025-01-27")
ORANGE, BLUE, NEUTRAL, MUTED = "#D55E00", "#0072B2", "#555555", "#BBBBBB"
M = "\u2212"


# --- small helpers -----------------------------------------------------------------------------

def test_words_counts_falls_and_ordinals():
    assert [selloff.count(n) for n in (0, 1, 4, 10, 11, 1294)] == ["no", "one", "four", "ten",
                                                                   "11", "1,294"]
    assert selloff.count(-1) == "-1"
    assert selloff.fall(-0.0915) == "9.2%" and selloff.fall(-0.0915, 2) == "9.15%"
    for bad in (0.0, 0.02):
        with pytest.raises(ValueError, match="prose says 'fell'"):
            selloff.fall(bad)
    assert [selloff.ordinal(n) for n in (1, 2, 3, 4, 11, 12, 13, 21, 22, 23, 101, 111, 1294)] == [
        "1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd", "23rd", "101st",
        "111th", "1294th"]
    assert [selloff.ordinal(n) for n in (10, 20, 110, 112, 121, 1302)] == [
        "10th", "20th", "110th", "112th", "121st", "1302nd"]
    assert selloff.average_member(0.0003) == "rose 0.03%"
    assert selloff.average_member(-0.01234) == "fell 1.23%"
    assert selloff.average_member(0.0) == "fell 0.00%"
    assert selloff._moved(0.025) == "rose 2.5%" and selloff._moved(-0.0021) == "fell 0.2%"
    assert selloff._moved(0.0) == "fell 0.0%" and selloff._moved(0.5) == "rose 50.0%"
    assert selloff._day(T("2020-03-05")) == "5 March 2020"
    assert selloff._staples(pd.Series({"members": 35, "rose": 35})) == (
        "all 35 consumer-staples companies (food, drink, household goods) rose")
    assert selloff._staples(pd.Series({"members": 35.0, "rose": 34.0})) == (
        "34 of the 35 consumer-staples companies (food, drink, household goods) rose")


def test_scales_leave_room_for_the_labels():
    both = pd.Series([-20.0, 2.0])   # span 22
    assert selloff._room(both).to_dict() == {"domain": [-23.96, 5.96]}
    assert selloff._room(pd.Series([10.0, 30.0])).to_dict() == {"domain": [0.0, 35.4]}
    assert selloff._room(pd.Series([-5.0, -10.0])).to_dict() == {"domain": [-11.8, 0.0]}
    assert selloff._fitted(both) == {"domain": [-22.64, 4.64], "nice": False}
    assert selloff._fitted(both, 0.5) == {"domain": [-31.0, 13.0], "nice": False}
    assert selloff._fitted(pd.Series([10.0, 30.0])) == {"domain": [0.0, 33.6], "nice": False}
    assert selloff._fitted(pd.Series([-1.234, -5.678])) == {"domain": [-6.36, 0.0], "nice": False}
    # a small rise still gets room (span 1.734: 0.18 x 1.734 = 0.31212, 0.12 x 1.734 = 0.20808)
    assert selloff._room(pd.Series([-1.234, 0.5])).to_dict()["domain"] == pytest.approx(
        [-1.54612, 0.81212], abs=1e-12)
    assert selloff._fitted(pd.Series([-1.234, 0.5])) == {"domain": [-1.44, 0.71], "nice": False}


# --- the day's moves on a made-up frame --------------------------------------------------------

ROWS = [("PPP", "Power Co", "US power", "equity", -0.20),
        ("AAA", "Alpha Chips", "US semiconductors", "equity", -0.12),
        ("ORCL", "Oracle", "US platforms", "equity", -0.10),
        ("BBB", "Beta Chips", "US semiconductors", "equity", -0.08),
        ("SPY", "SPDR S&P 500 ETF Trust", "US indices", "etf", -0.01),
        ("^NDX", "Nasdaq-100", "US indices", "index", 0.005),
        ("TSM", "TSMC (ADR)", "Foreign chip ADRs", "adr", 0.01),
        ("MSFT", "Microsoft", "US platforms", "equity", 0.02),
        ("^VIX", "Cboe Volatility index (VIX)", "US indices", "index", 0.30)]


def _moves(rows=ROWS) -> pd.DataFrame:
    m = pd.DataFrame(rows, columns=["ticker", "name", "group", "kind", "ret"])
    return m.assign(ret_pct=m["ret"] * 100,
                    short=[selloff.SHORT_US.get(t, n) for t, n in zip(m["ticker"], m["name"])])


def test_winners_group_means_and_shown_groups():
    m = _moves()
    # traded (not an index: ^NDX and the VIX rose too), best first
    assert selloff.winners(m)["ticker"].tolist() == ["MSFT", "TSM"]
    means = selloff.group_means(m)   # the VIX left out of the indices; book order
    assert list(means.index) == ["US semiconductors", "Foreign chip ADRs", "US platforms",
                                 "US power", "US indices"]
    assert means.to_numpy() == pytest.approx([-0.10, 0.01, -0.04, -0.20, -0.0025])
    assert selloff.shown_groups(m).tolist() == [
        "US power", "US semiconductors", "US platforms (incl. Oracle)", "US semiconductors",
        "US indices", "US indices", "Foreign chip ADRs", "US platforms (incl. Oracle)",
        "US indices"]
    flat = m.assign(ret=np.where(m["ticker"] == "TSM", 0.0, m["ret"]))   # unchanged: no winner
    assert selloff.winners(flat)["ticker"].tolist() == ["MSFT"]
    up = m.assign(ret=np.where(m["ticker"] == "ORCL", 0.0, m["ret"]))   # Oracle unchanged
    assert "US platforms" in set(selloff.shown_groups(up))
    assert not any("Oracle" in g for g in selloff.shown_groups(up))
    assert selloff.shown_groups(m.loc[m["ticker"] != "ORCL"]).tolist().count("US platforms") == 1


CS_TIPS = [{"field": "name", "title": "Security", "type": "nominal"},
           {"field": "group", "title": "Group", "type": "nominal"},
           {"field": "ret_pct", "format": "+.1f", "title": "Change on day (%)", "type": "quantitative"}]
LABEL = {"field": "ret_pct", "format": "+.1f", "type": "quantitative"}
SIGN = {"condition": {"test": "datum.ret_pct < 0", "value": ORANGE}, "value": BLUE}
SIDE = {"align": {"expr": "datum.ret_pct < 0 ? 'right' : 'left'"},
        "dx": {"expr": "datum.ret_pct < 0 ? -3 : 3"}}


def test_cross_section_chart_spec_on_a_made_up_frame():
    rows = [r for r in ROWS if r[0] != "TSM"]
    spec = selloff.cross_section_chart(_moves(rows)).to_dict()
    panels, vix = spec["vconcat"]
    bars = spec["datasets"][panels["data"]["name"]]
    assert [(r["short"], r["group"], r["ret_pct"]) for r in bars] == [
        ("Power Co", "US power", -20.0), ("Alpha Chips", "US semiconductors", -12.0),
        ("Oracle", "US platforms (incl. Oracle)", -10.0), ("Beta Chips", "US semiconductors", -8.0),
        ("S&P 500 ETF (SPY)", "US indices", -1.0), ("Nasdaq-100", "US indices", 0.5),
        ("Microsoft", "US platforms (incl. Oracle)", 2.0)]
    assert set(bars[0]) == {"name", "short", "group", "ret_pct"}
    assert panels["facet"] == {"row": {
        "field": "group", "title": None, "type": "nominal",
        "header": {"labelAlign": "left", "labelAnchor": "start", "labelAngle": 0,
                   "labelFontWeight": "bold", "labelOrient": "top"},
        "sort": ["US semiconductors", "Foreign chip ADRs", "US chip equipment",
                 "US AI infrastructure", "US platforms (incl. Oracle)", "US power", "China ADR",
                 "US indices"]}}
    assert panels["resolve"] == {"scale": {"y": "independent"}}
    inner = panels["spec"]
    assert inner["width"] == 430 and inner["height"] == {"step": 15}
    bar, text = inner["layer"]
    y = {"axis": {"labelLimit": 170}, "field": "short", "sort": "x", "title": None, "type": "nominal"}
    assert bar["mark"] == {"type": "bar"}
    assert bar["encoding"] == {
        "color": SIGN, "tooltip": CS_TIPS, "y": y,
        "x": {"field": "ret_pct", "scale": {"domain": [-23.96, 5.96]}, "type": "quantitative",
              "title": "Close-to-close change on 27 January 2025 (%)"}}
    assert text["mark"] == {"type": "text", "fontSize": 10, **SIDE}
    assert text["encoding"] == {"text": LABEL, "tooltip": CS_TIPS, "y": y,
                                "x": {"field": "ret_pct", "type": "quantitative"}}
    # the VIX apart, on its own scale, in grey
    assert spec["datasets"][vix["data"]["name"]] == [
        {"name": "Cboe Volatility index (VIX)", "short": "VIX", "group": "US indices", "ret_pct": 30.0}]
    assert vix["width"] == 430 and vix["height"] == {"step": 15}
    vbar, vtext = vix["layer"]
    vx = {"field": "ret_pct", "scale": {"domain": [0.0, 35.4]}, "type": "quantitative",
          "title": "Change in the VIX volatility index (%): a different measure"}
    vy = {"axis": {"labelLimit": 170}, "field": "short", "title": None, "type": "nominal"}
    assert vbar["mark"] == {"type": "bar", "color": NEUTRAL}
    assert vbar["encoding"] == {"tooltip": CS_TIPS, "x": vx, "y": vy}
    assert vtext["mark"] == {"type": "text", "align": "left", "dx": 3, "fontSize": 10}
    assert vtext["encoding"] == {"text": LABEL, "tooltip": CS_TIPS, "x": vx, "y": vy}
    assert spec["title"] == {
        "text": "5 of these 7 AI-linked US securities fell on 27 January, the power companies "
                "most (20.0% on average)",
        "subtitle": ["Sorted within each group; the VIX (bottom) measures expected volatility, so "
                     "its change is shown apart", "Source: Yahoo Finance daily closes; exchange "
                     "calendars"]}
    assert spec["description"] == (
        f"Bar charts of close-to-close changes on 27 January 2025 by group. Power Co {M}20.0%; "
        f"Alpha Chips {M}12.0%; Oracle {M}10.0%; Beta Chips {M}8.0%; SPDR S&P 500 ETF Trust "
        f"{M}1.0%; Nasdaq-100 +0.5%; Microsoft +2.0%; Cboe Volatility index (VIX) +30.0%.")
    assert spec["usermeta"] == {"narrow": {
        "drop": [], "transpose": False,
        "set": {"vconcat/0/spec/layer/0/encoding/x/scale": {"domain": [-22.64, 4.64], "nice": False},
                "vconcat/1/layer/0/encoding/x/scale": {"domain": [0.0, 33.6], "nice": False}}}}


def test_cross_section_title_names_the_worst_group_by_its_words():
    rows = [r if r[0] != "ORCL" else ("ORCL", "Oracle", "US platforms", "equity", -0.50)
            for r in ROWS]   # platforms (incl. Oracle): (-50 + 2) / 2 = -24, worse than power
    title = selloff.cross_section_chart(_moves(rows)).to_dict()["title"]["text"]
    assert title == ("5 of these 8 AI-linked US securities fell on 27 January, the platforms "
                     "most (24.0% on average)")
    rows = [r for r in ROWS if r[0] not in ("PPP", "AAA", "BBB", "ORCL")]   # indices worst
    title = selloff.cross_section_chart(_moves(rows)).to_dict()["title"]["text"]
    assert title == ("1 of these 4 AI-linked US securities fell on 27 January, the indices and "
                     "funds most (0.2% on average)")
    rows = [*ROWS, ("FLAT", "Flat Co", "US power", "equity", 0.0)]   # unchanged: did not fall
    title = selloff.cross_section_chart(_moves(rows)).to_dict()["title"]["text"]
    assert title == ("5 of these 9 AI-linked US securities fell on 27 January, the power companies "
                     "most (10.0% on average)")
    rows = [*ROWS, ("NEW", "New Co", "Quantum", "equity", -0.30)]   # a group without words
    title = selloff.cross_section_chart(_moves(rows)).to_dict()["title"]["text"]
    assert title == ("6 of these 9 AI-linked US securities fell on 27 January, Quantum most "
                     "(30.0% on average)")


# --- the SOX's fall ranked, on a made-up series -----------------------------------------------

DATES = pd.to_datetime(["2024-01-02", "2024-01-03", "2024-01-04", "2024-01-05", "2024-01-08",
                        "2024-01-09", "2024-01-10", "2024-01-11", "2024-01-12", "2024-01-16"])
RETS = [-0.08, -0.12, 0.03, -0.09, -0.07, -0.02, -0.08, 0.01, -0.10, -0.085]
DAY = T("2024-01-10")


@pytest.fixture
def made_up(monkeypatch):
    def returns(ticker):
        assert ticker == "XX"
        rets = RETS if ticker == "XX" else []
        return pd.DataFrame({"ticker": ticker, "date": DATES, "ret": rets})
    monkeypatch.setattr(selloff.load, "returns", returns)


def test_fall_rank_on_a_made_up_series(made_up):
    r = selloff.fall_rank("XX", DAY)
    assert (r.ret, r.first, r.last, r.date) == (-0.08, DATES[0], DATES[-1], DAY)
    # larger falls strictly (2 Jan's equal fall is not one): 3 Jan and 5 Jan before, 12 and 16 after
    assert r.larger_before.to_dict() == {T("2024-01-03"): -0.12, T("2024-01-05"): -0.09}
    assert (r.rank_then, r.sessions_then) == (3, 7)
    assert r.deepest_since == T("2024-01-05")
    assert (r.worst_between, r.worst_between_ret) == (T("2024-01-08"), -0.07)
    assert r.larger_after.to_dict() == {T("2024-01-12"): -0.10, T("2024-01-16"): -0.085}
    assert (r.rank_all, r.sessions_all) == (5, 10)
    later = selloff.fall_rank("XX", "2024-01-12")   # a string date; nothing larger after it
    assert (later.rank_then, later.sessions_then, later.deepest_since) == (2, 9, T("2024-01-03"))
    assert (later.worst_between, later.worst_between_ret) == (T("2024-01-05"), -0.09)
    assert later.larger_after.empty and later.date == T("2024-01-12") and later.ret == -0.10
    with pytest.raises(ValueError, match="XX 2024-01-03: no larger fall before it in the data"):
        selloff.fall_rank("XX", T("2024-01-03"))


def test_fall_rank_ties_are_not_larger_falls(monkeypatch):
    dates = pd.to_datetime(["2024-01-02", "2024-01-03", "2024-01-04", "2024-01-05", "2024-01-08",
                            "2024-01-09"])
    monkeypatch.setattr(selloff.load, "returns", lambda ticker: pd.DataFrame(
        {"ticker": ticker, "date": dates, "ret": [-0.10, -0.02, -0.08, 0.01, -0.08, -0.09]}))
    r = selloff.fall_rank("YY", dates[2])
    assert r.larger_before.to_dict() == {dates[0]: -0.10} and r.rank_then == 2
    assert r.larger_after.to_dict() == {dates[5]: -0.09}   # 8 Jan's equal fall is not larger
    assert (r.rank_all, r.sessions_all) == (3, 6)
    table = selloff.worst_days("YY", dates[2], 3)
    assert table["when"].tolist() == ["Earlier", "Later", "4 January 2024"]


def test_worst_days_rounding_and_a_one_digit_day(monkeypatch):
    dates = pd.to_datetime(["2024-02-02", "2024-02-05", "2024-02-06"])
    monkeypatch.setattr(selloff.load, "returns", lambda ticker: pd.DataFrame(
        {"ticker": ticker, "date": dates, "ret": [-0.1234567, 0.01, -0.0912346]}))
    table = selloff.worst_days("ZZ", dates[2], 2)
    assert table["ret_pct"].tolist() == [-12.3457, -9.1235]
    assert table["when"].tolist() == ["Earlier", "6 February 2024"]
    rank = selloff.FallRank(ret=-0.0912346, first=dates[0], last=dates[2], rank_then=2,
                            sessions_then=3, larger_before=pd.Series(dtype=float),
                            deepest_since=dates[0], worst_between=dates[1],
                            worst_between_ret=0.01, larger_after=pd.Series(dtype=float),
                            rank_all=2, sessions_all=3, date=dates[2])
    spec = selloff.worst_days_chart(table, rank, "Index").to_dict()
    assert spec["title"]["text"] == ("The Index's 9.1% fall on 6 February was its deepest since "
                                     "2 February 2024")
    assert spec["layer"][0]["encoding"]["color"]["scale"]["domain"] == [
        "Earlier", "6 February 2024", "Later"]
    assert spec["title"]["subtitle"][0] == "The 2 largest one-day falls, February 2024 to February 2024"


def test_worst_days_table_and_chart_on_a_made_up_series(made_up):
    table = selloff.worst_days("XX", DAY, 5)
    want = pd.DataFrame({
        "date": pd.to_datetime(["2024-01-03", "2024-01-12", "2024-01-05", "2024-01-16",
                                "2024-01-02"]),
        "day": ["3 Jan 2024", "12 Jan 2024", "5 Jan 2024", "16 Jan 2024", "2 Jan 2024"],
        "ret_pct": [-12.0, -10.0, -9.0, -8.5, -8.0],
        "when": ["Earlier", "Later", "Earlier", "Later", "Earlier"]})
    pd.testing.assert_frame_equal(table, want, check_dtype=False)
    table = selloff.worst_days("XX", DAY, 6)   # the tie: 2 Jan first, then the day itself
    assert table["when"].tolist()[-2:] == ["Earlier", "10 January 2024"]
    assert len(selloff.worst_days("XX", DAY)) == 10
    table = table.iloc[[0, 1, 2, 3, 5]].reset_index(drop=True)
    spec = selloff.worst_days_chart(table, selloff.fall_rank("XX", DAY), "SOX").to_dict()
    assert spec["datasets"][spec["data"]["name"]] == [
        {"date": f"{d:%Y-%m-%d}T00:00:00", "day": day, "ret_pct": p, "when": w}
        for d, day, p, w in zip(table["date"], table["day"], table["ret_pct"], table["when"])]
    assert spec["width"] == 480 and spec["height"] == {"step": 18}
    bars, text = spec["layer"]
    tips = [{"field": "date", "format": "%a %d %b %Y", "title": "Date", "type": "temporal"},
            {"field": "ret_pct", "format": "+.1f", "title": "Change on day (%)", "type": "quantitative"},
            {"field": "when", "title": "When", "type": "nominal"}]
    y = {"field": "day", "title": None, "type": "nominal",
         "sort": ["3 Jan 2024", "12 Jan 2024", "5 Jan 2024", "16 Jan 2024", "10 Jan 2024"]}
    domain = ["Earlier", "10 January 2024", "Later"]
    assert bars["mark"] == {"type": "bar", "stroke": "#333333", "strokeWidth": 0.5}
    assert bars["encoding"] == {
        "color": {"field": "when", "title": None, "type": "nominal", "sort": domain,
                  "scale": {"domain": domain, "range": [MUTED, ORANGE, NEUTRAL]}},
        "tooltip": tips, "y": y,
        "x": {"field": "ret_pct", "scale": {"domain": [-14.16, 0.0]}, "type": "quantitative",
              "title": "Close-to-close change (%)"}}
    assert text["mark"] == {"type": "text", "align": "right", "dx": -3, "fontSize": 10}
    assert text["encoding"] == {"text": LABEL, "tooltip": tips, "y": y,
                                "x": {"field": "ret_pct", "type": "quantitative"}}
    assert spec["title"] == {
        "text": "The SOX's 8.0% fall on 10 January was its deepest since 5 January 2024",
        "subtitle": ["The 5 largest one-day falls, January 2024 to January 2024",
                     "Source: Yahoo Finance daily closes; exchange calendars"]}
    assert spec["description"] == (
        f"Bar chart of the SOX's 5 worst days: 3 Jan 2024 {M}12.0% (earlier); 12 Jan 2024 "
        f"{M}10.0% (later); 5 Jan 2024 {M}9.0% (earlier); 16 Jan 2024 {M}8.5% (later); 10 Jan "
        f"2024 {M}8.0% (10 January 2024).")
    assert spec["usermeta"] == {"narrow": {"drop": [], "transpose": False, "set": {
        "layer/0/encoding/x/scale": {"domain": [-13.44, 0.0], "nice": False}}}}


# --- the headline chart on a made-up table ----------------------------------------------------------

def _headline(rets: list[float], late_date: str = "2025-02-05") -> pd.DataFrame:
    return pd.DataFrame({
        "ticker": ["A", "B", "C", "D"], "name": ["Aco", "Bco", "Cco", "Dco"],
        "label": ["Aco (Mon 27 Jan)", "Bco (Mon 27 Jan)", "Cco (Wed 05 Feb)", "Dco (Mon 27 Jan)"],
        "market": ["US", "Japan", "Korea", "US"],
        "date": pd.to_datetime(["2025-01-27", "2025-01-27", late_date, "2025-01-27"]),
        "prev_date": pd.to_datetime(["2025-01-24", "2025-01-24", "2025-01-24", "2025-01-24"]),
        "ret_pct": rets})


def test_headline_chart_spec_on_a_made_up_table():
    spec = selloff.headline_chart(_headline([-17.0, -5.0, -2.0, 1.5])).to_dict()
    assert spec["datasets"][spec["data"]["name"]][2]["label"] == "Cco (Wed 05 Feb)"
    assert spec["width"] == 300 and spec["height"] == {"step": 20}
    bars, text = spec["layer"]
    tips = [{"field": "name", "title": "Security", "type": "nominal"},
            {"field": "market", "title": "Market", "type": "nominal"},
            {"field": "prev_date", "format": "%d %b %Y", "title": "Previous session", "type": "temporal"},
            {"field": "date", "format": "%d %b %Y", "title": "Session", "type": "temporal"},
            {"field": "ret_pct", "format": "+.1f", "title": "Change (%)", "type": "quantitative"}]
    y = {"axis": {"labelLimit": 260}, "field": "label", "sort": "x", "title": None, "type": "nominal"}
    assert bars["mark"] == {"type": "bar"}
    assert bars["encoding"] == {
        "color": SIGN, "tooltip": tips, "y": y,
        "x": {"field": "ret_pct", "scale": {"domain": [-20.33, 4.83]}, "type": "quantitative",
              "title": "Change in the first session from 27 January 2025 (%)"}}
    assert text["mark"] == {"type": "text", "fontSize": 10, **SIDE}
    assert text["encoding"] == {"text": LABEL, "tooltip": tips, "y": y,
                                "x": {"field": "ret_pct", "type": "quantitative"}}
    assert spec["title"] == {
        "text": "3 of 4 headline securities fell in their first session; Dco rose",
        "subtitle": [f"Biggest fall: Aco (Mon 27 Jan) {M}17.0%",
                     "First session: each market's first on or after Monday 27 January; Seoul "
                     "and Taipei fell when they reopened after Lunar New Year",
                     "Source: Yahoo Finance daily closes; exchange calendars"]}
    assert spec["description"] == (
        "Bar chart of close-to-close changes in each security's first session on or after 27 "
        f"January 2025: Aco (Mon 27 Jan) {M}17.0%; Bco (Mon 27 Jan) {M}5.0%; Cco (Wed 05 Feb) "
        f"{M}2.0%; Dco (Mon 27 Jan) +1.5%.")


@pytest.mark.parametrize("rets, late_date, title, reopened", [
    ([-17.0, -5.0, 2.0, 3.5], "2025-02-05", "2 of 4 headline securities fell in their first "
     "session; Cco and Dco rose", "reopened later, after Lunar New Year"),
    ([-17.0, 0.0, 2.0, 3.5], "2025-02-05", "1 of 4 headline securities fell in their first "
     "session; Cco and Dco rose", "reopened later, after Lunar New Year"),
    ([-17.0, 1.0, 2.0, 3.5], "2025-02-05", "1 of 4 headline securities fell in their first "
     "session", "reopened later, after Lunar New Year"),
    ([-17.0, -5.0, -2.0, -1.0], "2025-02-05", "4 of 4 headline securities fell in their first "
     "session", "fell when they reopened after Lunar New Year"),
    ([-17.0, -5.0, -2.0, -1.0], "2025-01-27", "4 of 4 headline securities fell in their first "
     "session", "reopened later, after Lunar New Year"),   # no market reopened later
    ([-17.0, -5.0, 0.0, -1.0], "2025-02-05", "3 of 4 headline securities fell in their first "
     "session", "reopened later, after Lunar New Year"),   # unchanged when it reopened
    ([-17.0, -5.0, 0.5, -1.0], "2025-02-05", "3 of 4 headline securities fell in their first "
     "session; Cco rose", "reopened later, after Lunar New Year"),
])
def test_headline_title_counts_falls_and_names_few_risers(rets, late_date, title, reopened):
    spec = selloff.headline_chart(_headline(rets, late_date)).to_dict()
    assert spec["title"]["text"] == title
    assert spec["title"]["subtitle"][1].endswith("Seoul and Taipei " + reopened)


def test_headline_chart_for_another_day():
    table = _headline([-17.0, -5.0, -2.0, 1.5]).assign(
        date=pd.to_datetime(["2025-02-03", "2025-02-03", "2025-02-05", "2025-02-03"]))
    spec = selloff.headline_chart(table, T("2025-02-03")).to_dict()
    assert spec["title"]["subtitle"][1] == (
        "First session: each market's first on or after Monday 3 February; Seoul and Taipei "
        "fell when they reopened after Lunar New Year")
    assert spec["layer"][0]["encoding"]["x"]["title"] == (
        "Change in the first session from 3 February 2025 (%)")
    assert "on or after 3 February 2025:" in spec["description"]


# --- the breadth table ------------------------------------------------------------------------

def test_breadth_markdown_sorted_by_the_average_move_the_index_last():
    table = pd.DataFrame({"members": [3, 2, 1, 6], "rose": [1, 2, 0, 3], "fell": [2, 0, 1, 3],
                          "ew_ret": [-0.0123, 0.0456, -0.0301, 0.00031]},
                         index=pd.Index(["Tech", "Staples", "Energy", benchmarks.ALL], name="sector"))
    assert selloff.breadth_markdown(table).splitlines() == [
        "| Sector | Members | Rose | Fell | Average move |", "|---|---:|---:|---:|---:|",
        f"| Energy | 1 | 0 | 1 | {M}3.01% |", f"| Tech | 3 | 1 | 2 | {M}1.23% |",
        "| Staples | 2 | 2 | 0 | +4.56% |", "| All S&P 500 members | 6 | 3 | 3 | +0.03% |"]


def test_sector_breadth_on_a_made_up_panel(monkeypatch):
    """S&P 500 members only (not the ETFs); a member without a sector (missing or empty) is
    "Not classified"; a member without a return on the day is counted, not moved."""
    wide = pd.DataFrame({"A": [0.01, 0.5], "B": [-0.02, 0.5], "C": [0.03, 0.5], "D": [-0.01, 0.5],
                         "E": [0.05, 0.5]}, index=pd.to_datetime(["2025-01-27", "2025-01-28"]))
    members = pd.DataFrame({"ticker": ["A", "B", "C", "D", "E", "F"],
                            "kind": ["sp500", "sp500", "sp500", "sp500", "etf", "sp500"],
                            "sector": ["Technology", "Technology", np.nan, "", "", "Energy"]})
    monkeypatch.setattr(selloff.load, "panel_returns", lambda: wide)
    monkeypatch.setattr(selloff.load, "panel_members", lambda: members)
    got = selloff.sector_breadth(SHOCK)
    assert list(got.index) == ["Energy", "Not classified", "Technology", benchmarks.ALL]
    assert got[["members", "rose", "fell"]].to_numpy().tolist() == [
        [1, 0, 0], [2, 1, 1], [2, 1, 1], [5, 2, 2]]
    assert got["ew_ret"].tolist()[1:] == pytest.approx([0.01, -0.005, 0.0025])
    assert np.isnan(got.at["Energy", "ew_ret"])


# --- on the data: an oracle from the raw snapshot files ---------------------------------------------

def _us() -> pd.DataFrame:
    """Every US security of data/universe.csv with its move on 27 January from the raw closes."""
    uni = raw.universe()
    uni = uni.loc[uni["market"] == "US"]
    rows = []
    for t in uni.index:
        c = raw.close(t)
        prev = c.index[c.index < SHOCK].max()
        rows.append({"ticker": t, "name": uni.at[t, "name"], "group": uni.at[t, "group"],
                     "kind": uni.at[t, "kind"], "prev_date": prev, "prev_close": c[prev],
                     "close": c[SHOCK], "ret": c[SHOCK] / c[prev] - 1})
    return pd.DataFrame(rows).sort_values("ret").reset_index(drop=True)


def test_us_moves_on_the_data():
    got, want = selloff.us_moves(), _us()
    assert list(got.columns) == ["ticker", "name", "group", "kind", "prev_date", "prev_close",
                                 "close", "ret", "ret_pct", "short"]
    assert got["ticker"].tolist() == want["ticker"].tolist() and len(got) == 38
    for column in ("name", "group", "kind", "prev_date"):
        assert got[column].tolist() == want[column].tolist()
    for column in ("prev_close", "close", "ret"):
        assert got[column].to_numpy() == pytest.approx(want[column].to_numpy(), rel=1e-12)
    assert got["ret_pct"].tolist() == (want["ret"] * 100).round(4).tolist()
    short = got.set_index("ticker")["short"]
    assert (short["SMCI"], short["NVDA"], short["^VIX"]) == ("Super Micro", "Nvidia", "VIX")
    with pytest.raises(ValueError, match=r"no session on 2025-01-25 for \['AAPL', 'AMAT'"):
        selloff.us_moves(T("2025-01-25"))   # a Saturday
    other = selloff.us_moves(T("2025-01-28"))
    nv = raw.close("NVDA")
    assert other.set_index("ticker").at["NVDA", "ret"] == pytest.approx(
        nv[T("2025-01-28")] / nv[SHOCK] - 1, rel=1e-12)


def test_first_sessions_on_the_data():
    got = selloff.first_sessions()
    assert list(got.columns) == ["ticker", "name", "label", "market", "date", "prev_date", "ret_pct"]
    assert got["ret_pct"].is_monotonic_increasing and len(got) == len(selloff.HEADLINE)
    uni = raw.universe()
    for r in got.itertuples():
        c = raw.traded(r.ticker)
        first = c.index[c.index >= SHOCK].min()
        prev = c.index[c.index < first].max()
        assert (r.date, r.prev_date) == (first, prev), r.ticker
        assert r.ret_pct == round((c[first] / c[prev] - 1) * 100, 4)
        assert (r.name, r.market) == (uni.at[r.ticker, "name"], uni.at[r.ticker, "market"])
        short = selloff.SHORT_NAMES.get(r.ticker, r.name)
        assert r.label == f"{short} ({first:%a %d %b})"
    labels = got.set_index("ticker")["label"]
    assert labels["2330.TW"] == "TSMC (Taipei) (Mon 03 Feb)" and labels["NVDA"] == "Nvidia (Mon 27 Jan)"
    assert labels["000660.KS"] == "SK hynix (Fri 31 Jan)" and labels["AVGO"] == "Broadcom (Mon 27 Jan)"
    later = selloff.first_sessions(["NVDA", "2330.TW"], T("2025-01-28")).set_index("ticker")
    assert later["date"].to_dict() == {"NVDA": T("2025-01-28"), "2330.TW": T("2025-02-03")}


def _panel_day(day: pd.Timestamp = SHOCK) -> pd.DataFrame:
    closes = raw.panel_closes()
    members = raw.panel_members()
    sp = members.index[members["kind"] == "sp500"]
    prev = closes.index[closes.index < day].max()
    r = (closes.loc[day] / closes.loc[prev] - 1).reindex(sp)
    sector = members.loc[sp, "sector"].replace("", "Not classified")
    return pd.DataFrame({"ret": r, "sector": sector})


def test_sector_breadth_on_the_data():
    got, frame = selloff.sector_breadth(), _panel_day()
    assert list(got.index) == sorted(set(frame["sector"])) + [benchmarks.ALL]
    assert "Not classified" in got.index
    for sector, part in [*frame.groupby("sector"), (benchmarks.ALL, frame)]:
        row = got.loc[sector]
        assert (row["members"], row["rose"], row["fell"]) == (
            len(part), (part["ret"] > 0).sum(), (part["ret"] < 0).sum()), sector
        assert row["ew_ret"] == pytest.approx(part["ret"].mean(), rel=1e-9)
    other = selloff.sector_breadth(T("2025-01-28"))
    assert other.at[benchmarks.ALL, "ew_ret"] == pytest.approx(
        _panel_day(T("2025-01-28"))["ret"].mean(), rel=1e-9)


@pytest.fixture
def chapter():
    """The chapter computed in each test (not read from the store), so that every function it
    calls counts as exercised by every test that reads it."""
    return selloff.chapter.__wrapped__()


def test_defaults_are_the_sox_on_day_0():
    default, given = selloff.fall_rank(), selloff.fall_rank("^SOX", SHOCK)
    assert (default.ret, default.rank_all, default.sessions_all, default.date) == (
        given.ret, given.rank_all, given.sessions_all, SHOCK)
    pd.testing.assert_frame_equal(selloff.worst_days(), selloff.worst_days("^SOX", SHOCK, 12))
    assert len(selloff.worst_days()) == 12


def test_chapter_cross_section_numbers_on_the_data(chapter):
    g, us = chapter.text, _us()
    ranked = us.loc[us["ticker"] != "^VIX"]
    assert (g["so_n"], g["so_down"]) == (str(len(ranked)), str(int((ranked["ret"] < 0).sum())))
    assert (g["so_n"], g["so_down"]) == ("37", "33")
    assert g["so_worst"] == f"{ranked.iloc[0]['name']}, which fell {raw.fall(ranked.iloc[0]['ret'])}"
    means = ranked.groupby("group")["ret"].mean()
    for key, group in (("semis", "US semiconductors"), ("power", "US power"),
                       ("adrs", "Foreign chip ADRs"), ("infra", "US AI infrastructure"),
                       ("indices", "US indices")):
        assert g[f"so_mean_{key}"] == raw.fall(means[group]), key
    assert g["so_mean_platforms"] == f"fell {abs(means['US platforms']) * 100:.1f}%"
    platforms = ranked.loc[ranked["group"] == "US platforms"].sort_values("ret")
    assert g["so_n_platforms"] == "six"
    assert g["so_platforms"] == ", ".join(
        f"{r.name} ({raw.minus(raw.pct(r.ret))})" for r in platforms.itertuples())
    ex = platforms.loc[platforms["ticker"] != "ORCL", "ret"].mean()
    assert g["so_mean_platforms_ex"] == ("rose " if ex > 0 else "fell ") + f"{abs(ex) * 100:.1f}%"
    by = us.set_index("ticker")
    assert g["so_orcl"] == raw.fall(by.at["ORCL", "ret"])
    up = us.loc[us["kind"].isin(["equity", "adr", "etf"]) & (us["ret"] > 0)].sort_values(
        "ret", ascending=False)
    assert g["so_winners"] == ", ".join(f"{r.name} ({raw.minus(raw.pct(r.ret))})"
                                        for r in up.itertuples())
    assert g["so_n_winners"] == raw.count(len(up)) == "four"
    assert g["so_spx"] == raw.fall(by.at["^GSPC", "ret"]) and g["so_ndx"] == raw.fall(by.at["^IXIC", "ret"])
    vix = by.loc["^VIX"]
    assert (g["so_vix_prev"], g["so_vix_close"]) == (f"{vix['prev_close']:,.1f}", f"{vix['close']:,.1f}")
    assert g["so_vix_ret"] == f"{vix['ret'] * 100:.1f}%"
    assert g["so_vix_points"] == f"{vix['close'] - vix['prev_close']:.1f}"


def test_chapter_breadth_on_the_data(chapter):
    g, frame = chapter.text, _panel_day()
    r = frame["ret"]
    assert (g["so_sp_fell"], g["so_sp_rose"], g["so_sp_n"]) == (
        f"{(r < 0).sum():,}", f"{(r > 0).sum():,}", f"{len(r):,}")
    assert g["so_sp_ew"] == ("rose " if r.mean() > 0 else "fell ") + f"{abs(r.mean()) * 100:.2f}%"
    tech = frame.loc[frame["sector"] == "Technology", "ret"]
    assert (g["so_tech_fell"], g["so_tech_n"]) == (f"{(tech < 0).sum():,}", f"{len(tech):,}")
    staples = frame.loc[frame["sector"] == "Consumer Defensive", "ret"]
    assert (staples > 0).all()
    assert g["so_staples"] == (f"all {len(staples)} consumer-staples companies (food, drink, "
                               "household goods) rose")
    lines = g["so_breadth_table"].splitlines()
    means = frame.groupby("sector")["ret"].mean().sort_values()
    assert [line.split(" | ")[0].lstrip("| ") for line in lines[2:]] == [
        *means.index, "All S&P 500 members"]
    assert lines[-1] == (f"| All S&P 500 members | {len(r)} | {(r > 0).sum()} | {(r < 0).sum()} | "
                         f"{raw.minus(raw.pct(r.mean(), 2))} |")


def test_chapter_sox_rank_on_the_data(chapter):
    g, sox = chapter.text, raw.rets("^SOX")
    day0 = sox[SHOCK]
    then = sox.loc[:SHOCK]
    larger = then.loc[then < day0]
    since = larger.index.max()
    between = sox.loc[(sox.index > since) & (sox.index < SHOCK)]
    after = sox.loc[(sox.index > SHOCK) & (sox < day0)]
    assert g["so_sox_fall"] == raw.fall(day0) == "9.1%"
    assert (g["so_sox_first"], g["so_sox_last"]) == (raw.day(sox.index.min()), raw.day(sox.index.max()))
    assert g["so_sox_rank_then"] == raw.ordinal(len(larger) + 1) == "4th"
    assert g["so_sox_sessions_then"] == f"{len(then):,}"
    assert g["so_sox_larger"] == ", ".join(f"{raw.day(d)} ({raw.minus(raw.pct(v))})"
                                           for d, v in larger.items())
    assert g["so_sox_n_larger"] == raw.count(len(larger)) and g["so_sox_since"] == raw.day(since)
    records = pd.read_csv(raw.DATA / "records.csv", parse_dates=["date"])
    nvda_records = set(records.loc[records["ticker"] == "NVDA", "date"])
    assert between.idxmin() in nvda_records
    assert g["so_sox_between"] == (f"{raw.day(between.idxmin())} ({raw.minus(raw.pct(between.min()))})"
                                   ", the day of Nvidia's previous record loss of market value")
    assert g["so_sox_later"] == ", ".join(f"{raw.day(d)} ({raw.minus(raw.pct(v))})"
                                          for d, v in after.items())
    assert g["so_sox_rank_all"] == raw.ordinal(int((sox < day0).sum()) + 1) == "5th"
    assert g["so_sox_sessions_all"] == f"{len(sox):,}"


def test_chapter_figures_on_the_data(chapter):
    us = _us()
    ranked = us.loc[us["ticker"] != "^VIX"]
    chart, data = chapter.figures["fig-selloff-us"]
    assert list(data.columns) == ["ticker", "name", "short", "group", "ret_pct"]
    assert data["ticker"].tolist() == us["ticker"].tolist()
    means = (ranked["ret"] * 100).groupby(ranked["group"]).mean()
    words = {"US power": "the power companies",
             "US AI infrastructure": "the AI server and equipment makers"}
    assert chart.to_dict()["title"]["text"] == (
        f"{int((ranked['ret'] < 0).sum())} of these {len(ranked)} AI-linked US securities fell on "
        f"27 January, {words[means.idxmin()]} most ({abs(means.min()):.1f}% on average)")
    chart, data = chapter.figures["fig-selloff-sox-worst"]
    sox = raw.rets("^SOX")
    worst = sox.nsmallest(12)
    assert list(data.columns) == ["date", "day", "ret_pct", "when"]
    assert data["date"].tolist() == list(worst.index)
    assert data["ret_pct"].tolist() == (worst * 100).round(4).tolist()
    assert data["when"].tolist() == ["Earlier" if d < SHOCK else "Later" if d > SHOCK
                                     else "27 January 2025" for d in worst.index]
    since = sox.loc[:SHOCK][sox.loc[:SHOCK] < sox[SHOCK]].index.max()
    spec = chart.to_dict()
    assert spec["title"]["text"] == (f"The SOX's {abs(sox[SHOCK]) * 100:.1f}% fall on 27 January "
                                     f"was its deepest since {raw.day(since)}")
    assert spec["title"]["subtitle"][0] == (f"The 12 largest one-day falls, {sox.index.min():%B %Y} "
                                            f"to {sox.index.max():%B %Y}")
    assert f"27 Jan 2025 {M}9.1% (27 January 2025)" in spec["description"]
