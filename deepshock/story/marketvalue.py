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
"""

from __future__ import annotations

from dataclasses import dataclass

import altair as alt
import pandas as pd

from ..data import facts, load
from .charts import NEGATIVE, NEUTRAL, POSITIVE, finish
from ..data.sync import read_manifest
from ..data.validate import DataError

SHOCK_DAYS = (pd.Timestamp("2025-01-27"), pd.Timestamp("2025-01-28"))
FX = "JPY=X"
SOURCE = "Yahoo Finance closes (snapshot); data/shares.csv; data/records.csv"


def splits() -> pd.DataFrame:
    """`data/splits.csv`: the splits that could put a snapshot level in other units than 2025's."""
    table = facts.read_facts("splits")
    table["ratio"] = pd.to_numeric(table["ratio"], errors="raise").astype(float)
    for column in ("effective", "download"):
        table[column] = pd.to_datetime(table[column].replace("", None), format="%Y-%m-%d")
    return table


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
    factor = 1.0
    for _, row in table.loc[table["ticker"] == ticker].iterrows():
        if pd.isna(row["effective"]):
            return None
        if after < row["effective"] <= row["download"]:
            factor *= row["ratio"]
    return factor


def losses(days: tuple[pd.Timestamp, ...] = SHOCK_DAYS) -> pd.DataFrame:
    """One row per company with a share count and shock session.

    Columns: ticker, name, market, currency, date, prev_date, prev_level, ret, shares, grade,
    basis, multiplier, loss_local, fx, loss_usd, approximate, included, reason. `loss_*` is
    positive for a loss; `included` is False (with the reason) when no figure can be given.
    """
    shares = facts.shares().set_index("ticker")
    universe = facts.universe().set_index("ticker")
    split_table = splits()
    rets = load.returns(list(shares.index)).set_index(["ticker", "date"])
    fx = load.prices(FX).set_index("date")["close"]
    rows = []
    for ticker, holding in shares.iterrows():
        info = universe.loc[ticker]
        basis = convention(ticker)
        multiplier = split_multiplier(ticker, split_table, max(days))
        for day in days:
            row = {"ticker": ticker, "name": info["name"], "market": info["market"],
                   "currency": info["currency"], "date": day, "shares": holding["shares"],
                   "grade": holding["grade"], "basis": basis, "multiplier": multiplier,
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
    return table


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
    sign = "-" if value < 0 else ""
    if currency == "JPY":
        text = f"{sign}¥{abs(value) / 1e9:,.1f}bn"
    else:
        text = f"{sign}${abs(value) / 1e9:,.1f}bn"
    return ("≈" if approximate else "") + text


@dataclass(frozen=True)
class Totals:
    all_usd: float
    exact_usd: float
    n_all: int
    n_exact: int
    n_excluded: int


def totals(table: pd.DataFrame, day: pd.Timestamp) -> Totals:
    """Net loss in dollars over the companies with a figure on `day` (gains count negative)."""
    on_day = table.loc[table["date"] == day]
    shown = on_day.loc[on_day["included"]]
    exact = shown.loc[~shown["approximate"]]
    return Totals(all_usd=float(shown["loss_usd"].sum()), exact_usd=float(exact["loss_usd"].sum()),
                  n_all=len(shown), n_exact=len(exact), n_excluded=int((~on_day["included"]).sum()))


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
    """MyST table: per company, the share-count grade, the price basis and the loss on each
    shock session (local currency for yen names, dollars for all); closed or left out marked."""
    days = sorted(table["date"].unique())
    head = ["Company", "Shares grade", "Price level"] + [f"{d:%-d %b} loss" for d in days]
    rows = []
    first = table.loc[table["date"] == days[0]].sort_values("loss_usd", ascending=False,
                                                           na_position="last")
    for ticker in first["ticker"]:
        per_day = table.loc[table["ticker"] == ticker].set_index("date")
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
        rows.append([lead["name"], lead["grade"], lead["basis"], *cells])
    return list_table(head, rows, [26, 10, 18] + [23] * len(days))


def chart_data(table: pd.DataFrame, records: pd.DataFrame,
               day: pd.Timestamp = SHOCK_DAYS[0]) -> pd.DataFrame:
    """Bars (one per company with a figure on `day`) and reference lines (press records)."""
    bars = table.loc[(table["date"] == day) & table["included"]].copy()
    bars = bars.assign(
        layer="company", loss_bn=(bars["loss_usd"] / 1e9).round(2),
        label=[label(v, a) for v, a in zip(bars["loss_usd"], bars["approximate"])],
        figure=bars["approximate"].map({True: "approximate", False: "exact"}),
        detail=[f"shares grade {g}; price level {b}" for g, b in zip(bars["grade"], bars["basis"])])
    bars = bars.sort_values("loss_usd", ascending=False)
    refs = records.assign(
        layer="record", name=records["company"], loss_bn=records["loss_usd_bn"],
        label=[f"${v:,.0f}bn {c} {d:%Y}" for c, d, v in
               zip(records["company"], records["date"], records["loss_usd_bn"])],
        figure="press record", detail=records["source"])
    cols = ["layer", "name", "loss_bn", "label", "figure", "detail"]
    return pd.concat([bars[cols], refs[cols]], ignore_index=True)


def loss_chart(data: pd.DataFrame) -> alt.LayerChart:
    """Sorted horizontal bars of the loss per company; approximate bars pale with a dashed
    outline; earlier record losses (press figures) as dashed reference lines."""
    bars_df = data.loc[data["layer"] == "company"]
    order = bars_df["name"].tolist()
    base = alt.Chart(data)
    y = alt.Y("name:N", sort=order, title=None)
    span = bars_df["loss_bn"].max() - min(bars_df["loss_bn"].min(), 0)
    x = alt.X("loss_bn:Q", title="Market value lost on 27 January 2025 (US$ bn; negative = gain)",
              scale=alt.Scale(domain=[min(bars_df["loss_bn"].min(), 0) - 0.25 * span,
                                      bars_df["loss_bn"].max() + 0.2 * span], nice=True))
    tooltip = [alt.Tooltip("name:N", title="Company"), alt.Tooltip("label:N", title="Loss"),
               alt.Tooltip("figure:N", title="Figure"), alt.Tooltip("detail:N", title="Basis")]
    bars = base.transform_filter("datum.layer == 'company'").mark_bar(strokeWidth=1.2).encode(
        x=x, y=y, tooltip=tooltip,
        color=alt.condition("datum.loss_bn >= 0", alt.value(NEGATIVE), alt.value(POSITIVE)),
        stroke=alt.condition("datum.loss_bn >= 0", alt.value(NEGATIVE), alt.value(POSITIVE)),
        opacity=alt.Opacity("figure:N", scale=alt.Scale(domain=["exact", "approximate"],
                                                         range=[1.0, 0.35]),
                            legend=alt.Legend(title="Figure")),
        strokeDash=alt.StrokeDash("figure:N", scale=alt.Scale(domain=["exact", "approximate"],
                                                              range=[[1, 0], [3, 2]]),
                                  legend=None))
    texts = [base.transform_filter(f"datum.layer == 'company' && datum.loss_bn {op} 0").mark_text(
        align=align, dx=dx, fontSize=10, color=NEUTRAL).encode(
        x="loss_bn:Q", y=y, text="label:N", tooltip=tooltip)
        for op, align, dx in ((">=", "left", 4), ("<", "right", -4))]
    height = len(order) * 17
    # Reference lines start lower the larger the record, so each label (at its line's top,
    # to the right) clears the lines of larger records and the long bars at the top.
    refs = base.transform_filter("datum.layer == 'record'").transform_window(
        rank="rank()", sort=[alt.SortField("loss_bn")]).transform_calculate(
        top=f"{height * 0.5} + 14 * datum.rank")
    top = alt.Y("top:Q", scale=None, axis=None)
    rules = refs.mark_rule(strokeDash=[5, 3], color="#444444").encode(
        x="loss_bn:Q", y=top, y2=alt.value(height), tooltip=tooltip)
    notes = refs.mark_text(align="left", baseline="middle", dx=3, fontSize=9,
                           color="#444444").encode(x="loss_bn:Q", y=top, text="label:N")
    chart = alt.layer(rules, bars, *texts, notes).properties(width=420, height=height)
    first, second = bars_df.iloc[0], bars_df.iloc[1]
    return finish(
        chart,
        title=(f"{first['name']} lost {first['label']} on 27 January, "
               f"{first['loss_bn'] / second['loss_bn']:.1f} times {second['name']}'s loss"),
        subtitle=["Dashed lines: earlier record one-day losses (press); pale, dashed bars: "
                  "approximate"],
        source=SOURCE,
        description=(f"Horizontal bar chart of the market value each of {len(order)} companies "
                     f"lost on its 27 January 2025 session, sorted from {first['name']} "
                     f"({first['label']}) down; gains are drawn to the left in blue. Approximate "
                     "figures are pale with a dashed outline. Vertical dashed lines mark the "
                     "earlier record one-day losses reported by the press."),
    )
