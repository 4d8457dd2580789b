"""Market value lost per company on the shock sessions: shares outstanding x as-traded price move.

A loss needs the as-traded price level, not just the return:
``loss = shares x as-traded previous close x (-return)`` (for an as-traded series this is exactly
``shares x (previous close - close)``). The level comes from the snapshot's close convention:

* RAW files are as traded (split-adjusted by Yahoo as of the download): used as they are, unless
  `data/splits.csv` records a split between the shock and the download, whose ratio restores the
  January 2025 units. A split without a date cannot be placed, so that company is left out.
* ADJUSTED files (the Japanese names) are also dividend-adjusted: dividends paid between January
  2025 and the download scale the level down by a factor the snapshot does not record. Their
  losses are therefore lower bounds, shown as approximate and kept out of the exact total.

A figure is approximate when its share count is grade C or its level is dividend-adjusted.
Yen losses are converted at Yahoo's USD/JPY close with the same day label (JPY=X).

Totals count each company once: TSMC by its home line (2330.TW, valued in TWD on its first
session back and converted at a sourced rate, `home_loss`), never also by its New York ADR;
and SoftBank's stake in Arm (`data/holdings.csv`) is subtracted from a total holding both
(`overlap`), since SoftBank's value already contains that share of Arm's.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from ...data import context, event, facts, holdings, load, sessions, sharecounts
from ...data.sync import read_manifest
from ...data.validate import DataError

SHOCK_DAYS = event.days("XNYS", (0, 1))  # New York's day 0 and day 1
FX = "JPY=X"
SOURCE = "Yahoo Finance daily closes; company filings (share counts); press reports (records)"
# what a share count's grade means, in words for readers (the grade itself stays in the data)
COUNT_WORDS = {"A": "from a filing", "B": "from a source of another date", "C": "an estimate"}
# A line valued elsewhere: the ADR is shown (what New York implied) but never added to a
# total, where the company counts once, by its home line.
HOME_LINE = {"TSM": "2330.TW"}


def count_kind(source: str, notes: str) -> str:
    """'weighted-average' when the count on file is a period's weighted-average basic count
    (as the source or notes say), else 'outstanding' (a count on a date)."""
    return "weighted-average" if "weighted" in f"{source} {notes}".lower() else "outstanding"


def splits() -> pd.DataFrame:
    """`data/splits.csv`: the splits that could put a snapshot level in other units than 2025's
    (checked and typed by the data layer: a positive ratio, dates or NaT)."""
    return facts.splits()


def convention(ticker: str) -> str:
    """'as traded' or 'dividend-adjusted', from the close convention recorded at sync time."""
    text = read_manifest()["tickers"][ticker]["close_convention"]
    if text.startswith("RAW"):
        return "as traded"
    if text.startswith("ADJUSTED"):
        return "dividend-adjusted"
    raise DataError(f"{ticker}: close convention {text!r} has no price level for market values")


def split_multiplier(ticker: str, table: pd.DataFrame, after: pd.Timestamp) -> float | None:
    """Factor from the snapshot's level to January 2025 units: the product of the ratios of
    splits effective after `after` and on or before the download; None if a split is undated."""
    return sharecounts.to_snapshot_units(ticker, after, table)  # the same rule


def losses(days: tuple[pd.Timestamp, ...] = SHOCK_DAYS) -> pd.DataFrame:
    """One row per company with a share count and shock session.

    Columns: ticker, name, market, currency, date, prev_date, prev_level, ret, shares, grade,
    count, basis, multiplier, loss_local, fx, loss_usd, approximate, included, reason,
    in_total. `loss_*` is positive for a loss; `included` is False (with the reason) when no
    figure can be given; `in_total` is False as well for an ADR whose company is counted by
    its home line (HOME_LINE).
    """
    history = sharecounts.history()
    universe = facts.universe().set_index("ticker")
    split_table = splits()
    tickers = list(dict.fromkeys(history["ticker"]))
    rets = load.returns(tickers).set_index(["ticker", "date"])
    fx = load.prices(FX).set_index("date")["close"]
    rows = []
    for ticker in tickers:
        info = universe.loc[ticker]
        basis = convention(ticker)
        for day in days:
            holding = count_for(ticker, day, history, split_table)
            # per session: a split effective between two shock sessions moves only the first
            multiplier = split_multiplier(ticker, split_table, day)
            row = {"ticker": ticker, "name": info["name"], "market": info["market"],
                   "currency": info["currency"], "date": day, "shares": holding["shares"],
                   "grade": holding["grade"], "basis": basis, "multiplier": multiplier,
                   "count": count_kind(holding["source"], holding["notes"]),
                   "as_of": holding["as_of"], "count_use": holding["use"],
                   "included": False, "reason": ""}
            if (ticker, day) not in rets.index:
                rows.append({**row, "reason": "no session (market closed)"})
                continue
            move = rets.loc[(ticker, day)]
            row.update(prev_date=move["prev_date"], ret=move["ret"])
            if multiplier is None:
                rows.append({**row, "reason": "adjusted for a split of unknown date, "
                                              "so no as-traded level"})
                continue
            prev_level = move["prev_close"] * multiplier
            loss_local = -holding["shares"] * prev_level * move["ret"]
            rate = 1.0 if info["currency"] == "USD" else fx.get(day, float("nan"))
            if info["currency"] not in ("USD", "JPY") or pd.isna(rate):
                rows.append({**row, "reason": f"no {info['currency']} rate for {day:%Y-%m-%d}"})
                continue
            rows.append({**row, "prev_level": prev_level, "loss_local": loss_local, "fx": rate,
                         "loss_usd": loss_local / rate, "included": True})
    table = pd.DataFrame(rows)
    table["approximate"] = (table["grade"] == "C") | (table["basis"] != "as traded")
    table["in_total"] = table["included"] & ~table["ticker"].isin(list(HOME_LINE))
    return table


def count_for(ticker: str, day: pd.Timestamp, history: pd.DataFrame | None = None,
              split_table: pd.DataFrame | None = None) -> pd.Series:
    """The count valuing `ticker` on `day`, in the filing's own units (this module restores
    the price to the day's units instead): the dated-history rule of `sharecounts` (at or
    before, else the nearest after, within 183 days), else the latest count on file of any
    date (its `use` says 'not dated to a day' or 'more than 183 days away')."""
    history = sharecounts.history() if history is None else history
    row = sharecounts.for_day(ticker, day, after=True, table=history, splits=split_table)
    if row is not None:
        row["shares"] = row["filed"]
        return row
    rows = history.loc[history["ticker"] == ticker]
    if rows.empty:
        raise KeyError(f"{ticker}: no share count in data/shares.csv")
    row = rows.iloc[-1].copy()
    row["use"] = ("not dated to a day" if row["as_of_precision"] != "day"
                  else f"more than {sharecounts.MAX_AGE.days} days away")
    row["shares"] = float(row["shares"])
    return row


def list_table(header: list[str], rows: list[list[str]], widths: list[int]) -> str:
    """A MyST list-table (class `deepshock-wrap`: cells may wrap) with fixed relative column
    widths, so it fits the PDF page; dollar signs are escaped so they are never read as math."""
    def cell(text: object) -> str:
        return str(text).replace("$", "\\$")

    lines = ["```{list-table}", ":header-rows: 1", ":width: 100%",
             ":class: deepshock-wrap longtable", f":widths: {' '.join(map(str, widths))}", ""]
    for row in [header, *rows]:
        lines += [f"* - {cell(row[0])}"] + [f"  - {cell(c)}" for c in row[1:]]
    return "\n".join(lines + ["```"])


def splits_table() -> str:
    """`data/splits.csv` as a Markdown table, with whether each split moves the snapshot level."""
    table = splits()
    rows = []
    for _, row in table.iterrows():
        factor = split_multiplier(row["ticker"], table, max(SHOCK_DAYS))
        applied = "no: date unknown, figure left out" if factor is None else \
            f"yes: prices x {factor:g}" if factor != 1 else "no"
        effective = "unknown" if pd.isna(row["effective"]) else f"{row['effective']:%Y-%m-%d}"
        rows.append([facts.name(row["ticker"]), f"{row['ratio']:g}:1", effective,
                     f"{row['download']:%Y-%m-%d}", applied])
    return list_table(["Company", "Split", "Effective", "File downloaded",
                       "Applied to the level"], rows, [24, 10, 18, 18, 30])


def label(value: float, approximate: bool, currency: str = "USD") -> str:
    """'$592.7bn', '≈$196.4bn' or '≈¥634.5bn'; a gain (negative loss) gets a minus sign."""
    sign = "\u2212" if value < 0 else ""
    if currency == "JPY":
        text = f"{sign}¥{abs(value) / 1e9:,.1f}bn"
    else:
        text = f"{sign}${abs(value) / 1e9:,.1f}bn"
    return ("≈" if approximate else "") + text


@dataclass(frozen=True)
class Totals:
    all_usd: float          # every company counted once (in_total), before the overlap
    exact_usd: float        # the exact figures alone
    n_all: int
    n_exact: int
    n_excluded: int         # no figure on the day
    overlap_usd: float      # holders' share of held companies' losses, both in the total
    net_usd: float          # all_usd - overlap_usd
    exact_overlap_usd: float
    exact_net_usd: float


def overlap(rows: pd.DataFrame, stakes: pd.DataFrame) -> float:
    """Sum over `stakes` (holder, held, stake) of stake x the held company's loss, for the
    pairs where both companies are among `rows` (one day's rows of `losses`)."""
    loss = rows.set_index("ticker")["loss_usd"]
    return float(sum(s.stake * loss[s.held] for s in stakes.itertuples()
                     if s.holder in loss.index and s.held in loss.index))


def totals(table: pd.DataFrame, day: pd.Timestamp,
           stakes: pd.DataFrame | None = None) -> Totals:
    """Net loss in dollars over the companies counted on `day` (gains count negative), with
    and without the cross-holdings of `data/holdings.csv` (or `stakes`)."""
    stakes = holdings.holdings() if stakes is None else stakes
    on_day = table.loc[table["date"] == day]
    shown = on_day.loc[on_day["in_total"]]
    exact = shown.loc[~shown["approximate"]]
    both, exact_both = overlap(shown, stakes), overlap(exact, stakes)
    return Totals(all_usd=float(shown["loss_usd"].sum()), exact_usd=float(exact["loss_usd"].sum()),
                  n_all=len(shown), n_exact=len(exact), n_excluded=int((~on_day["included"]).sum()),
                  overlap_usd=both, net_usd=float(shown["loss_usd"].sum()) - both,
                  exact_overlap_usd=exact_both,
                  exact_net_usd=float(exact["loss_usd"].sum()) - exact_both)


@dataclass(frozen=True)
class HomeLoss:
    ticker: str
    session: pd.Timestamp     # first home session on or after the shock
    prev_date: pd.Timestamp
    prev_close: float
    close: float
    ret: float
    shares: float
    loss_local: float
    rate: float               # local currency per US$ (sourced conversion)
    rate_date: pd.Timestamp
    rate_gap_days: int
    rate_source: str
    loss_usd: float
    closed_days: int          # weekdays without a session before `session`
    news: tuple[str, ...]     # confounders naming the home line, dated in (prev_date, session]
    adr: str
    adr_ret: float            # the ADR's move on the shock day
    adr_loss_usd: float       # what the ADR line implied on the shock day
    adr_window_ret: float     # the ADR's move over the home line's own span
    adr_window_loss_usd: float
    adr_premium: float        # ADR price / (home price per ADR in US$) - 1 on `session`


def home_loss(adr: str = "TSM", day: pd.Timestamp = SHOCK_DAYS[0]) -> HomeLoss:
    """The company of `adr` valued on its home line: shares x fall in the as-traded close on
    the first home session on or after `day`, converted at the sourced rate nearest that
    session; next to what the ADR line implied on `day` and over the same span."""
    home = HOME_LINE[adr]
    info = facts.universe().set_index("ticker")
    code = info.at[home, "calendar"]
    session = sessions.first_session(code, day)
    shares = {t: float(count_for(t, session)["shares"]) for t in (home, adr)}
    move = load.session_return(home, str(session.date()))
    if convention(home) != "as traded":
        raise DataError(f"{home}: the home line needs an as-traded price level")
    loss_local = shares[home] * (move["prev_close"] - move["close"])
    fx = holdings.fx_rate(info.at[home, "currency"], session)
    adr_rets = load.returns(adr).set_index("date")
    adr_close = adr_rets["close"]
    adr_prev = adr_close[adr_close.index <= move["prev_date"]].iloc[-1]
    at_day = adr_rets.loc[day]
    per_adr = shares[home] / shares[adr]
    news = context.in_window(move["prev_date"] + pd.Timedelta(days=1), session, home)
    return HomeLoss(
        ticker=home, session=session, prev_date=move["prev_date"],
        prev_close=float(move["prev_close"]), close=float(move["close"]), ret=float(move["ret"]),
        shares=float(shares[home]), loss_local=float(loss_local), rate=float(fx["rate"]),
        rate_date=fx["date"], rate_gap_days=int(fx["gap_days"]), rate_source=fx["source"],
        loss_usd=float(loss_local / fx["rate"]),
        closed_days=len(sessions.closure(code, move["prev_date"] + pd.Timedelta(days=1))),
        news=tuple(dict.fromkeys(news["label"])), adr=adr, adr_ret=float(at_day["ret"]),
        adr_loss_usd=float(shares[adr] * (at_day["prev_close"] - at_day["close"])),
        adr_window_ret=float(adr_close[session] / adr_prev - 1),
        adr_window_loss_usd=float(shares[adr] * (adr_prev - adr_close[session])),
        adr_premium=float(adr_close[session] * fx["rate"] / (per_adr * move["close"]) - 1))


@dataclass(frozen=True)
class MarketMove:
    day: pd.Timestamp
    n: int                 # S&P 500 members in the panel with a return on `day`
    fell: int
    rose: int
    equal_weighted: float  # mean member return
    cap_weighted: float    # the S&P 500 index (^GSPC), float-adjusted cap weights
    spy: float
    value_date: pd.Timestamp
    value_source: str
    value_prev_usd: float  # sourced total value scaled by the index to the previous close
    loss_usd: float        # value_prev_usd x -cap_weighted: approximate


def market_move(day: pd.Timestamp = SHOCK_DAYS[0], index: str = "^GSPC") -> MarketMove:
    """The whole US market on `day`: the panel's S&P 500 members (equal-weighted, breadth),
    the index itself (cap-weighted), SPY, and an approximate dollar change: the sourced total
    market value of the members (data/market_values.csv) carried to the previous close by the
    index level, times the index's return. Members' own share counts are not on file, so the
    members' summed loss is not computed."""
    panel = load.panel_returns()
    members = load.panel_members()
    sp = members.loc[members["kind"] == "sp500", "ticker"]
    rets = panel.loc[pd.Timestamp(day), sp].dropna()
    level = load.returns(index).set_index("date")
    value = holdings.market_values()
    value = value.loc[value["index"] == index].iloc[-1]
    close = level["close"]
    at_value = close[close.index <= value["date"]].iloc[-1]
    prev = level.at[pd.Timestamp(day), "prev_close"]
    value_prev = value["value_usd_tn"] * 1e12 * prev / at_value
    ret = float(level.at[pd.Timestamp(day), "ret"])
    spy = float(load.returns("SPY").set_index("date").at[pd.Timestamp(day), "ret"])
    return MarketMove(day=pd.Timestamp(day), n=len(rets), fell=int((rets < 0).sum()),
                      rose=int((rets > 0).sum()), equal_weighted=float(rets.mean()),
                      cap_weighted=ret, spy=spy, value_date=value["date"],
                      value_source=value["source"], value_prev_usd=float(value_prev),
                      loss_usd=float(-value_prev * ret))


@dataclass(frozen=True)
class Reconciliation:
    shares: float
    prev_close: float
    close: float
    loss: float
    reported: float
    diff: float
    rel_diff: float
    implied_shares: float


def reconcile(table: pd.DataFrame, reported: float, ticker: str = "NVDA",
              day: pd.Timestamp = SHOCK_DAYS[0]) -> Reconciliation:
    """The loss computed for `ticker` on `day` against a reported figure (in dollars)."""
    row = table.loc[(table["ticker"] == ticker) & (table["date"] == day)].iloc[0]
    if row["basis"] != "as traded" or row["currency"] != "USD":
        raise ValueError(f"{ticker}: reconciliation needs an as-traded dollar series")
    close = row["prev_level"] * (1 + row["ret"])
    drop = row["prev_level"] - close
    return Reconciliation(shares=float(row["shares"]), prev_close=float(row["prev_level"]),
                          close=float(close), loss=float(row["loss_usd"]), reported=reported,
                          diff=float(row["loss_usd"] - reported),
                          rel_diff=float(row["loss_usd"] / reported - 1),
                          implied_shares=float(reported / drop))


def summary_table(table: pd.DataFrame) -> str:
    """MyST table: per company, where its share count comes from (`COUNT_WORDS`), the price
    basis and the loss on each shock session (local currency for yen names, dollars for all);
    closed or left out marked."""
    days = sorted(table["date"].unique())
    head = ["Company", "Share count", "Price level"] + [f"{d:%-d %b} loss" for d in days]
    rows = []
    first = table.loc[table["date"] == days[0]].sort_values("loss_usd", ascending=False,
                                                           na_position="last")
    home_lines = set(HOME_LINE.values())
    for ticker in first["ticker"]:
        per_day = table.loc[table["ticker"] == ticker].set_index("date")
        if ticker in home_lines and not per_day["included"].any():
            continue  # closed on both days: its home-line figure is given on its own
        cells = []
        for d in days:
            r = per_day.loc[d]
            if not r["included"]:
                cells.append("n/a")
            elif r["currency"] == "JPY":
                cells.append(f"{label(r['loss_local'], r['approximate'], 'JPY')} "
                             f"({label(r['loss_usd'], r['approximate'])})")
            else:
                cells.append(label(r["loss_usd"], r["approximate"]))
        lead = per_day.iloc[0]
        name = lead["name"] + (" — not in the totals" if ticker in HOME_LINE else "")
        grade = COUNT_WORDS[lead["grade"]] + (" (weighted-average count)"
                                 if lead["count"] == "weighted-average" else "")
        rows.append([name, grade, lead["basis"], *cells])
    return list_table(head, rows, [26, 10, 18] + [23] * len(days))
