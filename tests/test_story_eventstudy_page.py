"""The event study page's own pieces (`story.eventstudy.page`) on small made-up frames written
out here: the Markdown tables with the house-style minus, the t-statistics' format, the
placebo days' spans in words, the opening verdict's numbers and words on both sides of every
rule (beyond the ordinary days or not, the KP test significant or not after Holm, both
primaries surviving or not, the Tokyo interval including zero or not), and the RSP check's
span and the published opening numbers against the raw snapshot files. Fast: no book, no
kernel (`chapter` itself, kept in the artefact store, is not mutated)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from deepshock.story.eventstudy import page

T = pd.Timestamp
M = "\u2212"


def test_table_is_a_pipe_table_with_the_minus_of_house_style():
    frame = pd.DataFrame({"Name": ["A-1 [-5,-1]", "2025-01-27"], "Test": ["x", "y"],
                          "v": ["-1.5", "+2.0 (-0.3)"], "w": ["1.-5", "a -7%"]})
    assert page.table(frame) == "\n".join([
        "| Name        |   Test |           v |     w |",
        "|:------------|-------:|------------:|------:|",
        f"| A-1 [{M}5,{M}1] |      x |        {M}1.5 |  1.-5 |",
        f"| 2025-01-27  |      y | +2.0 ({M}0.3) | a {M}7% |"])
    assert page.table(frame, text=2) == "\n".join([
        "| Name        | Test   |           v |     w |",
        "|:------------|:-------|------------:|------:|",
        f"| A-1 [{M}5,{M}1] | x      |        {M}1.5 |  1.-5 |",
        f"| 2025-01-27  | y      | +2.0 ({M}0.3) | a {M}7% |"])


def test_t_has_two_decimals_and_the_minus_sign():
    assert page.t(-7.4149) == f"{M}7.41"
    assert page.t(2.5) == "2.50"
    assert page.t(12345.678) == "12,345.68"
    assert page.t(0.0) == "0.00"


def test_spans_group_the_placebo_groups_by_shared_days():
    frame = pd.DataFrame(
        {"nunique": [320, 320, 300, 320],
         "min": [T("2023-02-01"), T("2023-02-01"), T("2023-03-01"), T("2023-02-01")],
         "max": [T("2024-12-31"), T("2024-12-31"), T("2024-12-30"), T("2024-12-31")]},
        index=["US semiconductors", "US chip equipment", "Japan semiconductors", "US power"])
    assert page._spans(frame) == (
        "US semiconductors, US chip equipment and US power: 320 days, from 1 February 2023 "
        "to 31 December 2024; Japan semiconductors: 300 days, from 1 March 2023 to "
        "30 December 2024")
    one = frame.iloc[[2]]
    assert page._spans(one) == ("Japan semiconductors: 300 days, from 1 March 2023 to "
                                "30 December 2024")


# --- the opening verdict --------------------------------------------------------------------------

def _prim(nv_car=-0.169, nv_lowest=-0.1, us_car=-0.09, us_lowest=-0.05, jp=(-0.07, 0.01)):
    return pd.DataFrame({
        "name": ["NVDA", "US semiconductors", "Japan semiconductors"],
        "n": [1, 7, 6], "car": [nv_car, us_car, -0.03],
        "lo": [-0.21, -0.12, jp[0]], "hi": [-0.13, -0.06, jp[1]],
        "spans": [240.0, 240.0, 239.0], "lowest": [nv_lowest, us_lowest, -0.08],
        "sd": [0.0212, 0.011, 0.02]})


def _holm(nv=0.001, port=0.01, kp=0.2):
    """The primaries' Holm p-values, and secondary rows of the same names that must be
    ignored (other values: read, they would change the words)."""
    return pd.DataFrame({
        "name": ["NVDA", "US semiconductors", "US semiconductors", "NVDA",
                 "US semiconductors", "US semiconductors", "Japan semiconductors"],
        "test": ["t", "portfolio", "Kolari-Pynnönen", "t", "portfolio", "Kolari-Pynnönen",
                 "portfolio"],
        "primary": [True, True, True, False, False, False, True],
        "p_adj": [nv, port, kp, 0.9, 0.9, 0.001, 0.3]})


def test_opening_words_when_the_primaries_fell_beyond_every_ordinary_day():
    got = page._opening(None, _prim(), _holm())
    assert got == {
        "es_op_nv": "16.9%", "es_op_nv_sd": "8", "es_op_nv_days": "240",
        "es_op_nv_beyond": "further than on any",
        "es_op_nv_lo": "13.0%", "es_op_nv_hi": "21.0%",
        "es_op_us_n": "seven", "es_op_us": "9.0%",
        "es_op_us_beyond": "also further than on any ordinary day",
        "es_op_us_kp": "is not significant", "es_op_us_kp_but": "But",
        "es_op_survive": "Both survive the correction for testing several hypotheses at once",
        "es_op_jp_n": "six", "es_op_jp": "fell 3.0%",
        "es_op_jp_lo": f"{M}7.0%", "es_op_jp_hi": "+1.0%",
        "es_op_jp_verdict": "includes zero"}


def test_opening_words_on_the_other_side_of_every_rule():
    got = page._opening(None, _prim(nv_car=-0.1, us_car=-0.05, jp=(0.0, 0.04)),
                        _holm(nv=0.049, port=0.05, kp=0.049))
    assert got["es_op_nv_beyond"] == "not as far as on the worst"   # equal to the lowest
    assert got["es_op_us_beyond"] == "within the range of ordinary days"
    assert got["es_op_us_kp"] == "is significant too" and got["es_op_us_kp_but"] == "And"
    assert got["es_op_survive"] == ("Not both survive the correction for testing several "
                                    "hypotheses")
    assert got["es_op_jp_verdict"] == "excludes zero"                 # lo = 0: not inside
    assert got["es_op_nv_sd"] == "5" and got["es_op_nv"] == "10.0%"
    assert page._opening(None, _prim(jp=(-0.05, 0.0)), _holm())["es_op_jp_verdict"] == (
        "excludes zero")
    assert page._opening(None, _prim(jp=(-0.05, -0.01)), _holm())["es_op_jp_verdict"] == (
        "excludes zero")


@pytest.mark.parametrize("nv, port, kp, survive, significant", [
    (0.05, 0.01, 0.05, False, False), (0.01, 0.05, 0.2, False, False),
    (0.049, 0.049, 0.0499, True, True), (0.06, 0.06, 0.01, False, True)])
def test_opening_holm_edges(nv, port, kp, survive, significant):
    got = page._opening(None, _prim(), _holm(nv=nv, port=port, kp=kp))
    assert got["es_op_survive"].startswith("Both") is survive
    assert (got["es_op_us_kp"] == "is significant too") is significant
    assert got["es_op_us_kp_but"] == ("And" if significant else "But")


# --- on the snapshot --------------------------------------------------------------------------------

def test_rsp_span_is_the_year_before_up_to_the_last_session_before_the_event(snapshot):
    dates = pd.read_csv(snapshot / "panel" / "closes.csv", usecols=[0], parse_dates=[0]).iloc[:, 0]
    first = dates[dates.dt.year == 2024].min()
    last = dates[dates < T("2025-01-27")].max()
    assert (first, last) == (T("2024-01-02"), T("2025-01-24"))
    assert page._rsp_span() == (first, last)


def test_published_opening_numbers_against_the_raw_files(snapshot):
    """Nvidia's day-0 abnormal return in the verdict's words, recomputed with numpy from the
    raw panel file (OLS on the other S&P 500 members' mean over sessions -250..-11), and the
    US basket's size from the facts' universe."""
    from deepshock.story.eventstudy import opening
    from deepshock.story.eventstudy import study as es
    from deepshock.story.eventstudy import tables as tb
    from tests.conftest import ROOT
    from tests.oracle.eventstudy import nvda_day0_numpy

    ar, _, n = nvda_day0_numpy(snapshot)
    main = es.run()
    got = page._opening(main, opening.primaries(main), tb.adjusted(main))
    assert got["es_op_nv"] == f"{abs(ar) * 100:.1f}%"
    universe = pd.read_csv(ROOT / "data" / "universe.csv", keep_default_na=False)
    n_us = int((universe["group"] == "US semiconductors").sum())
    words = ["no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"]
    assert got["es_op_us_n"] == (words[n_us] if n_us <= 10 else str(n_us))
    assert got["es_op_nv_days"] == str(n)   # one ordinary day per estimation session
