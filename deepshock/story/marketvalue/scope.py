"""What the market-value total covers, and the like-for-like part of it that the whole market
(the S&P 500 panel and index) can be set against."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from ...data import load
from .valuation import MarketMove


@dataclass(frozen=True)
class Scope:
    us: tuple[str, ...]          # names of the US lines in the day's total
    members: tuple[str, ...]     # ... of which S&P 500 members (the panel's list)
    outside: tuple[str, ...]     # ... and not
    other: tuple[str, ...]       # the total's lines outside the US (Tokyo)
    loss_usd: float              # the members' net loss (full market value)
    value_usd: float             # their full market value at the previous close
    vw_ret: float                # -loss / value: their value-weighted move
    ew_ret: float                # their equal-weighted move
    index_share_value: float     # value / the index's approximate total value
    index_share_loss: float      # loss / the index's approximate loss


def scope(table: pd.DataFrame, market: MarketMove) -> Scope:
    """The companies in `market.day`'s total, split by market and S&P 500 membership, and the
    members' loss as a value-weighted return and as shares of the index's approximate value
    and loss (full market values here; the index weights by free float)."""
    day = table.loc[(table["date"] == market.day) & table["in_total"]]
    panel = load.panel_members()
    sp = set(panel.loc[panel["kind"] == "sp500", "ticker"])
    us = day.loc[day["market"] == "US"]
    inside = us.loc[us["ticker"].isin(sp)]
    value = float((inside["shares"] * inside["prev_level"]).sum())
    loss = float(inside["loss_usd"].sum())
    return Scope(us=tuple(us["name"]), members=tuple(inside["name"]),
                 outside=tuple(us.loc[~us["ticker"].isin(sp), "name"]),
                 other=tuple(day.loc[day["market"] != "US", "name"]),
                 loss_usd=loss, value_usd=value, vw_ret=-loss / value,
                 ew_ret=float(inside["ret"].mean()),
                 index_share_value=value / market.value_prev_usd,
                 index_share_loss=loss / market.loss_usd)
