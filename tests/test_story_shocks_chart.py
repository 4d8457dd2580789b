"""The charts of "Compared with what" (`story.shocks.chart`): the map's data and both charts'
titles, description, axes, colours, tooltips and layout on small made-up frames written out here,
and both published titles against the raw snapshot files (the comparison-day rule, the gap and
the SOX's paths recomputed with plain pandas). Fast: no book, no kernel."""

from __future__ import annotations

import numpy as np
import pandas as pd
from deepshock.story.shocks import chart
from deepshock.story.shocks import days as cdays
from deepshock.story.shocks import measures
from tests.conftest import SNAPSHOT, raw_close

T = pd.Timestamp
ACCENT, MUTED, NEUTRAL = "#CC79A7", "#BBBBBB", "#555555"   # the book's accent and greys
TOOLTIP = [("event", "nominal", "Event", None), ("day", "nominal", "Day", None),
           ("rsp_pct", "quantitative", "S&P 500 equal weight (%)", "+.1f"),
           ("sox_pct", "quantitative", "SOX (%)", "+.1f"),
           ("gap_pp", "quantitative", "SOX minus equal weight (pp)", "+.1f"),
           ("share_fell_pct", "quantitative", "S&P 500 members that fell (%)", ".0f")]


def _tips(encoding: dict) -> list[tuple]:
    return [(t["field"], t["type"], t["title"], t.get("format")) for t in encoding["tooltip"]]


# --- the map's data ------------------------------------------------------------------------------

def _days() -> pd.DataFrame:
    """Comparison days as `days.days()` returns them: one before the panel (no concentration),
    one in it without breadth, four in it (one unnamed)."""
    return pd.DataFrame({
        "date": [T("2008-10-15"), T("2023-01-03"), T("2024-08-05"), T("2024-07-17"),
                 T("2025-01-27"), T("2025-04-04")],
        "label": ["", "", "Yen carry-trade unwind", "", "DeepSeek shock", "China matches US tariffs"],
        "RSP": [np.nan, -0.01, -0.023649, -0.004149, 0.000749, -0.056149],
        "^SOX": [-0.09, -0.02, -0.019151, -0.068149, -0.091549, -0.076049],
        "concentration": [np.nan, -0.01, 0.004498, -0.064, -0.092298, -0.019912],
        "share_fell": [np.nan, np.nan, 0.95349, 0.51649, 0.32049, 0.97251],
        "primary": [False, False, False, False, True, False],
    })


def test_map_data_rows_columns_and_rounding():
    got = chart.map_data(_days())
    want = pd.DataFrame({
        "day": ["2024-08-05", "2024-07-17", "2025-01-27", "2025-04-04"],
        "event": ["Yen carry-trade unwind", "17 Jul 2024", "DeepSeek shock", "China matches US tariffs"],
        "named": [True, False, True, True],
        "rsp_pct": [-2.36, -0.41, 0.07, -5.61],
        "sox_pct": [-1.92, -6.81, -9.15, -7.60],
        "gap_pp": [0.45, -6.40, -9.23, -1.99],
        "share_fell_pct": [95.3, 51.6, 32.0, 97.3],
        "primary": [False, False, True, False],
    })
    assert list(got.index) == [0, 1, 2, 3]
    pd.testing.assert_frame_equal(got, want, check_exact=False, atol=1e-9, rtol=0,
                                  check_dtype=False)
    assert got["named"].dtype == bool and got["primary"].dtype == bool


# --- the map chart --------------------------------------------------------------------------------

def _map(primary_gap: float, gaps: list[float]) -> pd.DataFrame:
    n = len(gaps)
    days = ["2024-07-17", "2025-04-10", "2024-08-05", "2025-03-10", "2024-10-15"][:n]
    return pd.DataFrame({
        "day": days + ["2025-01-27"],
        "event": [f"d{i}" for i in range(n)] + ["DeepSeek shock"],
        "named": [i == 2 for i in range(n)] + [True],
        "rsp_pct": [-0.41, -3.37, -2.36, -1.41, -0.45][:n] + [0.07],
        "sox_pct": [-6.81, -7.97, -1.92, -4.85, -5.28][:n] + [-9.15],
        "gap_pp": gaps + [primary_gap],
        "share_fell_pct": [51.6, 85.1, 95.3, 69.8, 51.2][:n] + [32.0],
        "primary": [False] * n + [True],
    })


def test_map_chart_widest_gap_title_and_spec():
    spec = chart.map_chart(_map(-9.21, [-6.4, -4.6, 0.45, -3.44, -4.83])).to_dict()
    assert spec["title"]["text"] == (
        "On 27 January 2025 chips fell 9.2 points more than the average stock: the widest gap "
        "of the 6 comparison days from July 2024 to April 2025")
    assert spec["title"]["subtitle"] == [
        "Each dot: a comparison day for which the data hold the S&P 500's members; size: share "
        "of them that fell", "Labelled: the named shocks",
        "Source: Yahoo Finance daily closes of the S&P 500 members and of RSP"]
    assert spec["description"] == (
        "Scatter of the comparison days in the panel's span: "
        "d0 (2024-07-17): equal-weighted S&P 500 −0.4%, SOX −6.8%, 52% of members fell; "
        "d1 (2025-04-10): equal-weighted S&P 500 −3.4%, SOX −8.0%, 85% of members fell; "
        "d2 (2024-08-05): equal-weighted S&P 500 −2.4%, SOX −1.9%, 95% of members fell; "
        "d3 (2025-03-10): equal-weighted S&P 500 −1.4%, SOX −4.8%, 70% of members fell; "
        "d4 (2024-10-15): equal-weighted S&P 500 −0.5%, SOX −5.3%, 51% of members fell; "
        "DeepSeek shock (2025-01-27): equal-weighted S&P 500 +0.1%, SOX −9.2%, 32% of members fell.")
    assert spec["width"] == 520 and spec["height"] == 320
    assert spec["usermeta"]["narrow"] == {"drop": ["layer/3"], "set": {}, "transpose": False,
                                          "note": "Tap a dot for its day"}
    zero, dots, own, rest = spec["layer"]
    rows = _map(-9.21, [-6.4, -4.6, 0.45, -3.44, -4.83]).to_dict("records")
    for layer in (dots, own, rest):   # each draws the frame's rows, not an empty dataset
        assert spec["datasets"][layer["data"]["name"]] == rows
    assert zero["mark"] == {"type": "rule", "color": NEUTRAL, "strokeDash": [4, 3]}
    assert zero["encoding"] == {"y": {"field": "y", "type": "quantitative"}}
    assert spec["datasets"][zero["data"]["name"]] == [{"y": 0}]
    assert dots["mark"] == {"type": "circle", "opacity": 0.9, "stroke": "#333333",
                            "strokeWidth": 0.5}
    enc = dots["encoding"]
    assert enc["x"] == {"field": "rsp_pct", "type": "quantitative",
                        "title": "Move of the equal-weighted S&P 500 (%)"}
    assert enc["y"] == {"field": "gap_pp", "type": "quantitative",
                        "title": "SOX's move beyond it (percentage points)"}
    assert enc["color"] == {"condition": {"test": "datum.primary", "value": ACCENT},
                            "value": MUTED}
    assert enc["size"] == {"field": "share_fell_pct", "type": "quantitative",
                           "title": "Members that fell (%)", "scale": {"range": [60, 400]}}
    assert _tips(enc) == TOOLTIP
    for layer, test in ((own, "datum.primary"), (rest, "(datum.named && (!datum.primary))")):
        assert layer["mark"] == {"type": "text", "align": "left", "dx": 9, "fontSize": 11}
        assert layer["encoding"]["text"] == {"field": "event", "type": "nominal"}
        assert layer["transform"] == [{"filter": test}]
        assert _tips(layer["encoding"]) == TOOLTIP
        assert layer["encoding"]["x"]["field"] == "rsp_pct"
        assert layer["encoding"]["y"]["field"] == "gap_pp"


def test_map_chart_title_when_the_chips_kept_up_with_the_market():
    title = chart.map_chart(_map(0.45, [-6.4, 1.2, -3.44])).to_dict()["title"]["text"]
    assert title == ("On 27 January 2025 chips did 0.5 points better than the average stock; 2 of "
                     "the other 3 comparison days had chips further behind")
    assert "fell" not in chart.map_chart(_map(0.0, [-1.0])).to_dict()["title"]["text"]


def test_map_chart_title_counts_wider_gaps_strictly():
    # two days with a wider gap (more negative), one tie (not wider), two narrower
    spec = chart.map_chart(_map(-5.24, [-6.4, -5.24, -5.3, 0.45, -3.44])).to_dict()
    assert spec["title"]["text"] == (
        "On 27 January 2025 chips fell 5.2 points more than the average stock; 2 of the other 5 "
        "comparison days had a wider gap")
    one = chart.map_chart(_map(-1.0, [-6.4])).to_dict()["title"]["text"]
    assert one.endswith("; 1 of the other 1 comparison days had a wider gap")
    assert one.startswith("On 27 January 2025 chips fell 1.0 points more")


def _sessions(close: pd.Series) -> pd.Series:
    return close.sort_index().pct_change().dropna()


def test_map_chart_title_on_the_data(snapshot):
    """The published title from the raw files: the rule (2.5% tails of the SOX's and the S&P
    500's daily returns), the panel's span, and the SOX minus the equal-weighted S&P 500."""
    sox, spx = _sessions(raw_close("INDEX_SOX.csv")), _sessions(raw_close("INDEX_GSPC.csv"))
    both = pd.concat({"sox": sox, "spx": spx}, axis=1).dropna()
    k = int(np.floor(0.025 * len(both)))
    chosen = both["sox"].nsmallest(k).index.union(both["spx"].nsmallest(k).index)
    panel = pd.read_csv(SNAPSHOT / "panel" / "closes.csv", parse_dates=["date"]).set_index("date")
    rsp = panel["RSP"].pct_change().iloc[1:]
    inside = chosen[chosen.isin(rsp.index)]
    gap = (both.loc[inside, "sox"] - rsp.loc[inside]) * 100
    day = T("2025-01-27")
    wider = int((gap.drop(day) < gap[day]).sum())
    data = chart.map_data(cdays.days())
    assert list(data["day"]) == [f"{d:%Y-%m-%d}" for d in inside]
    title = chart.map_chart(data).to_dict()["title"]["text"]
    assert wider == 0
    assert title == (f"On 27 January 2025 chips fell {abs(gap[day]):.1f} points more than the "
                     f"average stock: the widest gap of the {len(inside)} comparison days from "
                     f"{inside.min():%B %Y} to {inside.max():%B %Y}")


# --- the paths chart --------------------------------------------------------------------------------

def _paths(ends: dict[str, float]) -> pd.DataFrame:
    """Three series per event, sessions -5..20, the SOX ending at `ends[event]`."""
    taus = np.arange(-5, 21)
    frames = []
    for i, (event, end) in enumerate(ends.items()):
        for j, series in enumerate(["Nvidia", "SOX", "S&P 500"]):
            path = np.linspace(0, end if series == "SOX" else 10 * (j + 1) - i, len(taus))
            frames.append(pd.DataFrame({"series": series, "tau": taus, "cum_pct": path,
                                        "event": event}))
    return pd.concat(frames, ignore_index=True)


def test_paths_chart_title_description_and_spec():
    ends = {"B shock (3 Sep 2024)": -2.64, "A shock (5 Aug 2024)": 3.31,
            "C shock (27 Jan 2025)": -8.46, "D shock (7 Apr 2025)": 0.0}
    spec = chart.paths_chart(_paths(ends)).to_dict()
    assert spec["title"]["text"] == ("20 sessions later the SOX was still below its pre-shock "
                                     "close after 2 of 4 shocks")
    assert spec["title"]["subtitle"] == [
        "Cumulative move (%) from the close before each shock's first New York session (day 0, "
        "dotted line)", "Source: Yahoo Finance daily closes; exchange calendars"]
    assert spec["description"] == (
        "Small multiples of cumulative moves of Nvidia, the SOX, the S&P 500 and its "
        "equal-weighted version around each shock. B shock (3 Sep 2024): SOX −2.6% after 20 "
        "sessions; A shock (5 Aug 2024): SOX +3.3% after 20 sessions; C shock (27 Jan 2025): "
        "SOX −8.5% after 20 sessions; D shock (7 Apr 2025): SOX +0.0% after 20 sessions.")
    assert spec["facet"] == {"field": "event", "type": "nominal", "title": None,
                             "sort": list(ends)}
    assert spec["columns"] == 3
    # the facet splits the one dataset by event; no inner layer brings data of its own
    assert spec["datasets"][spec["data"]["name"]] == _paths(ends).to_dict("records")
    assert all("data" not in layer for layer in spec["spec"]["layer"])
    assert "data" not in spec["spec"]
    inner = spec["spec"]
    assert inner["width"] == 170 and inner["height"] == 120
    rule, line = inner["layer"]
    assert rule["mark"] == {"type": "rule", "color": NEUTRAL, "strokeDash": [2, 2]}
    assert rule["encoding"] == {"x": {"datum": 0}}
    assert line["mark"] == {"type": "line", "strokeWidth": 1.6}
    enc = line["encoding"]
    assert enc["x"] == {"field": "tau", "type": "quantitative", "title": "New York sessions from day 0",
                        "scale": {"domain": [-5, 20], "nice": False}}
    assert enc["y"] == {"field": "cum_pct", "type": "quantitative", "title": "Move (%)"}
    series = ["Nvidia", "SOX", "S&P 500"]
    assert enc["color"] == {"field": "series", "type": "nominal", "title": "Series", "sort": series,
                            "scale": {"domain": series, "range": ["#000000", ACCENT, NEUTRAL]}}
    assert enc["strokeDash"] == {"field": "series", "type": "nominal", "title": "Series",
                                 "sort": series,
                                 "scale": {"domain": series, "range": [[1, 0], [6, 3], [2, 2]]}}
    assert [(t["field"], t["type"], t["title"], t.get("format")) for t in enc["tooltip"]] == [
        ("event", "nominal", "Event", None), ("series", "nominal", "Series", None),
        ("tau", "quantitative", "Session", None), ("cum_pct", "quantitative", "Move (%)", "+.1f")]


def test_paths_chart_four_series_colours():
    data = _paths({"A (1 Jan 2025)": -1.0})
    data = pd.concat([data, data.loc[data["series"] == "Nvidia"].assign(
        series="S&P 500 equal weight")], ignore_index=True)
    enc = chart.paths_chart(data).to_dict()["spec"]["layer"][1]["encoding"]
    assert enc["color"]["scale"]["range"] == ["#000000", ACCENT, NEUTRAL, "#999999"]
    assert enc["strokeDash"]["scale"]["range"] == [[1, 0], [6, 3], [2, 2], [8, 3, 2, 3]]


def test_paths_chart_title_on_the_data(snapshot):
    """The published title from the raw SOX closes: close 20 sessions after day 0 against the
    close before day 0, for each named shock's New York day 0."""
    day0 = ["2024-08-05", "2024-09-03", "2024-12-18", "2025-01-27", "2025-02-27", "2025-04-03",
            "2025-04-04", "2025-04-07"]
    close = raw_close("INDEX_SOX.csv").sort_index()
    ends = {}
    for d in day0:
        pos = close.index.get_loc(T(d))
        ends[d] = close.iloc[pos + 20] / close.iloc[pos - 1] - 1
    below = sum(v < 0 for v in ends.values())
    data = measures.paths()
    spec = chart.paths_chart(data).to_dict()
    assert spec["title"]["text"] == (f"20 sessions later the SOX was still below its pre-shock "
                                     f"close after {below} of {len(day0)} shocks")
    for d, v in ends.items():
        assert f"({T(d).day} {T(d):%b %Y}): SOX {v * 100:+.1f}% after 20 sessions".replace(
            "-", "−") in spec["description"]


def test_both_charts_pass_the_book_standard():
    from deepshock.story.charts import check_chart

    check_chart(chart.map_chart(_map(-9.21, [-6.4, -4.6])).to_dict())
    check_chart(chart.paths_chart(_paths({"A (1 Jan 2025)": -1.0})).to_dict())
