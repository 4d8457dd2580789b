"""Sourced facts the market-value count needs beyond share counts, from `data/`:

* `holdings.csv`: one listed company's stake in another (SoftBank's in Arm), so a total of
  market value does not count the same value twice;
* `fx_rates.csv`: exchange rates the snapshot has no series for (TWD), each recorded as the
  two amounts a source converted (local and US$), so the rate is derived, never typed;
* `market_values.csv`: the total market value of an index's members on a date, as reported.

Each table is declared in `data/datapackage.json` and checked by `schema` (a source on every
row, tickers of the universe, positive amounts, a stake in (0, 1]); every rejection is a
`DataError` naming file, line and column.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pandas as pd

from . import schema
from .paths import facts_dir


def holdings() -> pd.DataFrame:
    """Stakes of one universe company in another: holder, held, stake (a fraction), as_of."""
    return _holdings(facts_dir())


@cache
def _holdings(root: Path) -> pd.DataFrame:
    return schema.table("holdings", root)


def stake(holder: str, held: str) -> float:
    """The fraction of `held` that `holder` owns (0.0 when none is on file)."""
    table = holdings()
    rows = table.loc[(table["holder"] == holder) & (table["held"] == held), "stake"]
    return float(rows.iloc[0]) if len(rows) else 0.0


def fx_rates() -> pd.DataFrame:
    """Sourced conversions: date, currency, local_amount, usd_amount and `rate` (local per US$)."""
    return _fx_rates(facts_dir())


@cache
def _fx_rates(root: Path) -> pd.DataFrame:
    table = schema.table("fx_rates", root)
    return table.assign(rate=table["local_amount"] / table["usd_amount"])


def fx_rate(currency: str, date: pd.Timestamp) -> pd.Series:
    """The sourced rate of `currency` nearest to `date` (ties: the earlier), with `gap_days`
    (signed: positive when the rate is dated after `date`); raises when none is on file."""
    table = fx_rates()
    table = table.loc[table["currency"] == currency]
    if table.empty:
        raise LookupError(f"{facts_dir() / 'fx_rates.csv'}: no {currency} rate on file")
    gaps = (table["date"] - pd.Timestamp(date)).dt.days
    best = gaps.abs().sort_values(kind="stable").index[0]
    return table.loc[best].copy().rename(None).pipe(
        lambda row: pd.concat([row, pd.Series({"gap_days": int(gaps[best])})]))


def market_values() -> pd.DataFrame:
    """Reported total market values: index, date, value_usd_tn."""
    return _market_values(facts_dir())


@cache
def _market_values(root: Path) -> pd.DataFrame:
    return schema.table("market_values", root)
