"""The loader API against values computed independently from the raw snapshot files."""

import pandas as pd
import pytest

from deepshock.data import load
from tests.conftest import raw_close


def test_nvidia_record_day_return(snapshot):
    row = load.session_return("NVDA", "2025-01-27")
    assert row["ret"] * 100 == pytest.approx(-16.97, abs=0.005)
    assert row["prev_date"] == pd.Timestamp("2025-01-24")
    close = raw_close("NVDA.csv")
    assert row["ret"] == pytest.approx(close["2025-01-27"] / close["2025-01-24"] - 1)


def test_holiday_is_a_missing_row_not_a_zero_return(snapshot):
    taiwan = load.returns("2330.TW").set_index("date")
    assert pd.Timestamp("2025-01-27") not in taiwan.index
    first_back = taiwan.loc["2025-02-03"]
    assert first_back["prev_date"] == pd.Timestamp("2025-01-22")
    close = raw_close("2330.TW.csv")
    assert first_back["ret"] == pytest.approx(close["2025-02-03"] / close["2025-01-22"] - 1)


def test_stale_korean_bars_are_treated_as_missing_sessions(snapshot):
    dates = set(load.prices("000660.KS")["date"])
    assert pd.Timestamp("2022-03-21") not in dates  # O=H=L=C, volume 0 in PROVENANCE.md
    assert pd.Timestamp("2025-01-31") in dates


def test_panel_returns_from_the_synced_cache_match_the_raw_panel(snapshot):
    raw = pd.read_csv(snapshot / "panel" / "closes.csv", index_col="date", parse_dates=["date"])
    ret = load.panel_returns()
    expected = (raw / raw.shift(1) - 1).iloc[1:][sorted(raw.columns)]
    pd.testing.assert_frame_equal(ret, expected, check_names=False, check_freq=False)
    members = load.panel_members()
    assert members["ticker"].tolist() == list(ret.columns)
    assert members["kind"].value_counts().to_dict() == {"sp500": 490, "etf": 21}
    assert ret.at[pd.Timestamp("2025-01-27"), "NVDA"] * 100 == pytest.approx(-16.97, abs=0.01)


def test_a_hong_kong_half_day_close_is_kept(snapshot):
    """28 Jan 2025 was a half day in Hong Kong; Yahoo's bar has O = H = L = C and no volume but
    a close of its own, so it is a session, not a placeholder."""
    row = load.session_return("0700.HK", "2025-01-28")
    close = raw_close("0700.HK.csv")
    assert row["prev_date"] == pd.Timestamp("2025-01-27")
    assert row["ret"] == pytest.approx(close["2025-01-28"] / close["2025-01-27"] - 1)
    after = load.returns("0700.HK").set_index("date").loc["2025-02-03"]
    assert after["prev_date"] == pd.Timestamp("2025-01-28")
