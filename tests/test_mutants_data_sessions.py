"""Mutation guards for `deepshock.data.sessions` (issue 15): session dates, UTC hours and
statuses around the shock against hand-known calendar facts (US holidays and hours, the Lunar
New Year closures) or the `exchange_calendars` objects read directly."""

from __future__ import annotations

import exchange_calendars as xc
import pandas as pd
import pytest

from deepshock.data import sessions

day = pd.Timestamp


def utc(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC")


def test_calendar_spans_the_book():
    cal = sessions.calendar("XNYS")
    assert (cal.first_session, cal.last_session) == (day("2019-01-02"), day("2025-12-31"))


def test_code_of_a_ticker_and_of_fx():
    assert sessions.code("NVDA") == "XNYS" and sessions.code("2330.TW") == "XTAI"
    with pytest.raises(ValueError) as info:
        sessions.code("JPY=X")
    assert str(info.value) == "JPY=X has no exchange calendar (FX day labels are not sessions)"


def test_sessions_and_is_open():
    found = sessions.sessions("XNYS", "2025-01-17", "2025-01-22")
    assert list(found) == [day("2025-01-17"), day("2025-01-21"), day("2025-01-22")]
    assert found.freq is None and isinstance(found, pd.DatetimeIndex)
    assert sessions.is_open("XNYS", "2025-01-21") is True
    assert sessions.is_open("XNYS", "2025-01-20") is False  # Martin Luther King Jr. Day
    assert sessions.is_open("XKRX", day("2025-01-31")) is True


def test_first_and_last_sessions():
    assert sessions.first_session("XNYS", "2025-01-18") == day("2025-01-21")
    assert sessions.first_session("XNYS", "2025-01-21") == day("2025-01-21")
    assert sessions.last_session_before("XNYS", "2025-01-21") == day("2025-01-17")
    assert sessions.last_session_before("XNYS", "2025-01-22") == day("2025-01-21")
    assert sessions.last_session_before("XTAI", "2025-02-03") == day("2025-01-22")


def test_last_closed_before_is_strict_and_in_utc():
    # XNYS closes at 16:00 New York = 21:00 UTC in January
    assert sessions.last_closed_before("XNYS", utc("2025-01-21 21:00")) == day("2025-01-17")
    assert sessions.last_closed_before("XNYS", utc("2025-01-21 21:01")) == day("2025-01-21")
    assert sessions.last_closed_before("XNYS", utc("2025-01-22 03:00")) == day("2025-01-21")
    tokyo = pd.Timestamp("2025-01-22 05:59", tz="Asia/Tokyo")  # 20:59 UTC on the 21st
    assert sessions.last_closed_before("XNYS", tokyo) == day("2025-01-17")
    tokyo = pd.Timestamp("2025-01-22 06:01", tz="Asia/Tokyo")
    assert sessions.last_closed_before("XNYS", tokyo) == day("2025-01-21")


def test_closure():
    expected = pd.bdate_range("2025-01-27", "2025-01-30")  # Korea's Lunar New Year closure
    for date in ("2025-01-27", "2025-01-29", "2025-01-25"):
        assert list(sessions.closure("XKRX", date)) == list(expected), date
    assert list(sessions.closure("XTAI", "2025-01-24")) == list(
        pd.bdate_range("2025-01-23", "2025-01-31"))
    assert sessions.closure("XNYS", "2025-01-22").empty
    assert list(sessions.closure("XNYS", "2025-01-18")) == [day("2025-01-20")]


def test_open_and_close_in_utc():
    assert sessions.open_utc("XNYS", "2025-01-27") == utc("2025-01-27 14:30")
    assert sessions.close_utc("XNYS", "2025-01-27") == utc("2025-01-27 21:00")
    assert sessions.close_utc("XNYS", "2024-11-29") == utc("2024-11-29 18:00")  # early close
    assert str(sessions.open_utc("XTKS", "2025-01-27").tz) == "UTC"
    assert sessions.open_utc("XTKS", day("2025-01-27")) == utc("2025-01-27 00:00")


def test_early_close():
    assert sessions.is_early_close("XNYS", "2024-11-29") is True
    assert sessions.is_early_close("XNYS", "2025-01-27") is False
    assert sessions.is_early_close("XHKG", "2025-01-28") is True


def raw(code: str):
    return xc.get_calendar(code, start="2019-01-01", end="2025-12-31")


def test_trading_blocks():
    assert sessions.trading_blocks("XNYS", "2025-01-27") == [(utc("2025-01-27 14:30"),
                                                             utc("2025-01-27 21:00"))]
    for code, date in [("XTKS", "2025-01-27"), ("XHKG", "2025-01-27")]:
        cal, d = raw(code), day(date)
        assert sessions.trading_blocks(code, date) == [
            (cal.session_open(d), cal.session_break_start(d)),
            (cal.session_break_end(d), cal.session_close(d))]
    # Tokyo: 9:00-11:30 and 12:30-15:30 local
    assert sessions.trading_blocks("XTKS", "2025-01-27")[0][1] == utc("2025-01-27 02:30")
    assert sessions.trading_blocks("XTKS", "2025-01-27")[1][0] == utc("2025-01-27 03:30")
    # Hong Kong's Lunar New Year eve: a morning only, no break
    cal = raw("XHKG")
    assert sessions.trading_blocks("XHKG", "2025-01-28") == [
        (cal.session_open(day("2025-01-28")), cal.session_close(day("2025-01-28")))]
    assert sessions.trading_blocks("XKRX", "2025-01-31") == [(utc("2025-01-31 00:00"),
                                                             utc("2025-01-31 06:30"))]


def test_status():
    assert sessions.status("XNYS", "2025-01-27") == "open"
    assert sessions.status("XNYS", "2024-11-29") == "early close"
    assert sessions.status("XNYS", "2025-01-20") == "closed"
    assert sessions.status("XNYS", "2025-01-25") == "weekend"  # Saturday
    assert sessions.status("XNYS", "2025-01-26") == "weekend"  # Sunday
    assert sessions.status("XNYS", "2025-01-24") == "open"  # Friday


def test_grid():
    table = sessions.grid(["XNYS", "XSHG"], "2024-11-28", "2024-12-02")
    assert list(table.columns) == ["market", "city", "date", "status", "open_utc", "close_utc"]
    assert table.values.tolist() == [
        ["XNYS", "New York", day("2024-11-28"), "closed", "", ""],
        ["XNYS", "New York", day("2024-11-29"), "early close", "29 Nov 14:30", "29 Nov 18:00"],
        ["XNYS", "New York", day("2024-12-02"), "open", "02 Dec 14:30", "02 Dec 21:00"],
        ["XSHG", "XSHG", day("2024-11-28"), "open", "28 Nov 01:30", "28 Nov 07:00"],
        ["XSHG", "XSHG", day("2024-11-29"), "open", "29 Nov 01:30", "29 Nov 07:00"],
        ["XSHG", "XSHG", day("2024-12-02"), "open", "02 Dec 01:30", "02 Dec 07:00"]]
    assert sessions.grid(["XTKS"], "2025-01-27", "2025-01-27")["city"].tolist() == ["Tokyo"]


def test_disagreements():
    dates = pd.to_datetime(["2025-01-10", "2025-01-16", "2025-01-18", "2025-01-21",
                            "2025-01-23", "2025-02-10"])
    found = sessions.disagreements(dates, "XNYS", "2025-01-16", "2025-01-23")
    assert found == {"missing": [day("2025-01-17"), day("2025-01-22")],
                     "extra": [day("2025-01-18")]}
    edge = sessions.disagreements(pd.DatetimeIndex([]), "XNYS", "2025-01-17", "2025-01-17")
    assert edge == {"missing": [day("2025-01-17")], "extra": []}


def test_opens_and_closes_of_many_sessions():
    days = ["2025-01-24", "2025-01-27", "2024-11-29"]
    opens = sessions.opens_utc("XNYS", days)
    closes = sessions.closes_utc("XNYS", pd.DatetimeIndex(days))
    assert list(opens) == [utc("2025-01-24 14:30"), utc("2025-01-27 14:30"),
                           utc("2024-11-29 14:30")]
    assert list(closes) == [utc("2025-01-24 21:00"), utc("2025-01-27 21:00"),
                            utc("2024-11-29 18:00")]  # the day after Thanksgiving: 13:00 ET
    assert isinstance(opens, pd.DatetimeIndex) and str(opens.tz) == "UTC"
    assert opens.name is None and closes.name is None
    tokyo = sessions.opens_utc("XTKS", ["2025-01-27"])
    assert list(tokyo) == [utc("2025-01-27 00:00")]  # 9:00 Tokyo


def test_opens_of_days_that_are_not_sessions():
    with pytest.raises(ValueError) as info:
        sessions.opens_utc("XNYS", ["2025-01-24", "2025-01-25", "2025-01-26", "2025-01-20",
                                    "2025-01-19"])
    assert str(info.value) == "XNYS: not sessions: 2025-01-25, 2025-01-26, 2025-01-20"
    with pytest.raises(ValueError) as info:
        sessions.closes_utc("XKRX", ["2025-01-28"])
    assert str(info.value) == "XKRX: not sessions: 2025-01-28"


def test_last_closed_before_over_a_weekend_and_near_the_calendar_end():
    # Friday 22:00 UTC: the next calendar day is a Saturday, not a session
    assert sessions.last_closed_before("XNYS", utc("2025-01-24 22:00")) == day("2025-01-24")
    assert sessions.last_closed_before("XNYS", utc("2025-01-25 12:00")) == day("2025-01-24")
    # the book's calendars end on 2025-12-31: the evening before still resolves
    assert sessions.last_closed_before("XNYS", utc("2025-12-30 22:00")) == day("2025-12-30")


def test_times_of_the_calendars_first_session():
    assert list(sessions.opens_utc("XNYS", ["2019-01-02"])) == [utc("2019-01-02 14:30")]
    with pytest.raises(ValueError) as info:
        sessions.closes_utc("XNYS", ["2019-01-02", "2019-01-05"])
    assert str(info.value) == "XNYS: not sessions: 2019-01-05"
