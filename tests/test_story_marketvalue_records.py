"""The records ranking's published pieces (`story.marketvalue.records`): the ranking, coverage,
lookups, the top tables, the chart's data and the chart on a small made-up ranking written out
here, and the population, the press check, the top table and the chart's title on the data
against an oracle from the raw files (snapshot closes, data/shares.csv, data/universe.csv, the
snapshot's manifest) in plain pandas. Fast: no book, no kernel."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from deepshock.story.marketvalue import records
from tests.conftest import ROOT, SNAPSHOT

T = pd.Timestamp
SHOCK = T("2025-01-27")
ACCENT, MUTED = "#CC79A7", "#BBBBBB"

# made-up company-days: ticker, name, date, ret, loss ($bn), count as of, grade
ROWS = [("SMOL", "Small Co", "2024-06-03", -0.25, 0.95, "2024-05-01", "C"),
        ("AAPL", "Apple", "2025-04-03", -0.092456, 310.96, "2025-01-17", "B"),
        ("MSFT", "Microsoft", "2024-10-31", -0.0612, 150.31, "2024-10-24", "A"),
        ("NVDA", "Nvidia", "2025-01-27", -0.169682, 592.66, "2024-11-15", "A"),
        ("AVGO", "Broadcom, Inc.", "2025-01-27", -0.173968, 198.04, "2024-12-01", "C"),
        ("TIE", "Tie Corp", "2024-05-01", -0.0612, 150.31, "2024-04-02", "B"),
        ("NVDA", "Nvidia", "2024-09-03", -0.09526, 278.91, "2024-08-28", "B")]
# by hand: rank in dollars (ties share the better), rank in per cent, in the ranking's order
ORDER = [("NVDA", "2025-01-27", 1, 3), ("AAPL", "2025-04-03", 2, 5), ("NVDA", "2024-09-03", 3, 4),
         ("AVGO", "2025-01-27", 4, 2), ("TIE", "2024-05-01", 5, 6), ("MSFT", "2024-10-31", 5, 6),
         ("SMOL", "2024-06-03", 7, 1)]


def _days() -> pd.DataFrame:
    frame = pd.DataFrame(ROWS, columns=["ticker", "name", "date", "ret", "loss_bn", "as_of", "grade"])
    return frame.assign(date=pd.to_datetime(frame["date"]), as_of=pd.to_datetime(frame["as_of"]),
                        loss_usd=frame["loss_bn"] * 1e9).drop(columns="loss_bn")


def _ranks() -> pd.DataFrame:
    """The made-up ranking, written by hand (not by `records.ranking`)."""
    days = _days().set_index(["ticker", "date"])
    rows = []
    for ticker, date, usd, pct in ORDER:
        r = days.loc[(ticker, T(date))]
        rows.append({"ticker": ticker, "name": r["name"], "date": T(date), "ret": r["ret"],
                     "as_of": r["as_of"], "grade": r["grade"], "loss_usd": r["loss_usd"],
                     "rank_usd": usd, "rank_pct": pct,
                     "label": f"{r['name']}, {T(date).day} {T(date):%b %Y}"})
    return pd.DataFrame(rows)


def _list_table(text: str) -> tuple[list[str], list[list[str]]]:
    """A MyST list-table -> (its option lines, rows of cells)."""
    lines = text.splitlines()
    assert lines[0] == "```{list-table}" and lines[-1] == "```"
    options = [line for line in lines if line.startswith(":")]
    rows: list[list[str]] = []
    for line in lines[1:-1]:
        if line.startswith("* - "):
            rows.append([line[4:]])
        elif line.startswith("  - "):
            rows[-1].append(line[4:])
    return options, rows


# --- made-up ranking ----------------------------------------------------------------------------

def test_ranking_three_way_ties_share_the_best_rank():
    """Three company-days tie for 2nd-4th: each is 2nd (not 3rd, the average)."""
    made_up = pd.DataFrame({"name": list("abcde"), "date": pd.to_datetime(["2025-01-02"] * 5),
                            "loss_usd": [9.0, 5.0, 5.0, 5.0, 1.0],
                            "ret": [-0.3, -0.1, -0.1, -0.1, -0.01]})
    ranks = records.ranking(made_up).set_index("name")
    assert ranks["rank_usd"].to_dict() == {"a": 1, "b": 2, "c": 2, "d": 2, "e": 5}
    assert ranks["rank_pct"].to_dict() == {"a": 1, "b": 2, "c": 2, "d": 2, "e": 5}


def test_ranking_ranks_labels_and_order():
    got = records.ranking(_days())
    assert list(got.index) == list(range(len(ROWS)))
    assert [(t, f"{d:%Y-%m-%d}", u, p) for t, d, u, p in
            zip(got["ticker"], got["date"], got["rank_usd"], got["rank_pct"])] == ORDER
    assert got["rank_usd"].dtype.kind == "i" and got["rank_pct"].dtype.kind == "i"
    assert got.loc[got["ticker"] == "AVGO", "label"].item() == "Broadcom, Inc., 27 Jan 2025"
    assert got.loc[got["ticker"] == "TIE", "label"].item() == "Tie Corp, 1 May 2024"


def test_coverage_per_company():
    days = pd.concat([_days(), _days().assign(date=T("2024-12-02"), as_of=T("2024-11-15"))
                      .iloc[[3]]], ignore_index=True)
    got = records.coverage(days)
    assert list(got.columns) == ["ticker", "name", "first", "last", "n", "counts", "estimated"]
    assert got["ticker"].tolist() == ["SMOL", "AAPL", "MSFT", "NVDA", "AVGO", "TIE"]  # as met
    nv = got.set_index("ticker").loc["NVDA"]
    assert (nv["first"], nv["last"], nv["n"], nv["counts"], nv["estimated"]) == \
        (T("2024-09-03"), T("2025-01-27"), 3, 2, 0)
    assert got.set_index("ticker")["estimated"].to_dict() == {
        "SMOL": 1, "AAPL": 0, "MSFT": 0, "NVDA": 0, "AVGO": 1, "TIE": 0}


def test_place_and_previous_record():
    ranks = _ranks()
    assert records.place(ranks)["rank_usd"] == 1                       # Nvidia on the shock day
    assert records.place(ranks, "AVGO")["rank_pct"] == 2
    assert records.place(ranks, "NVDA", "2024-09-03")["rank_usd"] == 3
    with pytest.raises(KeyError, match="AAPL on 2025-01-27 is not a ranked company-day"):
        records.place(ranks, "AAPL")
    assert records.previous_record(ranks)["label"] == "Nvidia, 3 Sep 2024"
    assert records.previous_record(ranks, T("2024-09-03"))["label"] == "Tie Corp, 1 May 2024"
    assert records.previous_record(ranks, T("2024-09-04"))["label"] == "Nvidia, 3 Sep 2024"


def test_top_table_in_dollars():
    options, rows = _list_table(records.top_table(_ranks(), n=5))
    assert options == [":header-rows: 1", ":width: 100%", ":class: deepshock-wrap longtable",
                       ":widths: 8 30 18 16 18 10"]
    assert rows == [
        ["Rank", "Company-day", "Market value lost", "Close-to-close move", "Share count of",
         "Rank in %"],
        ["1", "Nvidia, 27 Jan 2025 (the shock)", "\\$592.7bn", "−17.0%", "15 Nov 2024", "3"],
        ["2", "Apple, 3 Apr 2025", "\\$311.0bn", "−9.2%", "17 Jan 2025", "5"],
        ["3", "Nvidia, 3 Sep 2024", "\\$278.9bn", "−9.5%", "28 Aug 2024", "4"],
        ["4", "Broadcom, Inc., 27 Jan 2025 (the shock)", "\\$198.0bn", "−17.4%",
         "1 Dec 2024 (estimate)", "2"],
        ["5", "Tie Corp, 1 May 2024", "\\$150.3bn", "−6.1%", "2 Apr 2024", "6"],
    ]
    assert len(_list_table(records.top_table(_ranks()))[1]) == 1 + 7        # n = 10 by default
    thousand = _ranks().assign(loss_usd=lambda f: f["loss_usd"] * 10)
    assert _list_table(records.top_table(thousand, n=1))[1][1][2] == "\\$5,926.6bn"
    edge = _ranks().assign(loss_usd=lambda f: f["loss_usd"].where(f.index > 0, 592.65000004e9))
    assert _list_table(records.top_table(edge, n=1))[1][1][2] == "\\$592.7bn"   # billions of 1e9


def test_top_table_in_per_cent():
    _, rows = _list_table(records.top_table(_ranks(), "rank_pct"))
    assert rows[0][5] == "Rank in \\$"   # escaped: never read as math
    assert [r[:2] + [r[5]] for r in rows[1:]] == [
        ["1", "Small Co, 3 Jun 2024", "7"], ["2", "Broadcom, Inc., 27 Jan 2025 (the shock)", "4"],
        ["3", "Nvidia, 27 Jan 2025 (the shock)", "1"], ["4", "Nvidia, 3 Sep 2024", "3"],
        ["5", "Apple, 3 Apr 2025", "2"], ["6", "Tie Corp, 1 May 2024", "5"],
        ["6", "Microsoft, 31 Oct 2024", "5"]]
    assert rows[1][3:5] == ["−25.0%", "1 May 2024 (estimate)"]


CHECKS = pd.DataFrame({"ticker": ["META", "NVDA", "AAPL"],
                       "date": pd.to_datetime(["2022-02-03", "2024-09-03", "2025-04-03"]),
                       "press_bn": [232.0, 279.0, 311.0]})


def test_chart_data_columns_and_values():
    got = records.chart_data(_ranks(), CHECKS, n=5)
    assert list(got.columns) == ["rank_usd", "label", "short", "ticker", "date", "loss_bn",
                                 "fall_pct", "move", "press_bn", "count", "day"]
    assert got["label"].tolist() == ["Nvidia, 27 Jan 2025", "Apple, 3 Apr 2025",
                                     "Nvidia, 3 Sep 2024", "Broadcom, Inc., 27 Jan 2025",
                                     "Tie Corp, 1 May 2024"]
    assert got["short"].tolist() == ["Nvidia 27 Jan 25", "Apple 3 Apr 25", "Nvidia 3 Sep 24",
                                     "Broadcom 27 Jan 25", "Tie 1 May 24"]
    assert got["loss_bn"].tolist() == [592.7, 311.0, 278.9, 198.0, 150.3]
    assert got["fall_pct"].tolist() == [-16.97, -9.25, -9.53, -17.4, -6.12]
    assert got["move"].tolist() == ["−17.0%", "−9.2%", "−9.5%", "−17.4%", "−6.1%"]
    assert got["press_bn"].tolist()[1:3] == [311.0, 279.0]
    assert got["press_bn"].isna().tolist() == [True, False, False, True, True]
    assert got["count"].tolist() == ["15 Nov 2024", "17 Jan 2025", "28 Aug 2024",
                                     "1 Dec 2024 (an estimate)", "2 Apr 2024"]
    assert got["day"].tolist() == ["27 January 2025", "other days", "other days",
                                   "27 January 2025", "other days"]
    assert len(records.chart_data(_ranks(), CHECKS)) == 7
    many = pd.concat([_ranks().assign(date=lambda f, k=k: f["date"] - pd.Timedelta(days=400 * k))
                      for k in range(3)], ignore_index=True)
    assert len(records.chart_data(many, CHECKS)) == 15                      # n = 15 by default
    edge = _ranks().assign(loss_usd=lambda f: f["loss_usd"].where(f.index > 0, 592.65000004e9))
    assert records.chart_data(edge, CHECKS, n=1)["loss_bn"].tolist() == [592.7]  # 1e9, rounded
    csx = _ranks().assign(name=lambda f: f["name"].where(f.index > 0, "CSX Corporation"))
    assert records.chart_data(csx, CHECKS, n=1)["short"].tolist() == ["CSX 27 Jan 25"]


def test_loss_chart_title_description_and_spec():
    data = records.chart_data(_ranks(), CHECKS, n=5)
    spec = records.loss_chart(data, 1537).to_dict()
    assert spec["title"]["text"] == ("Nvidia's 27 January loss was 2.1 times the earlier record "
                                     "(Nvidia, 3 Sep 2024)")
    assert spec["title"]["subtitle"] == [
        "The largest of 1,537 company-days ranked: the close-to-close fall × the share count; "
        "black ticks: the press figure for that day",
        "Source: Yahoo Finance daily closes; company filings (dated share counts); press reports"]
    assert spec["description"] == (
        "Bar chart of the largest one-day losses of market value among 1,537 company-days. "
        "Nvidia, 27 Jan 2025: 592.7 billion dollars; Apple, 3 Apr 2025: 311.0 billion dollars; "
        "Nvidia, 3 Sep 2024: 278.9 billion dollars; Broadcom, Inc., 27 Jan 2025: 198.0 billion "
        "dollars; Tie Corp, 1 May 2024: 150.3 billion dollars.")
    assert spec["width"] == 460 and spec["height"] == {"step": 18}
    assert spec["usermeta"]["narrow"] == {
        "drop": ["layer/1"], "transpose": False, "note": "Tap a bar for its figures",
        "set": {"layer/0/encoding/y/field": "short", "layer/2/encoding/y/field": "short",
                "layer/0/encoding/x/scale/domain": [0, 592.7]}}
    bars, text, ticks = spec["layer"]
    rows = spec["datasets"][spec["data"]["name"]]   # every layer draws the chart's frame
    assert [r["label"] for r in rows] == data["label"].tolist()
    assert [r["loss_bn"] for r in rows] == data["loss_bn"].tolist()
    assert all("data" not in layer for layer in spec["layer"])
    tooltip = [("label", "nominal", "Company-day", None),
               ("loss_bn", "quantitative", "Loss computed (US$ bn)", ",.1f"),
               ("press_bn", "quantitative", "Press figure (US$ bn)", ",.0f"),
               ("move", "nominal", "Close-to-close move", None),
               ("count", "nominal", "Share count of", None)]
    y = {"field": "label", "type": "nominal", "title": None, "axis": {"labelLimit": 220},
         "sort": {"field": "rank_usd", "op": "min", "order": "ascending"}}
    for layer in (bars, text, ticks):
        assert layer["encoding"]["y"] == y
        assert [(t["field"], t["type"], t["title"], t.get("format"))
                for t in layer["encoding"]["tooltip"]] == tooltip
    assert bars["mark"] in ("bar", {"type": "bar"})
    x = bars["encoding"]["x"]
    assert (x["field"], x["title"], x["scale"]["nice"]) == (
        "loss_bn", "Market value lost in one session (US$ billion)", False)
    assert x["scale"]["domain"] == pytest.approx([0, 592.7 * 1.15])
    assert bars["encoding"]["color"] == {
        "field": "day", "type": "nominal", "title": None,
        "sort": ["27 January 2025", "other days"],
        "scale": {"domain": ["27 January 2025", "other days"], "range": [ACCENT, MUTED]}}
    assert text["mark"] == {"type": "text", "align": "left", "dx": 4, "fontSize": 10}
    assert text["encoding"]["x"] == {"field": "loss_bn", "type": "quantitative"}
    assert text["encoding"]["text"] == {"field": "loss_bn", "type": "quantitative",
                                        "format": "$,.0f"}
    assert ticks["mark"] == {"type": "tick", "color": "#000000", "thickness": 2, "size": 14}
    assert ticks["transform"] == [{"filter": "isValid(datum.press_bn)"}]
    assert ticks["encoding"]["x"] == {"field": "press_bn", "type": "quantitative"}


# --- on the data: an oracle from the raw files ----------------------------------------------------

def _population() -> pd.DataFrame:
    universe = pd.read_csv(ROOT / "data" / "universe.csv", keep_default_na=False)
    counts = pd.read_csv(ROOT / "data" / "shares.csv")
    manifest = pd.read_csv(SNAPSHOT / "manifest.csv").drop_duplicates("ticker").set_index("ticker")
    dated = set(counts.loc[counts["as_of_precision"] == "day", "ticker"])
    rows = []
    for r in universe.loc[universe["kind"].isin(["equity", "adr"])].itertuples():
        if r.currency != "USD":
            reason = f"traded in {r.currency}"
        elif r.ticker == "TSM":
            reason = "TSMC counts by its Taipei line, which trades in Taiwan dollars"
        elif manifest.at[r.ticker, "close_convention"].startswith("ADJUSTED"):
            reason = "its file is dividend-adjusted (no as-traded level)"
        elif r.ticker not in dated:
            reason = "no count dated to a day" if r.ticker in set(counts["ticker"]) else \
                "no share count on file"
        else:
            reason = ""
        rows.append((r.ticker, r.name, reason))
    return pd.DataFrame(rows, columns=["ticker", "name", "reason"])


def _company_days(lines: pd.DataFrame) -> pd.DataFrame:
    """Every company-day of the ranked lines: closes from the snapshot's price files, the last
    day-dated count at or before the day within 183 days (merge_asof)."""
    counts = pd.read_csv(ROOT / "data" / "shares.csv", parse_dates=["as_of"])
    counts = counts.loc[counts["as_of_precision"] == "day"].sort_values("as_of")
    manifest = pd.read_csv(SNAPSHOT / "manifest.csv").drop_duplicates("ticker").set_index("ticker")
    frames = []
    for ticker, name in zip(lines["ticker"], lines["name"]):
        bars = pd.read_csv(SNAPSHOT / manifest.at[ticker, "file"], parse_dates=["date"])
        bars = bars.sort_values("date").assign(prev=lambda b: b["close"].shift(1))
        bars = bars.dropna(subset=["prev"])
        mine = counts.loc[counts["ticker"] == ticker, ["as_of", "shares", "grade"]]
        got = pd.merge_asof(bars, mine, left_on="date", right_on="as_of",
                            tolerance=pd.Timedelta(days=183)).dropna(subset=["shares"])
        frames.append(got.assign(ticker=ticker, name=name,
                                 loss=got["shares"] * (got["prev"] - got["close"]),
                                 ret=got["close"] / got["prev"] - 1))
    return pd.concat(frames, ignore_index=True)


@pytest.fixture(scope="module")
def world(snapshot):
    lines = _population()
    want = _company_days(lines.loc[lines["reason"] == ""])
    ranks = records.ranking(records.company_days())
    return lines, want, ranks


def test_population_reasons_on_the_data(world):
    lines, _, _ = world
    got = records.population()
    assert list(got.columns) == ["ticker", "name", "reason"]
    pd.testing.assert_frame_equal(got.reset_index(drop=True), lines)


def test_company_days_on_the_data(world):
    _, want, ranks = world
    days = records.company_days()
    assert list(days.index) == list(range(len(days)))   # one numbered row per company-day
    assert list(days.columns) == ["ticker", "name", "date", "prev_date", "prev_close", "close",
                                  "ret", "shares", "as_of", "grade", "loss_usd"]
    assert len(days) == len(want)
    mine = days.set_index(["ticker", "date"]).sort_index()
    oracle = want.set_index(["ticker", "date"]).sort_index()
    assert mine["loss_usd"].to_numpy() == pytest.approx(oracle["loss"].to_numpy(), rel=1e-9)
    assert mine["ret"].to_numpy() == pytest.approx(oracle["ret"].to_numpy(), rel=1e-9)
    assert (mine["as_of"] == oracle["as_of"]).all() and (mine["grade"] == oracle["grade"]).all()
    assert (mine["name"] == oracle["name"]).all()


def test_press_check_on_the_data(world):
    _, want, ranks = world
    press = pd.concat([pd.read_csv(ROOT / "data" / "records.csv").assign(when="earlier"),
                       pd.read_csv(ROOT / "data" / "later_losses.csv").assign(when="later")],
                      ignore_index=True)
    press["date"] = pd.to_datetime(press["date"])
    press = press.sort_values("date", kind="stable").reset_index(drop=True)
    got = records.press_check(ranks)
    assert got[["company", "ticker", "date", "when", "source"]].astype(str).values.tolist() == \
        press[["company", "ticker", "date", "when", "source"]].astype(str).values.tolist()
    assert got["press_bn"].tolist() == press["loss_usd_bn"].astype(float).tolist()
    counts = pd.read_csv(ROOT / "data" / "shares.csv", parse_dates=["as_of"])
    counts = counts.loc[counts["as_of_precision"] == "day"]
    oracle = want.set_index(["ticker", "date"])
    for g, p in zip(got.to_dict("records"), press.to_dict("records")):
        key = (p["ticker"], p["date"])
        if key in oracle.index:
            o = oracle.loc[key]
            assert g["why"] == ""
            assert g["loss_bn"] == pytest.approx(o["loss"] / 1e9, rel=1e-9)
            assert g["ret"] == pytest.approx(o["ret"], rel=1e-9)
            assert g["diff"] == pytest.approx(o["loss"] / 1e9 / p["loss_usd_bn"] - 1, rel=1e-9)
            assert g["rank_usd"] == int((want["loss"] > o["loss"]).sum()) + 1
            assert g["rank_pct"] == int((want["ret"] < o["ret"]).sum()) + 1
            assert g["as_of"] == o["as_of"]
        else:
            first = counts.loc[counts["ticker"] == p["ticker"], "as_of"].min()
            assert g["why"] == (f"no count dated at or before it within 183 days (the earliest "
                                f"on file is of {first.day} {first:%b %Y})")
            assert np.isnan(g.get("loss_bn", np.nan))
    assert (got["why"] == "").sum() == 5


def test_top_table_and_chart_title_on_the_data(world):
    _, want, ranks = world
    top = want.sort_values("loss", ascending=False).head(10)
    _, rows = _list_table(records.top_table(ranks))
    assert [r[2] for r in rows[1:]] == [f"\\${v / 1e9:,.1f}bn" for v in top["loss"]]
    assert [r[1] for r in rows[1:]] == [
        f"{n}, {d.day} {d:%b %Y}" + (" (the shock)" if d == SHOCK else "")
        for n, d in zip(top["name"], top["date"])]
    assert [r[3] for r in rows[1:]] == [f"{v * 100:.1f}%".replace("-", "−") for v in top["ret"]]
    first = top.iloc[0]
    before = want.loc[want["date"] < first["date"]].sort_values("loss").iloc[-1]
    data = records.chart_data(ranks, records.press_check(ranks))
    title = records.loss_chart(data, len(ranks)).to_dict()["title"]["text"]
    ratio = first["loss"] / before["loss"]
    assert title == (f"{first['name']}'s {first['date'].day} {first['date']:%B} loss was "
                     f"{ratio:.1f} times the earlier record ({before['name']}, "
                     f"{before['date'].day} {before['date']:%b %Y})")
    assert (first["ticker"], first["date"]) == ("NVDA", SHOCK)
