"""How a chapter states the model's answer (`story.echo`), on small made-up rows of
`transmission.security` written out here: the glue keys and their texts, the verdict, the
pipe table's every cell, the rounding note, the window in words, the summary sentences, the
slopes' table and the bounds sentence; and the slopes' stability on the data against
statsmodels fitted on the raw closes' lead windows (`tests/oracle/transmission.py`: plain
pandas on the snapshot, never the story code). Fast: no book, no kernel."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from deepshock.methods import transmission as tm
from deepshock.story import echo
from deepshock.story import transmission as tr

T = pd.Timestamp
BEYOND, WITHIN, DEPENDS = tm.VERDICTS


def test_formats():
    assert echo.slug("^N225") == "N225" and echo.slug("6857.T") == "6857T"
    assert echo.slug("000001.SS") == "000001SS"
    assert echo.slug("Ab-c.d_9") == "Abcd9"            # letters of either case and digits kept
    assert echo.key("6857.T", 1, "total") == "tm_6857T_d1_total"
    assert echo.percent(-0.0291) == "-2.9%" and echo.percent(0.0149) == "+1.5%"
    assert echo.percent(-0.0004) == "+0.0%"            # no negative zero
    assert echo.percent(0.01251) == "+1.3%"
    assert echo.interval(-0.0444, -0.0136) == "[-4.4, -1.4]"
    assert echo.interval(-0.0004, 0.02) == "[+0.0, +2.0]"
    assert echo.join(["A"]) == "A" and echo.join(["A", "B"]) == "A and B"
    assert echo.join(["A", "B", "C"]) == "A, B and C"
    assert echo._join is echo.join


def test_verdict_clauses():
    assert echo.verdict_clause(BEYOND) == ("went beyond the usual echo under every measure of "
                                           "the lead")
    assert echo.verdict_clause(WITHIN) == ("stayed within the usual echo under every measure of "
                                           "the lead")
    assert echo.verdict_clause(DEPENDS) == ("went beyond the usual echo or stayed within it "
                                            "depending on how New York's move is measured")
    assert echo.verdict_clause("not measured") == "could not be measured"


# --- made-up rows of transmission.security ------------------------------------------------------

def _row(ticker: str, day: int, bound: str, *, total=-0.0861, band=0.0703, predicted=-0.0127,
         excess=-0.0734, half=0.0632, date="2025-01-27", prev="2025-01-24", weekdays=1,
         ny=("2025-01-24", "2025-01-24", 1), no_slope="") -> dict:
    return {"ticker": ticker, "day": day, "date": T(date), "prev_date": T(prev),
            "weekdays": weekdays, "ny_first": T(ny[0]) if ny[0] else pd.NaT,
            "ny_last": T(ny[1]) if ny[1] else pd.NaT, "ny_sessions": ny[2], "bound": bound,
            "lead_^GSPC": -0.0029 if bound != "intraday" else -0.0149, "lead_^SOX": -0.0189,
            "no_slope": no_slope, "total": total, "total_lo": total - band,
            "total_hi": total + band, "predicted": predicted, "predicted_lo": predicted - 0.0057,
            "predicted_hi": predicted + 0.0057, "excess": excess, "excess_lo": excess - half,
            "excess_hi": excess + half}


def _frame(*rows: dict) -> pd.DataFrame:
    return pd.DataFrame(list(rows))


def _serve(monkeypatch, table: dict) -> list:
    """`transmission.security(ticker, news, (day,))` answers from `table[(ticker, day)]`."""
    asked = []

    def security(ticker, news, days):
        assert news == tr.NEWS_UTC
        asked.append((ticker, days))
        (day,) = days
        return table.get((ticker, day), pd.DataFrame(columns=["bound"]))
    monkeypatch.setattr(tr, "security", security)
    return asked


def _advantest() -> pd.DataFrame:
    return _frame(_row("6857.T", 0, "cc"),
                  _row("6857.T", 0, "oc", predicted=-0.0149, excess=-0.0712, half=0.0631),
                  _row("6857.T", 0, "intraday", predicted=-0.0004, excess=-0.0857, half=0.0637))


def test_texts_of_a_measured_market_day(monkeypatch):
    asked = _serve(monkeypatch, {("6857.T", 0): _advantest()})
    got = echo.texts("6857.T", 0)
    assert asked == [("6857.T", (0,))]
    assert got == {
        "tm_6857T_d0_total": "-8.6%", "tm_6857T_d0_verdict": BEYOND,
        "tm_6857T_d0_band": "7.0%",
        "tm_6857T_d0_echo_cc": "-1.3%, 95% CI -1.8% to -0.7%",
        "tm_6857T_d0_excess_cc": "-7.3%, 95% CI -13.7% to -1.0%",
        "tm_6857T_d0_echo_oc": "-1.5%, 95% CI -2.1% to -0.9%",
        "tm_6857T_d0_excess_oc": "-7.1%, 95% CI -13.4% to -0.8%"}
    assert list(got)[:3] == ["tm_6857T_d0_total", "tm_6857T_d0_verdict", "tm_6857T_d0_band"]


def test_texts_of_an_unmeasured_market_day_and_of_no_session(monkeypatch):
    none = _frame(_row("SUPA", 0, "none", total=0.0151))
    _serve(monkeypatch, {("SUPA", 0): none})
    assert echo.texts("SUPA", 0) == {"tm_SUPA_d0_total": "+1.5%",
                                     "tm_SUPA_d0_verdict": "not measured"}
    with pytest.raises(ValueError, match=r"^SUPA: no session 2 after the news$"):
        echo.texts("SUPA", 2)


def test_the_verdict_reads_every_bound(monkeypatch):
    # beyond under cc and oc, within under the index contract: it depends on the lead
    rows = _frame(_row("X", 0, "cc"), _row("X", 0, "oc"),
                  _row("X", 0, "intraday", excess=-0.01, half=0.02))
    assert echo._verdict(rows) == DEPENDS
    assert echo._verdict(rows.iloc[:2]) == BEYOND
    within = _frame(_row("X", 0, "cc", excess=0.01, half=0.02))
    assert echo._verdict(within) == WITHIN
    mixed = _frame(_row("X", 0, "none"), _row("X", 0, "cc"))
    assert echo._verdict(mixed) == "not measured"


def test_lead_picks_the_bounds_row(monkeypatch):
    _serve(monkeypatch, {("6857.T", 0): _advantest()})
    assert echo.lead("6857.T", 0)["predicted"] == -0.0127
    assert echo.lead("6857.T", 0, "oc")["predicted"] == -0.0149
    assert echo.lead("6857.T", 0, "intraday")["lead_^GSPC"] == -0.0149


def test_bounds_available_and_the_sentence(monkeypatch):
    monkeypatch.setattr(tr.clock, "intraday_available", lambda: True)
    assert echo.bounds_available() == ("cc", "oc", "intraday")
    assert echo.bounds_sentence() == (
        "three ways: New York's close-to-close move, its open-to-close move (without the "
        "overnight gap the local market could already see), and the US index contract's move "
        "over exactly the hours since the local market's previous close (with the "
        "close-to-close slopes, and the chip index's close-to-close move: there are no "
        "chip-index futures in the data)")
    monkeypatch.setattr(tr.clock, "intraday_available", lambda: False)
    assert echo.bounds_available() == ("cc", "oc")
    assert echo.bounds_sentence() == (
        "two ways: New York's close-to-close move and its open-to-close move (without the "
        "overnight gap the local market could already see); the third measure, the US index "
        "contract over the same hours, needs intraday prices, and this edition has none")


# --- the table -----------------------------------------------------------------------------------

def test_window_cells():
    one = pd.Series(_row("^N225", 0, "cc"))
    assert echo._window(one) == "Fri 24 Jan"
    none = pd.Series(_row("^N225", 0, "cc", ny=(None, None, 0)))
    assert echo._window(none) == "none"
    five = pd.Series(_row("2330.TW", 0, "cc", ny=("2025-01-24", "2025-01-30", 5)))
    assert echo._window(five) == "Fri 24–Thu 30 Jan (5)"
    two = pd.Series(_row("2330.TW", 0, "oc", ny=("2025-01-31", "2025-02-03", 2)))
    assert echo._window(two) == "Fri 31–Mon 3 Feb (2)"
    # the index contract's window: the local market's previous close to its close, in UTC
    tokyo = pd.Series(_row("^N225", 0, "intraday", ny=(None, None, 0)))
    assert echo._window(tokyo) == "Fri 24 06:30–Mon 27 06:30 UTC"
    europe = pd.Series(_row("^STOXX", 1, "intraday", date="2025-01-28", prev="2025-01-27"))
    assert echo._window(europe) == "Mon 27 16:30–Tue 28 16:30 UTC"


def test_lead_cell_marks_a_lead_without_slope():
    row = pd.Series(_row("^STOXX", 0, "oc", no_slope="^GSPC"))
    assert echo._lead_cell(row, "^GSPC") == "-0.3% (no slope)"
    assert echo._lead_cell(row, "^SOX") == "-1.9%"
    both = pd.Series(_row("^STOXX", 0, "oc", no_slope="^GSPC, ^SOX"))
    assert echo._lead_cell(both, "^SOX") == "-1.9% (no slope)"
    assert echo._lead_cell(both, "^GSPC") == "-0.3% (no slope)"
    assert echo._lead_cell(pd.Series(_row("X", 0, "cc", no_slope=None)), "^SOX") == "-1.9%"
    assert echo._lead_cell(pd.Series(_row("X", 0, "cc", no_slope="^SOXX")), "^SOX") == "-1.9%"


COLUMNS = ["Security, session", "Lead (New York sessions)", "S&P 500 lead", "SOX lead",
           "Total [normal-day band]", "Usual echo [95% CI]", "Excess [95% CI]", "Verdict"]


def test_table_every_cell(monkeypatch):
    taipei = _frame(_row("2330.TW", 0, "cc", total=-0.0537, date="2025-02-03",
                         prev="2025-01-22", weekdays=8, ny=("2025-01-22", "2025-01-31", 8),
                         excess=0.004, half=0.01),
                    _row("2330.TW", 0, "oc", total=-0.0537, date="2025-02-03",
                         prev="2025-01-22", weekdays=8, ny=("2025-01-22", "2025-01-31", 8),
                         excess=0.004, half=0.01, no_slope="^GSPC"))
    supa = _frame(_row("SUPA", 1, "none", total=0.0151, weekdays=2))
    _serve(monkeypatch, {("6857.T", 0): _advantest(), ("2330.TW", 0): taipei,
                         ("SUPA", 1): supa})
    frame = echo.table_frame([("2330.TW", 0), ("6857.T", 0)])
    assert list(frame["ticker"]) == ["2330.TW"] * 2 + ["6857.T"] * 3
    assert list(frame["verdict"]) == [WITHIN] * 2 + [BEYOND] * 3
    assert list(frame.index) == list(range(5))
    got = echo.table([("6857.T", 0), ("2330.TW", 0), ("SUPA", 1)], {"2330.TW": "TSMC"})
    assert list(got.columns) == COLUMNS
    rows = [list(r) for r in got.itertuples(index=False)]
    assert rows == [   # in the order asked
        ["6857.T, Mon 27 Jan", "close to close (Fri 24 Jan)", "-0.3%", "-1.9%",
         "-8.6% [-15.6, -1.6]", "-1.3% [-1.8, -0.7]", "-7.3% [-13.7, -1.0]", BEYOND],
        ["", "open to close (Fri 24 Jan)", "-0.3%", "-1.9%", "", "-1.5% [-2.1, -0.9]",
         "-7.1% [-13.4, -0.8]", ""],
        ["", "index contract (Fri 24 06:30–Mon 27 06:30 UTC)", "-1.5%", "-1.9%", "",
         "+0.0% [-0.6, +0.5]", "-8.6% [-14.9, -2.2]", ""],
        ["TSMC, Mon 3 Feb (8 weekdays)", "close to close (Wed 22–Fri 31 Jan (8))", "-0.3%",
         "-1.9%", "-5.4% [-12.4, +1.7]", "-1.3% [-1.8, -0.7]", "+0.4% [-0.6, +1.4]", WITHIN],
        ["", "open to close (Wed 22–Fri 31 Jan (8))", "-0.3% (no slope)", "-1.9%", "",
         "-1.3% [-1.8, -0.7]", "+0.4% [-0.6, +1.4]", ""],
        ["SUPA, Mon 27 Jan (2 weekdays)", "not measured", "", "", "+1.5%", "", "",
         "not measured"]]
    assert echo.table([("SUPA", 1)]).iloc[0, 0] == "SUPA, Mon 27 Jan (2 weekdays)"


def test_rounding_note_counts_the_rows_that_do_not_add_up(monkeypatch):
    adds = _frame(_row("A", 0, "cc", total=-0.05, predicted=-0.02, excess=-0.03),
                  _row("A", 0, "none", total=-0.0514, predicted=-0.0214, excess=-0.0314))
    one = _frame(_row("B", 0, "cc", total=-0.05, predicted=-0.02, excess=-0.03),
                 _row("B", 0, "oc", total=-0.0516, predicted=-0.0214, excess=-0.03))
    two = _frame(_row("C", 0, "cc", total=-0.0516, predicted=-0.0214, excess=-0.03),
                 _row("C", 0, "intraday", total=-0.0516, predicted=-0.0214, excess=-0.03))
    edge = _frame(_row("D", 0, "cc", total=-0.0506, predicted=-0.02, excess=-0.03))
    _serve(monkeypatch, {("A", 0): adds, ("B", 0): one, ("C", 0): two, ("D", 0): edge})
    head = ("Each figure is rounded on its own to one decimal, so the usual echo and the excess "
            "can add up to a total 0.1 away from the one shown")
    assert echo.rounding_note([("A", 0)]) == head + "; in this table they all add up."
    assert echo.rounding_note([("A", 0), ("B", 0)]) == head + "; in this table one row does."
    assert echo.rounding_note([("B", 0), ("C", 0)]) == head + "; in this table 3 rows do."
    assert echo.rounding_note([("D", 0)]) == head + "; in this table one row does."


def test_day_of_counts_sessions_from_day_0(monkeypatch):
    news = tr.NEWS_UTC
    frame = pd.DataFrame({"date": pd.to_datetime(["2025-01-23", "2025-01-24", "2025-01-27",
                                                  "2025-01-28"]),
                          "close_utc": [news - pd.Timedelta(days=4), news - pd.Timedelta(days=3),
                                        news + pd.Timedelta(hours=1), news + pd.Timedelta(days=1)]})
    seen = []
    monkeypatch.setattr(tr.clock, "leads", lambda t, leads: seen.append((t, leads)) or frame)
    assert echo.day_of("X", "2025-01-27") == 0
    assert echo.day_of("X", T("2025-01-28")) == 1
    assert echo.day_of("X", "2025-01-23") == -2
    assert seen[0] == ("X", tr.LEADS)
    with pytest.raises(ValueError, match=r"^X: 2025-01-25 is no session in the data$"):
        echo.day_of("X", "2025-01-25")


def test_window_words():
    def row(first, last, n):
        return pd.Series({"ny_first": T(first) if first else pd.NaT,
                          "ny_last": T(last) if last else pd.NaT, "ny_sessions": n})
    assert echo.window_words(row(None, None, 0)) == "no New York session"
    assert echo.window_words(row("2025-01-27", "2025-01-27", 1)) == ("New York's session of "
                                                                     "Monday 27 January")
    assert echo.window_words(row("2025-01-24", "2025-01-30", 5)) == (
        "the five New York sessions from Friday 24 to Thursday 30 January")
    assert echo.window_words(row("2025-01-31", "2025-02-03", 2.0)) == (
        "the two New York sessions from Friday 31 January to Monday 3 February")
    words = {3: "three", 4: "four", 6: "six", 7: "seven", 8: "eight", 9: "nine", 10: "ten",
             11: "11"}
    for n, word in words.items():
        assert echo.window_words(row("2025-01-06", "2025-01-20", n)).startswith(f"the {word} New")


def test_summary_groups_by_verdict_then_days(monkeypatch):
    beyond = _frame(_row("A", 0, "cc"))
    within = _frame(_row("A", 0, "cc", excess=0.0, half=0.01))
    depends = _frame(_row("A", 0, "cc"), _row("A", 0, "oc", excess=0.0, half=0.01))
    none = _frame(_row("A", 0, "none"))
    _serve(monkeypatch, {("A", 0): beyond, ("A", 1): beyond, ("B", 0): within,
                         ("B", 1): beyond, ("C", 0): within, ("C", 1): depends,
                         ("D", 0): none, ("D", 1): none, ("E", 1): within})
    pairs = [(t, d) for t in "ABCD" for d in (0, 1)] + [("E", 1)]
    got = echo.summary(pairs, {"A": "Alpha", "C": "Gamma"}, {0: "Monday", 1: "Tuesday"})
    assert got == ("Beyond the usual echo of New York under every measure of its lead: Alpha on "
                   "both days; B on Tuesday. Within the usual echo under every measure: B and "
                   "Gamma on Monday; E on Tuesday. Depending on how New York's move is measured: "
                   "Gamma on Tuesday. Not measured (too short a price history): D on both days.")
    one_day = echo.summary([("A", 0), ("B", 0)], {}, {0: "their first session back"})
    assert one_day == ("Beyond the usual echo of New York under every measure of its lead: A on "
                       "their first session back. Within the usual echo under every measure: B on "
                       "their first session back.")
    assert echo.summary([("A", 0), ("A", 1)], {}, {0: "Monday", 1: "Tuesday", 2: "Wednesday"}) \
        == ("Beyond the usual echo of New York under every measure of its lead: A on Monday and "
            "Tuesday.")


# --- the slopes ------------------------------------------------------------------------------------

def test_slopes_table_formats_two_decimals(monkeypatch):
    frames = {"^N225": pd.DataFrame({"window": [0.412, 0.1], "se": [0.051, 0.02],
                                     "hc3": [0.066, 0.03], "lo": [0.305, -0.126],
                                     "lo_year": ["2022", "2021"], "hi": [0.555, 0.2],
                                     "hi_year": ["2025 to day -11", "2020"]},
                                    index=pd.Index(["^GSPC", "^SOX"], name="lead"))}
    frames["^KS11"] = frames["^N225"].copy()
    frames["^KS11"]["window"] = [1.0, 2.004]
    monkeypatch.setattr(echo, "slope_frame", lambda t: frames[t])
    got = echo.slopes(["^N225", "^KS11"], {"^N225": "Nikkei 225"})
    assert list(got.columns) == ["Security", "S&P 500 slope (OLS s.e., HC3 s.e.)",
                                 "S&P 500 slope by year", "SOX slope (OLS s.e., HC3 s.e.)",
                                 "SOX slope by year"]
    assert got.iloc[0].tolist() == ["Nikkei 225", "0.41 (0.05, 0.07)", "0.30 (2022) to 0.56 "
                                    "(2025 to day -11)", "0.10 (0.02, 0.03)",
                                    "-0.13 (2021) to 0.20 (2020)"]
    assert got.iloc[1].tolist()[0] == "^KS11"
    assert got.iloc[1, 1].startswith("1.00 (") and got.iloc[1, 3].startswith("2.00 (")
    assert echo.slope_range("^N225", "^SOX")["lo_year"] == "2021"


@pytest.fixture
def oracle(snapshot):
    from tests.oracle import transmission as otm
    return otm


def test_slope_frame_on_the_data_against_statsmodels(oracle):
    """The estimation window's slopes (sessions -250..-11 of day 0) with OLS and HC3 standard
    errors, and the lowest and highest yearly slope (2020 on, rows up to day -11, years of at
    least 60 sessions), against statsmodels on the oracle's own lead windows."""
    import statsmodels.api as sm
    ticker = "^N225"
    frame = oracle.clock(ticker)
    zero = int(np.argmax(frame["close"].to_numpy() > oracle.ns([oracle.news()])[0]))
    cols = ["cc_^GSPC", "cc_^SOX"]
    est = frame.iloc[zero - 250:zero - 10]
    assert len(est) == 240
    fit = sm.OLS(est["ret"].to_numpy(), sm.add_constant(est[cols].to_numpy())).fit()
    hc3 = fit.get_robustcov_results("HC3")
    past = frame.iloc[:zero - 10]
    past = past.loc[np.isfinite(past[cols].to_numpy()).all(axis=1)]
    years = past["date"].dt.year
    last = years.max()
    yearly = {}
    for year, group in past.loc[years >= 2020].groupby(years):
        if len(group) >= 60:
            b = sm.OLS(group["ret"].to_numpy(), sm.add_constant(group[cols].to_numpy())).fit()
            yearly[str(year) if year != last else f"{year} to day -11"] = b.params[1:]
    got = echo.slope_frame(ticker)
    assert list(got.index) == ["^GSPC", "^SOX"]
    assert list(got.columns) == ["window", "se", "hc3", "lo", "lo_year", "hi", "hi_year"]
    for i, lead in enumerate(("^GSPC", "^SOX")):
        r = got.loc[lead]
        assert r["window"] == pytest.approx(fit.params[1 + i], rel=1e-9)
        assert r["se"] == pytest.approx(fit.bse[1 + i], rel=1e-9)
        assert r["hc3"] == pytest.approx(hc3.bse[1 + i], rel=1e-9)
        by_year = {y: p[i] for y, p in yearly.items()}
        lo, hi = min(by_year, key=by_year.get), max(by_year, key=by_year.get)
        assert (r["lo_year"], r["hi_year"]) == (lo, hi)
        assert r["lo"] == pytest.approx(by_year[lo], rel=1e-9)
        assert r["hi"] == pytest.approx(by_year[hi], rel=1e-9)
    assert len(yearly) >= 5


def test_published_texts_on_the_data_against_the_oracle(oracle):
    """Advantest's Monday: the total from the raw closes, the verdict from the oracle's model."""
    from tests.oracle import raw
    got = echo.texts("6857.T", 0)
    assert got["tm_6857T_d0_total"] == f"{round(raw.ret('6857.T', T('2025-01-27')) * 100, 1):+.1f}%"
    assert got["tm_6857T_d0_verdict"] == oracle.verdict("6857.T", 0)
    assert echo.texts("^N225", 1)["tm_N225_d1_verdict"] == oracle.verdict("^N225", 1)
    assert echo.day_of("6857.T", "2025-01-28") == 1


def test_slope_frame_skips_only_the_years_without_that_leads_slope(snapshot, monkeypatch):
    """A year whose standard error is missing but whose slope is not still counts for the
    range (the stored yearly table with one HC3 error blanked at the lowest SOX slope)."""
    yearly, roll = tr.stability("^N225", "cc", step=10**6)
    low = yearly["b_^SOX"].idxmin()
    blanked = yearly.copy()
    blanked.loc[low, "hc3_^SOX"] = np.nan
    monkeypatch.setattr(tr, "stability", lambda *a, **k: (blanked, roll))
    got = echo.slope_frame("^N225").loc["^SOX"]
    assert got["lo_year"] == yearly.at[low, "label"]
    assert got["lo"] == yearly.at[low, "b_^SOX"]
