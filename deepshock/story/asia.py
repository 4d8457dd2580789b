"""Tokyo and delayed contagion: where each market's sessions fell in UTC, and which
session of each market first saw the shock.

All session dates and hours come from `deepshock.sessions` (exchange calendars); all moves are
close-to-close returns on each security's own sessions (`deepshock.load.returns`).
"""

from __future__ import annotations

import altair as alt
import pandas as pd

from ..data import event, facts, load, sessions
from .charts import NEGATIVE, NEUTRAL, POSITIVE, finish, narrow_layout
from .selloff import count

SHOCK = event.day0("XNYS")  # New York's day 0 of the book's event (data/shocks.csv)
TOKYO = event.days("XTKS", (0, 1))   # Tokyo's day 0 (before New York traded) and day 1
GRID = (-2, 7)  # the calendar grid's weekdays: New York sessions around day 0
SOURCE = "Yahoo Finance daily closes; exchange calendars"
ORDER = ["XTKS", "XKRX", "XTAI", "XSHG", "XHKG", "XETR", "XNYS"]  # by opening time in UTC
# The series that stand for each market in the timeline and grid: its main index (Europe: the
# STOXX Europe 600 and the DAX on the Xetra calendar); Seoul and Taipei were closed on 27-28 Jan.
MARKERS = {"XTKS": ["^N225"], "XKRX": ["^KS11"], "XTAI": ["^TWII"], "XSHG": ["000001.SS"],
           "XHKG": ["^HSI"], "XETR": ["^STOXX", "^GDAXI"], "XNYS": ["^GSPC", "^SOX", "NVDA"]}
SHORT = {"^N225": "Nikkei 225", "^HSI": "Hang Seng", "SU.PA": "Schneider", "^GSPC": "S&P 500",
         "^SOX": "SOX", "NVDA": "Nvidia", "000660.KS": "SK hynix", "^TWII": "Taiex",
         "^KS11": "KOSPI", "000001.SS": "Shanghai Composite", "^STOXX": "STOXX 600",
         "^GDAXI": "DAX", "^STOXX50E": "Euro STOXX 50", "0700.HK": "Tencent",
         "9988.HK": "Alibaba (HK)", "9888.HK": "Baidu (HK)", "ASML": "ASML (ADR)",
         "TSM": "TSMC (ADR)", "2330.TW": "TSMC (Taipei)"}
PHONE = {"8035.T": "Tokyo Elec.", "005930.KS": "Samsung", "6857.T": "Advantest"}  # axis labels
CITY = {**sessions.CITY, "XSHG": "Shanghai", "XETR": "Europe (Xetra)"}
TOKYO_NAMES = ["6857.T", "8035.T", "9984.T", "6146.T", "5803.T", "6920.T", "7735.T", "6723.T"]
CONTAGION = ["NVDA", "TSM", "ASML", "6857.T", "8035.T", "^N225", "0700.HK", "^HSI", "^STOXX",
             "000660.KS", "005930.KS", "^KS11", "2330.TW", "^TWII"]


def _signed(pct: float) -> str:
    """A chart label: -1.43 -> '−1.4', 0.04 -> '0.0' (no signed zero), 2.1 -> '+2.1'."""
    r = round(pct, 1) + 0.0
    return "0.0" if r == 0 else f"{r:+.1f}".replace("-", "\u2212")


def _ret(ticker: str, date: pd.Timestamp) -> float | None:
    """Close-to-close return of `ticker` on `date`, or None if it did not trade."""
    table = load.returns(ticker)
    row = table.loc[table["date"] == pd.Timestamp(date), "ret"]
    return float(row.iloc[0]) if len(row) else None


def _move(ticker: str, start: pd.Timestamp, end: pd.Timestamp) -> float:
    """Compounded close-to-close return from the close of `start` to the close of `end`."""
    rets = load.returns(ticker)
    inside = rets.loc[(rets["date"] > start) & (rets["date"] <= end), "ret"]
    return float((1 + inside).prod() - 1)


# --- Tokyo ---------------------------------------------------------------------------------

def timeline(days: tuple = TOKYO) -> pd.DataFrame:
    """One row per trading span (a lunch break splits a session) of each market on `days`,
    in UTC, with the markers' moves; a closed day shows the market's usual hours, flagged."""
    rows = []
    for market in ORDER:
        for day in map(pd.Timestamp, days):
            state = sessions.status(market, day)
            traded = state != "closed"
            model = day if traded else sessions.first_session(market, day)
            shift = day - model
            moves = [(t, _ret(t, day)) for t in MARKERS[market]] if traded else []
            label = ([f"{SHORT[t]} ({r * 100:+.1f}%)".replace("-", "\u2212") for t, r in moves]
                     + (["(half day)"] if state == "early close" else [])) if traded else ["closed"]
            first = moves[0][1] if moves else None
            for start, end in sessions.trading_blocks(market, model):
                rows.append({
                    "city": CITY[market], "market": market, "session": day,
                    "status": state, "start_utc": (start + shift).tz_localize(None),
                    "end_utc": (end + shift).tz_localize(None), "label": "\n".join(label),
                    "move": "closed" if first is None else ("fell" if first < 0 else "rose"),
                    "moves": "; ".join(label).replace("\n", " ")})
    table = pd.DataFrame(rows)
    last = table.groupby(["city", "session"])["end_utc"].transform("max")
    table["show_label"] = table["end_utc"] == last  # label once per session, after its last span
    return table


def hours_between(first: tuple[str, str], then: tuple[str, str]) -> float:
    """Hours from the close of session `first` = (market, date) to the open of `then`."""
    gap = sessions.open_utc(*then) - sessions.close_utc(*first)
    return gap.total_seconds() / 3600


def timeline_chart(table: pd.DataFrame) -> alt.LayerChart:
    """Sessions as bars on a UTC axis, one row per market, labelled with the markers' moves."""
    order = [CITY[m] for m in ORDER]
    first = table["session"].min()
    gap = hours_between(("XTKS", first), ("XNYS", first))
    span = f"{first:%-d}–{table['session'].max():%-d %B %Y}"
    y = alt.Y("city:N", sort=order, title=None)
    end = table["end_utc"].max() + pd.Timedelta(hours=13)
    x = alt.X("start_utc:T", title=f"Time (UTC), {span}",
              scale=alt.Scale(domain=[table["start_utc"].min().isoformat(), end.isoformat()]),
              axis=alt.Axis(format="%a %H:%M", tickCount=10))
    tip = [alt.Tooltip("city:N", title="Market"),
           alt.Tooltip("session:T", title="Session", format="%a %d %b %Y"),
           alt.Tooltip("status:N", title="Status (calendar)"),
           alt.Tooltip("start_utc:T", title="From (UTC)", format="%d %b %H:%M"),
           alt.Tooltip("end_utc:T", title="To (UTC)", format="%d %b %H:%M"),
           alt.Tooltip("moves:N", title="Close-to-close move")]
    colour = alt.Color("move:N", title="Session", legend=alt.Legend(orient="bottom"),
                       scale=alt.Scale(domain=["fell", "rose", "closed"],
                                       range=[NEGATIVE, POSITIVE, "#ffffff"]))
    base = alt.Chart(table)
    bars = base.mark_bar(height=16, stroke=NEUTRAL, strokeWidth=0.8).encode(
        x=x, x2="end_utc:T", y=y, color=colour,
        strokeDash=alt.condition("datum.status == 'closed'", alt.value([3, 2]), alt.value([1, 0])),
        tooltip=tip)
    text = base.transform_filter("datum.show_label").mark_text(
        align="left", baseline="middle", dx=4, fontSize=10, lineBreak="\n", color="#222222"
    ).encode(x="end_utc:T", y=y, text="label:N", tooltip=tip)
    keep = (f"datum.show_label && datum.session == '{first.isoformat()}' && "
            "(datum.city == 'Tokyo' || datum.city == 'New York')")
    chart = narrow_layout(alt.layer(bars, text).properties(width=600, height=330),
                          set={"layer/1/transform": [{"filter": keep}]},
                          note=f"Labels: Tokyo and New York on {first:%-d %b}; tap a session "
                               "for its moves")
    return finish(
        chart,
        title=f"Tokyo closed {gap:.0f} hours before New York opened on {first:%-d %B}",
        subtitle=["Sessions from the exchange calendars; dashed outlines: usual hours of a "
                  "closed market", "Each market shown by its main index; Europe by the STOXX "
                  "Europe 600 and the DAX on Frankfurt's hours"],
        source=SOURCE,
        description=(f"Timeline of trading sessions on {span.replace('–', ' and ', 1)} in UTC for Tokyo, "
                     "Seoul, Taipei, Shanghai, Hong Kong, Europe and New York. Tokyo's Monday "
                     f"session ends {gap:.0f} hours before New York's opens; Seoul and Taipei are "
                     "closed both days, Shanghai on the 28th, and Hong Kong closes early on the "
                     "28th. Each session is labelled with "
                     "its close-to-close moves: " + "; ".join(
                         f"{r.city} {r.session:%-d %b}: {r.moves}" for r in
                         table.drop_duplicates(["city", "session"]).itertuples()) + "."),
    )


def tokyo_names(days: tuple = TOKYO) -> pd.DataFrame:
    """Moves of the Japanese AI-linked names and the Nikkei 225 on each of `days`."""
    rows = []
    for ticker in TOKYO_NAMES + ["^N225"]:
        for day in map(pd.Timestamp, days):
            ret = _ret(ticker, day)
            if ret is None:
                raise ValueError(f"{ticker} did not trade on {day:%Y-%m-%d}")
            rows.append({"ticker": ticker, "name": facts.name(ticker), "session": f"{day:%a %d %b}",
                         "date": day, "ret": ret, "ret_pct": round(ret * 100, 4),
                         "role": "benchmark" if ticker == "^N225" else "stock"})
    table = pd.DataFrame(rows)
    both = table.groupby("ticker")["ret"].apply(lambda r: (1 + r).prod() - 1)
    return table.assign(two_day_pct=(table["ticker"].map(both) * 100).round(4)).drop(columns="ret")


def tokyo_chart(table: pd.DataFrame) -> alt.LayerChart:
    """Grouped bars: each Japanese name's move on Monday and Tuesday, the Nikkei as reference."""
    stocks = table.loc[table["role"] == "stock"]
    both = int((stocks.groupby("ticker")["ret_pct"].max() < 0).sum())
    worst = stocks.sort_values("two_day_pct").iloc[0]
    order = (table.drop_duplicates("ticker").assign(key=lambda t: (t["role"] == "benchmark") * 1e6
             + t["two_day_pct"]).sort_values("key")["name"].tolist())
    sess = table["session"].drop_duplicates().tolist()
    y = alt.Y("name:N", sort=order, title=None)
    tip = [alt.Tooltip("name:N", title="Security"), alt.Tooltip("ticker:N", title="Ticker"),
           alt.Tooltip("session:N", title="Tokyo session"),
           alt.Tooltip("ret_pct:Q", title="Close-to-close (%)", format="+.1f"),
           alt.Tooltip("two_day_pct:Q", title="Both sessions (%)", format="+.1f")]
    table = table.assign(sign=["fell" if r < 0 else "rose" for r in table["ret_pct"]],
                         tag=[f"{d[:3]} {r:+.1f}".replace("-", "\u2212")
                              for d, r in zip(table["session"], table["ret_pct"])])
    colour = alt.Color("sign:N", title="Move", scale=alt.Scale(domain=["fell", "rose"],
                                                               range=[NEGATIVE, POSITIVE]))
    base = alt.Chart(table)
    bars = base.mark_bar(height=9).encode(
        x=alt.X("ret_pct:Q", title="Close-to-close move (%)", scale=alt.Scale(
            domain=[table["ret_pct"].min() * 1.3, max(table["ret_pct"].max(), 0) + 1],
            nice=False)), y=y,
        yOffset=alt.YOffset("session:N", sort=sess), color=colour,
        opacity=alt.Opacity("session:N", title="Tokyo session", sort=sess,
                            scale=alt.Scale(domain=sess, range=[0.5, 1.0])),
        tooltip=tip)
    text = base.mark_text(fontSize=9, color="#222222", dx=alt.expr("datum.ret_pct < 0 ? -3 : 3"),
                          align=alt.expr("datum.ret_pct < 0 ? 'right' : 'left'")).encode(
        x="ret_pct:Q", y=y, yOffset=alt.YOffset("session:N", sort=sess),
        text="tag:N", tooltip=tip)
    zero = alt.Chart(pd.DataFrame({"x": [0]})).mark_rule(color=NEUTRAL).encode(x="x:Q")
    chart = alt.layer(bars, text, zero).properties(width=560, height=340)
    return finish(
        chart,
        title=((f"All {count(both)}" if both == stocks["ticker"].nunique() else
                f"{count(both).capitalize()} of {count(stocks['ticker'].nunique())}")
               + " Japanese AI-linked stocks fell on both days; "
               f"{worst['name']} lost {abs(worst['two_day_pct']):.0f}% in two"),
        subtitle=["Pale bars: Monday, before New York's sell-off (weekend news); solid: "
                  "Tuesday, after it", "Nikkei 225 (bottom) as reference"],
        source=SOURCE,
        description=("Grouped horizontal bars of close-to-close moves on the Tokyo sessions of "
                     f"{sess[0]} and {sess[1]} 2025: " + "; ".join(
                         f"{n}: " + ", ".join(_signed(r) + "%" for r in g["ret_pct"])
                         for n, g in table.groupby("name", sort=False)) + "."),
    )


def yen(days: tuple | None = None) -> pd.DataFrame:
    """Yahoo's USD/JPY closes (yen per dollar) on its own day labels, with the change
    (default: the labels of New York's sessions -1, 0 and 1)."""
    days = days or event.days("XNYS", (-1, 0, 1))
    bars = load.prices("JPY=X").set_index("date")["close"]
    out = bars.loc[list(map(pd.Timestamp, days))].rename("yen_per_usd").to_frame()
    out["change"] = out["yen_per_usd"].pct_change()
    return out


# --- Delayed contagion ---------------------------------------------------------------------

def first_after_rout(market: str, rout: tuple | None = None) -> pd.Timestamp:
    """The first session of `market` that opened after the close of New York's rout session
    (default: New York's day 0)."""
    rout = rout or ("XNYS", SHOCK)
    end = sessions.close_utc(*rout)
    day = sessions.first_session(market, pd.Timestamp(rout[1]))
    while sessions.open_utc(market, day) < end:
        day = sessions.first_session(market, day + pd.Timedelta(days=1))
    return day


def first_back(ticker: str, shock: pd.Timestamp = SHOCK) -> pd.Series:
    """The first session of `ticker` on or after the shock day, its return and the close it is
    measured from; checks that the data's previous row is the calendar's previous session."""
    market = sessions.code(ticker)
    day = sessions.first_session(market, shock)
    row = load.session_return(ticker, day)
    expected = sessions.last_session_before(market, day)
    if row["prev_date"] != expected:
        raise ValueError(f"{ticker}: data measures {day:%Y-%m-%d} from {row['prev_date']:%Y-%m-%d},"
                         f" the calendar's previous session is {expected:%Y-%m-%d}")
    return row


def contagion(tickers: list[str] = CONTAGION, shock: pd.Timestamp = SHOCK) -> pd.DataFrame:
    """For each security: from its last close before the shock day to the close of its market's
    first session that opened after New York's 27 January close (same news, own sessions)."""
    rows = []
    for ticker in tickers:
        market = sessions.code(ticker)
        base = sessions.last_session_before(market, shock)
        end = shock if market == "XNYS" else first_after_rout(market, ("XNYS", shock))
        n = len(sessions.sessions(market, base + pd.Timedelta(days=1), end))
        window = f"{end:%-d %b}" if n == 1 else f"{base:%-d %b}–{end:%-d %b}, {n} sessions"
        if n == 1 and end - base > pd.Timedelta(days=3):
            window = f"{end:%-d %b}, first since {base:%-d %b}"
        rows.append({"ticker": ticker, "name": SHORT.get(ticker, facts.name(ticker)),
                     "city": CITY[market],
                     "base": base, "end": end, "sessions": n, "window": window,
                     "end_close_utc": sessions.close_utc(market, end).tz_localize(None),
                     "ret_pct": round(_move(ticker, base, end) * 100, 4)})
    return pd.DataFrame(rows).sort_values(["end_close_utc", "ret_pct"]).reset_index(drop=True)


def contagion_chart(table: pd.DataFrame) -> alt.LayerChart:
    """Bars of each security's move up to its market's first session after the US rout."""
    nv = table.set_index("ticker").loc["NVDA"]
    late = table.loc[table["city"].isin(["Seoul", "Taipei"])]
    table = table.assign(label=[PHONE.get(t, n) + " · " + f"{e:%-d %b}" for t, n, e in
                                zip(table["ticker"], table["name"], table["end"])],
                         sign=["fell" if r < 0 else "rose" for r in table["ret_pct"]])
    y = alt.Y("label:N", sort=table["label"].tolist(), title=None,
              axis=alt.Axis(labelLimit=200))
    tip = [alt.Tooltip("name:N", title="Security"), alt.Tooltip("city:N", title="Market"),
           alt.Tooltip("base:T", title="From close of", format="%a %d %b %Y"),
           alt.Tooltip("end:T", title="To close of", format="%a %d %b %Y"),
           alt.Tooltip("window:N", title="Sessions measured"),
           alt.Tooltip("ret_pct:Q", title="Move (%)", format="+.1f")]
    base = alt.Chart(table)
    bars = base.mark_bar(height=14).encode(
        x=alt.X("ret_pct:Q", title="Close-to-close move (%)",
                scale=alt.Scale(domain=[table["ret_pct"].min() * 1.25,
                                        max(table["ret_pct"].max(), 0) * 1.25 + 1], nice=False)),
        y=y, color=alt.Color("sign:N", title="Move", scale=alt.Scale(
            domain=["fell", "rose"], range=[NEGATIVE, POSITIVE])),
        tooltip=tip)
    text = [base.transform_filter(f"datum.ret_pct {op} 0").mark_text(
        align=side, dx=shift, fontSize=10).encode(
        x="ret_pct:Q", y=y, text=alt.Text("ret_pct:Q", format="+.1f"), tooltip=tip)
        for op, side, shift in (("<", "right", -3), (">=", "left", 3))]
    ref = alt.Chart(pd.DataFrame({"x": [nv["ret_pct"]]})).mark_rule(
        strokeDash=[4, 3], color=NEUTRAL).encode(x="x:Q")
    chart = alt.layer(bars, *text, ref).properties(width=280, height=330)
    worst = late.sort_values("ret_pct").iloc[0]
    return finish(
        chart,
        title=(f"Korea and Taiwan caught up on reopening: {worst['name']} fell "
               f"{abs(worst['ret_pct']):.1f}% on {worst['end']:%-d %b}"),
        subtitle=[f"Each bar: from the last close before {nv['end']:%-d %b} to the close of the "
                  "market's first session", f"that opened after New York's {nv['end']:%-d %b} "
                  "close (the date in each label), in order of closing time",
                  f"Dashed line: Nvidia on {nv['end']:%-d %b}"],
        source=SOURCE,
        description=("Horizontal bars of each security's move from its last close before "
                     f"{nv['end']:%-d %B %Y} to its market's first session after New York's "
                     "sell-off: "
                     + "; ".join(f"{r.name} ({r.window}) {_signed(r.ret_pct)}%"
                                 for r in table.itertuples()) + "."),
    )


def grid(markets: list[str] = ORDER, start: str | None = None, end: str | None = None
         ) -> pd.DataFrame:
    """The calendar grid of open and closed weekdays, with each market's marker move (default:
    the GRID sessions of New York around day 0)."""
    start = start or event.day("XNYS", GRID[0])
    end = end or event.day("XNYS", GRID[1])
    table = sessions.grid(markets, start, end)
    marker = {m: MARKERS[m][0] for m in markets}
    moves = []
    for row in table.itertuples():
        ret = _ret(marker[row.market], row.date) if row.status != "closed" else None
        moves.append(None if ret is None else round(ret * 100, 4))
    half = table["status"] == "early close"
    return table.assign(city=table["market"].map(CITY),
                        marker=table["market"].map(lambda m: SHORT[marker[m]]), ret_pct=moves,
                        cell=["closed" if m is None else "fell" if m < 0 else "rose" for m in moves],
                        label=[("–" if m is None else _signed(m) + ("*" if h else ""))
                               for m, h in zip(moves, half)])


def grid_chart(table: pd.DataFrame) -> alt.LayerChart:
    """Heat-grid of weekdays x markets: closed days drawn as closed, not as zero moves."""
    order = table["city"].drop_duplicates().tolist()
    closed = table.loc[table["status"] == "closed"].groupby("city")["date"].agg(["min", "max", "size"])
    text_y = alt.Y("city:N", sort=order, title=None)
    x = alt.X("date:O", title="Weekday (local session date)", timeUnit="yearmonthdate",
              axis=alt.Axis(format="%a %d %b", labelAngle=-45))
    tip = [alt.Tooltip("city:N", title="Market"), alt.Tooltip("date:T", title="Date",
                                                               format="%a %d %b %Y"),
           alt.Tooltip("status:N", title="Calendar"), alt.Tooltip("open_utc:N", title="Open (UTC)"),
           alt.Tooltip("close_utc:N", title="Close (UTC)"), alt.Tooltip("marker:N", title="Index"),
           alt.Tooltip("ret_pct:Q", title="Move (%)", format="+.1f")]
    base = alt.Chart(table)
    cells = base.mark_rect(stroke="white", strokeWidth=2).encode(
        x=x, y=text_y, tooltip=tip,
        color=alt.Color("cell:N", title="Index that day",
                        scale=alt.Scale(domain=["fell", "rose", "closed"],
                                        range=["#F0C7A6", "#A6CEE4", "#EEEEEE"])))  # tints
    text = base.mark_text(fontSize=10).encode(
        x=x, y=text_y, text="label:N", tooltip=tip,
        color=alt.condition("datum.status == 'closed'", alt.value("#777777"), alt.value("#111111")))
    chart = narrow_layout(alt.layer(cells, text).properties(width=490, height=230),
                          transpose=True)
    longest = closed.sort_values("size").iloc[-1]
    always = [c for c in order if c not in closed.index]
    return finish(
        chart,
        title=(f"{longest.name} was shut for {int(longest['size'])} weekdays, Seoul for "
               f"{int(closed.loc['Seoul', 'size'])}; {', '.join(always)} never shut"),
        subtitle=["Cells: the main index's close-to-close move (%); – closed; * half day",
                  "Nikkei 225, KOSPI, Taiex, Shanghai Composite, Hang Seng, STOXX Europe 600, "
                  "S&P 500"],
        source=SOURCE,
        description=(f"Grid of weekdays from {table['date'].min():%-d %B} to "
                     f"{table['date'].max():%-d %B %Y} by market. " + " ".join(
            f"{c}: closed on {', '.join(f'{d:%-d %b}' for d in g.loc[g['status'] == 'closed', 'date'])}."
            for c, g in table.groupby("city", sort=False) if (g["status"] == "closed").any())
            + "".join(f" {r.city} closes early on {r.date:%-d %B}." for r in
                      table.loc[table["status"] == "early close"].itertuples())),
    )


def gap_comparison(local: str = "2330.TW", us_line: str = "TSM", shock: pd.Timestamp = SHOCK
                   ) -> dict:
    """A local line's move over its holiday gap, and a US-listed security's move over the New
    York sessions that closed inside that gap (after the local close, before the reopening)."""
    market, us = sessions.code(local), sessions.code(us_line)
    last = sessions.last_session_before(market, shock)
    back = sessions.first_session(market, shock)
    start = sessions.last_closed_before(us, sessions.close_utc(market, last))
    end = sessions.last_closed_before(us, sessions.open_utc(market, back))
    return {"local_last": last, "local_back": back, "local_ret": _move(local, last, back),
            "us_start": start, "us_end": end, "us_ret": _move(us_line, start, end),
            "us_same_dates_ret": _move(us_line, last, end),
            "us_sessions": len(sessions.sessions(us, start + pd.Timedelta(days=1), end))}


def reaction_time(who: str, date: str) -> str:
    """The local clock time of a reaction in data/reactions.csv ('09:40'), as the source gives it."""
    from ..data import context
    table = context.reactions()
    rows = table.loc[(table["who"] == who) & (table["date"] == pd.Timestamp(date))]
    if len(rows) != 1 or not rows["time_local"].iloc[0][:2].isdigit():
        raise ValueError(f"reactions.csv: no single timed reaction by {who} on {date}")
    return rows["time_local"].iloc[0].split(" ")[0].replace("-", "–")
