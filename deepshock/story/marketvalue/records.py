"""Record one-day losses of market value, counted by a rule over every company-day in the data.

The population: every New York line traded in dollars at an as-traded level (the snapshot's RAW
files) with a share count dated to a day, one line per company (an ADR whose company is valued
by its home line, `marketvalue.HOME_LINE`, is left out). A company-day is each of its sessions
that a count serves under the rule of `data.sharecounts` (the last count dated at or before
the day, at most 183 days old), valued as count x (previous close - close). Both rankings run
over the same company-days: in dollars (1 = largest loss) and in per cent (1 = deepest fall).
The press figures of `data/records.csv` and `data/later_losses.csv` are claims checked against
the ranking (`press_check`), never entries of it.
"""

from __future__ import annotations

import altair as alt
import pandas as pd

from ...data import context, event, facts, load, sharecounts
from ..charts import ACCENT, MUTED, finish, narrow_layout
from .valuation import convention, list_table

SHOCK = event.day0("XNYS")
SHOCK_DAY = f"{SHOCK.day} {SHOCK:%B %Y}"  # the chart's name for the shock day's bars
SOURCE = "Yahoo Finance daily closes; company filings (dated share counts)"
EXCLUDED_LINES = {"TSM": "TSMC counts by its Taipei line, which trades in Taiwan dollars"}


def population() -> pd.DataFrame:
    """The lines ranked: ticker, name, with why others are not (`reason`, empty if ranked)."""
    universe = facts.universe()
    counts = sharecounts.history()
    dated = set(counts.loc[counts["as_of_precision"] == "day", "ticker"])
    rows = []
    for r in universe.loc[universe["kind"].isin(["equity", "adr"])].itertuples():
        reason = ""
        if r.currency != "USD":
            reason = f"traded in {r.currency}"
        elif r.ticker in EXCLUDED_LINES:
            reason = EXCLUDED_LINES[r.ticker]
        elif not _as_traded(r.ticker):
            reason = "its file is dividend-adjusted (no as-traded level)"
        elif r.ticker not in dated:
            reason = ("no count dated to a day" if r.ticker in set(counts["ticker"])
                      else "no share count on file")
        rows.append({"ticker": r.ticker, "name": r.name, "reason": reason})
    return pd.DataFrame(rows)


def _as_traded(ticker: str) -> bool:
    return convention(ticker) == "as traded"


def company_days() -> pd.DataFrame:
    """Every company-day a count serves: ticker, name, date, prev_date, prev_close, close, ret,
    shares (snapshot units), as_of, grade, loss_usd (positive = value lost)."""
    lines = population()
    lines = lines.loc[lines["reason"] == ""]
    table, splits = sharecounts.history(), sharecounts.split_table()
    frames = []
    for r in lines.itertuples():
        rets = load.returns(r.ticker)
        counts = sharecounts.daily(r.ticker, rets["date"], table=table, splits=splits)
        frame = rets.merge(counts, on="date").dropna(subset=["shares"])
        frames.append(frame.assign(name=r.name))
    days = pd.concat(frames, ignore_index=True)
    days["loss_usd"] = days["shares"] * (days["prev_close"] - days["close"])
    return days[["ticker", "name", "date", "prev_date", "prev_close", "close", "ret", "shares",
                 "as_of", "grade", "loss_usd"]]


def ranking(days: pd.DataFrame) -> pd.DataFrame:
    """`days` with rank_usd (1 = largest loss) and rank_pct (1 = deepest fall), ties sharing
    the better rank, sorted by rank_usd then date; `label` names the company-day."""
    out = days.assign(
        rank_usd=days["loss_usd"].rank(ascending=False, method="min").astype(int),
        rank_pct=days["ret"].rank(ascending=True, method="min").astype(int),
        label=[f"{n}, {d.day} {d:%b %Y}" for n, d in zip(days["name"], days["date"])])
    return out.sort_values(["rank_usd", "date"], ignore_index=True)


def coverage(days: pd.DataFrame) -> pd.DataFrame:
    """Per company: the first and last day ranked and how many, and the counts used."""
    grouped = days.groupby(["ticker", "name"], sort=False)
    return grouped.agg(first=("date", "min"), last=("date", "max"), n=("date", "size"),
                       counts=("as_of", "nunique"),
                       estimated=("grade", lambda g: int((g == "C").sum()))).reset_index()


def place(ranks: pd.DataFrame, ticker: str = "NVDA", day: pd.Timestamp = SHOCK) -> pd.Series:
    """One company-day's row of the ranking (raises if the day is not ranked)."""
    hit = ranks.loc[(ranks["ticker"] == ticker) & (ranks["date"] == pd.Timestamp(day))]
    if hit.empty:
        raise KeyError(f"{ticker} on {pd.Timestamp(day):%Y-%m-%d} is not a ranked company-day")
    return hit.iloc[0]


def press_check(ranks: pd.DataFrame) -> pd.DataFrame:
    """Each press figure (records.csv: earlier, later_losses.csv: later) against the ranking:
    company, ticker, date, when, press_bn, source, and where the day is ranked its loss_bn,
    ret, rank_usd, rank_pct and diff (computed / press - 1); else `why` it is not."""
    press = pd.concat([facts.records().assign(when="earlier"),
                       context.later_losses().assign(when="later")], ignore_index=True)
    ranked = ranks.set_index(["ticker", "date"])
    table, rows = sharecounts.history(), []
    for r in press.sort_values("date").itertuples():
        row = {"company": r.company, "ticker": r.ticker, "date": r.date, "when": r.when,
               "press_bn": float(r.loss_usd_bn), "source": r.source}
        if (r.ticker, r.date) in ranked.index:
            hit = ranked.loc[(r.ticker, r.date)]
            row.update(loss_bn=hit["loss_usd"] / 1e9, ret=hit["ret"], rank_usd=hit["rank_usd"],
                       rank_pct=hit["rank_pct"], as_of=hit["as_of"],
                       diff=hit["loss_usd"] / 1e9 / r.loss_usd_bn - 1, why="")
        else:
            first = table.loc[(table["ticker"] == r.ticker)
                              & (table["as_of_precision"] == "day"), "as_of"].min()
            row["why"] = (f"no count dated at or before it within {sharecounts.MAX_AGE.days} "
                          f"days (the earliest on file is of {first.day} {first:%b %Y})")
        rows.append(row)
    return pd.DataFrame(rows)


def previous_record(ranks: pd.DataFrame, day: pd.Timestamp = SHOCK) -> pd.Series:
    """The largest ranked loss before `day`."""
    return ranks.loc[ranks["date"] < pd.Timestamp(day)].iloc[0]


def top_table(ranks: pd.DataFrame, by: str = "rank_usd", n: int = 10) -> str:
    """The top `n` company-days by `by` as a MyST table (27 January's rows marked)."""
    top = ranks.sort_values([by, "date"]).head(n)
    rows = [[str(getattr(r, by)), r.label + (" (the shock)" if r.date == SHOCK else ""),
             f"${r.loss_usd / 1e9:,.1f}bn", f"{r.ret * 100:.1f}%".replace("-", "−"),
             f"{r.as_of.day} {r.as_of:%b %Y}" + (" (estimate)" if r.grade == "C" else ""),
             str(r.rank_usd if by == "rank_pct" else r.rank_pct)]
            for r in top.itertuples()]
    other = "Rank in $" if by == "rank_pct" else "Rank in %"
    return list_table(["Rank", "Company-day", "Market value lost", "Close-to-close move",
                       "Share count of", other], rows, [8, 30, 18, 16, 18, 10])


def chart_data(ranks: pd.DataFrame, checks: pd.DataFrame, n: int = 15) -> pd.DataFrame:
    """The top `n` company-days in dollars with the press figure for that day where one exists."""
    top = ranks.head(n).copy()
    press = checks.set_index(["ticker", "date"])["press_bn"]
    top["press_bn"] = [press.get((t, d), float("nan")) for t, d in zip(top["ticker"], top["date"])]
    top["loss_bn"] = (top["loss_usd"] / 1e9).round(1)
    top["fall_pct"] = (top["ret"] * 100).round(2)
    top["day"] = [SHOCK_DAY if d == SHOCK else "other days" for d in top["date"]]
    top["move"] = [f"{r * 100:.1f}%".replace("-", "\u2212") for r in top["ret"]]
    top["count"] = [f"{a.day} {a:%b %Y}" + (" (an estimate)" if g == "C" else "")
                    for a, g in zip(top["as_of"], top["grade"])]
    top["short"] = [f"{n.split()[0].rstrip(',')} {d.day} {d:%b %y}"
                    for n, d in zip(top["name"], top["date"])]
    return top[["rank_usd", "label", "short", "ticker", "date", "loss_bn", "fall_pct", "move",
                "press_bn", "count", "day"]]



def loss_chart(data: pd.DataFrame, n_days: int) -> alt.LayerChart:
    """Horizontal bars of the largest company-day losses, 27 January's in the accent colour,
    the press figure of a day (where there is one) as a black tick."""
    y = alt.Y("label:N", title=None, axis=alt.Axis(labelLimit=220),
              sort=alt.EncodingSortField("rank_usd", op="min", order="ascending"))
    tooltip = [alt.Tooltip("label:N", title="Company-day"),
               alt.Tooltip("loss_bn:Q", title="Loss computed (US$ bn)", format=",.1f"),
               alt.Tooltip("press_bn:Q", title="Press figure (US$ bn)", format=",.0f"),
               alt.Tooltip("move:N", title="Close-to-close move"),
               alt.Tooltip("count:N", title="Share count of")]
    base = alt.Chart(data).encode(y=y)
    bars = base.mark_bar().encode(
        x=alt.X("loss_bn:Q", title="Market value lost in one session (US$ billion)",
                scale=alt.Scale(domain=[0, float(data["loss_bn"].max()) * 1.15], nice=False)),
        color=alt.Color("day:N", title=None, sort=[SHOCK_DAY, "other days"],
                        scale=alt.Scale(domain=[SHOCK_DAY, "other days"],
                                        range=[ACCENT, MUTED])),
        tooltip=tooltip)
    text = base.mark_text(align="left", dx=4, fontSize=10).encode(
        x="loss_bn:Q", text=alt.Text("loss_bn:Q", format="$,.0f"), tooltip=tooltip)
    ticks = base.transform_filter("isValid(datum.press_bn)").mark_tick(
        color="#000000", thickness=2, size=14).encode(x="press_bn:Q", tooltip=tooltip)
    chart = alt.layer(bars, text, ticks).properties(width=460, height=alt.Step(18))
    chart = narrow_layout(chart, drop=("layer/1",), note="Tap a bar for its figures",
                          set={"layer/0/encoding/y/field": "short",
                               "layer/2/encoding/y/field": "short",
                               "layer/0/encoding/x/scale/domain":
                                   [0, float(data["loss_bn"].max())]})
    first = data.iloc[0]
    before = data.loc[data["date"] < first["date"]].iloc[0]  # the largest loss before it
    return finish(
        chart,
        title=(f"{first['label'].split(',')[0]}'s {first['date'].day} {first['date']:%B} loss was "
               f"{first['loss_bn'] / before['loss_bn']:.1f} times the earlier record "
               f"({before['label']})"),
        subtitle=[f"The largest of {n_days:,} company-days ranked: the close-to-close fall × "
                  "the share count; black ticks: the press figure for that day"],
        source=SOURCE + "; press reports",
        description=("Bar chart of the largest one-day losses of market value among "
                     f"{n_days:,} company-days. "
                     + "; ".join(f"{r.label}: {r.loss_bn:,.1f} billion dollars"
                                 for r in data.itertuples()) + "."),
    )

