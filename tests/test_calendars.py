"""`deepshock.data.calendars`: the fast Korea calendar has the library's sessions and times."""

from __future__ import annotations

import warnings

import exchange_calendars as xc
import pytest

from deepshock.data.calendars import BoundedXKRX, bounded
from deepshock.data.validate import CALENDAR_END, CALENDAR_START

TIMES = ["sessions", "opens", "closes", "break_starts", "break_ends"]


@pytest.mark.parametrize("start,end", [(CALENDAR_START, CALENDAR_END),
                                       ("2023-01-01", "2026-12-31")])
def test_bounded_korea_calendar_equals_the_librarys(start, end):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        library = xc.get_calendar("XKRX", start=start, end=end)
        fast = bounded("XKRX", start, end)
    assert isinstance(fast, BoundedXKRX)
    for name in TIMES:
        assert getattr(fast, name).equals(getattr(library, name)), name
    assert len(fast.sessions) > 240 * (int(end[:4]) - int(start[:4]))
    # the Lunar New Year closure of 2025, which the book's Seoul chapter turns on
    assert not fast.is_session("2025-01-28") and not fast.is_session("2025-01-30")
    assert fast.is_session("2025-01-31")
    assert fast.is_session("2025-01-24") and not fast.is_session("2025-01-27")


def test_other_calendars_are_the_librarys_own():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tokyo = bounded("XTKS", CALENDAR_START, CALENDAR_END)
    assert type(tokyo) is type(xc.get_calendar("XTKS"))
