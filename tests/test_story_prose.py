"""The story chapters' number formatting (`story.prose`): signed and unsigned shares at one
decimal, magnitudes after a verb, a move as a predicate (unchanged below half a tenth of a
percent), levels against a base, days, lists, clock times and the `Chapter` record, on
hand-written cases with their edges; non-finite numbers are refused."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from deepshock.story import prose, selloff


def test_count_and_fall_are_the_sell_off_chapters_own():
    assert prose.count is selloff.count and prose.fall is selloff.fall


def test_pct_signed_by_default_one_decimal():
    assert prose.pct(0.0312) == "+3.1%"
    assert prose.pct(0.0312, signed=False) == "3.1%"
    assert prose.pct(-0.0915) == "-9.2%"   # signed figures go in tables (ASCII hyphen)
    assert prose.pct(0.0) == "+0.0%"
    assert prose.pct(0.031249, 3) == "+3.125%"
    assert prose.pct(-0.5, 0, False) == "-50%"


def test_size_is_an_unsigned_magnitude():
    assert prose.size(-0.0915) == "9.2%"
    assert prose.size(0.0915) == "9.2%"
    assert prose.size(-0.09149, 2) == "9.15%"


def test_move_as_a_predicate_with_unchanged_below_half_a_tenth():
    assert prose.move(-0.021) == "fell 2.1%"
    assert prose.move(0.004) == "rose 0.4%"
    assert prose.move(0.0) == "was unchanged to one decimal"
    assert prose.move(0.00049) == "was unchanged to one decimal"
    assert prose.move(-0.00049) == "was unchanged to one decimal"
    assert prose.move(0.0005) == "rose 0.1%" and prose.move(-0.0005) == "fell 0.1%"
    assert prose.move(-0.16968) == "fell 17.0%"


def test_level_against_a_base():
    assert prose.level(-0.12) == "12.0% below"
    assert prose.level(0.03) == "3.0% above"
    assert prose.level(0.0) == "0.0% above"
    assert prose.level(-0.00001) == "0.0% below"


@pytest.mark.parametrize("bad", [float("nan"), math.inf, -math.inf, None])
def test_non_finite_numbers_are_refused(bad):
    for publish in (prose.pct, prose.size, prose.move, prose.level):
        with pytest.raises(ValueError, match="refusing to publish a non-finite number") as e:
            publish(bad)
        assert repr(bad) in str(e.value)


def test_finite_returns_a_float():
    assert prose._finite(2) == 2.0 and isinstance(prose._finite(2), float)


def test_days_and_clock_times():
    assert prose.day("2025-01-27") == "27 January 2025"
    assert prose.day(pd.Timestamp("2025-02-03"), weekday=True) == "Monday 3 February 2025"
    assert prose.day("2025-01-05", True) == "Sunday 5 January 2025"
    assert prose.short_day("2025-01-27") == "27 January"
    assert prose.short_day(pd.Timestamp("2025-02-03")) == "3 February"
    assert prose.utc(pd.Timestamp("2025-01-27 14:30", tz="UTC")) == "14:30 UTC"
    assert prose.utc(pd.Timestamp("2025-01-27 09:05")) == "09:05 UTC"


def test_join_lists_with_commas_and_and():
    assert prose.join(["A", "B", "C"]) == "A, B and C"
    assert prose.join(["A", "B"]) == "A and B"
    assert prose.join(("A",)) == "A"
    assert prose.join(iter(["Tokyo", "Seoul", "Taipei"])) == "Tokyo, Seoul and Taipei"
    with pytest.raises(IndexError):
        prose.join([])


def test_chapter_keeps_text_and_figures():
    figures = {"f": ("chart", pd.DataFrame())}
    one = prose.Chapter({"a": "1"}, figures)
    assert one.text == {"a": "1"} and one.figures is figures
    two = prose.Chapter({"b": "2"})
    assert two.text == {"b": "2"} and two.figures == {}
    assert prose.Chapter({}, {}).figures == {}
