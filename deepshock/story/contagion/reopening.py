"""Did Seoul, Taipei, Hong Kong and Shanghai reopen where New York had priced them?

While a market is shut for the Lunar New Year, New York-listed country funds (EWY for Korea,
EWT for Taiwan, EWH for Hong Kong, FXI, MCHI and KWEB for China) keep trading. For each closed
market: the local index's (or stock's) move from its last close before the holiday to the close
of its first session back, against the fund's compounded move over the New York sessions that
closed inside the gap (after the local last close, before the local reopening).

Currency: the funds are priced in US dollars, the local lines in won, Taiwan dollars, Hong Kong
dollars or yuan. The data hold none of those exchange rates, so the local move minus the fund's
move ("what was left") includes the currency's move over the gap, and a fund's holdings are not
the index itself. The comparison is descriptive: one pair per market, no test.
"""

from __future__ import annotations

import math

import altair as alt
import pandas as pd

from ...data import event, facts, load, sessions
from ..charts import NEGATIVE, NEUTRAL, POSITIVE, finish, narrow_layout

SHOCK = event.day0("XNYS")  # New York's day 0 of the book's event (data/shocks.csv)
SOURCE = "Yahoo Finance daily closes; exchange calendars"
# local line -> (New York fund or ADR, what the fund is)
PAIRS = {"^KS11": ("EWY", "iShares MSCI South Korea fund (EWY)"),
         "^TWII": ("EWT", "iShares MSCI Taiwan fund (EWT)"),
         "2330.TW": ("TSM", "TSMC's New York ADR (TSM)"),
         "^HSI": ("EWH", "iShares MSCI Hong Kong fund (EWH)"),
         "0700.HK": ("KWEB", "KraneShares China internet fund (KWEB)"),
         "000001.SS": ("MCHI", "iShares MSCI China fund (MCHI)")}
CHINA_FUNDS = ["FXI", "MCHI", "KWEB"]
SHORT = {"^KS11": "KOSPI", "^TWII": "Taiex", "2330.TW": "TSMC (Taipei)", "^HSI": "Hang Seng",
         "0700.HK": "Tencent (HK)", "000001.SS": "Shanghai Comp."}
PLACE = {"XKRX": "Seoul", "XTAI": "Taipei", "XHKG": "Hong Kong", "XSHG": "Shanghai"}


def _fund_returns(ticker: str) -> pd.Series:
    """Daily returns of a New York fund or ADR (the panel's ETFs, else the per-ticker files)."""
    wide = load.panel_returns()
    if ticker in wide.columns:
        return wide[ticker].dropna()
    return load.returns(ticker).set_index("date")["ret"]


def _compound(rets: pd.Series, start: pd.Timestamp, end: pd.Timestamp) -> float:
    inside = rets.loc[(rets.index > start) & (rets.index <= end)]
    return float((1 + inside).prod() - 1)


def closure_window(market: str, shock: pd.Timestamp = SHOCK,
                   after: pd.Timestamp | None = None) -> dict:
    """The local holiday gap that spans or follows the shock and the New York sessions inside it.

    `after`: a closed day on which the gap starts, when the market traded on the shock day
    (Hong Kong traded on 27-28 Jan and shut from 29 Jan; Shanghai traded on 27 Jan)."""
    back = sessions.first_session(market, pd.Timestamp(after or shock))
    last = sessions.last_session_before(market, back)
    ny_start = sessions.last_closed_before("XNYS", sessions.close_utc(market, last))
    ny_end = sessions.last_closed_before("XNYS", sessions.open_utc(market, back))
    return {"market": market, "last": last, "back": back, "ny_start": ny_start, "ny_end": ny_end,
            "ny_sessions": len(sessions.sessions("XNYS", ny_start + pd.Timedelta(days=1), ny_end)),
            "weekdays_shut": int(len(pd.bdate_range(last, back)) - 2)}


def gap_start(market: str, shock: pd.Timestamp = SHOCK, weekdays: int = 10) -> pd.Timestamp:
    """The first closed weekday of `market` on or after the shock day (its Lunar New Year gap:
    the shock day itself for Seoul and Taipei, 29 Jan for Hong Kong, 28 Jan for Shanghai)."""
    for day in pd.bdate_range(shock, periods=weekdays):
        if not sessions.is_open(market, day):
            return day
    raise ValueError(f"{market}: no closed weekday within {weekdays} weekdays of {shock:%Y-%m-%d}")


def pairs(tickers: tuple[str, ...] = tuple(PAIRS)) -> pd.DataFrame:
    """One row per local line: its reopening move and its New York counterpart's move over the
    same gap (both compounded close-to-close, each in its own currency)."""
    rows = []
    for ticker in tickers:
        market = sessions.code(ticker)
        win = closure_window(market, after=gap_start(market))
        fund, fund_name = PAIRS[ticker]
        local = _compound(load.returns(ticker).set_index("date")["ret"], win["last"], win["back"])
        ny = _compound(_fund_returns(fund), win["ny_start"], win["ny_end"])
        rows.append({"ticker": ticker, "name": facts.name(ticker), "place": PLACE[market],
                     "fund": fund, "fund_name": fund_name, "local_last": win["last"],
                     "local_back": win["back"], "weekdays_shut": win["weekdays_shut"],
                     "ny_start": win["ny_start"], "ny_end": win["ny_end"],
                     "ny_sessions": win["ny_sessions"],
                     "local_pct": round(local * 100, 4), "fund_pct": round(ny * 100, 4),
                     "left_pp": round((local - ny) * 100, 4)})
    return pd.DataFrame(rows)


def china_funds(start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
    """The New York China funds' compounded moves between two New York closes."""
    return pd.DataFrame([{"fund": f, "pct": round(_compound(_fund_returns(f), start, end) * 100, 4)}
                         for f in CHINA_FUNDS])


NEAR = 2.0  # percentage points: "reopened where New York had priced it"


def _join(names: list[str]) -> str:
    return ", ".join(names[:-1]) + " and " + names[-1] if len(names) > 1 else names[0]


def _indices(table: pd.DataFrame) -> pd.DataFrame:
    kinds = facts.universe().set_index("ticker")["kind"]
    idx = table.loc[table["ticker"].map(kinds) == "index"]
    return idx.assign(gap=(idx["local_pct"] - idx["fund_pct"]).abs())


def bound(table: pd.DataFrame) -> float:
    """The finding's one number: the largest gap (percentage points) between a market's
    reopening and its New York fund among the indices within NEAR, rounded up to one decimal
    (title and prose state it)."""
    idx = _indices(table)
    near = idx.loc[idx["gap"] < NEAR, "gap"]
    return math.ceil(round(near.max() * 10, 6)) / 10 if len(near) else NEAR


def title(table: pd.DataFrame) -> str:
    """The finding, from the markets' indices in `table`: which reopened within `bound` points
    of their New York fund's move over the holiday, and which did not."""
    idx = _indices(table)
    near = idx.loc[idx["gap"] < NEAR, "place"].tolist()
    far = idx.loc[idx["gap"] >= NEAR, "place"].tolist()
    if not near:
        return f"No market reopened within {NEAR:.0f} points of its New York fund's move"
    text = f"{_join(near)} reopened within {bound(table):.1f} points of their New York funds"
    return text + (f"; {_join(far)} did not" if far else "")


def chart_data(table: pd.DataFrame) -> pd.DataFrame:
    """What the chart draws: two bars per local line (its reopening, its New York counterpart)."""
    long = pd.concat([
        table.assign(measure="Local, on reopening", value=table["local_pct"]),
        table.assign(measure="New York, over the closure",
                     value=table["fund_pct"])])
    short = long["ticker"].map(SHORT).fillna(long["name"])
    return long.assign(label=short,
                       sign=["fell" if v < 0 else "rose" for v in long["value"]])


def chart(table: pd.DataFrame) -> alt.LayerChart:
    """Paired bars: each local line's reopening move next to what New York priced in the gap."""
    long = chart_data(table)
    measures = long["measure"].drop_duplicates().tolist()
    order = table.assign(label=table["ticker"].map(SHORT).fillna(table["name"])
                         ).sort_values("local_pct")["label"].tolist()
    tip = [alt.Tooltip("label:N", title="Local line"), alt.Tooltip("place:N", title="Market"),
           alt.Tooltip("measure:N", title="Measure"),
           alt.Tooltip("fund_name:N", title="New York counterpart"),
           alt.Tooltip("value:Q", title="Move (%)", format="+.1f"),
           alt.Tooltip("left_pp:Q", title="Local minus New York (pp)", format="+.1f")]
    base = alt.Chart(long).encode(
        y=alt.Y("label:N", sort=order, title=None, axis=alt.Axis(labelLimit=150)),
        yOffset=alt.YOffset("measure:N", sort=measures), tooltip=tip)
    bars = base.mark_bar(height=11).encode(
        x=alt.X("value:Q", title="Move over the closure (%)"),
        color=alt.Color("sign:N", title="Move", scale=alt.Scale(
            domain=["fell", "rose"], range=[NEGATIVE, POSITIVE])),
        opacity=alt.Opacity("measure:N", title="Bar", sort=measures,
                            scale=alt.Scale(domain=measures, range=[1.0, 0.45])))
    text = base.mark_text(fontSize=9, dx=alt.expr("datum.value < 0 ? -3 : 3"),
                          align=alt.expr("datum.value < 0 ? 'right' : 'left'"),
                          color="#222222").encode(x="value:Q", text=alt.Text("value:Q", format="+.1f"))
    zero = alt.Chart(pd.DataFrame({"x": [0]})).mark_rule(color=NEUTRAL).encode(x="x:Q")
    return finish(
        narrow_layout(alt.layer(bars, text, zero).properties(width=300, height=alt.Step(30)),
                      drop=("layer/1",), set={"layer/0/encoding/opacity/legend": None},
                      note="Tap a bar for its value"),
        title=title(table),
        subtitle=["Solid: the local line from its last close before the holiday to its first "
                  "session back", "Pale: its New York fund or ADR over the sessions in between "
                  "(US dollars; local lines in local currency)"],
        source=SOURCE,
        description=("Paired bars per market: " + "; ".join(
            f"{r.name} ({r.place}) {r.local_pct:+.1f}% on reopening against {r.fund} "
            f"{r.fund_pct:+.1f}% over {r.ny_sessions} New York sessions"
            for r in table.itertuples()) + "."),
    )
