"""Nvidia's record day (`story.nvidia`): the day's move and market value, the next session, the
volume against its usual level, the events on the chart and the price chart on small made-up
frames written out here (expected values by hand), and the chapter's numbers, tables and chart
titles on the data against an oracle from the raw snapshot files and the committed facts in
plain pandas (`tests/oracle/`). Fast: no book, no kernel."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from deepshock.story import nvidia
from tests.oracle import raw, records as records_oracle, us as us_oracle  # noqa: F401
from tests.oracle.raw import SHOCK, bn, day, fall
from tests.oracle.registry import ORACLE, TABLES, title_text

T = pd.Timestamp
NEXT = T("2025-01-28")
ORANGE, BLUE, GREY = "#D55E00", "#0072B2", "#555555"
M = "\u2212"


# --- the record day on a made-up series ---------------------------------------------------------

def _rets(calls: list) -> SimpleNamespace:
    frame = pd.DataFrame({
        "date": pd.to_datetime(["2025-03-03", "2025-03-04", "2025-03-05", "2025-03-06"]),
        "prev_date": pd.to_datetime(["2025-02-28", "2025-03-03", "2025-03-04", "2025-03-05"]),
        "prev_close": [90.0, 100.0, 80.0, 90.0],
        "close": [100.0, 80.0, 90.0, 99.0],
        "ret": [1 / 9, -0.2, 0.125, 0.1]})

    def returns(ticker):
        calls.append(("returns", ticker))
        return frame.copy()

    return SimpleNamespace(returns=returns)


def _counts(calls: list, row: pd.Series | None) -> SimpleNamespace:
    def for_day(ticker, date):
        calls.append(("for_day", ticker, date))
        return row

    return SimpleNamespace(for_day=for_day)


COUNT = pd.Series({"shares": 2e9, "as_of": T("2025-01-15"), "source": "10-Q cover",
                   "grade": "B"})


def test_record_day_on_a_made_up_series(monkeypatch):
    calls: list = []
    monkeypatch.setattr(nvidia, "load", _rets(calls))
    monkeypatch.setattr(nvidia, "sharecounts", _counts(calls, COUNT))
    rec = nvidia.record_day("XYZ", T("2025-03-04"))
    assert calls == [("returns", "XYZ"), ("for_day", "XYZ", T("2025-03-04"))]
    assert rec == nvidia.RecordDay(
        prev_date=T("2025-03-03"), prev_close=100.0, close=80.0, ret=-0.2, shares=2e9,
        shares_as_of=T("2025-01-15"), shares_source="10-Q cover; as of 2025-01-15, grade B",
        value_lost=4e10, rebound_date=T("2025-03-05"), rebound_close=90.0, rebound_ret=0.125,
        value_regained=2e10, date=T("2025-03-04"))
    assert isinstance(rec.date, pd.Timestamp) and isinstance(rec.rebound_date, pd.Timestamp)
    for name in ("prev_close", "close", "ret", "shares", "value_lost", "rebound_close",
                 "rebound_ret", "value_regained"):
        assert type(getattr(rec, name)) is float, name
    # a date given as text is stored as a Timestamp
    assert nvidia.record_day("XYZ", "2025-03-05").date == T("2025-03-05")
    assert nvidia.record_day("XYZ", "2025-03-05").rebound_date == T("2025-03-06")


def test_record_day_defaults_to_nvidia_on_day_0(monkeypatch):
    calls: list = []
    monkeypatch.setattr(nvidia, "load", _rets(calls))
    monkeypatch.setattr(nvidia, "sharecounts", _counts(calls, COUNT))
    with pytest.raises(KeyError):   # day 0 is not in the made-up series
        nvidia.record_day()
    assert calls == [("returns", "NVDA")]
    assert nvidia.SHOCK == SHOCK and nvidia.RecordDay.__dataclass_fields__["date"].default == SHOCK


def test_record_day_without_a_share_count_names_the_ticker_and_day(monkeypatch):
    calls: list = []
    monkeypatch.setattr(nvidia, "load", _rets(calls))
    monkeypatch.setattr(nvidia, "sharecounts", _counts(calls, None))
    with pytest.raises(ValueError) as err:
        nvidia.record_day("XYZ", T("2025-03-04"))
    assert str(err.value) == "XYZ: no share count dated at or before 2025-03-04"


# --- the price window and the events on a made-up series ----------------------------------------

def test_price_window_rounds_and_keeps_the_chart_columns(monkeypatch):
    calls: list = []
    monkeypatch.setattr(nvidia, "load", _rets(calls))
    got = nvidia.price_window("XYZ", "2025-03-04", "2025-03-05")
    assert calls == [("returns", "XYZ")]
    assert list(got.columns) == ["date", "close", "ret_pct"]
    assert list(got.index) == [0, 1]
    assert got.to_dict("list") == {"date": [T("2025-03-04"), T("2025-03-05")],
                                   "close": [80.0, 90.0], "ret_pct": [-20.0, 12.5]}
    got = nvidia.price_window("XYZ", "2025-03-01", "2025-03-03")
    assert got.to_dict("list") == {"date": [T("2025-03-03")], "close": [100.0],
                                   "ret_pct": [11.11]}


def test_price_window_rounds_closes_to_cents(monkeypatch):
    frame = pd.DataFrame({"date": pd.to_datetime(["2025-03-03", "2025-03-04"]),
                          "close": [100.123456, 80.456], "ret": [0.0123456, -0.19644]})
    monkeypatch.setattr(nvidia, "load", SimpleNamespace(returns=lambda ticker: frame))
    got = nvidia.price_window("XYZ", "2025-03-03", "2025-03-04")
    assert got["close"].tolist() == [100.12, 80.46]
    assert got["ret_pct"].tolist() == [1.23, -19.64]


EVENTS = pd.DataFrame({
    "date": pd.to_datetime(["2025-03-01", "2025-03-03", "2025-03-03", "2025-03-04", "2025-03-05",
                            "2025-03-06", "2025-03-09"]),
    "label": ["Before", "R9", "R9 again", "Tokyo", "Crash", "Later", "After"],
    "place": ["Online", "Online", "New York", "Tokyo", "New York", "Online", "Online"],
    "description": list("abcdefg"), "source": list("ABCDEFG"), "extra": list("1234567")})


def test_event_marks_in_the_window_one_per_date(monkeypatch):
    monkeypatch.setattr(nvidia, "facts", SimpleNamespace(events=lambda: EVENTS.copy()))
    got = nvidia.event_marks(T("2025-03-03"), T("2025-03-06"))
    assert list(got.columns) == ["date", "label", "place", "description", "source"]
    assert got["label"].tolist() == ["R9", "Crash", "Later"]
    assert list(got.index) == [1, 4, 5]
    got = nvidia.event_marks(T("2025-03-01"), T("2025-03-09"), places=("Tokyo", "New York"))
    assert got["label"].tolist() == ["R9 again", "Tokyo", "Crash"]


def test_event_marks_on_the_data(snapshot):
    events = pd.read_csv(raw.DATA / "events.csv", parse_dates=["date"])
    start, end = T("2025-01-02"), T("2025-02-12")
    want = events.loc[(events["date"] >= start) & (events["date"] <= end)
                      & events["place"].isin(["Online", "New York"])]
    want = want.loc[~want["date"].duplicated()]
    got = nvidia.event_marks(start, end)
    assert got["label"].tolist() == want["label"].tolist()
    assert got["date"].tolist() == want["date"].tolist()
    assert got["description"].tolist() == want["description"].tolist()
    assert len(got) >= 3


def test_price_window_on_the_data(snapshot):
    r = raw.rets("NVDA")
    at = r.index.get_loc(SHOCK)
    sessions = r.iloc[at - 15:at + 15]
    got = nvidia.price_window()
    assert got["date"].tolist() == list(sessions.index)
    assert got["close"].to_numpy() == pytest.approx(
        raw.close("NVDA").loc[sessions.index].round(2).to_numpy(), abs=1e-9)
    assert got["ret_pct"].to_numpy() == pytest.approx((sessions * 100).round(2).to_numpy(),
                                                      abs=1e-9)


# --- the volume on a made-up series -------------------------------------------------------------

def _volumes(volumes: list[float]) -> SimpleNamespace:
    frame = pd.DataFrame({"date": pd.bdate_range("2025-03-03", periods=len(volumes)),
                          "volume": volumes, "close": 1.0})
    return SimpleNamespace(prices=lambda ticker: frame if ticker == "XYZ" else None)


def test_volume_day_against_the_median_of_the_sessions_before(monkeypatch):
    # 3 Mar .. 10 Mar; the day is Mon 10 Mar (position 5); the 3 sessions before: 40, 10, 30
    monkeypatch.setattr(nvidia, "load", _volumes([99.0, 5.0, 40.0, 10.0, 30.0, 120.0, 7.0]))
    got = nvidia.volume_day("XYZ", T("2025-03-10"), sessions=3)
    assert got == nvidia.VolumeDay(date=T("2025-03-10"), volume=120.0, usual=30.0, sessions=3,
                                   base_start=T("2025-03-05"), base_end=T("2025-03-07"),
                                   ratio=4.0)
    assert type(got.usual) is float and type(got.volume) is float
    got = nvidia.volume_day("XYZ", "2025-03-10", sessions=4)   # median of 5, 40, 10, 30: 20
    assert (got.usual, got.ratio, got.base_start, got.date) == (20.0, 6.0, T("2025-03-04"),
                                                                T("2025-03-10"))
    got = nvidia.volume_day("XYZ", T("2025-03-10"), sessions=5)   # all five before: 30
    assert (got.usual, got.base_start, got.base_end) == (30.0, T("2025-03-03"), T("2025-03-07"))


def test_volume_day_needs_the_full_base(monkeypatch):
    monkeypatch.setattr(nvidia, "load", _volumes([99.0, 5.0, 40.0, 10.0, 30.0, 120.0, 7.0]))
    with pytest.raises(ValueError) as err:
        nvidia.volume_day("XYZ", T("2025-03-10"), sessions=6)
    assert str(err.value) == "XYZ: fewer than 6 sessions before 2025-03-10"
    with pytest.raises(ValueError, match="fewer than 3 sessions"):
        nvidia.volume_day("XYZ", T("2025-03-05"), sessions=3)
    assert nvidia.volume_day("XYZ", T("2025-03-06"), sessions=3).usual == 40.0


def test_volume_day_defaults_on_the_data(snapshot):
    vol = raw.bars("NVDA")["volume"]
    at = vol.index.get_loc(SHOCK)
    base = vol.iloc[at - 60:at]
    got = nvidia.volume_day()
    assert got == nvidia.VolumeDay(date=SHOCK, volume=float(vol.iloc[at]),
                                   usual=float(base.median()), sessions=60,
                                   base_start=base.index[0], base_end=base.index[-1],
                                   ratio=float(vol.iloc[at] / base.median()))


def test_billions():
    assert nvidia._bn(592_657_925_262.45) == "$592.7bn"
    assert nvidia._bn(17_960_000_000, 0) == "$18bn"
    assert nvidia._bn(1_234_567_000_000) == "$1,234.6bn"
    # divided by exactly 1e9: 1,000.0500005 rounds up (divided by 1e9 + 1 it would not)
    assert nvidia._bn(1_000_050_000_500) == "$1,000.1bn"


# --- the price chart on a made-up frame ---------------------------------------------------------

PRICES = pd.DataFrame({"date": pd.to_datetime(["2025-03-03", "2025-03-04", "2025-03-05"]),
                       "close": [100.0, 80.0, 90.0], "ret_pct": [1.5, -20.0, 12.5]})
MARKS = pd.DataFrame({"date": pd.to_datetime(["2025-03-03", "2025-03-04"]),
                      "label": ["R9", "Crash"], "place": ["Online", "New York"],
                      "description": ["a", "b"], "source": ["s", "t"]})


def _rec(**change) -> nvidia.RecordDay:
    fields = dict(prev_date=T("2025-03-03"), prev_close=100.0, close=80.0, ret=-0.2, shares=1e9,
                  shares_as_of=T("2025-01-01"), shares_source="x", value_lost=2e10,
                  rebound_date=T("2025-03-05"), rebound_close=90.0, rebound_ret=0.125,
                  value_regained=1e10, date=T("2025-03-04"))
    return nvidia.RecordDay(**(fields | change))


X = {"axis": {"format": "%d %b"}, "field": "date", "title": "Trading day (2025)",
     "type": "temporal"}
SIGN = {"condition": {"test": "datum.ret_pct < 0", "value": ORANGE}, "value": BLUE}
LABELS = {"type": "text", "align": "right", "angle": 270, "baseline": "bottom",
          "color": "#444444", "dx": -4, "dy": -2, "fontSize": 10}
LABEL_ENC = {"text": {"field": "label", "type": "nominal"},
             "x": {"field": "date", "type": "temporal"}, "y": {"value": 0}}


def _rows(spec: dict, layer: dict) -> list[dict]:
    return spec["datasets"][layer["data"]["name"]]


def test_price_chart_spec_on_a_made_up_frame():
    spec = nvidia.price_chart(PRICES, MARKS, _rec()).to_dict()
    rules, releases, markets, line, points, note = spec["layer"]
    assert spec["width"] == 600 and spec["height"] == 320
    # the events: dashed grey rules for all, labels split by place
    assert rules["mark"] == {"type": "rule", "color": "#777777", "strokeDash": [4, 3]}
    assert rules["encoding"] == {
        "x": {"field": "date", "type": "temporal"},
        "tooltip": [{"field": "date", "format": "%d %b %Y", "title": "Date", "type": "temporal"},
                    {"field": "label", "title": "Event", "type": "nominal"},
                    {"field": "description", "title": "What happened", "type": "nominal"}]}
    assert [r["label"] for r in _rows(spec, rules)] == ["R9", "Crash"]
    assert releases["mark"] == LABELS and markets["mark"] == LABELS
    assert releases["encoding"] == LABEL_ENC and markets["encoding"] == LABEL_ENC
    assert [r["label"] for r in _rows(spec, releases)] == ["R9"]
    assert [r["label"] for r in _rows(spec, markets)] == ["Crash"]
    # the close as a grey line, each session's move as an orange or blue triangle
    assert line["mark"] == {"type": "line", "color": GREY}
    assert line["encoding"] == {"x": X, "y": {"field": "close", "scale": {"zero": False},
                                              "title": "Closing price (US$)",
                                              "type": "quantitative"}}
    assert points["mark"] == {"type": "point", "filled": True, "size": 45}
    assert points["encoding"] == {
        "x": X, "y": {"field": "close", "type": "quantitative"}, "color": SIGN,
        "shape": {"condition": {"test": "datum.ret_pct < 0", "value": "triangle-down"},
                  "value": "triangle-up"},
        "tooltip": [{"field": "date", "format": "%a %d %b %Y", "title": "Date",
                     "type": "temporal"},
                    {"field": "close", "format": ".2f", "title": "Close (US$)",
                     "type": "quantitative"},
                    {"field": "move", "title": "Change on the day", "type": "nominal"}]}
    assert [(r["close"], r["ret_pct"], r["move"]) for r in _rows(spec, points)] == [
        (100.0, 1.5, "1.5%"), (80.0, -20.0, f"{M}20.0%"), (90.0, 12.5, "12.5%")]
    assert _rows(spec, line) == _rows(spec, points)
    # the shock day's fall written beside its mark
    assert note["mark"] == {"type": "text", "align": "right", "dx": -8, "dy": 4, "fontSize": 12,
                            "fontWeight": "bold"}
    assert note["encoding"] == {"x": X, "y": {"field": "close", "type": "quantitative"},
                                "text": {"field": "note", "type": "nominal"}, "color": SIGN}
    assert _rows(spec, note) == [{"date": "2025-03-04T00:00:00", "close": 80.0, "ret_pct": -20.0,
                                  "move": f"{M}20.0%", "note": f"{M}20.0% on 4 Mar"}]
    assert spec["title"] == {
        "text": "Nvidia fell 20.0% in one session on 4 March and won back only part of it the "
                "next day",
        "subtitle": ["Daily closing price; dashed lines mark DeepSeek's releases and market "
                     "events", "Source: Yahoo Finance daily closes; exchange calendars; "
                     "DeepSeek's releases as reported"]}
    assert spec["description"] == (
        "Line chart of Nvidia's daily closing price from 3 March to 5 March 2025. The price "
        "falls from 100.00 to 80.00 dollars on 4 March, a fall of 20.0%, then rebounds to "
        "90.00 the next day.")
    assert spec["usermeta"] == {"narrow": {
        "drop": ["layer/2"], "set": {}, "transpose": False,
        "note": "DeepSeek's releases labelled; tap a dashed line for its event"}}


def test_price_chart_title_when_the_next_day_wins_it_all_back():
    prices = PRICES.assign(close=[100.0, 80.0, 100.0], ret_pct=[1.5, -20.0, 25.0])
    spec = nvidia.price_chart(prices, MARKS, _rec(rebound_close=100.0, rebound_ret=0.25)
                              ).to_dict()
    assert spec["title"]["text"] == ("Nvidia fell 20.0% in one session on 4 March and won it all "
                                     "back the next day")
    assert spec["description"].endswith("then rebounds to 100.00 the next day.")
    spec = nvidia.price_chart(prices, MARKS, _rec(rebound_close=99.99)).to_dict()
    assert spec["title"]["text"].endswith("won back only part of it the next day")


def test_price_chart_note_for_a_rise_and_a_two_digit_day():
    prices = pd.DataFrame({"date": pd.to_datetime(["2025-03-11", "2025-03-12"]),
                           "close": [100.0, 104.56], "ret_pct": [0.0, 4.56]})
    spec = nvidia.price_chart(prices, MARKS, _rec(date=T("2025-03-12"), ret=0.0456,
                                                  prev_close=100.0, close=104.56)).to_dict()
    note = spec["layer"][5]
    assert [r["note"] for r in _rows(spec, note)] == ["4.6% on 12 Mar"]
    assert [r["move"] for r in _rows(spec, spec["layer"][4])] == ["0.0%", "4.6%"]
    assert spec["description"].startswith(
        "Line chart of Nvidia's daily closing price from 11 March to 12 March 2025. ")
    assert " on 12 March, " in spec["description"]


# --- the chapter on the data against the oracle -------------------------------------------------

@pytest.fixture(scope="module")
def chapter(snapshot):
    """The chapter computed here (not read from the store), so that every function it calls
    runs under test."""
    return nvidia.chapter.__wrapped__()


def _claim(key: str) -> float:
    claims = pd.read_csv(raw.DATA / "claims.csv")
    return float(claims.set_index("id").at[key, "claimed"])


def own_oracle() -> dict[str, str]:
    """The chapter's numbers the shared registry does not hold, from the raw files."""
    c, vol = raw.close("NVDA"), raw.bars("NVDA")["volume"]
    prev = c.index[c.index < SHOCK][-1]
    count = raw.share_row("NVDA")
    shares = float(count["shares"])
    at = vol.index.get_loc(SHOCK)
    base = vol.iloc[at - 60:at]
    return {
        "nv_ret": fall(raw.ret("NVDA", SHOCK)),
        "nv_prev_date": day(prev, weekday=True),
        "nv_prev_close": f"${c[prev]:,.2f}", "nv_close": f"${c[SHOCK]:,.2f}",
        "nv_shares": f"{shares / 1e9:,.2f} billion",
        "nv_press_loss": f"${_claim('nvda-loss'):,.0f}bn",
        "nv_shares_source": "the count on the cover of Nvidia's quarterly report, as of "
                            + day(count["as_of"]),
        "nv_rebound_date": day(NEXT, weekday=True),
        "nv_rebound_ret": f"{raw.ret('NVDA', NEXT) * 100:.1f}%",
        "nv_rebound_close": f"${c[NEXT]:,.2f}",
        "nv_regained": bn(shares * (c[NEXT] - c[SHOCK])),
        "nv_vol": f"{vol[SHOCK] / 1e6:,.1f} million",
        "nv_vol_usual": f"{base.median() / 1e6:,.1f} million",
        "nv_vol_sessions": "60", "nv_vol_ratio": f"{vol[SHOCK] / base.median():,.1f}",
        "nv_vol_from": day(base.index[0]), "nv_vol_to": day(base.index[-1]),
    }


def test_chapter_numbers_against_the_oracle(chapter):
    g = chapter.text
    want = own_oracle() | {k: f() for (p, k), f in ORACLE.items()
                           if p == "chapters/nvidia" and not k.startswith("fig-")}
    wrong = {k: (g.get(k), v) for k, v in want.items() if g.get(k) != v}
    assert not wrong, wrong
    tables = [k for p, k in TABLES if p == "chapters/nvidia"]
    assert sorted(tables) == ["nv_rank_table", "nv_rank_table_pct"]
    for key in tables:
        assert TABLES[("chapters/nvidia", key)](g[key]) == []
    assert set(g) == set(want) | set(tables)   # every published number is checked here


def test_chapter_numbers_as_published(chapter):
    """The headline figures as the book prints them (the oracle's values, written out)."""
    g = chapter.text
    assert (g["nv_ret"], g["nv_lost"], g["nv_prev_close"], g["nv_close"]) == (
        "17.0%", "$592.7bn", "$142.62", "$118.42")
    assert (g["nv_regained"], g["nv_regained_share"], g["nv_vol_ratio"]) == (
        "$258.9bn", "44%", "4.1")


def test_chapter_figures_against_the_oracle(chapter):
    figures = chapter.figures
    assert list(figures) == ["fig-nvda-price", "fig-nvda-records"]
    chart, window = figures["fig-nvda-price"]
    spec = chart.to_dict()
    assert title_text(spec) == ORACLE[("chapters/nvidia", "fig-nvda-price")]()
    r = raw.rets("NVDA")
    at = r.index.get_loc(SHOCK)
    assert window["date"].tolist() == list(r.index[at - 15:at + 15])
    drawn = spec["datasets"][spec["layer"][3]["data"]["name"]]
    assert len(drawn) == len(window) == 30
    events = pd.read_csv(raw.DATA / "events.csv", parse_dates=["date"])
    want = events.loc[events["date"].between(window["date"].min(), window["date"].max())
                      & events["place"].isin(["Online", "New York"])].drop_duplicates("date")
    ruled = spec["datasets"][spec["layer"][0]["data"]["name"]]
    assert [e["label"] for e in ruled] == want["label"].tolist()
    chart, data = figures["fig-nvda-records"]
    spec = chart.to_dict()
    assert title_text(spec) == ORACLE[("chapters/nvidia", "fig-nvda-records")]()
    assert len(spec["datasets"][next(iter(spec["datasets"]))]) == len(data)
    assert np.isfinite(data.select_dtypes("number").to_numpy(dtype=float)).any()
