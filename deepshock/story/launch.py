"""The launch: DeepSeek's releases, the V3 training-cost arithmetic, and how chip prices moved
between the first release and the sell-off."""

from __future__ import annotations

import re
from dataclasses import dataclass

import altair as alt
import pandas as pd

from ..data import capex, context, facts, load
from ..data import event as news
from .page import Chapter, stored
from .charts import DASHES, NEGATIVE, NEUTRAL, POSITIVE, SHAPES, WIDTH, finish, narrow_layout
from ..data.validate import DataError

SHOCK = news.day0("XNYS")  # New York's day 0 of the book's event (data/shocks.csv)
REACTIONS = (-2, 1)  # New York sessions around day 0 whose calendar days the reactions cover
SERIES = [NEUTRAL, "#8C8C8C", "#BBBBBB"]  # greys told apart by dashes and direct labels
SOURCE = "Yahoo Finance daily closes; exchange calendars; DeepSeek's releases as reported"
# The events' labels on a phone: short, so that the key ones fit one or two lanes.
SHORT_EVENTS = {"V3 weights": "V3", "V3 report": "", "App launch": "app?",
                "R1 release": "R1", "App Store No. 1": "No. 1 app", "Nvidia record loss": ""}


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
            when.append(f"{stamp.tz_convert('UTC'):%-d %b %H:%M} UTC")
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


def indexed(tickers: list[str], base: pd.Timestamp, start: pd.Timestamp,
            end: pd.Timestamp) -> pd.DataFrame:
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


def _lanes(events: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp, field: str = "shown",
           width: float = WIDTH - 130, centred: bool = False) -> list[int]:
    """Stack labels in lanes so that no two overlap (about 6 px per character at 10 px); a
    label is drawn right of its point, or `centred` on its date (the phone's strip)."""
    span = (end - start).days
    lanes_end: list[float] = []
    out = []
    for date, label in zip(events["date"], events[field]):
        if centred and not label:  # no label drawn (the phone drops the points): no lane
            out.append(0)
            continue
        left = (date - start).days / span * width - (3.5 * len(label) + 8) * centred
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
        {"uncertain": " (date uncertain)"}).fillna(""),
        short=events["label"].map(SHORT_EVENTS).fillna(events["label"]))
    events = events.assign(lane=_lanes(events, start, end),
                           lane_phone=_lanes(events, start, end, "short", PHONE_PLOT, True))
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
    marks = strip_base.mark_point(filled=True, size=60, color="#888888").encode(
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
    shock_rows = series.loc[series["date"] == shock].set_index("name")["index"]
    pre = series.loc[series["date"] < shock].groupby("name")["index"].last()
    lead = names[0]
    drop = shock_rows[lead] / pre[lead] - 1
    day = series.loc[(series["date"] == shock) & (series["name"] == lead)].assign(
        note=f"{lead} {drop * 100:+.1f}%, {shock.day} {shock:%b}".replace("-", "\u2212"),
        move=round(drop * 100, 2))
    sign = alt.condition("datum.move < 0", alt.value(NEGATIVE), alt.value(POSITIVE))
    marked = alt.Chart(day).encode(x=x, y="index:Q", tooltip=[
        alt.Tooltip("name:N", title="Series"),
        alt.Tooltip("date:T", title="Date", format="%a %d %b %Y"),
        alt.Tooltip("index:Q", title="Index (base = 100)", format=".1f")])
    shock_dot = marked.mark_point(filled=True, size=80).encode(color=sign)
    shock_text = marked.mark_text(align="right", dx=-8, dy=4, fontSize=11,
                                  fontWeight="bold").encode(text="note:N", color=sign)
    panel = alt.layer(hundred, rules, lines, points, tags, shock_dot, shock_text).properties(
        width=WIDTH - 130, height=280)

    fell = ", ".join(f"{n} {shock_rows[n] - pre[n]:+.0f}" for n in names)
    phone_lanes = int(events["lane_phone"].max()) + 1
    return finish(
        narrow_layout(alt.vconcat(strip, panel, spacing=4).resolve_scale(shape="independent"),
                      set={**{f"vconcat/1/layer/2/encoding/{ch}/legend": {"title": None}
                              for ch in ("color", "strokeDash")},
                           **{f"vconcat/0/layer/{i}/encoding/y/field": "lane_phone"
                              for i in (0, 1)},
                           "vconcat/0/layer/1/encoding/text/field": "short",
                           "vconcat/0/layer/1/mark/align": "center",
                           "vconcat/0/layer/1/mark/dx": 0,
                           "vconcat/0/height": 18 * phone_lanes},
                      drop=("vconcat/0/layer/0", "vconcat/1/layer/4"),
                      note="Release names shortened; tap a dashed line for the full one"),
        title=(f"Chip stocks drifted through DeepSeek's releases, then {lead} fell "
               f"{abs(drop):.1%} on {shock.day} {shock:%B}"
               if (pre - 100).abs().max() < (pre - shock_rows).min()
               else f"Chip stocks fell on {shock.day} {shock:%B}, after DeepSeek's releases"),
        subtitle=[f"Daily closes indexed to 100 on {base.day} {base:%B %Y}, the last session "
                  "before DeepSeek-V3's weights; dashed lines: DeepSeek's releases"],
        source=SOURCE,
        description=(f"Line chart of {' and '.join(names)} from {start:%-d %B %Y} to "
                     f"{end:%-d %B %Y}, indexed to 100 on {base:%-d %B %Y}, with DeepSeek's "
                     "releases marked: " + "; ".join(
                         f"{r.label} on {r.date:%-d %B %Y}" for r in events.itertuples())
                     + f". Index points lost on {shock:%-d %B}: {fell}."),
    )


PHONE_PLOT = 250  # the plot's width in px on a 390 px screen, for the phone's label lanes


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


# -- the chapter in one call ----------------------------------------------------------------

def _day(date: pd.Timestamp, weekday: bool = False) -> str:
    text = f"{date.day} {date:%B %Y}"
    return f"{date:%A} {text}" if weekday else text


def _level(x: float) -> str:
    return f"{abs(x) * 100:.1f}% " + ("above" if x >= 0 else "below")


def _updown(x: float) -> str:
    return ("rose " if x >= 0 else "fell ") + f"{abs(x) * 100:.1f}%"


def _fell(x: float) -> str:
    if not x < 0:
        raise ValueError(f"prose says 'fell' but the move is {x!r}")
    return f"{-x * 100:.1f}%"


def _bn(x: float) -> str:
    return f"${x:,.{0 if float(x).is_integer() else 1}f}bn"


def spending_text(shock: pd.Timestamp = SHOCK) -> dict[str, str]:
    """Each platform's first stated 2025 plan (`data/capex.csv`, the closing chapter's table of
    statements), worded as that chapter words it: 'about $80bn', '$60–65bn', '$105.2bn'."""
    table = capex.capex().sort_values("stated", kind="stable").groupby("ticker").head(1)
    first = table.set_index("ticker")
    word = {"about": lambda r: f"about {_bn(r.low_usd_bn)}",
            "range": lambda r: f"${r.low_usd_bn:g}–{r.high_usd_bn:g}bn",
            "implied": lambda r: _bn(r.low_usd_bn)}
    text = {f"la_{t.lower()}": word[r.form](r) for t, r in zip(first.index, first.itertuples())
            if t in ("MSFT", "META", "GOOGL", "AMZN")}
    return {**text, "la_msft_end": f"{first.at['MSFT', 'period_end']:%B %Y}"}


@stored
def chapter(shock: pd.Timestamp = SHOCK) -> Chapter:
    """The launch chapter: its prose numbers (glue name -> text) and its figure."""
    cost = training_cost()
    weights, paper, app, r1, store, signups = (event(label) for label in (
        "V3 weights", "V3 report", "App launch", "R1 release", "App Store No. 1",
        "Sign-ups limited"))
    rule22, rule23 = fact("chips", "US Commerce Department"), fact("chips", "New US rule")
    stargate = fact("capex", "Stargate")["value"].split("-")
    stargate_day = context.confounders().set_index("label").at["Stargate announced", "date"]
    tickers = ["NVDA", "^SOX"]
    base, pre = base_session("NVDA", weights["date"]), base_session("NVDA", shock)
    before_r1 = base_session("NVDA", r1["date"])
    # the chart's window, by rule: the month of V3's weights through the month after the shock
    start = weights["date"].to_period("M").start_time
    end = (SHOCK.to_period("M") + 1).end_time.normalize()
    series = indexed(tickers, base, start, end)
    after_r1 = series.loc[series["date"] >= r1["date"], "date"].min()
    # Stargate was announced after New York's close: the first session after it priced it
    rally_end = series.loc[series["date"] > stargate_day, "date"].min()
    moves = {t: {"since_v3": change(t, base, pre), "since_r1": change(t, before_r1, pre),
                 "stargate": change(t, before_r1, rally_end),
                 "friday": change(t, base_session(t, pre), pre),
                 "shock": change(t, pre, shock)} for t in tickers}
    nv, sox = moves["NVDA"], moves["^SOX"]
    text = {
        "la_weights": _day(weights["date"], True), "la_paper": _day(paper["date"], True),
        "la_app": _day(app["date"], True), "la_app_certainty": app["certainty"],
        "la_r1": _day(r1["date"], True), "la_store": _day(store["date"], True),
        "la_signups": _day(signups["date"], True),
        "la_gap": f"{(app['date'] - weights['date']).days} days",
        "la_v3_lead": f"{count_days(shock - weights['date'])} days",
        "la_r1_lead": f"{count_days(shock - r1['date'])} days",
        "la_hours": f"{cost.gpu_hours / 1e6:.3f} million", "la_price": f"${cost.price:,.0f}",
        "la_cost": f"${cost.cost / 1e6:.3f}M", "la_reported": f"${cost.reported / 1e6:.3f}M",
        "la_founded": f"{value('company', 'DeepSeek was founded'):.0f}",
        "la_hf_year": f"{value('company', 'Year High-Flyer'):.0f}",
        "la_hf_aum": f"${value('company', 'High-Flyer reportedly manages'):.0f}bn",
        "la_a100": f"{value('company', 'High-Flyer had built'):,.0f}",
        "la_h800s": f"{value('chips', 'DeepSeek-V3 was trained'):,.0f}",
        "la_rule22": _day(rule22["date"]), "la_rule23": _day(rule23["date"]),
        **spending_text(),
        "la_stargate": f"${stargate[0]}bn", "la_stargate_max": f"${stargate[-1]}bn",
        "la_stargate_day": f"{stargate_day:%A} {stargate_day.day} {stargate_day:%B}",
        "la_rally_end": f"{rally_end.day} {rally_end:%B}",
        "la_nv_cap": f"${value('valuation', 'Nvidia market value at the 24 Jan'):.2f}tn",
        "la_nv_2024": f"{value('valuation', 'Nvidia share-price gain in 2024'):.0f}%",
        "la_mag7": f"{value('concentration', 'Share of S&P 500 market value held'):.0f}%",
        "la_dc_power": f"{value('power', 'US data centres used'):.1f}%",
        "la_reactions": reactions_markdown(reactions()),
        "la_base": _day(base, True), "la_pre": _day(pre, True),
        "la_r1_first": _day(after_r1, True) + (
            " (the US market was closed on the day of the release)"
            if after_r1 > r1["date"] else ""),
        "la_nv_v3": _level(nv["since_v3"]), "la_sox_v3": _level(sox["since_v3"]),
        "la_nv_r1": _updown(nv["since_r1"]), "la_sox_r1": _updown(sox["since_r1"]),
        "la_nv_stargate": f"{nv['stargate'] * 100:.1f}%",
        "la_sox_stargate": f"{sox['stargate'] * 100:.1f}%",
        "la_nv_friday": _fell(nv["friday"]), "la_sox_friday": _fell(sox["friday"]),
        "la_nv_fall": _fell(nv["shock"]), "la_sox_fall": _fell(sox["shock"]),
    }
    events = milestones(shock)
    data = pd.concat([series.assign(kind="price"),
                      events[["date", "label", "certainty"]].assign(kind="event")])
    return Chapter(text=text, figures={
        "fig-launch-timeline": (timeline_chart(series, events, base, shock), data)})


def count_days(delta: pd.Timedelta) -> str:
    """House style for a count of days: words up to ten, figures beyond."""
    words = ["no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"]
    return words[delta.days] if 0 <= delta.days <= 10 else f"{delta.days:,}"
