"""The research chapters' house style for numbers in prose (`story.eventstudy.words`): the one
minus sign, signed and unsigned shares, counts in words, the verb carrying the sign, days,
p-values and lists, each on hand-written cases (edges included); non-finite numbers refused."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from deepshock.story.eventstudy import words

M = "\u2212"


def test_pct_signed_and_unsigned_with_the_house_minus():
    assert words.MINUS == M
    assert words.pct(-0.1697) == M + "16.97%"
    assert words.pct(0.0312) == "+3.12%"
    assert words.pct(0.0312, signed=False) == "3.12%"
    assert words.pct(0.0) == "+0.00%"
    assert words.pct(-0.12345, 3) == M + "12.345%"
    assert words.pct(-0.1697, 1, False) == M + "17.0%"


def test_number_groups_thousands_and_uses_the_minus():
    assert words.number(-7.412) == M + "7.41"
    assert words.number(12345.678) == "12,345.68"
    assert words.number(12345.678, 0) == "12,346"
    assert words.number(-1234567.0, 1) == M + "1,234,567.0"


def test_share_and_size_are_unsigned_one_decimal_by_default():
    assert words.share(0.058) == "5.8%"
    assert words.share(0.05849, 2) == "5.85%"
    assert words.share(-0.058) == M + "5.8%"   # a share is not made positive
    assert words.size(-0.169) == "16.9%"
    assert words.size(0.169) == "16.9%"
    assert words.size(-0.16949, 2) == "16.95%"


def test_move_the_verb_carries_the_sign():
    assert words.move(-0.015) == "fell 1.5%"
    assert words.move(0.015) == "rose 1.5%"
    assert words.move(0.0) == "rose 0.0%"
    assert words.move(-0.01549, 2) == "fell 1.55%"


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -math.inf, None])
def test_non_finite_numbers_are_refused(bad):
    for publish in (words.pct, words.number, words.share, words.size, words.move):
        with pytest.raises((ValueError, TypeError)) as caught:
            publish(bad)
        if bad is not None or publish is not words.move:
            assert caught.type is ValueError
            assert "refusing to publish a non-finite number" in str(caught.value)
            assert repr(bad) in str(caught.value)


def test_finite_returns_a_float():
    assert words._finite(3) == 3.0 and isinstance(words._finite(3), float)
    assert words._finite(-0.5) == -0.5


def test_day_with_and_without_weekday():
    assert words.day("2025-01-27") == "27 January 2025"
    assert words.day(pd.Timestamp("2025-01-05"), weekday=True) == "Sunday 5 January 2025"
    assert words.day("2025-02-03", True) == "Monday 3 February 2025"


def test_count_in_words_up_to_ten_then_figures():
    assert [words.count(n) for n in range(11)] == [
        "no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"]
    assert words.count(11) == "11" and words.count(490) == "490"
    assert words.count(3.0) == "three" and words.count(12.0) == "12"


def test_pvalue_below_a_thousandth_in_words():
    assert words.pvalue(0.0009) == "below 0.001"
    assert words.pvalue(0.001) == "0.001"
    assert words.pvalue(0.0123) == "0.012"
    assert words.pvalue(0.5) == "0.500"


def test_listing_joins_with_commas_and_and():
    assert words.listing(["A", "B", "C"]) == "A, B and C"
    assert words.listing(["A", "B"]) == "A and B"
    assert words.listing(["A"]) == "A"
    assert words.listing([]) == ""
    assert words.listing(iter(["Tokyo", "Seoul", "Taipei", "Paris"])) == (
        "Tokyo, Seoul, Taipei and Paris")
