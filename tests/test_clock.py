"""The one UTC clock (data.clock) against an independent computation from the raw snapshot.

The oracle places closes by the exchanges' published hours (zoneinfo, not the package's
calendars) and reads New York's opens and closes from the raw CSV with plain pandas."""

from __future__ import annotations

import types
from functools import cache
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest

from deepshock.data import clock, load
from deepshock.methods import gaps
from tests.conftest import SNAPSHOT

NY = ZoneInfo("America/New_York")
CLOSE = {"^N225": ("15:30", "Asia/Tokyo"), "^KS11": ("15:30", "Asia/Seoul"),
         "^TWII": ("13:30", "Asia/Taipei"), "^STOXX": ("17:30", "Europe/Berlin")}


def raw(file: str) -> pd.DataFrame:
    return pd.read_csv(SNAPSHOT / "prices" / file, parse_dates=["date"]).set_index("date")


def local_close(ticker: str, day) -> pd.Timestamp:
    hour, zone = CLOSE[ticker]
    return pd.Timestamp(f"{pd.Timestamp(day):%Y-%m-%d} {hour}", tz=zone).tz_convert("UTC")


@cache
def new_york(lead_file: str) -> tuple[pd.DataFrame, list, list]:
    """Raw rows of a New York index and its sessions' open and close in UTC (09:30 and 16:00
    New York time: the windows tested here touch none of New York's half days)."""
    ny = raw(lead_file)
    ny = ny.loc["2024-12-01":]
    close_at = [pd.Timestamp(f"{d:%Y-%m-%d} 16:00", tz=NY).tz_convert("UTC") for d in ny.index]
    open_at = [pd.Timestamp(f"{d:%Y-%m-%d} 09:30", tz=NY).tz_convert("UTC") for d in ny.index]
    return ny, close_at, open_at


def oracle(ticker: str, date, prev_date, lead_file: str) -> dict:
    """The lead window's New York sessions and cc / oc moves, from raw rows and the hours."""
    ny, close_at, open_at = new_york(lead_file)
    end, start = local_close(ticker, date), local_close(ticker, prev_date)
    inside = [d for d, c in zip(ny.index, close_at) if start < c <= end]
    last_end = max(d for d, c in zip(ny.index, close_at) if c <= end)
    last_start = max(d for d, c in zip(ny.index, close_at) if c <= start)
    first_open = min(d for d, o in zip(ny.index, open_at) if o > start)
    cc = ny.at[last_end, "close"] / ny.at[last_start, "close"] - 1 if inside else 0.0
    oc = ny.at[last_end, "close"] / ny.at[first_open, "open"] - 1 if first_open <= last_end else 0.0
    return {"inside": inside, "cc": cc, "oc": oc}


@pytest.fixture(scope="module")
def nikkei(snapshot):
    return clock.leads("^N225").set_index("date")


def test_tokyo_tuesday_spans_exactly_new_york_monday(nikkei):
    row = nikkei.loc["2025-01-28"]
    assert row["ny_first"] == row["ny_last"] == pd.Timestamp("2025-01-27")
    assert row["ny_sessions"] == 1
    sox = raw("INDEX_SOX.csv")
    assert row["cc_^SOX"] == pytest.approx(4853.240234375 / 5341.93994140625 - 1, rel=1e-12)
    assert row["cc_^SOX"] == pytest.approx(sox.at["2025-01-27", "close"]
                                           / sox.at["2025-01-24", "close"] - 1, rel=1e-12)
    assert row["oc_^SOX"] == pytest.approx(sox.at["2025-01-27", "close"]
                                           / sox.at["2025-01-27", "open"] - 1, rel=1e-12)
    # Monday 27 January: before New York traded; the lead is Friday's session
    monday = nikkei.loc["2025-01-27"]
    assert monday["ny_first"] == monday["ny_last"] == pd.Timestamp("2025-01-24")
    spx = raw("INDEX_GSPC.csv")
    assert monday["oc_^GSPC"] == pytest.approx(spx.at["2025-01-24", "close"]
                                               / spx.at["2025-01-24", "open"] - 1, rel=1e-12)
    assert row["close_utc"] == pd.Timestamp("2025-01-28 06:30", tz="UTC")


@pytest.mark.parametrize("ticker,date,first,last,count", [
    ("^KS11", "2025-01-31", "2025-01-24", "2025-01-30", 5),
    ("^TWII", "2025-02-03", "2025-01-22", "2025-01-31", 8),
    ("^STOXX", "2025-01-27", "2025-01-24", "2025-01-24", 1)])
def test_windows_across_closures_and_time_zones(snapshot, ticker, date, first, last, count):
    row = clock.leads(ticker).set_index("date").loc[date]
    want = oracle(ticker, pd.Timestamp(date), row["prev_date"], "INDEX_SOX.csv")
    assert (row["ny_first"], row["ny_last"], row["ny_sessions"]) == (
        pd.Timestamp(first), pd.Timestamp(last), count)
    assert want["inside"][0] == pd.Timestamp(first) and len(want["inside"]) == count
    assert row["cc_^SOX"] == pytest.approx(want["cc"], rel=1e-12)
    assert row["oc_^SOX"] == pytest.approx(want["oc"], rel=1e-12, abs=0)
    assert row["weekdays"] == {"^KS11": 5, "^TWII": 8, "^STOXX": 1}[ticker]


def test_europe_has_no_open_to_close_lead_on_the_monday(snapshot):
    row = clock.leads("^STOXX").set_index("date").loc["2025-01-27"]
    assert row["oc_^GSPC"] == 0.0 and row["oc_^SOX"] == 0.0
    spx = raw("INDEX_GSPC.csv")
    assert row["cc_^GSPC"] == pytest.approx(spx.at["2025-01-24", "close"]
                                            / spx.at["2025-01-23", "close"] - 1, rel=1e-12)


def test_every_tokyo_session_of_2025_matches_the_oracle(nikkei):
    """All Tokyo sessions of February-June 2025 (closes at 15:30 since November 2024)."""
    rows = nikkei.loc["2025-02-01":"2025-06-30"]
    assert len(rows) > 90
    for date, row in rows.iterrows():
        for lead, file in (("^GSPC", "INDEX_GSPC.csv"), ("^SOX", "INDEX_SOX.csv")):
            want = oracle("^N225", date, row["prev_date"], file)
            assert row[f"cc_{lead}"] == pytest.approx(want["cc"], rel=1e-12, abs=1e-15), date
            assert row[f"oc_{lead}"] == pytest.approx(want["oc"], rel=1e-12, abs=1e-15), date
            assert row["ny_sessions"] == len(want["inside"]), date


def test_weekdays_and_returns_are_the_loader_s(nikkei):
    rets = load.returns("^N225").set_index("date")
    np.testing.assert_array_equal(nikkei["ret"].to_numpy(), rets["ret"].to_numpy())
    np.testing.assert_array_equal(nikkei["weekdays"].to_numpy(),
                                  gaps.weekdays_spanned(rets["prev_date"], rets.index))


def test_new_york_has_no_lead(snapshot):
    with pytest.raises(ValueError, match="New York is the lead"):
        clock.leads("NVDA")


# --- the intraday bound, on a made-up CFD (the real one comes from data.intraday) -------------

RATE = 1e-6  # log move per minute of the made-up CFD


def made_up_cfd(start="2025-01-26 23:00", end="2025-01-29 00:00", hole=None) -> pd.DataFrame:
    """Minute bars labelled by their start; each closes at 6000 exp(RATE * minutes) of its end."""
    ts = pd.date_range(start, end, freq="1min", tz="UTC")
    if hole is not None:
        ts = ts[(ts < hole[0]) | (ts >= hole[1])]
    minutes = (ts - ts[0]) / pd.Timedelta("1min")
    return pd.DataFrame({"ts": ts, "open": 6000 * np.exp(RATE * minutes),
                         "high": np.nan, "low": np.nan,
                         "close": 6000 * np.exp(RATE * (minutes + 1))})


@pytest.fixture
def stub_intraday(monkeypatch):
    frames = {"SPXUSD": made_up_cfd()}

    class Missing(Exception):
        pass

    module = types.SimpleNamespace(bars=lambda name: frames[name].copy(), Missing=Missing,
                                   available=lambda: True)
    monkeypatch.setattr(clock, "_intraday_module", lambda: module)
    clock.clear()
    yield frames
    clock.clear()


def test_intraday_lead_is_the_cfd_over_the_exact_window(snapshot, stub_intraday):
    got = clock.intraday_leads("^N225", pd.DatetimeIndex(["2025-01-27", "2025-01-28"]))
    got = got.set_index("date")
    # 28 Jan: Monday 06:30 UTC -> Tuesday 06:30 UTC, 1440 minutes; same hours 00:00 -> 06:30
    assert got.at[pd.Timestamp("2025-01-28"), "id_^GSPC"] == pytest.approx(np.expm1(RATE * 1440))
    assert got.at[pd.Timestamp("2025-01-28"), "same_hours"] == pytest.approx(np.expm1(RATE * 390))
    assert got.at[pd.Timestamp("2025-01-28"), "cfd_end"] == pd.Timestamp("2025-01-28 06:30", tz="UTC")
    # 27 Jan: the bars begin on Sunday evening, so Friday's close has no quote
    assert np.isnan(got.at[pd.Timestamp("2025-01-27"), "id_^GSPC"])
    assert clock.intraday_available()


def test_a_stale_quote_is_no_quote(snapshot, monkeypatch, stub_intraday):
    hole = (pd.Timestamp("2025-01-28 04:00", tz="UTC"), pd.Timestamp("2025-01-28 07:00", tz="UTC"))
    stub_intraday["SPXUSD"] = made_up_cfd(hole=hole)
    clock.clear()
    got = clock.intraday_leads("^N225", pd.DatetimeIndex(["2025-01-28"]))
    assert np.isnan(got.at[0, "id_^GSPC"]) and pd.isna(got.at[0, "cfd_end"])


def test_no_intraday_module_means_no_intraday_bound(monkeypatch):
    monkeypatch.setattr(clock, "_intraday_module", lambda: None)
    assert not clock.intraday_available()
