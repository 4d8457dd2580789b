"""The event study's opening (`story.eventstudy.opening`) on small made-up studies and tables
written out here (expected values by hand): the basket fitted as the portfolio test fits it, the
ordinary spans (sums of consecutive residuals), the primaries' rows with their t intervals, the
chart's long frame, the finding-first title in its three forms, and the chart (marks, colours,
axis, tooltips, subtitle and description). The published chart on the data is pinned by
`tests/test_eventstudy_opening.py`. Fast: no book, no kernel."""

from __future__ import annotations

import json
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from deepshock.story.eventstudy import opening

T = pd.Timestamp
M = "\u2212"
ORANGE, BLUE, GREY, DARK = "#D55E00", "#0072B2", "#BBBBBB", "#555555"
T975_10 = 2.2281388519649385   # Student t, 97.5th percentile, 10 df (tables)
T975_30 = 2.0422724563012373


def test_sums_are_every_span_of_consecutive_residuals():
    resid = np.array([1.0, -2.0, 3.0, 0.5])
    assert opening._sums(resid, 1).tolist() == [1.0, -2.0, 3.0, 0.5]
    assert opening._sums(resid, 2).tolist() == [-1.0, 1.0, 3.5]
    assert opening._sums(resid, 3).tolist() == [2.0, 1.5]


def test_basket_is_the_groups_equal_weighted_portfolio(monkeypatch):
    calls = []
    monkeypatch.setattr(opening, "_regs", lambda member: ("regs of", member))
    monkeypatch.setattr(opening, "event_portfolio",
                        lambda *args: calls.append(args) or "portfolio")
    securities = pd.DataFrame({"group": ["US", "US", "JP", "US"],
                               "ticker": ["AMD", "NVDA", "8035.T", "AMD"]})
    study = SimpleNamespace(securities=securities,
                            results={"AMD": "r-amd", "NVDA": "r-nvda", "8035.T": "r-te"},
                            spec=SimpleNamespace(estimation=240, gap=10))
    assert opening.basket(study, "US") == "portfolio"
    assert calls == [(["r-amd", "r-nvda"], "US", ("regs of", "r-amd"), 240, 10)]


def _result(car, se, df, t, p, window, resid, days):
    windows = pd.DataFrame({"car": [car], "se": [se], "df": [df], "t": [t], "p": [p]},
                           index=[window])
    taus = list(range(-1, len(days) - 1))
    path = pd.DataFrame({"tau": taus, "date": pd.to_datetime(days)})
    return SimpleNamespace(windows=windows, resid=pd.Series(resid), path=path)


def test_primaries_rows_by_hand(monkeypatch):
    nv = _result(-0.12, 0.02, 10, -6.0, 0.001, "[0]", [0.01, -0.02, 0.03, 0.005],
                 ["2025-01-24", "2025-01-27", "2025-01-28"])
    us = _result(-0.08, 0.01, 30, -8.0, 0.0002, "[0]", [0.0, -0.01, 0.02],
                 ["2025-01-24", "2025-01-27", "2025-01-28"])
    jp = _result(-0.05, 0.02, 10, -2.5, 0.03, "[0,+1]", [0.01, -0.03, 0.02, -0.04],
                 ["2025-01-27", "2025-01-28", "2025-01-29", "2025-01-30"])
    baskets = {"US semiconductors": us, "Japan semiconductors": jp}
    monkeypatch.setattr(opening, "basket", lambda study, name: baskets[name])
    securities = pd.DataFrame({
        "group": ["US semiconductors"] * 4 + ["Japan semiconductors"] * 2,
        "ticker": ["NVDA", "AMD", "AMD", "MU", "8035.T", "6857.T"]})
    table = opening.primaries(SimpleNamespace(results={"NVDA": nv}, securities=securities))
    assert table["kind"].tolist() == ["security", "group", "group"]
    assert table["name"].tolist() == ["NVDA", "US semiconductors", "Japan semiconductors"]
    assert table["label"].tolist() == ["Nvidia", "US chip basket", "Tokyo chip basket"]
    assert table["window"].tolist() == ["[0]", "[0]", "[0,+1]"]
    assert table["n"].tolist() == [1, 3, 2]
    assert table["first"].tolist() == [T("2025-01-27"), T("2025-01-27"), T("2025-01-28")]
    assert table["last"].tolist() == [T("2025-01-27"), T("2025-01-27"), T("2025-01-29")]
    assert table["car"].tolist() == [-0.12, -0.08, -0.05]
    assert table["lo"].tolist() == pytest.approx(
        [-0.12 - T975_10 * 0.02, -0.08 - T975_30 * 0.01, -0.05 - T975_10 * 0.02])
    assert table["hi"].tolist() == pytest.approx(
        [-0.12 + T975_10 * 0.02, -0.08 + T975_30 * 0.01, -0.05 + T975_10 * 0.02])
    assert table["t"].tolist() == [-6.0, -8.0, -2.5]
    assert table["p"].tolist() == [0.001, 0.0002, 0.03]
    assert table["spans"].tolist() == [4, 3, 3]
    assert table["lowest"].tolist() == pytest.approx([-0.02, -0.01, -0.02])
    # sd by n - 1: Nvidia's four residuals; Tokyo's two-session sums -0.02, -0.01, -0.02
    assert table["sd"].tolist() == pytest.approx([
        0.02056493779875511, 0.015275252316519466, 0.005773502691896258])
    assert np.allclose(table.loc[2, "ordinary"], [-0.02, -0.01, -0.02])
    assert list(table.columns) == ["kind", "name", "label", "window", "n", "first", "last",
                                   "car", "lo", "hi", "t", "p", "spans", "lowest", "sd",
                                   "ordinary"]


def test_a_primary_without_a_short_name_is_named_from_the_facts(monkeypatch):
    monkeypatch.setattr(opening, "PRIMARY", (("security", "AMD", "[-5,-1]"),))
    monkeypatch.setattr(opening.facts, "name", lambda t: f"name of {t}")
    amd = _result(0.01, 0.01, 10, 1.0, 0.3, "[-5,-1]", [0.01, -0.01, 0.02, 0.0, 0.03, -0.02],
                  ["2025-01-16", "2025-01-17", "2025-01-21", "2025-01-22", "2025-01-23",
                   "2025-01-24", "2025-01-27"])
    amd.path["tau"] = amd.path["tau"] - 5          # taus -6 .. 0
    table = opening.primaries(SimpleNamespace(
        results={"AMD": amd}, securities=pd.DataFrame({"group": ["US"], "ticker": ["AMD"]})))
    assert table["label"].tolist() == ["name of AMD"] and table["n"].tolist() == [1]
    # five-session spans of six residuals: two sums
    assert table.at[0, "spans"] == 2 and table.at[0, "ordinary"].tolist() == pytest.approx(
        [0.05, 0.02])
    assert (table.at[0, "first"], table.at[0, "last"]) == (T("2025-01-17"), T("2025-01-24"))


def _table(first_car=-0.123412, first_lowest=-0.05, second_car=0.031234, second_lowest=-0.03):
    return pd.DataFrame([
        dict(label="Nvidia", window="[0]", first=T("2025-01-27"), last=T("2025-01-27"),
             car=first_car, lo=-0.152345, hi=-0.096789, spans=3, lowest=first_lowest,
             ordinary=np.array([0.01, -0.05, 0.02])),
        dict(label="Tokyo chip basket", window="[0,+1]", first=T("2025-01-27"),
             last=T("2025-01-28"), car=second_car, lo=-0.004321, hi=0.066123, spans=2,
             lowest=second_lowest, ordinary=np.array([-0.03, 0.012345])),
        dict(label="US chip basket", window="[0]", first=T("2025-02-03"),
             last=T("2025-02-03"), car=0.0, lo=-0.01, hi=0.01, spans=1, lowest=-0.02,
             ordinary=np.array([-0.02])),
    ])


def test_when_is_one_day_or_a_span():
    assert opening._when(pd.Series({"first": T("2025-01-27"), "last": T("2025-01-27")})) == (
        "27 Jan")
    assert opening._when(pd.Series({"first": T("2025-01-27"), "last": T("2025-01-28")})) == (
        "27\u201328 Jan")
    assert opening._when(pd.Series({"first": T("2025-01-31"), "last": T("2025-02-03")})) == (
        "31\u20133 Feb")


def test_chart_data_long_frame_in_percent():
    data = opening.chart_data(_table())
    nv, jp, us = "Nvidia, 27 Jan", "Tokyo chip basket, 27\u201328 Jan", "US chip basket, 3 Feb"
    assert data["row"].tolist() == [nv] * 4 + [jp] * 3 + [us] * 2
    assert data["kind"].tolist() == ["ordinary"] * 3 + ["event"] + ["ordinary"] * 2 + [
        "event", "ordinary", "event"]
    assert data["ar_pct"].tolist() == [1.0, -5.0, 2.0, -12.34, -3.0, 1.23, 3.12, -2.0, 0.0]
    assert data["lo_pct"].fillna(99).tolist() == [99, 99, 99, -15.23, 99, 99, -0.43, 99, -1.0]
    assert data["hi_pct"].fillna(99).tolist() == [99, 99, 99, -9.68, 99, 99, 6.61, 99, 1.0]
    assert data.index.tolist() == list(range(9))


def test_title_says_which_primaries_fell_beyond_every_ordinary_day():
    head = "Nvidia fell 12.3% beyond the market on 27 January"
    assert opening.title(_table()) == [
        f"{head},", "further than on any ordinary day in the year before"]
    both = _table(second_car=-0.04)
    assert opening.title(both) == [
        f"{head},", "further than on any ordinary day in the year before; so did the "
        "Tokyo chip basket"]
    three = both.assign(lowest=[-0.05, -0.03, 0.5])
    assert opening.title(three)[1].endswith("so did the Tokyo chip basket and US chip basket")
    assert opening.title(_table(first_lowest=-0.2)) == [head]
    assert opening.title(_table(first_lowest=-0.2, second_car=-0.04)) == [head]
    # exactly at the lowest ordinary value is not beyond it
    assert opening.title(_table(first_lowest=-0.123412)) == [head]
    assert opening.title(_table(first_car=0.0126, first_lowest=-0.2)) == [
        "Nvidia fell 1.3% beyond the market on 27 January"]


def _tips(*fields):
    names = {"row": ("Test", "nominal", None), "ordinary": ("Ordinary day (%)", None, ".1f"),
             "ar_pct": ("Abnormal return (%)", None, ".1f"),
             "lo_pct": ("95% interval from (%)", None, ".1f"),
             "hi_pct": ("95% interval to (%)", None, ".1f")}
    out = []
    for f in fields:
        title, kind, fmt = names[f]
        tip = {"field": "ar_pct" if f == "ordinary" else f, "title": title,
               "type": kind or "quantitative"}
        if fmt:
            tip["format"] = fmt
        out.append(tip)
    return out


def test_chart_marks_colours_axes_tooltips_and_words():
    table = _table()
    spec = opening.chart(opening.chart_data(table), table).to_dict()
    rows = ["Nvidia, 27 Jan", "Tokyo chip basket, 27\u201328 Jan", "US chip basket, 3 Feb"]
    y = {"field": "row", "type": "nominal", "sort": rows, "title": None,
         "axis": {"labelExpr": "split(datum.label, ', ')", "labelFontSize": 12,
                  "labelLimit": 160}}
    scale = {"domain": [-17.0, 8.0], "nice": False}    # floor(-15.23) - 1, ceil(6.61) + 1
    x = {"field": "ar_pct", "type": "quantitative", "title": "Abnormal return (%)",
         "scale": scale}
    colour = {"field": "colour", "type": "nominal", "scale": None}
    event_tips = _tips("row", "ar_pct", "lo_pct", "hi_pct")
    ticks, zero, band, dots, labels = spec["layer"]
    assert ticks["mark"] == {"type": "tick", "color": GREY, "thickness": 1, "size": 18,
                             "opacity": 0.8}
    assert ticks["encoding"] == {"x": x, "y": y, "tooltip": _tips("row", "ordinary")}
    assert zero["mark"] == {"type": "rule", "color": DARK}
    assert zero["encoding"] == {"x": {"field": "z", "type": "quantitative"}}
    assert band["mark"] == {"type": "rule", "strokeWidth": 3}
    assert band["encoding"] == {
        "x": {"field": "lo_pct", "type": "quantitative", "scale": scale},
        "x2": {"field": "hi_pct"}, "y": y, "color": colour, "tooltip": event_tips}
    assert dots["mark"] == {"type": "point", "filled": True, "size": 130, "opacity": 1}
    assert dots["encoding"] == {"x": x, "y": y, "color": colour, "tooltip": event_tips}
    assert labels["mark"] == {"type": "text", "dy": -15, "fontSize": 12, "fontWeight": "bold"}
    assert labels["encoding"] == {"x": x, "y": y, "text": {"field": "label", "type": "nominal"},
                                  "color": colour}
    sets = spec["datasets"]
    assert sets[zero["data"]["name"]] == [{"z": 0}]
    assert [(r["row"], r["ar_pct"]) for r in sets[ticks["data"]["name"]]] == [
        (rows[0], 1.0), (rows[0], -5.0), (rows[0], 2.0), (rows[1], -3.0), (rows[1], 1.23),
        (rows[2], -2.0)]
    assert band["data"] == dots["data"] == labels["data"]
    events = sets[band["data"]["name"]]
    assert [(r["row"], r["label"], r["colour"]) for r in events] == [
        (rows[0], M + "12.3%", ORANGE), (rows[1], "+3.1%", BLUE), (rows[2], "+0.0%", BLUE)]
    assert [(r["ar_pct"], r["lo_pct"], r["hi_pct"]) for r in events] == [
        (-12.34, -15.23, -9.68), (3.12, -0.43, 6.61), (0.0, -1.0, 1.0)]
    assert (spec["width"], spec["height"]) == (560, 210)
    assert spec["usermeta"]["narrow"] == {"drop": [], "set": {"width": 320},
                                          "transpose": False}
    assert spec["title"]["text"] == [
        "Nvidia fell 12.3% beyond the market on 27 January,",
        "further than on any ordinary day in the year before"]
    assert spec["title"]["subtitle"] == [
        "Dot: the abnormal return on the event, with its 95% interval; grey ticks: the 3 "
        "ordinary days of the year before",
        "Baskets hold the stocks in equal parts; Tokyo over its first two sessions",
        "Source: " + opening.SOURCE]
    assert spec["description"] == (
        "Strip chart of the three primary tests. "
        f"Nvidia ([0]): abnormal return {M}12.3%, 95% interval {M}15.2% to {M}9.7%; its "
        f"ordinary days ranged down to {M}5.0%. "
        f"Tokyo chip basket ([0,+1]): abnormal return 3.1%, 95% interval {M}0.4% to 6.6%; "
        f"its ordinary days ranged down to {M}3.0%. "
        f"US chip basket ([0]): abnormal return 0.0%, 95% interval {M}1.0% to 1.0%; its "
        f"ordinary days ranged down to {M}2.0%.")
    json.dumps(spec)


def test_chart_domain_reaches_past_the_ordinary_days_and_the_intervals():
    table = _table().assign(ordinary=[np.array([-0.205]), np.array([0.091]),
                                      np.array([0.0])])
    spec = opening.chart(opening.chart_data(table), table).to_dict()
    assert spec["layer"][0]["encoding"]["x"]["scale"]["domain"] == [-22.0, 11.0]
