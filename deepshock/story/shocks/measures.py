"""Compared with what: the book's own measurements, run unchanged for each named market shock
of `data/shocks.csv` (the DeepSeek day among them); `shocks_days` ranks the book's event among
all the days a rule selects.

Day 0 of an event in a market is that market's first session whose close comes after the news
(`deepshock.data.event`, from the news time in UTC and the exchange calendars). Every
measurement is one function of the event, so the DeepSeek day is measured like the others:

* `moves`: the day-0 return of Nvidia, the SOX, the S&P 500, its equal-weighted version (RSP)
  and the VIX, with its rank among all the series' daily returns in the data;
* `breadth`: the share of S&P 500 members that fell, and the sectors that fell and rose most
  (equal-weighted sector means, the statistic used throughout);
* `losers`: the largest losses of market value among the companies with a share count, by
  the market-value chapter's method (`marketvalue.losses`);
* `transmission`: Tokyo's, Seoul's, Taipei's and Europe's day 0 and day 1 (each market's own,
  from the news time), by the book's one transmission model (`story.transmission`, the same
  function and parameters as the story chapters): the total move and the excess beyond the
  usual echo of New York, close to close, and the verdict across the bounds of the lead;
* `groups`: the event study's abnormal returns and group tests for US and Japanese chip stocks,
  each group at its own market's day 0.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pandas as pd

from ...data import artefacts, event, facts, load
from ...methods import transmission as tm
from .. import eventstudy as es
from .. import marketvalue
from .. import transmission as tr

SERIES = {"NVDA": "Nvidia", "^SOX": "SOX", "^GSPC": "S&P 500", "RSP": "S&P 500 equal weight",
          "^VIX": "VIX"}
LOCAL = {"Tokyo": "^N225", "Seoul": "^KS11", "Taipei": "^TWII", "Europe": "^STOXX"}
NY = "XNYS"
DAYS = (0, 1)   # each market's own day 0 and day 1 (transmission model)
GROUPS = {"US semiconductors": "[0]", "Japan semiconductors": "[0,+1]"}
GROUP_MARKET = {"US semiconductors": "XNYS", "Japan semiconductors": "XTKS"}
event_day0 = event.day0  # the parameter `event` (a row) shadows the module in the functions
PATH = (-5, 20)


def events() -> pd.DataFrame:
    """The named shocks, ordered by news time, with their New York and Tokyo day 0 (`day0`,
    `day0_tokyo`: each market's first session whose close comes after the news)."""
    table = event.events()
    return table.assign(day0=[event.day0(NY, label) for label in table["label"]],
                        day0_tokyo=[event.day0("XTKS", label) for label in table["label"]])


@cache
def _series(ticker: str) -> pd.Series:
    """Daily returns by date: a price file of the universe, else a column of the panel."""
    if ticker in set(facts.universe()["ticker"]):
        return load.returns(ticker).set_index("date")["ret"]
    return load.panel_returns()[ticker].dropna()


def moves(day0: pd.Timestamp) -> pd.DataFrame:
    """Per series: day-0 return, its rank among the series' falls (rises for the VIX) in the
    whole data, and the number of sessions ranked."""
    rows = []
    for ticker, name in SERIES.items():
        rets = _series(ticker)
        ret = float(rets.loc[day0])
        worse = (rets > ret) if ticker == "^VIX" else (rets < ret)
        rows.append({"ticker": ticker, "name": name, "ret": ret, "rank": int(worse.sum()) + 1,
                     "out_of": len(rets), "first": rets.index.min(), "last": rets.index.max()})
    return pd.DataFrame(rows)


def breadth(day0: pd.Timestamp) -> dict:
    """How many S&P 500 members fell, and the sector means (equal-weighted) that moved most."""
    members = load.panel_members()
    members = members.loc[members["kind"] == "sp500"].set_index("ticker")
    day = load.panel_returns().loc[day0, members.index].dropna()
    sector = members.loc[day.index, "sector"]
    sectors = day.loc[sector != ""].groupby(sector.loc[sector != ""]).mean().sort_values()
    return {"fell": int((day < 0).sum()), "rose": int((day > 0).sum()), "n": len(day),
            "share_fell": float((day < 0).mean()), "mean": float(day.mean()),
            "worst_sector": sectors.index[0], "worst_sector_ret": float(sectors.iloc[0]),
            "best_sector": sectors.index[-1], "best_sector_ret": float(sectors.iloc[-1]),
            "sectors": sectors}


def losers(day0: pd.Timestamp, n: int = 3) -> pd.DataFrame:
    """The `n` largest losses of market value on day 0 among US companies with a share count."""
    table = marketvalue.losses((day0,))
    table = table.loc[table["included"] & (table["market"] == "US") & (table["loss_usd"] > 0)]
    return table.nlargest(n, "loss_usd")[["ticker", "name", "ret", "loss_usd", "approximate"]]


def transmission(event: pd.Series) -> pd.DataFrame:
    """Per market index and day (0, 1: the market's own sessions after the news): session,
    total, excess (close to close) and the verdict across bounds, from `transmission.security`
    for the event's news time; a market whose prices begin too late is left out."""
    rows = []
    for market, ticker in LOCAL.items():
        table = tr.security(ticker, event["news_utc"], DAYS)
        for day, part in table.groupby("day"):
            if (part["bound"] == "none").any():
                continue
            cc = part.loc[part["bound"] == "cc"].iloc[0]
            rows.append({"market": market, "ticker": ticker, "day": day, "session": cc["date"],
                         "weekdays": cc["weekdays"], "total": cc["total"],
                         "excess": cc["excess"], "verdict": tm.verdict(part["excess_lo"],
                                                                       part["excess_hi"])})
    return pd.DataFrame(rows)


def groups(event: pd.Series) -> pd.DataFrame:
    """Event-study group tests (BMP, Kolari-Pynnönen, portfolio) for the chip groups, each at
    its primary window from its own market's day 0; members without a full estimation window
    are left out and counted."""
    universe = facts.universe()
    rows = []
    for group, window in GROUPS.items():
        members, left_out = [], []
        day0 = event_day0(GROUP_MARKET[group], event["label"])
        for ticker in universe.loc[universe["group"] == group, "ticker"]:
            try:
                members.append(es.security(ticker, event=day0))
            except ValueError:
                left_out.append(ticker)
        if len(members) < 3:
            continue
        test = next(r for r in es.group_tests(members, group) if r["window"] == window)
        rows.append({**test, "left_out": len(left_out)})
    return pd.DataFrame(rows)


def path(day0: pd.Timestamp) -> pd.DataFrame:
    """Cumulative move (%) of the main series from the close before day 0, sessions -5..+20."""
    out = []
    for ticker in ("NVDA", "^SOX", "^GSPC", "RSP"):
        rets = _series(ticker)
        pos = int(rets.index.get_loc(day0))
        window = rets.iloc[pos + PATH[0]:pos + PATH[1] + 1]
        level = (1 + window).cumprod()
        base = level.iloc[-PATH[0] - 1]  # the close before day 0 (tau = -1)
        out.append(pd.DataFrame({"series": SERIES[ticker], "tau": np.arange(PATH[0], PATH[1] + 1),
                                 "cum_pct": ((level / base - 1) * 100).to_numpy()}))
    return pd.concat(out, ignore_index=True)


@cache
def measure() -> pd.DataFrame:
    """One row per event with every measurement (fractions; NaN where a market had no data);
    kept in the artefact store, keyed by the package, the data and the facts."""
    return artefacts.keep("shocks-measure", _measure)


def _measure() -> pd.DataFrame:
    rows = []
    for _, event in events().iterrows():
        day0 = event["day0"]
        mv = moves(day0).set_index("ticker")
        br = breadth(day0)
        trans = transmission(event).set_index(["market", "day"])
        grp = groups(event).set_index("group")
        top = losers(day0)
        row = {"label": event["label"], "date": event["date"], "day0": day0,
               "origin": event["origin_market"], "certainty": event["certainty"],
               "primary": event["role"] == "primary"}
        for ticker in SERIES:
            row[f"ret {ticker}"], row[f"rank {ticker}"] = mv.at[ticker, "ret"], mv.at[ticker, "rank"]
            row[f"out_of {ticker}"] = mv.at[ticker, "out_of"]
        row.update({k: br[k] for k in ("fell", "n", "share_fell", "worst_sector",
                                       "worst_sector_ret", "best_sector", "best_sector_ret")})
        row["concentration"] = row["ret ^SOX"] - row["ret RSP"]
        for market in LOCAL:
            for day in DAYS:
                for col in ("session", "weekdays", "total", "excess", "verdict"):
                    row[f"{market} d{day} {col}"] = (trans[col].get((market, day), np.nan)
                                                     if len(trans) else np.nan)
        for group in GROUPS:
            for col in ("caar", "kp", "kp_p", "port_t", "port_p", "n", "window"):
                row[f"{group} {col}"] = grp[col].get(group, np.nan) if len(grp) else np.nan
        row["top_loser"] = top.iloc[0]["name"] if len(top) else ""
        row["top_loss"] = float(top.iloc[0]["loss_usd"]) if len(top) else np.nan
        row["losers"] = top
        rows.append(row)
    return pd.DataFrame(rows)


def paths() -> pd.DataFrame:
    """The small-multiples data: every event's cumulative paths, labelled by event."""
    table = events()
    return pd.concat([path(r.day0).assign(event=f"{r.label} ({r.day0:%-d %b %Y})")
                      for r in table.itertuples()], ignore_index=True)
