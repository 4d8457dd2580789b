"""Nvidia's record day: the move, the market value lost, the rebound, and the price chart."""

from __future__ import annotations

from dataclasses import dataclass

import altair as alt
import pandas as pd

from ..data import event, facts, load, sharecounts
from .charts import NEGATIVE, NEUTRAL, POSITIVE, finish, narrow_layout
from .page import MINUS, Chapter, stored
from .prose import day as _day, size as _pct

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
    return ev.drop_duplicates("date")[["date", "label", "place", "description", "source"]]


def price_chart(prices: pd.DataFrame, events: pd.DataFrame, rec: RecordDay) -> alt.LayerChart:
    """Nvidia's close over the window, each session's move as an orange (fell) or blue (rose)
    mark, the shock day's fall written beside its mark, event dates as dashed rules. A phone
    keeps the fall and DeepSeek's releases; the market events' labels go (tap a line)."""
    x = alt.X("date:T", title="Trading day (2025)", axis=alt.Axis(format="%d %b"))
    y = alt.Y("close:Q", title="Closing price (US$)", scale=alt.Scale(zero=False))
    prices = prices.assign(move=[f"{r:.1f}%".replace("-", MINUS) for r in prices["ret_pct"]])
    base = alt.Chart(prices)
    line = base.mark_line(color=NEUTRAL).encode(x=x, y=y)
    points = base.mark_point(filled=True, size=45).encode(
        x=x, y="close:Q",
        color=alt.condition("datum.ret_pct < 0", alt.value(NEGATIVE), alt.value(POSITIVE)),
        shape=alt.condition("datum.ret_pct < 0", alt.value("triangle-down"),
                            alt.value("triangle-up")),
        tooltip=[alt.Tooltip("date:T", title="Date", format="%a %d %b %Y"),
                 alt.Tooltip("close:Q", title="Close (US$)", format=".2f"),
                 alt.Tooltip("move:N", title="Change on the day")])
    shock = prices.loc[prices["date"] == rec.date].assign(
        note=f"{rec.ret * 100:.1f}%".replace("-", MINUS) + f" on {rec.date.day} {rec.date:%b}")
    fall = alt.Chart(shock).mark_text(align="right", dx=-8, dy=4, fontSize=12,
                                      fontWeight="bold").encode(
        x=x, y="close:Q", text="note:N",
        color=alt.condition("datum.ret_pct < 0", alt.value(NEGATIVE), alt.value(POSITIVE)))
    rules = alt.Chart(events).mark_rule(strokeDash=[4, 3], color="#777777").encode(
        x="date:T", tooltip=[alt.Tooltip("date:T", title="Date", format="%d %b %Y"),
                             alt.Tooltip("label:N", title="Event"),
                             alt.Tooltip("description:N", title="What happened")])
    text = dict(angle=270, align="right", baseline="bottom", dx=-4, dy=-2, fontSize=10,
                color="#444444")
    releases = alt.Chart(events.loc[events["place"] == "Online"]).mark_text(**text).encode(
        x="date:T", y=alt.value(0), text="label:N")
    markets = alt.Chart(events.loc[events["place"] != "Online"]).mark_text(**text).encode(
        x="date:T", y=alt.value(0), text="label:N")
    chart = alt.layer(rules, releases, markets, line, points, fall).properties(width=600,
                                                                             height=320)
    chart = narrow_layout(chart, drop=("layer/2",),
                          note="DeepSeek's releases labelled; tap a dashed line for its event")
    return finish(
        chart,
        title=(f"Nvidia fell {abs(rec.ret):.1%} in one session on {rec.date.day} "
               f"{rec.date:%B} and "
               + ("won back only part of it the next day" if rec.rebound_close < rec.prev_close
                  else "won it all back the next day")),
        subtitle="Daily closing price; dashed lines mark DeepSeek's releases and market events",
        source=SOURCE,
        description=(f"Line chart of Nvidia's daily closing price from "
                     f"{prices['date'].min():%-d %B} to {prices['date'].max():%-d %B %Y}. "
                     f"The price falls from {rec.prev_close:.2f} "
                     f"to {rec.close:.2f} dollars on {rec.date.day} {rec.date:%B}, a fall of "
                     f"{abs(rec.ret):.1%}, then rebounds to {rec.rebound_close:.2f} the next day."),
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


# -- the chapter in one call ----------------------------------------------------------------

def _bn(dollars: float, digits: int = 1) -> str:
    return f"${dollars / 1e9:,.{digits}f}bn"


@stored
def chapter() -> Chapter:
    """Nvidia's record day: every number its prose states (glue name -> text) and its two
    figures, the price path and the records ranking."""
    from . import landing  # the book's one figure for Nvidia's loss (market-value table)
    from .marketvalue import records
    from .selloff import fall

    rec, vol = record_day(), volume_day()
    window = price_window()
    marks = event_marks(window["date"].min(), window["date"].max())
    days = records.company_days()
    ranks = records.ranking(days)
    me, avgo = records.place(ranks), records.place(ranks, "AVGO")
    top, second = records.previous_record(ranks), ranks.iloc[1]
    deepest = ranks.sort_values(["rank_pct", "date"]).iloc[0]
    checks = records.press_check(ranks)
    checked, unchecked = checks.loc[checks["why"] == ""], checks.loc[checks["why"] != ""]
    lines = records.population()
    press = float(facts.claims().set_index("id").at["nvda-loss", "claimed"])
    text = {
        "nv_ret": fall(rec.ret), "nv_ret_abs": _pct(rec.ret),
        "nv_prev_date": _day(rec.prev_date, weekday=True),
        "nv_prev_close": f"${rec.prev_close:,.2f}",
        "nv_close": f"${rec.close:,.2f}", "nv_lost": _bn(landing.nvidia_loss()),
        "nv_shares": f"{rec.shares / 1e9:,.2f} billion", "nv_press_loss": f"${press:,.0f}bn",
        "nv_shares_source": ("the count on the cover of Nvidia's quarterly report, as of "
                             f"{_day(rec.shares_as_of)}"),
        "nv_rebound_date": _day(rec.rebound_date, weekday=True),
        "nv_rebound_ret": _pct(rec.rebound_ret), "nv_rebound_close": f"${rec.rebound_close:,.2f}",
        "nv_regained": _bn(rec.value_regained),
        "nv_regained_share": f"{rec.value_regained / rec.value_lost:.0%}",
        "nv_vol": f"{vol.volume / 1e6:,.1f} million",
        "nv_vol_usual": f"{vol.usual / 1e6:,.1f} million",
        "nv_vol_sessions": str(vol.sessions), "nv_vol_ratio": f"{vol.ratio:,.1f}",
        "nv_vol_from": _day(vol.base_start), "nv_vol_to": _day(vol.base_end),
        "nv_rank_n": f"{len(ranks):,}", "nv_rank_companies": str(days["ticker"].nunique()),
        "nv_rank_first": _day(days["date"].min()), "nv_rank_last": _day(days["date"].max()),
        "nv_rank_usd": str(int(me["rank_usd"])), "nv_rank_pct": str(int(me["rank_pct"])),
        "nv_rank_pct_pct": f"{int(me['rank_pct']) / len(ranks):.1%}",
        "nv_deepest": deepest["label"], "nv_deepest_fall": _pct(deepest["ret"]),
        "nv_deepest_loss": _bn(deepest["loss_usd"], 0),
        "nv_avgo_loss": _bn(avgo["loss_usd"]), "nv_avgo_rank": str(int(avgo["rank_usd"])),
        "nv_avgo_fall": _pct(avgo["ret"]), "nv_avgo_rank_pct": str(int(avgo["rank_pct"])),
        "nv_top_label": top["label"], "nv_top_loss": _bn(top["loss_usd"]),
        "nv_times": f"{me['loss_usd'] / top['loss_usd']:,.1f}",
        "nv_second": second["label"], "nv_second_loss": _bn(second["loss_usd"]),
        "nv_checked_n": str(len(checked)),
        "nv_checked_diff": _pct(float(checked["diff"].abs().max())),
        "nv_unchecked": " and ".join(f"{r.company}, {_day(r.date)} (${r.press_bn:,.0f}bn)"
                                     for r in unchecked.itertuples()) or "none",
        "nv_max_age": str(sharecounts.MAX_AGE.days),
        "nv_estimated": ", ".join(dict.fromkeys(days.loc[days["grade"] == "C", "name"])) or "none",
        "nv_left_out": ", ".join(lines.loc[lines["reason"].str.startswith("no "), "name"]),
        "nv_rank_table": records.top_table(ranks, "rank_usd"),
        "nv_rank_table_pct": records.top_table(ranks, "rank_pct"),
    }
    data = records.chart_data(ranks, checks)
    return Chapter(text=text, figures={
        "fig-nvda-price": (price_chart(window, marks, rec), window),
        "fig-nvda-records": (records.loss_chart(data, len(ranks)), data)})
