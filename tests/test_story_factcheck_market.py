"""The fact-check's measurements over more than one close (`story.factcheck.market`): a
session's intraday range, the worst session of a window and its month, whether a market led a
fall (first to open in UTC, largest fall), and closures from exchange calendars, each Finding
written out in full on small made-up evidence; and the published findings (Nikkei, Seoul,
Taipei, Shanghai) against the raw files and exchange calendars. Fast: no book, no kernel."""

from __future__ import annotations

import exchange_calendars as xcals
import numpy as np
import pandas as pd
import pytest

from deepshock.story.factcheck import market
from deepshock.story.factcheck.evidence import Evidence, Finding
from tests.oracle import raw

T = pd.Timestamp
MINUS = "\u2212"
PRICES = "Yahoo Finance daily closes"


def _ev(**kw) -> Evidence:
    empty = pd.DataFrame()
    base = dict(returns=empty, sessions=pd.DataFrame({"ticker": [], "date": []}), events=empty,
                records=empty, losses=empty)
    return Evidence(**(base | kw))


def _series(points: dict[str, float], ticker: str = "AAA") -> pd.DataFrame:
    dates = pd.to_datetime(list(points))
    return pd.DataFrame({"ticker": ticker, "date": dates, "prev_date": dates - pd.Timedelta(days=1),
                         "close": 1.0, "prev_close": 1.0, "ret": list(points.values())})


def test_markets():
    assert market.MARKETS == {"XKRX": "Seoul", "XTAI": "Taipei", "XSHG": "Shanghai",
                              "XSHE": "Shenzhen", "XHKG": "Hong Kong", "XTKS": "Tokyo",
                              "XNYS": "New York"}


# --- the intraday range ------------------------------------------------------------------------

def _row(prev=80.0, day="2025-01-28"):
    return pd.DataFrame({"date": [T(day)], "prev_close": [prev], "ret": [-0.1]})


BARS = pd.DataFrame({"ticker": ["BBB", "AAA", "AAA"],
                     "date": [T("2025-01-28"), T("2025-01-27"), T("2025-01-28")],
                     "high": [1.0, 2.0, 84.0], "low": [0.5, 1.0, 70.0]})


def test_range_of_a_tokyo_session():
    ev = _ev(bars=BARS, codes={"AAA": "XTKS"})
    assert market._range("AAA", _row(), ev) == (pytest.approx(-12.5), pytest.approx(5.0))
    low, high = market._range("AAA", _row(), ev)
    assert type(low) is float and type(high) is float


def test_no_range_without_bars_a_tokyo_code_or_the_sessions_bar():
    assert market._range("AAA", _row(), _ev(codes={"AAA": "XTKS"})) is None
    assert market._range("AAA", _row(), _ev(bars=BARS, codes={"AAA": "XNYS"})) is None
    assert market._range("AAA", _row(), _ev(bars=BARS)) is None
    assert market._range("AAA", _row(day="2025-01-29"), _ev(bars=BARS, codes={"AAA": "XTKS"})) is None
    assert market._range("CCC", _row(), _ev(bars=BARS, codes={"CCC": "XTKS"})) is None


# --- the worst session and its month ------------------------------------------------------------

def _claim(**values) -> pd.Series:
    base = {"id": "x", "claim": "made up", "subject": "AAA", "date": "2024-01-01..2024-12-31",
            "metric": "worst_day_month", "claimed": "2024-08", "unit": "", "precision": "",
            "tolerance": "", "caveat": "", "source": "test"}
    return pd.Series({**base, **values})


RETURNS = pd.concat([
    _series({"2023-12-29": -0.5, "2024-03-04": 0.10, "2024-08-05": -0.12345, "2024-10-01": -0.02,
             "2025-01-02": -0.6}),
    _series({"2024-06-03": -0.9}, "BBB")], ignore_index=True)


def test_worst_reads_the_subjects_window_both_ends_included():
    worst, start = market._worst(_claim(), _ev(returns=RETURNS))
    assert start == T("2024-01-01") and worst["date"] == T("2024-08-05")
    worst, _ = market._worst(_claim(date="2023-12-29..2024-12-31"), _ev(returns=RETURNS))
    assert worst["date"] == T("2023-12-29")
    worst, _ = market._worst(_claim(date="2024-01-01..2025-01-02"), _ev(returns=RETURNS))
    assert worst["date"] == T("2025-01-02")
    assert market._worst(_claim(subject="CCC"), _ev(returns=RETURNS))[0] is None


def test_worst_month_findings():
    ev = _ev(returns=RETURNS)
    assert market._worst_month(_claim(), ev) == Finding(
        None, f"worst 5 Aug 2024 ({MINUS}12.35%)", PRICES, "confirmed",
        "the worst session of 2024 is in the claimed month")
    assert market._worst_month(_claim(claimed="2024-03"), ev) == Finding(
        None, f"worst 5 Aug 2024 ({MINUS}12.35%)", PRICES, "wrong",
        "the worst session of 2024 is not in the claimed month")
    assert market._worst_month(_claim(claimed="2023-08"), ev).verdict == "wrong"
    assert market._worst_month(_claim(subject="CCC"), ev) == Finding(
        None, "no sessions", PRICES, "not supported", "no sessions in the window")


# --- led ---------------------------------------------------------------------------------------

OPENS = {"XTKS": "00:00", "XKRX": "00:00", "XTAI": "01:00", "XNYS": "13:30"}
CODES = {"^N225": "XTKS", "^KS11": "XKRX", "^TWII": "XTAI", "^GSPC": "XNYS"}


def _led_ev(rets: dict[str, float], indices=None, opens=OPENS) -> Evidence:
    frames = [_series({"2024-03-04": 0.01, "2024-08-05": r}, t) for t, r in rets.items()]
    frames.append(_series({"2024-08-05": -0.99}, "XXX"))          # not among the indices
    return _ev(returns=pd.concat(frames, ignore_index=True), codes=CODES | {"XXX": "XNYS"},
               indices=list(rets) if indices is None else indices,
               hours=lambda code, d: (T(f"{d:%Y-%m-%d} {opens[code]}", tz="UTC"),
                                      T(f"{d:%Y-%m-%d} 23:00", tz="UTC")),
               names={"^KS11": "KOSPI", "^N225": "Nikkei 225", "^TWII": "Taiex"})


def test_led_orders_by_opening_then_ticker():
    ev = _led_ev({"^GSPC": -0.03, "^N225": -0.12, "^TWII": -0.05, "^KS11": -0.09})
    got = market.led(T("2024-08-05"), "^N225", ev)
    at = lambda hm: T(f"2024-08-05 {hm}", tz="UTC")  # noqa: E731
    assert got == {"first": True, "largest": True, "ties": ["^KS11"],
                   "order": [("^KS11", at("00:00"), -0.09), ("^N225", at("00:00"), -0.12),
                             ("^TWII", at("01:00"), -0.05), ("^GSPC", at("13:30"), -0.03)],
                   "n": 4, "ret": -0.12}
    assert type(got["ret"]) is float
    later = market.led(T("2024-08-05"), "^TWII", ev)
    assert (later["first"], later["largest"], later["ties"]) == (False, False, [])
    tie = market.led(T("2024-08-05"), "^KS11", ev)
    assert tie["ties"] == ["^N225"] and tie["first"] and not tie["largest"]
    alone = market.led(T("2024-03-04"), "^GSPC", ev)
    assert alone["n"] == 4 and alone["largest"]                  # all rose 1%: a tie is largest


def test_led_meltdown_confirmed_with_a_tie_named():
    claim = _claim(metric="led_meltdown", subject="^N225")
    ev = _led_ev({"^N225": -0.12, "^KS11": -0.09, "^GSPC": -0.03})
    assert market._led_meltdown(claim, ev) == Finding(
        None, f"worst 5 Aug 2024 ({MINUS}12.00%)", f"{PRICES}; exchange calendars", "confirmed",
        "the month is right; on 5 Aug 2024 the Nikkei 225 opened first in UTC (with KOSPI at the "
        "same time) and fell most of the 3 markets trading that date")


def test_led_meltdown_consistent_when_one_fails():
    claim = _claim(metric="led_meltdown", subject="^N225")
    ev = _led_ev({"^N225": -0.12, "^KS11": -0.13, "^GSPC": -0.125, "^TWII": -0.01})
    got = market._led_meltdown(claim, ev)
    assert got.verdict == "consistent" and got.basis == f"{PRICES}; exchange calendars"
    assert got.reason == ("the month is right; on 5 Aug 2024 the Nikkei 225 opened first in UTC "
                          f"(with KOSPI at the same time) and did not fall most (KOSPI {MINUS}13.0%"
                          f", ^GSPC {MINUS}12.5%)")
    late = _led_ev({"^N225": -0.12, "^GSPC": -0.03}, opens=OPENS | {"XTKS": "14:00"})
    assert market._led_meltdown(claim, late).reason == (
        "the month is right; on 5 Aug 2024 the Nikkei 225 did not open first in UTC and fell "
        "most of the 2 markets trading that date")
    assert market._led_meltdown(claim, late).verdict == "consistent"


def test_led_meltdown_alone_unnamed_and_untestable():
    claim = _claim(metric="led_meltdown", subject="ZZZ")
    frames = _series({"2024-08-05": -0.2}, "ZZZ")
    ev = _ev(returns=frames, codes={"ZZZ": "XNYS"}, indices=["ZZZ"],
             hours=lambda code, d: (T("2024-08-05 13:30", tz="UTC"),) * 2)
    assert market._led_meltdown(claim, ev).reason == (
        "the month is right; on 5 Aug 2024 the ZZZ opened first in UTC and fell most of the 1 "
        "markets trading that date; no other market traded")
    assert market._led_meltdown(claim, ev).verdict == "confirmed"
    for untestable in (_ev(returns=frames, indices=["ZZZ"]),
                       _ev(returns=frames, hours=ev.hours)):
        assert market._led_meltdown(claim, untestable) == Finding(
            None, f"worst 5 Aug 2024 ({MINUS}20.00%)", PRICES, "consistent",
            "the month is right; no other markets to test 'led' against")
    assert market._led_meltdown(claim.copy().replace({"2024-08": "2024-09"}), ev) == Finding(
        None, f"worst 5 Aug 2024 ({MINUS}20.00%)", PRICES, "wrong",
        "the worst session of 2024 is not in the claimed month")
    assert market._led_meltdown(_claim(metric="led_meltdown", subject="NONE"), ev) == Finding(
        None, "no sessions", PRICES, "not supported", "no sessions in the window")


# --- closures ----------------------------------------------------------------------------------

def _calendar(sessions: dict[str, list[str]], asked: list | None = None):
    def calendar(code, start, end):
        if asked is not None:
            asked.append((code, start, end))
        return pd.DatetimeIndex([d for d in pd.to_datetime(sessions[code])
                                 if start <= f"{d:%Y-%m-%d}" <= end])
    return calendar


CLOSED = _claim(metric="market_closed", subject="AAA;BBB", date="2025-01-28..2025-01-30",
                claimed="closed")


def test_closed_confirmed_from_the_calendars_and_rows():
    asked = []
    ev = _ev(codes={"AAA": "XKRX", "BBB": "XTAI"},
             calendar=_calendar({"XKRX": ["2025-01-27", "2025-01-31"],
                                 "XTAI": ["2025-01-27", "2025-02-21"]}, asked),
             sessions=pd.DataFrame({"ticker": ["AAA", "AAA"],
                                    "date": [T("2025-01-27"), T("2025-01-31")]}))
    assert market._closed(CLOSED, ev) == Finding(
        None, "Seoul: 0 sessions, reopens 31 Jan 2025; Taipei: 0 sessions",
        "exchange calendar (Seoul, Taipei)", "confirmed",
        "no session in Seoul, Taipei from 28 Jan 2025 to 30 Jan 2025; the price data have no "
        "closes in the window either")
    assert asked == [("XKRX", "2025-01-28", "2025-01-30"), ("XKRX", "2025-01-31", "2025-02-20"),
                     ("XTAI", "2025-01-28", "2025-01-30"), ("XTAI", "2025-01-31", "2025-02-20")]


def test_closed_by_a_calendar_code_without_price_rows():
    claim = CLOSED.copy()
    claim["subject"], claim["date"] = "XZZZ", "2025-01-28"
    ev = _ev(calendar=_calendar({"XZZZ": ["2025-01-29"]}),
             sessions=pd.DataFrame({"ticker": ["AAA"], "date": [T("2025-01-28")]}))
    assert market._closed(claim, ev) == Finding(
        None, "XZZZ: 0 sessions, reopens 29 Jan 2025", "exchange calendar (XZZZ)", "confirmed",
        "no session in XZZZ from 28 Jan 2025 to 28 Jan 2025")


def test_closed_wrong_when_the_calendar_traded():
    ev = _ev(codes={"AAA": "XKRX", "BBB": "XKRX"},
             calendar=_calendar({"XKRX": ["2025-01-28", "2025-01-30", "2025-02-03"]}))
    assert market._closed(CLOSED, ev) == Finding(
        None, "Seoul: 2 sessions, reopens 3 Feb 2025", "exchange calendar (Seoul)", "wrong",
        "the calendar has sessions in the window (Seoul 28 Jan 2025, Seoul 30 Jan 2025)")


def test_closed_not_supported_with_a_row_in_the_window_or_no_calendar():
    rows = pd.DataFrame({"ticker": ["BBB", "AAA", "CCC"],
                         "date": [T("2025-01-31"), T("2025-01-30"), T("2025-01-29")]})
    ev = _ev(codes={"AAA": "XKRX", "BBB": "XKRX"}, sessions=rows,
             calendar=_calendar({"XKRX": ["2025-01-27"]}))
    assert market._closed(CLOSED, ev) == Finding(
        None, "Seoul: 0 sessions", "exchange calendar (Seoul)", "not supported",
        "the calendar shows a closure, but the price data have a AAA close on 30 Jan 2025")
    for ev in (_ev(codes={"AAA": "XKRX", "BBB": "XKRX"}),
               _ev(codes={"AAA": "XKRX", "BBB": ""}, calendar=_calendar({}))):
        assert market._closed(CLOSED, ev) == Finding(
            None, "no calendar", "none", "not supported", "no exchange calendar for that market")


# --- the published findings --------------------------------------------------------------------

@pytest.fixture(scope="module")
def ev():
    import sys

    from deepshock.story.factcheck import check  # noqa: F401 (the package's `check` is a function)
    return sys.modules["deepshock.story.factcheck.check"].evidence()


def test_nikkei_5_august_against_the_raw_files(ev):
    """The Nikkei 225's worst session of 2024 (raw closes) is 5 August; Tokyo and Seoul opened
    first that day (exchange calendars), and the Nikkei fell most of the indices that traded."""
    rets = raw.rets("^N225")
    year = rets.loc["2024"]
    assert year.idxmin() == T("2024-08-05")
    claims = raw.facts("claims").set_index("id")
    claim = pd.Series(claims.loc["nikkei-august"]).rename(None)
    got = market._led_meltdown(claim, ev)
    assert got.shown == f"worst 5 Aug 2024 ({MINUS}{abs(year.min()) * 100:.2f}%)"
    assert got.verdict == "confirmed"
    test = market.led(T("2024-08-05"), "^N225", ev)
    opens = {t: xcals.get_calendar(ev.codes[t]).session_open("2024-08-05") for t, *_ in test["order"]}
    assert [t for t, *_ in test["order"]] == sorted(opens, key=lambda t: (opens[t], t))
    moves = {t: raw.ret(t, "2024-08-05") for t, *_ in test["order"]}
    assert min(moves, key=moves.get) == "^N225"
    assert test["ties"] == [t for t in opens if opens[t] == opens["^N225"] and t != "^N225"]
    assert test["n"] == len(moves) == 12


@pytest.mark.parametrize("claim_id, shown", [
    ("korea-closed", "Seoul: 0 sessions, reopens 31 Jan 2025"),
    ("taiwan-closed", "Taipei: 0 sessions, reopens 3 Feb 2025"),
    ("china-closed", "Shanghai: 0 sessions, reopens 5 Feb 2025"),
])
def test_lunar_new_year_closures_against_the_calendars(ev, claim_id, shown):
    claim = pd.Series(raw.facts("claims").set_index("id").loc[claim_id])
    start, _, end = claim["date"].partition("..")
    for subject in claim["subject"].split(";"):
        code = ev.codes.get(subject, subject)
        cal = xcals.get_calendar(code)
        assert len(cal.sessions_in_range(start, end)) == 0
        if subject in ev.codes:      # the raw file has no close in the window either
            closes = raw.bars(subject).index
            assert not ((closes >= T(start)) & (closes <= T(end))).any()
    got = market._closed(claim, ev)
    assert got.verdict == "confirmed" and got.shown == shown


# --- more than one market, an unknown code, a claim dated to the day -------------------------------

def test_closed_lists_every_market_that_traded_or_has_a_row():
    """Two calendars with sessions in the window: both markets' sessions are listed (an unknown
    code by its code); a row in the window is reported with every market's count."""
    claim = CLOSED.copy()
    claim["subject"] = "AAA;XQQQ"
    ev = _ev(codes={"AAA": "XKRX"},
             calendar=_calendar({"XKRX": ["2025-01-28"], "XQQQ": ["2025-01-29", "2025-02-03"]}))
    assert market._closed(claim, ev) == Finding(
        None, "Seoul: 1 sessions; XQQQ: 1 sessions, reopens 3 Feb 2025",
        "exchange calendar (Seoul, XQQQ)", "wrong",
        "the calendar has sessions in the window (Seoul 28 Jan 2025, XQQQ 29 Jan 2025)")
    ev = _ev(codes={"AAA": "XKRX"}, calendar=_calendar({"XKRX": [], "XQQQ": ["2025-02-03"]}),
             sessions=pd.DataFrame({"ticker": ["AAA"], "date": [T("2025-01-29")]}))
    assert market._closed(claim, ev) == Finding(
        None, "Seoul: 0 sessions; XQQQ: 0 sessions, reopens 3 Feb 2025",
        "exchange calendar (Seoul, XQQQ)", "not supported",
        "the calendar shows a closure, but the price data have a AAA close on 29 Jan 2025")


def test_led_meltdown_names_every_tie():
    claim = _claim(metric="led_meltdown", subject="^N225")
    ev = _led_ev({"^N225": -0.12, "^KS11": -0.09, "^TWII": -0.05, "^GSPC": -0.03},
                 opens=OPENS | {"XTAI": "00:00"})
    assert market._led_meltdown(claim, ev).reason == (
        "the month is right; on 5 Aug 2024 the Nikkei 225 opened first in UTC (with KOSPI, Taiex "
        "at the same time) and fell most of the 4 markets trading that date")


def test_a_claim_dated_to_the_day_is_read_as_its_month():
    ev = _ev(returns=RETURNS)
    assert market._worst_month(_claim(claimed="2024-08-20"), ev).verdict == "confirmed"
    claim = _claim(metric="led_meltdown", subject="^N225", claimed="2024-08-20")
    assert market._led_meltdown(claim, _led_ev({"^N225": -0.12, "^GSPC": -0.03})).verdict == \
        "confirmed"
