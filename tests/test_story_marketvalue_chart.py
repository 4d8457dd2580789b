"""The market-value chapter's chart (`story.marketvalue.chart`): the rows it draws (companies'
bars and the press's records), the short names for a phone's axis, and the chart's title,
description, marks, axes, scale, colours, tooltips and phone layout, on small made-up frames
written out here; and the published chart's bars and title against an oracle from the raw
snapshot closes and data/records.csv in plain pandas. Fast: no book, no kernel."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from deepshock.story.marketvalue import chart
from deepshock.story.marketvalue import valuation as mv
from tests.oracle import raw

T = pd.Timestamp
MON, TUE = T("2025-01-27"), T("2025-01-28")
MINUS = "\u2212"
NEGATIVE, POSITIVE, NEUTRAL = "#D55E00", "#0072B2", "#555555"
SOURCE = "Yahoo Finance daily closes; company filings (share counts); press reports (records)"
TOOLTIP = [("name", "Company"), ("label", "Loss"), ("figure", "Figure"), ("detail", "Basis")]


def test_short_names():
    assert chart.SHORTER == {"Advanced Micro Devices": "AMD", "Super Micro Computer": "Super Micro",
                             "Alphabet (class A)": "Alphabet"}
    assert chart.DROPPED == (" Holdings", " Holding", " Technology", " Platforms", " Electronics",
                             " Group", " Energy")
    for name, short in [("Advanced Micro Devices", "AMD"), ("Super Micro Computer", "Super Micro"),
                        ("Alphabet (class A)", "Alphabet"), ("Arm Holdings (ADR)", "Arm (ADR)"),
                        ("ASML Holding (ADR)", "ASML (ADR)"), ("Micron Technology", "Micron"),
                        ("Meta Platforms", "Meta"), ("Renesas Electronics", "Renesas"),
                        ("SoftBank Group", "SoftBank"), ("Constellation Energy", "Constellation"),
                        ("Marvell Technology", "Marvell"), ("Nvidia", "Nvidia"),
                        ("Big Holdings Group Energy", "Big")]:
        assert chart.short_name(name) == short


# --- the rows ----------------------------------------------------------------------------------

def _table() -> pd.DataFrame:
    rows = [  # ticker, name, date, included, in_total, loss_usd, approximate, grade, basis
        # billions of 1e9 (not 1,000,000,001) at a rounding edge: 12.345000001 -> 12.35
        ("AAA", "Ay Holdings", MON, True, True, 12.345000001e9, False, "A", "as traded"),
        ("BBB", "Bee", MON, True, True, -2.004e9, False, "B", "dividend-adjusted"),
        ("CCC", "Sea (ADR)", MON, True, False, 30.0e9, True, "C", "as traded"),
        ("DDD", "Dee", MON, False, False, np.nan, False, "A", "as traded"),   # no figure
        ("AAA", "Ay Holdings", TUE, True, True, 5.0e9, False, "A", "as traded"),
        ("EEE", "Advanced Micro Devices", MON, True, True, 0.0, True, "A", "as traded"),
    ]
    return pd.DataFrame(rows, columns=["ticker", "name", "date", "included", "in_total",
                                       "loss_usd", "approximate", "grade", "basis"])


RECORDS = pd.DataFrame({"company": ["Rec", "Big"], "ticker": ["R", "B"],
                        "date": [T("2024-09-03"), T("2022-02-03")], "loss_usd_bn": [279.4, 1232.0],
                        "source": ["press one", "press two"]})


def test_chart_data_bars_then_records():
    got = chart.chart_data(_table(), RECORDS)
    want = pd.DataFrame({
        "layer": ["company"] * 4 + ["record"] * 2,
        "name": ["Sea (ADR)", "Ay Holdings", "Advanced Micro Devices", "Bee", "Rec", "Big"],
        "short": ["Sea (ADR)", "Ay", "AMD", "Bee", "Rec", "Big"],
        "loss_bn": [30.0, 12.35, 0.0, -2.0, 279.4, 1232.0],
        "label": ["≈$30.0bn", "$12.3bn", "≈$0.0bn", f"{MINUS}$2.0bn", "$279bn Rec 2024",
                  "$1,232bn Big 2022"],
        "figure": ["approximate", "exact", "approximate", "exact", "press record", "press record"],
        "detail": ["share count: an estimate; price level: as traded; not in the totals (the "
                   "company counts by its home line)",
                   "share count: from a filing; price level: as traded",
                   "share count: from a filing; price level: as traded",
                   "share count: from a source of another date; price level: dividend-adjusted",
                   "press one", "press two"]})
    pd.testing.assert_frame_equal(got, want, check_exact=False, rtol=0, atol=1e-12)


def test_chart_data_of_another_day():
    got = chart.chart_data(_table(), RECORDS.iloc[:0], TUE)
    assert got["name"].tolist() == ["Ay Holdings"] and got["loss_bn"].tolist() == [5.0]
    assert got["label"].tolist() == ["$5.0bn"] and got["figure"].tolist() == ["exact"]


# --- the chart ---------------------------------------------------------------------------------

def _data(losses=(10.0, -2.0, 4.0)) -> pd.DataFrame:
    return pd.DataFrame({
        "layer": ["company"] * len(losses) + ["record"],
        "name": ["Ay", "Bee Holdings", "Sea"][:len(losses)] + ["Rec"],
        "short": ["Ay", "Bee", "Sea"][:len(losses)] + ["Rec"],
        "loss_bn": list(losses) + [8.0],
        "label": ["$10.0bn", f"{MINUS}$2.0bn", "≈$4.0bn"][:len(losses)] + ["$8bn Rec 2024"],
        "figure": ["exact", "exact", "approximate"][:len(losses)] + ["press record"],
        "detail": ["a", "b", "c"][:len(losses)] + ["d"]})


def _tips(encoding: dict) -> list[tuple]:
    assert all(t["type"] == "nominal" for t in encoding["tooltip"])
    return [(t["field"], t["title"]) for t in encoding["tooltip"]]


def test_loss_chart_spec():
    spec = chart.loss_chart(_data()).to_dict()
    assert spec["title"] == {
        "text": f"Ay lost $10.0bn on 27 January, {MINUS}5.0 times Bee Holdings's loss",
        "subtitle": ["Dashed lines: earlier record one-day losses (press); pale, dashed bars: "
                     "approximate", f"Source: {SOURCE}"]}
    assert spec["description"] == (
        "Horizontal bar chart of the market value each of 3 companies lost on its 27 January "
        "2025 session, sorted from Ay ($10.0bn) down; gains are drawn to the left in blue. "
        "Approximate figures are pale with a dashed outline. Vertical dashed lines mark the "
        "earlier record one-day losses reported by the press.")
    assert (spec["width"], spec["height"]) == (420, 3 * 17)
    assert spec["usermeta"] == {"narrow": {
        "drop": ["layer/2", "layer/3", "layer/4"],
        "set": {"layer/1/encoding/x/scale/domain": [-2.0, 10.0],
                "layer/1/encoding/y/field": "short"},
        "transpose": False, "note": "Tap a bar for its figure, a dashed line for its record"}}
    assert len(pd.DataFrame(spec["datasets"][spec["data"]["name"]])) == 4
    rules, bars, right, left, notes = spec["layer"]
    y = {"field": "name", "type": "nominal", "title": None,
         "sort": {"field": "loss_bn", "op": "max", "order": "descending"}}
    top = {"field": "top", "type": "quantitative", "scale": None, "axis": None}
    refs = [{"filter": "datum.layer == 'record'"},
            {"window": [{"op": "rank", "field": "", "as": "rank"}], "sort": [{"field": "loss_bn"}]},
            {"calculate": "25.5 + 14 * datum.rank", "as": "top"}]
    # the records' dashed lines, from their label's height down to the axis
    assert rules["mark"] == {"type": "rule", "strokeDash": [5, 3], "color": "#444444"}
    assert rules["transform"] == refs and notes["transform"] == refs
    assert rules["encoding"]["x"] == {"field": "loss_bn", "type": "quantitative"}
    assert rules["encoding"]["y"] == top and rules["encoding"]["y2"] == {"value": 51}
    assert _tips(rules["encoding"]) == TOOLTIP
    assert notes["mark"] == {"type": "text", "align": "left", "baseline": "middle", "dx": 3,
                             "fontSize": 9, "color": "#444444"}
    assert notes["encoding"] == {"x": {"field": "loss_bn", "type": "quantitative"}, "y": top,
                                 "text": {"field": "label", "type": "nominal"}}
    # the bars: orange a loss, blue a gain, approximate ones pale and dashed
    assert bars["mark"] == {"type": "bar", "strokeWidth": 1.2}
    assert bars["transform"] == [{"filter": "datum.layer == 'company'"}]
    enc = bars["encoding"]
    # span 10 - (-2) = 12: from -2 - 0.25 x 12 to 10 + 0.2 x 12
    assert enc["x"] == {"field": "loss_bn", "type": "quantitative",
                        "title": "Market value lost on 27 January 2025 (US$ bn; negative = gain)",
                        "scale": {"domain": [-5.0, pytest.approx(12.4)], "nice": True}}
    assert enc["y"] == y and _tips(enc) == TOOLTIP
    colour = {"condition": {"test": "datum.loss_bn >= 0", "value": NEGATIVE}, "value": POSITIVE}
    assert enc["color"] == colour and enc["stroke"] == colour
    assert enc["opacity"] == {"field": "figure", "type": "nominal", "legend": {"title": "Figure"},
                              "scale": {"domain": ["exact", "approximate"], "range": [1.0, 0.35]}}
    assert enc["strokeDash"] == {"field": "figure", "type": "nominal", "legend": None,
                                 "scale": {"domain": ["exact", "approximate"],
                                           "range": [[1, 0], [3, 2]]}}
    # the value labels: right of a loss, left of a gain
    for layer, op, align, dx in ((right, ">=", "left", 4), (left, "<", "right", -4)):
        assert layer["mark"] == {"type": "text", "align": align, "dx": dx, "fontSize": 10,
                                 "color": NEUTRAL}
        assert layer["transform"] == [{"filter": f"datum.layer == 'company' && datum.loss_bn {op} 0"}]
        assert layer["encoding"]["x"] == {"field": "loss_bn", "type": "quantitative"}
        assert layer["encoding"]["y"] == y and _tips(layer["encoding"]) == TOOLTIP
        assert layer["encoding"]["text"] == {"field": "label", "type": "nominal"}


def test_loss_chart_without_gains_starts_its_axis_at_zero():
    """All losses (2 to 8): the span is 8 - 0, the axis runs from -2 to 9.6, the phone's from 0
    to 8; the title's ratio is the first bar's over the second's."""
    spec = chart.loss_chart(_data((8.0, 2.0))).to_dict()
    x = spec["layer"][1]["encoding"]["x"]["scale"]["domain"]
    assert x == [-2.0, pytest.approx(9.6)]
    assert spec["usermeta"]["narrow"]["set"]["layer/1/encoding/x/scale/domain"] == [0.0, 8.0]
    assert spec["title"]["text"] == "Ay lost $10.0bn on 27 January, 4.0 times Bee Holdings's loss"
    assert spec["height"] == 34 and spec["layer"][0]["encoding"]["y2"] == {"value": 34}
    assert spec["layer"][0]["transform"][2]["calculate"] == "17.0 + 14 * datum.rank"


# --- the published chart, against the raw files -------------------------------------------------

def test_published_chart_against_the_raw_files(snapshot):
    """Monday's bars: each US company's loss is its share count times the fall of its raw close
    from Friday 24 January; sorted, Nvidia first; the records are data/records.csv's."""
    table = mv.losses()
    data = chart.chart_data(table, mv.facts.records())
    bars = data.loc[data["layer"] == "company"].set_index("name")
    shown = table.loc[(table["date"] == MON) & table["included"]]
    assert len(bars) == len(shown) == 24 and bars["loss_bn"].is_monotonic_decreasing
    for _, row in shown.loc[shown["currency"] == "USD"].iterrows():
        close = raw.close(row["ticker"])
        want = row["shares"] * (close.loc[T("2025-01-24")] - close.loc[MON]) / 1e9
        assert bars.at[row["name"], "loss_bn"] == pytest.approx(round(want, 2), abs=0.0051)
    nvda = raw.close("NVDA")
    nv_loss = 24.49e9 * (nvda.loc[T("2025-01-24")] - nvda.loc[MON])   # data/sharecounts.csv
    avgo = raw.close("AVGO")
    av_shares = table.loc[(table["ticker"] == "AVGO") & (table["date"] == MON), "shares"].iloc[0]
    av_loss = av_shares * (avgo.loc[T("2025-01-24")] - avgo.loc[MON])
    assert list(bars.index[:2]) == ["Nvidia", "Broadcom"]
    records = raw.facts("records")
    refs = data.loc[data["layer"] == "record"]
    assert refs["name"].tolist() == records["company"].tolist()
    assert refs["loss_bn"].tolist() == records["loss_usd_bn"].astype(float).tolist()
    assert refs["label"].tolist() == [f"${float(v):,.0f}bn {c} {d[:4]}" for c, d, v in
                                      zip(records["company"], records["date"],
                                          records["loss_usd_bn"])]
    title = chart.loss_chart(data).to_dict()["title"]["text"]
    ratio = round(nv_loss / 1e9, 2) / round(av_loss / 1e9, 2)
    assert title == (f"Nvidia lost ${nv_loss / 1e9:,.1f}bn on 27 January, {ratio:.1f} times "
                     "Broadcom's loss") == "Nvidia lost $592.7bn on 27 January, 3.0 times Broadcom's loss"
