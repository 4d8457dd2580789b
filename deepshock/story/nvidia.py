"""Nvidia's record day: the move, the market value lost, the rebound, and the price chart."""

from __future__ import annotations

from dataclasses import dataclass

import altair as alt
import pandas as pd

from ..data import context, event, facts, load
from .charts import NEGATIVE, NEUTRAL, POSITIVE, finish, narrow_layout

SHOCK = event.day0("XNYS")  # New York's day 0 of the book's event (data/shocks.csv)
WINDOW = (-15, 14)  # the chart's New York sessions around day 0 (2025's first session on)
SOURCE = "Yahoo Finance daily closes; exchange calendars; DeepSeek's releases as reported"


@dataclass(frozen=True)
class RecordDay:
    prev_date: pd.Timestamp
    prev_close: float
    close: float
    ret: float
    shares: float
    shares_source: str
    value_lost: float
    rebound_date: pd.Timestamp
    rebound_close: float
    rebound_ret: float
    value_regained: float
    date: pd.Timestamp = SHOCK


def record_day(ticker: str = "NVDA", date: pd.Timestamp = SHOCK) -> RecordDay:
    """The close-to-close move on `date`, the next session, and the market value each implied.

    Market value = as-traded close x shares outstanding (data/shares.csv); NVDA's file is RAW.
    """
    rets = load.returns(ticker).set_index("date")
    day, nxt = rets.loc[date], rets.loc[rets.index > date].iloc[0]
    row = facts.shares().set_index("ticker").loc[ticker]
    return RecordDay(
        prev_date=day["prev_date"], prev_close=float(day["prev_close"]), close=float(day["close"]),
        ret=float(day["ret"]), shares=float(row["shares"]),
        shares_source=f"{row['source']}; as of "
                      f"{facts.as_stated(row['as_of'], row['as_of_precision'])}, grade {row['grade']}",
        value_lost=float(row["shares"] * (day["prev_close"] - day["close"])),
        rebound_date=nxt.name, rebound_close=float(nxt["close"]), rebound_ret=float(nxt["ret"]),
        value_regained=float(row["shares"] * (nxt["close"] - day["close"])),
        date=pd.Timestamp(date),
    )


def price_window(ticker: str = "NVDA", start: str | None = None,
                 end: str | None = None) -> pd.DataFrame:
    """Daily closes and returns in a window (default: WINDOW around day 0), with the columns
    the chart and its CSV show."""
    start = start or event.day("XNYS", WINDOW[0])
    end = end or event.day("XNYS", WINDOW[1])
    table = load.returns(ticker)
    table = table.loc[table["date"].between(start, end), ["date", "close", "ret"]]
    return table.assign(ret_pct=(table["ret"] * 100).round(2), close=table["close"].round(2))[
        ["date", "close", "ret_pct"]].reset_index(drop=True)


def event_marks(start: str, end: str, places: tuple[str, ...] = ("Online", "New York")
                ) -> pd.DataFrame:
    """Events from data/events.csv inside the window, one per date, for rules on a chart."""
    ev = facts.events()
    ev = ev.loc[ev["date"].between(start, end) & ev["place"].isin(places)]
    return ev.drop_duplicates("date")[["date", "label", "description", "source"]]


def price_chart(prices: pd.DataFrame, events: pd.DataFrame, rec: RecordDay) -> alt.LayerChart:
    """Nvidia's close over the window, the shock day highlighted, event dates as rules."""
    x = alt.X("date:T", title="Trading day (2025)", axis=alt.Axis(format="%d %b"))
    base = alt.Chart(prices)
    line = base.mark_line(color=NEUTRAL).encode(
        x=x, y=alt.Y("close:Q", title="Closing price (US$)", scale=alt.Scale(zero=False)))
    points = base.mark_point(filled=True, size=45).encode(
        x=x, y="close:Q",
        color=alt.condition("datum.ret_pct < 0", alt.value(NEGATIVE), alt.value(POSITIVE)),
        shape=alt.condition("datum.ret_pct < 0", alt.value("triangle-down"),
                            alt.value("triangle-up")),
        tooltip=[alt.Tooltip("date:T", title="Date", format="%a %d %b %Y"),
                 alt.Tooltip("close:Q", title="Close (US$)", format=".2f"),
                 alt.Tooltip("ret_pct:Q", title="Change on day (%)", format="+.2f")])
    rules = alt.Chart(events).mark_rule(strokeDash=[4, 3], color="#777777").encode(
        x="date:T", tooltip=[alt.Tooltip("date:T", title="Date", format="%d %b %Y"),
                             alt.Tooltip("label:N", title="Event"),
                             alt.Tooltip("description:N", title="What happened")])
    labels = alt.Chart(events).mark_text(angle=270, align="right", baseline="bottom", dx=-4,
                                         dy=-2, fontSize=10, color="#444444").encode(
        x="date:T", y=alt.value(0), text="label:N")
    chart = alt.layer(rules, labels, line, points).properties(width=600, height=320)
    chart = narrow_layout(chart, drop=("layer/1",), note="Tap a dashed line for its event")
    return finish(
        chart,
        title=(f"Nvidia lost {abs(rec.ret):.0%} in one session on {rec.date.day} "
               f"{rec.date:%B} and "
               + ("won back only part of it the next day" if rec.rebound_close < rec.prev_close
                  else "won it all back the next day")),
        subtitle="Daily closing price; dashed lines mark DeepSeek releases and market events",
        source=SOURCE,
        description=(f"Line chart of Nvidia's daily closing price from {prices['date'].min():%d %B} "
                     f"to {prices['date'].max():%d %B %Y}. The price falls from {rec.prev_close:.2f} "
                     f"to {rec.close:.2f} dollars on {rec.date.day} {rec.date:%B}, then rebounds to "
                     f"{rec.rebound_close:.2f} the next day."),
    )


@dataclass(frozen=True)
class VolumeDay:
    date: pd.Timestamp
    volume: float
    usual: float
    sessions: int
    base_start: pd.Timestamp
    base_end: pd.Timestamp
    ratio: float


def volume_day(ticker: str = "NVDA", date: pd.Timestamp = SHOCK, sessions: int = 60) -> VolumeDay:
    """Shares traded on `date` against the median of the `sessions` sessions before it."""
    volume = load.prices(ticker).set_index("date")["volume"]
    at = volume.index.get_loc(pd.Timestamp(date))
    base = volume.iloc[at - sessions:at]
    if len(base) < sessions:
        raise ValueError(f"{ticker}: fewer than {sessions} sessions before {date:%Y-%m-%d}")
    usual = float(base.median())
    return VolumeDay(date=pd.Timestamp(date), volume=float(volume.iloc[at]), usual=usual,
                     sessions=sessions, base_start=base.index[0], base_end=base.index[-1],
                     ratio=float(volume.iloc[at]) / usual)


COMPUTED, PRESS = "Computed from the data", "Reported by the press"
MAX_SHARES_GAP = pd.Timedelta(days=183)  # a share count further from the day is not used


def choose_count(as_of: pd.Timestamp | None, date: pd.Timestamp,
                 max_gap: pd.Timedelta = MAX_SHARES_GAP) -> str:
    """How a share count dated `as_of` may serve a loss on `date`: 'at or before' (preferred),
    'after' (the nearest there is, with its gap stated) or 'too far' / 'undated' (not used)."""
    if as_of is None or pd.isna(as_of):
        return "undated"
    if abs(as_of - date) > max_gap:
        return "too far"
    return "at or before" if as_of <= date else "after"


def one_day_loss(ticker: str, date: pd.Timestamp) -> dict:
    """Market value lost on `date` (shares x fall in the close), with the share count used.

    A count (data/shares.csv) dated at or before the day is used, else the nearest after it
    with the gap stated, and only within MAX_SHARES_GAP: the snapshot's closes are
    split-adjusted as of its download, and so is a recent count. Returns shares,
    shares_as_of, gap_days (count date minus loss date: negative = before), use (see
    `choose_count`), count ('outstanding' or 'weighted-average'), ret (the day's
    close-to-close return, NaN without a session) and loss_usd (NaN when not computed).
    """
    from .marketvalue import count_kind

    row = facts.shares().set_index("ticker").loc[ticker]
    date = pd.Timestamp(date)
    # a count dated only to a month, quarter or year has no gap in days to the loss: unused
    as_of = row["as_of"] if row["as_of_precision"] == "day" else pd.NaT
    use = choose_count(as_of, date)
    rets = load.returns(ticker).set_index("date")
    day = rets.loc[date] if date in rets.index else None
    out = {"shares": float(row["shares"]), "shares_as_of": as_of,
           "gap_days": (as_of - date).days if pd.notna(as_of) else float("nan"), "use": use,
           "count": count_kind(row["source"], row["notes"]), "grade": row["grade"],
           "ret": float(day["ret"]) if day is not None else float("nan"),
           "loss_usd": float("nan")}
    if use in ("at or before", "after") and day is not None:
        out["loss_usd"] = float(row["shares"] * (day["prev_close"] - day["close"]))
    return out


def _count_note(info: dict) -> str:
    gap = abs(int(info["gap_days"]))
    when = "before" if info["gap_days"] <= 0 else "after"
    kind = "weighted-average count" if info["count"] == "weighted-average" else "count"
    return (f"closes x {kind} of {info['shares_as_of']:%Y-%m-%d}, grade {info['grade']} "
            f"({gap} days {when} the loss)")


def loss_comparison(rec: RecordDay, ticker: str = "NVDA", date: pd.Timestamp = SHOCK
                    ) -> pd.DataFrame:
    """The shock-day loss next to the earlier records (data/records.csv) and the later losses
    (data/later_losses.csv): the press figure of each, and the same computation as for the
    shock day wherever a share count makes it sound (`one_day_loss`). A later loss gets a press
    row only where it cannot be computed (its press figure is kept in `press_bn` and the
    source). Columns: label, date, ticker, when (earlier / shock / later), basis, loss_bn, ret,
    press_bn, source."""
    rows = [{"label": f"{facts.name(ticker)}, {date.day} {date:%b %Y}", "date": date,
             "ticker": ticker, "when": "shock", "basis": COMPUTED,
             "loss_bn": rec.value_lost / 1e9, "ret": rec.ret, "press_bn": float("nan"),
             "source": f"closes x shares ({rec.shares_source})"}]
    press = pd.concat([facts.records().assign(when="earlier"),
                       context.later_losses().assign(when="later")], ignore_index=True)
    for day in press.sort_values("date").itertuples():
        label = f"{day.company}, {day.date.day} {day.date:%b %Y}"
        mine = one_day_loss(day.ticker, day.date)
        base = {"label": label, "date": day.date, "ticker": day.ticker, "when": day.when,
                "ret": mine["ret"], "press_bn": day.loss_usd_bn}
        computed = pd.notna(mine["loss_usd"])
        # an earlier record keeps its press bar; a later loss shows it only where not computed
        if day.when == "earlier" or not computed:
            rows.append({**base, "basis": PRESS, "loss_bn": day.loss_usd_bn,
                         "source": day.source})
        if computed:
            rows.append({**base, "basis": COMPUTED, "loss_bn": mine["loss_usd"] / 1e9,
                         "source": f"{_count_note(mine)}; press: ${day.loss_usd_bn:g}bn "
                                   f"({day.source})"})
    table = pd.DataFrame(rows)
    return table.assign(loss_bn=table["loss_bn"].round(1))


def ranking(losses: pd.DataFrame) -> pd.DataFrame:
    """One row per loss day of `loss_comparison`, ranked in dollars (the computed figure where
    there is one, else the press figure; 1 = largest) and in per cent (the day's fall in the
    close; 1 = deepest). Ties share the better rank."""
    days = []
    for label, group in losses.groupby("label", sort=False):
        by = group.set_index("basis")
        basis = COMPUTED if COMPUTED in by.index else PRESS
        first = group.iloc[0]
        days.append({"label": label, "date": first["date"], "ticker": first["ticker"],
                     "when": first["when"], "loss_bn": float(by.at[basis, "loss_bn"]),
                     "basis": basis, "ret": float(first["ret"])})
    table = pd.DataFrame(days)
    table["rank_usd"] = table["loss_bn"].rank(ascending=False, method="min").astype(int)
    table["rank_pct"] = table["ret"].rank(ascending=True, method="min").astype(int)
    return table.sort_values(["rank_usd", "date"], ignore_index=True)


def ranking_table(ranks: pd.DataFrame) -> str:
    """The ranking as a MyST table: day, loss (US$ bn, with its basis), fall, both ranks."""
    from .marketvalue import list_table

    rows = [[r.label + (" (the shock)" if r.when == "shock" else ""),
             f"${r.loss_bn:,.1f}bn" + ("" if r.basis == COMPUTED else " (press)"),
             f"{r.ret * 100:.1f}%".replace("-", "−"), str(r.rank_usd), str(r.rank_pct)]
            for r in ranks.itertuples()]
    return list_table(["Day", "Market value lost", "Close-to-close move", "Rank in $",
                       "Rank in %"], rows, [30, 22, 16, 16, 16])


def previous_record(losses: pd.DataFrame) -> pd.Series:
    """The largest loss before the shock day: its figures by basis (US$ bn), named by the day's
    label, and `reference` (the computed figure when there is one, same method as the shock
    day, else the press figure)."""
    earlier = losses.loc[losses["when"] == "earlier"]
    label = earlier.loc[earlier["loss_bn"].idxmax(), "label"]
    figures = earlier.loc[earlier["label"] == label].set_index("basis")["loss_bn"]
    figures["reference"] = figures.get(COMPUTED, figures[PRESS])
    return figures.rename(label)


def loss_chart(losses: pd.DataFrame) -> alt.LayerChart:
    """Grouped bars: each record day's loss, computed and press-reported side by side."""
    shock, ref = losses.loc[losses["when"] == "shock"].iloc[0], previous_record(losses)
    order = losses.sort_values("date", ascending=False)["label"].unique().tolist()
    y = alt.Y("label:N", title=None, sort=order, axis=alt.Axis(labelLimit=200))
    colour = alt.Color("basis:N", title="Figure", sort=[COMPUTED, PRESS],
                       scale=alt.Scale(domain=[COMPUTED, PRESS], range=[NEGATIVE, "#BBBBBB"]))
    tooltip = [alt.Tooltip("label:N", title="Day"), alt.Tooltip("basis:N", title="Figure"),
               alt.Tooltip("loss_bn:Q", title="Loss (US$ bn)", format=",.1f"),
               alt.Tooltip("source:N", title="Source")]
    base = alt.Chart(losses).encode(y=y, yOffset=alt.YOffset("basis:N", sort=[COMPUTED, PRESS]))
    bars = base.mark_bar(stroke="#333333", strokeWidth=0.5).encode(
        x=alt.X("loss_bn:Q", title="Market value lost in one session (US$ billion)",
                scale=alt.Scale(domain=[0, losses["loss_bn"].max() * 1.12])),
        color=colour, tooltip=tooltip)
    text = base.mark_text(align="left", dx=4, fontSize=10).encode(
        x="loss_bn:Q", text=alt.Text("loss_bn:Q", format="$,.0f"), tooltip=tooltip)
    chart = alt.layer(bars, text).properties(width=480, height=alt.Step(18))
    return finish(
        chart,
        title=(f"Nvidia's {SHOCK.day} {SHOCK:%B} loss was {shock['loss_bn'] / ref['reference']:.1f} times "
               f"the earlier record ({ref.name})"),
        subtitle=["Largest one-day losses of market value; coloured bars computed here "
                  "(close-to-close fall x shares outstanding), grey bars as reported"],
        source="Yahoo Finance daily closes; company filings (share counts); press reports",
        description=("Bar chart of one-day losses of market value. "
                     + "; ".join(f"{r.label}: {r.loss_bn:,.1f} billion dollars ({r.basis.lower()})"
                                 for r in losses.itertuples()) + "."),
    )


def press_only(losses: pd.DataFrame) -> pd.DataFrame:
    """Record days shown only with the press figure, with the date of the share count on file."""
    computed = set(losses.loc[losses["basis"] == COMPUTED, "label"])
    rows = losses.loc[~losses["label"].isin(computed)]
    info = [one_day_loss(t, d) for t, d in zip(rows["ticker"], rows["date"])]
    return rows.assign(shares_as_of=[i["shares_as_of"] for i in info],
                       gap_days=[abs(i["gap_days"]) for i in info])[
        ["label", "ticker", "date", "loss_bn", "shares_as_of", "gap_days"]]
