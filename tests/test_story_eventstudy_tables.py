"""The event study's tables and group chart (`story.eventstudy.tables`) on small made-up studies
written out here (expected cells by hand): the tests and their Holm families, the primary
table, the star rule, the multiplicity counts, the security, group, confounder, placebo,
breadth, robustness and held-benchmark tables, the two estimands and the CAR chart (title,
subtitle, colours, axes, tooltips, narrow layout, description). On the real study: the
families' adjusted p-values against statsmodels, and the breadth table against the raw panel
file. Fast: no book, no kernel."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.multitest import multipletests

from deepshock.methods.eventstudy import WINDOWS
from deepshock.story.eventstudy import study as es
from deepshock.story.eventstudy import tables as tb
from tests.conftest import ROOT
from tests.oracle.eventstudy import nvda_day0_numpy

T = pd.Timestamp
NEGATIVE, POSITIVE, NEUTRAL, MUTED = "#D55E00", "#0072B2", "#555555", "#BBBBBB"
GROUP_COLS = ["group", "window", "n", "caar", "port_t", "port_p", "kp", "kp_p", "r", "bmp",
              "bmp_p", "grank_nr", "grank_nr_p", "corrado", "corrado_p", "gsign", "gsign_p"]


def _study(securities, groups=None, paths=None) -> es.Study:
    """A made-up partial study (`only` set, so the tables compute instead of caching)."""
    sec = pd.DataFrame(securities, columns=["ticker", "name", "group", "window", "car", "t",
                                            "p", "event_day"])
    sec["emp_p"] = sec["p"]
    grp = pd.DataFrame(groups or [], columns=GROUP_COLS)
    return es.Study(es.NEW, pd.DataFrame(), {}, sec, grp,
                    paths if paths is not None else pd.DataFrame(), only=("made-up",))


def _no_news(monkeypatch, hits=None):
    """`news.confounded` replaced by fixed hits (ticker, window, date, label)."""
    hits = hits if hits is not None else pd.DataFrame(columns=["ticker", "window", "date",
                                                               "label"])
    seen = []

    def confounded(study, windows=tuple(WINDOWS)):
        seen.append((study, tuple(windows)))
        return hits.loc[hits["window"].isin(list(windows))].reset_index(drop=True)

    monkeypatch.setattr(tb.news, "confounded", confounded)
    return seen


# --- the tests and their families ------------------------------------------------------------

def _tested() -> es.Study:
    sec = [("NVDA", "Nvidia", "US semiconductors", "[0]", -0.17, -7.0, 1e-6, T("2025-01-27")),
           ("NVDA", "Nvidia", "US semiconductors", "[0,+1]", -0.12, -3.5, 0.02, T("2025-01-27")),
           ("AMD", "AMD", "US semiconductors", "[0]", -0.04, -1.9, 0.06, T("2025-01-27"))]
    grp = [("US semiconductors", "[0]", 7, -0.09, -3.1, 0.004, -2.2, 0.03, 0.5) + (0,) * 8,
           ("Japan semiconductors", "[0,+1]", 6, -0.05, -1.5, 0.13, -1.2, 0.2, 0.4) + (0,) * 8,
           ("US semiconductors", "[0,+1]", 7, -0.08, -2.0, 0.045, -1.7, 0.09, 0.5) + (0,) * 8]
    return _study(sec, grp)


def test_tests_lists_every_headline_test_with_its_primary_flag():
    got = tb.tests(_tested())
    want = pd.DataFrame({
        "kind": ["security"] * 3 + ["group"] * 6,
        "name": ["NVDA", "NVDA", "AMD"] + ["US semiconductors"] * 2
        + ["Japan semiconductors"] * 2 + ["US semiconductors"] * 2,
        "window": ["[0]", "[0,+1]", "[0]", "[0]", "[0]", "[0,+1]", "[0,+1]", "[0,+1]",
                   "[0,+1]"],
        "test": ["t", "t", "t"] + ["portfolio", "Kolari-Pynnönen"] * 3,
        "stat": [-7.0, -3.5, -1.9, -3.1, -2.2, -1.5, -1.2, -2.0, -1.7],
        "p": [1e-6, 0.02, 0.06, 0.004, 0.03, 0.13, 0.2, 0.045, 0.09],
        "primary": [True, False, False, True, True, True, True, False, False]})
    pd.testing.assert_frame_equal(got, want, check_dtype=False)
    assert tb.GROUP_TESTS == {"portfolio": ("port_t", "port_p"),
                              "Kolari-Pynnönen": ("kp", "kp_p")}


@pytest.mark.parametrize("method", ["holm", "fdr_bh"])
def test_adjusted_corrects_primaries_and_the_rest_as_two_families(method):
    got = tb.adjusted(_tested(), method) if method != "holm" else tb.adjusted(_tested())
    prim = [1e-6, 0.004, 0.03, 0.13, 0.2]
    rest = [0.02, 0.06, 0.045, 0.09]
    want = np.empty(9)
    want[[0, 3, 4, 5, 6]] = multipletests(prim, method=method)[1]
    want[[1, 2, 7, 8]] = multipletests(rest, method=method)[1]
    np.testing.assert_allclose(got["p_adj"], want, rtol=1e-12)
    assert list(got["family"][:2]) == [f"primary ({method})", f"secondary ({method})"]


def test_primary_table_cells():
    got = tb.primary_table(_tested())
    holm = multipletests([1e-6, 0.004, 0.03, 0.13, 0.2], method="holm")[1]
    assert list(holm) == pytest.approx([5e-6, 0.016, 0.09, 0.26, 0.26])
    want = pd.DataFrame({
        "Hypothesis": ["Nvidia", "US semiconductors", "US semiconductors",
                       "Japan semiconductors", "Japan semiconductors"],
        "Window": ["[0]", "[0]", "[0]", "[0,+1]", "[0,+1]"],
        "Test": ["single-security t", "portfolio", "Kolari-Pynnönen", "portfolio",
                 "Kolari-Pynnönen"],
        "t": ["-7.00", "-3.10", "-2.20", "-1.50", "-1.20"],
        "p": ["<0.0001", "0.0040", "0.0300", "0.1300", "0.2000"],
        "Holm p (5 tests)": ["<0.0001", "0.0160", "0.0900", "0.2600", "0.2600"]})
    pd.testing.assert_frame_equal(got.reset_index(drop=True), want)


def test_p_format_edges():
    assert tb._p(1e-4) == "0.0001"
    assert tb._p(0.99e-4) == "<0.0001"
    assert tb._p(0.023456) == "0.0235"
    assert tb._p(1.0) == "1.0000"


def test_adjusted_on_the_real_study_matches_statsmodels_by_family(snapshot):
    study = es.run()
    for method in ("holm", "fdr_bh"):
        got = tb.adjusted(study, method)
        sec = study.securities
        g = study.groups
        p = np.concatenate([sec["p"].to_numpy(float)]
                           + [np.column_stack([g["port_p"], g["kp_p"]]).ravel()])
        keys = ([("security", t, w) for t, w in zip(sec["ticker"], sec["window"])]
                + [("group", n, w) for n, w in zip(g["group"], g["window"]) for _ in (1, 2)])
        prim = np.array([k in set(es.PRIMARY) for k in keys])
        assert prim.sum() == 5
        want = np.empty(len(p))
        want[prim] = multipletests(p[prim], method=method)[1]
        want[~prim] = multipletests(p[~prim], method=method)[1]
        np.testing.assert_allclose(got["p"], p, rtol=0)
        np.testing.assert_allclose(got["p_adj"], want, rtol=1e-12)
        assert list(got["primary"]) == list(prim)


# --- stars and multiplicity -------------------------------------------------------------------

def _rates() -> pd.DataFrame:
    idx = pd.MultiIndex.from_tuples(
        [("All", "single t"), ("All", "portfolio"), ("All", "sign"), ("All", "single SQ"),
         ("US semiconductors", "single t"), ("US semiconductors", "portfolio"),
         ("US semiconductors", "sign"), ("US semiconductors", "single SQ"),
         ("Japan", "portfolio"), ("Japan", "single t")], names=["group", "test"])
    return pd.DataFrame({
        "n": [1200.0, 300.0, 300.0, 1200.0, 600.0, 150.0, 150.0, 600.0, 150.0, 600.0],
        "1%": [0.012, 0.02, 0.0, 0.011, 0.01, 0.02, 0.0, 0.01, 0.03, 0.013],
        "5%": [1.5 * 0.05, 0.0751, 0.02, 0.05, 0.06, 0.08, 0.03, 0.052, 0.1, 0.07],
        "10%": [0.11, 0.15, 0.06, 0.1, 0.12, 0.16, 0.07, 0.1, 0.2, 0.13],
        "se 1%": [0.1, 0.008, 0.0, 0.003, 0.004, 0.011, 0.0, 0.004, 0.014, 0.005],
        "se 5%": [0.0071, 0.015, 0.008, 0.006, 0.1, 0.022, 0.014, 0.009, 0.024, 0.01],
        "se 10%": [0.009, 0.02, 0.013, 0.008, 0.013, 0.03, 0.02, 0.012, 0.032, 0.014]},
        index=idx)


def test_star_rule_keeps_tests_at_most_one_and_a_half_times_five_percent():
    assert tb.STAR_RULE == 1.5
    assert tb.starred(_rates()) == frozenset({"single t", "sign", "single SQ"})
    assert tb.starred(_rates(), rule=1.6) == frozenset({"single t", "portfolio", "sign",
                                                        "single SQ"})
    assert tb.starred(_rates(), rule=0.5) == frozenset({"sign"})
    assert tb.ALL_STARRED == frozenset({"single t", "portfolio", "Kolari-Pynnönen", "BMP",
                                        "GRANK", "Corrado", "sign"})


def test_multiplicity_counts_the_secondary_tests_only():
    # primaries (all p tiny: counting them would change every count), then six secondaries
    sec = [("NVDA", "Nvidia", "US semiconductors", "[0]", -0.17, -7.0, 1e-6, T("2025-01-27"))]
    sec += [("AMD", "AMD", "US semiconductors", w, 0.0, 0.0, p, T("2025-01-27"))
            for w, p in zip(["[0]", "[0,+1]", "[-5,-1]", "[0,+5]", "[0,+20]"],
                            [0.001, 0.009, 0.012, 0.04, 0.3])]
    grp = [("US semiconductors", "[0]", 7, 0, 0, 1e-5, 0, 1e-5, 0) + (0,) * 8,
           ("Japan semiconductors", "[0,+1]", 6, 0, 0, 1e-5, 0, 1e-5, 0) + (0,) * 8,
           ("Japan semiconductors", "[0]", 6, 0, 0, 0.07, 0, 0.9, 0) + (0,) * 8]
    got = tb.multiplicity(_study(sec, grp))
    # secondaries: 0.001 0.009 0.012 0.04 0.3 0.07 0.9 (seven)
    # Holm: 0.007 0.054 0.06 0.16 ... -> one below 5%; BH: 0.007 0.028 0.028 0.07 -> three
    # stars kept under Holm: 0.001 (*** -> 0.007 ***) only
    assert got == {"n": 7, "raw5": 4, "holm5": 1, "bh5": 3, "holm_any": 1}


def test_multiplicity_counts_surviving_stars_apart_from_holm_5_percent():
    sec = [("AMD", "AMD", "US semiconductors", w, 0.0, 0.0, p, T("2025-01-27"))
           for w, p in zip(["[0]", "[0,+1]"], [0.03, 0.08])]
    # Holm: 0.06 and 0.08: none below 5%; 0.08 keeps its one star (10%), 0.03 loses one
    assert tb.multiplicity(_study(sec)) == {"n": 2, "raw5": 1, "holm5": 0, "bh5": 0,
                                            "holm_any": 1}


def test_multiplicity_counts_only_p_values_below_five_percent():
    # raw 0.025 and 0.05; Holm and BH both give 0.05 and 0.05: not below 5%; 0.05 keeps its *
    sec = [("AMD", "AMD", "US semiconductors", w, 0.0, 0.0, p, T("2025-01-27"))
           for w, p in zip(["[0]", "[0,+1]"], [0.025, 0.05])]
    assert 0.025 * 2 == 0.05
    assert tb.multiplicity(_study(sec)) == {"n": 2, "raw5": 1, "holm5": 0, "bh5": 0,
                                            "holm_any": 1}


# --- securities and groups ----------------------------------------------------------------------

def _securities() -> es.Study:
    """Two groups (US first: the table keeps the study's order), all five windows."""
    cars = {"NVDA": [-0.05, -0.169, -0.18, -0.2, -0.25],
            "MU": [0.01, -0.06, -0.05, 0.0, 0.02],
            "6857.T": [0.02, -0.101, -0.12, -0.11, -0.09]}
    ts = {"NVDA": [-1.0, -7.4, -5.1, -2.9, -1.8], "MU": [0.3, -2.2, -1.1, 0.0, 0.2],
          "6857.T": [0.5, -3.0, -2.6, -1.4, -0.7]}
    ps = {"NVDA": [0.3, 1e-8, 1e-5, 0.004, 0.07], "MU": [0.7, 0.03, 0.27, 1.0, 0.85],
          "6857.T": [0.6, 0.003, 0.01, 0.16, 0.48]}
    group = {"NVDA": "US semiconductors", "MU": "US semiconductors",
             "6857.T": "Japan semiconductors"}
    day = {"NVDA": T("2025-01-27"), "MU": T("2025-01-27"), "6857.T": T("2025-01-28")}
    rows = [(t, es.facts.name(t), group[t], w, cars[t][i], ts[t][i], ps[t][i], day[t])
            for t in ("NVDA", "MU", "6857.T")
            for i, w in enumerate(["[-5,-1]", "[0]", "[0,+1]", "[0,+5]", "[0,+20]"])]
    return _study(rows)


def test_flags_are_the_confounded_security_windows(monkeypatch):
    hits = pd.DataFrame({"ticker": ["NVDA", "NVDA", "MU"], "window": ["[-5,-1]", "[0,+20]", "[0]"],
                         "date": [T("2025-01-21")] * 2 + [T("2025-01-27")],
                         "label": ["Stargate announced"] * 2 + ["Micron news"]})
    seen = _no_news(monkeypatch, hits)
    study = _securities()
    assert tb.flags(study) == {("NVDA", "[-5,-1]"), ("NVDA", "[0,+20]"), ("MU", "[0]")}
    assert seen == [(study, tuple(WINDOWS))]


def test_security_table_cells_marks_and_order(monkeypatch):
    hits = pd.DataFrame({"ticker": ["NVDA", "MU"], "window": ["[-5,-1]", "[0,+1]"],
                         "date": [T("2025-01-21"), T("2025-01-28")],
                         "label": ["Stargate announced", "Micron news"]})
    _no_news(monkeypatch, hits)
    got = tb.security_table(_securities())
    # Holm over the 14 secondaries: NVDA [0,+1] 1e-5 x 14 keeps its *** (†); 6857.T [0]
    # 0.003 x 13 = 0.039 and NVDA [0,+5] 0.004 x 12 = 0.048 fall from *** to ** (no †)
    want = pd.DataFrame({
        "Security": ["**US semiconductors**", "Nvidia", "Micron Technology",
                     "**Japan semiconductors**", "Advantest"],
        "t = 0": ["", "27 Jan", "27 Jan", "", "28 Jan"],
        "[-5,-1]": ["", "-5.0 (-1.0)§", "+1.0 (+0.3)", "", "+2.0 (+0.5)"],
        "[0]": ["", "-16.9 (-7.4)\\*\\*\\* (P)†", "-6.0 (-2.2)\\*\\*", "",
                "-10.1 (-3.0)\\*\\*\\*"],
        "[0,+1]": ["", "-18.0 (-5.1)\\*\\*\\*†", "-5.0 (-1.1)§", "", "-12.0 (-2.6)\\*\\*"],
        "[0,+5]": ["", "-20.0 (-2.9)\\*\\*\\*", "+0.0 (+0.0)", "", "-11.0 (-1.4)"],
        "[0,+20]": ["", "-25.0 (-1.8)\\*", "+2.0 (+0.2)", "", "-9.0 (-0.7)"]})
    assert list(WINDOWS) == ["[0]", "[0,+1]", "[-5,-1]", "[0,+5]", "[0,+20]"]
    pd.testing.assert_frame_equal(got, want[["Security", "t = 0", *WINDOWS]])


def test_security_table_without_day0_or_single_t_stars(monkeypatch):
    _no_news(monkeypatch)
    got = tb.security_table(_securities(), ("[0]", "[0,+1]"), day0=False,
                            keep=frozenset({"portfolio"}))
    want = pd.DataFrame({
        "Security": ["**US semiconductors**", "Nvidia", "Micron Technology",
                     "**Japan semiconductors**", "Advantest"],
        "[0]": ["", "-16.9 (-7.4) (P)†", "-6.0 (-2.2)", "", "-10.1 (-3.0)"],
        "[0,+1]": ["", "-18.0 (-5.1)†", "-5.0 (-1.1)", "", "-12.0 (-2.6)"]})
    pd.testing.assert_frame_equal(got, want)


def _groups() -> es.Study:
    """A tested group over four windows (the table shows three), one with a test not finite,
    and small groups of two and three (described) beside a lone security (not)."""
    sec = []
    for t, g in (("A", "Four"), ("B", "Four"), ("C", "Four"), ("D", "Four"), ("E", "Pair"),
                 ("F", "Pair"), ("G", "Trio"), ("H", "Trio"), ("I", "Trio"), ("J", "Lone")):
        for k, w in enumerate(["[-5,-1]", "[0]", "[0,+1]", "[0,+5]", "[0,+20]"]):
            sec.append((t, t, g, w, (ord(t) - 64) / 100 - k / 200, 0.0, 0.5, T("2025-01-27")))
    grp = [
        ("Four", "[0]", 4, -0.0912, -3.456, 0.003, -2.501, 0.04, 0.456, -4.44, 0.0004,
         -2.02, 0.06, -1.97, 0.049, -2.0, 0.046),
        ("Four", "[0,+1]", 4, 0.1049, 2.004, 0.08, 1.5, 0.13, 0.1, 1.2, 0.23, np.nan, np.nan,
         np.nan, np.nan, 1.0, 0.32),
        ("Four", "[0,+5]", 4, -0.0051, -0.04, 0.97, -0.03, 0.98, -0.012, 0.01, 0.99, 0.1, 0.9,
         np.nan, np.nan, 0.0, 1.0),
        ("Four", "[-5,-1]", 4, 0.3, 9.0, 1e-9, 9.0, 1e-9, 0.5, 9.0, 1e-9, 9.0, 1e-9, np.nan,
         np.nan, 9.0, 1e-9)]
    return _study(sec, grp)


def test_described_groups_of_two_and_three_in_study_order():
    got = tb.described(_groups())
    want = pd.DataFrame({
        "group": ["Pair"] * 3 + ["Trio"] * 3, "window": ["[0]", "[0,+1]", "[0,+5]"] * 2,
        "n": [2] * 6,
        "caar": [0.05, 0.045, 0.04, 0.075, 0.07, 0.065]})
    want.loc[3:, "n"] = 3
    pd.testing.assert_frame_equal(got, want, check_dtype=False, atol=1e-12)
    two = tb.described(_groups(), ("[0,+5]", "[-5,-1]"))
    assert list(zip(two["group"], two["window"])) == [
        ("Pair", "[0,+5]"), ("Pair", "[-5,-1]"), ("Trio", "[0,+5]"), ("Trio", "[-5,-1]")]
    np.testing.assert_allclose(two["caar"], [0.04, 0.055, 0.065, 0.08], atol=1e-12)


def test_described_keeps_the_order_the_groups_come_in():
    sec = [(t, t, g, "[0]", c, 0.0, 0.5, T("2025-01-27"))
           for t, g, c in (("A", "Zed", 0.01), ("B", "Zed", 0.03), ("C", "Alpha", -0.02),
                           ("D", "Alpha", -0.04))]
    got = tb.described(_study(sec), ("[0]",))
    assert list(got["group"]) == ["Zed", "Alpha"]
    np.testing.assert_allclose(got["caar"], [0.02, -0.03])


def test_group_table_cells_stars_marks_and_small_groups(monkeypatch):
    got = tb.group_table(_groups())
    want = pd.DataFrame({
        "Group": ["Four", "Four", "Four", "Pair", "Pair", "Pair", "Trio", "Trio", "Trio"],
        "Window": ["[0]", "[0,+1]", "[0,+5]"] * 3,
        "n": ["4", "4", "4", "2", "2", "2", "3", "3", "3"],
        "CAAR (%)": ["-9.1", "+10.5", "-0.5", "+5.0", "+4.5", "+4.0", "+7.5", "+7.0", "+6.5"],
        "Portfolio t": ["-3.46\\*\\*\\*", "+2.00\\*", "-0.04"] + ["—"] * 6,
        "KP t": ["-2.50\\*\\*", "+1.50", "-0.03"] + ["—"] * 6,
        "r̄": ["0.46", "0.10", "-0.01"] + ["—"] * 6,
        "BMP t": ["-4.44\\*\\*\\*", "+1.20", "+0.01"] + ["—"] * 6,
        "GRANK t": ["-2.02\\*", "", "+0.10"] + ["—"] * 6,
        "Corrado z": ["-1.97\\*\\*", "", ""] + ["—"] * 6,
        "Sign z": ["-2.00\\*\\*", "+1.00", "+0.00"] + ["—"] * 6})
    pd.testing.assert_frame_equal(got, want)


def test_group_table_describes_the_small_groups_in_its_own_windows():
    got = tb.group_table(_groups(), windows=("[0,+5]", "[-5,-1]"))
    assert list(zip(got["Group"], got["Window"], got["CAAR (%)"])) == [
        ("Four", "[0,+5]", "-0.5"), ("Four", "[-5,-1]", "+30.0"), ("Pair", "[0,+5]", "+4.0"),
        ("Pair", "[-5,-1]", "+5.5"), ("Trio", "[0,+5]", "+6.5"), ("Trio", "[-5,-1]", "+8.0")]
    assert list(got["KP t"]) == ["-0.03", "+9.00\\*\\*\\*†", "—", "—", "—", "—"]


def test_group_table_holm_marks_and_a_narrower_keep():
    # only primary tests get (P); the group's [0] tests are two of the three primaries here
    study = _groups()
    groups = study.groups.assign(group=study.groups["group"].replace("Four",
                                                                     "US semiconductors"))
    sec = study.securities.loc[~study.securities["group"].isin(["Pair", "Trio"])]
    sec = sec.assign(group=sec["group"].replace("Four", "US semiconductors"))
    made = _study(sec.iloc[:, :8].values.tolist(), groups.values.tolist())
    got = tb.group_table(made, windows=("[0]", "[-5,-1]"), keep=frozenset({"BMP", "sign"}))
    want = pd.DataFrame({
        "Group": ["US semiconductors"] * 2, "Window": ["[0]", "[-5,-1]"], "n": ["4", "4"],
        "CAAR (%)": ["-9.1", "+30.0"],
        "Portfolio t": ["-3.46 (P)†", "+9.00†"], "KP t": ["-2.50 (P)†", "+9.00†"],
        "r̄": ["0.46", "0.50"],
        "BMP t": ["-4.44\\*\\*\\*", "+9.00\\*\\*\\*"], "GRANK t": ["-2.02", "+9.00"],
        "Corrado z": ["-1.97", ""], "Sign z": ["-2.00\\*\\*", "+9.00\\*\\*\\*"]})
    pd.testing.assert_frame_equal(got, want, check_dtype=False)


# --- confounders --------------------------------------------------------------------------------

def test_confounder_table_one_row_per_item_sorted_with_its_securities(monkeypatch):
    hits = pd.DataFrame({
        "ticker": ["NVDA", "NVDA", "MU", "NVDA", "6857.T", "MU"],
        "window": ["[-5,-1]", "[0]", "[0]", "[0,+1]", "[0]", "[0,+5]"],
        "date": [T("2025-01-21"), T("2025-01-27"), T("2025-01-27"), T("2025-01-27"),
                 T("2025-01-21"), T("2025-01-21")],
        "label": ["Stargate announced", "Zeta news", "Zeta news", "Zeta news", "Advantest results",
                  "Stargate announced"]})
    seen = _no_news(monkeypatch, hits)
    study = _securities()
    got = tb.confounder_table(study)
    assert seen == [(study, ("[-5,-1]", "[0]", "[0,+1]"))]
    want = pd.DataFrame({
        "Date": ["21 Jan", "21 Jan", "27 Jan"],
        "News": ["Advantest results", "Stargate announced", "Zeta news"],
        "Securities (windows)": ["Advantest ([0])", "Nvidia ([-5,-1])",
                                 "Nvidia ([0], [0,+1]); Micron Technology ([0])"]})
    pd.testing.assert_frame_equal(got, want)


def test_confounder_table_when_no_window_holds_news(monkeypatch):
    _no_news(monkeypatch)
    got = tb.confounder_table(_securities(), ("[0]",))
    assert got.empty and list(got.columns) == ["Date", "News", "Securities (windows)"]


def test_window_news_lists_each_item_once_or_none(monkeypatch):
    hits = pd.DataFrame({
        "ticker": ["NVDA", "NVDA", "NVDA", "MU"],
        "window": ["[-5,-1]", "[-5,-1]", "[0]", "[-5,-1]"],
        "date": [T("2025-01-21"), T("2025-01-24"), T("2025-01-27"), T("2025-01-22")],
        "label": ["Stargate announced", "Meta capex", "Other", "Micron news"]})
    seen = _no_news(monkeypatch, pd.concat([hits, hits.iloc[[0]]], ignore_index=True))
    study = _securities()
    assert tb.window_news(study, "NVDA", "[-5,-1]") == (
        "Stargate announced (21 Jan), Meta capex (24 Jan)")
    assert seen == [(study, ("[-5,-1]",))]
    assert tb.window_news(_securities(), "6857.T", "[-5,-1]") == "none"
    # an item told twice (the same label on two dates) is listed once, at its first date
    again = hits.iloc[[1]].assign(date=T("2025-01-25"))
    _no_news(monkeypatch, pd.concat([hits, again], ignore_index=True))
    assert tb.window_news(study, "NVDA", "[-5,-1]") == (
        "Stargate announced (21 Jan), Meta capex (24 Jan)")


# --- placebo, breadth, robustness -----------------------------------------------------------------

def test_placebo_table_rates_errors_groups_and_stars():
    got = tb.placebo_table(_rates())
    want = pd.DataFrame({
        "Test": ["single t", "portfolio", "sign", "single SQ"],
        "Tests run": ["1200", "300", "300", "1200"],
        "All, 1%": ["1.2 ± 10.0", "2.0 ± 0.8", "0.0 ± 0.0", "1.1 ± 0.3"],
        "All, 5%": ["7.5 ± 0.7", "7.5 ± 1.5", "2.0 ± 0.8", "5.0 ± 0.6"],
        "All, 10%": ["11.0 ± 0.9", "15.0 ± 2.0", "6.0 ± 1.3", "10.0 ± 0.8"],
        "US semiconductors, 5%": ["6.0 ± 10.0", "8.0 ± 2.2", "3.0 ± 1.4", "5.2 ± 0.9"],
        "Japan, 5%": ["7.0 ± 1.0", "10.0 ± 2.4", "nan ± nan", "nan ± nan"],
        "Stars shown": ["yes", "no", "yes", "no (none in the tables)"]})
    pd.testing.assert_frame_equal(got.reset_index(drop=True), want)
    assert list(tb.placebo_table(_rates(), rule=1.6)["Stars shown"]) == [
        "yes", "yes", "yes", "no (none in the tables)"]


def test_breadth_table_cells():
    frame = pd.DataFrame({"rose": [300, 20], "fell": [199, 60], "members": [499, 80],
                          "ew_ret": [0.00049, -0.0351]}, index=["All", "Technology"])
    want = pd.DataFrame({"Sector": ["All", "Technology"], "Rose": ["300", "20"],
                         "Fell": ["199", "60"], "Members": ["499", "80"],
                         "Equal-weighted return (%)": ["+0.0", "-3.5"]})
    pd.testing.assert_frame_equal(tb.breadth_table(frame).reset_index(drop=True), want)


def test_breadth_table_on_the_event_day_from_the_raw_panel(snapshot):
    from deepshock.story.eventstudy import news

    members = pd.read_csv(snapshot / "panel" / "members.csv", dtype=str, keep_default_na=False)
    members = members.loc[members["kind"] == "sp500"]
    closes = pd.read_csv(snapshot / "panel" / "closes.csv", index_col=0, parse_dates=True)
    ret = (closes.loc["2025-01-27"] / closes.loc["2025-01-24"] - 1)[members["ticker"]].dropna()
    table = tb.breadth_table(news.breadth()).set_index("Sector")
    assert table.at["All", "Members"] == str(len(ret))
    assert table.at["All", "Fell"] == str(int((ret < 0).sum()))
    assert table.at["All", "Rose"] == str(int((ret > 0).sum()))
    sector = members.set_index("ticker")["sector"].reindex(ret.index)
    tech = ret[sector == "Technology"]
    assert table.at["Technology", "Equal-weighted return (%)"] == f"{tech.mean() * 100:+.1f}"
    assert table.at["Technology", "Fell"] == str(int((tech < 0).sum()))


def _headline_study(scale: float = 1.0) -> es.Study:
    day = T("2025-01-27")
    sec = [("NVDA", "Nvidia", "US semiconductors", "[0]", -0.169 * scale, -7.44, 1e-9, day),
           ("000660.KS", "SK hynix", "Korea", "[0]", -0.0987, -2.34, 0.02, T("2025-01-31")),
           ("2330.TW", "TSMC", "Taiwan", "[0]", -0.0312, -1.71, 0.09, T("2025-02-03"))]
    grp = [("US semiconductors", "[0]", 7, -0.0851 * scale, -3.456, 0.004, -1.234, 0.21, 0.5,
            -5.0, 0.001, -2.0, 0.05, -1.0, 0.3, -2.6, 0.009),
           ("Japan semiconductors", "[0,+1]", 6, 0.1, 0.444, 0.66, 1.96, 0.0499, 0.3,
            0.7, 0.5, 0.2, 0.8, 0.3, 0.7, 0.1, 0.9)]
    return _study(sec, grp)


def test_headline_rows_and_the_robustness_table():
    want = {
        "Nvidia [0]: AR % (t)": "-16.9 (-7.4)\\*\\*\\*",
        "US semiconductors [0]: CAAR %": "-8.5",
        "US semiconductors [0]: portfolio t": "-3.46\\*\\*\\*",
        "US semiconductors [0]: KP t": "-1.23",
        "Japan semiconductors [0,+1]: CAAR %": "+10.0",
        "Japan semiconductors [0,+1]: portfolio t": "+0.44",
        "Japan semiconductors [0,+1]: KP t": "+1.96\\*\\*",
        "SK hynix [0]: AR % (t)": "-9.9 (-2.3)\\*\\*",
        "TSMC [0]: AR % (t)": "-3.1 (-1.7)\\*"}
    assert tb.headline_rows(_headline_study()) == want
    got = tb.robustness_table({"Main": _headline_study(), "Half": _headline_study(0.5)})
    assert list(got.columns) == ["Statistic", "Main", "Half"]
    assert list(got["Statistic"]) == list(want)
    assert list(got["Main"]) == list(want.values())
    assert list(got["Half"][:2]) == ["-8.5 (-7.4)\\*\\*\\*", "-4.3"]


def test_held_table_weights_dates_and_the_three_benchmarks(monkeypatch):
    members = pd.DataFrame({"index": ["^N225", "^KS11"], "ticker": ["6857.T", "000660.KS"],
                            "as_of": [T("2025-01-31"), T("2024-12-30")],
                            "weight": [0.0663, np.nan]})
    monkeypatch.setattr(tb.context, "index_members", lambda: members)
    monkeypatch.setattr(tb.es, "held", lambda: ("6857.T", "000660.KS"))
    monkeypatch.setattr(tb.es, "own_weight", lambda t: 0.0663 if t == "6857.T" else None)

    def study(k):
        rows = [("6857.T", "Advantest", "Japan", "[0]", -0.1 * k, -3.0 * k, 0.003, T("2025-01-27")),
                ("000660.KS", "SK hynix", "Korea", "[0]", -0.09 * k, -2.2 * k, 0.03,
                 T("2025-01-31"))]
        return _study(rows)

    got = tb.held_table(study(1), study(0.9), study(0.5))
    want = pd.DataFrame({
        "Security": ["Advantest", "SK hynix"], "Benchmark": ["Nikkei 225", "KOSPI"],
        "Own weight": ["6.63% (31 Jan 2025)", "not found"], "t = 0": ["27 Jan", "31 Jan"],
        "Against the index": ["-10.0 (-3.0)\\*\\*\\*", "-9.0 (-2.2)\\*\\*"],
        "Without its own weight": ["-9.0 (-2.7)\\*\\*\\*", "—"],
        "No benchmark": ["-5.0 (-1.5)\\*\\*\\*", "-4.5 (-1.1)\\*\\*"]})
    pd.testing.assert_frame_equal(got, want)


def test_estimands_on_the_event_and_the_contrast_day():
    def study(ts, day, caar):
        sec = [(f"S{i}", f"Name {i}", "US semiconductors", "[0]", 0.0, t, 0.5,
                day if i == 0 else day + pd.Timedelta(days=1)) for i, t in enumerate(ts)]
        sec += [("X", "Other", "Japan", "[0]", 0.0, -50.0, 0.5, day),
                ("S0", "Name 0", "US semiconductors", "[0,+1]", 0.0, 40.0, 0.5, day)]
        grp = [("US semiconductors", "[0]", len(ts), caar, -3.1, 0.004, -1.2, 0.23, 0.5)
               + (0,) * 8,
               ("US semiconductors", "[0,+1]", len(ts), 9.0, 9.0, 0.9, 9.0, 0.9, 0.5) + (0,) * 8]
        return _study(sec, grp)

    got = tb.estimands(study([-7.0, -1.0, -4.0, 0.0], T("2025-01-27"), -0.08),
                       study([-2.0, -3.0, -2.5], T("2024-04-19"), -0.05))
    sd = float(np.std([-7.0, -1.0, -4.0, 0.0], ddof=1))
    assert got["event"] == {"port_t": -3.1, "port_p": 0.004, "kp": -1.2, "kp_p": 0.23,
                            "caar": -0.08, "sd": pytest.approx(sd), "n": 4, "lo": -7.0,
                            "lo_name": "Name 0", "hi": 0.0, "hi_name": "Name 3",
                            "day": T("2025-01-27")}
    assert got["contrast"]["sd"] == pytest.approx(0.5)
    assert (got["contrast"]["lo_name"], got["contrast"]["hi_name"]) == ("Name 1", "Name 0")
    assert got["contrast"]["day"] == T("2024-04-19") and got["contrast"]["n"] == 3
    assert got["contrast"]["caar"] == -0.05


# --- the chart ----------------------------------------------------------------------------------

def _paths() -> pd.DataFrame:
    taus = list(range(-5, 21))
    rows = []
    for g, n, step, drift in (("US semiconductors", 7, -0.1234, 0.001),
                              ("Japan semiconductors", 6, -0.0567, 0.004),
                              ("Korea (SK hynix only)", 1, -0.0312, 0.0001)):
        car = np.cumsum([0.0] * 5 + [step] + [drift] * 20)
        rows.append(pd.DataFrame({"group": g, "tau": taus, "car": car, "n": n}))
    return pd.concat(rows, ignore_index=True)


def test_path_data_is_percent_rounded_to_four_decimals():
    paths = pd.DataFrame({"group": ["A", "A"], "tau": [-5, -4], "car": [0.0123456789, -0.5],
                          "n": [4, 4], "extra": [1, 2]})
    got = tb.path_data(_study([], paths=paths))
    want = pd.DataFrame({"group": ["A", "A"], "tau": [-5, -4], "car_pct": [1.2346, -50.0],
                         "n": [4, 4]})
    pd.testing.assert_frame_equal(got, want)


def test_car_chart_title_colours_axes_tooltips_layout_and_description():
    data = tb.path_data(_study([], paths=_paths()))
    spec = tb.car_chart(data).to_dict()
    # US: -12.34% on day 0 then +0.1 x 20 = -10.34; Japan -5.67 + 8.0 = +2.33; Korea -3.12 + 0.2
    assert spec["title"]["text"] == [
        "US semiconductors fell furthest beyond the market on day 0 (12.3%);",
        "2 of 3 groups were still below their market-model path 20 sessions later"]
    assert spec["title"]["subtitle"] == [
        "Mean cumulative abnormal return per group (%) from five sessions before day 0; "
        "orange: below the path at the end, blue: above",
        "Day 0 (dashed) is 27 January in New York and Tokyo, later in Seoul and Taipei",
        f"Source: {es.SOURCE}"]
    assert spec["description"] == (
        "Small multiples of the mean cumulative abnormal return of 3 groups of securities from "
        "5 sessions before to 20 sessions after the DeepSeek shock. "
        "US semiconductors: \u221212.3% on day 0, \u221210.3% cumulative by day 20. "
        "Japan semiconductors: \u22125.7% on day 0, 2.3% cumulative by day 20. "
        "Korea (SK hynix only): \u22123.1% on day 0, \u22122.9% cumulative by day 20.")
    assert spec["facet"] == {
        "field": "short", "type": "nominal", "title": None,
        "sort": ["US semiconductors", "Japan semiconductors", "Korea (SK hynix)"],
        "header": {"labelFontSize": 12, "labelFontWeight": "bold"}}
    assert spec["columns"] == 4 and spec["resolve"] == {"scale": {"y": "shared"}}
    assert spec["spec"]["width"] == 150 and spec["spec"]["height"] == 110
    zero, day, line = spec["spec"]["layer"]
    assert zero["mark"] == {"type": "rule", "color": MUTED}
    assert zero["encoding"] == {"y": {"datum": 0}}
    assert day["mark"] == {"type": "rule", "color": NEUTRAL, "strokeDash": [3, 3]}
    assert day["encoding"] == {"x": {"datum": 0}}
    assert line["mark"] == {"type": "line", "strokeWidth": 2}
    enc = line["encoding"]
    assert enc["x"] == {"field": "tau", "type": "quantitative", "title": "Sessions from day 0",
                        "scale": {"domain": [-5, 20], "nice": False}, "axis": {"tickCount": 5}}
    assert enc["y"] == {"field": "car_pct", "type": "quantitative", "title": "Mean CAR (%)",
                        "axis": {"tickCount": 4}}
    assert enc["color"] == {"field": "ended", "type": "nominal", "legend": None,
                            "scale": {"domain": ["below", "above"],
                                      "range": [NEGATIVE, POSITIVE]}}
    assert enc["tooltip"] == [
        {"field": "group", "type": "nominal", "title": "Group"},
        {"field": "tau", "type": "quantitative", "title": "Session from day 0"},
        {"field": "car_pct", "type": "quantitative", "title": "Mean CAR since t = −5 (%)",
         "format": ".1f"},
        {"field": "n", "type": "quantitative", "title": "Securities"}]
    assert spec["usermeta"]["narrow"] == {
        "drop": [], "transpose": False,
        "set": {"columns": 2, "spacing": 8, "spec/width": 118, "spec/height": 90,
                "spec/layer/2/encoding/y/title": None,
                "spec/layer/2/encoding/x/axis/tickCount": 3}}
    rows = pd.DataFrame(spec["datasets"][spec["data"]["name"]])
    ended = rows.drop_duplicates("group").set_index("group")["ended"]
    assert ended.to_dict() == {"US semiconductors": "below", "Japan semiconductors": "above",
                               "Korea (SK hynix only)": "below"}
    assert list(rows.drop_duplicates("group")["short"]) == [
        "US semiconductors", "Japan semiconductors", "Korea (SK hynix)"]
    assert len(rows) == 78 and list(rows.columns) == ["group", "tau", "car_pct", "n", "short",
                                                      "ended"]


def test_car_chart_picks_the_largest_day0_fall_not_the_lowest_level():
    # A is lowest throughout (it fell before day 0) but B fell furthest on day 0
    taus = list(range(-5, 21))
    a = np.r_[[-10.0] * 5, -11.0, [-11.0] * 20]
    b = np.r_[[0.0] * 5, -4.0, [1.0] * 20]
    data = pd.DataFrame({"group": ["A"] * 26 + ["B"] * 26, "tau": taus * 2,
                         "car_pct": np.r_[a, b], "n": 4})
    title = tb.car_chart(data).to_dict()["title"]["text"]
    assert title == ["B fell furthest beyond the market on day 0 (4.0%);",
                     "1 of 2 groups were still below their market-model path 20 sessions later"]
    # a group ending exactly on its path is not below it
    data.loc[data["group"] == "A", "car_pct"] = np.r_[[0.0] * 5, -1.0, [0.0] * 20]
    spec = tb.car_chart(data).to_dict()
    assert spec["title"]["text"][1].startswith("0 of 2 groups")
    rows = pd.DataFrame(spec["datasets"][spec["data"]["name"]])
    assert set(rows["ended"]) == {"above"}
    assert math.isclose(rows["car_pct"].sum(), data["car_pct"].sum())


def test_published_nvidia_cells_against_the_raw_files(snapshot):
    """The securities table and the primary table on the real study: Nvidia's day-0 cell is
    the oracle's AR and t, primary and surviving Holm; its pre-event window carries the
    Stargate announcement of 21 Jan (data/confounders.csv names NVDA)."""
    ar, t = nvda_day0_numpy(snapshot)[:2]
    assert ar < -0.15
    study = es.run()
    table = tb.security_table(study, ("[-5,-1]", "[0]", "[0,+1]")).set_index("Security")
    assert table.at["Nvidia", "[0]"] == f"{ar * 100:+.1f} ({t:+.1f})\\*\\*\\* (P)†"
    assert table.at["Nvidia", "t = 0"] == "27 Jan"
    conf = pd.read_csv(ROOT / "data" / "confounders.csv", dtype=str)
    stargate = conf.loc[conf["label"] == "Stargate announced"].iloc[0]
    assert stargate["date"] == "2025-01-21" and "NVDA" in stargate["affects"].split(";")
    assert table.at["Nvidia", "[-5,-1]"].endswith("§")
    assert "Stargate announced (21 Jan)" in tb.window_news(study, "NVDA", "[-5,-1]")
    prim = tb.primary_table(study).set_index("Hypothesis")
    assert prim.at["Nvidia", "t"] == f"{t:+.2f}"
    assert prim.at["Nvidia", "Window"] == "[0]"
