"""Exchange calendars built faster than `exchange_calendars` builds them, with the same sessions.

The library's Korea calendar (XKRX) works out its lunar-calendar holidays for every year from
1970 to 2200 whatever span is asked for (pandas' default bounds), four times over: about 2 s of
the cold build, before any chapter runs. `bounded("XKRX", start, end)` works them out for the
asked span and a year either side only; tests/test_calendars.py checks that its sessions, opens,
closes and breaks equal the library's own calendar's over the book's span.
"""

from __future__ import annotations

import functools

import pandas as pd
from exchange_calendars import get_calendar
from exchange_calendars.exchange_calendar_xkrx import XKRXExchangeCalendar
from exchange_calendars.pandas_extensions.offsets import MultipleWeekmaskCustomBusinessDay


class BoundedXKRX(XKRXExchangeCalendar):
    """XKRX whose regular (lunar and solar) holidays are computed over its span +- one year."""

    def __init__(self, start: str, end: str) -> None:
        self._span = (pd.Timestamp(start) - pd.DateOffset(years=1),
                      pd.Timestamp(end) + pd.DateOffset(years=1))
        super().__init__(start=start, end=end)

    @functools.cached_property
    def day(self) -> MultipleWeekmaskCustomBusinessDay:
        regular = self.regular_holidays.holidays(start=self._span[0], end=self._span[1])
        return MultipleWeekmaskCustomBusinessDay(
            holidays=list(self.adhoc_holidays) + regular.tolist(), calendar=None,
            weekmask=self.weekmask, weekmasks=self.special_weekmasks)


def bounded(code: str, start: str, end: str):
    """The calendar `code` over [start, end]: `BoundedXKRX` for Korea, the library's for the
    others (theirs take a tenth of a second each)."""
    return BoundedXKRX(start, end) if code == "XKRX" else get_calendar(code, start=start, end=end)
