"""Europe's suspect-bar check (`story.contagion.europe.bar_check`): the volume against the median
of the sessions before (the day itself left out), the close at the day's low within a relative
1e-9, the close-to-close return and the index's move that day, on small made-up bars written out
here; and the published check of Schneider Electric's 28 January bar against an oracle from the
raw snapshot files with plain pandas. Fast: no book, no kernel."""

from __future__ import annotations

import pandas as pd
import pytest

from deepshock.story.contagion import europe
from tests.oracle import raw

T = pd.Timestamp
DATES = pd.bdate_range("2025-01-01", periods=7)   # 1 Jan (Wed) .. 9 Jan (Thu)


def _stub(monkeypatch, bars: pd.DataFrame, index_ret: list[float], day1: T = DATES[-1]):
    """Made-up daily bars and index returns in place of the loaders; records what was asked."""
    asked = []

    def prices(ticker):
        asked.append(("prices", ticker))
        return bars.assign(ticker=ticker)

    def returns(ticker):
        asked.append(("returns", ticker))
        return pd.DataFrame({"ticker": ticker, "date": DATES, "ret": index_ret})

    def day(ticker, n):
        asked.append(("day", ticker, n))
        return day1

    monkeypatch.setattr(europe.load, "prices", prices)
    monkeypatch.setattr(europe.load, "returns", returns)
    monkeypatch.setattr(europe.event, "day", day)
    return asked


BARS = pd.DataFrame({"date": DATES,
                     "close": [50.0, 10, 10, 10, 10, 8, 4],
                     "low": [1.0, 9, 9, 9, 9, 7, 4],
                     # the median of the 4 sessions before the last (4, 6, 100, 8) is 7; their
                     # mean 29.5; with the day itself (5 sessions to 9 Jan) the median would be 8
                     "volume": [1000.0, 1, 4, 6, 100, 8, 21]})
INDEX = [0.0, 0.01, 0.02, 0.03, 0.04, 0.05, -0.125]


def test_a_made_up_bar_at_its_low_on_heavy_volume(monkeypatch):
    asked = _stub(monkeypatch, BARS, INDEX)
    got = europe.bar_check("X", "2025-01-09", "I", sessions=4)
    assert got == europe.BarCheck(date=T("2025-01-09"), ret=4 / 8 - 1, volume_ratio=21 / 7,
                                  closed_at_low=True, index_ret=-0.125)
    assert type(got.date) is pd.Timestamp
    assert type(got.ret) is float and type(got.volume_ratio) is float
    assert type(got.index_ret) is float and type(got.closed_at_low) is bool
    assert asked == [("prices", "X"), ("returns", "I")]   # a given date asks no event day


def test_an_earlier_day_uses_its_own_sessions_before_it(monkeypatch):
    """Day 8 Jan: its previous close is 7 Jan's (10), its usual volume the median of the three
    sessions before it (4, 6, 100 -> 6), and the index's move that day (0.05)."""
    _stub(monkeypatch, BARS, INDEX)
    got = europe.bar_check("X", "2025-01-08", "I", sessions=3)
    assert got.ret == pytest.approx(8 / 10 - 1) and got.volume_ratio == pytest.approx(8 / 6)
    assert got.index_ret == 0.05 and not got.closed_at_low and got.date == T("2025-01-08")


def test_the_defaults_schneider_its_day_1_the_stoxx_600_and_60_sessions(monkeypatch):
    """No date: the line's day 1 of the ticker (`event.day(ticker, 1)`); the default window
    (60 sessions) holds all 6 sessions before here: median of 1, 4, 6, 8, 100, 1000 = 7, where
    5 sessions (1, 4, 6, 100, 8) give 6 and 2 sessions (100, 8) give 54."""
    asked = _stub(monkeypatch, BARS, INDEX)
    got = europe.bar_check()
    assert asked == [("prices", "SU.PA"), ("day", "SU.PA", 1), ("returns", "^STOXX")]
    assert got.date == T("2025-01-09") and got.volume_ratio == pytest.approx(21 / 7)
    assert europe.bar_check("X", "2025-01-09", "I").volume_ratio == pytest.approx(21 / 7)
    assert europe.bar_check("X", "2025-01-09", "I", sessions=5).volume_ratio == pytest.approx(21 / 6)
    assert europe.bar_check("X", "2025-01-09", "I", sessions=2).volume_ratio == pytest.approx(21 / 54)


def test_default_window_is_sixty_sessions(monkeypatch):
    """70 sessions of made-up volume, rising: the median of the 60 before the last is the
    midpoint of sessions 10..69 (volumes 10..69 -> 39.5); 59 or 61 sessions would move it."""
    dates = pd.bdate_range("2024-09-02", periods=71)
    bars = pd.DataFrame({"date": dates, "close": 10.0, "low": 9.0,
                         "volume": [float(v) for v in range(70)] + [79.0]})
    monkeypatch.setattr(europe.load, "prices", lambda t: bars.assign(ticker=t))
    monkeypatch.setattr(europe.load, "returns",
                        lambda t: pd.DataFrame({"date": dates, "ret": 0.0}))
    monkeypatch.setattr(europe.event, "day", lambda t, n: dates[-1] if n == 1 else dates[0])
    assert europe.bar_check().volume_ratio == pytest.approx(79 / 39.5)


@pytest.mark.parametrize("close, low, at_low", [
    (100.0, 100.0, True),                 # exactly at the low
    (100.0, 100.0 - 0.9e-7, True),        # within 1e-9 of the close
    (0.0, 0.0, True),                     # the bound itself counts (here 1e-9 x 0 = 0)
    (100.0, 100.0 - 1.2e-7, False),       # beyond it
    (100.0, 100.0 + 1.2e-7, False),       # below the low by as much (a bad bar): not at it
    (100.0, 100.0 + 0.9e-7, True),        # within the bound either side
    (1e6, 1e6 - 0.9e-3, True),            # relative: 1e-9 of a larger close is larger
    (1.0, 1.0 - 2e-9, False),             # ... and of a small close smaller
    (100.0, 99.0, False),
])
def test_closed_at_low_within_a_relative_bound(monkeypatch, close, low, at_low):
    bars = BARS.copy()
    bars.loc[6, ["close", "low"]] = [close, low]
    _stub(monkeypatch, bars, INDEX)
    assert europe.bar_check("X", "2025-01-09", "I", sessions=4).closed_at_low is at_low


def test_an_index_on_another_calendar_is_read_on_the_same_day(monkeypatch):
    """The index's move is read by date, not by position: its sessions need not be the stock's."""
    _stub(monkeypatch, BARS, INDEX)
    idx = pd.DataFrame({"date": [T("2025-01-09"), T("2024-12-31")], "ret": [0.3, 0.7]})
    monkeypatch.setattr(europe.load, "returns", lambda t: idx)
    assert europe.bar_check("X", "2025-01-09", "I", sessions=4).index_ret == 0.3


def test_schneider_28_january_against_the_raw_files():
    """The published check: Schneider's day 1 is Tuesday 28 January (Paris traded on the 27th);
    its close over the 27th's, its volume over the median of the 60 sessions before, at the day's
    low, while the STOXX Europe 600 rose: recomputed from the raw CSVs."""
    bars = raw.bars("SU.PA")
    day = T("2025-01-28")
    before = bars.loc[bars.index < day]
    assert before.index[-1] == T("2025-01-27")
    usual = before["volume"].iloc[-60:].median()
    stoxx = raw.close("^STOXX")
    got = europe.bar_check()
    assert got.date == day
    assert got.ret == pytest.approx(bars.at[day, "close"] / before["close"].iloc[-1] - 1, abs=1e-12)
    assert got.volume_ratio == pytest.approx(bars.at[day, "volume"] / usual, rel=1e-12)
    assert bars.at[day, "close"] == bars.at[day, "low"] and got.closed_at_low is True
    assert got.index_ret == pytest.approx(stoxx.loc[day] / stoxx.loc[:day].iloc[-2] - 1,
                                          abs=1e-12)
    # the chapter prints the volume ratio to one decimal (glue `su_vol`)
    assert f"{got.volume_ratio:.1f}" == "3.7" and got.index_ret > 0 > got.ret
