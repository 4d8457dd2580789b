"""Market value lost per company (`story.marketvalue.valuation`): the loss table, the count
lookup, the split and convention rules, the totals, the labels and the tables on small made-up
inputs written out here; and TSMC's home line, the whole-market move and the splits table on the
data against an oracle from the raw files (snapshot closes, the panel, data/*.csv) in plain
pandas. Fast: no book, no kernel."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from deepshock.data.validate import DataError
from deepshock.story.marketvalue import valuation as mv
from tests.conftest import ROOT, SNAPSHOT, raw_close

T = pd.Timestamp
MON, TUE = T("2025-01-27"), T("2025-01-28")


def test_constants():
    assert mv.SHOCK_DAYS == (MON, TUE)
    assert mv.FX == "JPY=X" and mv.HOME_LINE == {"TSM": "2330.TW"}
    assert mv.COUNT_WORDS == {"A": "from a filing", "B": "from a source of another date",
                              "C": "an estimate"}
    assert mv.SOURCE == ("Yahoo Finance daily closes; company filings (share counts); press "
                         "reports (records)")


def test_count_kind_reads_source_and_notes():
    assert mv.count_kind("10-Q", "Weighted-average basic shares") == "weighted-average"
    assert mv.count_kind("WEIGHTED basic (10-K)", "") == "weighted-average"
    assert mv.count_kind("10-Q cover", "as of the cover date") == "outstanding"
    # the two fields are read apart: words split across them do not count
    assert mv.count_kind("weigh", "ted") == "outstanding"


def test_convention_from_the_manifest(monkeypatch):
    manifest = {"tickers": {"A": {"close_convention": "RAW (as traded)"},
                            "B": {"close_convention": "ADJUSTED for dividends"},
                            "C": {"close_convention": "total return"}}}
    monkeypatch.setattr(mv, "read_manifest", lambda: manifest)
    assert mv.convention("A") == "as traded"
    assert mv.convention("B") == "dividend-adjusted"
    with pytest.raises(DataError) as raised:
        mv.convention("C")
    assert str(raised.value) == ("C: close convention 'total return' has no price level for "
                                 "market values")


def test_convention_of_the_snapshot(snapshot):
    assert mv.convention("NVDA") == "as traded" and mv.convention("2330.TW") == "as traded"
    assert mv.convention("8035.T") == "dividend-adjusted"


# --- the count lookup --------------------------------------------------------------------------

def _history(rows) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["ticker", "shares", "as_of", "as_of_precision", "grade",
                                        "source", "notes"])
    return frame.assign(as_of=pd.to_datetime(frame["as_of"]))


NO_SPLITS = pd.DataFrame({"ticker": pd.Series([], dtype=str), "ratio": pd.Series([], dtype=float),
                          "effective": pd.Series([], dtype="datetime64[ns]"),
                          "download": pd.Series([], dtype="datetime64[ns]")})


def test_count_for_the_dated_rule_and_its_fallbacks():
    history = _history([
        ("A", 100.0, "2024-11-01", "day", "A", "10-Q", ""),
        ("A", 110.0, "2025-03-01", "day", "A", "10-Q", ""),
        ("B", 200.0, "2025-03-01", "day", "B", "10-K", ""),          # after, within 183 days
        ("C", 300.0, "2024-06-01", "month", "C", "estimate", ""),       # not dated to a day
        ("D", 390.0, "2022-06-30", "day", "B", "old", ""),           # more than 183 days before
        ("D", 400.0, "2023-01-02", "day", "B", "old", ""),
        ("D", 410.0, "2023-06-30", "day", "B", "old", "")])
    got = mv.count_for("A", MON, history, NO_SPLITS)
    assert (got["shares"], got["use"], got["as_of"]) == (100.0, "at or before", T("2024-11-01"))
    got = mv.count_for("B", MON, history, NO_SPLITS)
    assert (got["shares"], got["use"]) == (200.0, "after")
    got = mv.count_for("C", MON, history, NO_SPLITS)
    assert (got["shares"], got["use"], got["grade"]) == (300.0, "not dated to a day", "C")
    assert type(got["shares"]) is float
    # the history's row and its use, nothing else
    assert list(got.index) == ["ticker", "shares", "as_of", "as_of_precision", "grade", "source",
                               "notes", "use"]
    got = mv.count_for("D", MON, history, NO_SPLITS)    # the latest on file
    assert (got["shares"], got["use"]) == (410.0, "more than 183 days away")
    with pytest.raises(KeyError, match="E: no share count in data/shares.csv"):
        mv.count_for("E", MON, history, NO_SPLITS)


def test_count_for_keeps_the_filed_units():
    """A count filed before a split is kept in the filing's units (the price is restored
    instead): not multiplied by the split's ratio."""
    history = _history([("A", 100.0, "2024-11-01", "day", "A", "10-Q", "")])
    splits = pd.DataFrame({"ticker": ["A"], "ratio": [4.0], "effective": [T("2025-06-01")],
                           "download": [T("2025-12-01")]})
    got = mv.count_for("A", MON, history, splits)
    assert got["shares"] == 100.0 and got["units"] == 4.0


def test_count_for_reads_data_shares_by_default(snapshot):
    got = mv.count_for("NVDA", MON)
    assert (got["shares"], got["as_of"], got["grade"]) == (24.49e9, T("2024-11-15"), "A")
    raw = pd.read_csv(ROOT / "data" / "shares.csv", parse_dates=["as_of"])
    amd = raw.loc[raw["ticker"] == "AMD"].iloc[-1]     # AMD: a yearly estimate only
    got = mv.count_for("AMD", MON)
    assert (got["shares"], got["as_of"], got["use"]) == (amd["shares"], amd["as_of"],
                                                        "not dated to a day")


# --- the loss table on made-up inputs ----------------------------------------------------------

UNIVERSE = pd.DataFrame({
    "ticker": ["USA", "JPN", "KOR", "CLS", "SPL", "TSM", "EST", "TWO", "EUR"],
    "name": ["Usa Inc", "Japan KK", "Korea Co", "Closed Inc", "Split Inc", "TSMC (ADR)",
             "Estimate Inc", "Two Splits Inc", "Euro SE"],
    "market": ["US", "Japan", "Korea", "US", "US", "US", "US", "US", "Europe"],
    "currency": ["USD", "JPY", "KRW", "USD", "USD", "USD", "USD", "USD", "EUR"]})
CONVENTION = {"USA": "as traded", "JPN": "dividend-adjusted", "KOR": "as traded",
              "CLS": "as traded", "SPL": "as traded", "TSM": "as traded", "EST": "as traded",
              "TWO": "as traded", "EUR": "as traded"}
S = 1e6   # the made-up counts in millions
HISTORY = [("USA", 1000.0 * S, "2024-11-01", "day", "A", "10-Q cover", ""),
           ("JPN", 2000.0 * S, "2024-12-31", "day", "B", "annual report", "weighted-average basic"),
           ("KOR", 3000.0 * S, "2024-12-31", "day", "A", "filing (weighted-average)", ""),
           ("CLS", 4000.0 * S, "2024-12-31", "day", "A", "filing", ""),
           ("SPL", 5000.0 * S, "2024-12-31", "day", "A", "filing", ""),
           ("SPL", 5100.0 * S, "2025-03-01", "day", "A", "filing", ""),
           ("TSM", 6000.0 * S, "2024-12-31", "day", "A", "filing", ""),
           ("EST", 7000.0 * S, "2024-06-01", "month", "C", "estimate", ""),
           ("TWO", 8000.0 * S, "2025-01-02", "day", "A", "filing", ""),
           ("EUR", 900.0 * S, "2025-01-02", "day", "A", "filing", "")]
# ticker: (prev_date, prev_close, ret) on Monday, on Tuesday (None: no session)
MOVES = {"USA": (("2025-01-24", 50.0, -0.1), ("2025-01-27", 45.0, 0.02)),
         "JPN": (("2025-01-24", 1000.0, -0.05), ("2025-01-27", 950.0, -0.01)),
         "KOR": (None, ("2025-01-24", 70.0, -0.03)),     # closed Monday, open Tuesday
         "CLS": (("2025-01-24", 10.0, -0.2), None),
         "SPL": (("2025-01-24", 10.0, -0.2), ("2025-01-27", 8.0, 0.1)),
         "TSM": (("2025-01-24", 200.0, -0.13), ("2025-01-27", 174.0, 0.01)),
         "EST": (("2025-01-24", 20.0, -0.25), ("2025-01-27", 15.0, 0.0)),
         "TWO": (("2025-01-24", 30.0, -0.1), ("2025-01-27", 27.0, -0.1)),
         "EUR": (("2025-01-24", 40.0, -0.1), ("2025-01-27", 36.0, 0.05))}
SPLITS = pd.DataFrame({"ticker": ["SPL", "TWO", "TWO"], "ratio": [2.0, 3.0, 2.0],
                       "effective": [pd.NaT, T("2025-01-28"), T("2025-06-01")],
                       "download": [T("2025-12-01")] * 3})


@pytest.fixture
def made_up(monkeypatch):
    rets = []
    for ticker, days in MOVES.items():
        for day, move in zip((MON, TUE), days):
            if move:
                prev_date, prev_close, ret = move
                rets.append((ticker, day, T(prev_date), prev_close, prev_close * (1 + ret), ret))
    rets = pd.DataFrame(rets, columns=["ticker", "date", "prev_date", "prev_close", "close",
                                       "ret"])
    asked = []

    def returns(tickers):
        asked.append(list(tickers))
        return rets.loc[rets["ticker"].isin(tickers)].reset_index(drop=True)

    def prices(ticker):
        assert ticker == "JPY=X"
        return pd.DataFrame({"date": [T("2025-01-24"), MON], "close": [156.0, 155.0]})

    monkeypatch.setattr(mv.sharecounts, "history", lambda: _history(HISTORY))
    monkeypatch.setattr(mv.facts, "universe", lambda: UNIVERSE.copy())
    monkeypatch.setattr(mv, "splits", lambda: SPLITS.copy())
    monkeypatch.setattr(mv.load, "returns", returns)
    monkeypatch.setattr(mv.load, "prices", prices)
    monkeypatch.setattr(mv, "convention", CONVENTION.__getitem__)
    return asked


def test_losses_on_made_up_inputs(made_up):
    table = mv.losses()
    assert made_up == [["USA", "JPN", "KOR", "CLS", "SPL", "TSM", "EST", "TWO", "EUR"]]
    assert list(table.columns) == [
        "ticker", "name", "market", "currency", "date", "shares", "grade", "basis",
        "multiplier", "count", "as_of", "count_use", "included", "reason", "prev_date", "ret",
        "prev_level", "loss_local", "fx", "loss_usd", "approximate", "in_total"]
    by = table.set_index(["ticker", "date"])
    # a dollar line: shares x previous level x -return, no conversion
    usa = by.loc[("USA", MON)]
    assert (usa["name"], usa["market"], usa["currency"], usa["shares"], usa["grade"],
            usa["basis"], usa["multiplier"], usa["count"], usa["as_of"], usa["count_use"]) == \
        ("Usa Inc", "US", "USD", 1000.0 * S, "A", "as traded", 1.0, "outstanding", T("2024-11-01"),
         "at or before")
    assert (usa["prev_date"], usa["ret"], usa["prev_level"], usa["fx"]) == \
        (T("2025-01-24"), -0.1, 50.0, 1.0)
    assert usa["loss_local"] == pytest.approx(5e9) and usa["loss_usd"] == pytest.approx(5e9)
    assert usa["included"] and usa["in_total"] and not usa["approximate"] and usa["reason"] == ""
    # a rise is a negative loss
    assert by.loc[("USA", TUE), "loss_usd"] == pytest.approx(-1000 * S * 45.0 * 0.02)
    # a yen line converted at the same day's USD/JPY close; dividend-adjusted: approximate
    jpn = by.loc[("JPN", MON)]
    assert jpn["loss_local"] == pytest.approx(2000 * S * 1000.0 * 0.05)
    assert (jpn["fx"], jpn["count"], jpn["basis"]) == (155.0, "weighted-average",
                                                       "dividend-adjusted")
    assert jpn["loss_usd"] == pytest.approx(1e11 / 155.0)
    assert jpn["approximate"] and jpn["in_total"]
    # no USD/JPY close with Tuesday's label: no figure
    assert not by.loc[("JPN", TUE), "included"]
    assert by.loc[("JPN", TUE), "reason"] == "no JPY rate for 2025-01-28"
    assert pd.isna(by.loc[("JPN", TUE), "loss_usd"])
    assert by.loc[("JPN", TUE), "ret"] == -0.01     # the move is kept, the figure is not
    # a currency with no rate at all; closed on Monday, the Tuesday still valued
    assert by.loc[("KOR", TUE), "reason"] == "no KRW rate for 2025-01-28"
    assert by.loc[("KOR", MON), "reason"] == "no session (market closed)"
    assert by.loc[("KOR", MON), "count"] == "weighted-average"   # said by the source alone
    # no rate on Monday: Tuesday is still looked at
    assert by.loc["EUR", "reason"].tolist() == ["no EUR rate for 2025-01-27",
                                                 "no EUR rate for 2025-01-28"]
    # closed on Tuesday
    cls = by.loc[("CLS", TUE)]
    assert (cls["included"], cls["reason"]) == (False, "no session (market closed)")
    assert pd.isna(cls["ret"]) and pd.isna(cls["prev_date"])
    # an undated split: no as-traded level on either day
    for day in (MON, TUE):
        spl = by.loc[("SPL", day)]
        assert spl["reason"] == "adjusted for a split of unknown date, so no as-traded level"
        assert not spl["included"] and not spl["in_total"] and pd.isna(spl["multiplier"])
        assert spl["ret"] == MOVES["SPL"][day == TUE][2]
        # the split table passed down: with the undated split the dated count cannot be
        # restored to the day's units, so the latest count on file stands
        assert (spl["shares"], spl["as_of"]) == (5100.0 * S, T("2025-03-01"))
    # the ADR: a figure, but never in a total
    tsm = by.loc[("TSM", MON)]
    assert tsm["included"] and not tsm["in_total"]
    assert tsm["loss_usd"] == pytest.approx(6000 * S * 200.0 * 0.13)
    # an estimated count: approximate, still in the total
    est = by.loc[("EST", MON)]
    assert est["approximate"] and est["in_total"] and est["count_use"] == "not dated to a day"
    assert by.loc[("EST", TUE), "loss_usd"] == 0.0
    # splits after the session restore the level to its units, per session: Monday's level is
    # x 6 (both splits after it), Tuesday's x 2 (the first took effect on Tuesday)
    two = by.loc["TWO"]
    assert two["multiplier"].tolist() == [6.0, 2.0]
    assert two["prev_level"].tolist() == [180.0, 54.0]
    assert two["loss_usd"].tolist() == pytest.approx([8000 * S * 180.0 * 0.1, 8000 * S * 54.0 * 0.1])
    assert table["included"].tolist() == [
        True, True, True, False, False, False, True, False, False, False, True, True, True, True,
        True, True, False, False]
    assert table["in_total"].tolist() == [
        True, True, True, False, False, False, True, False, False, False, False, False, True, True,
        True, True, False, False]
    assert table["approximate"].tolist() == [False, False, True, True, False, False, False,
                                             False, False, False, False, False, True, True,
                                             False, False, False, False]


def test_totals_on_made_up_inputs(made_up):
    table = mv.losses()
    stakes = pd.DataFrame({"holder": ["USA", "USA"], "held": ["EST", "TWO"],
                           "stake": [0.5, 0.25]})
    got = mv.totals(table, MON, stakes)
    usa, jpn, cls, est, two = 5e9, 1e11 / 155.0, 8e9, 7000 * S * 20.0 * 0.25, 8000 * S * 18.0
    assert got.all_usd == pytest.approx(usa + jpn + cls + est + two)
    assert got.exact_usd == pytest.approx(usa + cls + two)
    assert (got.n_all, got.n_exact, got.n_excluded) == (5, 3, 3)   # KOR, SPL, EUR: no figure
    assert got.overlap_usd == pytest.approx(0.5 * est + 0.25 * two)
    assert got.net_usd == pytest.approx(usa + jpn + cls + est + two - 0.5 * est - 0.25 * two)
    # the estimate is out of the exact total, so is its overlap; Two Splits' is in
    assert got.exact_overlap_usd == pytest.approx(0.25 * two)
    assert got.exact_net_usd == pytest.approx(usa + cls + two - 0.25 * two)
    tue = mv.totals(table, TUE, stakes)
    assert (tue.n_all, tue.n_exact, tue.n_excluded) == (3, 2, 5)


def test_totals_read_data_holdings_by_default(snapshot):
    table = pd.DataFrame({"ticker": ["9984.T", "ARM"], "loss_usd": [10.0, 4.0], "date": MON,
                          "in_total": True, "included": True, "approximate": False})
    got = mv.totals(table, MON)
    stake = pd.read_csv(ROOT / "data" / "holdings.csv").set_index(["holder", "held"]).at[
        ("9984.T", "ARM"), "stake"]
    assert got.overlap_usd == pytest.approx(stake * 4.0) and got.exact_overlap_usd == got.overlap_usd
    assert got.net_usd == pytest.approx(14.0 - stake * 4.0)


def test_summary_table_on_made_up_inputs(made_up):
    table = mv.losses()
    lines = mv.summary_table(table).splitlines()
    assert lines[:6] == ["```{list-table}", ":header-rows: 1", ":width: 100%",
                         ":class: deepshock-wrap longtable", ":widths: 26 10 18 23 23", ""]
    assert lines[-1] == "```"
    rows = []
    for line in lines[6:-1]:
        if line.startswith("* - "):
            rows.append([line[4:]])
        else:
            assert line.startswith("  - ")
            rows[-1].append(line[4:])
    assert rows == [
        ["Company", "Share count", "Price level", "27 Jan loss", "28 Jan loss"],
        # Monday's loss, largest first; no figure last
        ["TSMC (ADR) — not in the totals", "from a filing", "as traded", "\\$156.0bn",
         "\u2212\\$10.4bn"],
        ["Two Splits Inc", "from a filing", "as traded", "\\$144.0bn", "\\$43.2bn"],
        ["Estimate Inc", "an estimate", "as traded", "≈\\$35.0bn", "≈\\$0.0bn"],
        ["Closed Inc", "from a filing", "as traded", "\\$8.0bn", "n/a"],
        ["Usa Inc", "from a filing", "as traded", "\\$5.0bn", "\u2212\\$0.9bn"],
        ["Japan KK", "from a source of another date (weighted-average count)",
         "dividend-adjusted", "≈¥100.0bn (≈\\$0.6bn)", "n/a"],
        ["Korea Co", "from a filing (weighted-average count)", "as traded", "n/a", "n/a"],
        ["Split Inc", "from a filing", "as traded", "n/a", "n/a"],
        ["Euro SE", "from a filing", "as traded", "n/a", "n/a"]]


def test_summary_table_skips_a_home_line_closed_on_both_days():
    def rows(ticker, name, included, loss):
        return [{"ticker": ticker, "name": name, "date": d, "included": included, "grade": "A",
                 "count": "outstanding", "basis": "as traded", "currency": "USD",
                 "loss_usd": loss, "loss_local": loss, "approximate": False} for d in (MON, TUE)]
    table = pd.DataFrame(rows("2330.TW", "TSMC", False, np.nan) + rows("X", "Ex", True, 2.5e9)
                         + rows("Y", "Why", False, np.nan))
    # the first session's row names the company and its count
    table.loc[(table["ticker"] == "X") & (table["date"] == TUE), ["name", "grade"]] = ["Ex2", "C"]
    text = mv.summary_table(table)
    assert "TSMC" not in text and "* - Ex\n  - from a filing\n  - as traded\n  - \\$2.5bn" in text
    # the rows after it are kept
    assert text.endswith("* - Why\n  - from a filing\n  - as traded\n  - n/a\n  - n/a\n```")
    table.loc[(table["ticker"] == "2330.TW") & (table["date"] == TUE),
              ["included", "loss_usd", "loss_local"]] = [True, 1e9, 1e9]
    assert "* - TSMC\n  - from a filing\n  - as traded\n  - n/a\n  - \\$1.0bn" in \
        mv.summary_table(table)


# --- small formatters --------------------------------------------------------------------------

def test_label():
    assert mv.label(592.66e9, False) == "$592.7bn"
    assert mv.label(196.44e9, True) == "≈$196.4bn"
    assert mv.label(634.46e9, True, "JPY") == "≈¥634.5bn"
    assert mv.label(1234.56e9, False, "JPY") == "¥1,234.6bn"
    assert mv.label(-1234.56e9, False) == "\u2212$1,234.6bn"
    assert mv.label(-2.04e9, True, "JPY") == "≈\u2212¥2.0bn"
    assert mv.label(0.0, False) == "$0.0bn"
    assert mv.label(3e9, False, "EUR") == "$3.0bn"
    # billions are 1e9 exactly: 1.05bn (stored just above 1.05) rounds up
    assert mv.label(1.05e9, False) == "$1.1bn" and mv.label(1.05e9, False, "JPY") == "¥1.1bn"


def test_list_table():
    got = mv.list_table(["A", "B $"], [["x", "$1"], [2, "y"]], [30, 70])
    assert got == ("```{list-table}\n:header-rows: 1\n:width: 100%\n"
                   ":class: deepshock-wrap longtable\n:widths: 30 70\n\n"
                   "* - A\n  - B \\$\n* - x\n  - \\$1\n* - 2\n  - y\n```")


def test_splits_table_on_made_up_splits(snapshot, monkeypatch):
    """A split effective on the second shock session moves neither session's level (the first
    session is valued in the units of the day after it, the second already has it)."""
    made_up = pd.DataFrame({"ticker": ["NVDA", "AMD", "MU"], "ratio": [2.0, 1.5, 4.0],
                            "effective": [T("2025-01-28"), T("2025-01-29"), pd.NaT],
                            "download": [T("2025-12-01"), T("2025-12-01"), T("2025-12-01")]})
    monkeypatch.setattr(mv, "splits", lambda: made_up)
    cells = [line[4:] for line in mv.splits_table().splitlines()
             if line.startswith(("* - ", "  - "))][5:]
    assert cells == ["Nvidia", "2:1", "2025-01-28", "2025-12-01", "no",
                     "Advanced Micro Devices", "1.5:1", "2025-01-29", "2025-12-01",
                     "yes: prices x 1.5",
                     "Micron Technology", "4:1", "unknown", "2025-12-01",
                     "no: date unknown, figure left out"]


def test_splits_table_from_data_splits(snapshot):
    """Each split of data/splits.csv and whether it moves the level of the shock sessions: only
    a split effective after 28 January 2025 and on or before the download does."""
    raw = pd.read_csv(ROOT / "data" / "splits.csv", parse_dates=["effective", "download"])
    names = pd.read_csv(ROOT / "data" / "universe.csv").set_index("ticker")["name"]
    want = []
    for r in raw.itertuples():
        if pd.isna(r.effective):
            applied, effective = "no: date unknown, figure left out", "unknown"
        else:
            moves = T("2025-01-28") < r.effective <= r.download
            applied, effective = (f"yes: prices x {r.ratio:g}" if moves else "no"), \
                f"{r.effective:%Y-%m-%d}"
        want.append([names[r.ticker], f"{r.ratio:g}:1", effective, f"{r.download:%Y-%m-%d}",
                     applied])
    lines = mv.splits_table().splitlines()
    assert ":widths: 24 10 18 18 30" in lines
    cells = [line[4:] for line in lines if line.startswith(("* - ", "  - "))]
    assert cells == ["Company", "Split", "Effective", "File downloaded", "Applied to the level",
                     *[c for row in want for c in row]]
    # as published: Screen's 2:1 split of March 2026 is applied, Fujikura's undated one is not
    assert ["Screen Holdings", "2:1", "2026-03-31", "2026-07-13", "yes: prices x 2"] in want
    assert ["Fujikura", "6:1", "unknown", "2026-07-13", "no: date unknown, figure left out"] \
        in want
    assert sum(row[-1] == "no" for row in want) == 4


# --- reconciliation ----------------------------------------------------------------------------

def _row(**changes) -> pd.DataFrame:
    row = {"ticker": "NVDA", "date": MON, "basis": "as traded", "currency": "USD",
           "shares": 100.0, "prev_level": 50.0, "ret": -0.2, "loss_usd": 1000.0}
    return pd.DataFrame([row | changes])


def test_reconcile_on_a_made_up_row():
    table = pd.concat([_row(date=TUE, loss_usd=1.0), _row(), _row(ticker="X", loss_usd=7.0)])
    got = mv.reconcile(table, reported=800.0)
    assert got == mv.Reconciliation(shares=100.0, prev_close=50.0, close=40.0, loss=1000.0,
                                    reported=800.0, diff=200.0, rel_diff=pytest.approx(0.25),
                                    implied_shares=80.0)
    assert mv.reconcile(table, 7.5, "X").diff == -0.5
    assert mv.reconcile(table, 2.0, day=TUE).loss == 1.0
    for bad in (_row(basis="dividend-adjusted"), _row(currency="JPY")):
        with pytest.raises(ValueError, match="^NVDA: reconciliation needs an as-traded dollar "
                                             "series$"):
            mv.reconcile(bad, 1.0)


# --- TSMC's home line and the whole market, on the data ---------------------------------------

def test_home_loss_fields_against_the_raw_files(snapshot):
    home = mv.home_loss()
    taipei, adr = raw_close("2330.TW.csv"), raw_close("TSM.csv")
    shares = pd.read_csv(ROOT / "data" / "shares.csv")
    fx = pd.read_csv(ROOT / "data" / "fx_rates.csv", parse_dates=["date"]).iloc[0]
    session, prev = T("2025-02-03"), T("2025-01-22")
    assert (home.ticker, home.adr, home.session, home.prev_date) == ("2330.TW", "TSM", session,
                                                                      prev)
    assert (home.prev_close, home.close) == (taipei[prev], taipei[session])
    assert home.ret == pytest.approx(taipei[session] / taipei[prev] - 1, abs=1e-12)
    assert home.shares == 25930380242.0
    assert home.shares in shares.loc[shares["ticker"] == "2330.TW", "shares"].tolist()
    assert home.rate == pytest.approx(fx["local_amount"] / fx["usd_amount"])
    assert (home.rate_date, home.rate_source) == (fx["date"], fx["source"]) == \
        (T("2025-02-04"), fx["source"])
    assert home.adr_ret == pytest.approx(adr[MON] / adr["2025-01-24"] - 1, abs=1e-12)
    assert home.adr_window_ret == pytest.approx(adr[session] / adr[prev] - 1, abs=1e-12)
    assert home.loss_usd == pytest.approx(home.loss_local / home.rate)
    assert home.adr_window_loss_usd == pytest.approx(5186076048 * (adr[prev] - adr[session]))
    # the news naming the home line dated after its last close before the shock, up to its
    # first session back, in date order, each once
    news = pd.read_csv(ROOT / "data" / "confounders.csv", parse_dates=["date"])
    named = news.loc[news["affects"].fillna("").str.split(";").map(lambda t: "2330.TW" in t)
                     & (news["date"] > prev) & (news["date"] <= session)]
    assert home.news == tuple(dict.fromkeys(named.sort_values(["date", "label"])["label"]))
    assert "US tariff orders signed" in home.news and len(home.news) == 4


def test_home_loss_news_window_and_day(snapshot, monkeypatch):
    """The news window opens the calendar day after the home line's last close and shuts on
    its first session back; a later shock day finds the same first session."""
    asked = []
    window = mv.context.in_window
    monkeypatch.setattr(mv.context, "in_window",
                        lambda first, last, ticker=None: asked.append((first, last, ticker))
                        or window(first, last, ticker))
    tue = mv.home_loss("TSM", TUE)
    assert asked == [(T("2025-01-23"), T("2025-02-03"), "2330.TW")]
    assert (tue.session, tue.prev_date, tue.closed_days) == (T("2025-02-03"), T("2025-01-22"), 7)
    adr = raw_close("TSM.csv")
    assert tue.adr_ret == pytest.approx(adr[TUE] / adr[MON] - 1, abs=1e-12)
    assert tue.adr_loss_usd == pytest.approx(5186076048 * (adr[MON] - adr[TUE]))
    assert tue.loss_usd == pytest.approx(mv.home_loss().loss_usd)


def test_home_loss_counts_shares_on_the_home_session(snapshot, monkeypatch):
    """The counts valuing both lines are those serving the home line's first session back, not
    a count filed later (made-up later counts, added to data/shares.csv's)."""
    history = mv.sharecounts.history()
    later = history.loc[history["ticker"].isin(["2330.TW", "TSM"])].assign(
        as_of=T("2025-12-31"), shares=lambda t: t["shares"] * 2)
    monkeypatch.setattr(mv.sharecounts, "history", lambda: pd.concat(
        [history, later], ignore_index=True).sort_values(["ticker", "as_of"], ignore_index=True))
    home = mv.home_loss()
    assert home.shares == 25930380242.0
    adr = raw_close("TSM.csv")
    assert home.adr_loss_usd == pytest.approx(5186076048 * (adr["2025-01-24"] - adr[MON]))


def test_home_loss_needs_an_as_traded_home_line(snapshot, monkeypatch):
    monkeypatch.setattr(mv, "convention", lambda ticker: "dividend-adjusted")
    with pytest.raises(DataError, match="^2330.TW: the home line needs an as-traded price level$"):
        mv.home_loss()


def test_market_move_takes_the_latest_value_of_its_index(snapshot, monkeypatch):
    values = pd.DataFrame({"index": ["^GSPC", "^GSPC", "^NDX"],
                           "date": [T("2024-06-28"), T("2024-12-31"), T("2025-01-24")],
                           "value_usd_tn": [40.0, 50.0, 99.0], "source": ["old", "new", "other"]})
    monkeypatch.setattr(mv.holdings, "market_values", lambda: values)
    move = mv.market_move()
    gspc = raw_close("INDEX_GSPC.csv")
    assert (move.value_date, move.value_source) == (T("2024-12-31"), "new")
    assert move.value_prev_usd == pytest.approx(50e12 * gspc["2025-01-24"] / gspc["2024-12-31"])


def test_market_move_fields_against_the_raw_files(snapshot):
    move = mv.market_move()
    spy, gspc = raw_close("SPY.csv"), raw_close("INDEX_GSPC.csv")
    values = pd.read_csv(ROOT / "data" / "market_values.csv", parse_dates=["date"])
    value = values.loc[values["index"] == "^GSPC"].iloc[-1]
    assert move.day == MON
    assert move.spy == pytest.approx(spy[MON] / spy["2025-01-24"] - 1, abs=1e-12)
    assert move.cap_weighted == pytest.approx(gspc[MON] / gspc["2025-01-24"] - 1, abs=1e-12)
    assert (move.value_date, move.value_source) == (value["date"], value["source"])
    at_value = gspc.loc[:value["date"]].iloc[-1]
    assert move.value_prev_usd == pytest.approx(
        value["value_usd_tn"] * 1e12 * gspc["2025-01-24"] / at_value, rel=1e-14)
    assert move.fell + move.rose <= move.n
    # Tuesday: another day, from the same sources
    tue = mv.market_move(TUE)
    assert tue.day == TUE and tue.cap_weighted == pytest.approx(gspc[TUE] / gspc[MON] - 1)
    assert tue.loss_usd == pytest.approx(-tue.value_prev_usd * tue.cap_weighted)
    closes = pd.read_csv(SNAPSHOT / "panel" / "closes.csv", index_col=0, parse_dates=True)
    members = pd.read_csv(SNAPSHOT / "panel" / "members.csv", dtype=str)
    members.columns = [c.strip().lower() for c in members.columns]
    sp = members.loc[members["kind"].str.strip() == "sp500", "ticker"].str.strip()
    ret = (closes.loc[TUE, sp] / closes.loc[MON, sp] - 1).dropna()
    assert (tue.n, tue.fell, tue.rose) == (len(ret), int((ret < 0).sum()), int((ret > 0).sum()))
    assert tue.equal_weighted == pytest.approx(ret.mean())
