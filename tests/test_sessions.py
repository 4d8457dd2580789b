"""Exchange sessions from the calendars, and their agreement with the snapshot's trading rows."""

import pandas as pd
import pytest

from deepshock.data import sessions
D = pd.Timestamp


def test_korea_closed_27_to_30_january_and_reopens_31st():
    for day in ["2025-01-27", "2025-01-28", "2025-01-29", "2025-01-30"]:
        assert not sessions.is_open("XKRX", day)
        assert sessions.status("XKRX", day) == "closed"
    assert sessions.is_open("XKRX", "2025-01-24")
    assert sessions.first_session("XKRX", "2025-01-27") == D("2025-01-31")
    assert list(sessions.closure("XKRX", "2025-01-27")) == list(pd.bdate_range("2025-01-27", "2025-01-30"))


def test_taiwan_last_session_22_january_reopens_3_february():
    assert sessions.first_session("XTAI", "2025-01-23") == D("2025-02-03")
    assert sessions.last_session_before("XTAI", "2025-02-03") == D("2025-01-22")
    assert list(sessions.sessions("XTAI", "2025-01-20", "2025-02-04")) == [
        D("2025-01-20"), D("2025-01-21"), D("2025-01-22"), D("2025-02-03"), D("2025-02-04")]


def test_tokyo_monday_closes_before_new_york_opens():
    tokyo_close = sessions.close_utc("XTKS", "2025-01-27")
    ny_open = sessions.open_utc("XNYS", "2025-01-27")
    assert tokyo_close < ny_open
    assert tokyo_close == pd.Timestamp("2025-01-27 06:30", tz="UTC")  # 15:30 JST since Nov 2024
    assert ny_open == pd.Timestamp("2025-01-27 14:30", tz="UTC")      # 09:30 EST
    # and Tokyo's Tuesday session opens after New York's Monday close
    assert sessions.open_utc("XTKS", "2025-01-28") > sessions.close_utc("XNYS", "2025-01-27")


def test_hong_kong_half_day_then_closed():
    assert sessions.is_early_close("XHKG", "2025-01-28")
    assert not sessions.is_early_close("XHKG", "2025-01-27")
    assert sessions.status("XHKG", "2025-01-28") == "early close"
    full = sessions.close_utc("XHKG", "2025-01-27") - sessions.open_utc("XHKG", "2025-01-27")
    half = sessions.close_utc("XHKG", "2025-01-28") - sessions.open_utc("XHKG", "2025-01-28")
    assert half < full
    assert len(sessions.trading_blocks("XHKG", "2025-01-28")) == 1  # no afternoon session
    assert len(sessions.trading_blocks("XHKG", "2025-01-27")) == 2  # lunch break
    assert [sessions.is_open("XHKG", d) for d in ["2025-01-29", "2025-01-30", "2025-01-31"]] == [False] * 3


def test_weekend_is_not_a_holiday():
    assert sessions.status("XNYS", "2025-01-25") == "weekend"
    assert sessions.status("XNYS", "2025-01-20") == "closed"  # Martin Luther King Jr. Day


def test_last_closed_before_uses_utc_order():
    taipei_close = sessions.close_utc("XTAI", "2025-01-22")
    # New York's 22 Jan session closes after Taipei's 22 Jan close; the 21st's closed before it
    assert sessions.last_closed_before("XNYS", taipei_close) == D("2025-01-21")


def test_fx_has_no_calendar():
    with pytest.raises(ValueError, match="no exchange calendar"):
        sessions.code("JPY=X")


FILES = {"XNYS": ["NVDA.csv", "INDEX_GSPC.csv"], "XTKS": ["6857.T.csv", "INDEX_N225.csv"],
         "XKRX": ["000660.KS.csv", "005930.KS.csv"], "XTAI": ["2330.TW.csv", "INDEX_TWII.csv"],
         "XHKG": ["INDEX_HSI.csv"], "XPAR": ["SU.PA.csv"]}


@pytest.mark.parametrize("market,file", [(m, f) for m, files in FILES.items() for f in files])
def test_calendar_agrees_with_snapshot_rows_around_the_event(snapshot, market, file):
    """Every session Dec 2024 - Mar 2025 has a row in the raw file and every row is a session."""
    raw = pd.read_csv(snapshot / "prices" / file, parse_dates=["date"])["date"]
    found = sessions.disagreements(pd.DatetimeIndex(raw), market, "2024-12-01", "2025-03-31")
    assert found == {"missing": [], "extra": []}


def test_disagreements_are_reported():
    rows = pd.DatetimeIndex(["2025-01-24", "2025-01-27", "2025-01-31"])  # made-up rows
    found = sessions.disagreements(rows, "XKRX", "2025-01-23", "2025-01-31")
    assert found == {"missing": [D("2025-01-23")], "extra": [D("2025-01-27")]}


def test_known_disagreement_outside_the_event(snapshot):
    """An unscheduled closure is not in the calendar: the Taipei file has no row for 31 Oct 2024
    (a typhoon day), which the calendar lists as a session."""
    raw = pd.read_csv(snapshot / "prices" / "2330.TW.csv", parse_dates=["date"])["date"]
    found = sessions.disagreements(pd.DatetimeIndex(raw), "XTAI", "2024-10-28", "2024-11-01")
    assert found == {"missing": [D("2024-10-31")], "extra": []}
