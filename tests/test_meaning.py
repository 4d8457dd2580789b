"""The closing chapter (What it meant): it executes (in the session's one strict build, whose
glue is read here); where prices stood at the end of the data is
pinned by an oracle computed here from the raw snapshot CSVs with plain pandas; the spending-plans
table and chart carry the figures of `data/capex.csv`, read here with the csv module; and each
chart title states what the rows it draws say."""

from __future__ import annotations

import csv
import re

import pandas as pd
import pytest

from deepshock.data.paths import ROOT
from deepshock.story import meaning
from tests.conftest import SNAPSHOT, built_glue
from tests.test_browser import site  # noqa: F401  (the session's one build of the book)

BASE, SHOCK = pd.Timestamp("2025-01-24"), pd.Timestamp("2025-01-27")
END = pd.Timestamp("2025-06-30")
POWER = ["VST", "CEG", "GEV", "NRG"]
TOKYO = ["6857.T", "8035.T", "6146.T", "6920.T", "7735.T", "6723.T"]
FACTS = ROOT / "data" / "capex.csv"


def closes(ticker: str) -> pd.Series:
    """A ticker's closes straight from its snapshot file (the manifest names the file)."""
    manifest = pd.read_csv(SNAPSHOT / "manifest.csv", dtype=str).set_index("ticker")
    frame = pd.read_csv(SNAPSHOT / manifest.at[ticker, "file"], parse_dates=["date"])
    return frame.set_index("date")["close"]


def moved(ticker: str, day: pd.Timestamp) -> float:
    """Close on `day` against the last close on or before 24 January, as a fraction."""
    c = closes(ticker)
    assert day in c.index, f"{ticker} has no close on {day:%Y-%m-%d}"
    return c.loc[day] / c.loc[:BASE].iloc[-1] - 1


def oracle() -> dict[str, tuple[float, float]]:
    """(first session, end of data) for each series of the chapter, in per cent."""
    out = {t: (moved(t, SHOCK) * 100, moved(t, END) * 100) for t in ("NVDA", "^SOX", "^GSPC")}
    for key, members in (("US power", POWER), ("Japan semiconductors", TOKYO)):
        out[key] = (sum(moved(t, SHOCK) for t in members) / len(members) * 100,
                    sum(moved(t, END) for t in members) / len(members) * 100)
    return out


@pytest.fixture(scope="module")
def ch(snapshot):
    return meaning.chapter()


@pytest.fixture(scope="module")
def glued(snapshot, site):  # noqa: F811
    return built_glue(site, "chapters/meaning")


def facts_rows() -> list[dict]:
    with FACTS.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def drawn(chart, *columns: str) -> pd.DataFrame:
    spec = chart.to_dict()
    found = [pd.DataFrame(rows) for rows in spec.get("datasets", {}).values()
             if rows and all(c in rows[0] for c in columns)]
    assert found, f"no dataset with {columns}"
    return max(found, key=len)


# --- where prices stood ------------------------------------------------------------------------

def test_end_of_data_moves_match_the_raw_files(ch):
    expected = oracle()
    got = ch.standing.set_index("key")
    assert list(got.index) == list(expected)
    for key, (first, end) in expected.items():
        assert got.at[key, "first_pct"] == pytest.approx(first, abs=1e-3), key
        assert got.at[key, "end_pct"] == pytest.approx(end, abs=1e-3), key
        assert got.at[key, "end_date"] == END
    assert ch.standing.set_index("key").at["US power", "members"] == len(POWER)
    assert ch.standing.set_index("key").at["Japan semiconductors", "members"] == len(TOKYO)


def test_the_prose_states_the_oracle(glued):
    expected = oracle()
    for tag, key in (("nv", "NVDA"), ("sox", "^SOX"), ("spx", "^GSPC"), ("power", "US power"),
                     ("tokyo", "Japan semiconductors")):
        first, end = expected[key]
        assert first < 0, "the prose says each fell on its first session"
        assert glued[f"me_{tag}_first"]["text/markdown"] == f"{-first:.1f}%"
        word = "above" if end >= 0 else "below"
        assert glued[f"me_{tag}_end"]["text/markdown"] == f"{abs(end):.1f}% {word}"
    assert glued["me_end"]["text/markdown"] == "30 June 2025"
    assert glued["me_nv_end"]["text/markdown"] == "10.8% above"   # read off the files once


def test_nvidia_results_day_and_its_rank(ch):
    c = closes("NVDA")
    rets = (c / c.shift(1) - 1).loc[SHOCK + pd.Timedelta(days=1):END]
    day = pd.Timestamp("2025-02-27")   # the session after the release of 26 February, 16:20 ET
    res = ch.results
    assert res["date"] == pd.Timestamp("2025-02-26") and res["day"] == day
    assert res["ret"] == pytest.approx(rets.loc[day], abs=1e-9)
    assert res["rank"] == int((rets < rets.loc[day]).sum()) + 1
    assert res["sessions"] == len(rets)
    assert res["worst_date"] == rets.idxmin() and res["worst"] == pytest.approx(rets.min())
    assert res["rank"] == 2 and res["worst_date"] == pd.Timestamp("2025-03-03")


# --- the spending plans ------------------------------------------------------------------------

def test_every_statement_of_the_facts_file_is_in_the_table(ch):
    rows = facts_rows()
    table = meaning.plans_markdown(ch.plans).splitlines()[2:]
    assert len(table) == len(rows) == len(ch.plans)
    for row, line in zip(sorted(rows, key=lambda r: (r["stated"], r["ticker"])), table):
        cells = [c.strip() for c in line.strip("|").split("|")]
        stated = pd.Timestamp(row["stated"])
        assert cells[0].endswith(f", {stated.day} {stated:%b %Y}")
        assert cells[2] == row["covers"]
        low, high = float(row["low_usd_bn"]), float(row["high_usd_bn"])
        figures = [float(x) for x in re.findall(r"\d+(?:\.\d+)?", cells[3])]
        assert figures == ([low, high] if row["form"] == "range" else [low]), cells[3]
        assert ("implied" in cells[3]) == (row["form"] == "implied")
    assert all(r["source"].strip() for r in rows), "every row has a source"


def test_changes_follow_the_rule(ch):
    plans = ch.plans.set_index(["ticker", "stated"])
    assert plans.at[("META", pd.Timestamp("2025-01-29")), "change"] == "kept"
    assert plans.at[("META", pd.Timestamp("2025-04-30")), "change"] == "raised"
    assert "| $64–72bn (raised) |" in meaning.plans_markdown(ch.plans)
    assert plans.at[("MSFT", pd.Timestamp("2025-01-03")), "when"] == "before"
    assert plans.at[("GOOGL", pd.Timestamp("2025-02-04")), "change"] == "first"
    assert not (ch.plans["change"] == "cut").any()
    assert ch.text["me_changes"] == ("none of the four cut its spending plan after the shock, "
                                     "and Meta raised its own")


def test_a_lower_figure_is_a_cut():
    table = pd.DataFrame({
        "ticker": ["X", "X", "Y"], "short": ["X", "X", "Y"],
        "stated": pd.to_datetime(["2025-01-10", "2025-03-01", "2025-02-01"]),
        "period_start": pd.to_datetime(["2025-01-01"] * 3),
        "period_end": pd.to_datetime(["2025-12-31"] * 3),
        "low_usd_bn": [60.0, 55.0, 10.0], "high_usd_bn": [65.0, 70.0, 10.0],
        "when": ["before", "after", "after"], "change": ["first", "cut", "first"]})
    assert meaning.changes_text(table) == "X cut its plan after the shock"


def test_amazon_figure_is_four_quarters():
    amzn = [r for r in facts_rows() if r["ticker"] == "AMZN"]
    assert len(amzn) == 1 and amzn[0]["form"] == "implied"
    quarter = float(re.search(r"\$(\d+\.\d)bn of the fourth quarter", amzn[0]["measure"]).group(1))
    assert float(amzn[0]["low_usd_bn"]) == pytest.approx(meaning.QUARTERS * quarter)


def test_plans_chart_draws_the_facts_and_the_run(ch):
    chart, frame = ch.figures["fig-meaning-plans"]
    rows = drawn(chart, "row", "low_usd", "high_usd", "status")
    firms = rows.loc[rows["company"] != "DeepSeek"]
    facts = {(r["company"], r["stated"]): (float(r["low_usd_bn"]), float(r["high_usd_bn"]))
             for r in facts_rows()}
    assert len(firms) == len(facts)
    for r in firms.itertuples():
        low, high = facts[(r.company, pd.Timestamp(r.stated).strftime("%Y-%m-%d"))]
        assert (r.low_usd, r.high_usd) == (low * 1e9, high * 1e9)
    run = rows.loc[rows["company"] == "DeepSeek"].iloc[0]
    assert run["low_usd"] == 2_788_000 * 2 and run["label"] == "$5.576M"


def test_plans_title_states_the_drawn_rows(ch):
    chart, _ = ch.figures["fig-meaning-plans"]
    rows = drawn(chart, "row", "low_usd", "high_usd", "status")
    rows["stated"] = pd.to_datetime(rows["stated"])
    firms = rows.loc[rows["company"] != "DeepSeek"]
    run = rows.loc[rows["company"] == "DeepSeek", "low_usd"].iloc[0]
    last = firms.sort_values("stated").groupby("company").tail(1)
    multiple = int(last["low_usd"].min() / run) // 1000 * 1000
    title = chart.to_dict()["title"]["text"]
    assert (firms["change"] == "cut").sum() == 0 and "no platform cut its plan" in title
    assert f"over {multiple:,} times the $5.576M run" in title
    assert multiple == 11_000


def test_plans_title_can_fail(ch):
    """Without Meta's April raise the smallest latest plan is its $60bn, a smaller multiple."""
    frame = ch.figures["fig-meaning-plans"][1]
    fewer = frame.loc[~((frame["short"] == "Meta") & (frame["change"] == "raised"))]
    assert "over 10,000 times" in meaning.plans_title(fewer)
    assert "over 11,000 times" not in meaning.plans_title(fewer)


def test_standing_title_states_the_drawn_rows(ch):
    chart, _ = ch.figures["fig-meaning-standing"]
    rows = drawn(chart, "label", "pct", "when")
    end = rows.loc[rows["when"] != "First session"]
    first = rows.loc[rows["when"] == "First session"]
    title = chart.to_dict()["title"]["text"]
    n = len(end)
    assert (end["pct"] >= 0).all() and title.startswith(f"All {meaning.count(n)} stood above")
    assert (first["pct"] < 0).all()
    assert title.endswith(f"all {meaning.count(n)} had fallen at first")
    worse = ch.standing.assign(end_pct=ch.standing["end_pct"] - 5)
    assert meaning.standing_title(worse).startswith("Two of five stood above")


def test_narrow_layout_keeps_the_point_labels(ch):
    """On a phone the plans chart keeps its figure labels (only the axis ticks thin out)."""
    spec = ch.figures["fig-meaning-plans"][0].to_dict()
    narrow = spec["usermeta"]["narrow"]
    assert narrow["drop"] == [] and "layer/0/encoding/x/axis/values" in narrow["set"]


def test_each_figure_download_holds_the_rows_its_chart_draws(ch):
    """The CSV a caption links (the data given to `report.figure`) has as many rows as a dataset
    of the chart's spec, and no column the chart does not have."""
    for name, (chart, data) in ch.figures.items():
        sets = [pd.DataFrame(rows) for rows in chart.to_dict()["datasets"].values()]
        match = [s for s in sets if len(s) == len(data)]
        assert match, f"{name}: {len(data)} rows, datasets {[len(s) for s in sets]}"
        assert set(data.columns) <= set(match[0].columns), name
