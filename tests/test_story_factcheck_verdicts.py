"""The fact-check's verdict scale and its rule for a number (`story.factcheck.verdicts`): the
scale and its shapes, which way a claim errs, and every branch of `judge_number` with its reason
written out in full, on hand-computed cases (boundaries included, and the rounding to 1e-9 that
decides them). No data, no files."""

from __future__ import annotations

import pytest

from deepshock.story.factcheck import verdicts
from deepshock.story.factcheck.verdicts import direction, judge_number


def test_the_scale_and_its_shapes():
    assert verdicts.VERDICTS == ("confirmed", "approximately", "consistent", "not supported",
                                 "wrong")
    assert verdicts.SHAPES == {"confirmed": "circle", "approximately": "diamond",
                               "consistent": "square", "not supported": "cross",
                               "wrong": "triangle-down"}
    assert list(verdicts.SHAPES) == list(verdicts.VERDICTS)


@pytest.mark.parametrize("claimed, measured, want", [
    (-17.0, -16.97, "overstates"),   # a fall claimed too deep overstates it (sizes compared)
    (-16.9, -16.97, "understates"),
    (17.0, -16.97, "overstates"),    # the sign plays no part
    (-2.0, 3.0, "understates"),
    (3.0, -3.0, ""),                 # equal sizes
    (5.0, 5.0, ""),
    (0.0, 0.0, ""),
])
def test_direction_compares_sizes(claimed, measured, want):
    assert direction(claimed, measured) == want


@pytest.mark.parametrize("unit, suffix", [("%", " pp"), ("$bn", "bn"), ("$m", "M"), ("x", ""),
                                          ("", "")])
def test_confirmed_within_half_the_last_digit_in_the_claims_unit(unit, suffix):
    assert judge_number(-10.0, -10.4, 1.0, 0.10, unit) == \
        ("confirmed", f"within the claim's rounding (±0.5{suffix})", "")
    assert judge_number(592.7, 592.74, 0.1, None, unit) == \
        ("confirmed", f"within the claim's rounding (±0.05{suffix})", "")


def test_exactly_half_the_last_digit_is_confirmed_both_ways():
    assert judge_number(-10.0, -10.5, 1.0, 0.10, "%")[0] == "confirmed"
    assert judge_number(-10.0, -9.5, 1.0, 0.10, "%")[0] == "confirmed"
    assert judge_number(2.0, 2.5, 1.0, None, "%")[0] == "confirmed"


def test_differences_are_rounded_to_1e_9_so_the_rule_decides_a_boundary():
    """0.55 - 0.5 is 0.050000000000000044 in floating point, a hair above half of 0.1: rounded
    to 1e-9 it is the boundary, and the boundary is confirmed."""
    assert abs(0.55 - 0.5) > 0.1 / 2
    assert judge_number(0.5, 0.55, 0.1, None, "%")[0] == "confirmed"
    # rounded to 1e-9, not to 1e-10 or coarser: 4e-10 beyond the boundary is the boundary ...
    assert judge_number(10.0, 10.5000000004, 1.0, None, "%")[0] == "confirmed"
    # ... and 6e-10 beyond it is 1e-9 beyond it
    assert judge_number(10.0, 10.5000000006, 1.0, None, "%")[0] == "wrong"
    # the half digit itself is rounded the same way (half of 1.0000000008 is 0.5 to 1e-9)
    assert judge_number(10.0, 10.5000000002, 1.0000000008, None, "%")[0] == "confirmed"
    assert judge_number(10.0, 10.5000000004, 1.0000000008, None, "%")[0] == "confirmed"
    assert judge_number(10.0, 10.5000000004, 0.9999999992, None, "%")[0] == "confirmed"
    # a whole-number rounding would confirm any difference under 0.5
    assert judge_number(10.0, 10.3, 0.1, None, "%")[0] == "wrong"


@pytest.mark.parametrize("measured, verdict, reason, flag", [
    (-10.6, "approximately",
     "off by 0.6 pp, understates it; tolerance ±1 pp (10% of the claim)", "understates"),
    (-11.0, "approximately",      # exactly the tolerance: included
     "off by 1 pp, understates it; tolerance ±1 pp (10% of the claim)", "understates"),
    (-9.0, "approximately",
     "off by 1 pp, overstates it; tolerance ±1 pp (10% of the claim)", "overstates"),
    (-11.01, "wrong",
     "off by 1.01 pp, understates it, beyond ±1 pp (10% of the claim)", "understates"),
    (-8.99, "wrong",
     "off by 1.01 pp, overstates it, beyond ±1 pp (10% of the claim)", "overstates"),
    (-31.2345, "wrong",           # three significant digits
     "off by 21.2 pp, understates it, beyond ±1 pp (10% of the claim)", "understates"),
])
def test_beyond_the_rounding_against_the_tolerance(measured, verdict, reason, flag):
    assert judge_number(-10.0, measured, 1.0, 0.10, "%") == (verdict, reason, flag)


def test_the_tolerance_is_a_share_of_the_claims_size():
    """10% of 593 is 59.3bn; of -2.1 (a size) 0.21 points; 2.5% of 200 is 5."""
    assert judge_number(593.0, 540.0, 1.0, 0.10, "$bn") == (
        "approximately", "off by 53bn, overstates it; tolerance ±59.3bn (10% of the claim)",
        "overstates")
    assert judge_number(593.0, 650.0, 1.0, 0.10, "$bn") == (
        "approximately", "off by 57bn, understates it; tolerance ±59.3bn (10% of the claim)",
        "understates")
    assert judge_number(-2.1, -2.30, 0.1, 0.10, "%")[0] == "approximately"
    assert judge_number(-2.1, -2.35, 0.1, 0.10, "%") == (
        "wrong", "off by 0.25 pp, understates it, beyond ±0.21 pp (10% of the claim)",
        "understates")
    assert judge_number(200.0, 196.0, 1.0, 0.025, "$m") == (
        "approximately", "off by 4M, overstates it; tolerance ±5M (2% of the claim)",
        "overstates")
    assert judge_number(200.0, 206.0, 1.0, 0.025, "x") == (
        "wrong", "off by 6, understates it, beyond ±5 (2% of the claim)", "understates")


def test_the_tolerances_bound_is_rounded_to_1e_9_too():
    """10% of 3.3 is 0.32999999999999996 in floating point: rounded, a difference of 0.33 (itself
    0.33000000000000007 as 3.63 - 3.3) is within it."""
    assert 0.1 * 3.3 < 3.63 - 3.3
    assert judge_number(3.3, 3.63, 0.1, 0.1, "%")[0] == "approximately"
    # to 1e-9, not 1e-10: a bound of 0.4999999996 (5% of 9.999999992) is 0.5, as the difference
    assert judge_number(9.999999992, 10.499999992, 0.1, 0.05, "%")[0] == "approximately"


def test_no_tolerance_stated():
    assert judge_number(-17.0, -16.0, 1.0, None, "%") == (
        "wrong", "off by 1 pp, overstates it, no tolerance stated", "overstates")
    assert judge_number(5.5, 6.0, 0.1, None, "$bn") == (
        "wrong", "off by 0.5bn, understates it, no tolerance stated", "understates")


def test_a_zero_tolerance_is_a_tolerance():
    """tol = 0 (not None): anything beyond the rounding is wrong, said against a bound of 0."""
    assert judge_number(4.0, 4.2, 0.1, 0.0, "%") == (
        "wrong", "off by 0.2 pp, understates it, beyond ±0 pp (0% of the claim)", "understates")


def test_equal_sizes_of_opposite_sign_are_off_without_a_direction():
    assert judge_number(3.0, -3.0, 1.0, None, "%") == ("wrong", "off by 6 pp,  it, no tolerance "
                                                       "stated", "")
