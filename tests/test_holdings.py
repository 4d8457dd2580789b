"""The sourced facts of data/holdings.csv, fx_rates.csv and market_values.csv: the real files
pass, a bad row is rejected with file and line, and the rate is derived from its two amounts."""

from __future__ import annotations


import pandas as pd
import pytest

from deepshock.data import holdings
from deepshock.data.validate import DataError
from tests.conftest import ROOT



def test_real_files_load_with_a_source_on_every_row():
    for name in ("holdings", "fx_rates", "market_values"):
        raw = pd.read_csv(ROOT / "data" / f"{name}.csv", dtype=str, keep_default_na=False)
        assert len(raw) and (raw["source"].str.strip() != "").all()
    assert holdings.stake("9984.T", "ARM") == 0.9
    assert holdings.stake("ARM", "9984.T") == 0.0


def test_rate_is_derived_and_the_nearest_with_its_gap():
    rate = holdings.fx_rate("TWD", pd.Timestamp("2025-02-03"))
    assert rate["rate"] == pytest.approx(408.99 / 12.39)
    assert rate["gap_days"] == 1
    assert holdings.fx_rate("TWD", pd.Timestamp("2025-02-10"))["gap_days"] == -6
    with pytest.raises(LookupError, match="fx_rates.csv"):
        holdings.fx_rate("KRW", pd.Timestamp("2025-02-03"))


@pytest.mark.parametrize("file, column, value, problem", [
    ("holdings.csv", "stake", "1.5", "not a fraction"),
    ("holdings.csv", "held", "XXX", "not in universe.csv"),
    ("holdings.csv", "source", "", "no source"),
    ("fx_rates.csv", "usd_amount", "0", "not a positive number"),
    ("market_values.csv", "date", "2024-13-01", "not a calendar date"),
])
def test_bad_rows_are_rejected_with_file_and_line(book, file, column, value, problem):
    path = book / file
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame.loc[0, column] = value
    frame.to_csv(path, index=False)
    loader = {"holdings.csv": holdings.holdings, "fx_rates.csv": holdings.fx_rates,
              "market_values.csv": holdings.market_values}[file]
    with pytest.raises(DataError, match=rf"{file}: line 2: .*{problem}"):
        loader()
