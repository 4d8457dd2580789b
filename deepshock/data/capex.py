"""The large platforms' stated AI spending plans (`data/capex.csv`): who said what, when, for
which period and on which measure. A company's figures are not all alike (a fiscal year to June
against a calendar year; "AI-enabled data centres" against capital expenditures with or without
finance leases; a rate implied by one quarter), so every row says what it covers.

Declared in `data/datapackage.json` and checked like the other facts (`schema`): its columns, a
source and a certainty per row, ISO dates, tickers that the universe knows, one statement per
company and day, positive figures, and the rules of `rules` (a period that ends after it
starts; a low end not above the high end, and one value unless the form is a range). Every
rejection is a `DataError` naming file, line and column.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pandas as pd

from . import schema
from .paths import facts_dir

NAME = "capex"


def capex() -> pd.DataFrame:
    """The statements, one row each, in the order stated: dates as timestamps, figures as
    floats (US$ bn)."""
    return _capex(facts_dir()).copy()


@cache
def _capex(root: Path) -> pd.DataFrame:
    table = schema.table(NAME, root)
    return table.sort_values(["stated", "ticker"], kind="stable").reset_index(drop=True)
