"""The transmission story's small pieces (`story.transmission`) on made-up inputs written out
here (expected values by hand): the markets and their securities, the lead columns per bound,
the verdict per market-day over its bounds, and the reopenings found between price rows. The
model itself is tested against statsmodels in tests/test_transmission.py. Fast: no book, no
kernel."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from deepshock.methods import transmission as tm
from deepshock.story import transmission as st
from tests.oracle import raw, transmission as trans_oracle

T = pd.Timestamp


def test_constants_of_the_model():
    assert st.ESTIMATION == (-250, -11) and st.BOUNDS == ("cc", "oc", "intraday")
    assert st.REOPENING == ("Seoul", "Taipei") and st.MIN_CLOSED == 3
    assert st.YEAR_MIN_ROWS == 60 and st.LEADS == ("^GSPC", "^SOX")


def test_markets_list_their_securities_index_first(monkeypatch):
    uni = pd.DataFrame({
        "ticker": ["6857.T", "^N225", "8035.T", "^KS11", "000660.KS", "SAP.DE", "^STOXX",
                   "NVDA"],
        "kind": ["equity", "index", "equity", "index", "equity", "equity", "index", "equity"],
        "calendar": ["XTKS", "XTKS", "XTKS", "XKRX", "XKRX", "XETR", "XPAR", "XNYS"]})
    monkeypatch.setattr(st, "facts", SimpleNamespace(universe=lambda: uni))
    assert st.markets() == {"Tokyo": ("^N225", "6857.T", "8035.T"),
                            "Seoul": ("^KS11", "000660.KS"), "Taipei": (), "Hong Kong": (),
                            "Shanghai": (), "Europe": ("^STOXX", "SAP.DE")}


def test_market_of_a_security_by_its_calendar(monkeypatch):
    codes = {"A": "XTAI", "B": "XPAR", "C": "XSHG", "D": "XNYS"}
    monkeypatch.setattr(st, "sessions", SimpleNamespace(code=codes.get))
    assert [st.market_of(t) for t in "ABC"] == ["Taipei", "Europe", "Shanghai"]
    with pytest.raises(StopIteration):
        st.market_of("D")


def test_lead_columns_per_bound():
    assert st._columns("cc") == ["cc_^GSPC", "cc_^SOX"]
    assert st._columns("oc") == ["oc_^GSPC", "oc_^SOX"]
    assert st._columns("intraday") == ["cc_^GSPC", "cc_^SOX"]   # the cc model's columns


def test_bounds_without_and_with_intraday_prices(monkeypatch):
    monkeypatch.setattr(st, "clock", SimpleNamespace(intraday_available=lambda: False))
    assert st._bounds() == ("cc", "oc")
    monkeypatch.setattr(st, "clock", SimpleNamespace(intraday_available=lambda: True))
    assert st._bounds() == ("cc", "oc", "intraday")


def test_verdict_per_market_day_over_its_bounds():
    table = pd.DataFrame([
        # A day 0: every interval below zero -> beyond
        ("A", 0, "cc", -0.05, -0.01), ("A", 0, "oc", -0.04, -0.001),
        # A day 1: both cover zero -> within
        ("A", 1, "cc", -0.02, 0.01), ("A", 1, "oc", 0.0, 0.03),
        # B day 0: one above zero, one covering it -> depends on the lead
        ("B", 0, "cc", 0.01, 0.02), ("B", 0, "oc", -0.01, 0.02),
        # B day 1: every interval above zero -> beyond
        ("B", 1, "cc", 0.01, 0.02), ("B", 1, "oc", 0.001, 0.05),
        # C day 0: not measured (a short history), whatever else is on file
        ("C", 0, "none", np.nan, np.nan),
        # a ticker whose name ends in a digit must not merge with another's day ("A1|0")
        ("A1", 0, "cc", -0.02, 0.01)],
        columns=["ticker", "day", "bound", "excess_lo", "excess_hi"])
    assert list(st._verdicts(table)) == [
        "beyond the usual echo", "beyond the usual echo", "within the usual echo",
        "within the usual echo", "depends on the lead", "depends on the lead",
        "beyond the usual echo", "beyond the usual echo", "not measured",
        "within the usual echo"]
    mixed = pd.DataFrame([("C", 0, "none", np.nan, np.nan), ("C", 0, "cc", -0.05, -0.01)],
                         columns=table.columns)
    assert list(st._verdicts(mixed)) == ["not measured", "not measured"]


def _frame(code: str, drop: tuple[str, ...] = ()) -> pd.DataFrame:
    """A price frame with a row on every session the calendar lists in 2024 and January 2025
    (less `drop`: missing price rows), each closing at 06:00 UTC."""
    d = st.sessions.calendar(code).sessions
    d = d[(d >= T("2024-01-02")) & (d <= T("2025-02-07"))]
    d = d[~d.isin(pd.to_datetime(list(drop)))]
    return pd.DataFrame({"date": d[1:], "prev_date": d[:-1],
                         "close_utc": (d[1:] + pd.Timedelta(hours=6)).tz_localize("UTC")})


def _found(monkeypatch, code: str, drop: tuple[str, ...] = ()) -> pd.DataFrame:
    frame = _frame(code, drop)
    monkeypatch.setattr(st, "clock", SimpleNamespace(leads=lambda ticker, leads: frame))
    monkeypatch.setattr(st, "sessions", SimpleNamespace(code=lambda t: code,
                                                        calendar=st.sessions.calendar))
    return st.reopenings("X", T("2025-01-27 00:00", tz="UTC"))


def test_reopenings_in_seoul(monkeypatch):
    # Seoul's closures of 2024 of three weekdays or more: only Chuseok (Mon 16 to Wed 18
    # September; the Lunar New Year closed Fri 9 and Mon 12 February, two weekdays). A missing
    # price row on a listed session (Fri 5 July) is no closure. The reopening after Seoul's
    # Lunar New Year of 2025 (Fri 31 January) is day 0 of the news, not a past reopening.
    got = _found(monkeypatch, "XKRX", drop=("2024-07-05",))
    assert list(got.columns) == ["date", "prev_date", "closed", "holiday", "pos"]
    assert got["date"].tolist() == [T("2024-09-19")]
    assert got["prev_date"].tolist() == [T("2024-09-13")]
    assert got["closed"].tolist() == [3] and got["holiday"].tolist() == ["Chuseok"]
    frame = _frame("XKRX", drop=("2024-07-05",))
    assert got["pos"].tolist() == [frame.index[frame["date"] == T("2024-09-19")][0]]


def test_reopenings_elsewhere(monkeypatch):
    # Shanghai 2024: the Spring Festival (Fri 9 to Fri 16 February, six weekdays) and the
    # National Day week (Tue 1 to Mon 7 October, five): a September-October closure is
    # Chuseok only in Seoul
    got = _found(monkeypatch, "XSHG").set_index("date")
    assert got.at[T("2024-02-19"), "closed"] == 6
    assert got.at[T("2024-02-19"), "holiday"] == "Lunar New Year"
    assert got.at[T("2024-10-08"), "closed"] == 5
    assert got.at[T("2024-10-08"), "holiday"] == "other closure"
    assert (got["closed"] >= 3).all() and got.index.max() < T("2025-01-27")


# --- the answers on the data against the oracle -------------------------------------------------

COLUMNS = ["market", "name", "ticker", "day", "date", "prev_date", "weekdays", "ny_first",
           "ny_last", "ny_sessions", "bound", "lead_^GSPC", "lead_^SOX", "same_hours",
           "b_^GSPC", "b_^SOX", "no_slope", "total", "total_lo", "total_hi", "predicted",
           "predicted_lo", "predicted_hi", "predicted_se", "excess", "excess_lo", "excess_hi",
           "se", "t", "df", "p", "h", "n", "gaps_used", "reason", "verdict"]
CHECKED = ("^N225", "6857.T", "8035.T", "9984.T", "^KS11", "^TWII", "SU.PA")


@pytest.fixture
def table(snapshot):
    """Computed in each test (not once per module): mutation testing runs, for a mutant of
    `answers` or `_rows`, only the tests that called them."""
    return st.answers(tickers=CHECKED)


def test_answers_layout_and_names(table):
    assert list(table.columns) == COLUMNS
    names = pd.read_csv(raw.DATA / "universe.csv").set_index("ticker")["name"]
    assert (table["name"] == table["ticker"].map(names)).all()
    want = {"^N225": "Tokyo", "6857.T": "Tokyo", "8035.T": "Tokyo", "9984.T": "Tokyo",
            "^KS11": "Seoul", "^TWII": "Taipei", "SU.PA": "Europe"}
    assert (table["market"] == table["ticker"].map(want)).all()
    assert table["ticker"].drop_duplicates().tolist() == list(CHECKED)
    assert sorted(set(table["day"])) == [0, 1]


def test_answers_verdicts_against_the_oracle(table):
    got = table.groupby(["ticker", "day"])["verdict"].agg(set)
    want = {(t, d): {trans_oracle.verdict(t, d)} for t in CHECKED for d in (0, 1)}
    assert got.to_dict() == want


def test_a_short_history_is_named_and_keeps_its_total(table):
    rows = table.loc[table["ticker"] == "SU.PA"].set_index("day")
    c = raw.traded("SU.PA")
    dates = c.index[1:]
    zero = int(np.argmax(dates >= T("2025-01-27")))
    assert dates[zero] == T("2025-01-27")
    assert list(rows["bound"]) == ["none", "none"]
    assert rows.at[0, "date"] == T("2025-01-27") and rows.at[1, "date"] == dates[zero + 1]
    assert rows.at[0, "prev_date"] == T("2025-01-24")
    assert rows.at[0, "total"] == pytest.approx(c[dates[zero]] / c[dates[zero - 1]] - 1,
                                                rel=1e-12)
    assert rows.at[1, "total"] == pytest.approx(c[dates[zero + 1]] / c[dates[zero]] - 1,
                                                rel=1e-12)
    assert rows.at[0, "reason"] == (f"SU.PA: {250 - zero} sessions short of the estimation "
                                    "window before 2025-01-27")
    assert rows["excess"].isna().all() and rows["b_^GSPC"].isna().all()


def test_answer_is_one_row_of_the_answers(table):
    row = st.answer("6857.T", 1, "oc")
    want = table.loc[(table["ticker"] == "6857.T") & (table["day"] == 1)
                     & (table["bound"] == "oc")].iloc[0]
    assert row["date"] == want["date"] and row["excess"] == pytest.approx(want["excess"])
    assert row["bound"] == "oc" and row["day"] == 1
    assert st.answer("6857.T")["bound"] == "cc" and st.answer("6857.T")["day"] == 0
    assert st.answer("6857.T")["date"] == T("2025-01-27")
    one = st.security("^N225", days=[1])
    assert set(one["day"]) == {1} and one["date"].iloc[0] == T("2025-01-28")


def test_a_reopening_is_scaled_by_its_own_gap(table):
    """Seoul's day 0 spans its Lunar New Year: the interval uses the own gap variance of the
    weekdays it spans (the oracle's clock and the model fitted on sessions -250..-11)."""
    frame = trans_oracle.clock("^KS11")
    zero = int(np.argmax(frame["close"].to_numpy() > trans_oracle.ns([trans_oracle.news()])[0]))
    past = frame.iloc[:zero - 10]
    cols = ["cc_^GSPC", "cc_^SOX"]
    model = tm.estimate(past["ret"], past[cols].set_axis(list(st.LEADS), axis=1),
                        past["weekdays"], np.arange(len(past)) >= zero - 250)
    row = frame.iloc[zero]
    want = tm.evaluate(model, [row["ret"]], row[cols].to_numpy(float)[None, :],
                       [row["weekdays"]])
    got = table.loc[(table["ticker"] == "^KS11") & (table["day"] == 0)
                    & (table["bound"] == "cc")].iloc[0]
    assert row["weekdays"] == got["weekdays"] == 5
    assert got["h"] == pytest.approx(float(want["h"]), rel=1e-9)
    assert got["excess_lo"] == pytest.approx(float(want["excess_lo"]), rel=1e-9)


def test_rolling_slopes_end_at_day_minus_11_one_session_apart(snapshot):
    yearly, roll = st.stability("^N225")
    dates = raw.traded("^N225").index[1:]
    zero = dates.get_loc(T("2025-01-27"))
    assert roll["date"].iloc[-1] == dates[zero - 11] == T("2025-01-09")
    assert list(roll.columns[:3]) == ["end", "date", "n"]
    assert (roll["end"].diff().dropna() == 1).all()
    _, every5 = st.stability("^N225", step=5)
    assert (every5["end"].diff().dropna() == 5).all()
    assert every5["end"].iloc[0] == roll["end"].iloc[0] and len(every5) == (len(roll) + 4) // 5


def test_same_hours_is_missing_not_none_without_the_intraday_bound(snapshot, monkeypatch):
    monkeypatch.setattr(st, "_bounds", lambda: ("cc", "oc"))
    rows = st.security("^N225")
    assert list(rows["bound"]) == ["cc", "cc", "oc", "oc"]
    assert rows["same_hours"].dtype == float and rows["same_hours"].isna().all()


# --- rows past the data's end, and a day the intraday bars do not cover ------------------------

def test_days_past_the_datas_last_session_give_no_rows(snapshot):
    from deepshock.data import clock
    last = clock.leads("^N225").iloc[-1]
    news = last["close_utc"] - pd.Timedelta(hours=1)     # day 0 is the data's last session
    rows = st.security("^N225", news, (0, 1))
    assert set(rows["day"]) == {0} and set(rows["date"]) == {last["date"]}
    assert set(rows["bound"]) == {"cc", "oc"}             # no intraday bars in June 2025
    assert st.security("^N225", news, (3,)).empty
    short = clock.leads("SU.PA").iloc[-1]                 # too short a history: no model
    rows = st.security("SU.PA", short["close_utc"] - pd.Timedelta(hours=1), (0, 1))
    assert list(rows["bound"]) == ["none"] and list(rows["day"]) == [0]
    assert rows["date"].iloc[0] == short["date"]


def test_a_day_the_intraday_bars_miss_is_skipped_not_the_days_after(snapshot, monkeypatch):
    """Made-up CFD bars from Monday 27 January 05:00 UTC: Tokyo's day 0 window (from Friday's
    close) is not covered, its day 1 window is."""
    from deepshock.data import clock
    ts = pd.date_range("2025-01-27 05:00", "2025-02-10", freq="1min", tz="UTC")
    level = np.where(ts >= T("2025-01-27 12:00", tz="UTC"), 5880.0, 6000.0)
    bars = pd.DataFrame({"ts": ts, "open": level, "high": level, "low": level, "close": level})
    module = SimpleNamespace(bars=lambda name: bars, Missing=LookupError, available=lambda: True)
    monkeypatch.setattr(clock, "_intraday_module", lambda: module)
    clock.clear()
    try:
        rows = st.security("^N225", st.NEWS_UTC, (0, 1))
    finally:
        clock.clear()
    got = set(zip(rows["day"], rows["bound"]))
    assert got == {(0, "cc"), (0, "oc"), (1, "cc"), (1, "oc"), (1, "intraday")}
    one = rows.set_index(["day", "bound"])
    assert one.at[(1, "intraday"), "lead_^GSPC"] == pytest.approx(5880.0 / 6000.0 - 1)
