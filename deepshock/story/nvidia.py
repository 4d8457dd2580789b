"""Nvidia's record day: the move, the market value lost, the rebound, and the price chart."""

from __future__ import annotations

from dataclasses import dataclass

import altair as alt
import pandas as pd

from ..data import event, facts, load, sharecounts
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
    shares_as_of: pd.Timestamp
    shares_source: str
    value_lost: float
    rebound_date: pd.Timestamp
    rebound_close: float
    rebound_ret: float
    value_regained: float
    date: pd.Timestamp = SHOCK


def record_day(ticker: str = "NVDA", date: pd.Timestamp = SHOCK) -> RecordDay:
    """The close-to-close move on `date`, the next session, and the market value each implied.

    Market value = as-traded close x the share count serving the day (`data.sharecounts`: the
    last count dated at or before it); NVDA's file is RAW.
    """
    rets = load.returns(ticker).set_index("date")
    day, nxt = rets.loc[date], rets.loc[rets.index > date].iloc[0]
    row = sharecounts.for_day(ticker, date)
    if row is None:
        raise ValueError(f"{ticker}: no share count dated at or before {date:%Y-%m-%d}")
    return RecordDay(
        prev_date=day["prev_date"], prev_close=float(day["prev_close"]), close=float(day["close"]),
        ret=float(day["ret"]), shares=float(row["shares"]), shares_as_of=row["as_of"],
        shares_source=f"{row['source']}; as of {row['as_of']:%Y-%m-%d}, grade {row['grade']}",
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
