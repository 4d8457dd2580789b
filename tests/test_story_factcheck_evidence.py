"""What the fact-check reads and returns (`story.factcheck.evidence`): the two records and their
defaults, and the formatting helpers every measurement shares (dates, windows, signed
percentages with the house minus sign, numbers in a claim's unit), on hand-written cases."""

from __future__ import annotations

import sys

import pandas as pd
import pytest

from deepshock.story.factcheck import evidence  # noqa: F401 (names the module for the plan)

# the package's own `evidence` is check.evidence (a function); the module is this one
ev = sys.modules["deepshock.story.factcheck.evidence"]

T = pd.Timestamp
MINUS = "\u2212"


def test_constants():
    assert ev.PRICES == "Yahoo Finance daily closes"
    assert ev.MINUS == MINUS and len(ev.MINUS) == 1
    assert ev.INTRADAY_MARKETS == {"XTKS"}


def test_evidence_defaults_are_empty_and_not_shared():
    frames = [pd.DataFrame({"x": [i]}) for i in range(5)]
    one, two = ev.Evidence(*frames), ev.Evidence(*frames)
    assert (one.calendar, one.bars, one.hours) == (None, None, None)
    assert (one.codes, one.indices, one.names) == ({}, [], {})
    one.codes["A"] = "XNYS"
    one.indices.append("^GSPC")
    one.names["A"] = "Ay"
    assert (two.codes, two.indices, two.names) == ({}, [], {})
    assert one.returns is frames[0] and one.losses is frames[4]


def test_finding_defaults_and_frozen():
    found = ev.Finding(-16.97, "−16.97%", "close")
    assert (found.verdict, found.reason, found.intraday) == (None, "", None)
    with pytest.raises(AttributeError):
        found.shown = "x"


@pytest.mark.parametrize("stamp, want", [
    (T("2025-01-27"), "27 Jan 2025"), ("2025-01-07", "7 Jan 2025"),
    (T("2024-12-31 15:30"), "31 Dec 2024"),
])
def test_day(stamp, want):
    assert ev._day(stamp) == want


@pytest.mark.parametrize("text, want", [
    ("2025-01-27..2025-01-31", (T("2025-01-27"), T("2025-01-31"))),
    ("2025-01-27", (T("2025-01-27"), T("2025-01-27"))),    # one day: start and end
    ("2025-01-27..", (T("2025-01-27"), T("2025-01-27"))),  # an empty end is the start
])
def test_window(text, want):
    got = ev._window(text)
    assert got == want and all(type(x) is pd.Timestamp for x in got)


@pytest.mark.parametrize("value, digits, want", [
    (-9.148, 2, f"{MINUS}9.15%"), (1.5, 2, "+1.50%"), (0.0, 2, "+0.00%"),
    (-9.148, 1, f"{MINUS}9.1%"), (16.97, 0, "+17%"), (-0.004, 3, f"{MINUS}0.004%"),
])
def test_signed(value, digits, want):
    assert ev.signed(value, digits) == want


def test_signed_defaults_to_two_digits_and_one_minus_sign():
    assert ev.signed(-9.148) == f"{MINUS}9.15%" and ev.signed(3) == "+3.00%"
    assert "-" not in ev.signed(-1.0) and ev.signed(-1.0).count(MINUS) == 1


@pytest.mark.parametrize("value, unit, want", [
    (-16.972, "%", f"{MINUS}16.97%"), (2.0, "%", "+2.00%"),
    (592.66, "$bn", "$592.7bn"), (1234.56, "$bn", "$1,234.6bn"), (-5.0, "$bn", "$-5.0bn"),
    (5.5764, "$m", "$5.576M"), (1234.5678, "$m", "$1,234.568M"),
    (17.0, "", "17"), (0.5, "x", "0.5"), (12345678.0, "shares", "1.23457e+07"),
])
def test_fmt_in_the_claims_unit(value, unit, want):
    assert ev.fmt(value, unit) == want
