"""The fact-check's table and dot chart (`story.factcheck.chart`): the results table, the chart's
rows, the largest gap, and the chart's title, subtitle, description, marks, axes, colours,
shapes, tooltips and layout, on small made-up results written out here; and the published
chart's rows and title against an oracle from the raw snapshot closes and data/claims.csv in
plain pandas. Fast: no book, no kernel."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from deepshock.story import factcheck
from deepshock.story.factcheck import chart
from tests.oracle import raw

T = pd.Timestamp
MINUS = "\u2212"
NEGATIVE, POSITIVE, NEUTRAL = "#D55E00", "#0072B2", "#555555"
SOURCE = "Reuters, 28 January 2025 (the claims); Yahoo Finance daily closes"
TOOLTIP = [("security", "nominal", "Security", None), ("session", "temporal", "Session", "%a %d %b %Y"),
           ("reported", "quantitative", "Reported (%)", "+.1f"),
           ("measured", "quantitative", "Measured (%)", "+.2f"),
           ("verdict", "nominal", "Verdict", None), ("reason", "nominal", "Why", None)]


def test_constants():
    assert chart.SOURCE == SOURCE
    assert chart.SHORT == {"^SOX": "SOX", "GOOGL": "Alphabet", "9984.T": "SoftBank",
                           "8035.T": "Tokyo Electron"}


def test_results_table_is_a_list_table_with_fixed_widths():
    results = pd.DataFrame({"claim": ["Nvidia sank 17%", "It cost $6M"],
                            "claimed": ["−17%", "under $6M"], "measured": ["−16.97%", "$5.576M"],
                            "verdict": ["confirmed", "approximately"], "flag": ["", "overstates"],
                            "reason": ["within rounding", "off by $0.4M"]})
    assert chart.results_table(results) == "\n".join([
        "```{list-table}", ":header-rows: 1", ":width: 100%",
        ":class: deepshock-wrap longtable", ":widths: 32 24 13 31", "",
        "* - Claim (paraphrased)", "  - Reported → measured", "  - Verdict", "  - Why",
        "* - Nvidia sank 17%", "  - −17% → −16.97%", "  - **confirmed**", "  - within rounding",
        "* - It cost \\$6M", "  - under \\$6M → \\$5.576M", "  - **approximately** (overstates)",
        "  - off by \\$0.4M", "```"])


# --- the chart's rows ---------------------------------------------------------------------------

def _results() -> pd.DataFrame:
    """Results as `check` returns them: moves (one not measured), and claims of other metrics."""
    return pd.DataFrame({
        "id": ["a", "b", "c", "d", "e", "f"],
        "metric": ["close_to_close_return", "market_value_loss", "close_to_close_return",
                   "close_to_close_return", "close_to_close_return", "release_date"],
        "subject": ["AAA", "AAA", "^SOX", "BBB", "CCC", "V3"],
        "date": ["2025-01-27", "2025-01-27", "2025-01-28", "2025-01-28", "2025-01-27", ""],
        "claimed_value": ["-17", "593", "-9.2", "3", "-1", ""],
        "measured_value": [-16.96816, 592.7, -9.14836, 2.004999, np.nan, np.nan],
        "verdict": ["confirmed", "confirmed", "approximately", "wrong", "not supported", "wrong"],
        "reason": ["r-a", "r-b", "r-c", "r-d", "r-e", "r-f"],
    }, index=[10, 11, 12, 13, 14, 15])


def test_dot_data_keeps_the_measured_moves(monkeypatch):
    asked = []

    def name(ticker):
        asked.append(ticker)
        return {"AAA": "Ay Corp", "^SOX": "PHLX Semiconductor index", "BBB": "Bee plc"}[ticker]
    monkeypatch.setattr(chart.facts, "name", name)
    got = chart.dot_data(_results())
    want = pd.DataFrame({
        "claim": ["Ay Corp, Mon", "SOX, Tue", "Bee plc, Tue"],
        "security": ["Ay Corp", "PHLX Semiconductor index", "Bee plc"],
        "session": pd.to_datetime(["2025-01-27", "2025-01-28", "2025-01-28"]),
        "reported": [-17.0, -9.2, 3.0],
        "measured": [-16.97, -9.15, 2.0],
        "verdict": ["confirmed", "approximately", "wrong"], "reason": ["r-a", "r-c", "r-d"]})
    pd.testing.assert_frame_equal(got, want, check_exact=False, rtol=0, atol=1e-12)
    assert list(got.index) == [0, 1, 2]
    assert got["reported"].dtype == float and got["measured"].dtype == float
    assert sorted(set(asked)) == ["AAA", "BBB", "^SOX"]   # no name for a row left out


def test_dot_data_sessions_are_dates_without_a_time(monkeypatch):
    monkeypatch.setattr(chart.facts, "name", lambda t: t)
    results = _results().iloc[[0]].assign(date=[T("2025-01-27 21:00")])
    got = chart.dot_data(results)
    assert got.at[0, "session"] == T("2025-01-27") and got.at[0, "claim"] == "AAA, Mon"


def _data(measured=(-5.5, 2.0, -1.0), verdicts=("wrong", "confirmed", "approximately"),
          sessions=("2025-01-27", "2025-01-28", "2025-01-27")) -> pd.DataFrame:
    n = len(measured)
    return pd.DataFrame({"claim": ["A, Mon", "B, Tue", "C, Mon"][:n],
                         "security": ["Ay", "Bee", "Sea"][:n],
                         "session": pd.to_datetime(list(sessions)[:n]),
                         "reported": [-5.0, 3.0, -1.0][:n], "measured": list(measured),
                         "verdict": list(verdicts), "reason": ["r1", "r2", "r3"][:n]})


def test_largest_gap_is_by_size_either_way():
    assert chart.largest_gap(_data())["security"] == "Bee"          # |2 - 3| = 1 > 0.5 > 0
    got = chart.largest_gap(_data(measured=(-6.5, 2.0, -1.0)))      # |-6.5 + 5| = 1.5
    assert got["security"] == "Ay" and got["measured"] == -6.5
    assert chart.largest_gap(_data(measured=(-5.5, 3.4, 0.0)))["security"] == "Sea"


def _tips(encoding: dict) -> list[tuple]:
    return [(t["field"], t["type"], t["title"], t.get("format")) for t in encoding["tooltip"]]


def test_dot_chart_spec():
    data = _data()
    spec = chart.dot_chart(data).to_dict()
    assert spec["title"] == {
        "text": "1 of 3 reported moves match the close to their rounding; the largest miss is "
                "1.0 points (Bee)",
        "subtitle": ["Open circle: the figure in the article; filled mark: the close-to-close "
                     "move (orange: fell), its shape the verdict; Mon 27 or Tue 28 January 2025",
                     f"Source: {SOURCE}"]}
    assert spec["description"] == (
        "Dot plot of 3 percentage moves reported by the article against the close-to-close "
        f"moves in the daily data, one row per claim: A, Mon: reported {MINUS}5.0%, measured "
        f"{MINUS}5.50% (wrong); B, Tue: reported +3.0%, measured +2.00% (confirmed); C, Mon: "
        f"reported {MINUS}1.0%, measured {MINUS}1.00% (approximately).")
    assert (spec["width"], spec["height"]) == (380, 3 * 26)
    assert spec["usermeta"] == {"narrow": {"drop": [], "set": {}, "transpose": False, "note":
                                           "Tap a mark for the claim, both figures and the verdict"}}
    rows = pd.DataFrame(spec["datasets"][spec["data"]["name"]])
    assert rows["claim"].tolist() == ["A, Mon", "B, Tue", "C, Mon"]
    link, reported, measured = spec["layer"]
    y = {"field": "claim", "type": "nominal", "title": None, "axis": {"labelLimit": 260},
         "sort": ["A, Mon", "C, Mon", "B, Tue"]}                        # by the measured move
    assert link["mark"] == {"type": "rule", "color": "#999999"}
    assert link["encoding"]["x"] == {"field": "reported", "type": "quantitative",
                                     "title": "Close-to-close move on the session (%)"}
    assert link["encoding"]["x2"] == {"field": "measured"} and link["encoding"]["y"] == y
    assert reported["mark"] == {"type": "point", "filled": False, "size": 70, "color": NEUTRAL}
    assert reported["encoding"]["x"] == {"field": "reported", "type": "quantitative"}
    assert reported["encoding"]["y"] == y and set(reported["encoding"]) == {"x", "y", "tooltip"}
    assert measured["mark"] == {"type": "point", "filled": True, "size": 90, "opacity": 1}
    assert measured["transform"] == [{"calculate": "datum.measured < 0 ? 'fell' : 'rose'",
                                      "as": "direction"}]
    enc = measured["encoding"]
    assert enc["x"] == {"field": "measured", "type": "quantitative"} and enc["y"] == y
    assert enc["color"] == {"field": "direction", "type": "nominal", "legend": None,
                            "scale": {"domain": ["fell", "rose"], "range": [NEGATIVE, POSITIVE]}}
    # the verdicts present, in the scale's order (not the data's), each with its shape
    assert enc["shape"] == {"field": "verdict", "type": "nominal",
                            "scale": {"domain": ["confirmed", "approximately", "wrong"],
                                      "range": ["circle", "diamond", "triangle-down"]},
                            "legend": {"title": "Verdict (filled mark)",
                                       "symbolFillColor": NEUTRAL, "symbolStrokeColor": NEUTRAL}}
    for layer in spec["layer"]:
        assert _tips(layer["encoding"]) == TOOLTIP


def test_dot_chart_title_counts_and_days():
    """Two confirmed of two, on one day: the subtitle names that day alone; the gap's size has
    one decimal, and its security is the one furthest off."""
    data = _data(measured=(-5.04, 3.0), verdicts=("confirmed", "confirmed"),
                 sessions=("2025-01-28", "2025-01-28"))
    spec = chart.dot_chart(data).to_dict()
    assert spec["title"]["text"] == ("2 of 2 reported moves match the close to their rounding; "
                                     "the largest miss is 0.0 points (Ay)")
    assert spec["title"]["subtitle"][0].endswith("its shape the verdict; Tue 28 January 2025")
    assert spec["height"] == 52
    assert spec["layer"][2]["encoding"]["shape"]["scale"] == {"domain": ["confirmed"],
                                                              "range": ["circle"]}
    three = _data(measured=(-5.5, 2.0, -3.26), sessions=("2025-01-31", "2025-02-03", "2025-01-27"))
    spec = chart.dot_chart(three).to_dict()
    assert spec["title"]["text"].endswith("the largest miss is 2.3 points (Sea)")
    assert spec["title"]["subtitle"][0].endswith("Mon 27 or Fri 31 or Mon 3 February 2025")


# --- the published chart, against the raw files ------------------------------------------------

def test_published_dot_chart_against_the_raw_closes():
    """The percentage-move claims of data/claims.csv, each measured close to close from the raw
    snapshot (the security's previous session), confirmed when within half the claim's last
    digit; the title counts them and names the largest miss."""
    claims = raw.facts("claims")
    moves = claims.loc[claims["metric"] == "close_to_close_return"].reset_index(drop=True)
    measured = [100 * raw.ret(s, d) for s, d in zip(moves["subject"], moves["date"])]
    claimed = moves["claimed"].astype(float)
    confirmed = sum(abs(m - c) <= p / 2 + 1e-9 for m, c, p in
                    zip(measured, claimed, moves["precision"].astype(float)))
    gaps = [abs(round(m, 2) - c) for m, c in zip(measured, claimed)]
    worst = moves.at[int(np.argmax(gaps)), "subject"]
    names = raw.universe()["name"]

    data = chart.dot_data(factcheck.check())
    assert data["reported"].tolist() == claimed.tolist()
    assert data["measured"].tolist() == [round(m, 2) for m in measured]
    assert data["security"].tolist() == [names[s] for s in moves["subject"]]
    assert data["session"].tolist() == [T(d) for d in moves["date"]]
    title = chart.dot_chart(data).to_dict()["title"]["text"]
    assert title == (f"{confirmed} of {len(moves)} reported moves match the close to their "
                     f"rounding; the largest miss is {max(gaps):.1f} points ({names[worst]})")
    assert title.startswith("6 of 9") and title.endswith("1.1 points (Advantest)")
