"""The launch chapter's published pieces (`story.launch`): the cost check, the timeline's rows,
the reactions table, the spending words, the label lanes and the timeline chart on small made-up
frames written out here (expected values by hand), and the chapter's prices, moves, sessions and
chart title on the data against an oracle from the raw snapshot closes and the committed facts in
plain pandas. Fast: no book, no kernel."""

from __future__ import annotations

import pandas as pd
import pytest

from deepshock.data.validate import DataError
from deepshock.story import launch
from tests.oracle import raw

T = pd.Timestamp
SHOCK = T("2025-01-27")
GREY, ORANGE, BLUE = "#888888", "#D55E00", "#0072B2"


def _frame(rows: list[tuple], columns: str) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=columns.split())
    if "date" in frame:
        frame["date"] = pd.to_datetime(frame["date"])
    return frame


# --- prose helpers ---------------------------------------------------------------------------------

def test_prose_helpers_words_and_signs():
    assert launch._day(T("2025-01-05")) == "5 January 2025"
    assert launch._day(T("2025-01-05"), True) == "Sunday 5 January 2025"
    assert launch._level(0.0172) == "1.7% above" and launch._level(-0.0349) == "3.5% below"
    assert launch._level(0.0) == "0.0% above" and launch._level(0.5) == "50.0% above"
    assert launch._updown(0.036) == "rose 3.6%" and launch._updown(-0.0061) == "fell 0.6%"
    assert launch._updown(0.0) == "rose 0.0%" and launch._updown(-0.25) == "fell 25.0%"
    assert launch._fell(-0.16968) == "17.0%" and launch._fell(-0.0005) == "0.1%"
    for bad in (0.0, 0.01):
        with pytest.raises(ValueError, match="prose says 'fell'"):
            launch._fell(bad)
    assert launch._bn(80.0) == "$80bn" and launch._bn(105.2) == "$105.2bn"
    assert launch._bn(1234.0) == "$1,234bn" and launch._bn(60.25) == "$60.2bn"


def test_count_days_words_up_to_ten_then_figures():
    assert [launch.count_days(pd.Timedelta(days=n)) for n in range(11)] == [
        "no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"]
    assert launch.count_days(pd.Timedelta(days=11)) == "11"
    assert launch.count_days(pd.Timedelta(days=1032)) == "1,032"
    assert launch.count_days(pd.Timedelta(days=-1)) == "-1"


# --- the cost check, the timeline's rows, the background facts -------------------------------------

def _costs(hours: float, price: float, reported: float) -> pd.DataFrame:
    return _frame([("gpu_hours", hours, "report p. 1"), ("price_per_gpu_hour", price, "report p. 2"),
                   ("reported_cost", reported, "report p. 3")], "quantity value source")


def test_training_cost_is_hours_times_price(monkeypatch):
    monkeypatch.setattr(launch.facts, "launch_costs", lambda: _costs(1000, 2.5, 2500))
    assert launch.training_cost() == launch.TrainingCost(
        gpu_hours=1000.0, price=2.5, cost=2500.0, reported=2500.0, source="report p. 1")
    # within the tolerance (0.05% of the reported cost), in either direction
    monkeypatch.setattr(launch.facts, "launch_costs", lambda: _costs(1000, 2.0, 2000.9))
    assert launch.training_cost().cost == 2000.0
    monkeypatch.setattr(launch.facts, "launch_costs", lambda: _costs(1000, 2.0, 1999.1))
    assert launch.training_cost().reported == 1999.1
    # exactly at the tolerance (|2001 - 2000| = 0.0005 x 2000): accepted, the check is strict
    monkeypatch.setattr(launch.facts, "launch_costs", lambda: _costs(2001, 1.0, 2000.0))
    assert launch.training_cost().cost == 2001.0


@pytest.mark.parametrize("reported", [2001.2, 1998.8, 4000.0, 1000.0])
def test_training_cost_refuses_inconsistent_inputs(monkeypatch, reported):
    monkeypatch.setattr(launch.facts, "launch_costs", lambda: _costs(1000, 2.0, reported))
    with pytest.raises(DataError, match=r"launch_costs\.csv: 1,000 x 2\.0 = 2,000, not the "
                                        rf"reported {reported:,.0f}"):
        launch.training_cost()


def _events() -> pd.DataFrame:
    return _frame([
        ("2025-01-20", "Online", "DeepSeek", "R1 release", "r1", "s-r1", "confirmed"),
        ("2024-12-26", "Online", "DeepSeek", "V3 weights", "w", "s-w", "confirmed"),
        ("2025-01-24", "Tokyo", "Policy", "BoJ hike", "boj", "s-boj", "confirmed"),
        ("2025-01-27", "New York", "Market", "Nvidia record loss", "nv", "s-nv", "confirmed"),
        ("2025-01-27", "Online", "DeepSeek", "Sign-ups limited", "su", "s-su", "confirmed"),
        ("2025-01-24", "New York", "Market", "Friday", "fri", "s-fri", "confirmed"),
        ("2025-01-27", "Tokyo", "Market", "Tokyo falls", "tk", "s-tk", "confirmed"),
        ("2025-01-10", "Online", "DeepSeek", "App launch", "app", "s-app", "uncertain"),
        ("2025-01-28", "Online", "DeepSeek", "After", "af", "s-af", "confirmed"),
    ], "date place category label description source certainty")


def test_milestones_are_releases_before_the_shock_then_new_york_on_it(monkeypatch):
    monkeypatch.setattr(launch.facts, "events", _events)
    got = launch.milestones(SHOCK)
    want = _frame([("2024-12-26", "V3 weights", "w", "confirmed", "s-w"),
                   ("2025-01-10", "App launch", "app", "uncertain", "s-app"),
                   ("2025-01-20", "R1 release", "r1", "confirmed", "s-r1"),
                   ("2025-01-27", "Nvidia record loss", "nv", "confirmed", "s-nv")],
                  "date label description certainty source")
    pd.testing.assert_frame_equal(got, want)
    # another day 0: the releases before it and New York on that day
    earlier = launch.milestones(T("2025-01-24"))
    assert earlier["label"].tolist() == ["V3 weights", "App launch", "R1 release", "Friday"]


def test_event_is_one_row_by_label(monkeypatch):
    monkeypatch.setattr(launch.facts, "events", _events)
    row = launch.event("App launch")
    assert row["date"] == T("2025-01-10") and row["certainty"] == "uncertain"
    with pytest.raises(DataError, match=r"events\.csv: expected one event labelled 'V4', found 0"):
        launch.event("V4")
    twice = pd.concat([_events(), _events().iloc[[0]]])
    monkeypatch.setattr(launch.facts, "events", lambda: twice)
    with pytest.raises(DataError, match="labelled 'R1 release', found 2"):
        launch.event("R1 release")


def _background() -> pd.DataFrame:
    return _frame([("company", "DeepSeek was founded in 2023", "2023"),
                   ("company", "High-Flyer manages about $8bn", "8"),
                   ("chips", "US rule of 2022", "2022"),
                   ("chips", "US rule of 2023", "2023"),
                   ("capex", "Stargate: $100bn to start", "100-500"),
                   ("power", "DeepSeek was founded in 2023", "4.4")], "topic fact value")


def test_fact_and_value_by_topic_and_start(monkeypatch):
    monkeypatch.setattr(launch.context, "background", _background)
    assert launch.fact("company", "High-Flyer")["value"] == "8"
    assert launch.fact("power", "DeepSeek was")["value"] == "4.4"   # the topic tells them apart
    assert launch.value("company", "DeepSeek was founded") == 2023.0
    assert launch.value("power", "DeepSeek") == 4.4
    with pytest.raises(DataError, match=r"background\.csv: expected one chips fact starting "
                                        r"'US rule', found 2"):
        launch.fact("chips", "US rule")
    with pytest.raises(DataError, match="expected one company fact starting 'rule', found 0"):
        launch.fact("company", "rule")   # starts with, not contains
    with pytest.raises(DataError, match=r"background\.csv: 'Stargate' has no single numeric value "
                                        r"\('100-500'\)"):
        launch.value("capex", "Stargate")


# --- reactions ----------------------------------------------------------------------------------

def _reactions() -> pd.DataFrame:
    return _frame([
        ("2025-01-22", "09:00", "America/New_York", "Early", "e", "too early"),
        ("2025-01-23", "not stated", "Europe/Zurich", "Wang", "CEO", "earth shattering"),
        ("2025-01-26", "21:30 (Sunday)", "America/Los_Angeles", "Nadella", "CEO", "Jevons"),
        ("2025-01-27", "09:05", "Asia/Tokyo", "Trader", "broker", "sell"),
        ("2025-01-28", "7:30 am", "America/Chicago", "Analyst", "bank", ""),
        ("2025-01-28", "12h30", "America/New_York", "Writer", "paper", "x"),
        ("2025-01-28", "0930", "America/New_York", "Clock", "desk", "y"),   # no hh:mm: no UTC
        ("2025-01-29", "10:00", "America/New_York", "Late", "l", "too late"),
        ("2025-02-03", "08:15", "Asia/Tokyo", "Later", "l", "later"),
    ], "date time_local timezone who role quote")


def test_reactions_window_utc_time_and_place(monkeypatch):
    monkeypatch.setattr(launch.context, "reactions", _reactions)
    got = launch.reactions()   # New York's sessions -2 .. +1 around 27 Jan: 23 Jan to 28 Jan
    assert got["who"].tolist() == ["Wang", "Nadella", "Trader", "Analyst", "Writer", "Clock"]
    assert got["utc"].tolist() == ["", "27 Jan 05:30 UTC", "27 Jan 00:05 UTC", "", "", ""]
    assert got["place"].tolist() == ["Davos", "US West Coast", "Tokyo", "America/Chicago",
                                     "New York", "New York"]
    assert got["quote"].tolist() == ["earth shattering", "Jevons", "sell", "", "x", "y"]
    later = launch.reactions("2025-01-29", "2025-02-03")
    assert later["who"].tolist() == ["Late", "Later"]
    assert later["utc"].tolist() == ["29 Jan 15:00 UTC", "2 Feb 23:15 UTC"]
    assert later["place"].tolist() == ["New York", "Tokyo"]
    assert launch.reactions(end="2025-01-23")["who"].tolist() == ["Wang"]   # from the default
    assert launch.reactions("2025-01-22", "2025-01-23")["who"].tolist() == ["Early", "Wang"]


def test_reactions_markdown_rows_in_date_order():
    table = _frame([
        ("2025-01-27", "01:00 (article date)", "New York", "", "Writer", "columnist", "sold"),
        ("2025-01-26", "not stated (Sunday)", "New York", "", "Andreessen", "VC", "AI's Sputnik moment"),
        ("2025-01-26", "21:30 (Sunday)", "US West Coast", "27 Jan 05:30 UTC", "Nadella", "CEO",
         "Jevons paradox strikes again!"),
        ("2025-01-23", "late Thursday", "Davos", "", "Wang", "CEO", "  "),
    ], "date time_local place utc who role quote")
    assert launch.reactions_markdown(table).splitlines() == [
        "| When (local time as reported) | Who | Said |", "|---|---|---|",
        "| Thu 23 Jan, late Thursday (Davos) | Wang, CEO | (no short quote) |",
        "| Sun 26 Jan, time not reported (New York) | Andreessen, VC | “AI's Sputnik moment” |",
        "| Sun 26 Jan, 21:30 (US West Coast); 27 Jan 05:30 UTC | Nadella, CEO | "
        "“Jevons paradox strikes again!” |",
        "| Mon 27 Jan, 01:00, article date (New York) | Writer, columnist | “sold” |"]
    one = _frame([("2025-02-05", "10:00 (Wednesday)", "Tokyo", "", "A", "b", "c")],
                 "date time_local place utc who role quote")
    assert launch.reactions_markdown(one).splitlines()[-1] == "| Wed 5 Feb, 10:00 (Tokyo) | A, b | “c” |"


def test_reactions_markdown_keeps_the_file_order_within_a_day():
    """A stable sort: rows of one day stay in the file's order (a quicksort of 21 rows would not)."""
    days = ["2025-01-27", "2025-01-25", "2025-01-26"] * 7
    table = _frame([(d, "10:00", "Tokyo", "", f"P{i}", "r", "q") for i, d in enumerate(days)],
                   "date time_local place utc who role quote")
    got = [line.split(" | ")[1].removesuffix(", r") for line in
           launch.reactions_markdown(table).splitlines()[2:]]
    assert got == [f"P{i}" for d in sorted(set(days)) for i in range(21) if days[i] == d]


# --- the spending words ------------------------------------------------------------------------

def test_spending_text_first_statement_of_each_platform(monkeypatch):
    table = _frame([
        ("MSFT", "2025-01-29", "range", 85.0, 90.0, "2025-12-31"),   # a later statement
        ("MSFT", "2025-01-03", "about", 80.0, 80.0, "2025-06-30"),
        ("META", "2025-01-24", "range", 60.0, 65.0, "2025-12-31"),
        ("GOOGL", "2025-02-04", "about", 75.0, 75.0, "2025-12-31"),
        ("AMZN", "2025-02-06", "implied", 105.2, 105.2, "2025-12-31"),
        ("AMZN", "2025-02-07", "about", 100.0, 100.0, "2025-12-31"),
        ("NVDA", "2025-01-01", "about", 1.0, 1.0, "2025-12-31"),
    ], "ticker stated form low_usd_bn high_usd_bn period_end")
    table["stated"], table["period_end"] = pd.to_datetime(table["stated"]), pd.to_datetime(table["period_end"])
    monkeypatch.setattr(launch.capex, "capex", lambda: table)
    assert launch.spending_text() == {"la_msft": "about $80bn", "la_meta": "$60–65bn",
                                      "la_googl": "about $75bn", "la_amzn": "$105.2bn",
                                      "la_msft_end": "June 2025"}


def test_spending_text_takes_the_first_row_of_the_earliest_day(monkeypatch):
    """Two statements on one day: the first in the file (a stable sort over 21 rows)."""
    tickers = ["MSFT", "META", "GOOGL", "AMZN", "NVDA", "ORCL", "AAPL"] * 3
    stated = ["2025-01-03"] * 7 + ["2025-01-02"] * 7 + ["2025-01-02"] * 7
    table = pd.DataFrame({"ticker": tickers, "stated": pd.to_datetime(stated), "form": "implied",
                          "low_usd_bn": [float(i) for i in range(21)], "high_usd_bn": 99.0,
                          "period_end": pd.to_datetime("2025-06-30")})
    monkeypatch.setattr(launch.capex, "capex", lambda: table)
    assert launch.spending_text() == {"la_msft": "$7bn", "la_meta": "$8bn", "la_googl": "$9bn",
                                      "la_amzn": "$10bn", "la_msft_end": "June 2025"}


# --- the label lanes and the timeline chart -----------------------------------------------------------

def test_lanes_at_the_edges():
    """256 days over 128 px (0.5 px a day, exact in binary): a label of two characters ends
    6.5 x 2 + 16 = 29 px after its left edge; the next label shares its lane only if it starts
    beyond that."""
    start, end = T("2024-01-01"), T("2024-09-13")
    assert (end - start).days == 256

    def lanes(days, labels, centred=False):
        events = pd.DataFrame({"date": [start + pd.Timedelta(days=d) for d in days], "shown": labels})
        return launch._lanes(events, start, end, width=128, centred=centred)
    assert lanes([0, 58], ["ab", "x"]) == [0, 1]     # starts at 29: on the edge, not beyond
    assert lanes([0, 59], ["ab", "x"]) == [0, 0]     # starts at 29.5
    # centred: left = x - (3.5 px a character + 8); "ab" at 0 ends at -15 + 29 = 14 px
    assert lanes([0, 60], ["ab", "abcdef"], True) == [0, 1]   # "abcdef" starts at 30 - 29 = 1
    assert lanes([0, 90], ["ab", "abcdef"], True) == [0, 0]   # starts at 45 - 29 = 16


def test_timeline_phone_lanes_centre_the_short_labels():
    events = _frame([("2024-12-26", "V3 weights", "w", "confirmed", "s1"),
                     ("2024-12-27", "V3 report", "p", "confirmed", "s2"),
                     ("2025-01-20", "R1 release", "r", "confirmed", "s3"),
                     ("2025-01-27", "Sign-ups limited", "s", "confirmed", "s4")],
                    "date label description certainty source")
    spec = launch.timeline_chart(_series(), events, T("2024-11-29"), SHOCK).to_dict()
    strip = spec["vconcat"][0]
    rows = spec["datasets"][strip["data"]["name"]]
    # by hand, 88 days: 470 px (labels right of their point), 250 px (short labels centred,
    # the V3 report's empty short label takes no lane; a label without a short form keeps its own)
    assert [(r["short"], r["lane"], r["lane_phone"]) for r in rows] == [
        ("V3", 0, 0), ("", 1, 0), ("R1", 0, 0), ("Sign-ups limited", 1, 1)]
    assert strip["height"] == 36 and spec["usermeta"]["narrow"]["set"]["vconcat/0/height"] == 36

def test_lanes_stack_overlapping_labels():
    start, end = T("2025-01-01"), T("2025-01-11")   # 10 days over 100 px: 10 px a day
    events = pd.DataFrame({"date": [T("2025-01-01"), T("2025-01-02"), T("2025-01-07"),
                                    T("2025-01-08"), T("2025-01-09")],
                           "shown": ["ab", "", "abcd", "", "a"]})
    # left edges 0, 10, 60, 70, 80; each label ends at left + 6.5 px a character + 16
    assert launch._lanes(events, start, end, width=100) == [0, 1, 0, 1, 2]
    # centred: left = x - (3.5 px a character + 8); an empty label takes no lane
    assert launch._lanes(events, start, end, width=100, centred=True) == [0, 0, 0, 0, 1]
    assert launch._lanes(events.iloc[[0, 2]], start, end, width=100) == [0, 0]
    assert launch._lanes(events.iloc[[0, 2]], start, end, width=40) == [0, 1]


def _series(shock_index: float = 103.0) -> pd.DataFrame:
    dates = [T(d) for d in ["2024-12-02", "2024-12-20", "2025-01-24", "2025-01-27", "2025-02-28"]]
    return pd.concat([
        pd.DataFrame({"ticker": "AAA", "date": dates, "close": [50.0, 52, 55, 45, 47.5],
                      "name": "Chipco", "index": [100.0, 104, 110, 90, 95]}),
        pd.DataFrame({"ticker": "^BBB", "date": dates, "close": [1000.0, 1010, 1030, 970, 990],
                      "name": "Chip index", "index": [100.0, 101, shock_index, 97, 99]})],
        ignore_index=True)


def _milestones() -> pd.DataFrame:
    return _frame([("2024-12-26", "V3 weights", "w", "confirmed", "s1"),
                   ("2025-01-10", "App launch", "a", "uncertain", "s2"),
                   ("2025-01-20", "R1 release", "r", "confirmed", "s3"),
                   ("2025-01-27", "Nvidia record loss", "n", "confirmed", "s4")],
                  "date label description certainty source")


EVENT_TIPS = [{"field": "date", "format": "%a %d %b %Y", "title": "Date", "type": "temporal"},
              {"field": "label", "title": "Event", "type": "nominal"},
              {"field": "description", "title": "What happened", "type": "nominal"},
              {"field": "certainty", "title": "Date certainty", "type": "nominal"},
              {"field": "source", "title": "Source", "type": "nominal"}]
DOMAIN = {"domain": ["2024-12-02T00:00:00", "2025-02-28T00:00:00"]}
X = {"axis": {"format": "%d %b", "labelAngle": 0}, "field": "date", "scale": DOMAIN,
     "title": "Trading day (December 2024 to February 2025)", "type": "temporal"}
COLOUR = {"field": "name", "legend": None, "type": "nominal",
          "scale": {"domain": ["Chipco", "Chip index"], "range": ["#555555", "#8C8C8C"]}}
SHOCK_TIPS = [{"field": "name", "title": "Series", "type": "nominal"},
              {"field": "date", "format": "%a %d %b %Y", "title": "Date", "type": "temporal"},
              {"field": "index", "format": ".1f", "title": "Index (base = 100)",
               "type": "quantitative"}]


def test_timeline_chart_spec_on_a_made_up_frame():
    spec = launch.timeline_chart(_series(), _milestones(), T("2024-11-29"), SHOCK).to_dict()
    data = spec["datasets"]
    strip, panel = spec["vconcat"]
    # the strip: the events with their shown and short labels and their lanes (by hand:
    # 88 days over 470 px; phone: over 250 px, centred)
    rows = data[strip["data"]["name"]]
    assert [(r["shown"], r["short"], r["lane"], r["lane_phone"]) for r in rows] == [
        ("V3 weights", "V3", 0, 0), ("App launch (date uncertain)", "app?", 1, 0),
        ("R1 release", "R1", 0, 1), ("Nvidia record loss", "", 2, 0)]
    assert strip["width"] == 470 and strip["height"] == 54
    dots, words = strip["layer"]
    assert dots["mark"] == {"type": "point", "color": GREY, "filled": True, "size": 60}
    assert dots["encoding"]["shape"] == {"field": "certainty", "legend": None, "type": "nominal",
                                         "scale": {"domain": ["confirmed", "uncertain"],
                                                   "range": ["circle", "diamond"]}}
    assert words["mark"] == {"type": "text", "align": "left", "dx": 7, "fontSize": 10}
    assert words["encoding"]["text"] == {"field": "shown", "type": "nominal"}
    for layer in (dots, words):
        assert layer["encoding"]["tooltip"] == EVENT_TIPS
        assert layer["encoding"]["y"] == {"axis": None, "field": "lane", "type": "ordinal"}
        assert layer["encoding"]["x"] == {"axis": {"domain": False, "grid": False, "labels": False,
                                                   "ticks": False}, "field": "date",
                                          "scale": DOMAIN, "title": None, "type": "temporal"}
    # the panel: reference line at 100, the releases, lines, points, end labels, the shock
    assert panel["width"] == 470 and panel["height"] == 280
    hundred, rules, lines, points, tags, dot, note = panel["layer"]
    assert data[hundred["data"]["name"]] == [{"level": 100}]
    assert hundred["mark"] == {"type": "rule", "color": "#BBBBBB"}
    assert hundred["encoding"] == {"y": {"field": "level", "type": "quantitative"}}
    assert rules["mark"] == {"type": "rule", "color": GREY}
    assert rules["encoding"] == {
        "strokeDash": {"condition": {"test": "datum.certainty == 'uncertain'", "value": [2, 3]},
                       "value": [5, 3]}, "tooltip": EVENT_TIPS,
        "x": {"field": "date", "type": "temporal"}}
    assert rules["data"] == strip["data"]
    assert lines["mark"] == {"type": "line"}
    assert lines["encoding"] == {
        "color": COLOUR, "x": X,
        "strokeDash": {"field": "name", "legend": None, "type": "nominal",
                       "scale": {"domain": ["Chipco", "Chip index"], "range": [[1, 0], [6, 3]]}},
        "y": {"field": "index", "scale": {"zero": False}, "title": "Close, 29 Nov 2024 = 100",
              "type": "quantitative"}}
    assert len(data[lines["data"]["name"]]) == 10 and points["data"] == lines["data"]
    assert points["mark"] == {"type": "point", "filled": True, "size": 14}
    assert points["encoding"] == {
        "color": COLOUR, "x": X, "y": {"field": "index", "type": "quantitative"},
        "tooltip": [{"field": "name", "title": "Series", "type": "nominal"},
                    {"field": "date", "format": "%a %d %b %Y", "title": "Date", "type": "temporal"},
                    {"field": "close", "format": ",.2f", "title": "Close", "type": "quantitative"},
                    {"field": "index", "format": ".1f", "title": "Index (base = 100)",
                     "type": "quantitative"}]}
    assert [(r["name"], r["index"]) for r in data[tags["data"]["name"]]] == [
        ("Chipco", 95.0), ("Chip index", 99.0)]   # the last day's rows
    assert tags["mark"] == {"type": "text", "align": "left", "dx": 5, "fontSize": 10}
    assert tags["encoding"] == {
        "color": COLOUR, "x": X, "y": {"field": "index", "type": "quantitative"},
        "text": {"field": "name", "type": "nominal"},
        "tooltip": [{"field": "name", "title": "Series", "type": "nominal"},
                    {"field": "index", "format": ".1f", "title": "Index on the last day",
                     "type": "quantitative"}]}
    # the shock: the lead series on day 0, its move from the session before (90 / 110 - 1)
    marked = data[dot["data"]["name"]]
    assert len(marked) == 1 and note["data"] == dot["data"]
    assert marked[0]["name"] == "Chipco" and marked[0]["date"] == "2025-01-27T00:00:00"
    assert marked[0]["note"] == "Chipco \u221218.2%, 27 Jan" and marked[0]["move"] == -18.18
    sign = {"condition": {"test": "datum.move < 0", "value": ORANGE}, "value": BLUE}
    assert dot["mark"] == {"type": "point", "filled": True, "size": 80}
    assert dot["encoding"] == {"color": sign, "x": X, "y": {"field": "index", "type": "quantitative"},
                               "tooltip": SHOCK_TIPS}
    assert note["mark"] == {"type": "text", "align": "right", "dx": -8, "dy": 4, "fontSize": 11,
                            "fontWeight": "bold"}
    assert note["encoding"] == {"color": sign, "x": X, "y": {"field": "index", "type": "quantitative"},
                                "text": {"field": "note", "type": "nominal"}, "tooltip": SHOCK_TIPS}
    assert spec["spacing"] == 4 and spec["resolve"] == {"scale": {"shape": "independent"}}
    # words: the lead fell 20 points from 110, the index 6 from 103: more than any drift from
    # 100 before (10) for the lead only, so the title does not say "drifted"
    assert spec["title"] == {
        "text": "Chip stocks fell on 27 January, after DeepSeek's releases",
        "subtitle": ["Daily closes indexed to 100 on 29 November 2024, the last session before "
                     "DeepSeek-V3's weights; dashed lines: DeepSeek's releases",
                     "Source: Yahoo Finance daily closes; exchange calendars; DeepSeek's releases "
                     "as reported"]}
    assert spec["description"] == (
        "Line chart of Chipco and Chip index from 2 December 2024 to 28 February 2025, indexed to "
        "100 on 29 November 2024, with DeepSeek's releases marked: V3 weights on 26 December 2024; "
        "App launch on 10 January 2025; R1 release on 20 January 2025; Nvidia record loss on 27 "
        "January 2025. Index points lost on 27 January: Chipco \u221220, Chip index \u22126.")
    assert spec["usermeta"] == {"narrow": {
        "drop": ["vconcat/0/layer/0", "vconcat/1/layer/4"],
        "set": {"vconcat/1/layer/2/encoding/color/legend": {"title": None},
                "vconcat/1/layer/2/encoding/strokeDash/legend": {"title": None},
                "vconcat/0/layer/0/encoding/y/field": "lane_phone",
                "vconcat/0/layer/1/encoding/y/field": "lane_phone",
                "vconcat/0/layer/1/encoding/text/field": "short",
                "vconcat/0/layer/1/mark/align": "center", "vconcat/0/layer/1/mark/dx": 0,
                "vconcat/0/height": 36},
        "transpose": False, "note": "Release names shortened; tap a dashed line for the full one"}}


@pytest.mark.parametrize("shock_index, title", [
    (90.0, "Chip stocks drifted through DeepSeek's releases, then Chipco fell 18.2% on 27 January"),
    (100.0, "Chip stocks fell on 27 January, after DeepSeek's releases"),   # 10 = 10: not more
])
def test_timeline_title_says_drifted_only_when_each_fall_beats_the_drift(shock_index, title):
    # the index's session before day 0 is at `shock_index`: drift from 100 is at most 10
    # (Chipco's 110) and the index loses shock_index - 97 on day 0
    series = _series(shock_index + 7.0)
    series.loc[(series["name"] == "Chip index") & (series["date"] == SHOCK), "index"] = shock_index - 3
    series.loc[(series["name"] == "Chip index") & (series["date"] == T("2025-01-24")), "index"] = 107.0
    spec = launch.timeline_chart(series, _milestones(), T("2024-11-29"), SHOCK).to_dict()
    assert spec["title"]["text"] == title


def test_timeline_marks_a_rise_in_blue_and_the_later_shock_day():
    series = _series()
    series.loc[series["date"] == SHOCK, "index"] = [121.0, 104.0]   # both rose on day 0
    spec = launch.timeline_chart(series, _milestones(), T("2024-11-29"), SHOCK).to_dict()
    dot = spec["vconcat"][1]["layer"][5]
    marked = spec["datasets"][dot["data"]["name"]]
    assert marked[0]["note"] == "Chipco +10.0%, 27 Jan" and marked[0]["move"] == 10.0
    assert spec["title"]["text"] == "Chip stocks fell on 27 January, after DeepSeek's releases"
    assert spec["description"].endswith("Index points lost on 27 January: Chipco +11, Chip index +1.")
    # day 0 given: the session before it is the base of the move
    later = launch.timeline_chart(_series(), _milestones(), T("2024-11-29"), T("2025-02-28")).to_dict()
    rows = later["datasets"][later["vconcat"][1]["layer"][5]["data"]["name"]]
    assert rows[0]["note"] == "Chipco +5.6%, 28 Feb"
    assert later["description"].endswith("Index points lost on 28 February: Chipco +5, Chip index +2.")


def test_indexed_on_made_up_closes(monkeypatch):
    bars = pd.DataFrame({"ticker": ["A", "A", "A", "B", "B", "B"],
                         "date": pd.to_datetime(["2025-01-02", "2025-01-03", "2025-01-06"] * 2),
                         "close": [8.0, 10.12345, 12.0, 200.0, 190.005, 250.0]})
    monkeypatch.setattr(launch.load, "prices", lambda tickers: bars.loc[bars["ticker"].isin(
        [tickers] if isinstance(tickers, str) else tickers)].copy())
    monkeypatch.setattr(launch.facts, "universe", lambda: pd.DataFrame(
        {"ticker": ["A", "B"], "name": ["Aco", "Bco"]}))
    got = launch.indexed(["A", "B"], T("2025-01-02"), T("2025-01-03"), T("2025-01-06"))
    want = pd.DataFrame({"ticker": ["A", "A", "B", "B"],
                         "date": pd.to_datetime(["2025-01-03", "2025-01-06"] * 2),
                         "close": [10.12, 12.0, 190.0, 250.0], "name": ["Aco", "Aco", "Bco", "Bco"],
                         "index": [126.54, 150.0, 95.0, 125.0]})
    pd.testing.assert_frame_equal(got, want, check_dtype=False)
    assert launch.base_session("A", T("2025-01-06")) == T("2025-01-03")
    assert launch.change("B", T("2025-01-02"), T("2025-01-06")) == pytest.approx(0.25)
    with pytest.raises(DataError, match=r"no close on 2025-01-01 for \{'A'\}"):
        launch.indexed(["A"], T("2025-01-01"), T("2025-01-02"), T("2025-01-06"))


# --- on the data: an oracle from the raw snapshot files ---------------------------------------------

def _raw_events() -> pd.DataFrame:
    ev = raw.facts("events")
    return ev.assign(date=pd.to_datetime(ev["date"])).set_index("label")


def _before(ticker: str, day: pd.Timestamp) -> pd.Timestamp:
    c = raw.close(ticker)
    return c.index[c.index < day].max()


def test_sessions_moves_and_index_on_the_data():
    nv, sox = raw.close("NVDA"), raw.close("^SOX")
    assert launch.base_session("NVDA", T("2025-01-27")) == T("2025-01-24")
    assert launch.base_session("NVDA", T("2025-01-21")) == T("2025-01-17")   # MLK day closed
    assert launch.base_session("^SOX", T("2024-12-26")) == T("2024-12-24")
    assert launch.change("NVDA", T("2025-01-24"), SHOCK) == pytest.approx(
        nv[SHOCK] / nv[T("2025-01-24")] - 1, rel=1e-12)
    assert launch.change("^SOX", T("2024-12-24"), T("2025-01-24")) == pytest.approx(
        sox[T("2025-01-24")] / sox[T("2024-12-24")] - 1, rel=1e-12)
    moves = launch.daily_moves("NVDA", "2025-01-17", "2025-01-27")
    want = (nv / nv.shift(1) - 1).loc["2025-01-17":"2025-01-27"]
    assert list(moves.columns) == ["date", "ret"] and list(moves.index) == list(range(len(want)))
    assert moves["date"].tolist() == list(want.index)
    assert moves["ret"].to_numpy() == pytest.approx(want.to_numpy(), rel=1e-12)
    base, start, end = T("2024-12-24"), T("2024-12-01"), T("2025-02-28")
    got = launch.indexed(["NVDA", "^SOX"], base, start, end)
    assert list(got.columns) == ["ticker", "date", "close", "name", "index"]
    for ticker, name in (("NVDA", "Nvidia"), ("^SOX", "PHLX Semiconductor index")):
        c = raw.close(ticker)
        mine = got.loc[got["ticker"] == ticker]
        inside = c.loc[start:end]
        assert mine["date"].tolist() == list(inside.index)
        assert (mine["name"] == raw.name(ticker)).all() and raw.name(ticker) == name
        assert mine["close"].to_numpy() == pytest.approx(inside.round(2).to_numpy(), abs=1e-9)
        assert mine["index"].to_numpy() == pytest.approx(
            (inside / c[base] * 100).round(2).to_numpy(), abs=1e-9)
    with pytest.raises(DataError, match=r"no close on 2024-12-25 for \{'NVDA'\}"):
        launch.indexed(["NVDA"], T("2024-12-25"), start, end)


@pytest.fixture
def chapter():
    """The chapter computed in each test (not read from the store), so that every function it
    calls counts as exercised by every test that reads it (`make mutation` runs only those)."""
    return launch.chapter.__wrapped__()


def test_chapter_dates_and_costs_on_the_data(chapter):
    g, ev = chapter.text, _raw_events()
    weights, app, r1 = (ev.at[k, "date"] for k in ("V3 weights", "App launch", "R1 release"))
    assert g["la_weights"] == raw.day(weights, True) == "Thursday 26 December 2024"
    assert g["la_paper"] == raw.day(ev.at["V3 report", "date"], True)
    assert g["la_app"] == raw.day(app, True) and g["la_app_certainty"] == ev.at["App launch", "certainty"]
    assert g["la_r1"] == raw.day(r1, True) == "Monday 20 January 2025"
    assert g["la_store"] == raw.day(ev.at["App Store No. 1", "date"], True)
    assert g["la_signups"] == raw.day(ev.at["Sign-ups limited", "date"], True)
    assert g["la_gap"] == f"{(app - weights).days} days" == "15 days"
    assert g["la_v3_lead"] == f"{(SHOCK - weights).days} days" == "32 days"
    assert g["la_r1_lead"] == "seven days"
    costs = raw.facts("launch_costs").set_index("quantity")["value"].astype(float)
    assert g["la_hours"] == f"{costs['gpu_hours'] / 1e6:.3f} million" == "2.788 million"
    assert g["la_price"] == f"${costs['price_per_gpu_hour']:,.0f}"
    assert g["la_cost"] == f"${costs['gpu_hours'] * costs['price_per_gpu_hour'] / 1e6:.3f}M"
    assert g["la_reported"] == f"${costs['reported_cost'] / 1e6:.3f}M" == "$5.576M"
    bg = raw.facts("background")

    def value(topic: str, starts: str) -> str:
        rows = bg.loc[(bg["topic"] == topic) & bg["fact"].str.startswith(starts), "value"]
        assert len(rows) == 1
        return rows.iloc[0]
    assert g["la_founded"] == value("company", "DeepSeek was founded") == "2023"
    assert g["la_hf_year"] == value("company", "Year High-Flyer")
    assert g["la_hf_aum"] == f"${float(value('company', 'High-Flyer reportedly manages')):.0f}bn"
    assert g["la_a100"] == f"{float(value('company', 'High-Flyer had built')):,.0f}"
    assert g["la_h800s"] == f"{float(value('chips', 'DeepSeek-V3 was trained')):,.0f}"
    assert g["la_nv_cap"] == f"${float(value('valuation', 'Nvidia market value at the 24 Jan')):.2f}tn"
    assert g["la_nv_2024"] == f"{float(value('valuation', 'Nvidia share-price gain in 2024')):.0f}%"
    assert g["la_mag7"] == f"{float(value('concentration', 'Share of S&P 500 market value held')):.0f}%"
    assert g["la_dc_power"] == f"{float(value('power', 'US data centres used')):.1f}%"
    stargate = value("capex", "Stargate").split("-")
    assert (g["la_stargate"], g["la_stargate_max"]) == (f"${stargate[0]}bn", f"${stargate[-1]}bn")
    rules = bg.loc[(bg["topic"] == "chips")].set_index("fact")["date"]
    assert g["la_rule22"] == raw.day(next(d for f, d in rules.items()
                                          if f.startswith("US Commerce Department")))
    assert g["la_rule23"] == raw.day(next(d for f, d in rules.items() if f.startswith("New US rule")))
    assert g["la_msft"] == "about $80bn" and g["la_msft_end"] == "June 2025"


def test_chapter_moves_on_the_data(chapter):
    """Each move from the raw closes: V3's base is the last session before its weights, R1's
    the last before its release, the Stargate rally ends at the first session after the
    announcement (after New York's close), Friday is the last session before day 0."""
    g, ev = chapter.text, _raw_events()
    weights, r1 = ev.at["V3 weights", "date"], ev.at["R1 release", "date"]
    conf = raw.facts("confounders")
    announced = T(conf.loc[conf["label"] == "Stargate announced", "date"].iloc[0])
    base, pre, before_r1 = _before("NVDA", weights), _before("NVDA", SHOCK), _before("NVDA", r1)
    nv = raw.close("NVDA")
    after_r1 = nv.index[nv.index >= r1].min()
    rally_end = nv.index[nv.index > announced].min()
    assert (base, pre, before_r1, after_r1, rally_end) == (
        T("2024-12-24"), T("2025-01-24"), T("2025-01-17"), T("2025-01-21"), T("2025-01-22"))
    assert g["la_base"] == raw.day(base, True) and g["la_pre"] == raw.day(pre, True)
    assert g["la_r1_first"] == (raw.day(after_r1, True)
                                + " (the US market was closed on the day of the release)")
    assert g["la_stargate_day"] == f"{announced:%A} {announced.day} {announced:%B}"
    assert g["la_rally_end"] == f"{rally_end.day} {rally_end:%B}"
    for key, ticker in (("nv", "NVDA"), ("sox", "^SOX")):
        c = raw.close(ticker)

        def move(a, b):
            return c[b] / c[a] - 1
        v3, since_r1 = move(base, pre), move(before_r1, pre)
        assert g[f"la_{key}_v3"] == f"{abs(v3) * 100:.1f}% " + ("above" if v3 >= 0 else "below")
        assert g[f"la_{key}_r1"] == ("rose " if since_r1 >= 0 else "fell ") + f"{abs(since_r1) * 100:.1f}%"
        assert g[f"la_{key}_stargate"] == f"{move(before_r1, rally_end) * 100:.1f}%"
        friday = move(c.index[c.index < pre].max(), pre)
        assert g[f"la_{key}_friday"] == raw.fall(friday)
        assert g[f"la_{key}_fall"] == raw.fall(move(pre, SHOCK))
    assert (g["la_nv_fall"], g["la_sox_fall"], g["la_nv_v3"]) == ("17.0%", "9.1%", "1.7% above")


def test_chapter_reactions_table_on_the_data(chapter):
    table = raw.facts("reactions")
    inside = table.loc[(table["date"] >= "2025-01-23") & (table["date"] <= "2025-01-28")]
    lines = chapter.text["la_reactions"].splitlines()
    assert len(lines) == 2 + len(inside) and len(inside) > 3
    for who, quote in zip(inside.sort_values("date", kind="stable")["who"],
                          inside.sort_values("date", kind="stable")["quote"]):
        assert any(f"| {who}, " in line and f"“{quote}”" in line for line in lines[2:])


def test_chapter_figure_title_and_data_on_the_data(chapter):
    chart, data = chapter.figures["fig-launch-timeline"]
    spec = chart.to_dict()
    base = T("2024-12-24")
    prices = data.loc[data["kind"] == "price"]
    for ticker in ("NVDA", "^SOX"):
        c = raw.close(ticker).loc["2024-12-01":"2025-02-28"]
        mine = prices.loc[prices["ticker"] == ticker]
        assert mine["date"].tolist() == list(c.index)
        assert mine["index"].to_numpy() == pytest.approx(
            (c / raw.close(ticker)[base] * 100).round(2).to_numpy(), abs=1e-9)
    ev = raw.facts("events")
    ev = ev.assign(date=pd.to_datetime(ev["date"]))
    keep = ((ev["category"] == "DeepSeek") & (ev["date"] < SHOCK)) | \
           ((ev["place"] == "New York") & (ev["date"] == SHOCK))
    marked = data.loc[data["kind"] == "event"]
    assert marked["label"].tolist() == ev.loc[keep].sort_values("date")["label"].tolist()
    assert marked["date"].tolist() == ev.loc[keep].sort_values("date")["date"].tolist()
    assert marked["certainty"].tolist() == ev.loc[keep].sort_values("date")["certainty"].tolist()
    # the title: drifted unless some fall on day 0 was smaller than a drift from 100 before it
    level = prices.pivot(index="date", columns="ticker", values="index")
    pre, day0 = level.loc[level.index < SHOCK].iloc[-1], level.loc[SHOCK]
    nv = raw.close("NVDA")
    drop = nv[SHOCK] / nv[T("2025-01-24")] - 1
    assert (pre - 100).abs().max() < (pre - day0).min()
    assert spec["title"]["text"] == ("Chip stocks drifted through DeepSeek's releases, then Nvidia "
                                     f"fell {abs(drop):.1%} on 27 January")
    assert spec["title"]["subtitle"][0].startswith("Daily closes indexed to 100 on 24 December 2024")
    assert spec["description"].startswith(
        "Line chart of Nvidia and PHLX Semiconductor index from 2 December 2024 to 28 February "
        "2025, indexed to 100 on 24 December 2024")
    assert spec["description"].endswith(
        f"Index points lost on 27 January: Nvidia \u2212{pre['NVDA'] - day0['NVDA']:.0f}, PHLX "
        f"Semiconductor index \u2212{pre['^SOX'] - day0['^SOX']:.0f}.")
