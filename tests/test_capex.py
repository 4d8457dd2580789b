"""`data/capex.csv`, the platforms' stated spending plans: the real file is read as written, and
bad input is refused with a message naming the file, the line and the column."""

from __future__ import annotations

import csv

import pandas as pd
import pytest

from deepshock.data import capex
from deepshock.data.paths import ROOT
from tests.conftest import exactly


def test_the_real_file_is_read_as_written():
    with (ROOT / "data" / "capex.csv").open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    table = capex.capex()
    assert len(table) == len(rows) == 8
    meta = table.loc[(table["ticker"] == "META") & (table["stated"] == "2025-04-30")].iloc[0]
    assert (meta["low_usd_bn"], meta["high_usd_bn"], meta["form"]) == (64.0, 72.0, "range")
    msft = table.loc[table["ticker"] == "MSFT"].iloc[0]
    assert msft["year_basis"] == "fiscal" and msft["period_end"] == pd.Timestamp("2025-06-30")
    assert list(table["stated"]) == sorted(table["stated"])
    assert set(table["certainty"]) <= {"confirmed", "reported"}


def edit(book, line: int, **cells) -> None:
    """Rewrite cells of one data line (2 = the first row after the header) of the book's copy."""
    path = book / "capex.csv"
    with path.open(newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        rows, columns = list(reader), reader.fieldnames
    rows[line - 2].update(cells)
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)


CASES = [
    (3, {"source": " "}, "line 3: row has no source"),
    (2, {"stated": "2025-1-3"}, "line 2: stated '2025-1-3' is not YYYY-MM-DD"),
    (4, {"period_end": "2025-02-30"},
     "line 4: period_end '2025-02-30' is not a calendar date"),
    (3, {"low_usd_bn": "6O"}, "line 3: low_usd_bn '6O' is not a positive number"),
    (5, {"high_usd_bn": "0"}, "line 5: high_usd_bn '0' is not a positive number"),
    (3, {"low_usd_bn": "70"}, "line 3: low_usd_bn 70 is above high_usd_bn 65"),
    (2, {"high_usd_bn": "85"},
     "line 2: high_usd_bn 85: a figure of form 'about' has one value, not 80 to 85"),
    (6, {"ticker": "AMZN.X"}, "line 6: ticker 'AMZN.X' is not in universe.csv"),
    (5, {"form": "approx"},
     "line 5: form 'approx' is not one of ['about', 'implied', 'range']"),
    (2, {"year_basis": "financial"},
     "line 2: year_basis 'financial' is not one of ['calendar', 'fiscal']"),
    (7, {"certainty": "likely"},
     "line 7: certainty 'likely' is not one of ['confirmed', 'reported']"),
    (2, {"period_start": "2025-07-01"},
     "line 2: period_end 2025-06-30 is not after period_start 2025-07-01"),
    (4, {"stated": "2025-01-24"}, "line 4: duplicate (ticker, stated) ('META', '2025-01-24')"),
    (8, {"covers": ""}, "line 8: row has no covers"),
]


@pytest.mark.parametrize("line, cells, message", CASES, ids=[c[2][:40] for c in CASES])
def test_bad_input_is_refused_with_file_line_and_column(book, line, cells, message):
    edit(book, line, **cells)
    exactly(f"{book / 'capex.csv'}: {message}", capex.capex)


def test_a_missing_column_is_refused(book):
    table = pd.read_csv(book / "capex.csv", dtype=str, keep_default_na=False)
    table.drop(columns=["covers"]).to_csv(book / "capex.csv", index=False)
    exactly(f"{book / 'capex.csv'}: line 1: missing columns ['covers']", capex.capex)
