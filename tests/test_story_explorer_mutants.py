"""The explorer (`story.explorer`) on small made-up frames: the cumulative path and its guard,
the names and card lines, the picker's list, the page's numbers, and the chart drawn offline
by vl-convert for a security picked in turn (card text, line colours and dashes, the strip's
ticks, titles, tooltips), so what a reader sees is checked, not the spec's wording."""

from __future__ import annotations

import html
import re

import numpy as np
import pandas as pd
import pytest
import vl_convert as vlc

from deepshock.story import explorer
from deepshock.story.charts import MUTED, NEGATIVE, NEUTRAL, POSITIVE, VL_VERSION

D = pd.Timestamp
MINUS = "\u2212"


def test_constants():
    assert (explorer.BEFORE, explorer.AFTER) == (10, 20)
    assert explorer.AVERAGE == "AVERAGE" and explorer.FIRST == "NVDA"
    assert explorer.ABOUT_CHARS == 40 and explorer.PATH_DIGITS == 1
    assert explorer.PHONE_WIDTH == 280 and explorer.LINE == 18
    assert explorer.NUMBERS == ["ret0_pct", "ar0_pct", "rank_fall", "chip", "chip_fifth"]


def test_dates_are_session_minus_11_day0_and_plus_20(snapshot):
    assert explorer.dates() == (D("2025-01-08"), D("2025-01-27"), D("2025-02-25"))


def test_cumulative_compounds_from_the_first_row():
    rets = pd.DataFrame({"a": [np.nan, 0.1, -0.5], "b": [0.3, 0.0, 0.2]},
                        index=pd.to_datetime(["2025-01-02", "2025-01-03", "2025-01-06"]))
    out = explorer._cumulative(rets)
    assert list(out.index) == list(rets.index)
    assert out["a"].tolist() == pytest.approx([0.0, 10.0, -45.0])
    assert out["b"].tolist() == pytest.approx([0.0, 0.0, 20.0])
    gap = rets.assign(c=[0.0, np.nan, 0.1], d=[0.0, 0.1, np.nan])
    with pytest.raises(ValueError, match=r"missing returns inside the path window for "
                                         r"\['c', 'd'\]"):
        explorer._cumulative(gap)


def test_book_paths_start_at_the_last_close_on_or_before_the_base(snapshot):
    from tests.conftest import raw_close
    got = explorer._book_paths(["^KS11"]).loc["^KS11"].dropna()
    raw = raw_close("INDEX_KS11.csv").dropna()
    assert got.index[0] == D("2025-01-08") and got.iloc[0] == 0.0
    window = raw.loc[D("2025-01-08"):D("2025-02-25")]
    want = (window / window.iloc[0] - 1) * 100
    assert list(got.index) == list(want.index)
    assert np.allclose(got.to_numpy(float), want.to_numpy(), atol=1e-9)


def test_names_and_card_lines():
    assert explorer._name("Vertex Pharmaceuticals Incorpor") == "Vertex Pharmaceuticals"
    assert explorer._name("Acme, Inc") == "Acme"
    assert explorer._name("Acme Comp") == "Acme"
    assert explorer._name("Acme Compan") == "Acme"
    assert explorer._name("Acme Corporat") == "Acme"
    assert explorer._name("Acme I") == "Acme"
    assert explorer._name("Acme Income") == "Acme Income"
    base = {"kind": "sp500", "sector": "Technology", "industry": "Semiconductors",
            "joined": pd.NaT, "group": ""}
    assert explorer._about(pd.Series(base)) == "Technology · Semiconductors"
    longer = {**base, "sector": "Communication Services",
              "industry": "Internet Content & Information"}
    text = explorer._about(pd.Series(longer))
    assert text == "Internet content"       # 41 characters with the sector: it is dropped
    exactly = {**base, "sector": "S" * 27, "industry": "Semiconductors"}   # 27 + 3 + 14 > 40
    assert explorer._about(pd.Series(exactly)) == "Semiconductors"
    fits = {**base, "sector": "S" * 23}                                # 23 + 3 + 14 = 40
    assert explorer._about(pd.Series(fits)) == "S" * 23 + " · Semiconductors"
    joined = {**base, "joined": D("2025-03-24")}
    assert explorer._about(pd.Series(joined)) == "Joined the S&P 500 later: 24 Mar 2025"
    fund = {"kind": "etf", "group": "", "sector": "", "industry": "", "joined": pd.NaT}
    assert explorer._about(pd.Series(fund)) == "Fund (ETF)"
    book = {**fund, "kind": "adr", "group": "Chinese AI"}
    assert explorer._about(pd.Series(book)) == "Chinese AI · US-listed ADR"
    long = {**fund, "kind": "index", "group": "G" * 40}
    assert explorer._about(pd.Series(long)) == "G" * 39 + "…"
    assert len(explorer._about(pd.Series({**fund, "kind": "fx", "group": "G" * 32}))) == 40
    assert explorer._about(pd.Series({**fund, "kind": "fx", "group": "G" * 32})) == \
        "G" * 32 + " · curr…"
    assert explorer.KIND == {"sp500": "S&P 500 member", "etf": "fund", "equity": "share",
                             "adr": "US-listed ADR", "index": "index", "fx": "currency rate"}


# ---- a made-up published table --------------------------------------------------------------

def frame() -> pd.DataFrame:
    return pd.DataFrame({
        "ticker": ["NVDA", "VST", "SPY", "000660.KS", "FLAT", "AVERAGE"],
        "name": ["Nvidia", "Vistra", "SPDR", "SK hynix", "Flat & Co", "Average S&P 500 member"],
        "kind": ["sp500", "sp500", "etf", "equity", "sp500", "average"],
        "sector": ["Technology", "Utilities", "", "", "Energy", ""],
        "industry": ["", "", "", "", "", ""],
        "group": ["", "", "", "Korea", "", ""],
        "ret0_pct": [-16.97, 3.04, -1.5, -9.2, 0.0, -0.4],
        "ar0_pct": [-12.34, 2.0, -0.5, np.nan, 0.4, np.nan],
        "rank_fall": pd.array([1, 3, None, None, 2, None], dtype="Int64"),
        "chip": [1.234, -0.5, 0.9, np.nan, np.nan, np.nan],
        "chip_fifth": pd.array([5, 1, None, None, None, None], dtype="Int64"),
        "day0": ["2025-01-27"] * 3 + ["2025-01-31", "2025-01-27", "2025-01-27"],
        "about": ["Tech · Chips", "Utilities · Power", "Fund (ETF)", "Korea · share", "Oil",
                  "Equal-weighted mean of the members"],
        "2025-01-08": [0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
        "2025-01-27": [-10.0, 2.0, -1.0, np.nan, 0.0, -0.5],
        "2025-01-31": [-12.0, 3.0, -1.5, -5.0, 0.0, -0.6]})


def test_path_columns_and_ranked():
    table = frame().assign(**{"2024-12-31": 0.0, "20abc": 1, "2025_01": 1})
    assert explorer.path_columns(table) == ["2025-01-08", "2025-01-27", "2025-01-31",
                                            "2024-12-31"]
    assert explorer.ranked(frame()) == 3


def test_picker_lists_every_security_but_the_average():
    out = explorer.picker(frame())
    assert out.startswith('<div class="deepshock-explorer"><label for="explorer-pick">Security: '
                          'type a ticker or a name, or pick from the list</label>')
    assert ('<input id="explorer-pick" list="explorer-list" value="NVDA" autocomplete="off" '
            'spellcheck="false" autocapitalize="characters" enterkeyhint="done">') in out
    options = re.findall(r'<option value="([^"]*)" label="([^"]*)">', out)
    assert options == [("NVDA", "Nvidia · Technology"), ("VST", "Vistra · Utilities"),
                       ("SPY", "SPDR · fund"), ("000660.KS", "SK hynix · Korea"),
                       ("FLAT", html.escape("Flat & Co · Energy"))]
    assert out.endswith('<datalist id="explorer-list">' + "".join(
        f'<option value="{v}" label="{n}">' for v, n in options) + "</datalist></div>")


def test_page_text():
    page = explorer.Page(frame(), None, "", total=1234, members=500, funds=3, book=40,
                         outside=12, base=D("2025-01-08"), day0=D("2025-01-27"),
                         last=D("2025-02-25"), window=(D("2024-01-02"), D("2024-12-31")),
                         late=["Seoul", "Taipei"])
    assert page.text == {
        "ex_total": "1,234", "ex_members": "500", "ex_funds": "3", "ex_book": "40",
        "ex_outside": "12", "ex_before": "10", "ex_after": "20", "ex_base": "8 January 2025",
        "ex_day0": "Monday 27 January 2025", "ex_last": "25 February 2025",
        "ex_window": "2 January 2024 to 31 December 2024", "ex_late": "Seoul and Taipei"}


# ---- the chart, drawn offline -----------------------------------------------------------------

URL = "../_static/figdata/fig-explorer.csv?v=0123456789ab"


def make_spec() -> dict:
    """Built in each test's body: mutmut credits a test only with the code its body runs."""
    return explorer.chart(frame(), URL).to_dict()


def drawn(spec: dict, pick: str) -> dict:
    """The SVG vl-convert draws with `pick` typed: its texts, and its marks' labels and styles."""
    spec = {**spec, "params": [{**p, "value": pick} if p["name"] == "pick" else p
                               for p in spec["params"]]}
    spec["data"] = {"values": frame().to_csv(index=False), "format": spec["data"]["format"]}
    svg = html.unescape(vlc.vegalite_to_svg(spec, vl_version=VL_VERSION))
    marks = []
    for tag in re.findall(r'<(?:path|text|line)\b[^>]*aria-roledescription="(?:text mark|line '
                          r'mark|point|tick|rule mark)"[^>]*>', svg):
        attrs = dict(re.findall(r'([\w-]+)="([^"]*)"', tag))
        marks.append(attrs)
    return {"svg": svg, "marks": marks}


def card(view: dict) -> list[str]:
    return [m["aria-label"].split("; Security:")[0] for m in view["marks"]
            if m["aria-roledescription"] == "text mark"]


def test_card_for_each_kind_of_security(snapshot):
    spec = make_spec()
    nvda = drawn(spec, "NVDA")
    assert card(nvda) == ["l1: Nvidia (NVDA)", "l2: Fell 17.0% on Monday 27 January 2025",
                          f"l3: Abnormal return {MINUS}12.3%",
                          "l4: Rank 1 of 3 members (1 = largest fall)",
                          "l5: Chip sensitivity 1.23: highest fifth", "l6: Tech · Chips"]
    texts = [m for m in nvda["marks"] if m["aria-roledescription"] == "text mark"]
    assert [t["font-size"] for t in texts] == ["14px"] + ["12px"] * 5
    assert [t["font-weight"] for t in texts] == ["bold"] + ["normal"] * 5
    assert {t["fill"] for t in texts} == {"#222222"}
    assert {t["text-anchor"] for t in texts} == {"start"}
    assert all(t["aria-label"].endswith("; Security: Nvidia; Ticker: NVDA") for t in texts)
    # baseline top: y is the line's top plus the font's ascent (0.79 of the size in vl-convert)
    tops = [float(re.search(r",([\d.]+)\)", t["transform"]).group(1)) for t in texts]
    assert [round(t - a) for t, a in zip(tops, [11, 9, 9, 9, 9, 9])] == \
        [0, 21, 39, 57, 75, 93]
    # by name, in any case, with spaces around
    assert card(drawn(spec, " vistra ")) == [
        "l1: Vistra (VST)", "l2: Rose 3.0% on Monday 27 January 2025",
        "l3: Abnormal return +2.0%", "l4: Rank 3 of 3 members (1 = largest fall)",
        f"l5: Chip sensitivity {MINUS}0.50: lowest fifth", "l6: Utilities · Power"]
    assert card(drawn(spec, "spy")) == [
        "l1: SPDR (SPY)", "l2: Fell 1.5% on Monday 27 January 2025",
        f"l3: Abnormal return {MINUS}0.5% (a fund)", "l4: Funds are not ranked",
        "l5: Chip sensitivity 0.90", "l6: Fund (ETF)"]
    assert card(drawn(spec, "000660.ks")) == [
        "l1: SK hynix (000660.KS)", "l2: Fell 9.2% on Fri 31 Jan (first session)",
        "l3: Outside the S&P 500 panel:", "l4: no abnormal return or rank here", "l5: ",
        "l6: Korea · share"]
    assert card(drawn(spec, "FLAT")) == [
        "l1: Flat & Co (FLAT)", "l2: Unchanged on Monday 27 January 2025",
        "l3: Abnormal return +0.4%", "l4: Rank 2 of 3 members (1 = largest fall)",
        "l5: Chip sensitivity: too little 2024 data", "l6: Oil"]
    missing = drawn(spec, " zzz ")
    assert card(missing) == ["l1: Nothing matches “zzz”", "l2: Type a ticker or a name, or pick",
                             "l3: one from the list", "l4: ", "l5: ", "l6: "]
    assert all(m["aria-label"].endswith("Ticker: AVERAGE") for m in missing["marks"]
               if m["aria-roledescription"] == "text mark")


def lines(view: dict) -> dict[str, dict]:
    out = {}
    for m in view["marks"]:
        if m["aria-roledescription"] == "line mark":
            ticker = re.search(r"ticker: ([^;]+);", m["aria-label"]).group(1)
            out[ticker] = m
    return out


def test_path_lines_are_coloured_by_the_day0_move(snapshot):
    spec = make_spec()
    nvda = drawn(spec, "NVDA")
    drawn_lines = lines(nvda)
    assert set(drawn_lines) == {"NVDA", "AVERAGE"}
    assert drawn_lines["NVDA"]["stroke"] == NEGATIVE
    assert drawn_lines["NVDA"]["stroke-dasharray"] == "1,0"
    assert drawn_lines["AVERAGE"]["stroke"] == NEUTRAL
    assert drawn_lines["AVERAGE"]["stroke-dasharray"] == "5,3"
    assert "tone: fell" in drawn_lines["NVDA"]["aria-label"]
    points = [m for m in nvda["marks"] if m["aria-roledescription"] == "point"]
    labels = [m["aria-label"] for m in points]
    assert labels[:3] == [
        "Session (2025): 8 Jan; Return since 8 January close (%): 0; tone: fell; ticker: NVDA; "
        "Security: Nvidia; Session: Wed 8 Jan 2025; Return since 8 Jan (%): +0.0",
        f"Session (2025): 27 Jan; Return since 8 January close (%): {MINUS}10; tone: fell; "
        f"ticker: NVDA; Security: Nvidia; Session: Mon 27 Jan 2025; Return since 8 Jan (%): "
        f"{MINUS}10.0",
        f"Session (2025): 31 Jan; Return since 8 January close (%): {MINUS}12; tone: fell; "
        f"ticker: NVDA; Security: Nvidia; Session: Fri 31 Jan 2025; Return since 8 Jan (%): "
        f"{MINUS}12.0"]
    assert len(points) == 6 and {p["fill"] for p in points[:3]} == {NEGATIVE}
    assert lines(drawn(spec, "VST"))["VST"]["stroke"] == POSITIVE
    flat = lines(drawn(spec, "FLAT"))
    assert flat["FLAT"]["stroke"] == NEUTRAL and flat["FLAT"]["stroke-dasharray"] == "5,3"
    # a market closed on a date: no point there
    hynix = [m for m in drawn(spec, "000660.KS")["marks"]
             if m["aria-roledescription"] == "point" and "000660.KS" in m["aria-label"]]
    assert len(hynix) == 2
    assert set(lines(drawn(spec, "zzz"))) == {"AVERAGE"}
    rule = [m for m in nvda["marks"] if m["aria-roledescription"] == "rule mark"]
    assert [r["aria-label"] for r in rule] == ["Session (2025): 27 Jan; Day 0: Monday 27 January "
                                                "2025"]
    assert rule[0]["stroke"] == MUTED and rule[0]["stroke-dasharray"] == "2,2"
    assert "Y-axis titled 'Return since 8 January close (%)'" in nvda["svg"]
    assert "X-axis titled 'Session (2025)' for a utc scale" in nvda["svg"]


def ticks(view: dict) -> list[dict]:
    return [m for m in view["marks"] if m["aria-roledescription"] == "tick"]


def test_strip_marks_every_member_and_the_picked_one(snapshot):
    spec = make_spec()
    nvda = ticks(drawn(spec, "NVDA"))
    tip = "Abnormal return on 27 January, 3 members (%): "
    assert [t["aria-label"] for t in nvda] == [
        f"{tip}{MINUS}12.34; Member: Nvidia; Abnormal return (%): {MINUS}12.3; "
        "Rank of 3 (1 = largest fall): 1",
        f"{tip}2; Member: Vistra; Abnormal return (%): +2.0; Rank of 3 (1 = largest fall): 3",
        f"{tip}0.4; Member: Flat & Co; Abnormal return (%): +0.4; "
        "Rank of 3 (1 = largest fall): 2",
        f"{tip}{MINUS}12.34; tone: fell; Member: Nvidia; Abnormal return (%): {MINUS}12.3; "
        "Rank of 3 (1 = largest fall): 1"]
    assert [t["fill"] for t in nvda] == [MUTED] * 3 + [NEGATIVE]
    # thickness 1 and height 22 for everyone, 3 and 34 for the pick
    assert [re.findall(r"h([\d.]+)v([\d.]+)", t["d"]) for t in nvda] == \
        [[("1", "22")]] * 3 + [[("3", "34")]]
    vst = ticks(drawn(spec, "VST"))
    assert vst[-1]["fill"] == POSITIVE and "tone: rose" in vst[-1]["aria-label"]
    assert len(ticks(drawn(spec, "SPY"))) == 3            # a fund: not on the strip
    assert ticks(drawn(spec, "FLAT"))[-1]["fill"] == POSITIVE


def test_chart_titles_layout_and_parameter(snapshot):
    spec = make_spec()
    assert spec["title"]["text"] == ("Any of 5 securities around 27 January 2025, against the "
                                     "average member")
    assert spec["title"]["subtitle"] == [
        "Line: return since the close on 8 January, in each market's own sessions.",
        "Orange if the security fell on day 0, blue if it rose; grey dashed: the average member.",
        "Ticks: all 3 members' abnormal returns on 27 January.",
        "Source: Yahoo Finance daily closes; abnormal returns and chip sensitivity from the "
        "cross-section chapter"]
    assert spec["description"] == (
        "Interactive chart of one security at a time, chosen in the box above from 5 (Nvidia at "
        "first): a card with its day-0 return, abnormal return, rank among the 3 S&P 500 "
        "members and chip sensitivity; a line of its cumulative return from 8 January to 25 "
        "February 2025 against the average member; and a strip of every member's abnormal "
        "return on 27 January with the chosen one marked.")
    assert spec["usermeta"] == {"preview": True, "narrow": {
        "drop": [], "transpose": False,
        "set": {"vconcat/0/width": 280, "vconcat/1/width": 280, "vconcat/2/width": 280}}}
    assert spec["params"] == [{"name": "pick", "value": "NVDA",
                               "bind": {"element": "#explorer-pick"}}]
    assert spec["data"] == {"url": URL, "format": {"type": "csv", "parse": {
        c: "number" for c in ["ret0_pct", "ar0_pct", "rank_fall", "chip", "chip_fifth",
                              "2025-01-08", "2025-01-27", "2025-01-31"]}}}
    assert spec["spacing"] == 14 and spec["resolve"] == {"scale": {"color": "independent"}}
    card_, path_, strip_ = spec["vconcat"]
    assert (card_["width"], card_["height"]) == (600, 6 * 18)
    assert (path_["width"], path_["height"]) == (600, 220)
    assert (strip_["width"], strip_["height"]) == (600, 40)
    assert all(layer["mark"]["limit"] == {"expr": "width"} for layer in card_["layer"])
    assert all(layer["encoding"]["tooltip"] == [
        {"field": "name", "type": "nominal", "title": "Security"},
        {"field": "ticker", "type": "nominal", "title": "Ticker"}] for layer in card_["layer"])
    x = path_["layer"][1]["encoding"]["x"]
    assert x == {"field": "date", "type": "temporal", "title": "Session (2025)",
                 "scale": {"type": "utc"}, "axis": {"format": "%-d %b", "labelOverlap": True}}


# ---- the published table on the data ------------------------------------------------------------

def test_table_columns_kinds_and_the_average_row(snapshot):
    table = explorer.table()          # in the body: mutmut credits a test with its body's calls
    from tests.conftest import SNAPSHOT
    assert list(table.columns[:14]) == [
        "ticker", "name", "kind", "sector", "industry", "group", "day0", "ret0_pct", "ar0_pct",
        "rank_fall", "chip", "chip_fifth", "book", "about"]
    days = explorer.path_columns(table)
    assert list(table.columns[14:]) == days == sorted(days)
    assert days[0] == "2025-01-08" and days[-1] == "2025-02-25"
    assert str(table["rank_fall"].dtype) == "Int64" and str(table["chip_fifth"].dtype) == "Int64"
    assert list(table.index) == list(range(len(table)))
    paths = table[days].to_numpy(float)
    assert np.allclose(paths[~np.isnan(paths)] * 10, np.round(paths[~np.isnan(paths)] * 10))
    closes = pd.read_csv(SNAPSHOT / "panel" / "closes.csv", parse_dates=["date"],
                         index_col="date")
    members = pd.read_csv(SNAPSHOT / "panel" / "members.csv")
    sp500 = members.loc[members["kind"] == "sp500", "ticker"]
    day0 = closes.loc["2025-01-27", sp500] / closes.loc["2025-01-24", sp500] - 1
    last = table.iloc[-1]
    assert last["ticker"] == "AVERAGE" and last["kind"] == "average"
    assert last["name"] == "Average S&P 500 member" and last["book"] == 0
    assert last["about"] == "Equal-weighted mean of the members"
    assert last["day0"] == "2025-01-27" and last["group"] == "" and last["sector"] == ""
    assert last["ret0_pct"] == pytest.approx(day0.mean() * 100, abs=1e-9)
    rows = table.set_index("ticker")
    panel = rows.loc[members["ticker"]]
    assert (panel["day0"] == "2025-01-27").all()
    assert (panel["kind"] == members.set_index("ticker")["kind"]).all()
    funds = panel.loc[panel["kind"] != "sp500"]
    assert (funds["group"] == "").all() and (funds["about"] == "Fund (ETF)").all()
    assert list(table["ticker"].iloc[:len(members)]) == sorted(members["ticker"])


    assert str(table["book"].dtype) == "int64" and last["industry"] == ""
    # the average member's path: the equal-weighted mean of the members' returns each session
    window = closes.loc["2025-01-08":"2025-02-25", sp500]
    daily = window.pct_change(fill_method=None).iloc[1:].mean(axis=1)
    average = ((1 + daily).cumprod() - 1) * 100
    assert np.allclose(last[days[1:]].dropna().to_numpy(float), average.round(1), atol=1e-9)
    # the book's group stays on its S&P 500 members and nowhere else in the panel
    from deepshock.data import facts
    universe = facts.universe().set_index("ticker")
    inside = [t for t in universe.index if t in set(members["ticker"])]
    for ticker in inside:
        kind = rows.at[ticker, "kind"]
        assert rows.at[ticker, "group"] == (universe.at[ticker, "group"] if kind == "sp500"
                                            else ""), ticker
    assert rows.at["NVDA", "group"] != ""
    others = panel.loc[~panel.index.isin(universe.index)]
    assert (others["group"] == "").all()
    # a series outside the panel: its first session on or after 27 January, in per cent
    from tests.conftest import raw_close
    seoul = raw_close("INDEX_KS11.csv").dropna()
    assert rows.at["^KS11", "day0"] == "2025-01-31"
    assert rows.at["^KS11", "ret0_pct"] == pytest.approx(
        (seoul.loc["2025-01-31"] / seoul.loc["2025-01-24"] - 1) * 100, abs=1e-9)
    book_series_outside_the_panel(table)


def book_series_outside_the_panel(table):
    from deepshock.data import facts
    from tests.conftest import SNAPSHOT
    universe = facts.universe().set_index("ticker")
    rows = table.set_index("ticker")
    members = set(pd.read_csv(SNAPSHOT / "panel" / "members.csv")["ticker"])
    outside = [t for t in universe.index if t not in members]
    assert list(table["ticker"].iloc[-len(outside) - 1:-1]) == outside
    book = rows.loc[outside]
    assert (book["name"] == universe.loc[outside, "name"]).all()
    assert (book["kind"] == universe.loc[outside, "kind"]).all()
    assert (book["group"] == universe.loc[outside, "group"]).all()
    assert (book["sector"] == "").all() and (book["industry"] == "").all()
    assert (book["book"] == 1).all()
    assert (book["about"] == [f"{g} · {explorer.KIND[k]}"[:39] + "…"
                              if len(f"{g} · {explorer.KIND[k]}") > 40 else
                              f"{g} · {explorer.KIND[k]}"
                              for g, k in zip(book["group"], book["kind"])]).all()
    dax = rows.loc["^GDAXI"]
    assert dax["about"] == "European indices · index" and dax["day0"] == "2025-01-27"
    assert rows.at["NVDA", "book"] == 1 and rows.at["A", "book"] == 0
    assert rows.at["A", "name"] == "Agilent Technologies"


def test_page_publishes_its_table_under_its_name_and_draws_from_the_url(snapshot):
    calls = []

    def publish(name: str, table: pd.DataFrame) -> str:
        calls.append((name, len(table)))
        return URL

    page = explorer.page(publish)
    assert [name for name, _ in calls] == ["fig-explorer"]
    assert calls[0][1] == len(page.table)
    assert page.chart.to_dict()["data"]["url"] == URL
    assert page.total == len(page.table) - 1 and page.members == explorer.ranked(page.table)
    explorer.page(publish, name="fig-other")
    assert calls[-1][0] == "fig-other"


def test_cumulative_names_at_most_five_gaps_and_about_keeps_long_industries():
    rets = pd.DataFrame({c: [0.0, np.nan] for c in "abcdefg"},
                        index=pd.to_datetime(["2025-01-02", "2025-01-03"]))
    with pytest.raises(ValueError) as raised:
        explorer._cumulative(rets)
    assert str(raised.value).endswith("['a', 'b', 'c', 'd', 'e']")
    long = "Abcdefghijklmnopqrstuvwxyz0123"                  # 30 characters, no short label
    row = pd.Series({"kind": "sp500", "sector": "X", "industry": long, "joined": pd.NaT,
                     "group": ""})
    assert explorer._about(row) == f"X · {long}"
