"""The cross-section's charts (`story.crosssection.charts`) on small made-up frames written out
here: every cell of the frames they draw (rounding, labels, order), and every part of the Vega-Lite
spec (marks, colours, axes, tooltips, title, subtitle, source, description, the phone layout),
with the title's branches; the short names and industries by hand. Fast: no book, no kernel."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from deepshock.story.crosssection import charts as cc
from tests.chartspec import clean

T = pd.Timestamp
M = "\u2212"
ORANGE, BLUE, GREY, MUTED, ACCENT = "#D55E00", "#0072B2", "#555555", "#BBBBBB", "#CC79A7"
SOURCE = ("Source: Yahoo Finance adjusted daily closes of the S&P 500 members; market-model "
          "abnormal returns")


def drawn(chart) -> list[pd.DataFrame]:
    return [pd.DataFrame(rows) for rows in chart.to_dict()["datasets"].values()]


# --- names -----------------------------------------------------------------------------------

def test_short_names_industries_and_words():
    assert cc.DAY == "27 January" and cc.DAY_Y == "27 January 2025"
    assert cc.N_SHOWN == 10 and cc.LABEL_CHARS == 20 and cc.LATER == " †"
    for name, short in [("Constellation Energy Corporatio", "Constellation Energy"),
                        ("Vistra Corp.", "Vistra"), ("Apple Inc.", "Apple"),
                        ("EMCOR Group, Inc.", "EMCOR"), ("Coca-Cola Company (The)", "Coca-Cola"),
                        ("Huntington Ingalls Industries,", "Huntington Ingalls Industries"),
                        ("Fox Corporation Class A Common St", "Fox Corporation Class A"),
                        ("Alphabet Inc. (Class C)", "Alphabet"), ("Linde plc", "Linde"),
                        ("Norwegian Cruise Line Holdings ", "Norwegian Cruise Line Holdings"),
                        ("Cognizant, I", "Cognizant"), ("Acme, In", "Acme"),
                        ("Brown & Brown -", "Brown & Brown"), ("Plain", "Plain"),
                        ("TJX, Inc.", "TJX")]:
        assert cc.short_name(name) == short, name
    assert cc.short_industry("Utilities - Renewable") == "Renewable power"
    assert cc.short_industry("Financial Data & Stock Exchanges") == "Exchanges & data"
    assert cc.short_industry("Oil & Gas Integrated") == "Oil & Gas Integrated"
    assert cc.short_industry("Aerospace & Defense Contracting Services") == \
        "Aerospace & Defense Contr…"                        # 26 characters, the last an ellipsis
    assert len(cc.short_industry("Aerospace & Defense Contracting Services")) == 26
    assert cc.short_industry("Aerospace & Defense Contracting", 31) == \
        "Aerospace & Defense Contracting"
    assert cc.short_industry("Aerospace & Defense Contracting", 30) == \
        "Aerospace & Defense Contracti…"
    assert cc.plain_industry("REIT - Specialty") == "specialty REIT"
    assert cc.plain_industry("Utilities - Regulated Electric") == "electric utility"
    assert cc.plain_industry("A Long Industry Name That Runs Beyond Twenty-Six Letters") == \
        "a long industry name that runs beyond twenty-six letters"
    assert cc.plain_industry("Semiconductor Equipment & Materials") == "chip equipment"
    assert cc.plain_industry("Information Technology Services") == "IT services"
    assert cc.plain_industry("X-ray A B") == "x-ray a b"          # one capital is no acronym
    name = "Wholesale " + "x" * 51                                 # 61 characters: cut at 60
    assert cc.plain_industry(name) == "wholesale " + "x" * 49 + "…"
    assert cc.plain_industry(name[:60]) == name[:60].lower()
    assert cc.fit_words("Norwegian Cruise Line Holdings", 20) == "Norwegian Cruise"
    assert cc.fit_words("Norwegian Cruise Line", 21) == "Norwegian Cruise Line"
    assert cc.fit_words("Supercalifragilistic Corp", 5) == "Supercalifragilistic"
    assert cc._minus("from -5.0 to +-3.1 and x-1") == f"from {M}5.0 to +{M}3.1 and x{M}1"
    assert cc._pct(-6.789) == "6.8%" and cc._pct(2.04) == "2.0%"


# --- by fifth of chip exposure ---------------------------------------------------------------------

TABLE = pd.DataFrame({"n": [98, 97, 97, 97, 98], "lo": [-1.234, 0.1, 0.2, 0.3, 0.456],
                      "hi": [0.1, 0.2, 0.3, 0.456, 2.345],
                      "mean": [0.01234, 0.002, -0.001, -0.02, -0.06789],
                      "share_fell": [0.2545, 0.3, 0.5, 0.7, 0.9123]}, index=[1, 2, 3, 4, 5])
FIFTHS = ["1 (least)", "2", "3", "4", "5 (most)"]
QTIP = [{"field": "fifth", "title": "Fifth", "type": "nominal"},
        {"field": "members", "title": "Members", "type": "quantitative"},
        {"field": "chip_lo", "title": "Chip sensitivity from", "type": "quantitative"},
        {"field": "chip_hi", "title": "to", "type": "quantitative"},
        {"field": "ar_pct", "format": ".1f", "title": "Mean abnormal return (%)",
         "type": "quantitative"},
        {"field": "fell_pct", "format": ".0f", "title": "Share that fell (%)",
         "type": "quantitative"}]
QX = {"axis": {"labelAngle": 0}, "field": "fifth", "sort": FIFTHS,
      "title": "Fifth of members by 2024 chip sensitivity", "type": "nominal"}


def test_quintile_data_every_cell():
    got = cc.quintile_data(TABLE)
    assert got.to_dict("list") == {
        "fifth": FIFTHS, "members": [98, 97, 97, 97, 98],
        "chip_lo": [-1.23, 0.1, 0.2, 0.3, 0.46], "chip_hi": [0.1, 0.2, 0.3, 0.46, 2.35],
        "ar_pct": [1.23, 0.2, -0.1, -2.0, -6.79], "fell_pct": [25.4, 30.0, 50.0, 70.0, 91.2]}
    three = cc.quintile_data(TABLE.iloc[:3])
    assert list(three["fifth"]) == ["1 (least)", "2", "3 (most)"]


def test_quintile_chart_spec():
    chart = cc.quintile_chart(cc.quintile_data(TABLE))
    assert clean(chart) == {
        "vconcat": [
            {"mark": {"type": "bar"},
             "encoding": {"color": {"condition": {"test": "datum.ar_pct < 0", "value": ORANGE},
                                    "value": BLUE},
                          "tooltip": QTIP, "x": QX,
                          "y": {"field": "ar_pct", "title": "Mean abnormal return (%)",
                                "type": "quantitative"}},
             "height": 170, "width": 480},
            {"layer": [
                {"mark": {"type": "bar", "color": ORANGE},
                 "encoding": {"tooltip": QTIP, "x": QX,
                              "y": {"field": "fell_pct", "scale": {"domain": [0, 100]},
                                    "title": "Share that fell (%)", "type": "quantitative"}}},
                {"mark": {"type": "text", "color": GREY, "dy": -7, "fontSize": 11},
                 "encoding": {"text": {"field": "fell_pct", "format": ".0f",
                                       "type": "quantitative"},
                              "x": QX, "y": {"field": "fell_pct", "type": "quantitative"}}}],
             "height": 130, "width": 480}],
        "description": (
            "Two bar charts by fifth of S&P 500 members sorted by their 2024 sensitivity to the "
            "chip index. fifth 1 (least): mean abnormal return 1.2%, 25% fell; fifth 2: mean "
            f"abnormal return 0.2%, 30% fell; fifth 3: mean abnormal return {M}0.1%, 50% fell; "
            f"fifth 4: mean abnormal return {M}2.0%, 70% fell; fifth 5 (most): mean abnormal "
            f"return {M}6.8%, 91% fell."),
        "spacing": 12,
        "title": {"text": ("The most chip-sensitive fifth fell 6.8% beyond the market on "
                           "27 January and 91% of its members fell; of the least sensitive, 25%"),
                  "subtitle": ["Top: mean day-0 abnormal return; bottom: share of members whose "
                               "price fell", "Chip sensitivity: slope on the SOX beyond the "
                               "market, measured over 2024", SOURCE]}}
    assert drawn(chart)[0].equals(cc.quintile_data(TABLE))


def test_quintile_title_when_the_top_fifth_rose():
    up = TABLE.assign(mean=[-0.01, 0, 0, 0, 0.0234])
    title = cc.quintile_chart(cc.quintile_data(up)).to_dict()["title"]["text"]
    assert title.startswith("The most chip-sensitive fifth rose 2.3% beyond")
    flat = TABLE.assign(mean=[-0.01, 0, 0, 0, 0.0])
    assert "fifth rose 0.0% beyond" in cc.quintile_chart(cc.quintile_data(flat)).to_dict()[
        "title"]["text"]


# --- beyond exposure -----------------------------------------------------------------------------

SAMPLE = pd.DataFrame({
    "ticker": ["VST", "CEG", "NCLH", "AAPL", "SMCI", "XOM", "DASH", "KO"],
    "name": ["Vistra Corp.", "Constellation Energy Corporatio", "Norwegian Cruise Line Holdings ",
             "Apple Inc.", "Super Micro Computer, Inc.", "Exxon Mobil Corporation",
             "DoorDash, Inc.", "Coca-Cola Company (The)"],
    "industry": ["Utilities - Independent Power Producers", "Utilities - Renewable",
                 "Travel Services", "Consumer Electronics", "Computer Hardware",
                 "Oil & Gas Integrated", "Internet Content & Information",
                 "Beverages - Non-Alcoholic"],
    "joined": [pd.NaT] * 6 + [T("2025-03-24"), pd.NaT],
    "theme": ["power producers", "power producers", "", "", "data-centre equipment", "", "", ""],
    "beyond": [-0.201234, -0.1555, -0.05, 0.0612, -0.03, 0.0125, 0.044, 0.0],
    "ar0": [-0.280456, -0.2, -0.04, 0.04, -0.1, 0.01, 0.05, 0.001],
    "fitted": [-0.078812, -0.0445, 0.01, -0.0212, -0.07, -0.0025, 0.006, 0.001],
    "ret0": [-0.282234, -0.2091, -0.0312, 0.0321, -0.1276, 0.0062, 0.0491, 0.0044]})
LABELS = ["Vistra|Power producer", "Constellation Energy|Renewable power",
          "Norwegian Cruise|Travel Services", "Exxon Mobil|Oil & Gas Integrated",
          "DoorDash †|Internet content", "Apple|Consumer Electronics"]


def test_beyond_data_every_cell():
    got = cc.beyond_data(SAMPLE, n=3)
    assert got.to_dict("list") == {
        "ticker": ["VST", "CEG", "NCLH", "XOM", "DASH", "AAPL"],
        "name": ["Vistra", "Constellation Energy", "Norwegian Cruise Line Holdings",
                 "Exxon Mobil", "DoorDash †", "Apple"],
        "industry": ["Power producer", "Renewable power", "Travel Services",
                     "Oil & Gas Integrated", "Internet content", "Consumer Electronics"],
        "label": LABELS,
        "joined_later": [False, False, False, False, True, False],
        "theme": ["power producers", "power producers", "other", "other", "other", "other"],
        "beyond_pct": [-20.12, -15.55, -5.0, 1.25, 4.4, 6.12],
        "ar_pct": [-28.05, -20.0, -4.0, 1.0, 5.0, 4.0],
        "fitted_pct": [-7.88, -4.45, 1.0, -0.25, 0.6, -2.12],
        "ret_pct": [-28.22, -20.91, -3.12, 0.62, 4.91, 3.21]}
    assert len(cc.beyond_data(SAMPLE)) == 16          # ten each way, of eight: each twice
    long = SAMPLE.assign(industry="Oil & Gas Equipment & Services Contractors")
    assert set(cc.beyond_data(long, n=1)["industry"]) == {"Oil & Gas Equipment …"}


TIP = [{"field": "name", "title": "Company", "type": "nominal"},
       {"field": "industry", "title": "Industry", "type": "nominal"},
       {"field": "ret_pct", "format": ".1f", "title": "Day-0 return (%)", "type": "quantitative"},
       {"field": "ar_pct", "format": ".1f", "title": "Abnormal return (%)",
        "type": "quantitative"},
       {"field": "fitted_pct", "format": ".1f", "title": "Predicted by exposure (%)",
        "type": "quantitative"},
       {"field": "beyond_pct", "format": ".1f", "title": "Beyond exposure (pp)",
        "type": "quantitative"}]


def test_beyond_chart_spec():
    data = cc.beyond_data(SAMPLE, n=3)
    chart = cc.beyond_chart(data)
    assert clean(chart) == {
        "layer": [
            {"mark": {"type": "bar"},
             "encoding": {"color": {"condition": {"test": "datum.beyond_pct < 0",
                                                  "value": ORANGE}, "value": BLUE},
                          "tooltip": TIP,
                          "x": {"field": "beyond_pct",
                                "title": "Abnormal return beyond what exposure predicts (pp)",
                                "type": "quantitative"},
                          "y": {"axis": {"labelExpr": "split(datum.label, '|')",
                                         "labelLimit": 220, "labelPadding": 6},
                                "field": "label", "sort": LABELS, "title": None,
                                "type": "nominal"}}},
            {"mark": {"type": "rule", "color": MUTED},
             "encoding": {"x": {"field": "x", "type": "quantitative"}}}],
        "description": (
            "Horizontal bars for 6 S&P 500 members: the abnormal return on 27 January 2025 "
            "minus what their 2024 exposures predict, from Vistra (Power producer, "
            f"{M}20.1 points) to Apple (Consumer Electronics, +6.1 points). Each bar is "
            "labelled with the company and its industry."),
        "height": 180,
        "title": {"text": ("Vistra fell 20.1 points more than its exposure predicted; two of "
                           "the three largest such falls were power, data-centre equipment or "
                           "gas stocks"),
                  "subtitle": ["The three largest falls and rises beyond the prediction of chip "
                               "sensitivity, beta, momentum and volatility; day 0, 27 January "
                               "2025", "† joined the S&P 500 after January 2025", SOURCE]},
        "usermeta": {"narrow": {"drop": [], "set": {"layer/0/encoding/y/axis/labelLimit": 170},
                                "transpose": False}},
        "width": 330}
    sets = drawn(chart)
    assert any(s.equals(data) for s in sets)
    assert any(list(s.columns) == ["x"] and s["x"].tolist() == [0] for s in sets)


def test_beyond_title_counts_only_the_ten_largest_falls_and_drops_the_mark():
    rows = [(f"F{i}", -0.3 + 0.01 * i, "gas" if i in (0, 11) else "") for i in range(12)]
    sample = pd.DataFrame({
        "ticker": [r[0] for r in rows], "name": [f"{r[0]} Inc." for r in rows],
        "industry": ["Banks"] * 12, "joined": [T("2025-06-02")] + [pd.NaT] * 11,
        "theme": [r[2] for r in rows], "beyond": [r[1] for r in rows],
        "ar0": 0.0, "fitted": 0.0, "ret0": 0.0})
    data = cc.beyond_data(sample, n=12).drop_duplicates("ticker").reset_index(drop=True)
    spec = cc.beyond_chart(data).to_dict()
    # the twelfth fall (themed) is beyond the ten counted; the worst, joined later, loses its mark
    assert spec["title"]["text"].startswith(
        "F0 fell 30.0 points more than its exposure predicted; one of the ten largest")
    assert spec["title"]["subtitle"][0].startswith("The ten largest falls and rises")
    assert spec["description"].startswith(
        f"Horizontal bars for 12 S&P 500 members: the abnormal return on 27 January 2025 minus "
        f"what their 2024 exposures predict, from F0 † (Banks, {M}30.0 points) to F11 (Banks, "
        f"{M}19.0 points). Each bar")
    # a member exactly at its prediction (Coca-Cola, 0.0) is no fall
    four = cc.beyond_chart(cc.beyond_data(SAMPLE, n=4)).to_dict()["title"]["text"]
    assert "; three of the four largest such falls" in four
    plain = data.assign(joined_later=False)
    assert cc.beyond_chart(plain).to_dict()["title"]["subtitle"][1] == SOURCE


# --- the placebo -----------------------------------------------------------------------------

DAILY = pd.DataFrame({"date": pd.to_datetime(["2023-03-01", "2024-05-02", "2025-05-05"]),
                      "chip_slope": [-0.012347, 0.0456, -0.0999],
                      "chip_r2": [0.12345, 0.456, 0.05],
                      "sox": [-0.011111, 0.02, 0.0], "market": [0.001, -0.004912, 0.012],
                      "in_sample": [True, False, False]})
DAY0 = pd.Series({"date": T("2025-01-27"), "chip_slope": -0.0957, "chip_r2": 0.388,
                  "sox": -0.0923, "market": -0.0043, "in_sample": False})
PTIP = [{"field": "date", "title": "Session", "type": "nominal"},
        {"field": "slope_pp", "format": ".1f", "title": "Chip slope (pp per unit)",
         "type": "quantitative"},
        {"field": "r2_pct", "format": ".0f", "title": "R² (%)", "type": "quantitative"},
        {"field": "sox_pct", "format": ".1f", "title": "SOX return (%)", "type": "quantitative"},
        {"field": "market_pct", "format": ".1f", "title": "Average member's return (%)",
         "type": "quantitative"},
        {"field": "in_sample", "title": "Inside the measuring windows", "type": "nominal"}]
PX = {"field": "slope_pp", "title": "Chip slope: abnormal return per unit of chip sensitivity (pp)",
      "type": "quantitative"}
PY = {"field": "r2_pct", "title": "Share of differences explained, R² (%)", "type": "quantitative"}


def test_placebo_data_every_cell():
    got = cc.placebo_data(DAILY, DAY0)
    assert got.to_dict("list") == {
        "date": ["2023-03-01", "2024-05-02", "2025-05-05", "2025-01-27"],
        "kind": ["other session"] * 3 + ["27 January 2025"],
        "slope_pp": [-1.23, 4.56, -9.99, -9.57], "r2_pct": [12.3, 45.6, 5.0, 38.8],
        "sox_pct": [-1.11, 2.0, 0.0, -9.23], "market_pct": [0.1, -0.49, 1.2, -0.43],
        "in_sample": ["yes", "no", "no", "no"]}
    day0 = DAY0.copy()
    day0["in_sample"] = True                 # day 0 is never counted inside the windows
    assert cc.placebo_data(DAILY, day0)["in_sample"].iloc[-1] == "no"


def test_placebo_chart_spec_when_a_session_was_steeper():
    chart = cc.placebo_chart(cc.placebo_data(DAILY, DAY0))
    assert clean(chart) == {
        "layer": [
            {"mark": {"type": "circle", "color": MUTED, "opacity": 0.8, "size": 22},
             "encoding": {"tooltip": PTIP, "x": PX, "y": PY},
             "transform": [{"filter": "datum.kind != '27 January 2025'"}]},
            {"mark": {"type": "point", "color": ACCENT, "filled": True, "shape": "diamond",
                      "size": 90},
             "encoding": {"tooltip": PTIP, "x": PX, "y": PY},
             "transform": [{"filter": "datum.kind == '27 January 2025'"}]},
            {"mark": {"type": "text", "align": "left", "color": ACCENT, "dx": 8, "dy": -6,
                      "fontSize": 11},
             "encoding": {"text": {"field": "kind", "type": "nominal"}, "x": PX, "y": PY},
             "transform": [{"filter": "datum.kind == '27 January 2025'"}]}],
        "description": (
            "Scatter of 3 sessions from 2023 to mid-2025 by the slope and R² of the "
            "cross-sectional regression of abnormal returns on chip sensitivity. 27 January 2025 "
            f"sits at a slope of {M}9.6 points and an R² of 39%; one session had a more "
            "negative slope and one a higher R²."),
        "height": 300,
        "title": {"text": ("One of 3 ordinary sessions had a steeper chip slope than 27 January; "
                           "one of them had a closer fit"),
                  "subtitle": ["Each dot: one session's regression of abnormal returns on 2024 "
                               "chip sensitivity across the S&P 500 members",
                               "Sessions near other market news left out", SOURCE]},
        "usermeta": {"narrow": {"drop": ["layer/2"], "set": {}, "transpose": False,
                                "note": "The diamond is 27 January 2025"}},
        "width": 480}
    assert drawn(chart)[0].equals(cc.placebo_data(DAILY, DAY0))


def test_placebo_title_when_no_session_was_steeper():
    daily = DAILY.assign(chip_slope=[-0.0123, 0.0456, -0.0956], chip_r2=[0.123, 0.40, 0.05])
    spec = cc.placebo_chart(cc.placebo_data(daily, DAY0)).to_dict()
    assert spec["title"]["text"] == (
        "Chip sensitivity predicted a steeper fall on 27 January than on any of 3 ordinary "
        "sessions; one of them had a closer fit")
    assert spec["description"].endswith(
        "an R² of 39%; no sessions had a more negative slope and one a higher R².")
    tie = cc.placebo_chart(cc.placebo_data(DAILY.assign(chip_slope=[0.01, 0.02, -0.0957]),
                                           DAY0)).to_dict()       # as steep is not steeper
    assert tie["title"]["text"].startswith("Chip sensitivity predicted a steeper fall on 27 "
                                           "January than on any of 3 ordinary sessions")
    none = cc.placebo_chart(cc.placebo_data(DAILY.assign(chip_r2=0.3881), DAY0)).to_dict()
    assert none["title"]["text"].endswith("slope than 27 January; none of them had a closer fit")
    assert none["description"].endswith("one session had a more negative slope and none a "
                                        "higher R².")
    two = pd.concat([DAILY, DAILY.iloc[[2]].assign(chip_r2=0.5)], ignore_index=True)
    spec = cc.placebo_chart(cc.placebo_data(two, DAY0)).to_dict()
    assert spec["title"]["text"] == ("Two of 4 ordinary sessions had a steeper chip slope than "
                                     "27 January; two of them had a closer fit")
    assert "two sessions had a more negative slope and two a higher R²" in spec["description"]


def test_figures_are_drawn_from_the_chapters_frames():
    table = TABLE.copy()
    ch = type("Ch", (), {"quintiles": table, "sample": SAMPLE, "placebo": DAILY})()
    figs = cc.figures(ch, DAY0)
    assert list(figs) == ["fig-xs-quintiles", "fig-xs-beyond", "fig-xs-placebo"]
    assert figs["fig-xs-quintiles"][1].equals(cc.quintile_data(table))
    assert figs["fig-xs-beyond"][1].equals(cc.beyond_data(SAMPLE))
    assert figs["fig-xs-placebo"][1].equals(cc.placebo_data(DAILY, DAY0))
    assert clean(figs["fig-xs-placebo"][0]) == clean(cc.placebo_chart(cc.placebo_data(DAILY,
                                                                                     DAY0)))
    assert clean(figs["fig-xs-beyond"][0]) == clean(cc.beyond_chart(cc.beyond_data(SAMPLE)))
    assert clean(figs["fig-xs-quintiles"][0]) == clean(cc.quintile_chart(cc.quintile_data(table)))
    assert np.isfinite(figs["fig-xs-placebo"][1]["slope_pp"]).all()
