"""The hand-collected facts in `data/`: each table is checked for its columns and a source per row."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pandas as pd

from .paths import facts_dir
from .validate import DataError

SCHEMAS = {
    "universe": ["ticker", "name", "kind", "group", "market", "exchange_mic", "calendar",
                 "currency", "timezone", "benchmark", "source"],
    "events": ["date", "place", "category", "label", "description", "source", "certainty"],
    "shares": ["ticker", "shares", "as_of", "grade", "source", "notes"],
    "records": ["company", "ticker", "date", "loss_usd_bn", "source"],
}
KINDS = {"equity", "adr", "etf", "index", "fx"}


def read_facts(name: str, path: Path | None = None) -> pd.DataFrame:
    """Read `data/<name>.csv`, rejecting missing columns and rows without a source."""
    path = path or facts_dir() / f"{name}.csv"
    if not path.is_file():
        raise DataError(f"{path}: missing facts file")
    table = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    table.columns = [c.strip() for c in table.columns]
    missing = [c for c in SCHEMAS[name] if c not in table.columns]
    if missing:
        raise DataError(f"{path}: line 1: missing columns {missing}")
    for i, row in table.iterrows():
        if not row["source"].strip():
            raise DataError(f"{path}: line {i + 2}: row has no source")
    return table


@cache
def universe() -> pd.DataFrame:
    table = read_facts("universe")
    bad = table.loc[~table["kind"].isin(KINDS), "kind"]
    if len(bad):
        raise DataError(f"{facts_dir() / 'universe.csv'}: line {bad.index[0] + 2}: unknown kind {bad.iloc[0]!r}")
    dupes = table["ticker"].duplicated()
    if dupes.any():
        raise DataError(f"{facts_dir() / 'universe.csv'}: line {dupes.idxmax() + 2}: duplicate ticker")
    return table


@cache
def events() -> pd.DataFrame:
    table = read_facts("events")
    table["date"] = _dates(table["date"], facts_dir() / "events.csv")
    return table


@cache
def shares() -> pd.DataFrame:
    table = read_facts("shares")
    table["shares"] = pd.to_numeric(table["shares"], errors="raise").astype(float)
    return table


@cache
def records() -> pd.DataFrame:
    table = read_facts("records")
    table["date"] = _dates(table["date"], facts_dir() / "records.csv")
    table["loss_usd_bn"] = pd.to_numeric(table["loss_usd_bn"]).astype(float)
    return table


def _dates(column: pd.Series, path: Path) -> pd.Series:
    parsed = pd.to_datetime(column, format="%Y-%m-%d", errors="coerce")
    if parsed.isna().any():
        i = parsed.isna().idxmax()
        raise DataError(f"{path}: line {i + 2}: date {column[i]!r} is not YYYY-MM-DD")
    return parsed


def name(ticker: str) -> str:
    """Display name of a ticker from the universe."""
    return universe().set_index("ticker").at[ticker, "name"]
