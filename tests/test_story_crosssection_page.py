"""The cross-section page's words and tables (`story.crosssection.page`): the small formatters
and every table on a small made-up chapter written out here (expected text by hand), and the
page's published numbers on the data against the oracle recomputed from the raw snapshot files
(`tests/oracle/crosssection.py`, plain pandas and statsmodels). Fast: no book, no kernel."""

from __future__ import annotations

import importlib
from types import SimpleNamespace

import pandas as pd
import pytest

from deepshock.story.crosssection import model as cs, page as page_call  # noqa: F401
from tests.oracle import crosssection as xs_oracle, us as us_oracle  # noqa: F401
from tests.oracle.registry import ORACLE, title_text

pg = importlib.import_module("deepshock.story.crosssection.page")   # the module (the package
# re-exports its `page` function under the same name)
T = pd.Timestamp
M = "\u2212"
XS = "chapters/crosssection"


# --- the small formatters -----------------------------------------------------------------------

def test_points_ranks_and_names():
    assert pg.pp(-0.0957) == "9.6 percentage points" and pg.pp(0.1234) == "12.3 percentage points"
    assert pg.pp(0.00049) == "0.0 percentage points"
    assert [pg.nth(r) for r in (1, 2, 17)] == ["the largest", "number 2", "number 17"]
    frame = pd.DataFrame({"name": ["Vistra Corp.", "EMCOR Group, Inc.", "Plain Co", "Apple Inc."]})
    assert pg.names(frame) == "Vistra, EMCOR, Plain Co and Apple"
    assert pg.names(frame, 3) == "Vistra, EMCOR and Plain Co"
    assert pg.names(frame, 1) == "Vistra"
    assert pg.LABELS == {"chip_z": "Chip sensitivity", "beta_z": "Market beta",
                         "momentum_z": "Momentum (2024 return)", "volatility_z": "Volatility"}
    assert pg.ON == "27 January"


# --- every table on a made-up chapter -----------------------------------------------------------

TERMS = ["const", "chip_z", "beta_z", "momentum_z", "volatility_z"]


def _fit(coefs: list[float], r2: float, n: int, clusters: int) -> SimpleNamespace:
    table = pd.DataFrame({
        "coef": coefs, "se_hc3": [0.001, 0.021, 0.022, 0.023, 0.024], "p_hc3": 0.5,
        "se_cluster": [0.002, 0.031, 0.032, 0.033, 0.034],
        "p_cluster": [0.9, 0.0004, 0.0123, 0.2, 0.75]}, index=TERMS)
    return SimpleNamespace(table=table, r2=r2, n=n, clusters=clusters)


def _chip(coef: float, r2: float) -> SimpleNamespace:
    table = pd.DataFrame({"coef": [0.001, coef], "se_hc3": [0.0, 0.02], "se_cluster": [0.0, 0.03],
                          "p_cluster": [0.5, 0.001]}, index=["const", "chip"])
    return SimpleNamespace(table=table, r2=r2, n=9, clusters=4)


def _rows(rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["name", "joined", "industry", "theme", "ret0", "ar0",
                                       "fitted", "beyond"])


WORST = _rows([
    ("Vistra Corp.", pd.NaT, "Utilities - Independent Power Producers", "power producers",
     -0.28, -0.29, -0.10, -0.19),
    ("EMCOR Group, Inc.", T("2025-09-22"), "Engineering & Construction", "data-centre equipment",
     -0.19, -0.195, -0.05, -0.145),
    ("Plain Co", pd.NaT, "A very long industry name that goes on and on beyond forty", "",
     -0.05, -0.06, 0.01, -0.07)])
# twelve members: the ten largest abnormal returns are Co12 .. Co3 (joined later: even numbers)
SAMPLE = _rows([(f"Co{i} Inc.", pd.NaT if i % 2 else T("2025-06-01"), "Banks - Regional", "",
                 0.01 * i, 0.01 * i, 0.004 * i, 0.006 * i) for i in (3, 12, 1, 5, 7, 9, 11, 2,
                                                                    4, 6, 8, 10)])
PLACEBO = pd.DataFrame({"chip_slope": [-0.01, 0.02, 0.03], "chip_r2": [0.1, 0.2, 0.4],
                        "r2_exposures": [0.15, 0.25, 0.35], "r2_sectors": [0.3, 0.32, 0.5]})
RANKS = {("slope", "all"): (1, 535, 1.0), ("slope", "out"): (2, 319, 0.9),
         ("r2", "all"): (6, 535, 0.99), ("r2", "out"): (3, 319, 0.99),
         ("r2_exposures", "all"): (7, 535, 0.9), ("r2_exposures", "out"): (4, 319, 0.9),
         ("r2_sectors", "all"): (8, 535, 0.9), ("r2_sectors", "out"): (5, 319, 0.9)}
CHANGES = pd.DataFrame({
    "date": pd.to_datetime(["2024-12-23", "2025-01-27", "2025-03-24", "2025-10-31"]),
    "added": ["OLD", "SAME", "DASH", "SOLS"],
    "added_name": ["Old Co", "Same Day", "Dash Co", "Solstice"],
    "removed": ["X", "Y", "AMTM", "KMX"], "removed_name": ["Ex", "Why", "Amentum", "CarMax"],
    "kind": ["addition", "addition", "addition", "spin-off"],
    "source": ["S&P; a", "S&P, b", "S&P Dow Jones Indices, 10 Mar (PR Newswire)",
               "Press release; 27 Oct (x), y"]})
EXPO = _fit([0.001, -0.0212, -0.0039, -0.0113, 0.0008], 0.4677, 488, 113)
SECT = _fit([0.002, -0.0201, -0.0031, -0.0104, 0.0012], 0.5544, 487, 112)
DAY0 = pd.Series({"chip_slope": -0.0957, "chip_r2": 0.388, "r2_exposures": 0.4677,
                  "r2_sectors": 0.5544})


def _chapter() -> SimpleNamespace:
    return SimpleNamespace(
        fits={"exposures": EXPO, "sectors": SECT, "chip": _chip(-0.0957, 0.388)},
        holm_exposures={"chip_z": 3.7e-12, "beta_z": 0.1117, "momentum_z": 0.0456,
                        "volatility_z": 0.7668},
        placebo=PLACEBO, ranks=RANKS,
        windows={"[0]": EXPO, "[0,+1]": _fit([0.0, -0.03, 0.0, -0.02, 0.0], 0.41, 488, 113),
                 "[0,+5]": _fit([0.0, -0.04, 0.0, 0.015, 0.0], 0.3, 488, 113)},
        then={"chip": _chip(-0.0912, 0.371), "exposures": _fit([0] * 5, 0.4512, 470, 110)},
        thesis={"hits": 11, "worst": WORST}, thesis_then={"hits": 9},
        breadth={"n": 490, "fell": 157, "rose": 333},
        breadth_then={"n": 478, "fell": 147, "rose": 331}, changes=CHANGES, sample=SAMPLE)


@pytest.fixture
def tables(monkeypatch):
    monkeypatch.setattr(cs, "event_day", lambda: DAY0)
    return pg.tables(_chapter())


def test_cell_is_coefficient_and_clustered_error_in_points():
    assert pg._cell(EXPO, "chip_z") == f"{M}2.12 (3.10)"
    assert pg._cell(EXPO, "volatility_z") == "0.08 (3.40)"


def test_regression_table(tables):
    assert list(tables) == ["xs_reg_table", "xs_win_table", "xs_worst_table", "xs_winners_table",
                            "xs_placebo_table", "xs_surv_table", "xs_changes_table"]
    assert tables["xs_reg_table"] == "\n".join([
        "| Exposure (per standard deviation)   |   Four exposures |   HC3 s.e. |      p (clustered; Holm) |   With sectors |",
        "|:------------------------------------|-----------------:|-----------:|-------------------------:|---------------:|",
        f"| Chip sensitivity                    |     {M}2.12 (3.10) |       2.10 | below 0.001; below 0.001 |   {M}2.01 (3.10) |",
        f"| Market beta                         |     {M}0.39 (3.20) |       2.20 |             0.012; 0.112 |   {M}0.31 (3.20) |",
        f"| Momentum (2024 return)              |     {M}1.13 (3.30) |       2.30 |             0.200; 0.046 |   {M}1.04 (3.30) |",
        "| Volatility                          |      0.08 (3.40) |       2.40 |             0.750; 0.767 |    0.12 (3.40) |",
        "| R²                                  |            0.468 |            |                          |          0.554 |",
        "| Members                             |              488 |            |                          |            487 |",
        "| Industry clusters                   |              113 |            |                          |            112 |"])


def test_windows_table(tables):
    assert tables["xs_win_table"] == "\n".join([
        "| Window   |   Chip sensitivity (per s.d.) |   Momentum (per s.d.) |    R² |",
        "|:---------|------------------------------:|----------------------:|------:|",
        f"| [0]      |                  {M}2.12 (3.10) |          {M}1.13 (3.30) | 0.468 |",
        f"| [0,+1]   |                  {M}3.00 (3.10) |          {M}2.00 (3.30) | 0.410 |",
        f"| [0,+5]   |                  {M}4.00 (3.10) |           1.50 (3.30) | 0.300 |"])


def test_largest_falls_and_rises_tables(tables):
    assert tables["xs_worst_table"] == "\n".join([
        "| Company   | Industry                                 | Thesis group          |   Return |   Abnormal |   Predicted |   Beyond (pp) |",
        "|:----------|:-----------------------------------------|:----------------------|---------:|-----------:|------------:|--------------:|",
        f"| Vistra    | Independent power producer               | power producers       |   {M}28.0% |     {M}29.0% |      {M}10.0% |         {M}19.0 |",
        f"| EMCOR †   | Engineering & Construction               | data-centre equipment |   {M}19.0% |     {M}19.5% |       {M}5.0% |         {M}14.5 |",
        f"| Plain Co  | A very long industry name that goes on … | –                     |    {M}5.0% |      {M}6.0% |        1.0% |          {M}7.0 |"])
    head = [
        "| Company   | Industry         | Thesis group   |   Return |   Abnormal |   Predicted |   Beyond (pp) |",
        "|:----------|:-----------------|:---------------|---------:|-----------:|------------:|--------------:|"]
    body = [f"| Co{i}{' †' if i % 2 == 0 else '  '}{' ' * (4 - len(str(i)))}  | Banks - Regional | –"
            f"              |    {i:>4.1f}% |      {i:>4.1f}% |        {0.4 * i:.1f}% |"
            f"           {0.6 * i:.1f} |" for i in range(12, 2, -1)]
    assert tables["xs_winners_table"] == "\n".join(head + body)
    assert tables["xs_winners_table"].splitlines()[2] == (
        "| Co12 †    | Banks - Regional | –              |    12.0% |      12.0% |        4.8% |"
        "           7.2 |")


def test_placebo_and_survivorship_tables(tables):
    assert tables["xs_placebo_table"] == "\n".join([
        "| Statistic                |   27 January |   Median session |   Rank among all |   Rank out of sample |",
        "|:-------------------------|-------------:|-----------------:|-----------------:|---------------------:|",
        f"| Chip slope (pp per unit) |         {M}9.6 |              2.0 |         1 of 535 |             2 of 319 |",
        "| R², chip alone           |         0.39 |             0.20 |         6 of 535 |             3 of 319 |",
        "| R², four exposures       |         0.47 |             0.25 |         7 of 535 |             4 of 319 |",
        "| R², with sectors         |         0.55 |             0.32 |         8 of 535 |             5 of 319 |"])
    assert tables["xs_surv_table"] == "\n".join([
        "|                                                              |   Today's list |   Members on 27 January |",
        "|:-------------------------------------------------------------|---------------:|------------------------:|",
        "| Members with a day-0 return                                  |            490 |                     478 |",
        "| Fell                                                         |            157 |                     147 |",
        "| Rose                                                         |            333 |                     331 |",
        f"| Chip slope (pp per unit)                                     |           {M}9.6 |                    {M}9.1 |",
        "| R², chip alone                                               |          0.388 |                   0.371 |",
        "| R², four exposures                                           |          0.468 |                   0.451 |",
        "| Thesis industries among the 20 largest falls beyond exposure |             11 |                       9 |"])


def test_index_changes_after_the_event(tables):
    # the change on the event day itself and the earlier one are left out; the source is cut
    # at its first " (", ";" or ","
    assert tables["xs_changes_table"] == "\n".join([
        "| Effective   | Joined          | Replaced       | Kind     | Source                |",
        "|:------------|:----------------|:---------------|:---------|:----------------------|",
        "| 24 Mar 2025 | Dash Co (DASH)  | Amentum (AMTM) | addition | S&P Dow Jones Indices |",
        "| 31 Oct 2025 | Solstice (SOLS) | CarMax (KMX)   | spin-off | Press release         |"])


def test_a_later_change_on_a_one_digit_day(monkeypatch):
    monkeypatch.setattr(cs, "event_day", lambda: DAY0)
    ch = _chapter()
    ch.changes = CHANGES.assign(date=pd.to_datetime(["2024-12-23", "2025-01-28", "2025-03-04",
                                                     "2025-10-31"]))
    lines = pg.tables(ch)["xs_changes_table"].splitlines()
    assert [line.split("|")[1].strip() for line in lines[2:]] == ["28 Jan 2025", "4 Mar 2025",
                                                                 "31 Oct 2025"]
    assert lines[2].split("|")[5].strip() == "S&P"


# --- the page on the data against the oracle ----------------------------------------------------

@pytest.fixture(scope="module")
def published(snapshot):
    return page_call.__wrapped__()


def test_page_numbers_against_the_oracle(published):
    g = published.text
    want = {k: f() for (p, k), f in ORACLE.items() if p == XS and not k.startswith("fig-")}
    assert len(want) >= 25
    wrong = {k: (g.get(k), v) for k, v in want.items() if g.get(k) != v}
    assert not wrong, wrong
    for key in ("fig-xs-quintiles", "fig-xs-beyond", "fig-xs-placebo"):
        assert title_text(published.figures[key][0].to_dict()) == ORACLE[(XS, key)]()


def test_page_breadth_against_the_raw_panel(published):
    b = us_oracle.breadth()
    g = published.text
    assert (g["xs_all_n"], g["xs_fell"], g["xs_rose"]) == (f"{b['n']:,}", f"{b['fell']:,}",
                                                           f"{b['rose']:,}")
    rows = {line.split("|")[1].strip(): line.split("|")[2].strip()
            for line in g["xs_surv_table"].splitlines()[2:]}
    assert (rows["Members with a day-0 return"], rows["Fell"], rows["Rose"]) == (
        str(b["n"]), str(b["fell"]), str(b["rose"]))
    assert g["xs_est_n"] == "240"
