"""The aftermath chapter's pieces (`story.aftermath`): paths, the tariff window, the recovery
table, the group paths and their phases, the group table, both charts (title, subtitle,
description, marks, axes, colours, tooltips) and the chapter's glued text, on small made-up
frames written out here; and the published numbers against an oracle recomputed from the raw
snapshot files (closes, data/universe.csv) with plain pandas. Fast: no book, no kernel."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from deepshock.data import artefacts
from deepshock.story import aftermath
from tests.conftest import ROOT, SNAPSHOT

T = pd.Timestamp
ACCENT, MUTED, NEUTRAL = "#CC79A7", "#BBBBBB", "#555555"
STATUS = ["never closed below", "regained before the tariff sell-off",
          "regained after the tariff sell-off", "not regained by 30 June"]
WINDOW = {"start": T("2025-04-03"), "end": T("2025-04-09")}
SOURCE = ("Source: Yahoo Finance daily closes; exchange calendars; tariff sell-off dated from "
          "the S&P 500's moves")


def test_constants():
    """Day 0 is Monday 27 January; the base is Friday 24 January, New York's last close before
    it; the fortnight ends on the last New York session of the week after (Friday 7 February);
    the chapter ends on 30 June; VIX and the yen are not securities with a close to regain."""
    assert (aftermath.DAY0, aftermath.BASE, aftermath.FORTNIGHT, aftermath.END) == \
        (T("2025-01-27"), T("2025-01-24"), T("2025-02-07"), T("2025-06-30"))
    assert aftermath.EXCLUDE == ("^VIX", "JPY=X") and aftermath.STATUS == STATUS
    assert aftermath.STATUS_COLOURS == [MUTED, "#888888", NEUTRAL, ACCENT]
    assert aftermath.FORTNIGHT_COLOUR == ACCENT


def test_short_names_on_the_recovery_chart(oracle):
    """Names short enough for a phone's axis where the full name is long; the others as they
    are; every bar's label distinct (the axis sorts by it)."""
    assert aftermath.SHORT == {
        "AMD": "AMD", "SMCI": "Super Micro", "CEG": "Constellation", "BABA": "Alibaba (ADR)",
        "SMH": "Chip ETF (SMH)", "QQQ": "Nasdaq-100 (QQQ)", "SPY": "S&P 500 ETF (SPY)",
        "XLK": "Tech ETF (XLK)", "XLU": "Utilities ETF (XLU)", "^SOX": "SOX",
        "6723.T": "Renesas", "005930.KS": "Samsung", "^TWII": "Taiex"}
    rec = aftermath.recovery(aftermath.paths(), aftermath.tariff_window())
    spec = aftermath.recovery_chart(rec, aftermath.tariff_window()).to_dict()
    rows = pd.DataFrame(spec["datasets"][spec["layer"][1]["data"]["name"]]).set_index("ticker")
    want = oracle["table"]["name"].to_dict() | aftermath.SHORT
    assert rows["short"].to_dict() == want and rows["short"].is_unique
    assert max(map(len, rows["short"])) <= 32
    assert spec["height"] == 14 * 60


# --- made-up returns ---------------------------------------------------------------------------

def _returns(table: dict[str, list[tuple[str, float, float]]]):
    """A stand-in for `load.returns` over made-up (date, ret, close) rows, recording what it was
    asked for."""
    asked = []
    frame = pd.DataFrame([(t, T(d), r, c) for t, rows in table.items() for d, r, c in rows],
                         columns=["ticker", "date", "ret", "close"])

    def returns(tickers):
        asked.append(tickers)
        wanted = [tickers] if isinstance(tickers, str) else list(tickers)
        return frame.loc[frame["ticker"].isin(wanted)].reset_index(drop=True)
    return returns, asked


def test_paths_compound_from_the_last_close_on_or_before_the_base(monkeypatch):
    returns, asked = _returns({
        # no session on the base day (a holiday): its base is the close before
        "BBB": [("2025-01-21", 0.1, 1), ("2025-01-22", -0.2, 1), ("2025-01-27", 0.1, 1),
                ("2025-02-03", 0.1, 1)],
        "AAA": [("2025-01-23", 0.5, 1), ("2025-01-24", 0.3, 1), ("2025-01-27", -0.1, 1),
                ("2025-01-28", 0.2, 1), ("2025-06-30", -0.5, 1), ("2025-07-01", 0.4, 1)]})
    monkeypatch.setattr(aftermath.load, "returns", returns)
    monkeypatch.setattr(aftermath, "unverified", lambda: {("AAA", T("2025-01-28"))})
    got = aftermath.paths(["AAA", "BBB"], T("2025-01-24"), T("2025-06-30"))
    assert asked == [["AAA", "BBB"]]   # asked in this order, returned in another
    assert list(got.columns) == ["ticker", "base_date", "date", "session", "cum"]
    # in the order of the returns (not sorted), one index over all rows
    assert got["ticker"].tolist() == ["BBB"] * 2 + ["AAA"] * 3
    assert got["base_date"].tolist() == [T("2025-01-22")] * 2 + [T("2025-01-24")] * 3
    assert got["date"].tolist() == [T("2025-01-27"), T("2025-02-03"), T("2025-01-27"),
                                    T("2025-01-28"), T("2025-06-30")]
    assert got["session"].tolist() == [1, 2, 1, 2, 3] and list(got.index) == list(range(5))
    # compounded, not summed: 0.9 x 1.2 x 0.5 - 1 = -0.46; the unverified close is left out as a
    # point, the later point kept
    want = [0.1, 0.21, -0.1, np.nan, -0.46]
    np.testing.assert_allclose(got["cum"].to_numpy(), want, atol=1e-12)
    # the default end is 30 June (1 July left out), the default tickers the universe's members
    monkeypatch.setattr(aftermath, "members",
                        lambda: pd.DataFrame({"ticker": ["BBB"], "name": ["b"], "group": ["g"]}))
    assert aftermath.paths(base=T("2025-01-24"))["ticker"].tolist() == ["BBB", "BBB"]
    assert asked[-1] == ["BBB"]
    assert len(aftermath.paths(["AAA"], T("2025-01-24"))) == 3
    assert aftermath.paths(["AAA"], T("2025-01-27"), T("2025-07-01"))["cum"].iloc[-1] == \
        pytest.approx(1.2 * 0.5 * 1.4 - 1)


def test_tariff_window_from_the_months_largest_moves(monkeypatch):
    rows = [("2025-03-31", -0.09, 90.0),                      # a bigger fall, but in March
            ("2025-04-01", 0.01, 100.0), ("2025-04-02", -0.03, 97.0),
            ("2025-04-03", -0.05, 92.0), ("2025-04-04", -0.06, 86.5),
            ("2025-04-07", -0.002, 80.0), ("2025-04-08", -0.01, 85.0),
            ("2025-04-09", 0.095, 93.0), ("2025-04-30", 0.02, 95.0),
            ("2025-05-01", 0.12, 70.0)]                       # a bigger rise, lower close: May
    returns, asked = _returns({"^GSPC": rows, "^OTHER": [("2025-04-01", -0.5, 1.0)]})
    monkeypatch.setattr(aftermath.load, "returns", returns)
    got = aftermath.tariff_window()
    assert asked == ["^GSPC"]
    assert got == {"start": T("2025-04-03"), "end": T("2025-04-09"),
                   "falls": [(T("2025-04-04"), -0.06), (T("2025-04-03"), -0.05)],
                   "rise": (T("2025-04-09"), 0.095), "low": T("2025-04-07")}
    march = aftermath.tariff_window("2025-03")
    assert march["start"] == march["end"] == march["low"] == T("2025-03-31")
    assert aftermath.tariff_window(index="^OTHER")["start"] == T("2025-04-01")


# --- the recovery table ------------------------------------------------------------------------

MEMBERS = pd.DataFrame({"ticker": ["NVDA", "AAA", "BBB", "^SOX", "CCC"],
                        "name": ["Nvidia", "Alpha Inc", "Beta Corp", "PHLX Semiconductor index",
                                 "Gamma Ltd"],
                        "group": ["US semiconductors", "G1", "G1", "US indices", "G2"]})
DATES = ["2025-01-27", "2025-02-07", "2025-02-10", "2025-04-02", "2025-04-03", "2025-04-04",
         "2025-04-09", "2025-04-10", "2025-06-30"]
CUM = {"NVDA": [-0.1696823, -0.10, -0.05, -0.20, -0.25, -0.28, -0.3000123, 0.0, 0.1077694],
       "AAA": [0.0123456, -0.01, -0.02, -0.03, -0.04, -0.05, -0.01, 0.01, -0.02],
       "BBB": [-0.05, 0.02, 0.01, -0.01, -0.03, -0.04, -0.05, -0.06, -0.01],
       "^SOX": [-0.09, -0.2, -0.1, -0.05, 0.0, -0.1, -0.2, -0.1, 0.04],
       "CCC": [-0.1, -0.2, -0.3, -0.35, -0.4, -0.35, -0.3, -0.2, -0.3]}


def _path() -> pd.DataFrame:
    rows = [(t, T("2025-01-22") if t == "CCC" else T("2025-01-24"), T(d), i + 1, c)
            for t, cums in CUM.items() for i, (d, c) in enumerate(zip(DATES, cums))]
    return pd.DataFrame(rows, columns=["ticker", "base_date", "date", "session", "cum"])


@pytest.fixture
def made_up(monkeypatch):
    monkeypatch.setattr(aftermath, "members", lambda: MEMBERS.copy())


def test_recovery_status_sessions_lows_and_end(made_up):
    got = aftermath.recovery(_path(), WINDOW)
    assert list(got.columns) == ["ticker", "name", "group", "base_date", "first_pct", "low_pct",
                                 "low_date", "status", "regained_date", "sessions", "end_pct",
                                 "low_in_window"]
    rows = [(r.ticker, r.name, r.group, f"{r.base_date:%Y-%m-%d}", r.first_pct, r.low_pct,
             f"{r.low_date:%Y-%m-%d}", r.status,
             None if pd.isna(r.regained_date) else f"{r.regained_date:%Y-%m-%d}",
             None if pd.isna(r.sessions) else r.sessions, r.end_pct, r.low_in_window)
            for r in got.itertuples()]
    assert rows == [
        # regained on its 8th session, the day after the window: after the sell-off; its low
        # on the window's last day is inside it
        ("NVDA", "Nvidia", "US semiconductors", "2025-01-24", -16.9682, -30.0012, "2025-04-09",
         STATUS[2], "2025-04-10", 8, 10.7769, True),
        # up on the first session: never below, "regained" on that session, no count
        ("AAA", "Alpha Inc", "G1", "2025-01-24", 1.2346, -5.0, "2025-04-04", STATUS[0],
         "2025-01-27", None, -2.0, True),
        # back on its 2nd session (7 Feb), before the window; low the day after the window
        ("BBB", "Beta Corp", "G1", "2025-01-24", -5.0, -6.0, "2025-04-10", STATUS[1],
         "2025-02-07", 2, -1.0, False),
        # back exactly at the base close on the window's first day: after the sell-off began
        ("^SOX", "PHLX Semiconductor index", "US indices", "2025-01-24", -9.0, -20.0,
         "2025-02-07", STATUS[2], "2025-04-03", 5, 4.0, False),
        # never back; low on the window's first day (inside it); its own base date
        ("CCC", "Gamma Ltd", "G2", "2025-01-22", -10.0, -40.0, "2025-04-03", STATUS[3], None,
         None, -30.0, True)]


def test_recovery_title_counts_back_above_and_nvidia(made_up):
    rec = aftermath.recovery(_path(), WINDOW)
    assert aftermath.recovery_title(rec) == ("4 of 5 got back to their pre-shock close and 2 "
                                             "were at or above it on 30 June; Nvidia took 8 "
                                             "sessions")
    # an end exactly at the base close counts as at or above it
    rec.loc[rec["ticker"] == "AAA", "end_pct"] = 0.0
    assert " and 3 were at or above it " in aftermath.recovery_title(rec)
    rec.loc[rec["ticker"] == "NVDA", ["status", "sessions"]] = [STATUS[1], 4]
    assert aftermath.recovery_title(rec).endswith("; Nvidia took 4 sessions")
    rec.loc[rec["ticker"] == "NVDA", ["status", "sessions"]] = [STATUS[3], np.nan]
    assert aftermath.recovery_title(rec) == ("3 of 5 got back to their pre-shock close and 3 "
                                             "were at or above it on 30 June; Nvidia: not "
                                             "regained by 30 June")
    rec.loc[rec["ticker"] == "NVDA", "status"] = STATUS[0]
    assert aftermath.recovery_title(rec).endswith("; Nvidia: never closed below")


TIPS = [("name", "nominal", "Security", None), ("group", "nominal", "Group", None),
        ("status", "nominal", "Status", None),
        ("base_date", "temporal", "Base close", "%d %b %Y"),
        ("regained_date", "temporal", "Regained on", "%d %b %Y"),
        ("sessions", "quantitative", "Sessions needed", None),
        ("low_pct", "quantitative", "Lowest close vs base (%)", "+.1f"),
        ("low_date", "temporal", "Lowest on", "%d %b %Y"),
        ("end_pct", "quantitative", "30 June vs base (%)", "+.1f")]


def _tips(encoding: dict) -> list[tuple]:
    return [(t["field"], t["type"], t["title"], t.get("format")) for t in encoding["tooltip"]]


def test_recovery_chart_rows_order_labels_and_spec(made_up):
    rec = aftermath.recovery(_path(), WINDOW)
    chart = aftermath.recovery_chart(rec, WINDOW)
    spec = chart.to_dict()
    band, bars, dots, text = spec["layer"]
    rows = pd.DataFrame(spec["datasets"][bars["data"]["name"]])
    # by status, then by the bar's end, then by name; a never-below bar stops at its base
    assert rows["ticker"].tolist() == ["AAA", "BBB", "^SOX", "NVDA", "CCC"]
    assert rows["short"].tolist() == ["Alpha Inc", "Beta Corp", "SOX", "Nvidia", "Gamma Ltd"]
    assert rows["rank"].tolist() == [0, 1, 2, 2, 3]
    assert [s[:10] for s in rows["stop"]] == ["2025-01-24", "2025-02-07", "2025-04-03",
                                              "2025-04-10", "2025-06-30"]
    assert rows["label"].tolist() == ["never below", "2 sessions", "5 sessions", "8 sessions",
                                      "not by 30 Jun"]
    assert spec["title"] == {"text": "4 of 5 got back to their pre-shock close and 2 were at or "
                                     "above it on 30 June; Nvidia took 8 sessions",
                             "subtitle": ["Sessions counted on each security's own exchange; "
                                          "grey band: April tariff sell-off (a separate shock)",
                                          SOURCE]}
    assert spec["description"] == (
        "Bars for each security from its last close before 27 January 2025 to the first close "
        "at or above it: Alpha Inc: never below; Beta Corp: 2 sessions; PHLX Semiconductor "
        "index: 5 sessions; Nvidia: 8 sessions; Gamma Ltd: not by 30 Jun.")
    assert (spec["width"], spec["height"]) == (400, 14 * 5)
    # the tariff band
    assert band["mark"] == {"type": "rect", "color": "#999999", "opacity": 0.25}
    assert pd.DataFrame(spec["datasets"][band["data"]["name"]]).to_dict("records") == [
        {"start": "2025-04-03T00:00:00", "end": "2025-04-09T00:00:00", "label": "Tariff sell-off"}]
    assert band["encoding"]["x"] == {"field": "start", "type": "temporal"}
    assert band["encoding"]["x2"] == {"field": "end"}
    assert _tips(band["encoding"]) == [("label", "nominal", "Separate shock", None),
                                       ("start", "temporal", "From", "%d %b %Y"),
                                       ("end", "temporal", "To", "%d %b %Y")]
    y = {"axis": {"labelLimit": 170}, "field": "short", "sort": rows["short"].tolist(),
         "title": None, "type": "nominal"}
    colour = {"field": "status", "legend": {"columns": 2, "labelLimit": 300},
              "scale": {"domain": STATUS, "range": [MUTED, "#888888", NEUTRAL, ACCENT]},
              "sort": STATUS, "title": None, "type": "nominal"}
    assert bars["mark"] == {"type": "bar", "height": 9}
    assert bars["encoding"] == {
        "color": colour, "tooltip": bars["encoding"]["tooltip"], "y": y, "x2": {"field": "stop"},
        "x": {"axis": {"format": "%d %b"}, "field": "base_date", "type": "temporal",
              "title": "2025 (bar: from the last close before 27 January to the first close at "
                       "or above it)"}}
    assert dots["mark"] == {"type": "point", "filled": True, "size": 30}
    assert dots["encoding"] == {
        "color": colour, "tooltip": dots["encoding"]["tooltip"], "y": y,
        "x": {"field": "stop", "type": "temporal"},
        "shape": {"field": "status", "legend": None, "sort": STATUS, "type": "nominal",
                  "scale": {"range": ["circle", "square", "diamond", "cross"]}}}
    assert text["mark"] == {"type": "text", "align": "left", "color": "#222222", "dx": 6,
                            "fontSize": 9}
    assert text["encoding"] == {"text": {"field": "label", "type": "nominal"},
                                "tooltip": text["encoding"]["tooltip"], "y": y,
                                "x": {"field": "stop", "type": "temporal"}}
    for layer in (bars, dots, text):
        assert _tips(layer["encoding"]) == TIPS
        assert layer["data"] == bars["data"]


# --- groups ------------------------------------------------------------------------------------

def test_group_paths_average_common_dates_with_a_zero_point(made_up):
    path = _path()
    path = path.loc[~((path["ticker"] == "BBB") & (path["date"] == T("2025-02-10")))]
    got = aftermath.group_paths(path)
    assert list(got.columns) == ["group", "date", "cum_pct", "members"]
    assert list(got.index) == list(range(len(got)))
    assert got["group"].drop_duplicates().tolist() == ["US semiconductors", "G1", "US indices",
                                                       "G2"]
    g1 = got.loc[got["group"] == "G1"]
    # 10 Feb is left out (Beta did not trade), never filled; a zero point at the base date
    assert g1["date"].tolist() == [T("2025-01-24")] + [T(d) for d in DATES if d != "2025-02-10"]
    want = [0.0] + [round((a + b) / 2 * 100, 4) for d, a, b in zip(DATES, CUM["AAA"], CUM["BBB"])
                    if d != "2025-02-10"]
    assert g1["cum_pct"].tolist() == pytest.approx(want, abs=1e-9)
    assert g1["cum_pct"].iloc[1] == -1.8827   # (1.23456 - 5) / 2, to four decimals
    assert set(g1["members"]) == {2}
    nv = got.loc[got["group"] == "US semiconductors"]
    assert nv["cum_pct"].tolist()[:2] == [0.0, -16.9682] and set(nv["members"]) == {1}
    assert len(nv) == len(DATES) + 1


def _groups() -> pd.DataFrame:
    """Made-up group paths around the phase boundaries (base 24 Jan, fortnight 7 Feb, window
    3-9 April, end 30 June; a point after the end that must not count)."""
    dates = ["2025-01-24", "2025-01-27", "2025-02-07", "2025-02-10", "2025-04-02", "2025-04-03",
             "2025-04-04", "2025-06-30", "2025-07-01"]
    g1 = [0.0, -2.0, -5.0, -3.0, -4.0, -9.0, -8.0, 1.0, -50.0]
    g2 = [0.0, 2.0, 1.5, 4.0, 3.0, 2.5, 2.8, 1.5, -60.0]
    return pd.DataFrame({"group": ["US chips"] * 9 + ["Asia"] * 9, "date": [T(d) for d in dates * 2],
                         "cum_pct": g1 + g2, "members": [2] * 9 + [3] * 9})


def test_group_summary_phases_and_their_boundaries():
    got = aftermath.group_summary(_groups(), WINDOW)
    assert list(got.columns) == ["group", "members", "low_shock_pct", "low_shock_date",
                                 "low_mid_pct", "low_mid_date", "low_tariff_pct",
                                 "low_tariff_date", "end_pct"]
    rows = [(r.group, r.members, r.low_shock_pct, f"{r.low_shock_date:%m-%d}", r.low_mid_pct,
             f"{r.low_mid_date:%m-%d}", r.low_tariff_pct, f"{r.low_tariff_date:%m-%d}", r.end_pct)
            for r in got.itertuples()]
    assert rows == [
        # shock: (24 Jan, 7 Feb], 7 Feb in; mid: (7 Feb, 3 Apr); tariff: [3 Apr, 30 Jun]
        ("US chips", 2, -5.0, "02-07", -4.0, "04-02", -9.0, "04-03", -50.0),
        # the base's zero point is not a low of the shock; 30 June is in the last phase, 1 July
        # is not
        ("Asia", 3, 1.5, "02-07", 3.0, "04-02", 1.5, "06-30", -60.0)]


def test_summary_markdown_table():
    summary = aftermath.group_summary(_groups(), WINDOW)
    assert aftermath.summary_markdown(summary).splitlines() == [
        "| Group | Members | Low, 27 Jan–7 Feb | Low, 10 Feb to the sell-off | Low from the tariff "
        "sell-off on | 30 June |",
        "|---|---:|---:|---:|---:|---:|",
        "| US chips | 2 | -5.0% (7 Feb) | -4.0% (2 Apr) | -9.0% (3 Apr) | -50.0% |",
        "| Asia | 3 | +1.5% (7 Feb) | +3.0% (2 Apr) | +1.5% (30 Jun) | -60.0% |"]


def test_groups_chart_title_description_and_spec():
    groups = _groups()
    chart = aftermath.groups_chart(groups, WINDOW)
    spec = chart.to_dict()
    # US chips fell further from the tariff window on (-9.0) than in the shock (-5.0); Asia only
    # matched its shock low (+1.5), which is not further
    assert spec["title"] == {
        "text": "1 of 2 groups fell further in the April tariff rout than after DeepSeek",
        "subtitle": ["Average (equal-weighted) cumulative return from each security's last "
                     "close before 27 January",
                     "Coloured band: 24 Jan–7 Feb, the shock; grey band: the April tariff "
                     "sell-off, a separate shock", SOURCE]}
    assert spec["description"] == (
        "2 small line charts, one per group, of the equal-weighted cumulative return from 24 "
        "January to 30 June 2025, with the April tariff sell-off shaded from 3 April to 9 April. "
        "US chips: low \u22125.0% in the two weeks after the shock, \u22129.0% from the tariff sell-off "
        "on, \u221250.0% on 30 June. Asia: low +1.5% in the two weeks after the shock, +1.5% "
        "from the tariff sell-off on, \u221260.0% on 30 June.")
    assert pd.DataFrame(spec["datasets"][spec["data"]["name"]])["cum_pct"].tolist() == \
        groups["cum_pct"].tolist()
    assert spec["facet"] == {"field": "group", "sort": ["US chips", "Asia"], "title": None,
                             "type": "nominal"}
    assert spec["columns"] == 3
    inner = spec["spec"]
    assert (inner["width"], inner["height"]) == (165, 110)
    fortnight, band, zero, line = inner["layer"]
    count = [{"aggregate": [{"op": "count", "as": "n"}], "groupby": ["group"]}]
    assert fortnight == {"mark": {"type": "rect", "color": ACCENT, "opacity": 0.3},
                         "encoding": {"x": {"type": "temporal",
                                            "datum": {"date": 24, "month": 1, "year": 2025}},
                                      "x2": {"datum": {"date": 7, "month": 2, "year": 2025}}},
                         "transform": count}
    assert band == {"mark": {"type": "rect", "color": "#999999", "opacity": 0.35},
                    "encoding": {"x": {"type": "temporal",
                                       "datum": {"date": 3, "month": 4, "year": 2025}},
                                 "x2": {"datum": {"date": 9, "month": 4, "year": 2025}}},
                    "transform": count}
    assert zero == {"mark": {"type": "rule", "color": NEUTRAL, "strokeDash": [2, 2]},
                    "encoding": {"y": {"datum": 0}}}
    assert line["mark"] == {"type": "line", "color": "#000000", "strokeWidth": 1.6}
    assert line["encoding"]["x"] == {"axis": {"format": "%b", "tickCount": 6}, "field": "date",
                                     "title": "2025", "type": "temporal"}
    assert line["encoding"]["y"] == {"field": "cum_pct", "title": "Since 24 Jan close (%)",
                                     "type": "quantitative"}
    assert _tips(line["encoding"]) == [
        ("group", "nominal", "Group", None), ("date", "temporal", "Date", "%a %d %b %Y"),
        ("cum_pct", "quantitative", "Since 24 Jan close (%)", "+.1f"),
        ("members", "quantitative", "Securities averaged", None)]
    assert set(line["encoding"]) == {"x", "y", "tooltip"}


# --- the chapter's text on made-up data --------------------------------------------------------

def test_chapter_text_on_made_up_data(made_up, monkeypatch):
    window = {**WINDOW, "falls": [(T("2025-04-04"), -0.0597), (T("2025-04-03"), -0.0484)],
              "rise": (T("2025-04-09"), 0.0952), "low": T("2025-04-08")}
    monkeypatch.setattr(aftermath, "paths", _path)
    monkeypatch.setattr(aftermath, "tariff_window", lambda: window)
    monkeypatch.setattr(aftermath, "unverified", lambda: {("CCC", T("2025-01-28"))})
    # the figure in the store is made from the real data: compute this one
    monkeypatch.setattr(artefacts, "keep", lambda name, compute, *a, **k: compute())
    got = aftermath.chapter()
    text = got.text
    summary = aftermath.summary_markdown(aftermath.group_summary(
        aftermath.group_paths(_path()), window))
    assert text == {
        "n_total": "5", "n_never_below": "one", "n_before": "one", "n_after": "two",
        "n_not": "one", "n_back": "four", "n_above_end": "two", "not_names": "Gamma Ltd",
        "af_skipped": "Gamma Ltd's close of 28 January 2025",
        "n_fell_back": "two", "fell_back_names": "Alpha Inc and Beta Corp",
        "n_low_window": "3",
        "fall1_date": "Thursday 3 April 2025", "fall1": "-4.8%",
        "fall2_date": "Friday 4 April 2025", "fall2": "-6.0%",
        "rise_date": "Wednesday 9 April 2025", "rise": "+9.5%",
        "spx_low": "Tuesday 8 April 2025",
        "nv_sessions": "8", "nv_regained": "Thursday 10 April 2025",
        "nv_low": "30.0% below", "nv_low_date": "9 April 2025", "nv_first": "17.0%",
        "nv_end": "10.8% above", "nv_low_when": "inside the tariff window",
        "af_sox_sessions": "5", "af_sox_regained": "3 April 2025",
        "semis_shock": "17.0% below", "semis_shock_date": "27 January 2025",
        "semis_tariff": "30.0% below", "semis_tariff_date": "9 April 2025",
        "semis_end": "10.8% above", "n_groups": "four", "n_groups_lower": "three",
        "group_table": summary}
    assert set(got.figures) == {"fig-aftermath-groups", "fig-aftermath-recovery"}
    chart, frame = got.figures["fig-aftermath-recovery"]
    assert frame["ticker"].tolist() == ["NVDA", "AAA", "BBB", "^SOX", "CCC"]
    assert chart.to_dict()["title"]["text"].startswith("4 of 5 got back")
    chart, frame = got.figures["fig-aftermath-groups"]
    assert frame["group"].drop_duplicates().tolist() == ["US semiconductors", "G1", "US indices",
                                                         "G2"]
    assert chart.to_dict()["title"]["text"] == ("3 of 4 groups fell further in the April "
                                                "tariff rout than after DeepSeek")


# --- the published numbers against the raw snapshot files --------------------------------------

BASE, FORTNIGHT, END = T("2025-01-24"), T("2025-02-07"), T("2025-06-30")
SKIPPED = ("SU.PA", T("2025-01-28"))   # the snapshot's one unverified close (Schneider, day 1)
WORDS = ["no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"]


def _words(n: int) -> str:
    return WORDS[n] if n <= 10 else str(n)


def _and(names: list[str]) -> str:
    return ", ".join(names[:-1]) + " and " + names[-1] if len(names) > 1 else names[0]


def _closes(ticker: str) -> pd.Series:
    name = ("INDEX_" + ticker[1:] if ticker.startswith("^") else ticker.replace("=", "_"))
    frame = pd.read_csv(SNAPSHOT / "prices" / f"{name}.csv", parse_dates=["date"])
    return frame.set_index("date")["close"].dropna()


@pytest.fixture(scope="module")
def oracle(snapshot):
    """Per security of data/universe.csv but VIX and the yen: its path from its last close on or
    before 24 January to 30 June as close / base close - 1 (a total return, the same as
    compounding the daily returns), and the recovery facts read off it; the S&P 500's April."""
    universe = pd.read_csv(ROOT / "data" / "universe.csv")
    universe = universe.loc[~universe["ticker"].isin(["^VIX", "JPY=X"])]
    spx = _closes("^GSPC")
    april = spx.pct_change().loc["2025-04-01":"2025-04-30"]
    falls = april.nsmallest(2)
    start, stop = falls.index.min(), april.idxmax()
    rows, paths = [], {}
    for ticker, name, group in universe[["ticker", "name", "group"]].itertuples(index=False):
        close = _closes(ticker).loc[:END]
        base_date = close.loc[:BASE].index[-1]
        cum = close.loc[close.index > base_date] / close[base_date] - 1
        if ticker == SKIPPED[0]:
            cum[SKIPPED[1]] = np.nan
        paths[ticker] = cum
        hit = np.flatnonzero(cum.to_numpy() >= 0)
        if len(hit) and hit[0] == 0:
            status, regained, n = STATUS[0], cum.index[0], None
        elif not len(hit):
            status, regained, n = STATUS[3], None, None
        else:
            regained, n = cum.index[hit[0]], int(hit[0]) + 1
            status = STATUS[1] if regained < start else STATUS[2]
        rows.append({"ticker": ticker, "name": name, "group": group, "base_date": base_date,
                     "first": cum.iloc[0], "low": cum.min(), "low_date": cum.idxmin(),
                     "status": status, "regained": regained, "sessions": n, "end": cum.iloc[-1],
                     "in_window": start <= cum.idxmin() <= stop})
    table = pd.DataFrame(rows).set_index("ticker")
    groups = {}
    for group, members in universe.groupby("group", sort=False)["ticker"]:
        wide = pd.concat([paths[t] for t in members], axis=1).dropna()
        mean = wide.mean(axis=1) * 100
        shock = mean.loc[(mean.index > BASE) & (mean.index <= FORTNIGHT)]
        mid = mean.loc[(mean.index > FORTNIGHT) & (mean.index < start)]
        tariff = mean.loc[mean.index >= start]
        groups[group] = {"members": len(members), "shock": (shock.min(), shock.idxmin()),
                         "mid": (mid.min(), mid.idxmin()), "tariff": (tariff.min(), tariff.idxmin()),
                         "end": mean.iloc[-1]}
    return {"table": table, "groups": groups, "falls": falls, "rise": (stop, april.max()),
            "low": spx.loc["2025-04-01":"2025-04-30"].idxmin(), "start": start}


def test_paths_against_the_raw_closes(oracle):
    got = aftermath.paths()
    assert set(got["ticker"]) == set(oracle["table"].index)
    for ticker in ["NVDA", "8035.T", "^TWII", "SU.PA", "2330.TW", "^GSPC"]:
        mine = got.loc[got["ticker"] == ticker].set_index("date")
        close = _closes(ticker).loc[:END]
        base_date = oracle["table"].at[ticker, "base_date"]
        want = close.loc[close.index > base_date] / close[base_date] - 1
        if ticker == SKIPPED[0]:
            want[SKIPPED[1]] = np.nan
        assert mine.index.tolist() == want.index.tolist()
        assert mine["session"].tolist() == list(range(1, len(want) + 1))
        assert set(mine["base_date"]) == {base_date}
        np.testing.assert_allclose(mine["cum"].to_numpy(), want.to_numpy(), rtol=0, atol=1e-9)
    assert oracle["table"].at["^TWII", "base_date"] == T("2025-01-22")   # Taipei: Lunar New Year


def test_tariff_window_against_the_raw_index(oracle):
    got = aftermath.tariff_window()
    falls = oracle["falls"]
    assert got["start"] == falls.index.min() == T("2025-04-03")
    assert got["end"] == oracle["rise"][0] == T("2025-04-09")
    assert [d for d, _ in got["falls"]] == falls.index.tolist()
    np.testing.assert_allclose([r for _, r in got["falls"]], falls.to_numpy(), atol=1e-12)
    assert got["rise"][0] == oracle["rise"][0]
    assert got["rise"][1] == pytest.approx(oracle["rise"][1], abs=1e-12)
    assert got["low"] == oracle["low"] == T("2025-04-08")


def test_recovery_table_against_the_raw_closes(oracle):
    got = aftermath.recovery(aftermath.paths(), aftermath.tariff_window()).set_index("ticker")
    want = oracle["table"]
    assert sorted(got.index) == sorted(want.index) and len(got) == 60
    for ticker, w in want.iterrows():
        g = got.loc[ticker]
        assert (g["name"], g["group"], g["base_date"], g["status"], g["low_date"]) == \
            (w["name"], w["group"], w["base_date"], w["status"], w["low_date"]), ticker
        assert g["first_pct"] == pytest.approx(w["first"] * 100, abs=6e-5), ticker
        assert g["low_pct"] == pytest.approx(w["low"] * 100, abs=6e-5), ticker
        assert g["end_pct"] == pytest.approx(w["end"] * 100, abs=6e-5), ticker
        assert g["low_in_window"] == w["in_window"], ticker
        if pd.isna(w["sessions"]):
            assert pd.isna(g["sessions"]), ticker
        else:
            assert g["sessions"] == w["sessions"] and g["regained_date"] == w["regained"], ticker
        if w["status"] == STATUS[3]:
            assert pd.isna(g["regained_date"]), ticker


def test_chapter_text_against_the_raw_closes(oracle, monkeypatch):
    monkeypatch.setattr(artefacts, "keep", lambda name, compute, *a, **k: compute())
    text = aftermath.chapter().text
    table, groups = oracle["table"], oracle["groups"]
    status = table["status"].value_counts()
    early = table.loc[table["status"].isin(STATUS[:2])]
    fell_back = early.loc[early["end"] < 0].sort_values("end")
    never = table.loc[table["status"] == STATUS[3]].sort_values("end")
    nv, sox, semis = table.loc["NVDA"], table.loc["^SOX"], groups["US semiconductors"]
    (f1, r1), (f2, r2) = sorted(oracle["falls"].items())
    lower = sum(g["tariff"][0] < g["shock"][0] for g in groups.values())

    def day(stamp, weekday=False):
        return (f"{stamp:%A} " if weekday else "") + f"{stamp.day} {stamp:%B %Y}"

    def level(pct):
        return f"{abs(pct):.1f}% {'below' if pct < 0 else 'above'}"

    want = {
        "n_total": str(len(table)), "n_never_below": _words(status.get(STATUS[0], 0)),
        "n_before": _words(status.get(STATUS[1], 0)), "n_after": _words(status.get(STATUS[2], 0)),
        "n_not": _words(status.get(STATUS[3], 0)),
        "n_back": _words(int(table["status"].isin(STATUS[:3]).sum())),
        "n_above_end": _words(int((table["end"] >= 0).sum())),
        "not_names": _and(never["name"].tolist()),
        "af_skipped": "Schneider Electric's close of 28 January 2025",
        "n_fell_back": _words(len(fell_back)), "fell_back_names": _and(fell_back["name"].tolist()),
        "n_low_window": str(int(table["in_window"].sum())),
        "fall1_date": day(f1, True), "fall1": f"{r1 * 100:+.1f}%",
        "fall2_date": day(f2, True), "fall2": f"{r2 * 100:+.1f}%",
        "rise_date": day(oracle["rise"][0], True), "rise": f"{oracle['rise'][1] * 100:+.1f}%",
        "spx_low": day(oracle["low"], True),
        "nv_sessions": str(int(nv["sessions"])), "nv_regained": day(nv["regained"], True),
        "nv_low": level(nv["low"] * 100), "nv_low_date": day(nv["low_date"]),
        "nv_first": f"{-nv['first'] * 100:.1f}%", "nv_end": level(nv["end"] * 100),
        "nv_low_when": "inside the tariff window" if nv["in_window"] else "outside the tariff window",
        "af_sox_sessions": str(int(sox["sessions"])), "af_sox_regained": day(sox["regained"]),
        "semis_shock": level(semis["shock"][0]), "semis_shock_date": day(semis["shock"][1]),
        "semis_tariff": level(semis["tariff"][0]), "semis_tariff_date": day(semis["tariff"][1]),
        "semis_end": level(semis["end"]), "n_groups": _words(len(groups)),
        "n_groups_lower": _words(lower)}
    table_text = text.pop("group_table")
    assert text == want
    # the published values as of the snapshot (a tripwire beside the oracle)
    assert (text["n_total"], text["n_back"], text["n_not"], text["nv_sessions"],
            text["nv_regained"], text["af_sox_sessions"], text["n_groups_lower"]) == \
        ("60", "51", "nine", "93", "Monday 9 June 2025", "103", "13")
    lines = table_text.splitlines()
    assert lines[0] == ("| Group | Members | Low, 27 Jan–7 Feb | Low, 10 Feb to the sell-off | "
                        "Low from the tariff sell-off on | 30 June |")
    assert len(lines) == 2 + len(groups)
    rows = []
    for group, g in groups.items():
        cells = [f"{g[p][0]:+.1f}% ({g[p][1].day} {g[p][1]:%b})" for p in ("shock", "mid", "tariff")]
        rows.append(f"| {group} | {g['members']} | {' | '.join(cells)} | {g['end']:+.1f}% |")
    assert sorted(lines[2:]) == sorted(rows)


def test_chapter_text_when_a_status_is_missing(made_up, monkeypatch):
    """Counts of a status nobody has say "no"; Nvidia's low outside the window says so."""
    window = {**WINDOW, "falls": [(T("2025-04-04"), -0.0597), (T("2025-04-03"), -0.0484)],
              "rise": (T("2025-04-09"), 0.0952), "low": T("2025-04-08")}
    monkeypatch.setattr(aftermath, "tariff_window", lambda: window)
    monkeypatch.setattr(aftermath, "unverified", lambda: {("CCC", T("2025-01-28"))})
    monkeypatch.setattr(artefacts, "keep", lambda name, compute, *a, **k: compute())
    path = _path()
    # no security up on the first session (Alpha left out)
    monkeypatch.setattr(aftermath, "paths", lambda: path.loc[path["ticker"] != "AAA"])
    text = aftermath.chapter().text
    assert (text["n_never_below"], text["n_before"], text["n_after"], text["n_not"]) == \
        ("no", "one", "two", "one")
    # Nvidia and the SOX back on 7 Feb, before the window (Nvidia's low on 27 Jan, outside it);
    # Beta left out: none back after the window opened
    early = path.loc[path["ticker"] != "BBB"]
    back = (early["date"] == T("2025-02-07")) & early["ticker"].isin(["NVDA", "^SOX"])
    early = early.assign(cum=np.where(back, 0.01, early["cum"]))
    early.loc[early["ticker"] == "NVDA", "cum"] = early["cum"].clip(lower=-0.1696823)
    monkeypatch.setattr(aftermath, "paths", lambda: early)
    text = aftermath.chapter().text
    assert (text["n_never_below"], text["n_before"], text["n_after"], text["n_not"]) == \
        ("one", "two", "no", "one")
    assert text["nv_low_when"] == "outside the tariff window"
    assert (text["nv_sessions"], text["nv_low_date"]) == ("2", "27 January 2025")
