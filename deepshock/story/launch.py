"""The launch: DeepSeek's releases, the V3 training-cost arithmetic, and how chip prices moved
between the first release and the sell-off."""

from __future__ import annotations

import re
from dataclasses import dataclass

import altair as alt
import pandas as pd

from ..data import context, facts, load
from ..data import event as news
from .charts import DASHES, NEUTRAL, PALETTE, SHAPES, WIDTH, finish, narrow_layout
from ..data.validate import DataError

SHOCK = news.day0("XNYS")  # New York's day 0 of the book's event (data/shocks.csv)
REACTIONS = (-2, 1)  # New York sessions around day 0 whose calendar days the reactions cover
SERIES = [PALETTE[6], PALETTE[4], PALETTE[2]]  # category hues: orange and blue mean fell / rose
SOURCE = "Yahoo Finance daily closes; exchange calendars; DeepSeek's releases as reported"


def cost_inputs() -> pd.DataFrame:
    """data/launch_costs.csv (checked and typed by the data layer), indexed by quantity."""
    return facts.launch_costs().set_index("quantity")


@dataclass(frozen=True)
class TrainingCost:
    gpu_hours: float
    price: float
    cost: float
    reported: float
    source: str


def training_cost() -> TrainingCost:
    """GPU-hours x rental price, checked against the cost the report itself states."""
    inputs = cost_inputs()
    hours, price = inputs.at["gpu_hours", "value"], inputs.at["price_per_gpu_hour", "value"]
    reported = inputs.at["reported_cost", "value"]
    cost = hours * price
    if abs(cost - reported) > 0.0005 * reported:
        raise DataError(f"launch_costs.csv: {hours:,.0f} x {price} = {cost:,.0f}, "
                        f"not the reported {reported:,.0f}")
    return TrainingCost(gpu_hours=float(hours), price=float(price), cost=float(cost),
                        reported=float(reported), source=inputs.at["gpu_hours", "source"])


def milestones(shock: pd.Timestamp = SHOCK) -> pd.DataFrame:
    """DeepSeek's releases before the shock, then the New York sell-off itself."""
    ev = facts.events()
    keep = ((ev["category"] == "DeepSeek") & (ev["date"] < shock)) | \
           ((ev["place"] == "New York") & (ev["date"] == shock))
    out = ev.loc[keep, ["date", "label", "description", "certainty", "source"]]
    return out.sort_values("date").reset_index(drop=True)


def event(label: str) -> pd.Series:
    """One row of data/events.csv by its label."""
    ev = facts.events()
    rows = ev.loc[ev["label"] == label]
    if len(rows) != 1:
        raise DataError(f"events.csv: expected one event labelled {label!r}, found {len(rows)}")
    return rows.iloc[0]


def fact(topic: str, starts: str) -> pd.Series:
    """One row of data/background.csv: the fact of `topic` whose text starts with `starts`."""
    table = context.background()
    rows = table.loc[(table["topic"] == topic) & table["fact"].str.startswith(starts)]
    if len(rows) != 1:
        raise DataError(f"background.csv: expected one {topic} fact starting {starts!r}, "
                        f"found {len(rows)}")
    return rows.iloc[0]


def value(topic: str, starts: str) -> float:
    """The numeric value of one background fact."""
    text = fact(topic, starts)["value"]
    try:
        return float(text)
    except ValueError:
        raise DataError(f"background.csv: {starts!r} has no single numeric value ({text!r})")


def reactions(start: str | None = None, end: str | None = None) -> pd.DataFrame:
    """Reactions from data/reactions.csv between two dates, with the moment as reported (local
    time and zone) and, where the time is given, the UTC time; the short quote is kept whole."""
    start = start or news.day("XNYS", REACTIONS[0])
    end = end or news.day("XNYS", REACTIONS[1])
    table = context.reactions()
    table = table.loc[table["date"].between(start, end)].copy()
    when = []
    for r in table.itertuples():
        hhmm = r.time_local[:5]
        if len(hhmm) == 5 and hhmm[2] == ":" and hhmm.replace(":", "").isdigit():
            stamp = pd.Timestamp(f"{r.date:%Y-%m-%d} {hhmm}").tz_localize(r.timezone)
            when.append(f"{stamp.tz_convert('UTC'):%d %b %H:%M} UTC")
        else:
            when.append("")
    zone = {"America/New_York": "New York", "America/Los_Angeles": "US West Coast",
            "Asia/Tokyo": "Tokyo", "Europe/Zurich": "Davos"}
    return table.assign(utc=when, place=table["timezone"].map(zone).fillna(table["timezone"]))


def daily_moves(ticker: str, start: str, end: str) -> pd.DataFrame:
    """Each session's close-to-close move between two dates (inclusive)."""
    rets = load.returns(ticker)
    return rets.loc[rets["date"].between(start, end), ["date", "ret"]].reset_index(drop=True)


def base_session(ticker: str, before: pd.Timestamp) -> pd.Timestamp:
    """The security's last session strictly before `before`."""
    dates = load.prices(ticker)["date"]
    return dates.loc[dates < before].max()


def indexed(tickers: list[str], base: pd.Timestamp, start: str, end: str) -> pd.DataFrame:
    """Closes in [start, end] rebased to 100 at each security's close on `base`."""
    bars = load.prices(tickers)
    base_close = bars.loc[bars["date"] == base].set_index("ticker")["close"]
    if set(base_close.index) != set(tickers):
        raise DataError(f"no close on {base:%Y-%m-%d} for {set(tickers) - set(base_close.index)}")
    bars = bars.loc[bars["date"].between(start, end), ["ticker", "date", "close"]]
    uni = facts.universe().set_index("ticker")["name"]
    return bars.assign(name=bars["ticker"].map(uni),
                       index=(bars["close"] / bars["ticker"].map(base_close) * 100).round(2),
                       close=bars["close"].round(2)).reset_index(drop=True)


def change(ticker: str, start: pd.Timestamp, end: pd.Timestamp) -> float:
    """Close-to-close change between two sessions of one security (a fraction)."""
    close = load.prices(ticker).set_index("date")["close"]
    return float(close.loc[end] / close.loc[start] - 1)


def _lanes(events: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp) -> list[int]:
    """Stack labels in lanes so that no two overlap (about 6 px per character at 10 px)."""
    span = (end - start).days
    lanes_end: list[float] = []
    out = []
    for date, label in zip(events["date"], events["shown"]):
        left = (date - start).days / span * (WIDTH - 130)
        lane = next((i for i, edge in enumerate(lanes_end) if edge < left), len(lanes_end))
        if lane == len(lanes_end):
            lanes_end.append(0.0)
        lanes_end[lane] = left + 6.5 * len(label) + 16
        out.append(lane)
    return out


def timeline_chart(series: pd.DataFrame, events: pd.DataFrame, base: pd.Timestamp,
                   shock: pd.Timestamp = SHOCK) -> alt.VConcatChart:
    """A strip of labelled events above the securities' closes indexed to 100 on `base`."""
    start, end = series["date"].min(), series["date"].max()
    events = events.assign(shown=events["label"] + events["certainty"].map(
        {"uncertain": " (date uncertain)"}).fillna(""))
    events = events.assign(lane=_lanes(events, start, end))
    x = alt.X("date:T", title=f"Trading day ({start:%B %Y} to {end:%B %Y})",
              scale=alt.Scale(domain=[start, end]), axis=alt.Axis(format="%d %b", labelAngle=0))
    certainty = ["confirmed", "uncertain"]
    ev_tooltip = [alt.Tooltip("date:T", title="Date", format="%a %d %b %Y"),
                  alt.Tooltip("label:N", title="Event"),
                  alt.Tooltip("description:N", title="What happened"),
                  alt.Tooltip("certainty:N", title="Date certainty"),
                  alt.Tooltip("source:N", title="Source")]
    strip_base = alt.Chart(events).encode(
        x=alt.X("date:T", title=None, scale=alt.Scale(domain=[start, end]),
                axis=alt.Axis(labels=False, ticks=False, domain=False, grid=False)),
        y=alt.Y("lane:O", axis=None), tooltip=ev_tooltip)
    marks = strip_base.mark_point(filled=True, size=60, color=NEUTRAL).encode(
        shape=alt.Shape("certainty:N", legend=None,
                        scale=alt.Scale(domain=certainty, range=[SHAPES[0], SHAPES[3]])))
    words = strip_base.mark_text(align="left", dx=7, fontSize=10).encode(text="shown:N")
    strip = alt.layer(marks, words).properties(width=WIDTH - 130,
                                               height=18 * (events["lane"].max() + 1))

    names = series.drop_duplicates("ticker")["name"].tolist()
    colour = alt.Color("name:N", legend=None,
                       scale=alt.Scale(domain=names, range=SERIES[:len(names)]))
    lines = alt.Chart(series).mark_line().encode(
        x=x, y=alt.Y("index:Q", title=f"Close, {base.day} {base:%b %Y} = 100",
                     scale=alt.Scale(zero=False)),
        color=colour, strokeDash=alt.StrokeDash("name:N", legend=None, scale=alt.Scale(
            domain=names, range=DASHES[:len(names)])))
    points = alt.Chart(series).mark_point(size=14, filled=True).encode(
        x=x, y="index:Q", color=colour,
        tooltip=[alt.Tooltip("name:N", title="Series"),
                 alt.Tooltip("date:T", title="Date", format="%a %d %b %Y"),
                 alt.Tooltip("close:Q", title="Close", format=",.2f"),
                 alt.Tooltip("index:Q", title="Index (base = 100)", format=".1f")])
    ends = series.loc[series["date"] == end]
    tags = alt.Chart(ends).mark_text(align="left", dx=5, fontSize=10).encode(
        x=x, y="index:Q", color=colour, text="name:N",
        tooltip=[alt.Tooltip("name:N", title="Series"),
                 alt.Tooltip("index:Q", title="Index on the last day", format=".1f")])
    rules = alt.Chart(events).mark_rule(color="#888888").encode(
        x="date:T", strokeDash=alt.condition("datum.certainty == 'uncertain'",
                                             alt.value([2, 3]), alt.value([5, 3])),
        tooltip=ev_tooltip)
    hundred = alt.Chart(pd.DataFrame({"level": [100]})).mark_rule(color="#BBBBBB").encode(
        y="level:Q")
    panel = alt.layer(hundred, rules, lines, points, tags).properties(width=WIDTH - 130,
                                                                       height=280)

    shock_rows = series.loc[series["date"] == shock].set_index("name")["index"]
    pre = series.loc[series["date"] < shock].groupby("name")["index"].last()
    fell = ", ".join(f"{n} {shock_rows[n] - pre[n]:+.0f}" for n in names)
    return finish(
        narrow_layout(alt.vconcat(strip, panel, spacing=4).resolve_scale(shape="independent"),
                      drop=("vconcat/0", "vconcat/1/layer/4"),
                      set={f"vconcat/1/layer/2/encoding/{ch}/legend": {"title": None}
                           for ch in ("color", "strokeDash")},
                      note="Dashed lines: DeepSeek's releases (tap one)"),
        title=("Chip stocks drifted through DeepSeek's releases and fell only on "
               f"{shock.day} {shock:%B}" if (pre - 100).abs().max() < (pre - shock_rows).min()
               else f"Chip stocks fell on {shock.day} {shock:%B}, after DeepSeek's releases"),
        subtitle=[f"Daily closes indexed to 100 on {base.day} {base:%B %Y}, the last session "
                  "before DeepSeek-V3's weights; dashed lines: DeepSeek's releases"],
        source=SOURCE,
        description=(f"Line chart of {' and '.join(names)} from {start:%d %B %Y} to "
                     f"{end:%d %B %Y}, indexed to 100 on {base:%d %B %Y}, with DeepSeek's "
                     "releases marked: " + "; ".join(
                         f"{r.label} on {r.date:%d %B %Y}" for r in events.itertuples())
                     + f". Index points lost on {shock:%d %B}: {fell}."),
    )


def reactions_markdown(table: pd.DataFrame) -> str:
    """The reactions as a Markdown table: when (as the sources give it), who, and the few words
    quoted, in date order."""
    lines = ["| When (local time as reported) | Who | Said |", "|---|---|---|"]
    for r in table.sort_values("date", kind="stable").itertuples():
        time = re.sub(r"\s*\((?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day\)", "", r.time_local)
        time = time.replace("not stated", "time not reported").replace(" (article date)",
                                                                       ", article date")
        when = f"{r.date:%a} {r.date.day} {r.date:%b}, {time} ({r.place})"
        if r.utc:
            when += f"; {r.utc}"
        said = f"“{r.quote}”" if r.quote.strip() else "(no short quote)"
        lines.append(f"| {when} | {r.who}, {r.role} | {said} |")
    return "\n".join(lines)
