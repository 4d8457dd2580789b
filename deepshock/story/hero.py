"""The landing page's hero: the shock's path on one UTC clock over 72 hours.

The window is three UTC days, from the start of the day before the one on which the news span
ends (`event.news()`) to 72 hours later. On it:

* `path`: the US market minute by minute, the S&P 500 contract for difference of the intraday
  files against New York's Friday close, **thinned by bucket extremes**: in each `BUCKET` the
  minute closes with the lowest and the highest value are kept, at their own times, and nothing
  else (no value is made up, the line's range in every bucket is exact); the line is broken
  where the contract did not trade for more than `GAP`;
* `nvidia`: Nvidia's hourly closes (the venue with the most volume in each hour) against its
  Friday close, 07:00-19:00 New York time;
* `lanes`: each market's sessions in the window from the exchange calendars, with the
  close-to-close move of its index (`load.session_return`), Seoul's and Taipei's Lunar New
  Year closure and, beyond the window, the session in which each reopened (its day 0);
* `moments`: the weekend's news span (`data/shocks.csv`) and the evening reactions and the
  press quote of `data/clock_moments.csv`.

Without intraday prices the chart keeps the lanes and draws New York's opens and closes only.
"""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from ..data import event, intraday, load, schema, sessions
from . import sameclock
from .charts import MUTED, NEGATIVE, NEUTRAL, PALETTE, POSITIVE, finish, narrow_layout

ACCENT = PALETTE[4]                 # the one highlight (until charts.py defines ACCENT)
HOURS = 72
BUCKET, GAP = "20min", pd.Timedelta("5min")
MARKETS = {"Tokyo": "^N225", "Europe": "^STOXX", "New York": "^GSPC"}
LATER = {"Seoul": "^KS11", "Taipei": "^TWII"}
INDEX = {"^N225": "Nikkei 225", "^STOXX": "STOXX Europe 600", "^GSPC": "S&P 500",
         "^KS11": "Kospi", "^TWII": "Taiex"}
NEWS_LANE = "News"
SOURCE = ("S&P 500 CFD minute quotes (HistData); Nvidia hourly trades (Databento); Yahoo Finance "
          "daily closes; exchange calendars; Reuters, The Hill, USA Today, Axios, TechCrunch")
WIDTH = 640


def window() -> tuple[pd.Timestamp, pd.Timestamp]:
    """72 hours from the start of the UTC day before the day the news span ends."""
    start = event.news().floor("D") - pd.Timedelta(days=1)
    return start, start + pd.Timedelta(hours=HOURS)


def _iso(when: pd.Series | pd.DatetimeIndex) -> list[str]:
    return [f"{t:%Y-%m-%dT%H:%MZ}" for t in when]


def thin(minutes: pd.DataFrame, bucket: str = BUCKET) -> pd.DataFrame:
    """Keep, per `bucket`, the rows holding the bucket's lowest and highest `pct` (one row when
    they coincide), in time order: every kept value is a real minute close."""
    if minutes.empty:
        return minutes
    key = minutes["utc"].dt.floor(bucket)
    lo = minutes.groupby(key)["pct"].idxmin()
    hi = minutes.groupby(key)["pct"].idxmax()
    keep = sorted(set(lo) | set(hi) | {minutes.index[0], minutes.index[-1]})
    return minutes.loc[keep].reset_index(drop=True)


def legs(utc: pd.Series, gap: pd.Timedelta) -> np.ndarray:
    """A run number that changes wherever consecutive times are more than `gap` apart."""
    return (utc.diff() > gap).cumsum().to_numpy()


def minutes() -> pd.DataFrame:
    """The S&P 500 CFD's minute closes in the window from its first quote after the weekend:
    utc (bar end), level, pct against New York's Friday close. Raises `intraday.Missing`."""
    points = sameclock.checkpoints().set_index("label")
    base = float(points.iloc[0]["level"])
    first = points.at["first quote after the weekend", "utc"]
    start, end = window()
    bars = intraday.bars(sameclock.CFD)
    bars = bars.loc[(bars["ts"] >= max(first, start)) & (bars["end"] <= end)]
    frame = pd.DataFrame({"utc": bars["end"].to_numpy(), "level": bars["close"].to_numpy()})
    frame["utc"] = pd.to_datetime(frame["utc"], utc=True)
    return frame.assign(pct=(frame["level"] / base - 1) * 100)


def path() -> pd.DataFrame:
    """What the chart draws for the US market: thinned minute closes with their `leg` (the line
    breaks between legs); without intraday prices New York's opens and closes."""
    if not sameclock.available():
        frame = sameclock._daily_path()
        frame = frame.loc[frame["utc"] >= window()[0]].reset_index(drop=True)
        return frame.assign(leg=0)[["utc", "pct", "leg"]]
    full = minutes()
    full = full.assign(leg=legs(full["utc"], GAP))
    kept = pd.concat([thin(g) for _, g in full.groupby("leg")], ignore_index=True)
    return kept[["utc", "pct", "leg"]]


def nvidia() -> pd.DataFrame:
    """Nvidia's hourly closes in the window (bar end, UTC), from the venue that traded most in
    each hour, against its Friday close; empty without intraday prices."""
    if not sameclock.available():
        return pd.DataFrame(columns=["utc", "pct", "leg"])
    start, end = window()
    friday = event.day("NVDA", -1)
    base = float(load.prices("NVDA").set_index("date").at[friday, "close"])
    bars = intraday.bars("NVDA", venues=True)
    bars = bars.loc[(bars["ts"] >= start) & (bars["end"] <= end)]
    top = bars.loc[bars.groupby("ts")["volume"].idxmax()].sort_values("ts")
    frame = pd.DataFrame({"utc": pd.to_datetime(top["end"].to_numpy(), utc=True),
                          "pct": (top["close"].to_numpy() / base - 1) * 100})
    return frame.assign(leg=legs(frame["utc"], pd.Timedelta("1h")))


def _move(ticker: str, day: pd.Timestamp) -> dict:
    r = load.session_return(ticker, day)
    return {"ret": float(r["ret"]), "prev_date": pd.Timestamp(r["prev_date"])}


def lanes() -> pd.DataFrame:
    """One row per bar of the lower panel: lane, kind ('session', 'closed' or 'later'), start,
    end (UTC, clipped to the window), date, ticker, ret (close-to-close, fraction) and text."""
    start, end = window()
    rows = []
    for lane, ticker in MARKETS.items():
        code = sessions.code(ticker)
        for day in sessions.sessions(code, start.tz_convert(None).normalize(),
                                     end.tz_convert(None).normalize()):
            opens, closes = sessions.open_utc(code, day), sessions.close_utc(code, day)
            if opens < start or closes > end:
                continue
            move = _move(ticker, day)
            rows.append({"lane": lane, "kind": "session", "start": opens, "end": closes,
                         "date": day, "ticker": ticker, **move, "text": signed(move["ret"])})
    for lane, ticker in LATER.items():
        code, day = sessions.code(ticker), event.day0(ticker)
        move = _move(ticker, day)
        rows.append({"lane": lane, "kind": "later", "start": start, "end": end, "date": day,
                     "ticker": ticker, **move,
                     "text": f"Closed; reopened {day:%a %-d %b}: {signed(move['ret'])}"})
    return pd.DataFrame(rows)


def signed(ret: float) -> str:
    """A move as chart text: one decimal, the true minus sign (U+2212)."""
    return f"{'−' if ret < 0 else '+'}{abs(ret) * 100:.1f}%"


def moments() -> pd.DataFrame:
    """The news lane: the weekend's news span (the event's precision) and the reactions of
    `data/clock_moments.csv`, merged when they share a span; clipped to the window."""
    start, end = window()
    shock = event.get()
    news = shock["news_utc"]
    span = pd.Timedelta(pd.tseries.frequencies.to_offset(pd.Timedelta(shock["precision"])))
    table = schema.table("clock_moments")
    spans = table.loc[table["reported_pct"].isna()]
    rows = [{"lane": NEWS_LANE, "start": max(start, news - span), "end": news,
             "text": "App Store No. 1", "detail": shock["time_source"],
             "source": shock["time_source"].split(":")[0]}]
    for (lo, hi), group in spans.groupby(["utc_from", "utc_to"], sort=True):
        rows.append({"lane": NEWS_LANE, "start": _utc(lo), "end": _utc(hi),
                     "text": ", ".join(s.split(":")[0] for s in group["label"]),
                     "detail": " ".join(group["label"]) + ". " + " ".join(group["detail"]),
                     "source": "; ".join(group["source"])})
    frame = pd.DataFrame(rows)
    frame["start"] = frame["start"].clip(lower=start)
    frame["end"] = frame["end"].clip(upper=end)
    return frame


def press() -> pd.DataFrame:
    """The clock-stamped press quotes of prices in the window (utc, pct, label, source)."""
    table = schema.table("clock_moments")
    quotes = table.loc[table["reported_pct"].notna()]
    return pd.DataFrame({"utc": [_utc(t) for t in quotes["utc_from"]],
                         "pct": quotes["reported_pct"].to_numpy(),
                         "label": quotes["label"].to_numpy(), "source": quotes["source"].to_numpy()})


def _utc(when) -> pd.Timestamp:
    when = pd.Timestamp(when)
    return when.tz_localize("UTC") if when.tzinfo is None else when.tz_convert("UTC")


# --- the labelled moments and the chart ----------------------------------------------------------

def marks() -> pd.DataFrame:
    """The labelled points (panel, key, utc, pct, text): the contract's first quote after the
    weekend, and Nvidia's close-to-close move at New York's Monday close."""
    ny = sessions.code("^GSPC")
    day = event.day0(ny)
    nv = _move("NVDA", day)["ret"] * 100
    rows = []
    if sameclock.available():
        first = sameclock.checkpoints().set_index("label").loc["first quote after the weekend"]
        rows.append({"panel": "spx", "key": "reopened", "utc": first["utc"],
                     "pct": float(first["pct"]),
                     "text": f"{first['utc']:%a %H:%M} UTC:\nreopened {_size(first['pct'])}"})
    rows.append({"panel": "nvda", "key": "nvidia", "utc": sessions.close_utc(ny, day), "pct": nv,
                 "text": f"Nvidia {signed(nv / 100)}\non the day"})
    return pd.DataFrame(rows)


def _size(pct: float) -> str:
    return f"{abs(pct):.1f}% {'down' if pct < 0 else 'up'}"


def title(points: pd.DataFrame, bars: pd.DataFrame) -> str:
    """The finding, from the points and lanes the chart draws."""
    at = points.set_index("key")
    nv = f"Nvidia fell {abs(at.at['nvidia', 'pct']):.1f}% in New York"
    tokyo = bars.loc[(bars["lane"] == "Tokyo") & (bars["kind"] == "session"), "start"].min()
    if "reopened" in at.index and at.at["reopened", "pct"] < 0 and at.at["reopened", "utc"] < tokyo:
        return f"The US market was already down before Tokyo opened; on Monday {nv}"
    return f"Tokyo traded first; on Monday {nv}"


def _ms(when: pd.Timestamp) -> int:
    return int(pd.Timestamp(when).value // 10**6)


def _colour(kind: str, ret: float) -> str:
    if kind == "news":
        return NEUTRAL
    return NEGATIVE if ret < 0 else POSITIVE


def chart(line: pd.DataFrame, nv: pd.DataFrame, bars: pd.DataFrame, news: pd.DataFrame,
          points: pd.DataFrame, quotes: pd.DataFrame) -> alt.VConcatChart:
    """The hero: the US contract's path and Nvidia's above the markets' sessions."""
    start, end = window()
    ticks = [_ms(t) for t in pd.date_range(start, end, freq="12h")]
    x = alt.X("utc:T", title=None, scale=alt.Scale(type="utc", domain=[_ms(start), _ms(end)]),
              axis=alt.Axis(labels=False, ticks=False, domain=False, grid=True, values=ticks))
    when = alt.Tooltip("utc:T", timeUnit="utcyearmonthdatehoursminutes", title="Time (UTC)")
    y_title = "Since Friday (%)"

    def shade() -> alt.Chart:
        ny = bars.loc[bars["lane"] == "New York"].assign(s=lambda f: _iso(f["start"]),
                                                         e=lambda f: _iso(f["end"]))
        return alt.Chart(ny[["s", "e"]]).mark_rect(color=MUTED, opacity=0.25).encode(
            x=alt.X("s:T", scale=alt.Scale(type="utc", domain=[_ms(start), _ms(end)])),
            x2="e:T")

    def trace(frame: pd.DataFrame, name: str, height: int, domain: list[float]) -> alt.LayerChart:
        data = pd.DataFrame({"utc": _iso(frame["utc"]), "pct": frame["pct"].round(2),
                             "leg": frame["leg"].astype(int)})
        y = alt.Y("pct:Q", title=y_title, scale=alt.Scale(domain=domain, nice=False),
                  axis=alt.Axis(tickCount=4, titleFontSize=10))
        base = alt.Chart(data).encode(x=x, y=y)
        line = base.mark_line(color="#333333", strokeWidth=1.3, interpolate="linear").encode(
            detail="leg:N", tooltip=[when, alt.Tooltip("pct:Q", title=f"{name} (%)",
                                                        format="+.2f")])
        zero = alt.Chart(pd.DataFrame({"pct": [0.0]})).mark_rule(
            color=NEUTRAL, strokeDash=[4, 3]).encode(y=alt.Y("pct:Q", title=y_title))
        label = alt.Chart(pd.DataFrame({"t": [name]})).mark_text(
            align="left", baseline="bottom", dx=4, dy=-4, fontSize=11, fontWeight="bold",
            color="#333333").encode(x=alt.value(0), y=alt.value(height), text="t:N")
        return alt.layer(shade(), zero, line, label).properties(width=WIDTH, height=height)

    def point(key: str, colour: str, align: str, dx: int, dy: int) -> list[alt.Chart]:
        row = points.loc[points["key"] == key]
        if row.empty:
            return []
        data = pd.DataFrame({"utc": _iso(row["utc"]), "pct": row["pct"].round(2),
                             "text": row["text"]})
        y = alt.Y("pct:Q", title=y_title)
        dot = alt.Chart(data).mark_point(filled=True, size=70, color=colour).encode(
            x=x, y=y, tooltip=[alt.Tooltip("text:N", title="Moment"), when])
        text = alt.Chart(data).mark_text(align=align, dx=dx, dy=dy, fontSize=11, lineHeight=13, lineBreak="\n",
                                         fontWeight="bold", color=colour).encode(
            x=x, y=y, text="text:N")
        return [dot, text]

    low = min(line["pct"].min(), 0.0)
    top = trace(line, "S&P 500 (index contract)", 150,
                [float(np.floor(low * 2) / 2 - 0.25), 0.75])
    layers = [top, *point("reopened", NEGATIVE, "right", -7, 12)]
    if not quotes.empty:
        data = quotes.assign(utc=_iso(quotes["utc"]))
        layers.append(alt.Chart(data).mark_point(shape="diamond", size=90, color="#333333",
                                                 strokeWidth=1.5).encode(
            x=x, y=alt.Y("pct:Q", title=y_title),
            tooltip=[alt.Tooltip("label:N", title="Press report"), when,
                     alt.Tooltip("source:N", title="Source")]))
    panels = [alt.layer(*layers)]
    if not nv.empty:
        panels.append(alt.layer(trace(nv, "Nvidia", 110, [-24.0, 2.0]),
                                *point("nvidia", ACCENT, "right", -8, 12)))

    lane_order = [NEWS_LANE, *MARKETS, *LATER]
    y = alt.Y("lane:N", title=None, sort=lane_order,
              scale=alt.Scale(domain=lane_order, paddingInner=0.1, paddingOuter=0.05),
              axis=alt.Axis(domain=False, ticks=False, labelFontSize=11, labelPadding=4))
    rows = pd.concat([
        bars.assign(colour=[MUTED if k == "later" else _colour(k, r)
                            for k, r in zip(bars["kind"], bars["ret"])],
                    ink=[_colour(k, r) for k, r in zip(bars["kind"], bars["ret"])],
                    move=[signed(r) for r in bars["ret"]],
                    name=[INDEX[t] for t in bars["ticker"]],
                    day=[f"{d:%a %-d %b}" for d in bars["date"]],
                    since=[f"{d:%a %-d %b}" for d in bars["prev_date"]]),
        news.assign(kind="news", colour=NEUTRAL, ink="#333333", move="", name="",
                    day="", since="")], ignore_index=True)
    rows = rows.assign(s=_iso(rows["start"]), e=_iso(rows["end"]))[
        ["lane", "kind", "s", "e", "text", "colour", "ink", "move", "name", "day", "since",
         *(c for c in ("detail", "source") if c in rows)]].fillna("")
    span = f"{start:%A %-d} to {(end - pd.Timedelta('1min')):%A %-d %B %Y}"
    xs = alt.X("s:T", title=f"Time (UTC), {span}",
               scale=alt.Scale(type="utc", domain=[_ms(start), _ms(end)]),
               axis=alt.Axis(values=ticks, labelFontSize=10, grid=True, labelExpr=(
                   "utcFormat(datum.value, utchours(datum.value) == 0 ? '%a %-d' : '%H:%M')")))
    tips = [alt.Tooltip("lane:N", title="Market"), alt.Tooltip("name:N", title="Index"),
            alt.Tooltip("day:N", title="Session"), alt.Tooltip("since:N", title="Since close of"),
            alt.Tooltip("move:N", title="Close-to-close move"),
            alt.Tooltip("s:T", timeUnit="utcyearmonthdatehoursminutes", title="From (UTC)"),
            alt.Tooltip("e:T", timeUnit="utcyearmonthdatehoursminutes", title="To (UTC)")]
    market = alt.Chart(rows.loc[rows["kind"] != "news"])
    happened = alt.Chart(rows.loc[rows["kind"] == "news"])
    strip = lambda c, w, o: c.mark_rule(strokeWidth=w, opacity=o).encode(  # noqa: E731
        x=xs, x2="e:T", y=y, color=alt.Color("colour:N", scale=None))
    words = lambda c: c.mark_text(align="left", baseline="bottom", dy=-4, fontSize=11).encode(  # noqa: E731
        x=xs, y=y, text="text:N", color=alt.Color("ink:N", scale=None))
    lower = alt.layer(
        strip(market, 7, 0.9).encode(tooltip=tips),
        strip(happened, 7, 0.5).encode(tooltip=[alt.Tooltip("text:N", title="What"),
                                                tips[-2], tips[-1],
                                                alt.Tooltip("source:N", title="Source")]),
        words(market), words(happened),
    ).properties(width=WIDTH, height=30 * len(lane_order))
    panels.append(lower)
    return alt.vconcat(*panels, spacing=6)


def _phone(points: pd.DataFrame, spec_title: str) -> dict:
    """The phone layout: the reopening's label shortened to fit left of its point (the time is
    on the axis), and one subtitle line."""
    at = points.set_index("key")
    out = {"title/subtitle": ["S&P 500 contract and Nvidia against Friday's close; grey: New "
                              "York's sessions", spec_title, f"Source: {SOURCE}"]}
    if "reopened" in at.index:
        out["vconcat/0/layer/2/encoding/text"] = {
            "value": f"Reopened\n{_size(at.at['reopened', 'pct'])}"}
    return out


def figure() -> tuple[alt.TopLevelMixin, pd.DataFrame]:
    """The finished hero (title, subtitle, source, description, phone layout) and the data
    it draws, one row per drawn item (what, utc or start/end, pct, text)."""
    line, nv, bars, news = path(), nvidia(), lanes(), moments()
    points, quotes = marks(), press()
    body = chart(line, nv, bars, news, points, quotes)
    intra = sameclock.available()
    start, end = window()
    moves = "; ".join(f"{r.lane} {r.date:%a %-d %b} {signed(r.ret)}" for r in bars.itertuples())
    subtitle = [
        ("An S&P 500 contract (minute quotes: each 20 minutes' lowest and highest) and Nvidia "
         "(hourly trades) against Friday's New York close; grey: New York's sessions; "
         "◇ a press quote" if intra else
         "New York's opens and closes only: this edition has no intraday prices"),
        "Bars: each market's sessions, with its index's close-to-close move"]
    described = finish(
        narrow_layout(body, set=_phone(points, spec_title=subtitle[-1])),
        title=title(points, bars), subtitle=subtitle, source=SOURCE,
        description=(f"Three panels on one UTC clock from {start:%a %-d %b %H:%M} to "
                     f"{end:%a %-d %b %H:%M}. " + "; ".join(
                         f"{r.text.replace(chr(10), ' ')} at {r.utc:%a %H:%M} UTC"
                         for r in points.itertuples()) + f". Sessions and moves: {moves}."))
    data = pd.concat([
        line.assign(what="S&P 500 CFD (bid), thinned minute close"),
        nv.assign(what="Nvidia hourly close"),
        points.assign(what=points["key"]).drop(columns=["panel", "key"]),
        quotes.rename(columns={"label": "text"}).drop(columns="source").assign(what="press report"),
        bars.assign(what=bars["lane"] + " " + bars["kind"]).drop(columns="kind"),
        news.drop(columns=["detail", "source"]).assign(what="news")], ignore_index=True)
    data = data.assign(ret_pct=data["ret"] * 100, label=data["text"].str.replace(
        "\n", " ", regex=False))
    keep = ["what", "utc", "pct", "start", "end", "lane", "ticker", "prev_date", "date",
            "ret_pct", "label"]
    data = data[[c for c in keep if c in data]]
    return described, data


def words() -> dict[str, str]:
    """The landing page's sentences about the hero (`in_hero_*`), true with or without
    intraday prices."""
    start, end = window()
    later = lanes().set_index("lane")
    out = {"in_hero_span": f"{start:%A %-d} to {(end - pd.Timedelta('1min')):%A %-d %B %Y}",  # noqa: E501
           "in_hero_bucket": f"{pd.Timedelta(BUCKET).seconds // 60} minutes",
           "in_hero_seoul": f"{later.at['Seoul', 'date']:%A %-d %B}",
           "in_hero_taipei": f"{later.at['Taipei', 'date']:%A %-d %B}"}
    if not sameclock.available():
        return {**out, "in_hero_reopen": ("the intraday prices that would show when the US "
                                          "market moved are not in this edition")}
    first = marks().set_index("key").loc["reopened"]
    tokyo = sessions.open_utc("XTKS", event.day0("XTKS"))
    lead = round((tokyo - first["utc"]) / pd.Timedelta(hours=1))
    ahead = "an hour" if lead == 1 else f"{lead} hours"
    return {**out, "in_hero_reopen": (
        f"a contract on the S&P 500 reopened {_size(first['pct'])} at {first['utc']:%H:%M} UTC "
        f"on {first['utc']:%A}, {ahead} before Tokyo's exchange opened")}
