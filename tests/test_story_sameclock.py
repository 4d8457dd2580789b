"""The US market on the same clock as Tokyo (`story.sameclock`), on small made-up frames written
out here: the checkpoints of a made-up S&P 500 CFD (five-minute bars, levels by hand), the
weekend-gap rule, the path and its daily fallback, the session bands, the marks, the title,
the chart's axes, colours, tooltips and description, the same-hours table and the chapter's
sentences with and without intraday prices; and the published sentences on the data against the
raw minute file (`tests/oracle/asia.py`, plain pandas). Fast: no book, no kernel. Every fixture
is function-scoped (a module-scoped one would hide mutants)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from deepshock.data import intraday
from deepshock.story import sameclock
from tests.conftest import SNAPSHOT

T = pd.Timestamp
FIVE = pd.Timedelta("5min")
NEGATIVE, POSITIVE, NEUTRAL, MUTED = "#D55E00", "#0072B2", "#555555", "#BBBBBB"


def U(text: str) -> pd.Timestamp:
    return T(text, tz="UTC")


# --- a made-up CFD: five-minute bars, each close distinct -------------------------------------

def _cfd(*, first_low: bool = False, extra: list[tuple[str, float, float]] = ()) -> pd.DataFrame:
    """Bars starting Friday 20:00 to Friday 21:00 (the last starts at New York's close), then
    Sunday 23:00 to Tuesday 21:55 UTC; close = 6000 + (i % 97) / 2 + i / 1000, open = close - 1;
    a low of 5900 in the bar ending Monday 14:30 (New York's open), lower bars after it (5800,
    ending 14:35) and at Friday 21:00 (5700, before the weekend), and with `first_low` the first
    bar after the weekend lowest of the morning (5850)."""
    starts = list(pd.date_range(U("2025-01-24 20:00"), U("2025-01-24 21:00"), freq=FIVE))
    starts += list(pd.date_range(U("2025-01-26 23:00"), U("2025-01-28 21:55"), freq=FIVE))
    starts += [U(t) for t, _, _ in extra]
    i = np.arange(len(starts))
    close = 6000 + (i % 97) / 2 + i / 1000
    frame = pd.DataFrame({"ts": pd.DatetimeIndex(starts), "close": close})
    for t, o, c in extra:
        frame.loc[frame["ts"] == U(t), "close"] = c
    frame["open"] = frame["close"] - 1
    for t, o, c in extra:
        frame.loc[frame["ts"] == U(t), "open"] = o
    set_close = {"2025-01-27 14:25": 5900.0, "2025-01-27 14:30": 5800.0,
                 "2025-01-24 21:00": 5700.0}
    if first_low:
        set_close["2025-01-26 23:00"] = 5850.0
    for t, c in set_close.items():
        frame.loc[frame["ts"] == U(t), "close"] = c
    frame = frame.sort_values("ts", ignore_index=True)
    frame["end"] = frame["ts"] + FIVE
    for col in ("high", "low"):
        frame[col] = frame["close"]
    frame["volume"] = 0.0
    return frame[["ts", "end", "open", "high", "low", "close", "volume"]]


def _use(monkeypatch, frame: pd.DataFrame) -> pd.DataFrame:
    """Serve `frame` as the CFD's bars to `intraday.bars` and `intraday.level_at`."""
    def fake(name, root):
        assert name == "SPXUSD", name
        return frame
    monkeypatch.setattr(intraday, "_bars", fake)
    monkeypatch.setattr(sameclock.clock, "intraday_available", lambda: True)
    return frame


@pytest.fixture
def cfd(monkeypatch):
    return _use(monkeypatch, _cfd())


def _close(frame: pd.DataFrame, end: str) -> float:
    """The close of the bar ending at `end` (UTC)."""
    return float(frame.loc[frame["end"] == U(end), "close"].iloc[0])


ORDER = [("New York's Friday close", "2025-01-24 21:00"),
         ("first quote after the weekend", "2025-01-26 23:00"),
         ("Tokyo opened (Mon)", "2025-01-27 00:00"), ("Tokyo closed (Mon)", "2025-01-27 06:30"),
         ("Europe opened (Mon)", "2025-01-27 08:00"),
         ("low before New York opened", "2025-01-27 14:30"),
         ("New York opened (Mon)", "2025-01-27 14:30"), ("Europe closed (Mon)", "2025-01-27 16:30"),
         ("New York closed (Mon)", "2025-01-27 21:00"),
         ("Tokyo opened (Tue)", "2025-01-28 00:00"), ("Tokyo closed (Tue)", "2025-01-28 06:30"),
         ("Europe opened (Tue)", "2025-01-28 08:00"),
         ("New York opened (Tue)", "2025-01-28 14:30"), ("Europe closed (Tue)", "2025-01-28 16:30"),
         ("New York closed (Tue)", "2025-01-28 21:00")]


def test_checkpoints_every_row_by_hand(cfd):
    got = sameclock.checkpoints()
    assert list(got.columns) == ["label", "utc", "level", "pct"]
    assert list(got.index) == list(range(15))
    assert [(r.label, r.utc) for r in got.itertuples()] == [(lab, U(t)) for lab, t in ORDER]
    base = _close(cfd, "2025-01-24 21:00")
    first = cfd.loc[cfd["ts"] == U("2025-01-26 23:00")].iloc[0]
    want = {lab: _close(cfd, t) for lab, t in ORDER if lab != "first quote after the weekend"}
    want["first quote after the weekend"] = float(first["open"])   # its open, not its close
    want["low before New York opened"] = 5900.0
    for r in got.itertuples():
        assert r.level == want[r.label], r.label
        assert r.pct == pytest.approx((want[r.label] / base - 1) * 100, rel=1e-12), r.label
    assert got.at[0, "pct"] == 0.0
    assert float(first["open"]) != float(first["close"])


def test_the_low_may_be_the_first_quote_itself(monkeypatch):
    _use(monkeypatch, _cfd(first_low=True))
    got = sameclock.checkpoints().set_index("label")
    assert got.at["low before New York opened", "level"] == 5850.0
    assert got.at["low before New York opened", "utc"] == U("2025-01-26 23:05")   # its end


def test_the_weekend_gap_is_the_first_pause_over_an_hour(monkeypatch):
    # a 65-minute pause on Friday evening is the first gap over an hour: the "first quote" is
    # the bar after it
    frame = _cfd(extra=[("2025-01-24 22:10", 6010.0, 6011.0)])
    _use(monkeypatch, frame)
    got = sameclock.checkpoints().set_index("label")
    assert got.at["first quote after the weekend", "utc"] == U("2025-01-24 22:10")
    assert got.at["first quote after the weekend", "level"] == 6010.0
    # a pause of exactly an hour is no gap: the first after it that is longer
    frame = _cfd(extra=[("2025-01-24 22:00", 6020.0, 6021.0), ("2025-01-24 23:05", 6030.0, 6031.0)])
    _use(monkeypatch, frame)
    got = sameclock.checkpoints().set_index("label")
    assert got.at["first quote after the weekend", "utc"] == U("2025-01-24 23:05")
    assert got.at["first quote after the weekend", "level"] == 6030.0
    # no pause at all after Friday's close: a clear error
    flat = _cfd()
    flat = flat.loc[flat["ts"] >= U("2025-01-26 23:00")].reset_index(drop=True)
    friday = pd.DataFrame({"ts": [U("2025-01-24 20:55")], "end": [U("2025-01-24 21:00")],
                           "open": [1.0], "high": [1.0], "low": [1.0], "close": [1.0],
                           "volume": [0.0]})
    _use(monkeypatch, pd.concat([friday, flat], ignore_index=True))
    with pytest.raises(ValueError, match=r"^SPXUSD: no weekend gap after 2025-01-24 21:00 UTC$"):
        sameclock.checkpoints()


def test_path_every_five_minutes_from_the_reopening_to_tuesdays_close(cfd):
    with warnings.catch_warnings():
        warnings.simplefilter("error")    # no deprecated frequency alias (a future pandas fails)
        got = sameclock.path()
    base = _close(cfd, "2025-01-24 21:00")
    keep = cfd.loc[(cfd["ts"] >= U("2025-01-26 23:00")) & (cfd["end"] <= U("2025-01-28 21:00"))]
    assert list(got.columns) == ["utc", "level", "pct", "series"]
    assert list(got["utc"]) == list(keep["end"])
    assert got["utc"].iloc[0] == U("2025-01-26 23:05") and got["utc"].iloc[-1] == U("2025-01-28 21:00")
    np.testing.assert_array_equal(got["level"].to_numpy(), keep["close"].to_numpy())
    np.testing.assert_allclose(got["pct"], (keep["close"].to_numpy() / base - 1) * 100, rtol=1e-12)
    assert set(got["series"]) == {"S&P 500 CFD (bid)"}
    # a coarser step keeps the last close of each bin, labelled by the bin's right edge
    ten = sameclock.path("10min").set_index("utc")["level"]
    assert ten.index[0] == U("2025-01-26 23:10")
    assert ten[U("2025-01-26 23:10")] == _close(cfd, "2025-01-26 23:10")
    assert ten[U("2025-01-27 14:30")] == 5900.0
    assert len(ten) == (len(keep) + 1) // 2


def _daily(monkeypatch) -> pd.DataFrame:
    monkeypatch.setattr(sameclock.clock, "intraday_available", lambda: False)
    bars = pd.DataFrame({"date": pd.to_datetime(["2025-01-23", "2025-01-24", "2025-01-27",
                                                 "2025-01-28", "2025-01-29"]),
                         "open": [1.0, 2.0, 5900.0, 5950.0, 3.0],
                         "close": [9.0, 6000.0, 5970.0, 6030.0, 4.0]})
    monkeypatch.setattr(sameclock.load, "prices",
                        lambda t: bars if t == "^GSPC" else pytest.fail(t))
    return bars


def test_without_intraday_the_path_is_new_yorks_opens_and_closes(monkeypatch):
    _daily(monkeypatch)
    assert not sameclock.available()
    got = sameclock.path()
    assert list(got.columns) == ["utc", "level", "pct", "series"]
    assert list(got["utc"]) == [U("2025-01-24 21:00"), U("2025-01-27 14:30"),
                                U("2025-01-27 21:00"), U("2025-01-28 14:30"),
                                U("2025-01-28 21:00")]
    assert list(got["level"]) == [6000.0, 5900.0, 5970.0, 5950.0, 6030.0]
    np.testing.assert_allclose(got["pct"], [0.0, -5 / 3, -0.5, -5 / 6, 0.5], rtol=1e-12)
    assert set(got["series"]) == {"S&P 500 (opens, closes)"}
    marks = sameclock.marks()
    labels = ["New York opened (Mon)", "New York closed (Mon)", "New York opened (Tue)",
              "New York closed (Tue)"]
    assert list(marks["label"]) == labels and list(marks["tag"]) == labels
    assert list(marks["level"]) == [5900.0, 5970.0, 5950.0, 6030.0]
    assert sameclock.title(marks) == ("No intraday prices: the S&P 500 opened 1.7% down on "
                                      "Monday, after Tokyo had closed")


def test_bands_are_the_three_markets_sessions():
    got = sameclock.bands()
    assert list(got.columns) == ["market", "start", "end", "session"]
    assert [tuple(r) for r in got.itertuples(index=False)] == [
        ("Tokyo", U("2025-01-27 00:00"), U("2025-01-27 06:30"), "Tokyo, Mon 27 Jan"),
        ("Europe", U("2025-01-27 08:00"), U("2025-01-27 16:30"), "Europe, Mon 27 Jan"),
        ("New York", U("2025-01-27 14:30"), U("2025-01-27 21:00"), "New York, Mon 27 Jan"),
        ("Tokyo", U("2025-01-28 00:00"), U("2025-01-28 06:30"), "Tokyo, Tue 28 Jan"),
        ("Europe", U("2025-01-28 08:00"), U("2025-01-28 16:30"), "Europe, Tue 28 Jan"),
        ("New York", U("2025-01-28 14:30"), U("2025-01-28 21:00"), "New York, Tue 28 Jan")]


def test_a_closed_market_has_no_band(monkeypatch):
    real = sameclock.sessions.is_open
    monkeypatch.setattr(sameclock.sessions, "is_open",
                        lambda code, day: code != "XETR" and real(code, day))
    assert list(sameclock.bands()["market"]) == ["Tokyo", "New York"] * 2


def test_marks_are_the_reopening_and_tokyos_close(cfd):
    table = sameclock.checkpoints()
    got = sameclock.marks(table)
    assert list(got.index) == [0, 1]
    assert list(got["label"]) == ["first quote after the weekend", "Tokyo closed (Mon)"]
    assert list(got["tag"]) == ["reopened, Sun 23:00 UTC", "Tokyo's close, Mon 06:30 UTC"]
    pd.testing.assert_frame_equal(sameclock.marks(), got)
    # the table given, not a fresh one
    mine = table.assign(utc=table["utc"] + pd.Timedelta(hours=1), pct=-table["pct"])
    again = sameclock.marks(mine)
    assert list(again["tag"]) == ["reopened, Mon 00:00 UTC", "Tokyo's close, Mon 07:30 UTC"]
    assert list(again["pct"]) == list(-got["pct"])
    assert list(got.columns) == ["label", "utc", "level", "pct", "tag"]


def _points(first: float, tokyo: float) -> pd.DataFrame:
    return pd.DataFrame({"label": ["first quote after the weekend", "Tokyo closed (Mon)"],
                         "utc": [U("2025-01-26 23:00"), U("2025-01-27 06:30")],
                         "level": [5990.0, 5930.0], "pct": [first, tokyo],
                         "tag": ["reopened, Sun 23:00 UTC", "Tokyo's close, Mon 06:30 UTC"]})


def test_title_says_down_or_up_with_one_decimal():
    assert sameclock.title(_points(-0.16, -1.149)) == (
        "The US contract was 0.2% down before Tokyo opened, 1.1% down at Tokyo's close")
    assert sameclock.title(_points(0.25, 0.0)) == (
        "The US contract was 0.2% up before Tokyo opened, 0.0% up at Tokyo's close")
    daily = pd.DataFrame({"label": ["New York opened (Mon)", "x"], "pct": [0.36, -9.0]})
    assert sameclock.title(daily) == ("No intraday prices: the S&P 500 opened 0.4% up on Monday, "
                                      "after Tokyo had closed")


def _tips(enc: dict) -> list[tuple]:
    return [(t["field"], t["type"], t.get("title"), t.get("format")) for t in enc["tooltip"]]


TIP = [("utc", "temporal", "Time (UTC)", "%a %d %b %H:%M"),
       ("level", "quantitative", "Level", ",.1f"),
       ("pct", "quantitative", "Against Friday's close (%)", "+.1f")]


def _line() -> pd.DataFrame:
    return pd.DataFrame({"utc": [U("2025-01-26 23:05"), U("2025-01-27 06:30"),
                                 U("2025-01-28 21:00")], "level": [5990.0, 5930.0, 6010.0],
                         "pct": [-0.2, -1.1, 0.2], "series": "S&P 500 CFD (bid)"})


def test_chart_spec_intraday(cfd):
    spec = sameclock.chart(_line(), _points(-0.2, -1.1), sameclock.bands()).to_dict()
    band, names, zero, trace, dots, text = spec["layer"]
    data = spec["datasets"]
    assert spec["width"] == 600 and spec["height"] == 300
    assert spec["title"]["text"] == ("The US contract was 0.2% down before Tokyo opened, 1.1% down "
                                     "at Tokyo's close")
    assert spec["title"]["subtitle"] == [
        "Against New York's Friday close: five-minute closes of a contract for difference on "
        "the S&P 500 (bid quotes)", "Grey bands: Tokyo's, Europe's and New York's sessions",
        "Source: S&P 500 CFD one-minute bid quotes (HistData); exchange calendars"]
    assert spec["description"] == (
        "Line of the US market against New York's close of Friday 24 January 2025, from Sun "
        "23:05 to Tue 21:00 UTC, with Tokyo's, Europe's and New York's sessions as bands. "
        "first quote after the weekend: \u22120.2% at Sun 23:00 UTC; Tokyo closed (Mon): "
        "\u22121.1% at Mon 06:30 UTC.")
    assert spec["usermeta"]["narrow"] == {"drop": ["layer/1", "layer/5"], "set": {},
                                          "transpose": False,
                                          "note": "Tap a band for its session, a point for its moment"}
    # the bands: grey rectangles from each session's open to its close
    assert band["mark"] == {"type": "rect", "color": MUTED, "opacity": 0.35}
    assert band["encoding"]["x"] == {"field": "start", "type": "temporal"}
    assert band["encoding"]["x2"] == {"field": "end"}
    assert _tips(band["encoding"]) == [("session", "nominal", "Session", None),
                                       ("start", "temporal", "Opens (UTC)", "%a %H:%M"),
                                       ("end", "temporal", "Closes (UTC)", "%a %H:%M")]
    assert len(data[band["data"]["name"]]) == 6
    assert [r["market"] for r in data[names["data"]["name"]]] == ["Tokyo", "Europe",
                                                                  "New York"] * 2
    assert [r["level"] for r in data[trace["data"]["name"]]] == [5990.0, 5930.0, 6010.0]
    assert [r["tag"] for r in data[text["data"]["name"]]] == ["reopened, Sun 23:00 UTC",
                                                             "Tokyo's close, Mon 06:30 UTC"]
    assert names["mark"] == {"type": "text", "align": "left", "baseline": "top", "dx": 2,
                             "dy": 2, "fontSize": 9, "color": NEUTRAL, "angle": 0}
    assert names["encoding"] == {"x": {"field": "start", "type": "temporal"},
                                 "y": {"value": 0}, "text": {"field": "market", "type": "nominal"}}
    assert zero["mark"] == {"type": "rule", "color": NEUTRAL, "strokeDash": [4, 3]}
    assert zero["encoding"] == {"y": {"field": "pct", "type": "quantitative"}}
    assert data[zero["data"]["name"]] == [{"pct": 0.0}]
    # the line: time axis in UTC, percent against Friday's close
    assert trace["mark"] == {"type": "line", "color": "#222222", "strokeWidth": 1.2, "point": True}
    x, y = trace["encoding"]["x"], trace["encoding"]["y"]
    assert x == {"field": "utc", "type": "temporal", "title": "Time (UTC)",
                 "axis": {"format": "%a %H:%M", "tickCount": 8}}
    assert y == {"field": "pct", "type": "quantitative",
                 "title": "Against New York's Friday close (%)"}
    assert _tips(trace["encoding"]) == TIP
    # the points: orange where below Friday's close, blue above
    assert dots["mark"] == {"type": "point", "filled": True, "size": 60}
    assert dots["encoding"]["x"] == x and dots["encoding"]["y"] == y
    assert dots["encoding"]["color"] == {"field": "sign", "type": "nominal",
                                         "title": "Against Friday's close",
                                         "scale": {"domain": ["fell", "rose"],
                                                   "range": [NEGATIVE, POSITIVE]}}
    assert _tips(dots["encoding"]) == [("label", "nominal", "Moment", None), *TIP]
    assert [r["sign"] for r in data[dots["data"]["name"]]] == ["fell", "fell"]
    assert text["mark"] == {"type": "text", "align": "left", "dx": 6, "dy": 8, "fontSize": 9,
                            "color": "#222222"}
    assert text["encoding"] == {"x": x, "y": y, "text": {"field": "tag", "type": "nominal"}}
    signs = sameclock.chart(_line(), _points(0.0, 0.3), sameclock.bands()).to_dict()
    assert [r["sign"] for r in signs["datasets"][signs["layer"][4]["data"]["name"]]] == \
        ["rose", "rose"]


def test_chart_spec_daily_and_a_long_line(monkeypatch):
    _daily(monkeypatch)
    line = sameclock.path()
    spec = sameclock.chart(line, sameclock.marks(), sameclock.bands()).to_dict()
    assert spec["title"]["text"].startswith("No intraday prices: the S&P 500 opened 1.7% down")
    assert spec["title"]["subtitle"] == [
        "New York's opens and closes only: this edition has no intraday prices",
        "Grey bands: Tokyo's, Europe's and New York's sessions",
        "Source: Yahoo Finance daily opens and closes; exchange calendars"]
    assert spec["description"].startswith(
        "Line of the US market against New York's close of Friday 24 January 2025, from Fri "
        "21:00 to Tue 21:00 UTC")
    assert spec["layer"][3]["mark"]["point"] is True            # five points: drawn
    long = pd.DataFrame({"utc": pd.date_range(U("2025-01-27"), periods=20, freq="h"),
                         "level": 1.0, "pct": 0.0})
    spec = sameclock.chart(long, sameclock.marks(), sameclock.bands()).to_dict()
    assert spec["layer"][3]["mark"]["point"] is False           # twenty: a plain line
    short = long.iloc[:19]
    spec = sameclock.chart(short, sameclock.marks(), sameclock.bands()).to_dict()
    assert spec["layer"][3]["mark"]["point"] is True


# --- the same-hours table --------------------------------------------------------------------

def _leads(ticker: str) -> pd.DataFrame:
    """Made-up `clock.leads` rows: Europe (XETR) with no full New York session in its window,
    Shanghai opening with Hong Kong but closing before it, no New York session before Shanghai's
    Tuesday."""
    hours = {"^N225": ("00:00", "06:30"), "^HSI": ("01:30", "08:00"),
             "000001.SS": ("01:30", "07:00"), "^STOXX": ("08:00", "16:30")}[ticker]
    return pd.DataFrame({
        "date": pd.to_datetime(["2025-01-24", "2025-01-27", "2025-01-28"]),
        "open_utc": [U(f"2025-01-{d} {hours[0]}") for d in (24, 27, 28)],
        "close_utc": [U(f"2025-01-{d} {hours[1]}") for d in (24, 27, 28)],
        "ny_sessions": [1.0, 1.0, 1.0 if ticker != "000001.SS" else 0.0],
        "ny_last": pd.to_datetime(["2025-01-23", "2025-01-24", "2025-01-27"]),
        "cc_^GSPC": [0.5, 0.01 + len(ticker) / 1000, -0.0146],
        "oc_^GSPC": [0.5, 0.0 if ticker == "^STOXX" else 0.002, -0.01]})


def _intra(ticker: str, dates) -> pd.DataFrame:
    dates = pd.DatetimeIndex(dates)
    return pd.DataFrame({"date": dates, "id_^GSPC": [-0.005 * (i + 1) for i in range(len(dates))],
                         "same_hours": [-0.001 - len(ticker) / 10**4, 0.002][:len(dates)]})


def test_same_hours_rows_from_the_clock(monkeypatch):
    monkeypatch.setattr(sameclock.clock, "leads", _leads)
    monkeypatch.setattr(sameclock.clock, "intraday_leads", _intra)
    monkeypatch.setattr(sameclock.clock, "intraday_available", lambda: True)
    got = sameclock.same_hours()
    assert list(got.columns) == ["market", "ticker", "date", "open_utc", "close_utc",
                                 "ny_sessions", "ny_last", "cc", "oc", "window", "same_hours"]
    assert list(got.index) == list(range(8))
    assert list(zip(got["market"], got["date"])) == [
        ("Tokyo", T("2025-01-27")), ("Shanghai", T("2025-01-27")), ("Hong Kong", T("2025-01-27")),
        ("Europe", T("2025-01-27")), ("Tokyo", T("2025-01-28")), ("Shanghai", T("2025-01-28")),
        ("Hong Kong", T("2025-01-28")), ("Europe", T("2025-01-28"))]
    tokyo = got.loc[(got["market"] == "Tokyo")].set_index("date")
    assert tokyo.at[T("2025-01-27"), "ticker"] == "^N225"
    assert tokyo.at[T("2025-01-27"), "cc"] == pytest.approx(0.015)
    assert tokyo.at[T("2025-01-27"), "oc"] == 0.002
    assert tokyo.at[T("2025-01-28"), "cc"] == -0.0146
    assert tokyo.at[T("2025-01-27"), "window"] == -0.005
    assert tokyo.at[T("2025-01-28"), "window"] == -0.01
    assert tokyo.at[T("2025-01-27"), "same_hours"] == pytest.approx(-0.0015)
    assert tokyo.at[T("2025-01-28"), "same_hours"] == 0.002
    assert tokyo.at[T("2025-01-27"), "ny_last"] == T("2025-01-24")
    assert tokyo.at[T("2025-01-27"), "open_utc"] == U("2025-01-27 00:00")
    assert tokyo.at[T("2025-01-27"), "close_utc"] == U("2025-01-27 06:30")
    assert got["ny_sessions"].map(type).eq(int).all()
    assert list(got["ny_sessions"]) == [1, 1, 1, 1, 1, 0, 1, 1]
    assert list(got["ticker"].iloc[:4]) == ["^N225", "000001.SS", "^HSI", "^STOXX"]


def test_same_hours_without_intraday_leaves_the_contract_empty(monkeypatch):
    monkeypatch.setattr(sameclock.clock, "leads", _leads)
    monkeypatch.setattr(sameclock.clock, "intraday_leads", lambda *a: pytest.fail("no bars"))
    monkeypatch.setattr(sameclock.clock, "intraday_available", lambda: False)
    got = sameclock.same_hours()
    assert len(got) == 8 and got["window"].isna().all() and got["same_hours"].isna().all()
    assert got["cc"].notna().all()


def test_same_hours_table_cells(monkeypatch):
    table = pd.DataFrame({
        "market": ["Tokyo", "Europe", "Shanghai"],
        "open_utc": [U("2025-01-27 00:00"), U("2025-01-27 08:00"), U("2025-01-28 01:30")],
        "close_utc": [U("2025-01-27 06:30"), U("2025-01-27 16:30"), U("2025-01-28 07:00")],
        "ny_sessions": [1, 1, 0], "ny_last": [T("2025-01-24"), T("2025-01-24"), pd.NaT],
        "cc": [0.0029, -0.00005, 0.0], "oc": [-0.0104, 0.0, 0.0],
        "window": [-0.0049, np.nan, 0.0], "same_hours": [-0.0061, 0.00251, np.nan]})
    got = sameclock.same_hours_table(table)
    assert list(got.columns) == ["Market, session (UTC)", "New York session in the lead",
                                 "S&P 500, close to close", "S&P 500, open to close",
                                 "Index contract, lead window", "Index contract, same hours"]
    assert got.to_dict("list") == {
        "Market, session (UTC)": ["Tokyo, Mon 00:00–06:30", "Europe, Mon 08:00–16:30",
                                  "Shanghai, Tue 01:30–07:00"],
        "New York session in the lead": ["Fri 24 Jan", "Fri 24 Jan", "none"],
        "S&P 500, close to close": ["+0.3%", "-0.0%", "+0.0%"],
        "S&P 500, open to close": ["-1.0%", "none (no full session)", "none (no full session)"],
        "Index contract, lead window": ["-0.5%", "–", "+0.0%"],
        "Index contract, same hours": ["-0.6%", "+0.3%", "–"]}


# --- the chapter's sentences -------------------------------------------------------------------

def _table(first_utc: str, first: float, tk_open: float, tk_close: float, low: float,
           low_utc: str = "2025-01-27 14:25") -> pd.DataFrame:
    return pd.DataFrame({"label": ["New York's Friday close", "first quote after the weekend",
                                   "Tokyo opened (Mon)", "Tokyo closed (Mon)",
                                   "low before New York opened"],
                         "utc": [U("2025-01-24 21:00"), U(first_utc), U("2025-01-27 00:00"),
                                 U("2025-01-27 06:30"), U(low_utc)],
                         "level": [6000.0, 5990.0, 5980.0, 5930.0, 5900.0],
                         "pct": [0.0, first, tk_open, tk_close, low]})


def test_words_with_intraday_prices(monkeypatch):
    monkeypatch.setattr(sameclock.clock, "intraday_available", lambda: True)
    monkeypatch.setattr(sameclock, "checkpoints",
                        lambda: _table("2025-01-26 23:00", -0.16, -0.35, -1.149, -2.04))
    got = sameclock.words()
    assert set(got) == {"sc_first", "sc_tokyo", "sc_cannot", "sc_verdict", "sc_intro"}
    assert got["sc_first"] == (
        "The first price in these data to move after the weekend was the US index contract's: "
        "its first quote, at 23:00 UTC on Sunday (18:00 in New York), an hour before Tokyo "
        "opened, was 0.2% below New York's Friday close.")
    assert got["sc_tokyo"] == (
        "During Tokyo's Monday session it fell from 0.3% below Friday's close to 1.1% below, "
        "and it kept going through Europe's morning, to a low 2.0% below at 14:25 UTC, before "
        "New York opened.")
    assert got["sc_verdict"] == (
        "Tokyo was the first stock exchange to trade on the weekend's news, but not the first "
        "market to move: the US index contract was lower before Tokyo opened.")
    assert got["sc_intro"] == ("US index contracts had already slipped when they reopened on "
                               "Sunday evening, an hour earlier")
    assert got["sc_cannot"] == (
        "What these prices cannot show matters as much. The intraday data hold no Japanese "
        "prices, so they cannot say when during its session Tokyo fell, nor whether Tokyo's "
        "traders led the US contract or followed it; they hold no chip-index futures, so the "
        "chip stocks' overnight moves in New York are unknown; and the contract is a bid quote "
        "of a contract for difference on the index, not the index or its future: it shows "
        "timing and direction, while daily sizes come from the index itself.")
    # two hours ahead, and it rose during Tokyo's session
    monkeypatch.setattr(sameclock, "checkpoints",
                        lambda: _table("2025-01-26 22:00", -0.1, -0.5, 0.2, -0.6))
    got = sameclock.words()
    assert "22:00 UTC on Sunday (17:00 in New York), 2 hours before Tokyo opened" in got["sc_first"]
    assert got["sc_tokyo"].startswith("During Tokyo's Monday session it rose from 0.5% below "
                                      "Friday's close to 0.2% above,")
    assert got["sc_intro"] == ("US index contracts had already slipped when they reopened on "
                               "Sunday evening")
    # the contract had not fallen
    monkeypatch.setattr(sameclock, "checkpoints",
                        lambda: _table("2025-01-26 23:00", 0.0, 0.1, 0.1, -0.2))
    got = sameclock.words()
    assert "was 0.0% above New York's Friday close." in got["sc_first"]
    assert got["sc_tokyo"].startswith("During Tokyo's Monday session it rose from 0.1% above")
    assert got["sc_verdict"].endswith("but the US index contract had not fallen before Tokyo "
                                      "opened.")
    assert got["sc_intro"] == "US index contracts had not fallen when they reopened on Sunday evening"
    # a lead of 1.4 hours rounds to one hour; 0.6 hours rounds to one too
    for when in ("2025-01-26 22:36", "2025-01-26 23:24"):
        monkeypatch.setattr(sameclock, "checkpoints",
                            lambda when=when: _table(when, -0.1, -0.5, -0.6, -0.7))
        assert ", an hour before Tokyo opened" in sameclock.words()["sc_first"]
        assert sameclock.words()["sc_intro"].endswith(", an hour earlier")


def test_words_without_intraday_prices(monkeypatch):
    monkeypatch.setattr(sameclock.clock, "intraday_available", lambda: False)
    monkeypatch.setattr(sameclock, "checkpoints", lambda: pytest.fail("no intraday prices"))
    got = sameclock.words()
    assert got == {
        "sc_first": ("Which market moved first cannot be said here: this edition was built "
                     "without intraday prices (Yahoo Finance serves no minute bars for 2025; "
                     "they come with the book's data files). Of the exchanges, Tokyo traded "
                     "first; New York's index did not trade until Tokyo had closed."),
        "sc_tokyo": "What the US market did during Tokyo's session is not in the daily data.",
        "sc_cannot": ("The US index contract's minute quotes would show when the US market "
                      "moved; even they would not show when during its session Tokyo fell "
                      "(there are no Japanese intraday prices) or the chip stocks' overnight "
                      "moves (there are no chip-index futures)."),
        "sc_verdict": ("Tokyo was the first exchange to trade; whether it moved first is not "
                       "known from daily prices."),
        "sc_intro": ("this edition has no intraday prices to say whether US index contracts "
                     "moved before it")}


# --- the published sentences on the data --------------------------------------------------------

@pytest.fixture
def raw_cfd(snapshot):
    if not (SNAPSHOT / "intraday").is_dir() or not sameclock.available():
        pytest.skip("no intraday prices in this cache")
    from tests.oracle import asia
    return asia


def test_published_words_against_the_raw_minute_file(raw_cfd):
    asia = raw_cfd
    bars = asia.cfd()
    base, first = asia.reopening()
    reopen = float(first["open"]) / base - 1
    tokyo_open = asia.level_at(bars, asia.utc("XTKS", "open", T("2025-01-27"))) / base - 1
    tokyo_close = asia.level_at(bars, asia.utc("XTKS", "close", T("2025-01-27"))) / base - 1
    ny_open = asia.utc("XNYS", "open", T("2025-01-27"))
    morning = bars.loc[(bars["start"] >= first["start"])
                       & (bars["end"] <= ny_open)]
    low = morning.loc[morning["close"].idxmin()]

    def side(x: float) -> str:
        return f"{abs(x) * 100:.1f}% {'below' if x < 0 else 'above'}"
    start = pd.Timestamp(first["start"]).tz_localize("UTC")
    lead = round((asia.utc("XTKS", "open", T("2025-01-27")) - first["start"])
                 / pd.Timedelta(hours=1))
    got = sameclock.words()
    assert got["sc_first"] == (
        f"The first price in these data to move after the weekend was the US index contract's: "
        f"its first quote, at {start:%H:%M} UTC on {start:%A} "
        f"({start.tz_convert('America/New_York'):%H:%M} in New York), "
        f"{'an hour' if lead == 1 else f'{lead} hours'} before Tokyo opened, was {side(reopen)} "
        "New York's Friday close.")
    assert got["sc_tokyo"] == (
        f"During Tokyo's Monday session it {'fell' if tokyo_close < tokyo_open else 'rose'} from "
        f"{side(tokyo_open)} Friday's close to {side(tokyo_close)}, and it kept going through "
        f"Europe's morning, to a low {side(low['close'] / base - 1)} at "
        f"{pd.Timestamp(low['end']):%H:%M} UTC, before New York opened.")
    assert got["sc_intro"].startswith("US index contracts had already slipped") == (reopen < 0)
