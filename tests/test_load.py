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
