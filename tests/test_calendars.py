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


def test_a_cold_build_makes_korea_calendar_in_a_forked_child(tmp_path, monkeypatch):
    """`build._calendar_beside`: with the store lacking Korea's calendar, a forked child makes
    it (and exits 0); with the store holding it, or in a process running other threads (a
    fork copies only the calling thread), nothing is forked."""
    import os
    import subprocess
    import sys
    import threading

    from deepshock.book import build
    from deepshock.data import validate

    script = ("import os; from deepshock.book import build; pid = build._calendar_beside(); "
              "print(pid is not None, os.waitpid(pid, 0)[1] if pid else '-')")
    env = {**os.environ, "DEEPSHOCK_ARTEFACTS": str(tmp_path)}
    run = lambda: subprocess.run([sys.executable, "-c", script], env=env, check=True,  # noqa: E731
                                 capture_output=True, text=True).stdout.split()
    assert run() == ["True", "0"]
    name = validate.calendar_file("XKRX", CALENDAR_START, CALENDAR_END)
    made = tmp_path / "calendars" / name
    assert made.is_file() and not fast_differs(made)
    assert run() == ["False", "-"]            # the store has it now
    made.unlink()
    monkeypatch.setenv("DEEPSHOCK_ARTEFACTS", str(tmp_path))   # lacking it again, here
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        assert build._calendar_beside() is None
    finally:
        stop.set()
        other.join()


def fast_differs(path) -> bool:
    """Whether the pickled calendar at `path` has sessions other than the fast calendar's."""
    import pickle

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fresh = bounded("XKRX", CALENDAR_START, CALENDAR_END)
    return not pickle.loads(path.read_bytes()).sessions.equals(fresh.sessions)
