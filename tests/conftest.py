"""Shared fixtures: the raw snapshot (read independently of the package) and the synced cache."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parent.parent
# Front matter of a MyST notebook, for the small throwaway books some tests build.
NOTEBOOK_HEADER = """---
jupytext:
  text_representation:
    extension: .md
    format_name: myst
kernelspec:
  display_name: Python 3
  language: python
  name: python3
---
"""
SNAPSHOT = Path(os.environ.get("MARKET_DATA", ROOT.parent / "shared" / "market-data"))


def raw_close(file: str) -> pd.Series:
    """Closes straight from a snapshot CSV with plain pandas, indexed by date (test oracle)."""
    frame = pd.read_csv(SNAPSHOT / "prices" / file, parse_dates=["date"])
    return frame.set_index("date")["close"]


@pytest.fixture(scope="session")
def snapshot() -> Path:
    if not (SNAPSHOT / "prices").is_dir():
        pytest.skip(f"no market-data snapshot at {SNAPSHOT}")
    return SNAPSHOT
