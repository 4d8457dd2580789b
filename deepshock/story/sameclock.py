"""The US market on the same clock as Tokyo: what the S&P 500 contract for difference (CFD) of
the intraday files did before and during each Asian and European session of 27-28 January.

The CFD (`data.intraday`, "SPXUSD": one-minute bid quotes of a contract on the index, UTC) trades
nearly round the clock; it reopens on Sunday evening, before Tokyo opens. From it:

* `checkpoints`: its level, against New York's Friday close, at the reopening (its first quote),
  at Tokyo's, Europe's and New York's opens and closes of Monday and Tuesday, and its Monday low
  before New York opened;
* `path`: five-minute closes from the reopening to New York's Tuesday close, with the sessions
  (`bands`) to draw behind it;
* `same_hours`: per Asian and European index session of those days, New York's close-to-close
  and open-to-close moves over the lead window (`data.clock`), the CFD's move over the same
  window and its move during the session itself.

The files hold no Japanese, Korean, Taiwanese or European intraday prices and no chip-index
futures. Without the intraday product (a build from Yahoo Finance alone) `available()` is False:
`path` falls back to the S&P 500's own opens and closes, `same_hours` leaves the CFD columns
empty, and `words` says what is missing.
"""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from ..data import clock, event, intraday, load, sessions
from .charts import MUTED, NEGATIVE, NEUTRAL, POSITIVE, finish, narrow_layout

CFD = clock.CFD
NY, TOKYO, EUROPE = "XNYS", "XTKS", "XETR"
DAYS = event.days(TOKYO, (0, 1))              # Tokyo's day 0 (before New York) and day 1
FRIDAY = event.day(NY, -1)                    # New York's last session before the news
INDICES = {"Tokyo": "^N225", "Hong Kong": "^HSI", "Shanghai": "000001.SS",
           "Europe": "^STOXX"}                # the Asian and European indices open on DAYS
BANDS = {TOKYO: "Tokyo", EUROPE: "Europe", NY: "New York"}
SOURCE_CFD = "S&P 500 CFD one-minute bid quotes (HistData); exchange calendars"
SOURCE_DAILY = "Yahoo Finance daily opens and closes; exchange calendars"
MISSING = ("this edition was built without intraday prices (Yahoo Finance serves no minute "
           "bars for 2025; they come with the book's data files)")


def available() -> bool:
    """Whether this edition has the intraday prices."""
    return clock.intraday_available()


def _at(when: pd.Timestamp) -> float:
    return intraday.level_at(CFD, when)


def checkpoints() -> pd.DataFrame:
    """One row per moment (label, utc, level, pct against New York's Friday close), in time
    order: levels are closes of the last one-minute bar ending at or before the moment, but the
    first quote after the weekend is its first bar's open. Raises `intraday.Missing` without
    intraday prices."""
    bars = intraday.bars(CFD)
    base_at = sessions.close_utc(NY, FRIDAY)
    base = _at(base_at)
    after = bars.loc[bars["ts"] >= base_at].reset_index(drop=True)
    gap = after["ts"].diff() > pd.Timedelta(hours=1)
    if not gap.any():
        raise ValueError(f"{CFD}: no weekend gap after {base_at:%Y-%m-%d %H:%M} UTC")
    first = after.loc[gap.idxmax()]
    ny_open = sessions.open_utc(NY, DAYS[0])
    morning = after.loc[(after["ts"] >= first["ts"]) & (after["end"] <= ny_open)]
    low = morning.loc[morning["close"].idxmin()]
    rows = [("New York's Friday close", base_at, base),
            ("first quote after the weekend", first["ts"], float(first["open"])),
            ("low before New York opened", low["end"], float(low["close"]))]
    for day in DAYS:
        for code, word in ((TOKYO, "Tokyo"), (EUROPE, "Europe"), (NY, "New York")):
            for edge, at in (("opened", sessions.open_utc), ("closed", sessions.close_utc)):
                when = at(code, day)
                rows.append((f"{word} {edge} ({day:%a})", when, _at(when)))
    table = pd.DataFrame(rows, columns=["label", "utc", "level"])
    table["pct"] = (table["level"] / base - 1) * 100
    return table.sort_values("utc", kind="stable").reset_index(drop=True)


def path(step: str = "5min") -> pd.DataFrame:
    """What the chart draws: the CFD's closes every `step` from its first quote after the
    weekend to New York's Tuesday close (utc, level, pct against Friday's New York close,
    series); without intraday prices, the S&P 500's own opens and closes of Friday to Tuesday."""
    if not available():
        return _daily_path()
    points = checkpoints().set_index("label")
    start, base = points.at["first quote after the weekend", "utc"], points.iloc[0]["level"]
    end = sessions.close_utc(NY, DAYS[1])
    bars = intraday.bars(CFD)
    bars = bars.loc[(bars["ts"] >= start) & (bars["end"] <= end)].set_index("end")["close"]
    level = bars.resample(step, label="right", closed="right").last().dropna()
    return pd.DataFrame({"utc": level.index, "level": level.to_numpy(),
                         "pct": (level.to_numpy() / base - 1) * 100,
                         "series": "S&P 500 CFD (bid)"})


def _daily_path() -> pd.DataFrame:
    """The S&P 500's opens and closes (daily data) from Friday's close to Tuesday's."""
    bars = load.prices("^GSPC").set_index("date")
    base = float(bars.at[FRIDAY, "close"])
    rows = [(sessions.close_utc(NY, FRIDAY), base)]
    for day in DAYS:
        rows += [(sessions.open_utc(NY, day), float(bars.at[day, "open"])),
                 (sessions.close_utc(NY, day), float(bars.at[day, "close"]))]
    frame = pd.DataFrame(rows, columns=["utc", "level"])
    return frame.assign(pct=(frame["level"] / base - 1) * 100, series="S&P 500 (opens, closes)")


def bands() -> pd.DataFrame:
    """Tokyo's, Europe's and New York's sessions of DAYS (start, end in UTC, market)."""
    rows = [{"market": word, "start": sessions.open_utc(code, day),
             "end": sessions.close_utc(code, day), "session": f"{word}, {day:%a %-d %b}"}
            for day in DAYS for code, word in BANDS.items() if sessions.is_open(code, day)]
    return pd.DataFrame(rows)


def marks(table: pd.DataFrame | None = None) -> pd.DataFrame:
    """The labelled points of the chart (label, utc, level, pct, tag: the point's text): the
    CFD's first quote after the weekend and its level at Tokyo's Monday close (intraday), or New
    York's opens and closes (daily data)."""
    if not available():
        frame = _daily_path().iloc[1:]
        labels = [f"New York {w} ({d:%a})" for d in DAYS for w in ("opened", "closed")]
        return frame.assign(label=labels, tag=labels)
    table = checkpoints() if table is None else table
    keep = {"first quote after the weekend": "reopened", f"Tokyo closed ({DAYS[0]:%a})":
            "Tokyo's close"}
    out = table.loc[table["label"].isin(keep)].reset_index(drop=True)
    return out.assign(tag=[f"{keep[label]}, {t:%a %H:%M} UTC"
                           for label, t in zip(out["label"], out["utc"])])


def _side(pct: float) -> str:
    return f"{abs(pct):.1f}% {'below' if pct < 0 else 'above'}"


def title(points: pd.DataFrame) -> str:
    """The finding, from the labelled points the chart draws."""
    at = points.set_index("label")["pct"]
    if "first quote after the weekend" in at:
        return (f"The US contract was {_down(at['first quote after the weekend'])} before Tokyo "
                f"opened, {_down(at[f'Tokyo closed ({DAYS[0]:%a})'])} at Tokyo's close")
    return (f"No intraday prices: the S&P 500 opened {_down(at.iloc[0])} on Monday, after "
            "Tokyo had closed")


def _down(pct: float) -> str:
    return f"{abs(pct):.1f}% {'down' if pct < 0 else 'up'}"


def chart(line: pd.DataFrame, points: pd.DataFrame, sessions_: pd.DataFrame) -> alt.LayerChart:
    """The CFD's path (or the index's opens and closes) with the sessions behind it."""
    x = alt.X("utc:T", title="Time (UTC)", axis=alt.Axis(format="%a %H:%M", tickCount=8))
    y = alt.Y("pct:Q", title="Against New York's Friday close (%)")
    tip = [alt.Tooltip("utc:T", title="Time (UTC)", format="%a %d %b %H:%M"),
           alt.Tooltip("level:Q", title="Level", format=",.1f"),
           alt.Tooltip("pct:Q", title="Against Friday's close (%)", format="+.1f")]
    band = alt.Chart(sessions_).mark_rect(color=MUTED, opacity=0.35).encode(
        x="start:T", x2="end:T", tooltip=[alt.Tooltip("session:N", title="Session"),
                                          alt.Tooltip("start:T", title="Opens (UTC)",
                                                      format="%a %H:%M"),
                                          alt.Tooltip("end:T", title="Closes (UTC)",
                                                      format="%a %H:%M")])
    names = alt.Chart(sessions_).mark_text(align="left", baseline="top", dx=2, dy=2,
                                           fontSize=9, color=NEUTRAL, angle=0).encode(
        x="start:T", y=alt.value(0), text="market:N")
    trace = alt.Chart(line).mark_line(color="#222222", strokeWidth=1.2,
                                      point=len(line) < 20).encode(x=x, y=y, tooltip=tip)
    zero = alt.Chart(pd.DataFrame({"pct": [0.0]})).mark_rule(color=NEUTRAL,
                                                             strokeDash=[4, 3]).encode(y="pct:Q")
    shown = points.assign(sign=np.where(points["pct"] < 0, "fell", "rose"))
    dots = alt.Chart(shown).mark_point(filled=True, size=60).encode(
        x=x, y=y, color=alt.Color("sign:N", title="Against Friday's close", scale=alt.Scale(
            domain=["fell", "rose"], range=[NEGATIVE, POSITIVE])),
        tooltip=[alt.Tooltip("label:N", title="Moment"), *tip])
    text = alt.Chart(shown).mark_text(align="left", dx=6, dy=8, fontSize=9,
                                      color="#222222").encode(x=x, y=y, text="tag:N")
    layered = alt.layer(band, names, zero, trace, dots, text).properties(width=600, height=300)
    daily = not available()
    return finish(
        narrow_layout(layered, drop=("layer/1", "layer/5"),
                      note="Tap a band for its session, a point for its moment"),
        title=title(points),
        subtitle=[("New York's opens and closes only: this edition has no intraday prices"
                   if daily else "Against New York's Friday close: five-minute closes of a "
                   "contract for difference on the S&P 500 (bid quotes)"),
                  "Grey bands: Tokyo's, Europe's and New York's sessions"],
        source=SOURCE_DAILY if daily else SOURCE_CFD,
        description=("Line of the US market against New York's close of Friday "
                     f"{FRIDAY:%-d %B %Y}, from {line['utc'].min():%a %H:%M} to "
                     f"{line['utc'].max():%a %H:%M} UTC, with Tokyo's, Europe's and New York's "
                     "sessions as bands. " + "; ".join(
                         f"{r.label}: {r.pct:+.1f}% at {r.utc:%a %H:%M} UTC"
                         for r in points.itertuples()) + "."),
    )


def same_hours() -> pd.DataFrame:
    """Per Asian and European index session of DAYS: its hours, the New York sessions of its
    lead window, New York's close-to-close and open-to-close S&P 500 moves over the window,
    and the CFD's move over the window (`window`) and during the session (`same_hours`; NaN
    without intraday prices). Fractions."""
    rows = []
    for market, ticker in INDICES.items():
        frame = clock.leads(ticker).set_index("date")
        dates = [d for d in DAYS if d in frame.index]
        intra = (clock.intraday_leads(ticker, dates).set_index("date") if available()
                 else pd.DataFrame(index=pd.DatetimeIndex(dates),
                                   columns=["id_^GSPC", "same_hours"], dtype=float))
        for d in dates:
            r = frame.loc[d]
            rows.append({"market": market, "ticker": ticker, "date": d,
                         "open_utc": r["open_utc"], "close_utc": r["close_utc"],
                         "ny_sessions": int(r["ny_sessions"]), "ny_last": r["ny_last"],
                         "cc": r["cc_^GSPC"], "oc": r["oc_^GSPC"],
                         "window": intra.at[d, "id_^GSPC"], "same_hours": intra.at[d, "same_hours"]})
    return pd.DataFrame(rows).sort_values(["date", "open_utc", "close_utc"], ignore_index=True)


def same_hours_table(table: pd.DataFrame) -> pd.DataFrame:
    """`same_hours` for a pipe table (percent, one decimal; '–' where there is no value)."""
    show = lambda x: "–" if pd.isna(x) else f"{x * 100:+.1f}%"  # noqa: E731
    return pd.DataFrame({
        "Market, session (UTC)": [f"{r.market}, {r.open_utc:%a %H:%M}–{r.close_utc:%H:%M}"
                                  for r in table.itertuples()],
        "New York session in the lead": [f"{r.ny_last:%a %-d %b}" if r.ny_sessions else "none"
                                         for r in table.itertuples()],
        "S&P 500, close to close": [show(x) for x in table["cc"]],
        "S&P 500, open to close": [show(x) if x != 0 else "none (no full session)"
                                   for x in table["oc"]],
        "Index contract, lead window": [show(x) for x in table["window"]],
        "Index contract, same hours": [show(x) for x in table["same_hours"]]})


def words() -> dict[str, str]:
    """The glue of the chapter's intraday sentences (`sc_*`), true with or without intraday
    prices: what moved first, what the US market did during Tokyo's session, and what the
    data cannot show."""
    cannot = ("What these prices cannot show matters as much. The intraday data hold no "
              "Japanese prices, so they cannot say when during its session Tokyo fell, nor "
              "whether Tokyo's traders led the US contract or followed it; they hold no chip-index futures, so the chip stocks' overnight moves in New "
              "York are unknown; and the contract is a bid quote of a contract for difference "
              "on the index, not the index or its future: it shows timing and direction, while "
              "daily sizes come from the index itself.")
    if not available():
        return {"sc_first": (f"Which market moved first cannot be said here: {MISSING}. Of "
                             "the exchanges, Tokyo traded first; New York's index did not trade "
                             "until Tokyo had closed."),
                "sc_tokyo": "What the US market did during Tokyo's session is not in the daily data.",
                "sc_cannot": ("The US index contract's minute quotes would show when the US "
                              "market moved; even they would not show when during its session "
                              "Tokyo fell (there are no Japanese intraday prices) or the chip "
                              "stocks' overnight moves (there are no chip-index futures)."),
                "sc_verdict": ("Tokyo was the first exchange to trade; "
                                                    "whether it moved first is not known "
                                                    "from daily prices."),
                "sc_intro": ("this edition has no intraday prices to say whether US index "
                             "contracts moved before it")}
    at = checkpoints().set_index("label")
    first, low = at.loc["first quote after the weekend"], at.loc["low before New York opened"]
    tk_open = at.loc[f"Tokyo opened ({DAYS[0]:%a})"]
    tk_close = at.loc[f"Tokyo closed ({DAYS[0]:%a})"]
    lead = round((tk_open["utc"] - first["utc"]) / pd.Timedelta(hours=1))
    ahead = "an hour" if lead == 1 else f"{lead} hours"
    ny_zone = sessions.calendar(NY).tz
    moved = "fell" if tk_close["pct"] < tk_open["pct"] else "rose"
    return {
        "sc_first": (f"The first price in these data to move after the weekend was the US "
                     f"index contract's: its first quote, at {first['utc']:%H:%M} UTC on "
                     f"{first['utc']:%A} ({first['utc'].tz_convert(ny_zone):%H:%M} in New "
                     f"York), {ahead} before Tokyo opened, was {_side(first['pct'])} New "
                     "York's Friday close."),
        "sc_tokyo": (f"During Tokyo's Monday session it {moved} from {_side(tk_open['pct'])} "
                     f"Friday's close to {_side(tk_close['pct'])}, and it kept going through "
                     f"Europe's morning, to a low {_side(low['pct'])} at "
                     f"{low['utc']:%H:%M} UTC, before New York opened."),
        "sc_cannot": cannot,
        "sc_verdict": ("Tokyo was the first stock exchange to trade on the weekend's news, but "
                       + ("not the first market to move: the US index contract was lower "
                          "before Tokyo opened." if first["pct"] < 0 else
                          "the US index contract had not fallen before Tokyo opened.")),
        "sc_intro": ("US index contracts had already slipped when they reopened on Sunday "
                     "evening, an hour earlier" if first["pct"] < 0 and lead == 1 else
                     "US index contracts had already slipped when they reopened on Sunday "
                     "evening" if first["pct"] < 0 else
                     "US index contracts had not fallen when they reopened on Sunday evening")}
