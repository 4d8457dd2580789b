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


def small_book(root: Path, monkeypatch, tickers) -> Path:
    """A copy of data/ under `root` whose universe holds only `tickers`, read instead of the
    real one (DEEPSHOCK_ROOT)."""
    import shutil

    shutil.copytree(ROOT / "data", root / "data")
    universe = pd.read_csv(root / "data" / "universe.csv", dtype=str, keep_default_na=False)
    universe[universe["ticker"].isin(tickers)].to_csv(root / "data" / "universe.csv",
                                                      index=False)
    monkeypatch.setenv("DEEPSHOCK_ROOT", str(root))
    return root


def synced_cache(snapshot_dir: Path, root: Path, tickers) -> Path:
    """A price cache synced from `snapshot_dir` for `tickers`, under `root`."""
    from deepshock.data import sync

    target = root / "cache" / "market-data"
    sync.sync_snapshot(snapshot_dir, target=target, tickers=tickers)
    return target
