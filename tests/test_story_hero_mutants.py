"""The hero (`story.hero`) piece by piece on small made-up frames written out here: the
thinning and the line's legs, the chart's every layer (data, colours, sizes, scales, axes,
tooltips, the lanes' order), the title's two findings, the phone layout, the figure's
description and data, and the page's sentences, with and without intraday prices."""

from __future__ import annotations

import pandas as pd
import pytest

from deepshock.story import hero, sameclock
from deepshock.story.charts import MUTED, NEGATIVE, NEUTRAL, POSITIVE, PALETTE

D = pd.Timestamp
MINUS = "\u2212"


def utc(text: str) -> pd.Timestamp:
    return D(text, tz="UTC")


def ms(text: str) -> int:
    return int(utc(text).value // 10**6)


# ---- small pieces -------------------------------------------------------------------------------

def test_window_constants():
    assert hero.HOURS == 72 and hero.BUCKET == "20min" and hero.GAP == pd.Timedelta("5min")
    assert hero.WIDTH == 640 and hero.NEWS_LANE == "News"
    assert hero.ACCENT == PALETTE[4]
    assert hero.MARKETS == {"Tokyo": "^N225", "Europe": "^STOXX", "New York": "^GSPC"}
    assert hero.LATER == {"Seoul": "^KS11", "Taipei": "^TWII"}


def test_signed_size_iso_ms_colour_utc():
    assert hero.signed(-0.0123) == f"{MINUS}1.2%"
    assert hero.signed(0.0456) == "+4.6%"
    assert hero.signed(0.0) == "+0.0%"
    assert hero._size(-1.26) == "1.3% down" and hero._size(0.04) == "0.0% up"
    assert hero._size(0.0) == "0.0% up"
    assert hero._iso(pd.Series([utc("2025-01-26 23:01:59")])) == ["2025-01-26T23:01Z"]
    assert hero._ms(utc("2025-01-26")) == 1737849600000
    assert hero._colour("news", -1.0) == NEUTRAL
    assert hero._colour("session", -0.001) == NEGATIVE
    assert hero._colour("session", 0.0) == POSITIVE
    assert hero._colour("later", 0.002) == POSITIVE
    assert hero._utc("2025-01-27 05:00") == utc("2025-01-27 05:00")
    assert hero._utc(D("2025-01-27 00:00", tz="Asia/Tokyo")) == utc("2025-01-26 15:00")
    assert str(hero._utc(D("2025-01-27 00:00", tz="Asia/Tokyo")).tz) == "UTC"


def test_thin_keeps_each_buckets_extremes_and_both_ends():
    times = [utc("2025-01-27 00:00") + pd.Timedelta(minutes=m) for m in
             (1, 2, 3, 4, 21, 22, 23, 45)]
    frame = pd.DataFrame({"utc": times, "pct": [0.0, -2.0, 5.0, 1.0, 3.0, 3.5, 2.0, 7.0]},
                         index=[10, 11, 12, 13, 14, 15, 16, 17])
    out = hero.thin(frame)
    # bucket 00:00: min at 00:02, max at 00:03, ends 00:01; bucket 00:20: min 00:23, max 00:22
    # (00:21 neither); bucket 00:40: the one row; the index is new
    assert list(out["pct"]) == [0.0, -2.0, 5.0, 3.5, 2.0, 7.0]
    assert list(out.index) == list(range(6))
    assert list(out["utc"]) == [times[i] for i in (0, 1, 2, 5, 6, 7)]
    wider = hero.thin(frame, bucket="1h")
    assert list(wider["pct"]) == [0.0, -2.0, 7.0]
    empty = frame.iloc[:0]
    assert hero.thin(empty) is empty
    # last row kept though neither extreme
    tail = pd.DataFrame({"utc": times[:4], "pct": [1.0, 9.0, 0.0, 4.0]})
    assert list(hero.thin(tail)["pct"]) == [1.0, 9.0, 0.0, 4.0]
    head = pd.DataFrame({"utc": times[:4], "pct": [4.0, 9.0, 0.0, 1.0]})
    assert list(hero.thin(head)["pct"]) == [4.0, 9.0, 0.0, 1.0]
    inner = pd.DataFrame({"utc": times[:5], "pct": [4.0, 9.0, 5.0, 0.0, 1.0]})
    assert list(hero.thin(inner)["pct"]) == [4.0, 9.0, 0.0, 1.0]


def test_legs_break_only_beyond_the_gap():
    times = pd.Series([utc("2025-01-27 00:00") + pd.Timedelta(minutes=m)
                       for m in (0, 5, 11, 12, 30)])
    assert list(hero.legs(times, pd.Timedelta("5min"))) == [0, 0, 1, 1, 2]
    assert list(hero.legs(times, pd.Timedelta("6min"))) == [0, 0, 0, 0, 1]


# ---- made-up inputs of the chart --------------------------------------------------------------

def line_frame() -> pd.DataFrame:
    return pd.DataFrame({"utc": [utc("2025-01-26 23:01"), utc("2025-01-26 23:08"),
                                 utc("2025-01-27 01:00")],
                         "pct": [-0.5149, -1.26, 0.301], "leg": [0, 0, 1]})


def nv_frame() -> pd.DataFrame:
    return pd.DataFrame({"utc": [utc("2025-01-27 14:00"), utc("2025-01-27 15:00")],
                         "pct": [-10.044, -16.0], "leg": [0, 1]})


def bar_frame() -> pd.DataFrame:
    return pd.DataFrame([
        {"lane": "Tokyo", "kind": "session", "start": utc("2025-01-27 00:00"),
         "end": utc("2025-01-27 06:30"), "date": D("2025-01-27"), "ticker": "^N225",
         "ret": -0.01, "prev_date": D("2025-01-24"), "text": f"{MINUS}1.0%"},
        {"lane": "New York", "kind": "session", "start": utc("2025-01-27 14:30"),
         "end": utc("2025-01-27 21:00"), "date": D("2025-01-27"), "ticker": "^GSPC",
         "ret": 0.02, "prev_date": D("2025-01-24"), "text": "+2.0%"},
        {"lane": "Seoul", "kind": "later", "start": utc("2025-01-26"), "end": utc("2025-01-29"),
         "date": D("2025-01-31"), "ticker": "^KS11", "ret": 0.03, "prev_date": D("2025-01-24"),
         "text": "Closed; reopened Fri 31 Jan: +3.0%"}])


def news_frame() -> pd.DataFrame:
    return pd.DataFrame([{"lane": "News", "start": utc("2025-01-26"),
                          "end": utc("2025-01-27 05:00"), "text": "App", "detail": "d1",
                          "source": "s1"}])


def point_frame(reopened: float = -0.4978) -> pd.DataFrame:
    return pd.DataFrame([
        {"panel": "spx", "key": "reopened", "utc": utc("2025-01-26 23:00"), "pct": reopened,
         "text": "Sun 23:00 UTC:\nreopened"},
        {"panel": "nvda", "key": "nvidia", "utc": utc("2025-01-27 21:00"), "pct": -16.97,
         "text": "Nvidia\non the day"}])


def quote_frame() -> pd.DataFrame:
    return pd.DataFrame({"utc": [utc("2025-01-27 11:56")], "pct": [-2.47],
                         "label": ["Reuters: -2.5%"], "source": ["Reuters"]})


def data_of(spec: dict, node: dict) -> list[dict]:
    return spec["datasets"][node["data"]["name"]]


X_AXIS = {"domain": False, "grid": True, "labels": False, "ticks": False,
          "values": [ms("2025-01-26") + k * 12 * 3600 * 1000 for k in range(7)]}
X = {"field": "utc", "type": "temporal", "title": None, "axis": X_AXIS,
     "scale": {"type": "utc", "domain": [ms("2025-01-26"), ms("2025-01-29")]}}
WHEN = {"field": "utc", "type": "temporal", "timeUnit": "utcyearmonthdatehoursminutes",
        "title": "Time (UTC)"}
Y_TITLE = "Since Friday (%)"


def check_trace(spec, panel, name, height, domain, rows, ny_rows):
    # the trace's size is lifted to its panel (the outer layer)
    assert panel["width"] == 640 and panel["height"] == height
    shade, zero, line, label = panel["layer"][0]["layer"]
    assert shade["mark"] == {"type": "rect", "color": MUTED, "opacity": 0.25}
    assert shade["encoding"] == {
        "x": {"field": "s", "type": "temporal",
              "scale": {"type": "utc", "domain": [ms("2025-01-26"), ms("2025-01-29")]}},
        "x2": {"field": "e"}}
    assert data_of(spec, shade) == ny_rows
    assert zero["mark"] == {"type": "rule", "color": NEUTRAL, "strokeDash": [4, 3]}
    assert zero["encoding"] == {"y": {"field": "pct", "type": "quantitative", "title": Y_TITLE}}
    assert data_of(spec, zero) == [{"pct": 0.0}]
    assert line["mark"] == {"type": "line", "color": "#333333", "strokeWidth": 1.3,
                            "interpolate": "linear"}
    assert line["encoding"] == {
        "x": X, "detail": {"field": "leg", "type": "nominal"},
        "y": {"field": "pct", "type": "quantitative", "title": Y_TITLE,
              "scale": {"domain": domain, "nice": False},
              "axis": {"tickCount": 4, "titleFontSize": 10}},
        "tooltip": [WHEN, {"field": "pct", "type": "quantitative", "title": f"{name} (%)",
                           "format": "+.1f"}]}
    assert data_of(spec, line) == rows
    assert label["mark"] == {"type": "text", "align": "left", "baseline": "bottom", "dx": 4,
                             "dy": -4, "fontSize": 11, "fontWeight": "bold", "color": "#333333"}
    assert label["encoding"] == {"x": {"value": 0}, "y": {"value": height},
                                 "text": {"field": "t", "type": "nominal"}}
    assert data_of(spec, label) == [{"t": name}]


def check_point(spec, dot, text, colour, align, dx, dy, row):
    assert dot["mark"] == {"type": "point", "filled": True, "size": 70, "color": colour}
    y = {"field": "pct", "type": "quantitative", "title": Y_TITLE}
    assert dot["encoding"] == {"x": X, "y": y, "tooltip": [
        {"field": "text", "type": "nominal", "title": "Moment"}, WHEN]}
    assert text["mark"] == {"type": "text", "align": align, "dx": dx, "dy": dy, "fontSize": 11,
                            "lineHeight": 13, "lineBreak": "\n", "fontWeight": "bold",
                            "color": colour}
    assert text["encoding"] == {"x": X, "y": y, "text": {"field": "text", "type": "nominal"}}
    assert data_of(spec, dot) == [row] and data_of(spec, text) == [row]


NY_ROWS = [{"s": "2025-01-27T14:30Z", "e": "2025-01-27T21:00Z"}]


def test_chart_every_layer_on_made_up_frames():
    chart = hero.chart(line_frame(), nv_frame(), bar_frame(), news_frame(), point_frame(),
                       quote_frame())
    spec = chart.to_dict()
    top, middle, lower = spec["vconcat"]
    assert spec["spacing"] == 6
    # the contract: floor(-1.26 * 2) / 2 - 0.25 = -1.75 at the bottom
    trace, dot, text, quotes = top["layer"]
    check_trace(spec, top, "S&P 500 (index contract)", 150, [-1.75, 0.75],
                [{"utc": "2025-01-26T23:01Z", "pct": -0.51, "leg": 0},
                 {"utc": "2025-01-26T23:08Z", "pct": -1.26, "leg": 0},
                 {"utc": "2025-01-27T01:00Z", "pct": 0.3, "leg": 1}], NY_ROWS)
    check_point(spec, dot, text, NEGATIVE, "right", -7, 12,
                {"utc": "2025-01-26T23:00Z", "pct": -0.5, "text": "Sun 23:00 UTC:\nreopened"})
    assert quotes["mark"] == {"type": "point", "shape": "diamond", "size": 90,
                              "color": "#333333", "strokeWidth": 1.5}
    assert quotes["encoding"] == {
        "x": X, "y": {"field": "pct", "type": "quantitative", "title": Y_TITLE},
        "tooltip": [{"field": "label", "type": "nominal", "title": "Press report"}, WHEN,
                    {"field": "source", "type": "nominal", "title": "Source"}]}
    assert data_of(spec, quotes) == [{"utc": "2025-01-27T11:56Z", "pct": -2.47,
                                      "label": "Reuters: -2.5%", "source": "Reuters"}]
    trace, dot, text = middle["layer"]
    check_trace(spec, middle, "Nvidia", 110, [-24.0, 2.0],
                [{"utc": "2025-01-27T14:00Z", "pct": -10.04, "leg": 0},
                 {"utc": "2025-01-27T15:00Z", "pct": -16.0, "leg": 1}], NY_ROWS)
    check_point(spec, dot, text, hero.ACCENT, "right", -8, 12,
                {"utc": "2025-01-27T21:00Z", "pct": -16.97, "text": "Nvidia\non the day"})
    check_lower(spec, lower)


LANES = ["News", "Tokyo", "Europe", "New York", "Seoul", "Taipei"]


def check_lower(spec, lower):
    assert lower["width"] == 640 and lower["height"] == 30 * 6
    market, happened, words_m, words_h = lower["layer"]
    y = {"field": "lane", "type": "nominal", "title": None, "sort": LANES,
         "scale": {"domain": LANES, "paddingInner": 0.1, "paddingOuter": 0.05},
         "axis": {"domain": False, "ticks": False, "labelFontSize": 11, "labelPadding": 4}}
    xs = {"field": "s", "type": "temporal",
          "title": "Time (UTC), Sunday 26 to Tuesday 28 January 2025",
          "scale": {"type": "utc", "domain": [ms("2025-01-26"), ms("2025-01-29")]},
          "axis": {"values": X_AXIS["values"], "labelFontSize": 10, "grid": True,
                   "labelExpr": "utcFormat(datum.value, utchours(datum.value) == 0 ? "
                                "'%a %-d' : '%H:%M')"}}
    colour = {"field": "colour", "type": "nominal", "scale": None}
    tips = [{"field": "lane", "type": "nominal", "title": "Market"},
            {"field": "name", "type": "nominal", "title": "Index"},
            {"field": "day", "type": "nominal", "title": "Session"},
            {"field": "since", "type": "nominal", "title": "Since close of"},
            {"field": "move", "type": "nominal", "title": "Close-to-close move"},
            {"field": "s", "type": "temporal", "timeUnit": "utcyearmonthdatehoursminutes",
             "title": "From (UTC)"},
            {"field": "e", "type": "temporal", "timeUnit": "utcyearmonthdatehoursminutes",
             "title": "To (UTC)"}]
    assert market["mark"] == {"type": "rule", "strokeWidth": 7, "opacity": 0.9}
    assert market["encoding"] == {"x": xs, "x2": {"field": "e"}, "y": y, "color": colour,
                                  "tooltip": tips}
    assert happened["mark"] == {"type": "rule", "strokeWidth": 7, "opacity": 0.5}
    assert happened["encoding"] == {
        "x": xs, "x2": {"field": "e"}, "y": y, "color": colour,
        "tooltip": [{"field": "text", "type": "nominal", "title": "What"}, tips[-2], tips[-1],
                    {"field": "source", "type": "nominal", "title": "Source"}]}
    for words in (words_m, words_h):
        assert words["mark"] == {"type": "text", "align": "left", "baseline": "bottom",
                                 "dy": -4, "fontSize": 11}
        assert words["encoding"] == {"x": xs, "y": y, "text": {"field": "text", "type": "nominal"},
                                     "color": {"field": "ink", "type": "nominal", "scale": None}}
    sessions = [
        {"lane": "Tokyo", "kind": "session", "s": "2025-01-27T00:00Z", "e": "2025-01-27T06:30Z",
         "text": f"{MINUS}1.0%", "colour": NEGATIVE, "ink": NEGATIVE, "move": f"{MINUS}1.0%",
         "name": "Nikkei 225", "day": "Mon 27 Jan", "since": "Fri 24 Jan", "detail": "",
         "source": ""},
        {"lane": "New York", "kind": "session", "s": "2025-01-27T14:30Z",
         "e": "2025-01-27T21:00Z", "text": "+2.0%", "colour": POSITIVE, "ink": POSITIVE,
         "move": "+2.0%", "name": "S&P 500", "day": "Mon 27 Jan", "since": "Fri 24 Jan",
         "detail": "", "source": ""},
        {"lane": "Seoul", "kind": "later", "s": "2025-01-26T00:00Z", "e": "2025-01-29T00:00Z",
         "text": "Closed; reopened Fri 31 Jan: +3.0%", "colour": MUTED, "ink": POSITIVE,
         "move": "+3.0%", "name": "Kospi", "day": "Fri 31 Jan", "since": "Fri 24 Jan",
         "detail": "", "source": ""}]
    news = [{"lane": "News", "kind": "news", "s": "2025-01-26T00:00Z", "e": "2025-01-27T05:00Z",
             "text": "App", "colour": NEUTRAL, "ink": "#333333", "move": "", "name": "",
             "day": "", "since": "", "detail": "d1", "source": "s1"}]
    for layer in (market, words_m):
        assert data_of(spec, layer) == sessions
    for layer in (happened, words_h):
        assert data_of(spec, layer) == news


def test_chart_without_quotes_nvidia_or_reopening_and_a_line_above_zero():
    line = line_frame().assign(pct=[0.2, 0.4, 0.1])
    points = point_frame().loc[lambda f: f["key"] == "nvidia"]
    spec = hero.chart(line, nv_frame().iloc[:0], bar_frame(), news_frame(), points,
                      quote_frame().iloc[:0]).to_dict()
    assert len(spec["vconcat"]) == 2
    top = spec["vconcat"][0]
    assert len(top["layer"]) == 1
    # the floor is zero when the line never falls: -0.25 below it
    assert top["layer"][0]["layer"][2]["encoding"]["y"]["scale"]["domain"] == [-0.25, 0.75]
    line = line_frame().assign(pct=[-0.4, -0.2, 0.1])
    spec = hero.chart(line, nv_frame(), bar_frame(), news_frame(), point_frame(),
                      quote_frame()).to_dict()
    assert spec["vconcat"][0]["layer"][0]["layer"][2]["encoding"]["y"]["scale"]["domain"] \
        == [-0.75, 0.75]


# ---- the title ---------------------------------------------------------------------------------

def test_title_says_what_came_first():
    bars = bar_frame()
    said = "on Monday Nvidia fell 17.0% in New York"
    assert hero.title(point_frame(), bars) == \
        f"The US market was already down before Tokyo opened; {said}"
    # up at the reopening, or reopened at or after Tokyo's open: Tokyo first
    assert hero.title(point_frame(0.1), bars) == f"Tokyo traded first; {said}"
    assert hero.title(point_frame(0.0), bars) == f"Tokyo traded first; {said}"
    late = point_frame().assign(utc=[utc("2025-01-27 00:00"), utc("2025-01-27 21:00")])
    assert hero.title(late, bars) == f"Tokyo traded first; {said}"
    nv_only = point_frame().loc[lambda f: f["key"] == "nvidia"]
    assert hero.title(nv_only, bars) == f"Tokyo traded first; {said}"
    # Tokyo's first session, not a later one or another lane's or a non-session bar
    more = pd.concat([bars, bars.iloc[:1].assign(start=utc("2025-01-28 00:00")),
                      bars.iloc[:1].assign(lane="Europe", start=utc("2025-01-26 22:00")),
                      bars.iloc[:1].assign(kind="later", start=utc("2025-01-26 22:00"))],
                     ignore_index=True)
    assert hero.title(point_frame(), more).startswith("The US market was already down")


def test_phone_layout():
    out = hero._phone(point_frame(-1.26), "Bars")
    assert out == {"title/subtitle": ["S&P 500 contract and Nvidia against Friday's close; grey: "
                                      "New York's sessions", "Bars", f"Source: {hero.SOURCE}"],
                   "vconcat/0/layer/2/encoding/text": {"value": "Reopened\n1.3% down"}}
    assert list(hero._phone(point_frame().iloc[1:], "Bars")) == ["title/subtitle"]


# ---- the figure, with made-up parts --------------------------------------------------------------

@pytest.fixture
def made_up(monkeypatch):
    monkeypatch.setattr(hero, "path", line_frame)
    monkeypatch.setattr(hero, "nvidia", nv_frame)
    monkeypatch.setattr(hero, "lanes", bar_frame)
    monkeypatch.setattr(hero, "moments", news_frame)
    monkeypatch.setattr(hero, "marks", point_frame)
    monkeypatch.setattr(hero, "press", quote_frame)


def test_figure_title_subtitles_description_and_data(made_up, monkeypatch):
    monkeypatch.setattr(sameclock, "available", lambda: True)
    chart, data = hero.figure()
    spec = chart.to_dict()
    assert spec["title"]["text"] == ("The US market was already down before Tokyo opened; on "
                                     "Monday Nvidia fell 17.0% in New York")
    intra = ("An S&P 500 contract (minute quotes: each 20 minutes' lowest and highest) and "
             "Nvidia (hourly trades) against Friday's New York close; grey: New York's "
             "sessions; ◇ a press quote")
    bars_line = "Bars: each market's sessions, with its index's close-to-close move"
    assert spec["title"]["subtitle"] == [intra, bars_line, f"Source: {hero.SOURCE}"]
    assert spec["description"] == (
        "Three panels on one UTC clock from Sun 26 Jan 00:00 to Wed 29 Jan 00:00. "
        "Sun 23:00 UTC: reopened at Sun 23:00 UTC; Nvidia on the day at Mon 21:00 UTC. "
        f"Sessions and moves: Tokyo Mon 27 Jan {MINUS}1.0%; New York Mon 27 Jan +2.0%; "
        "Seoul Fri 31 Jan +3.0%.")
    narrow = spec["usermeta"]["narrow"]
    assert narrow["set"]["title/subtitle"][1] == bars_line
    assert narrow["set"]["vconcat/0/layer/2/encoding/text"] == {"value": "Reopened\n0.5% down"}
    assert list(data.columns) == ["what", "utc", "pct", "start", "end", "lane", "ticker",
                                  "prev_date", "date", "ret_pct", "label"]
    assert list(data["what"]) == (
        ["S&P 500 CFD (bid), thinned minute close"] * 3 + ["Nvidia hourly close"] * 2
        + ["reopened", "nvidia", "press report", "Tokyo session", "New York session",
           "Seoul later", "news"])
    assert list(data["pct"].iloc[:8]) == [-0.5149, -1.26, 0.301, -10.044, -16.0, -0.4978,
                                          -16.97, -2.47]
    assert list(data["ret_pct"].iloc[8:11]) == pytest.approx([-1.0, 2.0, 3.0])
    assert data["ret_pct"].iloc[:8].isna().all() and pd.isna(data["ret_pct"].iloc[11])
    assert list(data["label"].iloc[5:]) == [
        "Sun 23:00 UTC: reopened", "Nvidia on the day", "Reuters: -2.5%", f"{MINUS}1.0%",
        "+2.0%", "Closed; reopened Fri 31 Jan: +3.0%", "App"]
    assert data["label"].iloc[:5].isna().all()
    assert list(data["lane"].iloc[8:]) == ["Tokyo", "New York", "Seoul", "News"]
    assert data.at[11, "start"] == utc("2025-01-26") and data.at[11, "end"] == \
        utc("2025-01-27 05:00")
    assert data.at[7, "utc"] == utc("2025-01-27 11:56")
    assert list(data["ticker"].iloc[8:11]) == ["^N225", "^GSPC", "^KS11"]
    assert data.at[10, "date"] == D("2025-01-31") and data.at[10, "prev_date"] == D("2025-01-24")


def test_figure_without_intraday_prices_says_so(made_up, monkeypatch):
    monkeypatch.setattr(sameclock, "available", lambda: False)
    spec = hero.figure()[0].to_dict()
    assert spec["title"]["subtitle"][0] == ("New York's opens and closes only: this edition "
                                            "has no intraday prices")


# ---- without intraday prices ---------------------------------------------------------------------

def test_without_intraday_prices(monkeypatch, snapshot):
    monkeypatch.setattr(sameclock, "available", lambda: False)
    nv = hero.nvidia()
    assert nv.empty and list(nv.columns) == ["utc", "pct", "leg"]
    daily = sameclock._daily_path()
    line = hero.path()
    assert list(line.columns) == ["utc", "pct", "leg"] and (line["leg"] == 0).all()
    kept = daily.loc[daily["utc"] >= utc("2025-01-26")]
    assert list(line["utc"]) == list(kept["utc"]) and list(line["pct"]) == list(kept["pct"])
    assert list(line.index) == list(range(len(line)))
    assert len(line) < len(daily)                       # Friday's close is before the window
    points = hero.marks()
    assert list(points["key"]) == ["nvidia"]
    words = hero.words()
    assert words["in_hero_reopen"] == ("the intraday prices that would show when the US market "
                                       "moved are not in this edition")
    assert words["in_hero_span"] == "Sunday 26 to Tuesday 28 January 2025"
    assert words["in_hero_bucket"] == "20 minutes"
    assert words["in_hero_seoul"] == "Friday 31 January"
    assert words["in_hero_taipei"] == "Monday 3 February"


# ---- the page's sentences, with intraday prices ------------------------------------------------

def test_words_with_intraday_prices_against_the_raw_minute_file(snapshot):
    from tests.test_hero import raw_cfd
    if not sameclock.available():
        pytest.skip("no intraday prices in this cache")
    cfd = raw_cfd()
    friday = float(cfd.loc[cfd["end"] <= utc("2025-01-24 21:00"), "close"].iloc[-1])
    first = cfd.loc[cfd["start"] >= utc("2025-01-26 23:00")].iloc[0]
    assert first["start"] == utc("2025-01-26 23:00")
    pct = (first["open"] / friday - 1) * 100
    words = hero.words()
    assert words == {
        "in_hero_span": "Sunday 26 to Tuesday 28 January 2025",
        "in_hero_bucket": "20 minutes",
        "in_hero_seoul": "Friday 31 January",
        "in_hero_taipei": "Monday 3 February",
        # Tokyo opens at 09:00 JST, 00:00 UTC on Monday: one hour after 23:00 UTC
        "in_hero_reopen": (f"a contract on the S&P 500 reopened {abs(pct):.1f}% down at 23:00 "
                           "UTC on Sunday, an hour before Tokyo's exchange opened")}
    assert pct < 0


def test_words_counts_hours_before_tokyo(monkeypatch, snapshot):
    monkeypatch.setattr(sameclock, "available", lambda: True)
    monkeypatch.setattr(hero, "marks", lambda: point_frame(0.26).assign(
        utc=[utc("2025-01-26 20:35"), utc("2025-01-27 21:00")]))
    assert hero.words()["in_hero_reopen"] == (
        "a contract on the S&P 500 reopened 0.3% up at 20:35 UTC on Sunday, 3 hours before "
        "Tokyo's exchange opened")
    monkeypatch.setattr(hero, "marks", lambda: point_frame().assign(
        utc=[utc("2025-01-26 23:25"), utc("2025-01-27 21:00")]))
    assert hero.words()["in_hero_reopen"].endswith("at 23:25 UTC on Sunday, an hour before "
                                                   "Tokyo's exchange opened")
    monkeypatch.setattr(hero, "marks", lambda: point_frame().assign(
        utc=[utc("2025-01-26 22:00"), utc("2025-01-27 21:00")]))
    assert hero.words()["in_hero_reopen"].endswith("2 hours before Tokyo's exchange opened")


# ---- the news lane, the press quotes and the labelled points against the facts files ----------

def raw_moments() -> tuple[dict, list[dict]]:
    """The DeepSeek row of data/shocks.csv and the rows of data/clock_moments.csv (csv module)."""
    import csv
    from tests.conftest import ROOT
    with open(ROOT / "data" / "shocks.csv", encoding="utf-8") as f:
        shock = next(r for r in csv.DictReader(f) if r["date"] == "2025-01-27")
    with open(ROOT / "data" / "clock_moments.csv", encoding="utf-8") as f:
        return shock, list(csv.DictReader(f))


def expected_moments(start, end) -> pd.DataFrame:
    shock, rows = raw_moments()
    news = D(shock["news_utc"])
    assert shock["precision"] == "P2D"
    out = [{"lane": "News", "start": max(start, news - pd.Timedelta(days=2)), "end": news,
            "text": "App Store No. 1", "detail": shock["time_source"],
            "source": shock["time_source"].split(":")[0]}]
    spans: dict = {}
    for r in rows:
        if r["reported_pct"] == "":
            spans.setdefault((r["utc_from"], r["utc_to"]), []).append(r)
    for (lo, hi), group in sorted(spans.items()):
        out.append({"lane": "News", "start": D(lo), "end": D(hi),
                    "text": ", ".join(r["label"].split(":")[0] for r in group),
                    "detail": " ".join(r["label"] for r in group) + ". "
                    + " ".join(r["detail"] for r in group),
                    "source": "; ".join(r["source"] for r in group)})
    frame = pd.DataFrame(out)
    frame["start"] = frame["start"].clip(lower=start)
    frame["end"] = frame["end"].clip(upper=end)
    return frame


@pytest.mark.parametrize("window", [
    (utc("2025-01-26"), utc("2025-01-29")),            # the hero's
    (utc("2025-01-24"), utc("2025-01-27")),            # the news span fits: two days
    (utc("2025-01-27 22:00"), utc("2025-01-28 00:00")),  # starts and ends clipped
])
def test_moments_every_cell_against_the_facts_files(monkeypatch, window):
    monkeypatch.setattr(hero, "window", lambda: window)
    got = hero.moments()
    want = expected_moments(*window)
    assert list(got.columns) == ["lane", "start", "end", "text", "detail", "source"]
    assert len(want) >= 2
    pd.testing.assert_frame_equal(got.reset_index(drop=True), want, check_dtype=False)
    if window[0] == utc("2025-01-24"):
        assert got.at[0, "start"] == utc("2025-01-25 05:00")
    if window[0] == utc("2025-01-27 22:00"):
        assert (got["start"] >= window[0]).all() and (got["end"] <= window[1]).all()
        assert got.at[1, "start"] == window[0] and got.at[1, "end"] == window[1]


def test_moments_group_spans_in_time_order(monkeypatch):
    table = pd.DataFrame({
        "utc_from": ["2025-01-27T21:00Z", "2025-01-26T10:00Z", "2025-01-27T21:00Z"],
        "utc_to": ["2025-01-28T05:00Z", "2025-01-26T11:00Z", "2025-01-28T05:00Z"],
        "label": ["Zed: z", "Amy: a", "Bo: b"], "detail": ["dz", "da", "db"],
        "reported_pct": [None, None, None], "source": ["Sz", "Sa", "Sb"]})
    from deepshock.data import schema
    monkeypatch.setattr(schema, "table", lambda name: table.assign(
        reported_pct=table["reported_pct"].astype(float)))
    got = hero.moments()
    assert list(got["text"]) == ["App Store No. 1", "Amy", "Zed, Bo"]
    assert list(got["detail"])[1:] == ["Amy: a. da", "Zed: z Bo: b. dz db"]
    assert list(got["source"])[1:] == ["Sa", "Sz; Sb"]
    assert list(got["start"])[1:] == [utc("2025-01-26 10:00"), utc("2025-01-27 21:00")]


def test_press_quotes_every_cell(snapshot):
    _, rows = raw_moments()
    quotes = [r for r in rows if r["reported_pct"] != ""]
    got = hero.press()
    assert list(got.columns) == ["utc", "pct", "label", "source"]
    assert list(got["utc"]) == [D(r["utc_from"]) for r in quotes]
    assert list(got["pct"]) == [float(r["reported_pct"]) for r in quotes]
    assert list(got["label"]) == [r["label"] for r in quotes]
    assert list(got["source"]) == [r["source"] for r in quotes]
    assert str(got["utc"].iloc[0].tz) == "UTC"


def test_marks_every_cell(snapshot):
    from tests.test_hero import move
    points = hero.marks()
    assert list(points.columns) == ["panel", "key", "utc", "pct", "text"]
    ret, _ = move("NVDA", "2025-01-27")
    last = points.iloc[-1]
    assert (last["panel"], last["key"], last["utc"]) == ("nvda", "nvidia", utc("2025-01-27 21:00"))
    assert last["text"] == f"Nvidia {MINUS}{abs(ret) * 100:.1f}%\non the day"
    if sameclock.available():
        first = points.iloc[0]
        assert (first["panel"], first["key"]) == ("spx", "reopened")
        assert first["text"] == f"Sun 23:00 UTC:\nreopened {abs(first['pct']):.1f}% down"
        assert len(points) == 2


# ---- the lanes' edges -------------------------------------------------------------------------

def test_lanes_keep_sessions_inside_the_window_edges_included(monkeypatch, snapshot):
    monkeypatch.setattr(hero, "window", lambda: (utc("2025-01-27 00:00"), utc("2025-01-28 06:30")))
    got = hero.lanes()
    sessions = got.loc[got["kind"] == "session"]
    # Tokyo opens exactly at the start and closes exactly at the end on Tuesday: both kept
    assert [(r.lane, f"{r.date:%d}") for r in sessions.itertuples()] == [
        ("Tokyo", "27"), ("Tokyo", "28"), ("Europe", "27"), ("New York", "27")]
    later = got.loc[got["kind"] == "later"]
    assert list(later["lane"]) == ["Seoul", "Taipei"]
    assert list(got.columns) == ["lane", "kind", "start", "end", "date", "ticker", "ret",
                                 "prev_date", "text"]
    assert (later["start"] == utc("2025-01-27")).all() and \
        (later["end"] == utc("2025-01-28 06:30")).all()
    # a session that began before the window is skipped, and the next day's still read
    monkeypatch.setattr(hero, "window", lambda: (utc("2025-01-27 03:00"), utc("2025-01-28 06:30")))
    got = hero.lanes()
    assert [(r.lane, f"{r.date:%d}") for r in got.loc[got["kind"] == "session"].itertuples()] \
        == [("Tokyo", "28"), ("Europe", "27"), ("New York", "27")]


# ---- the minutes, the path and Nvidia's hours --------------------------------------------------

def test_minutes_start_at_the_first_quote_after_the_weekend(snapshot):
    from tests.test_hero import raw_cfd
    if not sameclock.available():
        pytest.skip("no intraday prices in this cache")
    cfd = raw_cfd()
    got = hero.minutes()
    assert list(got.columns) == ["utc", "level", "pct"]
    assert got["utc"].iloc[0] == utc("2025-01-26 23:01")        # the 23:00 bar's end
    first = cfd.loc[cfd["start"] == utc("2025-01-26 23:00")].iloc[0]
    assert got["level"].iloc[0] == first["close"]
    assert got["utc"].iloc[-1] <= utc("2025-01-29")
    assert str(got["utc"].dt.tz) == "UTC"


def test_path_without_intraday_includes_a_point_at_the_window_start(monkeypatch):
    monkeypatch.setattr(sameclock, "available", lambda: False)
    monkeypatch.setattr(sameclock, "_daily_path", lambda: pd.DataFrame({
        "utc": [utc("2025-01-24 21:00"), utc("2025-01-26"), utc("2025-01-27 14:30")],
        "level": [1.0, 2.0, 3.0], "pct": [0.0, 1.0, 2.0], "series": "x"}))
    got = hero.path()
    assert list(got["utc"]) == [utc("2025-01-26"), utc("2025-01-27 14:30")]
    assert list(got.columns) == ["utc", "pct", "leg"] and list(got.index) == [0, 1]


def test_path_is_one_frame_with_a_fresh_index(snapshot):
    if not sameclock.available():
        pytest.skip("no intraday prices in this cache")
    line = hero.path()
    assert list(line.index) == list(range(len(line)))
    assert list(line.columns) == ["utc", "pct", "leg"]
    assert line["utc"].is_monotonic_increasing


def test_thin_returns_only_the_columns_it_was_given():
    frame = pd.DataFrame({"utc": [utc("2025-01-27 00:01"), utc("2025-01-27 00:02")],
                          "pct": [1.0, 2.0]}, index=[5, 9])
    assert list(hero.thin(frame).columns) == ["utc", "pct"]


def test_nvidia_from_made_up_venue_bars(monkeypatch, snapshot):
    from deepshock.data import intraday
    if not sameclock.available():
        pytest.skip("no intraday prices in this cache")
    start = utc("2025-01-26")
    bars = pd.DataFrame({
        "ts": [start, start, start + pd.Timedelta("1h"), start + pd.Timedelta("3h"),
               start - pd.Timedelta("1h"), utc("2025-01-28 23:00"), utc("2025-01-28 23:30")],
        "close": [110.0, 120.0, 99.0, 88.0, 1.0, 2.0, 3.0],
        "volume": [5.0, 7.0, 1.0, 1.0, 9.0, 9.0, 9.0]})
    bars["end"] = bars["ts"] + pd.Timedelta("1h")
    monkeypatch.setattr(intraday, "bars", lambda ticker, venues=False: bars.copy())
    from tests.conftest import raw_close
    friday = float(raw_close("NVDA.csv").loc[D("2025-01-24")])
    got = hero.nvidia()
    # the bar starting at the window's start is kept (the busier venue's), as is the one
    # ending at its end; one starting before it or ending after it is not
    assert list(got["utc"]) == [start + pd.Timedelta("1h"), start + pd.Timedelta("2h"),
                                start + pd.Timedelta("4h"), utc("2025-01-29")]
    assert list(got["pct"]) == pytest.approx([(c / friday - 1) * 100 for c in (120, 99, 88, 2)])
    assert list(got["leg"]) == [0, 0, 1, 2]                 # more than an hour apart: a new leg


def test_nvidia_breaks_its_line_between_the_two_days(snapshot):
    if not sameclock.available():
        pytest.skip("no intraday prices in this cache")
    nv = hero.nvidia()
    days = (nv["utc"] - pd.Timedelta("1h")).dt.strftime("%d")      # by the bar's start
    assert list(nv["leg"]) == [0 if d == "27" else 1 for d in days]
    assert set(days) == {"27", "28"}


def test_ms_floors_to_the_millisecond_and_the_scale_floor_stops_at_zero():
    assert hero._ms(D("2025-01-26 00:00:00.000999999", tz="UTC")) == 1737849600000
    line = line_frame().assign(pct=[0.6, 0.8, 0.7])      # all above zero: the floor is zero
    spec = hero.chart(line, nv_frame(), bar_frame(), news_frame(), point_frame(),
                      quote_frame()).to_dict()
    assert spec["vconcat"][0]["layer"][0]["layer"][2]["encoding"]["y"]["scale"]["domain"] \
        == [-0.25, 0.75]
